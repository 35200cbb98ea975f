// MigrationEndpoint through the whole engine lifecycle in Pulumi's real dynamic-provider host, against the
// emulated pair: offline check, create through the pwsh stand-in, a no-op second up, drift (ApplicationId
// changed by hand, endpoint removed by hand) shown and repaired, secret rotation in place, destroy.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import { useEmulator, tenantOf } from "./support/emulator";
import type { ProviderHost } from "../harness/providerHost";
import { CheckFailedError, Engine, withUnknowns, type DeclaredResource } from "../harness/engine";
import {
  addSecret,
  declareEndpoint,
  endpointArgs,
  endpointNamed,
  endpointsIn,
  exchangeCalls,
  preparePair,
  removeSecret,
  FAKE_PWSH,
  storedCredential,
  type TestApp,
} from "./support/migrationEndpointPair";
import { createTenantClient } from "../providers/tenant";
import { emulatorTenantSettings } from "./support/emulator";
import { useProviderHost } from "./support/providerHost";

const emulator = useEmulator();

let host: ProviderHost;
let engine: Engine;
let app: TestApp;
let endpoint: DeclaredResource;
const secrets: string[] = [];
const providerHost = useProviderHost(emulator, { config: { pwshPath: FAKE_PWSH }, secrets: () => secrets });

beforeAll(async () => {
  const emu = emulator();
  app = preparePair(emu);
  secrets.push(app.secret, emu.tenants.source.clientSecret, emu.tenants.target.clientSecret);
  host = providerHost();
  engine = new Engine(host);
  endpoint = await declareEndpoint("migration-endpoint", endpointArgs(emu, app));
});

afterAll(() => {
  expect(secrets.length).toBeGreaterThanOrEqual(3);
});

describe("check, offline", () => {
  async function failures(over: Record<string, unknown>) {
    const r = await declareEndpoint("migration-endpoint/bad", { ...endpointArgs(emulator(), app), ...over });
    const mark = emulator().requests.length;
    const err = await new Engine(host).preview(r).catch((e) => e);
    // No request of any kind reached the emulator: check needs none to reject.
    expect(emulator().requests.length).toBe(mark);
    expect(err).toBeInstanceOf(CheckFailedError);
    return (err as CheckFailedError).failures;
  }

  test("remoteTenant pointed at the target's domain or tenant id is rejected, naming the source", async () => {
    for (const bad of [
      emulator().tenants.target.domain,
      emulator().tenants.target.domain.toUpperCase(),
      emulator().tenants.target.tenantId,
    ]) {
      const f = await failures({ remoteTenant: bad });
      expect(f).toEqual([{ property: "remoteTenant", reason: expect.stringContaining("is the TARGET tenant") }]);
      expect(f[0].reason).toContain(`the source tenant's initial domain ("${emulator().tenants.source.domain}")`);
    }
  });

  test("bad names, ids and unknown inputs each name the property; the secret is never echoed", async () => {
    const f = await failures({
      name: "a/b",
      appId: "not-a-guid",
      clientSecret: "6f1c2a55-1111-4e2b-9c3d-1234567890ab",
      remoteTenant: "fabrikam",
      maxConcurrentMigrations: 0,
      bogus: 1,
    });
    expect(f.map((x) => x.property).sort()).toEqual([
      "appId",
      "bogus",
      "clientSecret",
      "maxConcurrentMigrations",
      "name",
      "remoteTenant",
    ]);
    expect(JSON.stringify(f)).not.toContain("6f1c2a55-1111-4e2b-9c3d-1234567890ab");
    const missing = await failures({ name: undefined, secretKeyId: undefined, clientSecret: undefined });
    expect(missing.map((x) => x.property).sort()).toEqual(["clientSecret", "name", "secretKeyId"]);
  });

  test("a tenant id as remoteTenant is refused: -RemoteTenant takes a domain", async () => {
    const f = await failures({ remoteTenant: emulator().tenants.source.tenantId });
    expect(f).toEqual([{ property: "remoteTenant", reason: expect.stringMatching(/is a tenant id/) }]);
  });
});

describe("lifecycle", () => {
  test("preview plans a create and sends nothing; unknown inputs pass", async () => {
    const mark = emulator().requests.length;
    expect((await engine.preview(endpoint)).op).toBe("create");
    expect(
      (
        await engine.preview(
          withUnknowns(endpoint, "appId", "clientSecret", "secretKeyId", "remoteTenant", "consentedAt"),
        )
      ).op,
    ).toBe("create");
    expect(emulator().requests.length).toBe(mark);
    expect(endpointsIn(emulator())).toHaveLength(0);
  });

  test("up creates the endpoint through PowerShell and reads it back over REST", async () => {
    const emu = emulator();
    const mark = emu.requests.length;
    const { op, state } = await engine.up(endpoint);
    expect(op).toBe("create");
    expect(state.id).toBe("xtmm-source");
    const ep = endpointNamed(emu, "xtmm-source")!;
    expect(ep).toMatchObject({
      EndpointType: "ExchangeRemoteMove",
      RemoteServer: "outlook.office.com",
      RemoteTenant: emu.tenants.source.domain,
      ApplicationId: app.appId,
    });
    expect(storedCredential(ep)).toEqual({ userName: app.appId, password: app.secret });
    expect(state.outputs).toEqual({
      __provider: endpoint.inputs.__provider,
      name: "xtmm-source",
      identity: "xtmm-source",
      guid: ep.Guid,
      endpointType: "ExchangeRemoteMove",
      remoteServer: "outlook.office.com",
      remoteTenant: emu.tenants.source.domain,
      applicationId: app.appId,
      maxConcurrentMigrations: 20,
      secretKeyId: app.keyId,
      adopted: false,
      tenantId: emu.tenants.target.tenantId,
    });
    expect(JSON.stringify(state.outputs)).not.toContain(app.secret);
    const calls = exchangeCalls(emu, mark).map((r) => [r.via, r.cmdlet, r.status]);
    expect(calls).toEqual([
      ["rest", "Get-MigrationEndpoint", 404],
      ["pwsh", "New-MigrationEndpoint", 200],
      ["rest", "Get-MigrationEndpoint", 200],
    ]);
  });

  test("a second preview and up find nothing to change and send nothing", async () => {
    const mark = emulator().requests.length;
    expect((await engine.preview(endpoint)).op).toBe("same");
    expect((await engine.up(endpoint)).op).toBe("same");
    expect(emulator().requests.length).toBe(mark);
  });

  test("ApplicationId changed by hand shows on refresh and the next up sets it back in place", async () => {
    const emu = emulator();
    const other = "0b5f7a6e-2c1d-4f3e-9a8b-7c6d5e4f3a2b";
    endpointNamed(emu, "xtmm-source")!.ApplicationId = other;
    const refreshed = await engine.refresh(endpoint);
    expect(refreshed.op).toBe("drift");
    expect(refreshed.state?.outputs.applicationId).toBe(other);
    expect(refreshed.diff?.replaces).toEqual([]);
    const guid = endpointNamed(emu, "xtmm-source")!.Guid;

    const mark = emu.requests.length;
    const { op, state } = await engine.up(endpoint);
    expect(op).toBe("update");
    expect(state.outputs.applicationId).toBe(app.appId);
    const ep = endpointNamed(emu, "xtmm-source")!;
    expect(ep).toMatchObject({ ApplicationId: app.appId, Guid: guid });
    expect(
      exchangeCalls(emu, mark)
        .filter((r) => !/^Get-/.test(r.cmdlet ?? ""))
        .map((r) => [r.via, r.cmdlet, r.status]),
    ).toEqual([["pwsh", "Set-MigrationEndpoint", 200]]);
    expect((await engine.up(endpoint)).op).toBe("same");
  });

  test("an endpoint removed by hand leaves the state on refresh and the next up makes it again", async () => {
    const emu = emulator();
    const target = tenantOf(emu, "target");
    for (const [k, s] of target.exchange.migrationEndpoints)
      if (s.obj.Name === "xtmm-source") target.exchange.migrationEndpoints.delete(k);
    expect((await engine.refresh(endpoint)).op).toBe("gone");
    const mark = emu.requests.length;
    const { op, state } = await engine.up(endpoint);
    expect(op).toBe("create");
    expect(state.outputs.adopted).toBe(false);
    expect(endpointsIn(emu).filter((s) => s.obj.Name === "xtmm-source")).toHaveLength(1);
    expect(exchangeCalls(emu, mark).filter((r) => r.cmdlet === "New-MigrationEndpoint")).toHaveLength(1);
  });

  test("a rotated secret updates the endpoint's credential in place; the old secret can then be removed", async () => {
    const emu = emulator();
    const guid = endpointNamed(emu, "xtmm-source")!.Guid;
    const next = await addSecret(emu, app);
    secrets.push(next.secret);
    const rotated = await declareEndpoint(
      "migration-endpoint",
      endpointArgs(emu, app, { clientSecret: next.secret, secretKeyId: next.keyId }),
    );

    const plan = await engine.preview(rotated);
    expect(plan.op).toBe("update");
    expect(plan.diff?.replaces).toEqual([]);

    const mark = emu.requests.length;
    const { op, state } = await engine.up(rotated);
    expect(op).toBe("update");
    expect(state.outputs.secretKeyId).toBe(next.keyId);
    expect(JSON.stringify(state.outputs)).not.toContain(next.secret);
    const ep = endpointNamed(emu, "xtmm-source")!;
    expect(ep.Guid).toBe(guid);
    expect(storedCredential(ep)).toEqual({ userName: app.appId, password: next.secret });
    expect(
      exchangeCalls(emu, mark)
        .filter((r) => !/^Get-/.test(r.cmdlet ?? ""))
        .map((r) => [r.via, r.cmdlet]),
    ).toEqual([["pwsh", "Set-MigrationEndpoint"]]);

    // The old secret goes (MigrationAppSecretRetirement's job); the endpoint keeps working with the new one.
    await removeSecret(emu, app, app.keyId);
    const test = await createTenantClient(emulatorTenantSettings(emu, "target")).exchange.invoke<{
      Result: string;
      Message: string;
    }>("Test-MigrationServerAvailability", { Endpoint: "xtmm-source" });
    expect(test.value[0]).toMatchObject({ Result: "Success" });
    expect((await engine.up(rotated)).op).toBe("same");
    endpoint = rotated;
  });

  test("renaming plans a replacement that makes the new endpoint before removing the old one", async () => {
    const renamed = await declareEndpoint("migration-endpoint", {
      ...endpointArgs(emulator(), app),
      clientSecret: secrets[secrets.length - 1],
      secretKeyId: endpoint.inputs.secretKeyId as string,
      name: "xtmm-source-2",
    });
    const plan = await engine.preview(renamed);
    expect(plan.op).toBe("replace");
    expect(plan.diff?.replaces).toEqual(["name"]);
    expect(plan.diff?.deleteBeforeReplace).toBe(false);
    const sameName = await declareEndpoint("migration-endpoint", {
      ...endpointArgs(emulator(), app),
      remoteTenant: "northwind.onmicrosoft.com",
    });
    const p2 = await engine.preview(sameName);
    expect(p2.diff?.replaces).toEqual(["remoteTenant"]);
    expect(p2.diff?.deleteBeforeReplace).toBe(true);
  });

  test("destroy removes the endpoint and leaves nothing; a second delete of a gone endpoint succeeds", async () => {
    const emu = emulator();
    const old = engine.state(endpoint)!;
    const mark = emu.requests.length;
    await engine.destroy(endpoint);
    expect(engine.states.size).toBe(0);
    expect(endpointsIn(emu)).toHaveLength(0);
    expect(exchangeCalls(emu, mark).map((r) => [r.via, r.cmdlet, r.status])).toEqual([
      ["rest", "Remove-MigrationEndpoint", 200],
    ]);
    await host.delete(old.urn, old.id, old.outputs, old.inputs);
    await host.waitForOutput("MigrationEndpoint 'xtmm-source': already gone from the target tenant.");
  });
});
