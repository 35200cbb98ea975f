// The sandbox STACK converges: the real program (index.ts) with the configuration `npm run sandbox` gives it
// (stacks/Pulumi.sandbox.yaml, plus the emulator's endpoints, tenant ids and operator credentials that
// scripts/sandbox.ts writes into its generated copy), run by ProgramRunner through the real dynamic-provider
// host against the emulator, as `pulumi preview`, `pulumi up`, `pulumi up` again and `pulumi destroy` would run
// it. scripts/sandbox.ts needs the Pulumi CLI, which cannot be installed here (sandbox.test.ts covers its
// boundary with the CLI); this covers what its `pulumi up` would do.
//
// The configuration is built the way scripts/sandbox.ts builds it: the file's values, then
// the script's `emulatorValues` over them (the emulator's endpoints and credentials, and its stand-in for
// pwsh), the operator secrets as secret values (the CLI encrypts them). One value is this test's own
// (OURS): readinessReportDir, a temporary directory, never the checkout.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { useEmulator, tenantOf } from "./support/emulator";
import { Engine } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import { ProgramRunner, type RunResult, type Step } from "../harness/programRunner";
import { UNKNOWN } from "../harness/providerHost";
import { binnedApp, dropBinnedApp, snapshot, type Snapshot } from "./support/tenantSnapshot";
import { writesSince } from "./engineers-day.test";
import { EMULATOR_SECRET_KEYS, emulatorStackConfig } from "../emulator/stackConfig";
import { emulatorValues } from "../scripts/sandbox";
import { type Rec, type TenantState } from "../emulator/model";
import type { Emulator } from "../emulator";
import indexProgram = require("../index");
import { FAKE_PWSH } from "../emulator/fakePwsh";
import { PAIR_RESOURCES, waveResources } from "./support/pairResources";
import { expectNoSecrets } from "./support/secrets";

const root = path.resolve(__dirname, "..");
const STACK = "sandbox";
const SANDBOX_FILE = path.join(root, "stacks", `Pulumi.${STACK}.yaml`);

/** The file's `config:` as the CLI hands it to the program and the provider host: strings as they are, the rest as JSON. */
function fileConfig(): Record<string, string> {
  const doc = parse(fs.readFileSync(SANDBOX_FILE, "utf8")) as { config: Record<string, unknown> };
  return Object.fromEntries(
    Object.entries(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

const FILE = fileConfig();
const REPORTS = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-sandbox-stack-"));
afterAll(() => fs.rmSync(REPORTS, { recursive: true, force: true }));
/** This test's own values, beyond the file and the emulator's. */
const OURS: Record<string, string> = {
  // Reports go to a temporary directory, never into the checkout.
  "xtmm:readinessReportDir": REPORTS,
};

/** What scripts/sandbox.ts's writeStackConfig and `pulumi config set --secret` leave in the generated stack file, and OURS. */
function sandboxConfig(e: Emulator): Record<string, string> {
  return { ...FILE, ...emulatorValues(e, root), ...OURS };
}

const emulator = useEmulator();
// The engine hands the provider host the same stack configuration (emulatorStackConfig(e, extra): the
// emulator's values, then the file's and ours; the first test checks the two orders agree).
// pwshPath: scripts/sandbox.ts points the stack at the emulator's stand-in for PowerShell; the first test
// checks it does.
const providerHost = useProviderHost(emulator, { config: { ...FILE, ...OURS, "xtmm:pwshPath": FAKE_PWSH } });
const short = (s: Step | string) => (typeof s === "string" ? s : s.urn).split("::").pop()!;
const changed = (r: RunResult) =>
  r.steps
    .filter((s) => s.op !== "same")
    .map((s) => `${s.op} ${short(s)}`)
    .sort();
const objects = (m: Map<string, { obj: Rec }>) => [...m.values()].map((s) => s.obj);
const recipient = (t: TenantState, address: string) =>
  objects(t.exchange.recipients).find((o) => String(o.PrimarySmtpAddress).toLowerCase() === address);

const program = () => indexProgram();

const WAVE = ["alexw", "adelev", "meganb", "info", "diegos"];
const STAGED = WAVE.filter((a) => a !== "diegos");
const RESOURCES = [
  ...PAIR_RESOURCES,
  ...waveResources("wave-1"),
  ...WAVE.map((a) => `mailuser/${a}@contoso.com`),
].sort();
const X500 = /^x500:/i;

describe("the sandbox stack (stacks/Pulumi.sandbox.yaml) against the emulator", () => {
  let runner: ProgramRunner;
  let before: Snapshot;
  let appSecrets: string[] = [];
  const report = path.join(REPORTS, `${STACK}-wave-1.md`);
  beforeAll(() => {
    pulumi.runtime.setAllConfig(sandboxConfig(emulator()), [...EMULATOR_SECRET_KEYS]);
    runner = new ProgramRunner(new Engine(providerHost(), { stack: STACK }), { stack: STACK });
    before = snapshot(emulator());
  });

  test("the program and the provider host get one configuration: the file's, the emulator's (with its pwsh stand-in), and this test's report directory", () => {
    const e = emulator();
    expect(sandboxConfig(e)).toEqual(emulatorStackConfig(e, { ...FILE, ...OURS, "xtmm:pwshPath": FAKE_PWSH }));
    // The file declares what the scenario below expects of it.
    expect(JSON.parse(FILE["xtmm:waves"])).toEqual({
      "wave-1": { users: WAVE.map((a) => `${a}@fabrikam.com`), batch: {} },
    });
    expect(JSON.parse(FILE["xtmm:licences"])).toEqual({ assign: "target", usageLocation: "US" });
    expect(FILE["xtmm:purgeStagedUsersOnDestroy"]).toBe("true");
    expect(FILE["xtmm:readinessReportDir"]).toBeUndefined();
  });

  test("preview is the change plan: every resource named for what it does, check and diff only, no tenant written", async () => {
    const e = emulator();
    const [mark, calls] = [e.requests.length, runner.engine.calls.length];
    const plan = await runner.preview(program);
    expect(plan.steps.map((s) => s.op).every((op) => op === "create")).toBe(true);
    expect(plan.steps.map(short).sort()).toEqual(RESOURCES);
    expect(runner.engine.calls.slice(calls).every((c) => /^(check|diff) /.test(c))).toBe(true);
    expect(writesSince(e, mark)).toEqual([]);
    expect(runner.engine.states.size).toBe(0);
    expect(snapshot(e)).toEqual(before);
    // What the configuration says is known at preview; what only Microsoft can say is not.
    expect(plan.outputs).toMatchObject({
      sourceTenantId: e.tenants.source.tenantId,
      targetTenantId: e.tenants.target.tenantId,
      endpointName: "migration-from-fabrikam",
      targetDeliveryDomain: "contoso.onmicrosoft.com",
      consentUrl: UNKNOWN,
      waves: UNKNOWN,
      batches: UNKNOWN,
    });
  });

  test("up stages the wave: Diego held with the reason, the others stamped, licensed, checked and batched, the batch not started", async () => {
    const e = emulator();
    const mark = e.requests.length;
    const up = await runner.up(program);
    expect(changed(up)).toEqual(RESOURCES.map((r) => `create ${r}`));
    const writes = writesSince(e, mark);
    expect(writes.filter((w) => /MigrationBatch/.test(w))).toEqual(["New-MigrationBatch"]);
    expect(writes.filter((w) => w === "New-MailUser")).toHaveLength(STAGED.length);

    // The waves output: Diego held, with the reason; the others staged.
    const waves = (up.outputs.waves as Record<string, Rec[]>)["wave-1"];
    expect(waves.map((u) => [u.source, u.target, u.state])).toEqual(
      WAVE.map((a) => [`${a}@fabrikam.com`, `${a}@contoso.com`, a === "diegos" ? "held" : "staged"]),
    );
    expect(waves.find((u) => u.source === "diegos@fabrikam.com")!.reasons).toEqual([
      expect.stringMatching(/litigation hold/i),
    ]);
    expect(waves.filter((u) => u.state === "staged").every((u) => (u.reasons as string[]).length === 0)).toBe(true);

    // Each staged MailUser carries its source's ExchangeGuid, ArchiveGuid (Adele and Megan have archives),
    // LegacyExchangeDN as an x500 and every x500 the source has (Alex's from an earlier move among them).
    const [src, tgt] = [tenantOf(emulator(), "source"), tenantOf(emulator(), "target")];
    for (const a of STAGED) {
      const s = recipient(src, `${a}@fabrikam.com`)!;
      const t = recipient(tgt, `${a}@contoso.com`);
      expect([a, t?.RecipientTypeDetails, t?.ExchangeGuid]).toEqual([a, "MailUser", s.ExchangeGuid]);
      const x500s = (t!.EmailAddresses as string[]).filter((x) => X500.test(x)).map((x) => x.toLowerCase());
      const want = [
        `x500:${String(s.LegacyExchangeDN)}`,
        ...(s.EmailAddresses as string[]).filter((x) => X500.test(x)),
      ].map((x) => x.toLowerCase());
      expect([a, x500s.sort()]).toEqual([a, [...new Set(want)].sort()]);
      if (a === "adelev" || a === "meganb") expect([a, t!.ArchiveGuid]).toEqual([a, s.ArchiveGuid]);
    }
    expect((recipient(src, "alexw@fabrikam.com")!.EmailAddresses as string[]).filter((x) => X500.test(x))).toHaveLength(
      1,
    );
    // Diego: recorded, not written; not in the scoping group.
    expect(recipient(tgt, "diegos@contoso.com")).toBeUndefined();
    expect(membersOf(src, "migration-to-contoso")).toEqual(STAGED.map((a) => `${a}@fabrikam.com`).sort());

    // Licences as the file says: each staged MailUser (and nobody else the stack made) has the Cross Tenant
    // User Data Migration licence, with usage location US.
    const sku = tgt.directory.subscribedSkus.find((x) => /cross.?tenant/i.test(String(x.skuPartNumber)))!;
    for (const a of STAGED) {
      const user = tgt.directory.users.get(String(recipient(tgt, `${a}@contoso.com`)!.ExternalDirectoryObjectId))!.obj;
      expect([a, user.usageLocation, (user.assignedLicenses as Rec[]).map((l) => l.skuId)]).toEqual([
        a,
        "US",
        [sku.skuId],
      ]);
    }

    // Readiness: the movable users ready, Diego blocked with the fix; the report in this test's directory.
    const readiness = (up.outputs.readiness as Record<string, Rec>)["wave-1"];
    expect(readiness.summary).toEqual({ users: 5, ready: 4, blocked: 1, pending: 0, moved: 0, warnings: 0 });
    // Licences: 10 in the emulated Contoso, 4 assigned; Diego (held) is still counted as needing one.
    expect(readiness.licences).toEqual({ needed: 1, sourceAvailable: 0, targetAvailable: 6 });
    expect(readiness.report).toBe(report);
    const md = fs.readFileSync(report, "utf8");
    expect(md).toMatch(/^# Readiness of wave wave-1/);
    expect(md).toMatch(/\| diegos@fabrikam.com \| diegos@contoso.com \| \*\*blocked\*\* \|/);
    expect(md).toContain("Set-Mailbox -Identity diegos@fabrikam.com -LitigationHoldEnabled $false");
    for (const a of STAGED) expect(md).toMatch(new RegExp(`\\| ${a}@fabrikam.com \\| ${a}@contoso.com \\| ready \\|`));

    // The batch: created with the four staged users, not started.
    expect((up.outputs.batches as Record<string, Rec>)["wave-1"]).toEqual({
      wave: "wave-1",
      status: "Stopped",
      total: 4,
      synced: 0,
      completed: 0,
      failed: 0,
    });
    expect(objects(tgt.exchange.migrationBatches).map((b) => [b.Identity ?? b.Name, b.Status])).toEqual([
      ["wave-1", "Stopped"],
    ]);
    const batch = runner.engine.states.get(
      runner.engine.urn({ type: "pulumi-nodejs:dynamic/xtmm:MigrationBatch", name: "batch/wave-1" }),
    )!;
    expect([...(batch.outputs.targetAddresses as string[])].sort()).toEqual(
      STAGED.map((a) => `${a}@contoso.com`).sort(),
    );

    // The app's client secret never reaches an output; the endpoint gets it as a secret.
    appSecrets = [...tgt.directory.secretValues.values()]
      .flatMap((m) => [...m.values()])
      .filter((v) => v !== e.tenants.target.clientSecret);
    expect(appSecrets).toHaveLength(1);
    expectNoSecrets(JSON.stringify(up.outputs), appSecrets, "the outputs");
    expect(up.steps.find((st) => short(st) === "migration-endpoint")?.secretInputs).toEqual(["clientSecret"]);
    expect(up.secretOutputs).toEqual([]);
  });

  test("a second up changes nothing and writes nothing", async () => {
    const e = emulator();
    const [mark, calls] = [e.requests.length, runner.engine.calls.length];
    const again = await runner.up(program);
    expect(changed(again)).toEqual([]);
    expect(again.steps.map(short).sort()).toEqual(RESOURCES);
    expect(runner.engine.calls.slice(calls).filter((c) => !/^(check|diff) /.test(c))).toEqual([]);
    expect(writesSince(e, mark)).toEqual([]);
  });

  test("the file's next step (waves.wave-1.batch.start true) previews as one update of the batch, writing nothing", async () => {
    const e = emulator();
    const mark = e.requests.length;
    const waves = JSON.parse(FILE["xtmm:waves"]);
    waves["wave-1"].batch.start = true;
    pulumi.runtime.setAllConfig({ ...sandboxConfig(e), "xtmm:waves": JSON.stringify(waves) }, [
      ...EMULATOR_SECRET_KEYS,
    ]);
    try {
      expect(changed(await runner.preview(program))).toEqual(["update batch/wave-1"]);
    } finally {
      pulumi.runtime.setAllConfig(sandboxConfig(e), [...EMULATOR_SECRET_KEYS]);
    }
    expect(writesSince(e, mark)).toEqual([]);
    expect(objects(tenantOf(emulator(), "target").exchange.migrationBatches).map((b) => b.Status)).toEqual(["Stopped"]);
  });

  test("destroy leaves both tenants as they were, apart from what the README says destroy leaves", async () => {
    const e = emulator();
    const appId = String(
      runner.engine.states.get(
        runner.engine.urn({ type: "pulumi-nodejs:dynamic/xtmm:MigrationApp", name: "migration-app" }),
      )!.outputs.appId,
    );
    await runner.destroy();
    expect(runner.engine.states.size).toBe(0);
    expectNoSecrets(providerHost().output(), appSecrets, "the provider host's console");
    const after = snapshot(e);
    // Entra keeps the deleted application and its service principals in its recycle bin; nothing else is
    // there (the staged users' Entra objects were purged: purgeStagedUsersOnDestroy).
    const binned = (label: "source" | "target") => binnedApp(after, label, appId);
    expect(
      binned("target")
        .map(([, o]) => o["@odata.type"])
        .sort(),
    ).toEqual(["#microsoft.graph.application", "#microsoft.graph.servicePrincipal"]);
    expect(binned("source").map(([, o]) => o["@odata.type"])).toEqual(["#microsoft.graph.servicePrincipal"]);
    dropBinnedApp(after, appId);
    // Exchange cannot dehydrate an organization again.
    expect(after.target.exchange.organizationConfig).toEqual({
      ...(before.target.exchange.organizationConfig as Rec),
      IsDehydrated: false,
    });
    after.target.exchange.organizationConfig = before.target.exchange.organizationConfig;
    // Everything else as it was: the batch (never started) and the endpoint removed, the MailUsers purged, the
    // licences taken back, the relationships, the scoping group and the consents gone.
    expect(after).toEqual(before);
    // Readiness reports stay on disk.
    expect(fs.existsSync(report)).toBe(true);
  });
});

function membersOf(t: TenantState, name: string): string[] {
  const g = objects(t.exchange.recipients).find((o) => String(o.Name).toLowerCase() === name)!;
  return (g.__members as string[])
    .map((id) => String(t.exchange.recipients.get(id.toLowerCase())!.obj.PrimarySmtpAddress).toLowerCase())
    .sort();
}
