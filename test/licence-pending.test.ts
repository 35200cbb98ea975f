// Just-assigned licences are pending, not missing. A stack that licenses a wave (licences: assign target) and
// creates its batch in the same `up` assigns the Cross Tenant User Data Migration licence through Graph moments
// before the batch; Exchange shows a new licence only later (the emulator's licenceVisibleAfterMs knob). Through
// the whole program and the real provider host (ProgramRunner): readiness reports those users as pending (not
// blocked, not unlicensed), the batch keeps them and its create waits (bounded) until Exchange shows the licence,
// then submits them all; the next up is quiet. When the licence does not show within the bound, the up fails at
// the batch naming the users, with nothing submitted, and the next up creates it. The pure rules come first.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { useEmulator } from "./support/emulator";
import { Engine } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import { ProgramRunner, type RunResult, type Step } from "../harness/programRunner";
import { CrossTenantMigration } from "../components/crossTenantMigration";
import { awaitedLicences, licensedTargets } from "../components/waveBatches";
import { checkAwaitLicences } from "../providers/migrationBatch/licences";
import { planUsers, type PlannedUser } from "../providers/staging/plan";
import { expandFindings, type Finding } from "../providers/readiness";
import { findTenant, type Rec, type TenantState } from "../emulator/model";
import { DEFAULT_EXCHANGE_KNOBS } from "../emulator/exchange/knobs";
import { FAKE_PWSH } from "../emulator/fakePwsh";

// ---- the rules, pure ----

const planned = (a: string): PlannedUser => ({
  sourceAddress: `${a}@fabrikam.com`,
  targetPrimary: `${a}@contoso.com`,
  userPrincipalName: `${a}@contoso.com`,
  alias: a,
});
const licenceFinding = (user: string, pending: boolean): Finding => ({
  check: "user.licence",
  severity: "blocking",
  tenant: "target",
  user,
  pending,
  message: "",
  fix: "",
});

describe("which users a batch waits for", () => {
  const users = ["adelev", "meganb", "leeg"].map(planned);

  test("the licensed users are named by their target address, whichever side holds the licence", () => {
    expect(licensedTargets(users, "target", ["meganb@contoso.com", "adelev@contoso.com"])).toEqual([
      "adelev@contoso.com",
      "meganb@contoso.com",
    ]);
    expect(licensedTargets(users, "source", ["LeeG@fabrikam.com"])).toEqual(["leeg@contoso.com"]);
    expect(licensedTargets(users, "target", [])).toEqual([]);
  });

  test("only users of the part that this stack licensed and readiness still finds pending on the licence", () => {
    const part = ["adelev@contoso.com", "meganb@contoso.com"];
    const findings = [
      licenceFinding("adelev@contoso.com", true),
      // Blocking for good (not pending): readiness leaves the user out, the batch does not wait for it.
      licenceFinding("meganb@contoso.com", false),
      // Pending, but outside the part.
      licenceFinding("leeg@contoso.com", true),
    ];
    const licensed = ["adelev@contoso.com", "meganb@contoso.com", "leeg@contoso.com"];
    expect(awaitedLicences(part, users, "target", licensed, findings)).toEqual(["adelev@contoso.com"]);
    expect(awaitedLicences(part, users, "source", licensed, findings)).toEqual(["adelev@fabrikam.com"]);
    // A pending licence finding of a user this stack did not license is not waited for.
    expect(awaitedLicences(part, users, "target", ["meganb@contoso.com"], findings)).toEqual([]);
    expect(awaitedLicences(part, users, "target", licensed, undefined)).toEqual([]);
  });

  test("the batch's awaitLicences input is checked offline, naming the property", () => {
    expect(checkAwaitLicences(undefined)).toEqual([]);
    expect(checkAwaitLicences({ tenant: "target", addresses: ["adelev@contoso.com"] })).toEqual([]);
    for (const bad of [{ tenant: "elsewhere", addresses: [] }, { tenant: "target", addresses: ["not an address"] }, []])
      expect(checkAwaitLicences(bad)).toEqual([{ property: "awaitLicences", reason: expect.stringMatching(/tenant/) }]);
  });
});

// ---- one up, through the provider host ----

const REPORTS = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-licence-pending-"));
afterAll(() => fs.rmSync(REPORTS, { recursive: true, force: true }));

/** How long the emulated Exchange takes to show a new licence, and the provider's bound on waiting for it. */
const VISIBLE_AFTER_MS = 4_000;
const WAIT_BOUND_SECONDS = 20;

const emulator = useEmulator({
  exchange: { ...DEFAULT_EXCHANGE_KNOBS, migrationPhaseMs: 150, licenceVisibleAfterMs: VISIBLE_AFTER_MS },
});
const providerHost = useProviderHost(emulator, {
  config: { pwshPath: FAKE_PWSH },
  env: { XTMM_LICENCE_WAIT_SECONDS: String(WAIT_BOUND_SECONDS) },
});
const tenant = (role: "source" | "target"): TenantState =>
  findTenant(emulator().state, emulator().tenants[role].tenantId)!;
const short = (s: Step | string) => (typeof s === "string" ? s : s.urn).split("::").pop()!;
const changed = (r: RunResult) =>
  r.steps
    .filter((s) => s.op !== "same")
    .map((s) => `${s.op} ${short(s)}`)
    .sort();
const objects = (m: Map<string, { obj: Rec }>) => [...m.values()].map((s) => s.obj);
const recipient = (address: string) =>
  objects(tenant("target").exchange.recipients).find((o) => String(o.PrimarySmtpAddress).toLowerCase() === address);
const licensedInExchange = (address: string) =>
  ((recipient(address)?.PersistedCapabilities as string[] | undefined) ?? []).includes("ExchangeT2TMbxMove");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const batches = () => objects(tenant("target").exchange.migrationBatches);
/** Writes since `mark`, with when they were made. */
const writes = (mark: number) =>
  emulator()
    .requests.slice(mark)
    .filter(
      (r) =>
        (r.surface === "exchange" && r.cmdlet !== undefined && !/^Get-/i.test(r.cmdlet)) ||
        (r.surface === "graph" && r.method !== "GET"),
    )
    .map((r) => ({ what: r.surface === "exchange" ? String(r.cmdlet) : `${r.method} ${r.path}`, at: r.at }));

function program(waves: Record<string, string[]>) {
  return () => {
    const e = emulator();
    const plans = Object.entries(waves).map(([name, aliases]) => ({
      name,
      users: planUsers(
        aliases.map((a) => ({ source: `${a}@fabrikam.com` })),
        { "fabrikam.com": "contoso.com" },
      ).users,
      batch: { start: false, complete: false, completeAfter: "" },
    }));
    const pair = new CrossTenantMigration("pair", {
      source: { tenantId: e.tenants.source.tenantId, domain: e.tenants.source.domain },
      target: { tenantId: e.tenants.target.tenantId, domain: e.tenants.target.domain },
      waves: plans,
      targetDomains: ["contoso.com"],
      purgeStagedUsersOnDestroy: true,
      licences: { assign: "target", usageLocation: "US" },
      readinessReportDir: REPORTS,
    });
    return { readiness: pair.readinessState, batches: pair.batchesState };
  };
}

describe("licences and a batch in one up", () => {
  let runner: ProgramRunner;
  const WAVE = ["adelev", "meganb"];
  const TARGETS = WAVE.map((a) => `${a}@contoso.com`);

  beforeAll(() => {
    runner = new ProgramRunner(new Engine(providerHost()));
  });

  test("the users licensed by this run are pending, the batch waits for Exchange to show the licence, then takes them all", async () => {
    const mark = emulator().requests.length;
    const up = await runner.up(program({ "wave-1": WAVE }));
    expect(changed(up)).toEqual(expect.arrayContaining(["create licences/wave-1", "create batch/wave-1"]));
    const licences = runner.engine.states.get(
      runner.engine.urn({ type: "pulumi-nodejs:dynamic/xtmm:LicenceAssignment", name: "licences/wave-1" }),
    )!;
    const assigned = (licences.outputs.assigned as { address: string }[]).map((a) => a.address);
    expect(assigned.sort()).toEqual([...TARGETS].sort());

    // Readiness ran right after the assignment: neither user is blocked; those without a licence Exchange shows
    // (on the source mailbox or the MailUser) are pending on the licence this stack assigned.
    const readiness = runner.engine.states.get(
      runner.engine.urn({ type: "pulumi-nodejs:dynamic/xtmm:Readiness", name: "readiness/wave-1" }),
    )!.outputs;
    const pendingLicences = expandFindings(readiness).filter((f) => f.check === "user.licence");
    expect(pendingLicences.length).toBeGreaterThan(0);
    for (const f of pendingLicences) {
      expect(f).toMatchObject({ pending: true, severity: "blocking" });
      expect(f.message).toMatch(
        /this stack assigned the Cross Tenant User Data Migration licence.*does not show it yet/,
      );
    }
    expect(readiness.blockedUsers).toEqual([]);
    expect(readiness.summary).toMatchObject({ users: 2, blocked: 0, pending: pendingLicences.length });
    // A licence assigned and not yet shown is not one more licence needed.
    expect((readiness.licences as Rec).needed).toBe(0);

    // The batch waited for exactly those users, and was submitted only once Exchange showed their licence.
    const batch = runner.engine.states.get(
      runner.engine.urn({ type: "pulumi-nodejs:dynamic/xtmm:MigrationBatch", name: "batch/wave-1" }),
    )!;
    expect(batch.inputs.awaitLicences).toEqual({
      tenant: "target",
      addresses: pendingLicences.map((f) => f.user),
    });
    expect(batch.outputs.targetAddresses).toEqual(TARGETS);
    expect(batches().map((b) => [b.Identity ?? b.Name, b.TotalCount])).toEqual([["wave-1", 2]]);
    const done = writes(mark);
    const lastLicence = Math.max(...done.filter((w) => /assignLicense$/.test(w.what)).map((w) => w.at));
    const submitted = done.find((w) => w.what === "New-MigrationBatch")!;
    // The emulated Exchange stamps a licence once its (whole-second) assignment time is VISIBLE_AFTER_MS old.
    expect(submitted.at - lastLicence).toBeGreaterThanOrEqual(VISIBLE_AFTER_MS - 1_000);
    for (const t of TARGETS) expect(licensedInExchange(t)).toBe(true);
  });

  test("the next up sees the licences: readiness records them (no longer pending), the batch stays as it is, nothing is written", async () => {
    const mark = emulator().requests.length;
    const up = await runner.up(program({ "wave-1": WAVE }));
    expect(changed(up)).toEqual(["update readiness/wave-1"]);
    expect(writes(mark)).toEqual([]);
    const summary = ((up.outputs.readiness as Record<string, Rec>)["wave-1"].summary ?? {}) as Rec;
    expect(summary).toMatchObject({ users: 2, ready: 2, blocked: 0, pending: 0 });
    const again = await runner.up(program({ "wave-1": WAVE }));
    expect(changed(again)).toEqual([]);
  });

  test("a licence Exchange does not show within the bound: the up fails at the batch, naming the user, with nothing submitted; the next up creates it", async () => {
    // Longer than the provider's bound: the wait runs out.
    emulator().options.exchange.licenceVisibleAfterMs = (WAIT_BOUND_SECONDS + 10) * 1000;
    const mark = emulator().requests.length;
    const err = await runner.up(program({ "wave-1": WAVE, "wave-2": ["leeg"] })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(
      /Migration batch 'wave-2': Exchange does not show the Cross Tenant User Data Migration licence of leeg@contoso\.com after \d+ s.*Nothing was created; run pulumi up again/s,
    );
    expect(writes(mark).map((w) => w.what)).not.toContain("New-MigrationBatch");
    expect(batches().map((b) => b.Identity ?? b.Name)).toEqual(["wave-1"]);
    // Readiness had the user pending, not blocked: the batch kept it and waited.
    const readiness = runner.engine.states.get(
      runner.engine.urn({ type: "pulumi-nodejs:dynamic/xtmm:Readiness", name: "readiness/wave-2" }),
    )!.outputs;
    expect(readiness.blockedUsers).toEqual([]);
    expect(readiness.summary).toMatchObject({ users: 1, pending: 1, blocked: 0 });

    // Exchange catches up (here: the knob back to a short delay); the next up submits the batch with the user.
    emulator().options.exchange.licenceVisibleAfterMs = VISIBLE_AFTER_MS;
    await sleep(VISIBLE_AFTER_MS);
    const up = await runner.up(program({ "wave-1": WAVE, "wave-2": ["leeg"] }));
    expect(changed(up)).toContain("create batch/wave-2");
    expect(
      batches()
        .map((b) => [b.Identity ?? b.Name, b.TotalCount])
        .sort(),
    ).toEqual([
      ["wave-1", 2],
      ["wave-2", 1],
    ]);
  });

  test("destroy takes back the licences and leaves no batch", async () => {
    await runner.destroy();
    expect(batches()).toEqual([]);
    for (const t of [...TARGETS, "leeg@contoso.com"]) expect(recipient(t)).toBeUndefined();
  });
});
