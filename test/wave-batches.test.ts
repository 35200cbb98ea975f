// From a staged wave to moved mailboxes, through the whole program (CrossTenantMigration) and the real
// provider host against one emulated pair, in the engine's order (ProgramRunner). Each step is an explicit,
// reviewed configuration change: the wave is staged and licensed and passes readiness (a user on litigation
// hold is held and reported); `batch: {}` creates its batch (the preview shows it, writing nothing);
// `start: true` starts it and `complete: true` completes it, each seen first in the preview; the stack's
// outputs and `npm run status` show the progress; the next up is a no-op; destroy leaves the completed batch,
// the endpoint it uses and the moved mailboxes with warnings that give the exact commands, and removes the
// rest. Then the same with removeCompletedBatchesOnDestroy, which leaves only the moved mailboxes. The pure
// rules (held and blocked users, a user moving in the wave's own batch) are unit-tested first.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { useEmulator, emulatorTenantSettings, tenantOf } from "./support/emulator";
import { Engine } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import { ProgramRunner, type RunResult, type Step } from "../harness/programRunner";
import { UNKNOWN } from "../harness/providerHost";
import { writesSince } from "./engineers-day.test";
import { CrossTenantMigration } from "../components/crossTenantMigration";
import type { BatchPlan } from "../config/moveConfig";
import { batchAddresses, blockedForBatches, heldTargets, ownMove } from "../components/waveBatches";
import { planUsers, type PlannedUser } from "../providers/staging/plan";
import type { Finding } from "../providers/readiness";
import type { SourceMailbox } from "../providers/sourceMailboxes";
import { createTenantClient } from "../providers/tenant";
import { collect, openFindings, render, type StateResource } from "../scripts/status";
import { type Rec, type TenantState } from "../emulator/model";
import { DEFAULT_EXCHANGE_KNOBS } from "../emulator/exchange/knobs";
import { FAKE_PWSH } from "../emulator/fakePwsh";

// ---- the rules, pure ----

const planned = (a: string): PlannedUser => ({
  sourceAddress: `${a}@fabrikam.com`,
  targetPrimary: `${a}@contoso.com`,
  userPrincipalName: `${a}@contoso.com`,
  alias: a,
});
const finding = (user: string | null, check: string, message = "", over: Partial<Finding> = {}): Finding => ({
  check,
  severity: "blocking",
  tenant: "source",
  user,
  pending: false,
  message,
  fix: "",
  ...over,
});

describe("which users a wave's batch takes", () => {
  test("held users (their source cannot move) are left out, in the wave's order", () => {
    const mailboxes = [
      { sourceAddress: "diegos@fabrikam.com", state: "blocked" },
      { sourceAddress: "adelev@fabrikam.com", state: "moved" },
    ] as SourceMailbox[];
    const held = heldTargets(["adelev", "diegos", "meganb"].map(planned), mailboxes);
    expect(held).toEqual(["diegos@contoso.com"]);
    expect(
      batchAddresses(["adelev@contoso.com", "Diegos@Contoso.com", "meganb@contoso.com"], held, ["meganb@contoso.com"]),
    ).toEqual(["adelev@contoso.com"]);
  });

  test("a move under way in one of the wave's own batches does not take the user out; any other blocking finding does", () => {
    const moving = (batch: string) =>
      finding(
        "adelev@contoso.com",
        "user.source.moving",
        `adelev@contoso.com (source adelev@fabrikam.com): a move is already under way (MailboxMoveStatus InProgress, batch ${batch}; …)`,
      );
    expect(ownMove(moving("wave-1"), ["wave-1"])).toBe(true);
    expect(ownMove(moving("MigrationService:wave-1-2"), ["wave-1", "wave-1-2"])).toBe(true);
    expect(ownMove(moving("other-batch"), ["wave-1"])).toBe(false);
    expect(blockedForBatches(["adelev@contoso.com"], [moving("wave-1")], ["wave-1"])).toEqual([]);
    expect(
      blockedForBatches(
        ["adelev@contoso.com"],
        [moving("wave-1"), finding("adelev@contoso.com", "user.licence")],
        ["wave-1"],
      ),
    ).toEqual(["adelev@contoso.com"]);
    expect(blockedForBatches(["adelev@contoso.com"], [moving("other")], ["wave-1"])).toEqual(["adelev@contoso.com"]);
    // An organisation finding stops everyone, whatever else is true.
    expect(
      blockedForBatches(
        ["adelev@contoso.com"],
        [moving("wave-1"), finding(null, "org.targetRelationship")],
        ["wave-1"],
      ),
    ).toEqual(["adelev@contoso.com"]);
    expect(blockedForBatches(undefined, undefined, ["wave-1"])).toEqual([]);
  });
});

// ---- the day, through the provider host ----
const REPORTS = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-wave-batches-"));
afterAll(() => fs.rmSync(REPORTS, { recursive: true, force: true }));

const emulator = useEmulator({ exchange: { ...DEFAULT_EXCHANGE_KNOBS, migrationPhaseMs: 150 } });
const providerHost = useProviderHost(emulator, { config: { pwshPath: FAKE_PWSH } });
const short = (s: Step | string) => (typeof s === "string" ? s : s.urn).split("::").pop()!;
const changed = (r: RunResult) =>
  r.steps
    .filter((s) => s.op !== "same")
    .map((s) => `${s.op} ${short(s)}`)
    .sort();
const objects = (m: Map<string, { obj: Rec }>) => [...m.values()].map((s) => s.obj);
const recipient = (t: TenantState, address: string) =>
  objects(t.exchange.recipients).find((o) => String(o.PrimarySmtpAddress).toLowerCase() === address);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Day {
  users: string[];
  batch?: BatchPlan;
  removeCompleted?: boolean;
}

function pairProgram(day: Day) {
  return () => {
    const e = emulator();
    const { users } = planUsers(
      day.users.map((a) => ({ source: `${a}@fabrikam.com` })),
      { "fabrikam.com": "contoso.com" },
    );
    const pair = new CrossTenantMigration("pair", {
      source: { tenantId: e.tenants.source.tenantId, domain: e.tenants.source.domain },
      target: { tenantId: e.tenants.target.tenantId, domain: e.tenants.target.domain },
      waves: [{ name: "wave-1", users, ...(day.batch ? { batch: day.batch } : {}) }],
      targetDomains: ["contoso.com"],
      purgeStagedUsersOnDestroy: true,
      // Staged MailUsers have no usage location; Microsoft needs one before a licence.
      licences: { assign: "target", usageLocation: "US" },
      removeCompletedBatchesOnDestroy: day.removeCompleted ?? false,
      // Reports go to a temporary directory, never into the checkout.
      readinessReportDir: REPORTS,
    });
    return {
      endpointName: pair.endpointName,
      waves: pair.wavesState,
      readiness: pair.readinessState,
      batches: pair.batchesState,
    };
  };
}

/** Refreshes until the stack's batch shows `status` (the emulator moves batches on at each request). */
async function refreshUntil(runner: ProgramRunner, status: RegExp): Promise<Rec> {
  const urn = runner.engine.urn({ type: "pulumi-nodejs:dynamic/xtmm:MigrationBatch", name: "batch/wave-1" });
  for (let i = 0; i < 100; i++) {
    await runner.engine.refresh(runner.engine.states.get(urn)!);
    const outs = runner.engine.states.get(urn)!.outputs;
    if (status.test(String(outs.status))) return outs;
    await sleep(50);
  }
  throw new Error(`batch/wave-1 never reached ${status}: ${String(runner.engine.states.get(urn)!.outputs.status)}`);
}

/** The state as `pulumi stack export` has it: the wave's resources under their MigrationWave component. */
function stackExport(runner: ProgramRunner): StateResource[] {
  const wave = "urn:pulumi:test::xtmm::xtmm:index:MigrationWave::wave-1";
  const inWave = /^(mailuser|readiness|licences|batch|source-mailboxes)\//;
  return [
    { urn: wave, type: "xtmm:index:MigrationWave" },
    ...[...runner.engine.states.values()].map((s) => ({
      urn: s.urn,
      type: s.type,
      id: s.id,
      inputs: s.inputs,
      outputs: s.outputs,
      ...(inWave.test(s.name) ? { parent: wave } : {}),
    })),
  ];
}

describe("a wave from staging to moved mailboxes, by explicit changes", () => {
  let runner: ProgramRunner;
  const day: Day = { users: ["adelev", "meganb", "diegos"] };
  const program = pairProgram(day);
  beforeAll(() => {
    runner = new ProgramRunner(new Engine(providerHost()));
  });

  test("staged, licensed and checked: readiness passes for the movable users and holds the one on litigation hold", async () => {
    const up = await runner.up(program);
    expect(changed(up)).toContain("create readiness/wave-1");
    expect(changed(up)).toContain("create licences/wave-1");
    expect(changed(up).filter((c) => c.includes("batch/"))).toEqual([]);
    const readiness = (up.outputs.readiness as Record<string, Rec>)["wave-1"];
    expect(readiness.summary).toEqual({ users: 3, ready: 2, blocked: 1, pending: 0, moved: 0, warnings: 0 });
    expect(readiness.licences).toEqual({ needed: 1, sourceAvailable: 0, targetAvailable: 8 });
    expect(String(readiness.report)).toBe(path.join(REPORTS, "test-wave-1.md"));
    const md = fs.readFileSync(String(readiness.report), "utf8");
    expect(md).toMatch(/\| diegos@fabrikam.com \| diegos@contoso.com \| \*\*blocked\*\* \|/);
    expect(md).toMatch(/\| adelev@fabrikam.com \| adelev@contoso.com \| ready \|/);
    expect(md).toContain("Set-Mailbox -Identity diegos@fabrikam.com -LitigationHoldEnabled $false");
    expect(up.outputs.batches).toEqual({});
  });

  test("batch: {} — the preview shows the batch of the ready users and writes nothing; up creates it, not started", async () => {
    day.batch = { start: false, complete: false, completeAfter: "" };
    let mark = emulator().requests.length;
    const plan = await runner.preview(program);
    expect(changed(plan)).toEqual(["create batch/wave-1"]);
    expect(writesSince(emulator(), mark)).toEqual([]);
    // What Exchange will say about the batch is known after up.
    expect(plan.outputs.batches).toBe(UNKNOWN);
    mark = emulator().requests.length;
    const up = await runner.up(program);
    expect(changed(up)).toEqual(["create batch/wave-1"]);
    expect(writesSince(emulator(), mark)).toEqual(["New-MigrationBatch"]);
    expect((up.outputs.batches as Record<string, Rec>)["wave-1"]).toMatchObject({
      status: "Stopped",
      total: 2,
      synced: 0,
      completed: 0,
    });
    const batch = runner.engine.states.get(
      runner.engine.urn({ type: "pulumi-nodejs:dynamic/xtmm:MigrationBatch", name: "batch/wave-1" }),
    )!;
    expect(batch.outputs.targetAddresses).toEqual(["adelev@contoso.com", "meganb@contoso.com"]);
  });

  test("start: true — previewed, then started; the outputs and npm run status show the sync", async () => {
    day.batch = { ...day.batch!, start: true };
    expect(changed(await runner.preview(program))).toEqual(["update batch/wave-1"]);
    let mark = emulator().requests.length;
    expect(changed(await runner.up(program))).toEqual(["update batch/wave-1"]);
    expect(writesSince(emulator(), mark)).toEqual(["Start-MigrationBatch"]);
    await refreshUntil(runner, /^Synced$/);
    mark = emulator().requests.length;
    const up = await runner.up(program);
    expect(changed(up)).toEqual([]);
    expect(writesSince(emulator(), mark)).toEqual([]);
    expect((up.outputs.batches as Record<string, Rec>)["wave-1"]).toEqual({
      wave: "wave-1",
      status: "Synced",
      total: 2,
      synced: 2,
      completed: 0,
      failed: 0,
    });

    const client = createTenantClient(emulatorTenantSettings(emulator(), "target"));
    const resources = stackExport(runner);
    const text = render(await collect(resources, client), openFindings(resources)).join("\n");
    expect(text).toMatch(/^Wave wave-1: 2 user\(s\) in 1 batch\(es\), 1 in none$/m);
    expect(text).toMatch(/^ {2}Batch wave-1: Synced; 2 synced, 0 completed, 0 failed of 2$/m);
    expect(text).toMatch(/^ {4}adelev@contoso\.com +Synced +\d+%$/m);
    expect(text).toMatch(/^ {4}diegos@contoso\.com +held +\? {2}/m);
    // The findings still open come from the Readiness resource, under its wave.
    expect(text).toMatch(/^Readiness findings still open \(3\):$/m);
    expect(text).toMatch(
      /^ {2}blocking wave-1 user\.hold\.litigation: diegos@contoso\.com \(source diegos@fabrikam\.com\): litigation hold is enabled .* Fix: .*Set-Mailbox -Identity diegos@fabrikam\.com -LitigationHoldEnabled \$false/m,
    );
  });

  test("complete: true — previewed, then completed; the moved users stay in the batch and the next up is a no-op", async () => {
    day.batch = { ...day.batch!, complete: true };
    expect(changed(await runner.preview(program))).toEqual(["update batch/wave-1"]);
    const mark = emulator().requests.length;
    expect(changed(await runner.up(program))).toEqual(["update batch/wave-1"]);
    expect(writesSince(emulator(), mark)).toEqual(["Complete-MigrationBatch"]);
    await refreshUntil(runner, /^Completed$/);
    for (const a of ["adelev", "meganb"])
      expect(recipient(tenantOf(emulator(), "target"), `${a}@contoso.com`)?.RecipientTypeDetails).toBe("UserMailbox");
    await runner.refresh();
    // Readiness sees the moves (its summary changes; nothing is written), then nothing changes at all.
    let mark2 = emulator().requests.length;
    const after = await runner.up(program);
    expect(changed(after).filter((c) => c !== "update readiness/wave-1")).toEqual([]);
    expect(writesSince(emulator(), mark2)).toEqual([]);
    expect((after.outputs.readiness as Record<string, Rec>)["wave-1"].summary).toMatchObject({ moved: 2, blocked: 1 });
    expect((after.outputs.waves as Record<string, Rec[]>)["wave-1"].map((u) => u.state)).toEqual([
      "migrated",
      "migrated",
      "held",
    ]);
    expect((after.outputs.batches as Record<string, Rec>)["wave-1"]).toMatchObject({
      status: "Completed",
      completed: 2,
    });
    mark2 = emulator().requests.length;
    const calls = runner.engine.calls.length;
    expect(changed(await runner.up(program))).toEqual([]);
    expect(runner.engine.calls.slice(calls).filter((c) => !/^(check|diff) /.test(c))).toEqual([]);
    expect(writesSince(emulator(), mark2)).toEqual([]);
  });

  test("destroy leaves the completed batch, its endpoint and the moved mailboxes, with warnings and the commands; removes the rest", async () => {
    const mark = emulator().requests.length;
    await runner.destroy();
    expect(runner.engine.states.size).toBe(0);
    const t = tenantOf(emulator(), "target");
    const endpoint = objects(t.exchange.migrationEndpoints)[0];
    expect(endpoint?.Name).toBe("migration-from-fabrikam");
    expect(objects(t.exchange.migrationBatches).map((b) => [b.Name, b.Status])).toEqual([["wave-1", "Completed"]]);
    for (const a of ["adelev", "meganb"])
      expect(recipient(t, `${a}@contoso.com`)?.RecipientTypeDetails).toBe("UserMailbox");
    // Everything else of the stack is gone: the app, the relationships, the scope group, the held user's record.
    expect(objects(t.exchange.organizationRelationships)).toEqual([]);
    expect(objects(tenantOf(emulator(), "source").exchange.organizationRelationships)).toEqual([]);
    expect(objects(t.directory.applications).filter((a) => /migration/i.test(String(a.displayName)))).toEqual([]);
    expect(recipient(tenantOf(emulator(), "source"), "migration-to-contoso@fabrikam.onmicrosoft.com")).toBeUndefined();
    expect(writesSince(emulator(), mark)).not.toContain("Remove-MigrationBatch");
    await providerHost().waitForOutput(
      "Migration batch 'wave-1' is Completed (2 of 2 mailboxes moved); it is left in place as a record of the move.",
    );
    const warning =
      "MigrationEndpoint 'migration-from-fabrikam' is left in place in the target tenant: Exchange refuses to remove it while 'wave-1' (Completed) uses it " +
      "(completed batches are kept as the record of the moves; Microsoft removes them after 60 days). To remove it now, in Exchange Online PowerShell run " +
      "Remove-MigrationBatch -Identity 'wave-1' -Confirm:$false; then Remove-MigrationEndpoint -Identity 'migration-from-fabrikam' -Confirm:$false.";
    await providerHost().waitForOutput(warning);
    await providerHost().waitForOutput("MailUser adelev@contoso.com has moved");

    // The commands the warning gives do what it says.
    const exo = createTenantClient(emulatorTenantSettings(emulator(), "target"), {
      exchange: { baseDelayMs: 5, maxDelayMs: 50 },
    }).exchange;
    await exo.invoke("Remove-MigrationBatch", { Identity: "wave-1", Confirm: false });
    for (
      let i = 0;
      i < 100 && (await exo.invoke("Get-MigrationBatch", { Endpoint: "migration-from-fabrikam" })).value.length > 0;
      i++
    )
      await sleep(50);
    await exo.invoke("Remove-MigrationEndpoint", { Identity: "migration-from-fabrikam", Confirm: false });
    expect(objects(t.exchange.migrationEndpoints)).toEqual([]);
  });
});

describe("removeCompletedBatchesOnDestroy: destroy removes the completed batch, then the endpoint", () => {
  test("a batch started and completed in one reviewed change; destroy leaves only the moved mailbox", async () => {
    const runner = new ProgramRunner(new Engine(providerHost()));
    const program = pairProgram({
      users: ["alexw"],
      batch: { start: true, complete: true, completeAfter: "" },
      removeCompleted: true,
    });
    const plan = await runner.preview(program);
    expect(changed(plan)).toContain("create batch/wave-1");
    await runner.up(program);
    await refreshUntil(runner, /^Completed$/);
    expect(recipient(tenantOf(emulator(), "target"), "alexw@contoso.com")?.RecipientTypeDetails).toBe("UserMailbox");
    const mark = emulator().requests.length;
    await runner.destroy();
    const writes = writesSince(emulator(), mark);
    expect(writes).toContain("Remove-MigrationBatch");
    // The removed batch shows "Removing" for a while and still counts as using the endpoint: the endpoint's
    // delete tries again until it has gone (3 attempts in a typical run), and no endpoint is left behind.
    expect(writes.filter((w) => w === "Remove-MigrationEndpoint").length).toBeGreaterThanOrEqual(1);
    expect(writes.indexOf("Remove-MigrationBatch")).toBeLessThan(writes.indexOf("Remove-MigrationEndpoint"));
    const t = tenantOf(emulator(), "target");
    expect(objects(t.exchange.migrationEndpoints)).toEqual([]);
    expect(objects(t.exchange.migrationBatches).filter((b) => b.Status !== "Removing")).toEqual([]);
    expect(recipient(t, "alexw@contoso.com")?.RecipientTypeDetails).toBe("UserMailbox");
    expect(providerHost().output()).not.toMatch(
      /MigrationEndpoint 'migration-from-fabrikam' is left in place[\s\S]*wave-1' \(Removing\)/,
    );
  });
});
