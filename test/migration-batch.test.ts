// MigrationBatch through the real dynamic-provider host against the emulated pair: offline checks; the
// 2,000-per-batch split (pure); a batch of three staged users created (one write: New-MigrationBatch with
// the target addresses as CSV), started and completed only by explicit input changes, with its status and
// per-user state as outputs; a started batch's users can't change; destroy leaves a completed batch and
// stops then removes an uncompleted one; a not-yet-started batch is replaced when its users change; one
// batch of 2,000 users. Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import { useEmulator } from "./support/emulator";
import { CheckFailedError, Engine, withUnknowns, type DeclaredResource } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import type { ProviderHost } from "../harness/providerHost";
import { cmdlets, exchangeCalls, theObject, writes } from "./support/mailUsers";
import {
  batchArgs,
  batchEmulatorOptions,
  batchNamed,
  declareBatch,
  hostSays,
  prepareEndpoint,
  refreshUntil,
  stageDirectly,
  stageUsers,
  withInputs,
} from "./support/migrationBatches";
import { splitIntoBatches } from "../providers/migrationBatch";

// One-second phases: a step that must see a batch still syncing has ample time even on a busy CI machine.
const emulator = useEmulator(batchEmulatorOptions({ migrationPhaseMs: 1000 }));
const providerHost = useProviderHost(emulator, {
  env: { XTMM_VISIBILITY_TIMEOUT_SECONDS: "10", XTMM_READ_COALESCE_MS: "20" },
});
let host: ProviderHost;
const mark = () => emulator().requests.length;
const writesSince = (since: number) => cmdlets(writes(exchangeCalls(emulator(), since)));

beforeAll(async () => {
  host = providerHost();
  await prepareEndpoint(emulator());
});

describe("splitIntoBatches", () => {
  const addresses = (n: number, from = 1) =>
    Array.from({ length: n }, (_, i) => `user${String(from + i).padStart(5, "0")}@contoso.com`);

  test("a 2,100-user wave becomes two batches; the first keeps the wave's name", () => {
    const parts = splitIntoBatches("wave-1", addresses(2100));
    expect(parts.map((p) => [p.resourceName, p.batchName, p.targetAddresses.length])).toEqual([
      ["batch/wave-1", "wave-1", 2000],
      ["batch/wave-1-2", "wave-1-2", 100],
    ]);
    expect(parts[1].targetAddresses[0]).toBe("user02001@contoso.com");
  });

  test("appending users keeps the first batch as it was; duplicates and case collapse; limits are honoured", () => {
    const before = splitIntoBatches("w", addresses(1990));
    const after = splitIntoBatches("w", [...addresses(1990), ...addresses(30, 1991)]);
    expect(after[0].targetAddresses.slice(0, 1990)).toEqual(before[0].targetAddresses);
    expect(after.map((p) => p.targetAddresses.length)).toEqual([2000, 20]);
    expect(splitIntoBatches("w", ["A@contoso.com", "a@contoso.com ", ""])).toEqual([
      { resourceName: "batch/w", batchName: "w", targetAddresses: ["a@contoso.com"] },
    ]);
    expect(splitIntoBatches("w", [])).toEqual([]);
    expect(splitIntoBatches("w", addresses(5), 2).map((p) => p.batchName)).toEqual(["w", "w-2", "w-3"]);
    expect(() => splitIntoBatches("w", addresses(5), 0)).toThrow(/positive integer/);
  });
});

describe("check", () => {
  test("rejects bad inputs before any call; unknown values pass", async () => {
    const engine = new Engine(host);
    const before = mark();
    const bad = await declareBatch(
      "batch/bad",
      batchArgs("", ["adele", "x@contoso.com", "x@contoso.com"], {
        targetDeliveryDomain: "contoso",
        completeAfter: "next friday",
        complete: true,
        notificationEmails: ["ops"],
      }),
    );
    const err: CheckFailedError = await engine.preview(withInputs(bad, { badItemLimit: 10 })).catch((e) => e);
    expect(err).toBeInstanceOf(CheckFailedError);
    expect(err.failures.map((f) => f.property).sort()).toEqual([
      "badItemLimit",
      "complete",
      "completeAfter",
      "name",
      "notificationEmails",
      "targetAddresses",
      "targetAddresses",
      "targetDeliveryDomain",
    ]);
    expect(err.failures.find((f) => f.property === "complete")!.reason).toMatch(/needs start: true/);
    expect(err.failures.find((f) => f.property === "completeAfter")!.reason).toMatch(/ISO date-time with a zone/);
    const tooBig = await declareBatch(
      "batch/big",
      batchArgs(
        "big",
        Array.from({ length: 2001 }, (_, i) => `u${i}@contoso.com`),
      ),
    );
    expect((await engine.preview(tooBig).catch((e) => e)).failures[0].reason).toMatch(
      /at most 2000 mailboxes per batch: split the wave with splitIntoBatches/,
    );
    const good = await declareBatch("batch/good", batchArgs("good", ["a@contoso.com"]));
    expect((await engine.preview(withUnknowns(good, "targetAddresses", "sourceEndpoint"))).op).toBe("create");
    expect(mark()).toBe(before);
  });
});

describe("lifecycle of a batch of three staged users", () => {
  let engine: Engine;
  let batch: DeclaredResource;
  let users: string[];
  beforeAll(async () => {
    engine = new Engine(host);
    // Megan has no cross-tenant licence: Microsoft fails her move, not the batch.
    users = await stageUsers(emulator(), engine, ["adelev", "alexw", "meganb"], ["adelev", "alexw"]);
    batch = await declareBatch("batch/wave-1", batchArgs("wave-1", users));
  });

  test("up creates it with one write, New-MigrationBatch carrying the TARGET addresses; it is not started", async () => {
    expect((await engine.preview(batch)).op).toBe("create");
    const since = mark();
    const { state } = await engine.up(batch);
    expect(writesSince(since)).toEqual(["New-MigrationBatch"]);
    const b = batchNamed(emulator(), "wave-1")!;
    expect(b).toMatchObject({
      Status: "Stopped",
      SourceEndpoint: "xtmm-source",
      TargetDeliveryDomain: "contoso.onmicrosoft.com",
      TotalCount: 3,
      CompleteAfter: null,
    });
    expect(state.id).toBe("wave-1");
    expect(state.outputs).toMatchObject({
      status: "Stopped",
      totalCount: 3,
      syncedCount: 0,
      finalizedCount: 0,
      failedCount: 0,
      startedAt: "",
      adopted: false,
    });
    expect(state.outputs.users).toEqual(users.map((address) => ({ address, status: "Queued", percent: 0 })));
  });

  test("a second up and a refresh write nothing", async () => {
    const since = mark();
    expect((await engine.up(batch)).op).toBe("same");
    expect((await engine.refresh(batch)).op).toBe("same");
    expect(writesSince(since)).toEqual([]);
  });

  test("start: true is an update (never a replacement) that calls Start-MigrationBatch once", async () => {
    batch = withInputs(batch, { start: true });
    const plan = await engine.preview(batch);
    expect(plan.op).toBe("update");
    expect(plan.diff?.replaces).toEqual([]);
    const since = mark();
    const { state } = await engine.up(batch);
    expect(writesSince(since)).toEqual(["Start-MigrationBatch"]);
    expect(String(state.outputs.status)).toMatch(/^(Starting|Syncing)$/);
    const synced = await refreshUntil(engine, batch, /^Synced/);
    expect(synced).toMatchObject({ status: "SyncedwithErrors", syncedCount: 2, failedCount: 1, finalizedCount: 0 });
    expect(synced.failures).toEqual([
      {
        address: "meganb@contoso.com",
        error: expect.stringMatching(/^CrossTenantMigrationWithoutLicensePermanentException: No license was found/),
      },
    ]);
    expect((synced.users as { status: string; percent: number }[]).map((u) => [u.status, u.percent])).toEqual([
      ["Synced", 95],
      ["Synced", 95],
      ["Failed", 10],
    ]);
    expect(String(synced.startedAt)).toMatch(/^\d{4}-/);
  });

  test("a started batch's users, endpoint or name can't change: check says why and what to do", async () => {
    const engine2 = engine;
    const err: CheckFailedError = await engine2
      .preview(withInputs(batch, { targetAddresses: [...users, "johannal@contoso.com"], name: "wave-1b" }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(CheckFailedError);
    expect(err.failures.map((f) => f.property).sort()).toEqual(["name", "targetAddresses"]);
    expect(err.failures.find((f) => f.property === "targetAddresses")!.reason).toMatch(
      /can't change: this batch was started.*put new users in another batch/,
    );
    const undo = await engine2.preview(withInputs(batch, { complete: true, start: false })).catch((e) => e);
    expect(undo.failures.map((f: { property: string }) => f.property)).toEqual(["complete"]);
    // Not known yet at preview (e.g. computed from other resources): a possible update, never a replacement.
    expect((await engine2.preview(withUnknowns(batch, "targetAddresses"))).diff?.replaces).toEqual([]);
    // Started by hand although start was false: the diff refuses a replacement.
    const state = engine2.state(batch)!;
    engine2.states.set(state.urn, {
      ...state,
      inputs: { ...state.inputs, start: false },
      outputs: { ...state.outputs, start: false },
    });
    const byHand = await engine2
      .preview(withInputs(batch, { start: false, targetAddresses: users.slice(0, 2) }))
      .catch((e) => e);
    expect(String(byHand.message)).toMatch(
      /Migration batch 'wave-1' has started \(status SyncedwithErrors\), so targetAddresses can't change/,
    );
    engine2.states.set(state.urn, state);
  });

  test("complete: true calls Complete-MigrationBatch once; the synced users become mailboxes", async () => {
    batch = withInputs(batch, { complete: true });
    expect((await engine.preview(batch)).op).toBe("update");
    const since = mark();
    await engine.up(batch);
    expect(writesSince(since)).toEqual(["Complete-MigrationBatch"]);
    const done = await refreshUntil(engine, batch, /^Completed/);
    expect(done).toMatchObject({ status: "CompletedWithErrors", finalizedCount: 2, failedCount: 1 });
    expect((done.users as { status: string; percent: number }[]).slice(0, 2)).toEqual([
      { address: "adelev@contoso.com", status: "Completed", percent: 100 },
      { address: "alexw@contoso.com", status: "Completed", percent: 100 },
    ]);
    expect(theObject(emulator(), "adelev@contoso.com").RecipientTypeDetails).toBe("UserMailbox");
    const back = await engine.preview(withInputs(batch, { complete: false })).catch((e) => e);
    expect(back.failures[0].reason).toMatch(/can't be undone/);
  });

  test("destroy leaves the completed batch in place and names it in a warning", async () => {
    const since = mark();
    await engine.destroy(batch);
    expect(writesSince(since)).toEqual([]);
    expect(batchNamed(emulator(), "wave-1")).toMatchObject({ Status: "CompletedWithErrors" });
    expect(await hostSays(host, /'wave-1' is CompletedWithErrors/)).toMatch(
      /Migration batch 'wave-1' is CompletedWithErrors \(2 of 3 mailboxes moved\); it is left in place/,
    );
  });
});

describe("batches that moved nothing", () => {
  let engine: Engine;
  let users: string[];
  beforeAll(async () => {
    engine = new Engine(host);
    users = await stageUsers(emulator(), engine, ["henriettam", "johannal", "leeg", "isaiahl"]);
  });

  test("before it starts, new users replace the batch: removed, then created again under its name", async () => {
    let batch = await declareBatch("batch/wave-2", batchArgs("wave-2", users.slice(0, 2)));
    await engine.up(batch);
    batch = withInputs(batch, { targetAddresses: users.slice(0, 3) });
    const plan = await engine.preview(batch);
    expect(plan.op).toBe("replace");
    expect(plan.diff).toMatchObject({ replaces: ["targetAddresses"], deleteBeforeReplace: true });
    const since = mark();
    const { state } = await engine.up(batch);
    // The removed batch keeps its name while its removal spreads: create waits it out.
    expect(writesSince(since)).toEqual(["Remove-MigrationBatch", "New-MigrationBatch"]);
    expect(state.outputs).toMatchObject({ status: "Stopped", totalCount: 3 });
    const since2 = mark();
    await engine.destroy(batch);
    expect(writesSince(since2)).toEqual(["Remove-MigrationBatch"]);
  });

  test("destroy stops a syncing batch, then removes it", async () => {
    // A user of a batch being removed still counts as in that batch, so this one takes a fresh user.
    const batch = await declareBatch(
      "batch/wave-3",
      batchArgs("wave-3", users.slice(3), { start: true, completeAfter: "2099-01-01T00:00:00Z" }),
    );
    const { state } = await engine.up(batch);
    expect(batchNamed(emulator(), "wave-3")).toMatchObject({ CompleteAfter: "2099-01-01T00:00:00.000Z" });
    expect(String(state.outputs.status)).toMatch(/^(Starting|Syncing)$/);
    const since = mark();
    await engine.destroy(batch);
    expect(writesSince(since)).toEqual(["Stop-MigrationBatch", "Remove-MigrationBatch"]);
    expect(batchNamed(emulator(), "wave-3")?.Status ?? "gone").toMatch(/^(Removing|gone)$/);
  });
});

test("one batch of 2,000 staged users: one New-MigrationBatch and a handful of reads", async () => {
  const engine = new Engine(host);
  const users = stageDirectly(emulator(), "mover", 2000);
  const [part, ...rest] = splitIntoBatches("wave-big", users);
  expect(rest).toEqual([]);
  const batch = await declareBatch(part.resourceName, batchArgs(part.batchName, part.targetAddresses));
  const since = mark();
  const started = Date.now();
  const { state } = await engine.up(batch);
  const calls = cmdlets(exchangeCalls(emulator(), since));
  expect(calls.filter((c) => !/^Get-/.test(String(c)))).toEqual(["New-MigrationBatch"]);
  expect(calls.length).toBeLessThanOrEqual(5);
  expect(state.outputs).toMatchObject({ totalCount: 2000, failedCount: 0, status: "Stopped" });
  expect((state.outputs.users as unknown[]).length).toBe(2000);
  expect(JSON.stringify(state.outputs).length).toBeLessThan(200_000);
  expect(Date.now() - started).toBeLessThan(10_000);
  // Batches live side by side: the completed one destroy left is still there.
  expect(batchNamed(emulator(), "wave-1")).toMatchObject({ Status: "CompletedWithErrors" });
});
