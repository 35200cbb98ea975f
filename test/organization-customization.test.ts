// OrganizationCustomization through the whole engine lifecycle, in Pulumi's real dynamic-provider host,
// against the emulated tenant pair (source hydrated, target dehydrated): preview, up, up again, drift,
// refresh, repair, destroy; then throttling, a lost Enable response and a failing tenant.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import { useEmulator, tenantOf } from "./support/emulator";
import type { ProviderHost } from "../harness/providerHost";
import { Engine, declareResource, withUnknowns, type DeclaredResource } from "../harness/engine";
import { useProviderHost, withProviderHost } from "./support/providerHost";
import { OrganizationCustomization } from "../providers/organizationCustomization";

const emulator = useEmulator();
const providerHost = useProviderHost(emulator);

let host: ProviderHost;
let engine: Engine;
let target: DeclaredResource;
let source: DeclaredResource;

const orgConfig = (role: "source" | "target") => tenantOf(emulator(), role).exchange.organizationConfig;

/** Exchange requests since a mark, optionally for one tenant (its id or domain is in the path). */
function exchangeCalls(since: number, role?: "source" | "target") {
  const t = role ? emulator().tenants[role] : undefined;
  return emulator()
    .requests.slice(since)
    .filter((r) => r.surface === "exchange")
    .filter(
      (r) =>
        !t ||
        r.path.toLowerCase().includes(t.tenantId.toLowerCase()) ||
        r.path.toLowerCase().includes(t.domain.toLowerCase()),
    );
}
const writes = (calls: ReturnType<typeof exchangeCalls>) => calls.filter((r) => r.cmdlet && !/^Get-/i.test(r.cmdlet));

beforeAll(async () => {
  host = providerHost();
  engine = new Engine(host);
  target = await declareResource(() => new OrganizationCustomization("hydrate-target", { tenant: "target" }));
  source = await declareResource(() => new OrganizationCustomization("hydrate-source", { tenant: "source" }));
});

describe("lifecycle", () => {
  test("preview plans two creates and sends nothing to Microsoft", async () => {
    expect(orgConfig("target").IsDehydrated).toBe(true);
    const mark = emulator().requests.length;
    expect((await engine.preview(target)).op).toBe("create");
    expect((await engine.preview(source)).op).toBe("create");
    expect((await engine.preview(withUnknowns(target, "tenant"))).op).toBe("create");
    expect(emulator().requests.length).toBe(mark);
    expect(engine.states.size).toBe(0);
    expect(orgConfig("target").IsDehydrated).toBe(true);
  });

  test("up hydrates the dehydrated target", async () => {
    const mark = emulator().requests.length;
    const { op, state } = await engine.up(target);
    expect(op).toBe("create");
    const tenantId = emulator().tenants.target.tenantId;
    expect(state.id).toBe(tenantId);
    expect(state.outputs).toEqual({
      tenant: "target",
      tenantId,
      isDehydrated: false,
      enabledByUs: true,
      __provider: target.inputs.__provider,
    });
    expect(orgConfig("target").IsDehydrated).toBe(false);
    expect(writes(exchangeCalls(mark, "target")).map((r) => [r.cmdlet, r.status])).toEqual([
      ["Enable-OrganizationCustomization", 200],
    ]);
  });

  test("up on the already hydrated source succeeds without enabling anything", async () => {
    const mark = emulator().requests.length;
    const { state } = await engine.up(source);
    expect(state.outputs).toMatchObject({
      tenant: "source",
      tenantId: emulator().tenants.source.tenantId,
      isDehydrated: false,
      enabledByUs: false,
    });
    expect(exchangeCalls(mark, "source").map((r) => r.cmdlet)).toEqual(["Get-OrganizationConfig"]);
    expect(writes(exchangeCalls(mark))).toEqual([]);
  });

  test("a second preview and up find nothing to change", async () => {
    const mark = emulator().requests.length;
    expect((await engine.preview(target)).op).toBe("same");
    expect((await engine.up(target)).op).toBe("same");
    expect((await engine.up(source)).op).toBe("same");
    expect(emulator().requests.length).toBe(mark);
  });

  test("a tenant dehydrated by hand shows as drift on refresh and the next up repairs it", async () => {
    orgConfig("target").IsDehydrated = true;
    const refreshed = await engine.refresh(target);
    expect(refreshed.op).toBe("drift");
    expect(refreshed.state?.outputs.isDehydrated).toBe(true);
    expect((await engine.refresh(source)).op).toBe("same");

    expect((await engine.preview(target)).op).toBe("update");
    expect(orgConfig("target").IsDehydrated).toBe(true);

    const mark = emulator().requests.length;
    const { op, state } = await engine.up(target);
    expect(op).toBe("update");
    expect(state.outputs).toMatchObject({ isDehydrated: false, enabledByUs: true });
    expect(orgConfig("target").IsDehydrated).toBe(false);
    expect(writes(exchangeCalls(mark)).map((r) => r.cmdlet)).toEqual(["Enable-OrganizationCustomization"]);
    expect((await engine.up(target)).op).toBe("same");
  });

  test("changing the tenant replaces the resource", async () => {
    const retargeted = { ...target, inputs: { ...target.inputs, tenant: "source" } };
    expect((await engine.preview(retargeted)).op).toBe("replace");
  });

  test("destroy succeeds, changes nothing and says why", async () => {
    const mark = emulator().requests.length;
    await engine.destroy(target);
    await engine.destroy(source);
    expect(engine.states.size).toBe(0);
    expect(writes(exchangeCalls(mark))).toEqual([]);
    expect(orgConfig("target").IsDehydrated).toBe(false);
    await host.waitForOutput(
      `OrganizationCustomization of tenant ${emulator().tenants.target.tenantId} (target): nothing to delete`,
    );
  });
});

describe("faults", () => {
  beforeEach(() => {
    orgConfig("target").IsDehydrated = true;
  });

  test("a storm of 429s is waited out", async () => {
    const mark = emulator().requests.length;
    emulator().inject({ surface: "exchange", fault: "throttle", times: 4 });
    const e = new Engine(host);
    const { state } = await e.up(target);
    expect(state.outputs).toMatchObject({ isDehydrated: false, enabledByUs: true });
    expect(orgConfig("target").IsDehydrated).toBe(false);
    const calls = exchangeCalls(mark, "target");
    expect(calls.filter((r) => r.status === 429)).toHaveLength(4);
    expect(calls.filter((r) => r.cmdlet === "Enable-OrganizationCustomization" && r.status === 200)).toHaveLength(1);
  });

  test("a lost Enable response is retried and the 'not required' answer counts as success", async () => {
    const mark = emulator().requests.length;
    emulator().inject({ surface: "exchange", cmdlet: "Enable-OrganizationCustomization", fault: "lost" });
    const e = new Engine(host);
    const { state } = await e.up(target);
    expect(state.outputs).toMatchObject({ isDehydrated: false, enabledByUs: true });
    const enables = exchangeCalls(mark, "target").filter((r) => r.cmdlet === "Enable-OrganizationCustomization");
    expect(enables).toHaveLength(2);
    expect(enables[0].fault).toBe("lost");
    // The first attempt was applied; the second is Microsoft's "not required".
    expect(enables[1].status).toBeGreaterThanOrEqual(400);
    expect(orgConfig("target").IsDehydrated).toBe(false);
  });

  test("a failure names the action and the tenant and carries no secret", async () => {
    const badSecret = "wrong-secret-Zq93-never-shown";
    // Stopping the host checks that neither the bad secret nor a tenant's reached its console.
    await withProviderHost(emulator(), { config: { targetClientSecret: badSecret } }, async (other) => {
      const err = await new Engine(other).up(target).catch((x) => x);
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(
        new RegExp(
          `^Reading the organization configuration \\(Get-OrganizationConfig\\) of tenant ${emulator().tenants.target.tenantId}: `,
        ),
      );
      expect(err.message).not.toContain(badSecret);
      expect(orgConfig("target").IsDehydrated).toBe(true);
    });
  });
});
