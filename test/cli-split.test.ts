// Split administration through the REAL Pulumi CLI against the emulator: a target stack (manage=target, only the
// target's operator identity) and a source stack (manage=source, only the source's) on ONE file backend, joined
// by real `pulumi.StackReference`s, run in the README's order ("Split administration"): both stacks created,
// target up, source up (the source operator grants the consent: sourceConsentMode grant), target up again.
// Then both tenants hold what the one-stack sandbox run makes, only non-secret values have crossed, both
// stacks are quiet (`up --expect-no-changes`), and destroy in the README's order (target, then source) leaves
// the tenants as they were. Needs `npx tsc -p tsconfig.json` first (the program and the provider host load dist/).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { useEmulator, tenantOf } from "./support/emulator";
import {
  CliStack,
  emulatorConfig,
  nameOf,
  resourceNamed,
  revealed,
  ROOT,
  type StackExport,
} from "../harness/pulumiCli";
import { writesSince } from "./engineers-day.test";
import { BINNED_APP, afterDestroy, snapshot, type Snapshot } from "./support/tenantSnapshot";
import { type Rec, type TenantState } from "../emulator/model";
import { SECRET as ENDPOINT_CREDENTIAL } from "../emulator/exchange/cmdlets/endpoints";
import { PAIR_RESOURCES, waveResources } from "./support/pairResources";
import { expectNoSecrets } from "./support/secrets";

jest.setTimeout(600_000);

const SANDBOX = parse(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.sandbox.yaml"), "utf8")) as {
  config: Record<string, unknown>;
};
const STAGED = ["adelev", "alexw", "info", "meganb"];
const WAVE = [...STAGED, "diegos"];
// What the one-stack sandbox run makes (test/cli-sandbox.test.ts), by the stack that makes it in a split pair.
const TARGET_SIDE = [
  "organization-customization/target",
  "migration-app",
  "consent/target",
  "relationship/target",
  "migration-endpoint",
  "migration-app/secret-retirement",
  "readiness/wave-1",
  "licences/wave-1",
  "batch/wave-1",
  ...WAVE.map((a) => `mailuser/${a}@contoso.com`),
];
const SOURCE_SIDE = [
  "organization-customization/source",
  "consent/source",
  "relationship/source",
  "scoping-group",
  "source-mailboxes/wave-1",
  "readiness/wave-1",
];
const ONE_STACK = [...PAIR_RESOURCES, ...waveResources("wave-1"), ...WAVE.map((a) => `mailuser/${a}@contoso.com`)];
const TARGET_STACK = "split-contoso";
const SOURCE_STACK = "split-fabrikam";

const emulator = useEmulator();
const REPORTS = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-cli-split-reports-"));
let target: CliStack;
let source: CliStack;
let before: Snapshot;
let operator: { source: string; target: string };

/** One administrator's stack: the pair's plain values, and only their own tenant's operator identity. */
function own(role: "source" | "target") {
  const other = role === "source" ? "target" : "source";
  const { config, secrets } = emulatorConfig(emulator());
  const all: Record<string, unknown> = {
    ...SANDBOX.config,
    ...config,
    "xtmm:readinessReportDir": REPORTS,
    "xtmm:manage": role,
  };
  return {
    config: Object.fromEntries(
      Object.entries(all).filter(([k]) => k !== `xtmm:${other}ClientId` && k !== `xtmm:${other}Auth`),
    ),
    secrets: { [`xtmm:${role}ClientSecret`]: secrets[`xtmm:${role}ClientSecret`] },
  };
}

const customNames = (s: StackExport) =>
  (s.deployment.resources ?? [])
    .filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))
    .map((r) => nameOf(r.urn))
    .sort();
const resource = resourceNamed;
const isCiphertext = (v: unknown) => !!v && typeof v === "object" && "ciphertext" in (v as object);
const recipients = (t: TenantState) => [...t.exchange.recipients.values()].map((s) => s.obj);
const byAddress = (t: TenantState, address: string) =>
  recipients(t).find((o) => String(o.PrimarySmtpAddress).toLowerCase() === address);
/** Requests since `mark` whose path names the tenant (token requests, Exchange calls; Graph needs a token from the first). */
const requestsNaming = (mark: number, role: "source" | "target") => {
  const { tenantId, domain } = emulator().tenants[role];
  return emulator()
    .requests.slice(mark)
    .filter((r) => r.path.toLowerCase().includes(tenantId) || r.path.toLowerCase().includes(domain))
    .map((r) => `${r.surface} ${r.method} ${r.path}`);
};
/** The partner output as the partner's StackReference reads it: plain, one object. */
const partnerOf = async (s: CliStack) => (await s.outputs()).partner as Rec;

beforeAll(async () => {
  operator = { source: emulator().tenants.source.clientSecret, target: emulator().tenants.target.clientSecret };
  // README: "Create both stacks first (`pulumi stack init`: a reference to a stack that does not exist fails)."
  // The two forms of a stack name a file backend takes: organization/<project>/<stack>, and <stack> alone.
  const t = own("target");
  target = await CliStack.create(emulator(), {
    stack: TARGET_STACK,
    config: { ...t.config, "xtmm:partnerStack": `organization/xtmm/${SOURCE_STACK}` },
    secrets: t.secrets,
  });
  const s = own("source");
  source = await CliStack.create(emulator(), {
    stack: SOURCE_STACK,
    config: { ...s.config, "xtmm:partnerStack": TARGET_STACK },
    secrets: s.secrets,
    backendOf: target,
  });
  before = snapshot(emulator());
});
afterAll(() => {
  target?.dispose();
  source?.dispose();
  fs.rmSync(REPORTS, { recursive: true, force: true });
});

describe("split administration through the real Pulumi CLI, on one file backend", () => {
  test("each stack holds only its own tenant's operator identity", () => {
    const t = JSON.stringify(target.readConfigFile().config);
    const s = JSON.stringify(source.readConfigFile().config);
    expect(t).toContain("xtmm:targetClientSecret");
    expect(t).not.toMatch(/xtmm:source(ClientSecret|ClientId|Auth)/);
    expect(s).toContain("xtmm:sourceClientSecret");
    expect(s).not.toMatch(/xtmm:target(ClientSecret|ClientId|Auth)/);
    expect(target.backend).toBe(source.backend);
  });

  test("the README's <org>/xtmm/<stack> with an organization of one's own is refused by a file backend, before any tenant request", async () => {
    const file = fs.readFileSync(target.configFile, "utf8");
    await target.setConfig("xtmm:partnerStack", `fabrikam-org/xtmm/${SOURCE_STACK}`);
    const mark = emulator().requests.length;
    try {
      const r = await target.run(["preview"]);
      expect(r.code).toBe(1);
      // The engine's words, on the StackReference: they do not name xtmm:partnerStack (the program never sees the error).
      expect(r.stdout).toMatch(
        /pulumi:pulumi:StackReference \(partner-stack\):\s+error: Preview failed: organization name must be 'organization'/,
      );
      expect(emulator().requests.length).toBe(mark);
    } finally {
      await target.setConfig("xtmm:partnerStack", `organization/xtmm/${SOURCE_STACK}`);
    }
    expect(fs.readFileSync(target.configFile, "utf8")).toBe(file);
  });

  test("1. target up: the app, the target consent, customization and relationship; nextSteps says the rest waits for the source", async () => {
    const mark = emulator().requests.length;
    const up = await target.up();
    const state = await target.export();
    expect(customNames(state)).toEqual([
      "consent/target",
      "migration-app",
      "organization-customization/target",
      "relationship/target",
    ]);
    // The partner stack, read through a real StackReference (which is a resource of its own in the state).
    const ref = resource(state, "partner-stack");
    expect(ref).toMatchObject({
      type: "pulumi:pulumi:StackReference",
      inputs: { name: `organization/xtmm/${SOURCE_STACK}` },
    });
    const outputs = await target.outputs();
    expect(outputs.nextSteps).toEqual([
      expect.stringMatching(/source tenant has not consented.*Run `pulumi up` in the source stack/),
    ]);
    expect(up.stdout).toMatch(/has not consented to the migration app yet/);
    expect(outputs.endpointName).toBeUndefined();
    expect(outputs.waves).toEqual({});
    const app = resource(state, "migration-app")!.outputs as Rec;
    expect(outputs.partner).toEqual({
      role: "target",
      tenantId: emulator().tenants.target.tenantId,
      domain: emulator().tenants.target.domain,
      appId: app.appId,
      consentUrl: expect.stringContaining(`client_id=${String(app.appId)}`),
    });
    // Nothing was written in the source tenant: this stack cannot sign in there.
    expect(requestsNaming(mark, "source")).toEqual([]);
    expect(requestsNaming(mark, "target").length).toBeGreaterThan(0);
    expect(writesSince(emulator(), mark).length).toBeGreaterThan(0);
  });

  test("2. source up: consent to the target's app, customization, scoping group, relationship, the wave read", async () => {
    const published = await partnerOf(target);
    const mark = emulator().requests.length;
    await source.up();
    // It cannot sign in to the target: no token request, no Exchange call there.
    expect(requestsNaming(mark, "target")).toEqual([]);
    expect(requestsNaming(mark, "source").length).toBeGreaterThan(0);
    const state = await source.export();
    expect(customNames(state)).toEqual([...SOURCE_SIDE].sort());
    expect(resource(state, "partner-stack")).toMatchObject({
      type: "pulumi:pulumi:StackReference",
      inputs: { name: TARGET_STACK },
    });
    expect(resource(state, "consent/source")!.inputs).toMatchObject({ tenant: "source", appId: published.appId });
    expect(resource(state, "relationship/source")!.inputs).toMatchObject({
      partnerTenantId: emulator().tenants.target.tenantId,
      oauthApplicationId: published.appId,
    });
    const outputs = await source.outputs();
    expect(outputs.nextSteps).toBeUndefined();
    expect(outputs.consentUrl).toBe(published.consentUrl);
    const partner = outputs.partner as Rec & {
      sourceMailboxes: Record<string, Array<{ sourceAddress: string; state: string }>>;
    };
    expect(Object.keys(partner).sort()).toEqual(["consentedAt", "domain", "role", "sourceMailboxes", "tenantId"]);
    expect(partner).toMatchObject({
      role: "source",
      tenantId: emulator().tenants.source.tenantId,
      consentedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(partner.sourceMailboxes["wave-1"].map((m) => `${m.sourceAddress} ${m.state}`).sort()).toEqual(
      [...STAGED.map((a) => `${a}@fabrikam.com ready`), "diegos@fabrikam.com blocked"].sort(),
    );
    // In the source tenant: the app's service principal with Mailbox.Migration, the scope, the relationship.
    const src = tenantOf(emulator(), "source");
    const sp = [...src.directory.servicePrincipals.values()].map((x) => x.obj).find((x) => x.appId === published.appId);
    expect(sp).toBeDefined();
    expect([...src.directory.appRoleAssignments.values()].filter((a) => a.obj.principalId === sp!.id)).toHaveLength(1);
    expect(membersOf(src, "migration-to-contoso")).toEqual(STAGED.map((a) => `${a}@fabrikam.com`));
    const rel = [...src.exchange.organizationRelationships.values()].map((x) => x.obj);
    expect(rel).toEqual([
      expect.objectContaining({
        OAuthApplicationId: published.appId,
        MailboxMoveEnabled: true,
        MailboxMovePublishedScopes: ["migration-to-contoso"],
      }),
    ]);
  });

  test("3. target up again: the endpoint (after the published consent) and the staged MailUsers", async () => {
    await target.up();
    const state = await target.export();
    expect(customNames(state)).toEqual([...TARGET_SIDE].sort());
    const outputs = await target.outputs();
    expect(outputs.nextSteps).toBeUndefined();
    expect(outputs.endpointName).toBe("migration-from-fabrikam");
    const waves = outputs.waves as Record<string, Array<{ source: string; state: string }>>;
    expect(Object.fromEntries(waves["wave-1"].map((u) => [u.source, u.state]))).toEqual({
      ...Object.fromEntries(STAGED.map((a) => [`${a}@fabrikam.com`, "staged"])),
      "diegos@fabrikam.com": "held",
    });
    const fromSource = await partnerOf(source);
    expect(resource(state, "migration-endpoint")!.inputs).toMatchObject({ consentedAt: fromSource.consentedAt });
    // The endpoint holds the app's one secret; the MailUsers carry the source mailboxes' ExchangeGuids.
    const tgt = tenantOf(emulator(), "target");
    const app = resource(state, "migration-app")!.outputs as Rec;
    const values = [...(tgt.directory.secretValues.get(String(app.applicationObjectId))?.values() ?? [])];
    expect(values).toHaveLength(1);
    const ep = [...tgt.exchange.migrationEndpoints.values()].map((x) => x.obj);
    expect(ep).toHaveLength(1);
    expect(ep[0][ENDPOINT_CREDENTIAL]).toEqual({ userName: app.appId, password: values[0] });
    for (const a of STAGED) {
      const mu = byAddress(tgt, `${a}@contoso.com`);
      expect([a, mu?.RecipientTypeDetails, mu?.ExchangeGuid]).toEqual([
        a,
        "MailUser",
        byAddress(tenantOf(emulator(), "source"), `${a}@fabrikam.com`)!.ExchangeGuid,
      ]);
    }
    expect(byAddress(tgt, "diegos@contoso.com")).toBeUndefined();
    expect([...tgt.exchange.organizationRelationships.values()].map((x) => x.obj)).toEqual([
      expect.objectContaining({
        DomainNames: expect.arrayContaining([emulator().tenants.source.tenantId]),
        MailboxMoveEnabled: true,
      }),
    ]);
    expect([...tgt.exchange.migrationBatches.values()].map((x) => x.obj.Identity ?? x.obj.Name)).toEqual(["wave-1"]);
  });

  test("the two stacks together hold what the one-stack run makes, readiness once per side", async () => {
    const both = [...customNames(await target.export()), ...customNames(await source.export())].sort();
    expect(both).toEqual([...ONE_STACK, "readiness/wave-1"].sort());
  });

  test("only non-secret values cross: neither stack's state (secrets decrypted) holds a secret of the other", async () => {
    const tgtPlain = JSON.stringify(JSON.parse((await target.ok(["stack", "export", "--show-secrets"])).stdout));
    const srcPlain = JSON.stringify(JSON.parse((await source.ok(["stack", "export", "--show-secrets"])).stdout));
    const app = resource(await target.export(), "migration-app")!.outputs as Rec;
    const appSecrets = [
      ...(tenantOf(emulator(), "target").directory.secretValues.get(String(app.applicationObjectId))?.values() ?? []),
    ];
    const passwords = (JSON.parse(tgtPlain) as StackExport).deployment
      .resources!.map((r) => (nameOf(r.urn).startsWith("mailuser/") ? revealed(r.outputs?.password) : undefined))
      .filter((p): p is string => typeof p === "string");
    // The secrets exist where they belong (so the absence below means something)...
    expect(appSecrets).toHaveLength(1);
    expect(passwords).toHaveLength(STAGED.length);
    expect(tgtPlain).toContain(appSecrets[0]);
    expect(tgtPlain).toContain(operator.target);
    expect(srcPlain).toContain(operator.source);
    // ...and not on the other side, in any form.
    expectNoSecrets(srcPlain, [operator.target, ...appSecrets, ...passwords], "the source state");
    expect(tgtPlain).not.toContain(operator.source);
    // What each StackReference read is plain (no secret output crossed), and it is the partner's outputs.
    for (const [stack, partner] of [
      [target, source],
      [source, target],
    ] as const) {
      const ref = resource(await stack.export(), "partner-stack")!;
      expect(ref.outputs?.secretOutputNames ?? []).toEqual([]);
      expect(isCiphertext(ref.outputs?.outputs)).toBe(false);
      expect((ref.outputs?.outputs as Rec).partner).toEqual(await partnerOf(partner));
    }
  });

  test("afterwards both stacks are quiet: up --expect-no-changes passes in each and writes nothing", async () => {
    const mark = emulator().requests.length;
    await target.ok(["up", "--yes", "--expect-no-changes"]);
    await source.ok(["up", "--yes", "--expect-no-changes"]);
    expect(writesSince(emulator(), mark)).toEqual([]);
  });

  test("destroy in the README's order (target, then source) empties both stacks and leaves the tenants as they were", async () => {
    const appId = String((resource(await target.export(), "migration-app")!.outputs as Rec).appId);
    const t = await target.ok(["destroy", "--yes"]);
    // The stack's resources, its three components (pair, target, wave-1) and the stack; the StackReference is a
    // read, not a resource the stack owns, and is not counted.
    expect(t.stdout).toMatch(new RegExp(`- ${TARGET_SIDE.length + 4} deleted`));
    const s = await source.ok(["destroy", "--yes"]);
    expect(s.stdout).toMatch(new RegExp(`- ${SOURCE_SIDE.length + 4} deleted`));
    for (const stack of [target, source]) expect((await stack.export()).deployment.resources ?? []).toEqual([]);
    const { after, was, binned } = afterDestroy(emulator(), before, appId);
    expect(binned).toEqual(BINNED_APP);
    expect(after).toEqual(was);
  });
});

function membersOf(t: TenantState, name: string): string[] {
  const g = recipients(t).find((o) => String(o.Name).toLowerCase() === name);
  return ((g?.__members as string[] | undefined) ?? [])
    .map((id) => String(t.exchange.recipients.get(id.toLowerCase())!.obj.PrimarySmtpAddress).toLowerCase())
    .sort();
}
