// The live test move per ready user (waves.<wave>.liveTest), through the whole program and the real provider
// host: a preview makes no Test-MigrationServerAvailability -TestMailbox call; an up makes one per ready user,
// at most exchangeConcurrency at a time; a failed test is a blocking user.liveTest finding with its message and a
// fix, the user is in blockedUsers, and the report and the readiness output carry every result. Both paths: the
// admin API when it binds the pair, the PowerShell runner when it refuses it (the emulator's
// endpointTestMailboxRoutes knob). The wave key and the fixes are checked offline first.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { useEmulator } from "./support/emulator";
import { Engine } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import { ProgramRunner } from "../harness/programRunner";
import { CrossTenantMigration } from "../components/crossTenantMigration";
import { planUsers } from "../providers/staging/plan";
import type { Finding, LiveTest } from "../providers/readiness";
import { liveTestFix } from "../providers/readiness/liveTest";
import { readinessImpl } from "../providers/readiness";
import { DEFAULT_EXCHANGE_KNOBS } from "../emulator/exchange/knobs";
import { FAKE_PWSH } from "../emulator/fakePwsh";
import { readStaging } from "../config/waves";
import { StackConfigError } from "../config/stackConfig";
import type { Rec } from "../emulator/model";

// ---- offline ----

test("waves.<wave>.liveTest must be a boolean, and the error names the key", () => {
  const all: Record<string, string> = {
    "xtmm:targetDomain": "contoso.onmicrosoft.com",
    "xtmm:targetDomains": JSON.stringify(["contoso.com"]),
    "xtmm:domainMap": JSON.stringify({ "fabrikam.com": "contoso.com" }),
    "xtmm:waves": JSON.stringify({ w1: { users: ["adelev@fabrikam.com"], liveTest: "yes" } }),
  };
  pulumi.runtime.setAllConfig(all);
  expect(() => readStaging(new pulumi.Config("xtmm"), os.tmpdir())).toThrow(StackConfigError);
  expect(() => readStaging(new pulumi.Config("xtmm"), os.tmpdir())).toThrow(
    /waves\.w1\.liveTest must be true or false/,
  );
  all["xtmm:waves"] = JSON.stringify({ w1: { users: ["adelev@fabrikam.com"], liveTest: true } });
  pulumi.runtime.setAllConfig(all);
  expect(readStaging(new pulumi.Config("xtmm"), os.tmpdir()).waves[0].liveTest).toBe(true);
});

test("a failure's fix follows what the test said, from the causes Microsoft lists", () => {
  const u = { source: "adelev@fabrikam.com", target: "adelev@contoso.com" };
  expect(liveTestFix(u, "object 'adelev@contoso.com' couldn't be found on 'X'")).toContain(
    "Get-MailUser adelev@contoso.com",
  );
  expect(liveTestFix(u, "MailboxNotInCrossTenantMigrationScopeException: …")).toContain("scope group");
  expect(liveTestFix(u, "The connection to the server 'outlook.office.com' could not be completed.")).toMatch(
    /EXCH-08.*MailboxMoveRemoteHostName.*soft-deleted/,
  );
});

test("diff: a record from before the key, or with it off, is unchanged; with it on, every up is a change", async () => {
  const base = { wave: "w1", users: [], summary: {}, findings: [] } as unknown as Rec;
  const diff = (olds: Rec, news: Rec) => readinessImpl.diff!("readiness/w1", olds as never, news as never);
  expect(await diff(base, base)).toEqual({ changes: false });
  expect(await diff({ ...base, liveTest: null, liveTests: null }, base)).toEqual({ changes: false });
  expect(await diff({ ...base, liveTest: true, liveTests: [] }, { ...base, liveTest: true })).toMatchObject({
    changes: true,
    diffs: ["liveTests"],
  });
  expect(await diff({ ...base, liveTest: true, liveTests: [] }, base)).toMatchObject({
    changes: true,
    diffs: ["liveTest"],
  });
});

// ---- through the provider host ----

const REPORTS = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-live-test-"));
afterAll(() => fs.rmSync(REPORTS, { recursive: true, force: true }));

const emulator = useEmulator({ exchange: { ...DEFAULT_EXCHANGE_KNOBS } });
const providerHost = useProviderHost(emulator, { config: { pwshPath: FAKE_PWSH } });
const WAVE = ["adelev", "meganb"];
const TARGETS = WAVE.map((a) => `${a}@contoso.com`);

/** The live tests (calls with -TestMailbox cannot be told from the endpoint's own test by cmdlet name: both are counted). */
const liveCalls = (mark: number) =>
  emulator()
    .requests.slice(mark)
    .filter((r) => r.cmdlet === "Test-MigrationServerAvailability" && r.status === 200)
    .map((r) => (r.path.includes("/_pwsh/") ? "pwsh" : "rest"));

function program(liveTest: boolean) {
  return () => {
    const e = emulator();
    const pair = new CrossTenantMigration("pair", {
      source: { tenantId: e.tenants.source.tenantId, domain: e.tenants.source.domain },
      target: { tenantId: e.tenants.target.tenantId, domain: e.tenants.target.domain },
      waves: [
        {
          name: "wave-1",
          users: planUsers(
            WAVE.map((a) => ({ source: `${a}@fabrikam.com` })),
            { "fabrikam.com": "contoso.com" },
          ).users,
          ...(liveTest ? { liveTest } : {}),
        },
      ],
      targetDomains: ["contoso.com"],
      purgeStagedUsersOnDestroy: true,
      licences: { assign: "target", usageLocation: "US" },
      readinessReportDir: REPORTS,
    });
    return { readiness: pair.readinessState };
  };
}

describe("a wave with liveTest", () => {
  let runner: ProgramRunner;
  const readiness = () =>
    runner.engine.states.get(
      runner.engine.urn({ type: "pulumi-nodejs:dynamic/xtmm:Readiness", name: "readiness/wave-1" }),
    )!.outputs as Rec;

  beforeAll(async () => {
    runner = new ProgramRunner(new Engine(providerHost()));
    // Staged and licensed first, without the live test: the wave's users are ready.
    await runner.up(program(false));
    expect(readiness().blockedUsers).toEqual([]);
    expect(readiness().liveTests).toBeNull();
  });

  test("preview makes no live test call; up makes one per ready user over the admin API; a failure blocks with its message", async () => {
    emulator().options.exchange.liveTestFailures = { "meganb@contoso.com": "The source mailbox is over its quota." };
    let mark = emulator().requests.length;
    await runner.preview(program(true));
    expect(liveCalls(mark)).toEqual([]);
    // The preview's check wrote the report: it says the live test runs at up.
    expect(fs.readFileSync(readiness().reportFile as string, "utf8")).toContain("| Live test move |");

    mark = emulator().requests.length;
    const up = await runner.up(program(true));
    expect(liveCalls(mark)).toEqual(["rest", "rest"]);
    const out = readiness();
    const tests = out.liveTests as LiveTest[];
    expect(tests.map((t) => [t.target, t.result, t.via])).toEqual([
      ["adelev@contoso.com", "Success", "adminApi"],
      ["meganb@contoso.com", "Failed", "adminApi"],
    ]);
    const f = (out.findings as Finding[]).find((x) => x.check === "user.liveTest")!;
    expect(f).toMatchObject({ severity: "blocking", user: "meganb@contoso.com", pending: false, tenant: "target" });
    expect(f.message).toContain("could not be completed");
    expect(f.fix).toContain("EXCH-08");
    expect(out.blockedUsers).toEqual(["meganb@contoso.com"]);
    expect(out.summary).toMatchObject({ users: 2, ready: 1, blocked: 1 });
    const report = fs.readFileSync(out.reportFile as string, "utf8");
    expect(report).toContain("## Live test moves");
    expect(report).not.toContain("| Live test move |");
    expect(report).toMatch(/\| adelev@fabrikam\.com \| adelev@contoso\.com \| Success \|/);
    expect(report).toMatch(/\| meganb@fabrikam\.com \| meganb@contoso\.com \| Failed \| The connection/);
    const view = (up.outputs.readiness as Rec)["wave-1"] as Rec;
    expect((view.liveTests as Rec[]).map((t) => [t.target, t.result, typeof t.fix])).toEqual([
      ["adelev@contoso.com", "Success", "undefined"],
      ["meganb@contoso.com", "Failed", "string"],
    ]);
  });

  test("the admin API refuses -TestMailbox beside -Endpoint: the PowerShell runner runs the tests", async () => {
    emulator().options.exchange.liveTestFailures = {};
    emulator().options.exchange.endpointTestMailboxRoutes = "pwsh";
    const mark = emulator().requests.length;
    await runner.up(program(true));
    // The admin API refused the calls already in flight (at most exchangeConcurrency, 2), then every user went
    // through PowerShell.
    expect(liveCalls(mark)).toEqual(["pwsh", "pwsh"]);
    const refused = emulator.expectViolations();
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeLessThanOrEqual(2);
    for (const v of refused) expect(v).toMatchObject({ kind: "no-parameter-set" });
    const tests = readiness().liveTests as LiveTest[];
    expect(tests.map((t) => [t.target, t.result, t.via])).toEqual(TARGETS.map((t) => [t, "Success", "powershell"]));
    expect(readiness().blockedUsers).toEqual([]);
  });

  test("without the opt-in, up runs no live test and the record says none ran", async () => {
    emulator().options.exchange.endpointTestMailboxRoutes = "both";
    const mark = emulator().requests.length;
    await runner.up(program(false));
    expect(liveCalls(mark)).toEqual([]);
    expect(readiness().liveTests).toBeNull();
    await runner.destroy();
  });
});
