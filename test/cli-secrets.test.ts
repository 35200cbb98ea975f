// Secrets through the REAL Pulumi CLI against the emulator, on one stack (manage=both) with a small wave:
//   (c) a bad configuration value stops `pulumi preview` before any request reaches a tenant, naming the key
//       and the fix;
//   (b) no secret (the operator identities' client secrets, the migration app's client secret, the staged
//       MailUsers' passwords) is in plain text in `pulumi stack export`, in any file of the backend, the stack's
//       configuration file, the CLI's home, the readiness report, or anything a command printed; where the
//       checkpoint holds secrets they are ciphertext, and no stack output is secret;
//   (a) rotation by a configuration change: the change plan (`preview --json`), then `up` adds a new secret,
//       gives it to the migration endpoint, and only then removes the old one.
// Needs `npx tsc -p tsconfig.json` first (the program and the provider host load dist/).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { useEmulator, tenantOf } from "./support/emulator";
import {
  CliStack,
  changesOf,
  emulatorConfig,
  filesUnder,
  nameOf,
  resourceNamed,
  revealed,
  secretPaths,
  type PreviewDigest,
  type StackExport,
} from "../harness/pulumiCli";
import { writesSince } from "./engineers-day.test";
import type { Rec } from "../emulator/model";
import { SECRET as ENDPOINT_CREDENTIAL } from "../emulator/exchange/cmdlets/endpoints";
import { signIn } from "./support/migrationAppDirectory";
import { expectNoSecrets } from "./support/secrets";

jest.setTimeout(600_000);

const STACK = "secrets";
const USERS = ["alexw@fabrikam.com", "adelev@fabrikam.com"];
const emulator = useEmulator();
const REPORTS = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-cli-secrets-reports-"));
let stack: CliStack;
/** Every secret value this file has seen: none may appear in plain text anywhere the CLI writes or prints. */
const secrets = new Map<string, string>();

const resource = resourceNamed;
const appOutputs = async () =>
  resource(await stack.export(), "migration-app")!.outputs as Rec & {
    applicationObjectId: string;
    appId: string;
    secretKeyId: string;
  };
const application = (objectId: string) => tenantOf(emulator(), "target").directory.applications.get(objectId)!.obj;
const secretValuesOf = (objectId: string) => [
  ...(tenantOf(emulator(), "target").directory.secretValues.get(objectId)?.entries() ?? []),
];
const endpoint = () => [...tenantOf(emulator(), "target").exchange.migrationEndpoints.values()].map((s) => s.obj);
const output = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;

/** Remembers the app's current client secrets (from the emulator) and the MailUsers' passwords (decrypted from the state). */
async function collectSecrets(): Promise<void> {
  const e = emulator();
  secrets.set("source operator client secret", e.tenants.source.clientSecret);
  secrets.set("target operator client secret", e.tenants.target.clientSecret);
  const app = await appOutputs();
  for (const [keyId, value] of secretValuesOf(app.applicationObjectId))
    secrets.set(`migration app client secret ${keyId}`, value);
  const plain = JSON.parse((await stack.ok(["stack", "export", "--show-secrets"])).stdout) as StackExport;
  for (const r of plain.deployment.resources ?? []) {
    const pw = nameOf(r.urn).startsWith("mailuser/") ? revealed(r.outputs?.password) : undefined;
    if (typeof pw === "string") secrets.set(`password of ${nameOf(r.urn)}`, pw);
  }
}

/** Every place a secret must not be in plain text, with what it is. */
async function places(): Promise<{ where: string; text: string }[]> {
  return [
    { where: "pulumi stack export", text: (await stack.ok(["stack", "export"])).stdout },
    { where: "pulumi stack output", text: (await stack.ok(["stack", "output"])).stdout },
    { where: "pulumi stack output --json", text: (await stack.ok(["stack", "output", "--json"])).stdout },
    ...stack.backendFiles().map((f) => ({ where: f.file, text: f.text })),
    { where: stack.configFile, text: fs.readFileSync(stack.configFile, "utf8") },
    // The rest of the stack's folder: the CLI's own home (logs, workspace settings, plugins' caches).
    ...filesUnder(stack.dir)
      .filter((f) => !f.file.startsWith(stack.backend) && f.file !== stack.configFile)
      .map((f) => ({ where: f.file, text: f.text })),
    ...filesUnder(REPORTS).map((f) => ({ where: f.file, text: f.text })),
    // What every command printed, but the one that decrypts on purpose.
    ...stack.history
      .filter((h) => !h.args.includes("--show-secrets"))
      .map((h) => ({ where: `output of pulumi ${h.args.join(" ")}`, text: output(h.result) })),
  ];
}

async function expectNoPlainSecrets(): Promise<void> {
  expectNoSecrets(await places(), secrets);
}

beforeAll(async () => {
  const { config, secrets: operator } = emulatorConfig(emulator());
  stack = await CliStack.create(emulator(), {
    stack: STACK,
    config: {
      ...config,
      "xtmm:waves": { "wave-1": { users: USERS } },
      "xtmm:domainMap": { "fabrikam.com": "contoso.com" },
      "xtmm:targetDomains": ["contoso.com"],
      "xtmm:purgeStagedUsersOnDestroy": true,
      "xtmm:readinessReportDir": REPORTS,
    },
    secrets: operator,
  });
});
afterAll(() => {
  stack?.dispose();
  fs.rmSync(REPORTS, { recursive: true, force: true });
});

describe("(c) a bad configuration value stops preview before any request", () => {
  /** Sets one value, previews, puts the value back; the preview's result and how many requests the emulator saw. */
  async function previewWith(key: string, bad: string, good: string, opts: { path?: boolean } = {}) {
    const fileBefore = fs.readFileSync(stack.configFile, "utf8");
    await stack.setConfig(key, bad, opts);
    const mark = emulator().requests.length;
    const started = Date.now();
    try {
      const r = await stack.run(["preview"]);
      return { ...r, requests: emulator().requests.length - mark, ms: Date.now() - started };
    } finally {
      await stack.setConfig(key, good, opts);
      expect(fs.readFileSync(stack.configFile, "utf8")).toBe(fileBefore);
    }
  }

  test("xtmm:sourceTenantId 'not-a-guid': exit 1 within seconds, the key and the fix, no stack trace, no request", async () => {
    const r = await previewWith("xtmm:sourceTenantId", "not-a-guid", emulator().tenants.source.tenantId);
    expect(r.code).toBe(1);
    expect(output(r)).toContain(
      "error: xtmm:sourceTenantId: 'not-a-guid' is not a GUID; use the tenant ID from Entra admin center > Overview (not a domain name)",
    );
    // The program's message, not a crash report with its call stack.
    expect(output(r)).not.toMatch(/unhandled exception|^\s+at .*\.[jt]s:\d+/m);
    expect(r.requests).toBe(0);
    // A good preview of this stack takes about 3 s; a program error used to take about 40 s (StackConfigError's comment).
    expect(r.ms).toBeLessThan(15_000);
  });

  test("a wave user without '@': exit 1, names the key path of that user and says what an address looks like, no request", async () => {
    const r = await previewWith("xtmm:waves.wave-1.users[1]", "adelev.fabrikam.com", USERS[1], { path: true });
    expect(r.code).toBe(1);
    expect(output(r)).toContain(
      'xtmm:waves.wave-1.users[1].source: "adelev.fabrikam.com" has no "@"; give an SMTP address such as user@contoso.com',
    );
    // The address is the mistake, not the target address that cannot be derived from it.
    expect(output(r)).not.toMatch(/targetPrimary|domainMap|unhandled exception/);
    expect(r.requests).toBe(0);
    expect(r.ms).toBeLessThan(15_000);
  });
});

describe("(b) secrets in the state, the backend's files and the CLI's output", () => {
  test("up; the secrets exist where they belong (so their absence elsewhere means something)", async () => {
    await stack.up();
    await collectSecrets();
    const app = await appOutputs();
    expect(secretValuesOf(app.applicationObjectId)).toHaveLength(1);
    expect([...secrets.keys()].sort()).toEqual([
      `migration app client secret ${app.secretKeyId}`,
      "password of mailuser/adelev@contoso.com",
      "password of mailuser/alexw@contoso.com",
      "source operator client secret",
      "target operator client secret",
    ]);
    for (const value of secrets.values()) expect(value.length).toBeGreaterThanOrEqual(12);
    // All of them are in the state, encrypted: decrypted, the export shows each one (the scans below can find them).
    const decrypted = (await stack.ok(["stack", "export", "--show-secrets"])).stdout;
    for (const [what, value] of secrets) expect([what, decrypted.includes(value)]).toEqual([what, true]);
    // The migration endpoint holds the app's secret: the one in the emulator is the one the stack made.
    expect(endpoint()[0][ENDPOINT_CREDENTIAL]).toEqual({
      userName: app.appId,
      password: secretValuesOf(app.applicationObjectId)[0][1],
    });
  });

  test("none of them is in plain text in stack export, the backend's files, the stack file, the CLI's home, the report or any command's output", async () => {
    const all = await places();
    expect(
      all.filter((p) => p.where.includes(`${path.sep}.pulumi${path.sep}stacks${path.sep}`)).length,
    ).toBeGreaterThan(0);
    expect(all.some((p) => p.where.endsWith(`${STACK}-wave-1.md`))).toBe(true);
    await expectNoPlainSecrets();
  });

  test("the checkpoint holds exactly these secrets, each as ciphertext of this stack's passphrase", async () => {
    const state = await stack.export();
    expect(secretPaths(state)).toEqual([
      // The provider's configuration: the engine keeps the stack's secret config keys with it.
      "default.inputs.xtmm:sourceClientSecret",
      "default.inputs.xtmm:targetClientSecret",
      "default.outputs.xtmm:sourceClientSecret",
      "default.outputs.xtmm:targetClientSecret",
      "mailuser/adelev@contoso.com.outputs.password",
      "mailuser/alexw@contoso.com.outputs.password",
      "migration-app.outputs.clientSecret",
      "migration-endpoint.inputs.clientSecret",
    ]);
    const app = resource(state, "migration-app")!;
    expect(app.additionalSecretOutputs).toEqual(["clientSecret"]);
    expect(app.outputs!.clientSecret).toEqual({
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      ciphertext: expect.stringMatching(/^v1:[^:]+:[^:]+$/),
    });
    // The endpoint keeps no copy of the secret among its outputs.
    expect(Object.keys(resource(state, "migration-endpoint")!.outputs!)).not.toContain("clientSecret");
  });

  test("no stack output is secret: stack output shows the same with and without --show-secrets, and no [secret]", async () => {
    const hidden = await stack.outputs();
    expect(Object.keys(hidden).sort()).toEqual([
      "batches",
      "consentUrl",
      "endpointName",
      "readiness",
      "sourceTenantId",
      "targetDeliveryDomain",
      "targetTenantId",
      "waves",
    ]);
    expect(await stack.outputs(true)).toEqual(hidden);
    expect((await stack.ok(["stack", "output"])).stdout).not.toContain("[secret]");
  });
});

describe("(a) secret rotation by a configuration change", () => {
  let plan: PreviewDigest;
  let before: { keyId: string; value: string };

  test("preview --json: the app updates for rotationTrigger, the endpoint for the new secret; secrets shown as [secret]; nothing written", async () => {
    const app = await appOutputs();
    const [[keyId, value]] = secretValuesOf(app.applicationObjectId);
    before = { keyId, value };
    await stack.setConfig("xtmm:migrationAppSecretRotation", "2025-q3");
    const mark = emulator().requests.length;
    plan = await stack.previewJson();
    expect(writesSince(emulator(), mark)).toEqual([]);
    const step = (name: string) => plan.steps.find((s) => nameOf(s.urn) === name)!;
    const changedInputs = (name: string) => {
      const [o, n] = [step(name).oldState?.inputs ?? {}, step(name).newState?.inputs ?? {}];
      return [...new Set([...Object.keys(o), ...Object.keys(n)])]
        .filter((k) => k !== "__provider" && JSON.stringify(o[k]) !== JSON.stringify(n[k]))
        .sort();
    };
    expect(step("migration-app").op).toBe("update");
    expect(changedInputs("migration-app")).toEqual(["rotationTrigger"]);
    expect(step("migration-app").newState?.inputs?.rotationTrigger).toBe("2025-q3");
    expect(step("migration-app").oldState?.outputs?.clientSecret).toBe("[secret]");
    expect(step("migration-endpoint").op).toBe("update");
    expect(step("migration-endpoint").oldState?.inputs?.clientSecret).toBe("[secret]");
    expect(changedInputs("migration-endpoint")).toEqual(expect.arrayContaining(["clientSecret", "secretKeyId"]));
    // The MailUsers, the customizations, the scoping group and the source mailboxes are not in the plan.
    expect(
      changesOf(plan).filter((c) =>
        /mailuser|organization-customization|scoping-group|source-mailboxes|relationship\/target/.test(c),
      ),
    ).toEqual([]);
    // What the diff says on the console reaches the plan's diagnostics.
    expect(plan.diagnostics?.map((d) => d.message).join("\n")).toContain(
      'the next up ROTATES the client secret: rotationTrigger changed from null to "2025-q3"',
    );
  });

  // At preview the engine answers an update of the app with its new inputs, so its appId, object id and consent
  // link are unknown there; their consumers' anchors (providers/anchors.ts) tell them the app is the same one,
  // so the plan lists what the up will change, not replacements of the consents and the retirement.
  test("the rotation's change plan touches only the app, the endpoint, the retirement and the pre-flight", () => {
    expect(changesOf(plan)).toEqual([
      "update migration-app",
      "update migration-app/secret-retirement",
      "update migration-endpoint",
      "update readiness/wave-1",
    ]);
  });

  test("up: a new secret, given to the endpoint BEFORE the old one is removed; afterwards the app holds exactly the new one", async () => {
    const app = await appOutputs();
    const mark = emulator().requests.length;
    const r = await stack.up();
    expect(r.stdout).toMatch(/~ 3 updated/);
    const writes = writesSince(emulator(), mark);
    expect(writes).toEqual([
      "POST /v1.0/applications/{id}/addPassword",
      "Set-MigrationEndpoint",
      "POST /v1.0/applications/{id}/removePassword",
    ]);
    const after = await appOutputs();
    expect(after.secretKeyId).not.toBe(before.keyId);
    const values = secretValuesOf(app.applicationObjectId);
    expect(values.map(([k]) => k)).toEqual([after.secretKeyId]);
    expect(((application(app.applicationObjectId).passwordCredentials as Rec[]) ?? []).map((p) => p.keyId)).toEqual([
      after.secretKeyId,
    ]);
    const fresh = values[0][1];
    expect(fresh).not.toBe(before.value);
    secrets.set(`migration app client secret ${after.secretKeyId}`, fresh);
    expect(endpoint()).toHaveLength(1);
    expect(endpoint()[0][ENDPOINT_CREDENTIAL]).toEqual({ userName: app.appId, password: fresh });
    expect(await signIn(emulator(), app.appId, fresh)).toEqual({ ok: true });
    expect(await signIn(emulator(), app.appId, before.value)).toMatchObject({ ok: false, code: 7000215 });
  });

  test("the next up only settles the state (the app drops the retired key id; no tenant write) and --expect-no-changes says so with exit 7; then the stack is quiet", async () => {
    const mark = emulator().requests.length;
    const settle = await stack.run(["up", "--yes", "--expect-no-changes"]);
    expect([settle.code, settle.stdout]).toEqual([7, expect.stringMatching(/~ 2 updated/)]);
    expect(settle.stderr).toContain("error: no changes were expected for update but changes were proposed");
    expect(writesSince(emulator(), mark)).toEqual([]);
    const app = resource(await stack.export(), "migration-app")!.outputs as Rec;
    expect(app.retiringSecretKeyIds).toEqual([]);
    await stack.ok(["preview", "--expect-no-changes"]);
    expect(writesSince(emulator(), mark)).toEqual([]);
  });

  test("after the rotation, neither the old nor the new secret is in plain text anywhere", async () => {
    expect([...secrets.keys()].filter((k) => k.startsWith("migration app client secret"))).toHaveLength(2);
    await expectNoPlainSecrets();
  });
});
