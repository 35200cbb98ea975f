// MigrationBatch status and statistics as outputs, through the real provider host: percentages of users in
// flight come from Get-MigrationUserStatistics within a per-refresh budget (the rest are null, never made
// up); completeAfter and complete-at-creation let Exchange complete the batch by itself, without a
// Complete-MigrationBatch call; a lost New-MigrationBatch answer makes no second batch; a batch made by hand
// with the same users is adopted and left on destroy, one with other users is refused by name; a batch
// started by hand is reported. Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import { useEmulator } from "./support/emulator";
import { Engine } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import type { ProviderHost } from "../harness/providerHost";
import { cmdlets, exchangeCalls, writes } from "./support/mailUsers";
import {
  batchArgs,
  batchEmulatorOptions,
  batchNamed,
  declareBatch,
  hostSays,
  PHASE_MS,
  prepareEndpoint,
  refreshUntil,
  sleep,
  stageUsers,
  targetExchange,
} from "./support/migrationBatches";

// Longer phases than the other batch tests: a refresh must land inside the sync phase even on a busy CI machine.
const PHASE = 2.5 * PHASE_MS;
const emulator = useEmulator({ ...batchEmulatorOptions({ migrationPhaseMs: PHASE }), mailboxes: 16 });
const providerHost = useProviderHost(emulator, {
  env: { XTMM_VISIBILITY_TIMEOUT_SECONDS: "10", XTMM_BATCH_STATISTICS_LIMIT: "2" },
});
let host: ProviderHost;
let engine: Engine;
const mark = () => emulator().requests.length;
const callsSince = (since: number) => cmdlets(exchangeCalls(emulator(), since));
const generated = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => `user${String(from + i).padStart(5, "0")}`);
type User = { address: string; status: string; percent: number | null };

beforeAll(async () => {
  host = providerHost();
  engine = new Engine(host);
  await prepareEndpoint(emulator());
});

test("a syncing batch reports each user's status; percentages are measured for at most the budget, the rest are null", async () => {
  const users = await stageUsers(emulator(), engine, generated(1, 3));
  const batch = await declareBatch("batch/stats", batchArgs("stats", users, { start: true }));
  await engine.up(batch);
  await sleep(PHASE / 10);
  const since = mark();
  const { state } = await engine.refresh(batch);
  const outs = state!.outputs;
  expect(outs.status).toBe("Syncing");
  const rows = outs.users as User[];
  expect(rows.map((u) => u.status)).toEqual(["Syncing", "Syncing", "Syncing"]);
  const measured = rows.filter((u) => u.percent !== null);
  expect(measured).toHaveLength(2);
  for (const u of measured) expect(u.percent).toBeGreaterThanOrEqual(10);
  for (const u of measured) expect(u.percent).toBeLessThan(95);
  expect(callsSince(since).filter((c) => c === "Get-MigrationUserStatistics")).toHaveLength(2);
  const synced = await refreshUntil(engine, batch, /^Synced$/, 4 * PHASE);
  expect(synced).toMatchObject({ syncedCount: 3, failedCount: 0, activeCount: 0 });
  // Synced users are measured too (95: synced, waiting for completion), within the same budget.
  expect((synced.users as User[]).map((u) => u.percent)).toEqual([95, 95, null]);
  await engine.destroy(batch);
});

test("completeAfter lets Exchange complete the batch by itself once its users are synced", async () => {
  const users = await stageUsers(emulator(), engine, generated(4, 2));
  const when = new Date(Date.now() + 1.5 * PHASE).toISOString();
  const batch = await declareBatch(
    "batch/scheduled",
    batchArgs("scheduled", users, { start: true, completeAfter: when }),
  );
  const since = mark();
  await engine.up(batch);
  expect(batchNamed(emulator(), "scheduled")).toMatchObject({ CompleteAfter: when });
  const done = await refreshUntil(engine, batch, /^Completed/, 6 * PHASE);
  expect(done).toMatchObject({ status: "Completed", finalizedCount: 2 });
  expect((done.users as User[]).map((u) => [u.status, u.percent])).toEqual([
    ["Completed", 100],
    ["Completed", 100],
  ]);
  expect(cmdlets(writes(exchangeCalls(emulator(), since)))).toEqual(["New-MigrationBatch"]);
  // Exchange removes a completed batch after 60 days: refresh keeps it as history, and up submits nothing again.
  const t = [...emulator().state.tenants.values()].find(
    (x) =>
      x.exchange.migrationBatches.size > 0 &&
      [...x.exchange.migrationBatches.values()].some((b) => b.obj.Name === "scheduled"),
  )!;
  for (const [k, b] of t.exchange.migrationBatches)
    if (b.obj.Name === "scheduled") t.exchange.migrationBatches.delete(k);
  const later = await engine.refresh(batch);
  expect(later).toMatchObject({ op: "same", state: { outputs: { status: "Removed", finalizedCount: 2 } } });
  const since2 = mark();
  expect((await engine.up(batch)).op).toBe("same");
  await engine.destroy(batch);
  expect(cmdlets(writes(exchangeCalls(emulator(), since2)))).toEqual([]);
});

test("complete: true at creation sends CompleteAfter = now (what Complete-MigrationBatch does in the cloud)", async () => {
  const users = await stageUsers(emulator(), engine, generated(6, 1));
  const batch = await declareBatch("batch/at-once", batchArgs("at-once", users, { start: true, complete: true }));
  const since = mark();
  await engine.up(batch);
  expect(Date.parse(String(batchNamed(emulator(), "at-once")!.CompleteAfter))).toBeLessThanOrEqual(Date.now());
  expect((await refreshUntil(engine, batch, /^Completed/, 6 * PHASE)).status).toBe("Completed");
  expect(cmdlets(writes(exchangeCalls(emulator(), since)))).toEqual(["New-MigrationBatch"]);
});

test("a lost New-MigrationBatch answer is resolved by reading the batch: one batch, recorded as ours", async () => {
  const users = await stageUsers(emulator(), engine, generated(7, 2));
  emulator().inject({ surface: "exchange", cmdlet: "New-MigrationBatch", fault: "lost" });
  const batch = await declareBatch("batch/lost", batchArgs("lost", users));
  const since = mark();
  const { state } = await engine.up(batch);
  expect(
    exchangeCalls(emulator(), since)
      .filter((r) => r.cmdlet === "New-MigrationBatch")
      .map((r) => r.fault ?? "answered"),
  ).toEqual(["lost"]);
  expect(state.outputs).toMatchObject({ adopted: false, totalCount: 2, status: "Stopped" });
  expect(
    [...emulator().state.tenants.values()]
      .flatMap((t) => [...t.exchange.migrationBatches.values()])
      .filter((s) => s.obj.Name === "lost"),
  ).toHaveLength(1);
  await engine.destroy(batch);
});

describe("a batch made by hand", () => {
  let users: string[];
  beforeAll(async () => {
    users = await stageUsers(emulator(), engine, generated(9, 3));
    const csv = Buffer.from(["EmailAddress", ...users.slice(0, 2)].join("\n")).toString("base64");
    await targetExchange(emulator()).invoke("New-MigrationBatch", {
      Name: "by-hand",
      SourceEndpoint: "xtmm-source",
      TargetDeliveryDomain: "contoso.onmicrosoft.com",
      CSVData: csv,
    });
  });

  test("with other users it is refused, naming the batch and the difference", async () => {
    const batch = await declareBatch("batch/by-hand", batchArgs("by-hand", users.slice(1)));
    const err = await engine.up(batch).catch((e) => e);
    expect(String(err.message)).toMatch(
      /A migration batch named 'by-hand' already exists .*lacks 1 of the declared users \(user00011@contoso\.com\); it holds 1 users not declared \(user00009@contoso\.com\)/,
    );
  });

  test("with the same users it is adopted; a start by hand is reported; destroy leaves it", async () => {
    const batch = await declareBatch("batch/by-hand", batchArgs("by-hand", users.slice(0, 2)));
    const since = mark();
    const { state } = await engine.up(batch);
    expect(cmdlets(writes(exchangeCalls(emulator(), since)))).toEqual([]);
    expect(state.outputs).toMatchObject({ adopted: true, status: "Stopped", totalCount: 2 });
    await targetExchange(emulator()).invoke("Start-MigrationBatch", { Identity: "by-hand" });
    await engine.refresh(batch);
    expect(await hostSays(host, /'by-hand' is \w+ although/)).toMatch(
      /Migration batch 'by-hand' is (Starting|Syncing) although start is false: it was started outside this stack/,
    );
    const since2 = mark();
    await engine.destroy(batch);
    expect(cmdlets(writes(exchangeCalls(emulator(), since2)))).toEqual([]);
    expect(batchNamed(emulator(), "by-hand")).toBeDefined();
    expect(await hostSays(host, /'by-hand' existed before/)).toMatch(
      /Migration batch 'by-hand' existed before this stack; it is left in place/,
    );
  });
});
