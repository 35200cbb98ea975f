// Split administration: the source tenant's administrator runs their own stack. Played in the order two
// administrators would: the target stack first (its partner has published nothing yet), then the source
// stack (which reads the app from the target stack), then the target stack again (which reads the source
// consent and the source mailboxes). Each stack holds only its own tenant's credentials, declares only its
// own tenant's resources, and publishes one non-secret `partner` output; a secret there is refused.
// The last block plays the same day through two real provider hosts (one per administrator, each configured
// with only its own tenant's credentials) against the emulator. Needs `npx tsc -p tsconfig.json` first.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CrossTenantMigration } from "../components/crossTenantMigration";
import type { PartnerValues } from "../config/partner";
import { planUsers } from "../providers/staging/plan";
import { emulatorStackConfig } from "../emulator/stackConfig";
import { useEmulator } from "./support/emulator";
import { Engine } from "../harness/engine";
import { ProgramRunner, type RunResult } from "../harness/programRunner";
import type { ProviderHost } from "../harness/providerHost";
import {
  APP_ID,
  baseConfig,
  CLIENT_SECRET,
  CONSENTED_AT,
  runIndex,
  SOURCE,
  TARGET,
  type ProgramRun,
  type StackOutputs,
} from "./support/programMocks";
import { FAKE_PWSH } from "../emulator/fakePwsh";
import { useProviderHosts } from "./support/providerHost";
import { expectNoSecrets } from "./support/secrets";

const STAGING = {
  "xtmm:waves": { "wave-1": { users: ["alexw@fabrikam.com", "diegos@fabrikam.com"] } },
  "xtmm:domainMap": { "fabrikam.com": "contoso.com" },
  "xtmm:targetDomains": ["contoso.com"],
};
const SOURCE_STACK = "org/xtmm/fabrikam";
const TARGET_STACK = "org/xtmm/contoso";
const SOURCE_CREDENTIALS = {
  "xtmm:sourceClientId": undefined,
  "xtmm:sourceClientSecret": undefined,
  "xtmm:sourceAuth": undefined,
};
const TARGET_CREDENTIALS = {
  "xtmm:targetClientId": undefined,
  "xtmm:targetClientSecret": undefined,
  "xtmm:targetAuth": undefined,
};

const targetStack = (stacks: StackOutputs) =>
  runIndex(
    baseConfig({ ...STAGING, ...SOURCE_CREDENTIALS, "xtmm:manage": "target", "xtmm:partnerStack": SOURCE_STACK }),
    {
      secretKeys: ["xtmm:targetClientSecret"],
      stacks,
      stack: "contoso",
    },
  );
const sourceStack = (stacks: StackOutputs) =>
  runIndex(
    baseConfig({ ...STAGING, ...TARGET_CREDENTIALS, "xtmm:manage": "source", "xtmm:partnerStack": TARGET_STACK }),
    {
      secretKeys: ["xtmm:sourceClientSecret"],
      stacks,
      stack: "fabrikam",
    },
  );
const customNames = (run: ProgramRun) =>
  run.resources
    .filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))
    .map((r) => r.name)
    .sort();
/** Everything secret the two stacks know: none of it may reach the other stack. */
const SECRETS = [CLIENT_SECRET, "source-secret-value", "target-secret-value", "generated-mailuser-password"];

describe("the day of a split pair", () => {
  let first: ProgramRun;
  let source: ProgramRun;
  let second: ProgramRun;
  beforeAll(async () => {
    first = await targetStack({ [SOURCE_STACK]: { outputs: {} } });
    if (first.error) throw first.error;
    source = await sourceStack({ [TARGET_STACK]: { outputs: { partner: first.outputs.partner } } });
    if (source.error) throw source.error;
    second = await targetStack({ [SOURCE_STACK]: { outputs: { partner: source.outputs.partner } } });
    if (second.error) throw second.error;
  });

  test("first target up: the app and the target's own steps; the endpoint and staging wait for the source", () => {
    expect(customNames(first)).toEqual([
      "consent/target",
      "migration-app",
      "organization-customization/target",
      "relationship/target",
    ]);
    expect(first.outputs.nextSteps).toEqual([
      expect.stringMatching(/source tenant has not consented.*Run `pulumi up` in the source stack/),
    ]);
    expect(first.logs.join("\n")).toMatch(/has not consented/);
    expect(first.outputs.endpointName).toBeUndefined();
    expect(first.outputs.waves).toEqual({});
  });

  test("the target stack publishes only the app id, the consent URL and its tenant, in the clear", () => {
    expect(first.outputs.partner).toEqual({
      role: "target",
      tenantId: TARGET,
      domain: "contoso.onmicrosoft.com",
      appId: APP_ID,
      consentUrl: expect.stringContaining(`client_id=${APP_ID}`),
    });
    expect(first.secretExports).toEqual([]);
    expectNoSecrets(JSON.stringify(first.outputs), SECRETS, "the outputs");
  });

  test("the source stack consents to the target's app, scopes the wave and relates to the target; nothing of the target's", () => {
    expect(customNames(source)).toEqual([
      "consent/source",
      "organization-customization/source",
      "readiness/wave-1",
      "relationship/source",
      "scoping-group",
      "source-mailboxes/wave-1",
    ]);
    // The source side's pre-flight: the app the target stack published, the endpoint by its configured name.
    expect(source.byName("readiness/wave-1").inputs).toMatchObject({
      appId: APP_ID,
      endpointName: "migration-from-fabrikam",
      scopeGroup: "migration-to-contoso",
    });
    expect(source.dependsOn("readiness/wave-1", "scoping-group")).toBe(true);
    expect(source.byName("consent/source").inputs).toMatchObject({
      tenant: "source",
      appId: APP_ID,
      consentUrl: expect.stringContaining(APP_ID),
    });
    expect(source.byName("relationship/source").inputs).toMatchObject({
      partnerTenantId: TARGET,
      oauthApplicationId: APP_ID,
    });
    expect(source.dependsOn("relationship/source", "scoping-group")).toBe(true);
    expect(source.byName("scoping-group").inputs.members).toEqual(["alexw@fabrikam.com"]);
    expect(source.outputs.consentUrl).toEqual(expect.stringContaining(APP_ID));
    expect(source.outputs.nextSteps).toBeUndefined();
  });

  test("the source stack publishes the consent time and the source mailboxes, in the clear", () => {
    const partner = source.outputs.partner as Record<string, any>;
    expect(Object.keys(partner).sort()).toEqual(["consentedAt", "domain", "role", "sourceMailboxes", "tenantId"]);
    expect(partner).toMatchObject({ role: "source", tenantId: SOURCE, consentedAt: CONSENTED_AT });
    expect(
      partner.sourceMailboxes["wave-1"].map(
        (m: { sourceAddress: string; state: string }) => `${m.sourceAddress} ${m.state}`,
      ),
    ).toEqual(["alexw@fabrikam.com ready", "diegos@fabrikam.com blocked"]);
    expect(source.secretExports).toEqual([]);
    expectNoSecrets(JSON.stringify(source.outputs), SECRETS, "the outputs");
  });

  test("second target up: the endpoint waits on the published consent, and the wave is staged from the published mailboxes", () => {
    expect(customNames(second)).toEqual([
      "consent/target",
      "mailuser/alexw@contoso.com",
      "mailuser/diegos@contoso.com",
      "migration-app",
      "migration-app/secret-retirement",
      "migration-endpoint",
      "organization-customization/target",
      "readiness/wave-1",
      "relationship/target",
    ]);
    // The target side's pre-flight names the source's scope group by its configured name.
    expect(second.byName("readiness/wave-1").inputs).toMatchObject({
      appId: APP_ID,
      endpointName: "migration-from-fabrikam",
      scopeGroup: "migration-to-contoso",
    });
    // Readiness waits for the MailUsers without naming them (components/orderOnly.ts), and still for the endpoint.
    expect(second.dependsOn("readiness/wave-1", "mailuser/alexw@contoso.com")).toBe(false);
    expect(second.dependsOn("readiness/wave-1", "migration-endpoint")).toBe(true);
    expect(second.byName("migration-endpoint").inputs.consentedAt).toBe(CONSENTED_AT);
    expect(second.dependsOn("mailuser/alexw@contoso.com", "migration-endpoint")).toBe(true);
    expect(second.byName("mailuser/alexw@contoso.com").inputs).toMatchObject({
      exchangeGuid: "99999999-9999-4999-8999-999999999999",
      blockers: [],
    });
    expect(second.byName("mailuser/diegos@contoso.com").inputs).toMatchObject({ blockers: ["litigation hold"] });
    expect(second.outputs.endpointName).toBe("migration-from-fabrikam");
    expect((second.outputs.waves as Record<string, Array<{ state: string }>>)["wave-1"].map((u) => u.state)).toEqual([
      "staged",
      "held",
    ]);
    expect(second.outputs.nextSteps).toBeUndefined();
  });
});

describe("licences and batches in a split pair: each on the side that administers its tenant", () => {
  const MOVES = {
    "xtmm:waves": { "wave-1": { users: ["alexw@fabrikam.com", "diegos@fabrikam.com"], batch: { start: true } } },
    "xtmm:licences": { assign: "target", usageLocation: "US" },
  };
  const split = (
    manage: "source" | "target",
    partnerStack: string,
    credentials: Record<string, undefined>,
    secretKey: string,
    stacks: StackOutputs,
  ) =>
    runIndex(
      baseConfig({ ...STAGING, ...MOVES, ...credentials, "xtmm:manage": manage, "xtmm:partnerStack": partnerStack }),
      { secretKeys: [secretKey], stacks },
    );

  test("the target stack licenses and batches its staged users; the source stack does neither", async () => {
    const first = await split("target", SOURCE_STACK, SOURCE_CREDENTIALS, "xtmm:targetClientSecret", {
      [SOURCE_STACK]: { outputs: {} },
    });
    const src = await split("source", TARGET_STACK, TARGET_CREDENTIALS, "xtmm:sourceClientSecret", {
      [TARGET_STACK]: { outputs: { partner: first.outputs.partner } },
    });
    if (src.error) throw src.error;
    expect(customNames(src).filter((n) => /^(licences|batch)\//.test(n))).toEqual([]);
    const tgt = await split("target", SOURCE_STACK, SOURCE_CREDENTIALS, "xtmm:targetClientSecret", {
      [SOURCE_STACK]: { outputs: { partner: src.outputs.partner } },
    });
    if (tgt.error) throw tgt.error;
    expect(tgt.byName("licences/wave-1").inputs).toMatchObject({ tenant: "target", users: ["alexw@contoso.com"] });
    expect(tgt.byName("batch/wave-1").inputs).toMatchObject({
      targetAddresses: ["alexw@contoso.com"],
      sourceEndpoint: "migration-from-fabrikam",
      start: true,
    });
    expect(tgt.dependsOn("licences/wave-1", "mailuser/alexw@contoso.com")).toBe(true);
    expect(tgt.dependsOn("batch/wave-1", "readiness/wave-1")).toBe(true);
  });

  test("source-side licences are assigned by the source stack", async () => {
    const first = await split("target", SOURCE_STACK, SOURCE_CREDENTIALS, "xtmm:targetClientSecret", {
      [SOURCE_STACK]: { outputs: {} },
    });
    const sourceSide = { ...MOVES, "xtmm:licences": { assign: "source" } };
    const src = await runIndex(
      baseConfig({
        ...STAGING,
        ...sourceSide,
        ...TARGET_CREDENTIALS,
        "xtmm:manage": "source",
        "xtmm:partnerStack": TARGET_STACK,
      }),
      {
        secretKeys: ["xtmm:sourceClientSecret"],
        stacks: { [TARGET_STACK]: { outputs: { partner: first.outputs.partner } } },
      },
    );
    if (src.error) throw src.error;
    expect(src.byName("licences/wave-1").inputs).toMatchObject({ tenant: "source", users: ["alexw@fabrikam.com"] });
  });
});

describe("what crosses is checked", () => {
  const published = {
    role: "source",
    tenantId: SOURCE,
    domain: "fabrikam.onmicrosoft.com",
    consentedAt: CONSENTED_AT,
    sourceMailboxes: {},
  };

  test("a partner output marked secret is refused, not unwrapped", async () => {
    const run = await targetStack({
      [SOURCE_STACK]: { outputs: { partner: published }, secretOutputNames: ["partner"] },
    });
    expect(run.error?.message).toMatch(
      /xtmm:partnerStack: the stack org\/xtmm\/fabrikam publishes its 'partner' output as a secret/,
    );
    expect(run.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))).toEqual([]);
  });

  test("a partner stack of another tenant is refused, naming the key to fix", async () => {
    const other = "99999999-0000-4000-8000-000000000000";
    const run = await targetStack({ [SOURCE_STACK]: { outputs: { partner: { ...published, tenantId: other } } } });
    expect(run.error?.message).toMatch(
      new RegExp(`administers tenant "${other}", but xtmm:sourceTenantId is ${SOURCE}`),
    );
  });

  test("a partner stack of the same side is refused", async () => {
    const run = await sourceStack({ [TARGET_STACK]: { outputs: { partner: published } } });
    expect(run.error?.message).toMatch(/does not look like the target side of this pair.*role "source"/);
  });

  test("a source stack whose partner has published nothing declares only what needs no app", async () => {
    const run = await sourceStack({ [TARGET_STACK]: { outputs: {} } });
    expect(run.error).toBeUndefined();
    expect(customNames(run)).toEqual(["organization-customization/source", "scoping-group", "source-mailboxes/wave-1"]);
    expect(run.outputs.nextSteps).toEqual([expect.stringMatching(/target stack has not published the migration app/)]);
  });
});

describe("the split day through two provider hosts against the emulator", () => {
  const emulator = useEmulator();
  // Each host, when it stops, is checked for both operators' secrets.
  const startHost = useProviderHosts(emulator);
  let sourceHost: ProviderHost;
  let targetHost: ProviderHost;
  /** One administrator's stack configuration: the pair, and only their own tenant's operator identity. */
  const own = (config: Record<string, string>, other: "source" | "target") =>
    Object.fromEntries(
      Object.entries(config).filter(([k]) => !k.startsWith(`xtmm:${other}Client`) && k !== `xtmm:${other}Auth`),
    );
  beforeAll(async () => {
    const full = emulatorStackConfig(emulator(), { pwshPath: FAKE_PWSH });
    const sourceConfig = { ...own(full, "target"), "xtmm:manage": "source", "xtmm:partnerStack": TARGET_STACK };
    sourceHost = await startHost({ stackConfig: sourceConfig });
    targetHost = await startHost({
      stackConfig: { ...own(full, "source"), "xtmm:manage": "target", "xtmm:partnerStack": SOURCE_STACK },
    });
  });

  const reports = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-split-"));
  afterAll(() => fs.rmSync(reports, { recursive: true, force: true }));

  test("target up, source up, target up: staged; again: nothing; destroy in each stack", async () => {
    const e = emulator();
    const { users } = planUsers([{ source: "alexw@fabrikam.com" }, { source: "diegos@fabrikam.com" }], {
      "fabrikam.com": "contoso.com",
    });
    const pair = {
      source: { tenantId: e.tenants.source.tenantId, domain: e.tenants.source.domain },
      target: { tenantId: e.tenants.target.tenantId, domain: e.tenants.target.domain },
      waves: [{ name: "wave-1", users }],
      targetDomains: ["contoso.com"],
      purgeStagedUsersOnDestroy: true,
      readinessReportDir: reports,
    };
    // What each stack's StackReference would read: the other runner's last `partner` export.
    let fromSource: PartnerValues | undefined;
    let fromTarget: PartnerValues | undefined;
    const targetProgram = () => {
      const p = new CrossTenantMigration("pair", { ...pair, manage: "target", partner: fromSource });
      return { partner: p.partnerValues, nextSteps: p.nextSteps, waves: p.wavesState, endpointName: p.endpointName };
    };
    const sourceProgram = () => {
      const p = new CrossTenantMigration("pair", { ...pair, manage: "source", partner: fromTarget });
      return { partner: p.partnerValues, nextSteps: p.nextSteps };
    };
    const target = new ProgramRunner(new Engine(targetHost), { stack: "contoso" });
    const source = new ProgramRunner(new Engine(sourceHost), { stack: "fabrikam" });
    const created = (r: RunResult) =>
      r.steps
        .filter((s) => s.op === "create")
        .map((s) => s.name)
        .sort();
    const spy = jest.spyOn(console, "warn").mockImplementation(() => undefined);

    const t1 = await target.up(targetProgram);
    expect(created(t1)).toEqual([
      "consent/target",
      "migration-app",
      "organization-customization/target",
      "relationship/target",
    ]);
    expect(t1.outputs.nextSteps).toHaveLength(1);
    fromTarget = t1.outputs.partner as PartnerValues;
    const appSecret = String(
      [...target.engine.states.values()].find((s) => s.name === "migration-app")!.outputs.clientSecret,
    );
    expect(appSecret.length).toBeGreaterThan(10);
    expect(JSON.stringify(fromTarget)).not.toContain(appSecret);

    const s1 = await source.up(sourceProgram);
    expect(created(s1)).toEqual([
      "consent/source",
      "organization-customization/source",
      "readiness/wave-1",
      "relationship/source",
      "scoping-group",
      "source-mailboxes/wave-1",
    ]);
    fromSource = s1.outputs.partner as PartnerValues;
    expect(fromSource).toMatchObject({ role: "source", consentedAt: expect.stringMatching(/^\d{4}-/) });

    const t2 = await target.up(targetProgram);
    expect(created(t2)).toEqual([
      "mailuser/alexw@contoso.com",
      "mailuser/diegos@contoso.com",
      "migration-app/secret-retirement",
      "migration-endpoint",
      "readiness/wave-1",
    ]);
    expect((t2.outputs.waves as Record<string, Array<{ state: string }>>)["wave-1"].map((u) => u.state)).toEqual([
      "staged",
      "held",
    ]);
    expect(t2.outputs).toMatchObject({ endpointName: "migration-from-fabrikam", nextSteps: [] });

    const t3 = await target.up(targetProgram);
    const s2 = await source.up(sourceProgram);
    expect([...t3.steps, ...s2.steps].filter((s) => s.op !== "same")).toEqual([]);

    await target.destroy();
    await source.destroy();
    expect(target.engine.states.size + source.engine.states.size).toBe(0);
    spy.mockRestore();
  }, 180_000);
});
