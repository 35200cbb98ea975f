// The Pulumi program (index.ts and components) under pulumi.runtime.setMocks: which resources a stack
// declares for a pair with one wave, how they are named (as a change plan) and parented, what it exports,
// and that bad stack configuration is refused by key, with the fix, before any resource exists. Provider
// methods never run here; the provider-host tests cover them. Dependencies: program-graph.test.ts; split
// administration: program-split.test.ts.

import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import {
  APP_ID,
  CLIENT_SECRET,
  baseConfig,
  runIndex,
  SECRET_KEYS,
  SOURCE,
  TARGET,
  type ProgramRun,
} from "./support/programMocks";
import { expectNoSecrets } from "./support/secrets";

const WAVES = { "wave-1": { users: ["alexw@fabrikam.com", "adelev@fabrikam.com", "diegos@fabrikam.com"] } };
const STAGING = {
  "xtmm:waves": WAVES,
  "xtmm:domainMap": { "fabrikam.com": "contoso.com" },
  "xtmm:targetDomains": ["contoso.com"],
};
const DYNAMIC = "pulumi-nodejs:dynamic/xtmm:";

describe("a pair administered by one stack, with one wave", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runIndex(baseConfig(STAGING));
    if (run.error) throw run.error;
  });

  test("declares every preparation step once, under a name that says what it is", () => {
    const custom = run.resources
      .filter((r) => r.type.startsWith(DYNAMIC))
      .map((r) => `${r.type.slice(DYNAMIC.length)} ${r.name}`);
    expect(custom.sort()).toEqual(
      [
        "AdminConsent consent/source",
        "AdminConsent consent/target",
        "MailUser mailuser/adelev@contoso.com",
        "MailUser mailuser/alexw@contoso.com",
        "MailUser mailuser/diegos@contoso.com",
        "MigrationApp migration-app",
        "MigrationAppSecretRetirement migration-app/secret-retirement",
        "MigrationEndpoint migration-endpoint",
        "OrganizationCustomization organization-customization/source",
        "OrganizationCustomization organization-customization/target",
        "OrganizationRelationship relationship/source",
        "OrganizationRelationship relationship/target",
        "Readiness readiness/wave-1",
        "ScopingGroup scoping-group",
        "SourceMailboxes source-mailboxes/wave-1",
      ].sort(),
    );
    const components = run.resources.filter((r) => r.type.startsWith("xtmm:index:")).map((r) => `${r.type} ${r.name}`);
    expect(components.sort()).toEqual(
      [
        "xtmm:index:CrossTenantMigration pair",
        "xtmm:index:MigrationWave wave-1",
        "xtmm:index:SourceTenant source",
        "xtmm:index:TargetTenant target",
      ].sort(),
    );
  });

  test("children are parented under their tenant or wave, and those under the pair", () => {
    const parentOf = (name: string) => run.resources.find((r) => r.urn === run.byName(name).parentUrn)?.name;
    for (const name of [
      "migration-app",
      "consent/target",
      "relationship/target",
      "migration-endpoint",
      "migration-app/secret-retirement",
      "organization-customization/target",
    ]) {
      expect([name, parentOf(name)]).toEqual([name, "target"]);
    }
    for (const name of [
      "consent/source",
      "relationship/source",
      "scoping-group",
      "organization-customization/source",
    ]) {
      expect([name, parentOf(name)]).toEqual([name, "source"]);
    }
    for (const name of ["source-mailboxes/wave-1", "mailuser/alexw@contoso.com", "readiness/wave-1"])
      expect([name, parentOf(name)]).toEqual([name, "wave-1"]);
    for (const name of ["source", "target", "wave-1"]) expect([name, parentOf(name)]).toEqual([name, "pair"]);
  });

  test("each resource gets the values Microsoft's steps need", () => {
    expect(run.byName("relationship/target").inputs).toMatchObject({
      tenant: "target",
      partnerTenantId: SOURCE,
      capabilities: ["Inbound"],
    });
    expect(run.byName("relationship/source").inputs).toMatchObject({
      tenant: "source",
      partnerTenantId: TARGET,
      capabilities: ["RemoteOutbound"],
      oauthApplicationId: APP_ID,
      publishedScopes: ["migration-to-contoso"],
    });
    expect(run.byName("migration-endpoint").inputs).toMatchObject({
      name: "migration-from-fabrikam",
      appId: APP_ID,
      remoteTenant: "fabrikam.onmicrosoft.com",
    });
    expect(run.byName("consent/source").inputs).toMatchObject({ tenant: "source", appId: APP_ID });
    expect(run.byName("consent/source").inputs.mode).toBeUndefined();
    expect(run.byName("scoping-group").inputs).toMatchObject({ tenant: "source", name: "migration-to-contoso" });
    expect(run.byName("migration-app").inputs).toMatchObject({
      displayName: "Cross-tenant mailbox migration (fabrikam to contoso)",
    });
    const alex = run.byName("mailuser/alexw@contoso.com").inputs;
    expect(alex).toMatchObject({
      sourceAddress: "alexw@fabrikam.com",
      targetPrimary: "alexw@contoso.com",
      deliveryAddress: "alexw@contoso.onmicrosoft.com",
      blockers: [],
    });
    expect(run.byName("mailuser/diegos@contoso.com").inputs).toMatchObject({ blockers: ["litigation hold"] });
  });

  test("the client secret reaches the endpoint only as a secret, and no export carries it", () => {
    const secret = run.byName("migration-endpoint").inputs.clientSecret as Record<string, unknown>;
    // The secret envelope the SDK sends for a secret input.
    expect(secret).toEqual(expect.objectContaining({ value: CLIENT_SECRET }));
    expect(Object.keys(secret)).toContain(pulumi.runtime.specialSigKey);
    expect(JSON.stringify(run.outputs)).not.toContain(CLIENT_SECRET);
    expect(run.secretExports).toEqual([]);
  });

  test("exports what the engineer needs next: the consent URL, endpoint, delivery domain and every user's state", () => {
    expect(run.outputs).toMatchObject({
      sourceTenantId: SOURCE,
      targetTenantId: TARGET,
      consentUrl: expect.stringContaining(`client_id=${APP_ID}`),
      endpointName: "migration-from-fabrikam",
      targetDeliveryDomain: "contoso.onmicrosoft.com",
    });
    expect(run.outputs.waves).toEqual({
      "wave-1": [
        { source: "alexw@fabrikam.com", target: "alexw@contoso.com", state: "staged", reasons: [] },
        { source: "adelev@fabrikam.com", target: "adelev@contoso.com", state: "staged", reasons: [] },
        { source: "diegos@fabrikam.com", target: "diegos@contoso.com", state: "held", reasons: ["litigation hold"] },
      ],
    });
    // Only a split stack publishes values for a partner, and nothing is pending.
    expect(run.outputs.partner).toBeUndefined();
    expect(run.outputs.nextSteps).toBeUndefined();
  });

  test("the serialized providers are the small stub and captured no credential", () => {
    for (const r of run.resources.filter((x) => x.type.startsWith(DYNAMIC))) {
      const provider = String(r.inputs.__provider);
      expect(provider.length).toBeLessThan(4000);
      expect(provider).toContain("runtime.js");
      expectNoSecrets(provider, ["source-secret-value", "target-secret-value", CLIENT_SECRET], `${r.name}'s provider`);
    }
  });
});

describe("each wave's readiness; licences and batches when the stack asks for them", () => {
  test("readiness checks what the stack made, writes its report under readiness/, and waits for what it checks (non-secret)", async () => {
    const run = await runIndex(baseConfig(STAGING));
    if (run.error) throw run.error;
    const r = run.byName("readiness/wave-1");
    expect(r.inputs).toMatchObject({
      wave: "wave-1",
      users: [
        { source: "alexw@fabrikam.com", target: "alexw@contoso.com" },
        { source: "adelev@fabrikam.com", target: "adelev@contoso.com" },
        { source: "diegos@fabrikam.com", target: "diegos@contoso.com" },
      ],
      appId: APP_ID,
      scopeGroup: "migration-to-contoso",
      endpointName: "migration-from-fabrikam",
      targetDeliveryDomain: "contoso.onmicrosoft.com",
      reportPath: path.join("readiness", "unit-wave-1.md"),
    });
    // A digest of the outputs readiness depends on: plain text, no secret in it or behind it.
    expect(r.inputs.refreshToken).toMatch(/^[0-9a-f]{16}$/);
    for (const name of [
      "scoping-group",
      "relationship/source",
      "relationship/target",
      "migration-endpoint",
      "consent/source",
    ]) {
      expect([name, run.dependsOn("readiness/wave-1", name)]).toEqual([name, true]);
    }
    expect(run.dependsOn("readiness/wave-1", "migration-app/secret-retirement")).toBe(false);
    // It waits for the MailUsers without naming them (components/orderOnly.ts; the order is in migration-wave.test.ts).
    expect(run.dependsOn("readiness/wave-1", "mailuser/alexw@contoso.com")).toBe(false);
    // Licences are opt-in and batches per wave: none here. The readiness output is per wave, without a secret.
    expect(run.resources.filter((x) => /^(licences|batch)\//.test(x.name))).toEqual([]);
    expect(Object.keys(run.outputs.readiness as object)).toEqual(["wave-1"]);
    expect(run.outputs.batches).toEqual({});
    expect(run.secretExports).toEqual([]);
  });

  test("the report directory is a stack key", async () => {
    const run = await runIndex(baseConfig({ ...STAGING, "xtmm:readinessReportDir": "/var/reports" }));
    expect(run.byName("readiness/wave-1").inputs.reportPath).toBe(path.join("/var/reports", "unit-wave-1.md"));
  });

  test("licences and a started batch: the held user gets neither; the batch names the endpoint and the delivery domain", async () => {
    const run = await runIndex(
      baseConfig({
        ...STAGING,
        "xtmm:waves": { "wave-1": { ...WAVES["wave-1"], batch: { start: true } } },
        "xtmm:licences": { assign: "target", usageLocation: "US" },
        "xtmm:removeCompletedBatchesOnDestroy": "true",
      }),
    );
    if (run.error) throw run.error;
    expect(run.byName("licences/wave-1").inputs).toMatchObject({
      wave: "wave-1",
      tenant: "target",
      users: ["alexw@contoso.com", "adelev@contoso.com"],
      usageLocation: "US",
    });
    expect(run.byName("batch/wave-1").inputs).toMatchObject({
      name: "wave-1",
      targetAddresses: ["alexw@contoso.com", "adelev@contoso.com"],
      sourceEndpoint: "migration-from-fabrikam",
      targetDeliveryDomain: "contoso.onmicrosoft.com",
      start: true,
      complete: false,
      completeAfter: "",
      removeCompletedOnDestroy: true,
    });
    const parentOf = (name: string) => run.resources.find((x) => x.urn === run.byName(name).parentUrn)?.name;
    expect([parentOf("licences/wave-1"), parentOf("batch/wave-1")]).toEqual(["wave-1", "wave-1"]);
    expect(Object.keys(run.outputs.batches as object)).toEqual(["wave-1"]);
    expect(run.secretExports).toEqual([]);
    expect(JSON.stringify(run.outputs)).not.toContain(CLIENT_SECRET);
  });

  test("licences on the source side license the source mailboxes", async () => {
    const run = await runIndex(baseConfig({ ...STAGING, "xtmm:licences": { assign: "source" } }));
    expect(run.byName("licences/wave-1").inputs).toMatchObject({
      tenant: "source",
      users: ["alexw@fabrikam.com", "adelev@fabrikam.com"],
    });
    expect(run.byName("licences/wave-1").inputs.usageLocation).toBeUndefined();
  });

  test("a 2,100-user wave with split: true becomes two batches of the wave's users in order", async () => {
    const users = Array.from({ length: 2100 }, (_, i) => `user${String(i).padStart(4, "0")}@fabrikam.com`);
    // The SDK records a stack trace per resource and promise; under Jest's source maps that costs ~20 ms per
    // resource (measured: 46 s for this wave, 9 s without traces). The traces say nothing here.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    let run: ProgramRun;
    try {
      run = await runIndex(baseConfig({ ...STAGING, "xtmm:waves": { big: { users, split: true, batch: {} } } }));
    } finally {
      Error.stackTraceLimit = limit;
    }
    if (run.error) throw run.error;
    const batches = run.resources
      .filter((x) => x.name.startsWith("batch/"))
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(batches.map((b) => [b.name, b.inputs.name, (b.inputs.targetAddresses as string[]).length])).toEqual([
      ["batch/big", "big", 2000],
      ["batch/big-2", "big-2", 100],
    ]);
    expect((batches[1].inputs.targetAddresses as string[])[0]).toBe("user2000@contoso.com");
    // The source read is told it may hold more than one batch.
    expect(run.byName("source-mailboxes/big").inputs.maxUsers).toBe(0);
  }, 30_000);
});

describe("stack configuration is refused by key, with the fix, before anything is declared", () => {
  async function check(config: Record<string, string>, secretKeys = SECRET_KEYS) {
    pulumi.runtime.setAllConfig(config, secretKeys);
    const { readStackConfig } = await import("../config/stackConfig");
    return readStackConfig(new pulumi.Config("xtmm"));
  }

  test("a valid pair reads back both tenants and the defaults", async () => {
    const settings = await check(baseConfig());
    expect(settings).toMatchObject({
      manage: "both",
      source: { tenantId: SOURCE, domain: "fabrikam.onmicrosoft.com" },
      target: { tenantId: TARGET, domain: "contoso.onmicrosoft.com" },
      sourceConsentMode: "grant",
      endpoint: { adopt: false, propagationTimeoutSeconds: 600 },
    });
    expect(settings.partnerStack).toBeUndefined();
  });

  test("a client secret stored in plain text is refused by key, with the command that fixes it", async () => {
    await expect(check(baseConfig(), ["xtmm:sourceClientSecret"])).rejects.toThrow(
      /xtmm:targetClientSecret is stored in plain text.*pulumi config set --secret xtmm:targetClientSecret/,
    );
  });

  test("the same tenant on both sides is refused", async () => {
    await expect(check(baseConfig({ "xtmm:targetTenantId": SOURCE }))).rejects.toThrow(
      /xtmm:targetTenantId: is the same tenant as xtmm:sourceTenantId/,
    );
  });

  test("every problem is listed at once, each under its key with its fix", async () => {
    const err = await check(
      baseConfig({
        "xtmm:sourceTenantId": "fabrikam",
        "xtmm:manage": "everything",
        "xtmm:adoptMigrationAppId": "my-app",
        "xtmm:migrationEndpointName": "from/fabrikam",
        "xtmm:consentPropagationTimeoutSeconds": "soon",
        "xtmm:adoptMigrationEndpoint": "yes",
        "xtmm:sourceConsentMode": "click",
      }),
    ).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toMatch(/has 7 problems/);
    expect(message).toMatch(/xtmm:sourceTenantId: 'fabrikam' is not a GUID/);
    expect(message).toMatch(
      /xtmm:manage: 'everything' is not one of both, source, target.*pulumi config set manage both/,
    );
    expect(message).toMatch(/xtmm:adoptMigrationAppId: 'my-app' is not an application \(client\) id/);
    expect(message).toMatch(/xtmm:migrationEndpointName: must not contain/);
    expect(message).toMatch(/xtmm:consentPropagationTimeoutSeconds: 'soon' is not a whole number from 1 to 21600/);
    expect(message).toMatch(/xtmm:adoptMigrationEndpoint: 'yes' is not true or false/);
    expect(message).toMatch(/xtmm:sourceConsentMode: 'click' is not grant or await/);
    expect(message).not.toMatch(/secret-value/);
  });

  test("a split stack needs partnerStack, and then no credentials for the other tenant", async () => {
    await expect(check(baseConfig({ "xtmm:manage": "target" }))).rejects.toThrow(
      /xtmm:partnerStack: missing; with manage=target the source side is another stack/,
    );
    await expect(check(baseConfig({ "xtmm:partnerStack": "org/xtmm/fabrikam" }))).rejects.toThrow(
      /xtmm:partnerStack: is only used when the pair is split/,
    );
    const noSourceCredentials = baseConfig({
      "xtmm:manage": "target",
      "xtmm:partnerStack": "org/xtmm/fabrikam",
      "xtmm:sourceClientId": undefined,
      "xtmm:sourceClientSecret": undefined,
      "xtmm:sourceAuth": undefined,
    });
    const settings = await check(noSourceCredentials, ["xtmm:targetClientSecret"]);
    expect(settings).toMatchObject({
      manage: "target",
      partnerStack: "org/xtmm/fabrikam",
      source: { tenantId: SOURCE },
    });
    // The other tenant is still named by id and domain: its relationship and endpoint point at it.
    await expect(
      check({ ...noSourceCredentials, "xtmm:sourceDomain": "" }, ["xtmm:targetClientSecret"]),
    ).rejects.toThrow(/xtmm:sourceDomain: missing/);
  });

  test("a wave mistake stops the program before any resource exists, named by its key", async () => {
    const run = await runIndex(
      baseConfig({ ...STAGING, "xtmm:waves": { "wave-1": { users: ["alexw@fabrikam.com", "adele"] } } }),
    );
    expect(run.error?.message).toMatch(/xtmm:waves\.wave-1\.users\[1\]/);
    expect(run.resources).toEqual([]);
  });
});

describe("every key is declared in Pulumi.yaml, typed and described", () => {
  const root = path.join(__dirname, "..");
  const declared = (
    parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, { type?: string; description?: string }>;
    }
  ).config;
  // Objects have no type in Pulumi's project schema (pulumi/pulumi#11321); waves.ts checks their shape.
  const UNTYPED = ["waves", "domainMap", "licences"];

  test("each declaration has a description, and a type unless it is an object", () => {
    for (const [key, decl] of Object.entries(declared)) {
      expect([key, typeof decl.description === "string" && decl.description.length > 20]).toEqual([key, true]);
      if (!UNTYPED.includes(key))
        expect([key, decl.type]).toEqual([key, expect.stringMatching(/^(string|integer|boolean|array)$/)]);
    }
  });

  test("every key the program reads is declared", async () => {
    // Config.get goes through this module function for every key it reads.
    const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { getConfig(k: string): string | undefined };
    const read = new Set<string>();
    const original = runtimeConfig.getConfig;
    const spy = jest.spyOn(runtimeConfig, "getConfig").mockImplementation((k: string) => {
      read.add(k);
      return original(k);
    });
    try {
      const run = await runIndex(baseConfig({ ...STAGING, "xtmm:migrationEndpointName": "from-fabrikam" }));
      expect(run.error).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
    // The tenant settings reader also tries a prefixed key (xtmm:xtmm:<key>) for plain maps; same key.
    const keys = [...new Set([...read].filter((k) => k.startsWith("xtmm:")).map((k) => k.replace(/^(xtmm:)+/, "")))];
    expect(keys.length).toBeGreaterThan(25);
    expect(keys.filter((k) => !(k in declared))).toEqual([]);
  });

  test("the example and sandbox stacks use only declared keys", () => {
    for (const file of ["Pulumi.example.yaml", "Pulumi.sandbox.yaml"]) {
      const stack = parse(fs.readFileSync(path.join(root, "stacks", file), "utf8")) as {
        config: Record<string, unknown>;
      };
      const unknown = Object.keys(stack.config).filter((k) => !k.startsWith("xtmm:") || !(k.slice(5) in declared));
      expect([file, unknown]).toEqual([file, []]);
    }
  });

  test("the sandbox stack's wave is valid and builds one MailUser per seeded user", async () => {
    const stack = parse(fs.readFileSync(path.join(root, "stacks", "Pulumi.sandbox.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    // The emulator's endpoints and credentials are written by `npm run sandbox`; the worldwide cloud stands in here.
    const { ["xtmm:cloud"]: _cloud, ...values } = stack.config;
    const run = await runIndex(baseConfig(values));
    expect(run.error).toBeUndefined();
    expect(
      run.resources
        .filter((r) => r.name.startsWith("mailuser/"))
        .map((r) => r.name)
        .sort(),
    ).toEqual(["adelev", "alexw", "diegos", "info", "meganb"].map((a) => `mailuser/${a}@contoso.com`));
    expect(run.byName("mailuser/info@contoso.com").inputs).toMatchObject({ purgeOnDelete: true });
    // Licensed in the target, checked, and batched without Diego (litigation hold), not started.
    expect(run.byName("licences/wave-1").inputs).toMatchObject({ tenant: "target", usageLocation: "US" });
    expect(run.byName("batch/wave-1").inputs).toMatchObject({ start: false, complete: false });
    expect(run.byName("batch/wave-1").inputs.targetAddresses).not.toContain("diegos@contoso.com");
    expect(run.byName("readiness/wave-1").inputs.reportPath).toBe(path.join("readiness", "unit-wave-1.md"));
  });
});
