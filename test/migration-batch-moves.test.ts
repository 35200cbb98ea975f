// Each user's move and the retry of failed users, through the real provider host against the emulator:
// a refresh reads the batch's moves in one Get-MoveRequest and measures at most the budget of
// Get-MoveRequestStatistics, failed moves first, each failed one with Microsoft's message and what to do;
// `npm run status` prints the same per user; retryFailed is an update that runs Start-MigrationBatch once per
// new value (a SyncedwithErrors batch, then a CompletedWithErrors one, whose fixed user then completes); the
// same value again, or state written before retryFailed existed, changes nothing.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import { useEmulator, emulatorTenantSettings, tenantOf } from "./support/emulator";
import { Engine } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import { cmdlets, exchangeCalls, theObject, writes } from "./support/mailUsers";
import {
  batchArgs,
  batchEmulatorOptions,
  batchNamed,
  declareBatch,
  PHASE_MS,
  prepareEndpoint,
  refreshUntil,
  stageUsers,
  withInputs,
} from "./support/migrationBatches";
import { licenseForMigration } from "../emulator/exchange/fixtures";
import { createTenantClient } from "../providers/tenant";
import { batchUserLines, userLines } from "../scripts/statusUsers";
import type { MigrationBatchMove } from "../providers/migrationBatch";

const emulator = useEmulator({ ...batchEmulatorOptions(), mailboxes: 16 });
const providerHost = useProviderHost(emulator, {
  env: { XTMM_VISIBILITY_TIMEOUT_SECONDS: "10", XTMM_BATCH_STATISTICS_LIMIT: "2" },
});
let engine: Engine;
const mark = () => emulator().requests.length;
const callsSince = (since: number) => cmdlets(exchangeCalls(emulator(), since));
const writesSince = (since: number) => writes(exchangeCalls(emulator(), since)).map((c) => c.cmdlet);
const generated = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => `user${String(from + i).padStart(5, "0")}`);
const license = (address: string) =>
  licenseForMigration(tenantOf(emulator(), "target"), String(theObject(emulator(), address).ExternalDirectoryObjectId));
const moveOf = (outs: Record<string, unknown>, address: string) =>
  (outs.moves as MigrationBatchMove[]).find((m) => m.address === address);
const HAS_MAILBOX = (alias: string) =>
  `Target user '${alias}' already has a primary mailbox. --> Target user '${alias}' already has a primary mailbox.`;

beforeAll(async () => {
  engine = new Engine(providerHost());
  await prepareEndpoint(emulator());
});
afterEach(() => {
  emulator().options.exchange.moveFailures = {};
});

test("a refresh reads every move in one call, measures failed moves first within the budget, and says what to do", async () => {
  const [ok, taken, unlicensed] = await stageUsers(emulator(), engine, generated(1, 3), generated(1, 2));
  emulator().options.exchange.moveFailures = {
    [taken]: { type: "MigrationPermanentException", text: HAS_MAILBOX(taken.split("@")[0]) },
  };
  const batch = await declareBatch("batch/moves", batchArgs("moves", [ok, taken, unlicensed], { start: true }));
  await engine.up(batch);
  expect((await refreshUntil(engine, batch, /^Synced/)).status).toBe("SyncedwithErrors");
  const since = mark();
  const outs = (await engine.refresh(batch)).state!.outputs;
  const calls = callsSince(since);
  expect(calls.filter((c) => c === "Get-MoveRequest")).toHaveLength(1);
  // Budget 2: both failed moves, before the synced one.
  expect(calls.filter((c) => c === "Get-MoveRequestStatistics")).toHaveLength(2);
  expect((outs.moves as MigrationBatchMove[]).map((m) => [m.address, m.status])).toEqual([
    [ok, "Synced"],
    [taken, "Failed"],
    [unlicensed, "Failed"],
  ]);
  expect(moveOf(outs, unlicensed)).toMatchObject({
    statusDetail: "FailedOther",
    percent: 10,
    bytesTransferred: expect.stringMatching(/^\d+ MB \([\d,]+ bytes\)$/),
    failure: expect.stringMatching(
      /^Error: CrossTenantMigrationWithoutLicensePermanentException: No license was found for the source recipient/,
    ),
    next: expect.stringMatching(/licences\.assign.*retryFailed/),
  });
  expect(moveOf(outs, taken)!.failure).toContain("already has a primary mailbox");
  expect(moveOf(outs, taken)!.next).toMatch(/already a mailbox/);
  expect(moveOf(outs, ok)!.next).toBeNull();

  // npm run status: every open move measured, a failed one followed by what to do next.
  const client = createTenantClient(emulatorTenantSettings(emulator(), "target"));
  const lines = (await batchUserLines(client, "moves", true, true)).flatMap((u) => userLines(u, 24));
  const text = lines.join("\n");
  expect(text).toMatch(
    new RegExp(`^ {4}${ok} +Synced +95%\\n {6}move Synced \\(AutoSuspended\\) 95%, [\\d.]+ MB`, "m"),
  );
  expect(text).toMatch(
    new RegExp(
      `^ {4}${unlicensed} +Failed +10% {2}CrossTenantMigrationWithoutLicensePermanentException: .*\\n {6}move Failed \\(FailedOther\\) 10%, .*\\n {6}next: assign the Cross Tenant User Data Migration licence`,
      "m",
    ),
  );
  expect(text).toMatch(new RegExp(`^ {6}next: the target is already a mailbox`, "m"));

  // The retry: previewed as an update, one Start-MigrationBatch; the fixed user syncs, the other fails again.
  license(unlicensed);
  const retry = withInputs(batch, { retryFailed: "2026-12-04 first" });
  expect((await engine.preview(retry)).op).toBe("update");
  let at = mark();
  await engine.up(retry);
  expect(writesSince(at)).toEqual(["Start-MigrationBatch"]);
  await refreshUntil(engine, retry, /^Syncing$/, 4 * PHASE_MS);
  const again = await refreshUntil(engine, retry, /^Synced/);
  expect(again).toMatchObject({ status: "SyncedwithErrors", syncedCount: 2, failedCount: 1 });
  expect(moveOf(again, unlicensed)!.status).toBe("Synced");
  expect(moveOf(again, taken)!.status).toBe("Failed");
  // The same value again is no change; a new one, once the cause is gone, moves the last user.
  expect((await engine.preview(retry)).op).toBe("same");
  emulator().options.exchange.moveFailures = {};
  at = mark();
  await engine.up(withInputs(batch, { retryFailed: "2026-12-04 second" }));
  expect(writesSince(at)).toEqual(["Start-MigrationBatch"]);
  await refreshUntil(engine, batch, /^Syncing$/, 4 * PHASE_MS);
  expect(await refreshUntil(engine, batch, /^Synced$/)).toMatchObject({ syncedCount: 3, failedCount: 0 });
  await engine.destroy(batch);
});

test("a CompletedWithErrors batch: the retry moves the fixed user and the batch completes", async () => {
  const [ok, unlicensed] = await stageUsers(emulator(), engine, generated(4, 2), generated(4, 1));
  const batch = await declareBatch("batch/done", batchArgs("done", [ok, unlicensed], { start: true, complete: true }));
  await engine.up(batch);
  const done = await refreshUntil(engine, batch, /^Completed/, 12 * PHASE_MS);
  expect(done).toMatchObject({ status: "CompletedWithErrors", finalizedCount: 1, failedCount: 1 });
  expect(moveOf(done, ok)).toMatchObject({ status: "Completed", percent: 100 });
  license(unlicensed);
  const at = mark();
  await engine.up(withInputs(batch, { retryFailed: "after the licence" }));
  expect(writesSince(at)).toEqual(["Start-MigrationBatch"]);
  expect(await refreshUntil(engine, batch, /^Completed$/, 12 * PHASE_MS)).toMatchObject({
    finalizedCount: 2,
    failedCount: 0,
  });
  expect(theObject(emulator(), unlicensed).RecipientTypeDetails).toBe("UserMailbox");
});

test("a batch with nothing failed records the retry and writes nothing; state from before retryFailed diffs clean", async () => {
  const [a] = await stageUsers(emulator(), engine, generated(6, 1));
  const batch = await declareBatch("batch/clean", batchArgs("clean", [a], { start: true }));
  await engine.up(batch);
  await refreshUntil(engine, batch, /^Synced$/);
  // What an older version recorded: no retryFailed input, no moves output.
  const urn = engine.urn(batch);
  const old = engine.states.get(urn)!;
  delete old.inputs.retryFailed;
  delete old.outputs.retryFailed;
  delete old.outputs.moves;
  expect((await engine.preview(batch)).op).toBe("same");
  const at = mark();
  const { op, state } = await engine.up(withInputs(batch, { retryFailed: "just in case" }));
  expect(op).toBe("update");
  expect(writesSince(at)).toEqual([]);
  expect(state.outputs.retryFailed).toBe("just in case");
  expect(batchNamed(emulator(), "clean")?.Status).toBe("Synced");
  await engine.destroy(batch);
});
