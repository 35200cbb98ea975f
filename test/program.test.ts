// The Pulumi program (index.ts and components) under pulumi.runtime.setMocks: which resources a stack
// declares, how they are parented and named, and that bad stack configuration is refused by key, before
// any resource exists. Provider methods never run here; the provider-host tests cover them.

import * as path from "node:path";

type Registered = { type: string; name: string; inputs: Record<string, unknown> };

const SOURCE = "11111111-1111-4111-8111-111111111111";
const TARGET = "22222222-2222-4222-8222-222222222222";

function baseConfig(): Record<string, string> {
  return {
    "xtmm:cloud": "worldwide",
    "xtmm:sourceTenantId": SOURCE,
    "xtmm:sourceDomain": "fabrikam.onmicrosoft.com",
    "xtmm:sourceAuth": "clientSecret",
    "xtmm:sourceClientId": "33333333-3333-4333-8333-333333333333",
    "xtmm:sourceClientSecret": "source-secret-value",
    "xtmm:targetTenantId": TARGET,
    "xtmm:targetDomain": "contoso.onmicrosoft.com",
    "xtmm:targetAuth": "clientSecret",
    "xtmm:targetClientId": "44444444-4444-4444-8444-444444444444",
    "xtmm:targetClientSecret": "target-secret-value",
  };
}

const SECRET_KEYS = ["xtmm:sourceClientSecret", "xtmm:targetClientSecret"];

/** Loads index.ts in a fresh module registry under mocks; resolves with what it registered and exported. */
async function runProgram(config: Record<string, string>, secretKeys = SECRET_KEYS) {
  const registered: Registered[] = [];
  let program: Record<string, unknown> = {};
  let pulumi: typeof import("@pulumi/pulumi") | undefined;
  await jest.isolateModulesAsync(async () => {
    pulumi = await import("@pulumi/pulumi");
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          // What the provider would answer: the tenant's id, customizable.
          const role = args.inputs.tenant as string | undefined;
          const state = role ? { ...args.inputs, tenantId: role === "source" ? SOURCE : TARGET, isDehydrated: false, enabledByUs: role === "target" } : args.inputs;
          return { id: `${args.name}-id`, state };
        },
        call: (args) => args.inputs,
      },
      "xtmm",
      "unit",
      false,
    );
    pulumi.runtime.setAllConfig(config, secretKeys);
    program = await import(path.join(__dirname, "..", "index"));
  });
  const p = pulumi!;
  const outputOf = <T>(o: unknown): Promise<T> => new Promise((resolve) => p.output(o as T).apply((v) => resolve(v as T)));
  // The mock monitor derives each URN from the parent chain, so the URNs show the component tree.
  const urns = (): string[] => {
    const monitor = p.runtime.getMonitor() as unknown as { getRegisteredResources(): Map<string, unknown> };
    return [...monitor.getRegisteredResources().keys()];
  };
  return { registered, program, outputOf, urns };
}

describe("the program under mocks", () => {
  // One program run per file: Pulumi keeps its runtime state on the global object, so a second run in the same
  // process would race the first one's outstanding registrations.
  let run: Awaited<ReturnType<typeof runProgram>>;
  beforeAll(async () => {
    run = await runProgram(baseConfig());
  });

  test("declares the pair, one component per tenant, and organization customization in each", async () => {
    const { registered, program, outputOf } = run;
    const custom = await outputOf<string>((program.organizationCustomization as Record<string, unknown>).target);
    expect(custom).toBe("customizable");

    const byName = new Map(registered.map((r) => [r.name, r]));
    expect(byName.get("pair")?.type).toBe("xtmm:index:CrossTenantMigration");
    for (const role of ["source", "target"]) {
      const component = byName.get(role);
      expect(component?.type).toBe("xtmm:index:TenantPreparation");
      const oc = byName.get(`organization-customization/${role}`);
      expect(oc?.type).toBe("pulumi-nodejs:dynamic/xtmm:OrganizationCustomization");
      expect(oc?.inputs.tenant).toBe(role);
      // The serialized provider is the small stub, not the implementation, and it captured no credential.
      const provider = String(oc?.inputs.__provider);
      expect(provider.length).toBeLessThan(4000);
      expect(provider).toContain("runtime.js");
      expect(provider).not.toContain("source-secret-value");
      expect(provider).not.toContain("target-secret-value");
    }
    expect(await outputOf<string>(program.sourceTenantId)).toBe(SOURCE);
    expect(await outputOf<string>(program.targetTenantId)).toBe(TARGET);
    expect(registered.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))).toHaveLength(2);
  });

  test("children are parented under their tenant component, and tenants under the pair", async () => {
    await run.outputOf(run.program.targetTenantId);
    const urns = run.urns();
    for (const role of ["source", "target"]) {
      expect(urns).toContain(
        // The mock monitor puts the immediate parent's type in a child's URN.
        `urn:pulumi:unit::xtmm::xtmm:index:TenantPreparation$` +
          `pulumi-nodejs:dynamic/xtmm:OrganizationCustomization::organization-customization/${role}`,
      );
      expect(urns).toContain(`urn:pulumi:unit::xtmm::xtmm:index:CrossTenantMigration$xtmm:index:TenantPreparation::${role}`);
    }
  });
});

describe("stack configuration checks", () => {
  // The same function index.ts calls first; here under setAllConfig without declaring anything.
  async function check(config: Record<string, string>, secretKeys = SECRET_KEYS) {
    const pulumi = await import("@pulumi/pulumi");
    pulumi.runtime.setAllConfig(config, secretKeys);
    const { readStackConfig } = await import("../components/stackConfig");
    return readStackConfig(new pulumi.Config("xtmm"));
  }

  test("a valid pair reads back both tenants", async () => {
    const settings = await check(baseConfig());
    expect(settings.source.tenantId).toBe(SOURCE);
    expect(settings.target.domain).toBe("contoso.onmicrosoft.com");
  });

  test("a client secret stored in plain text is refused by key, with the command that fixes it", async () => {
    await expect(check(baseConfig(), ["xtmm:sourceClientSecret"])).rejects.toThrow(
      /xtmm:targetClientSecret is stored in plain text.*pulumi config set --secret xtmm:targetClientSecret/,
    );
  });

  test("the same tenant on both sides is refused", async () => {
    await expect(check({ ...baseConfig(), "xtmm:targetTenantId": SOURCE })).rejects.toThrow(
      /sourceTenantId and xtmm:targetTenantId are the same tenant/,
    );
  });

  test("a tenant id that is not a GUID is refused by its key", async () => {
    await expect(check({ ...baseConfig(), "xtmm:sourceTenantId": "fabrikam" })).rejects.toThrow(/sourceTenantId/);
  });

  test("no secret value appears in a configuration error", async () => {
    const err = await check({ ...baseConfig(), "xtmm:targetTenantId": "not-a-guid", "xtmm:sourceAuth": "bogus" }).catch(
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).not.toMatch(/secret-value/);
  });
});
