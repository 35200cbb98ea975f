// The RemoteServer a MigrationEndpoint must have is its input `remoteServer`: check records it (the program's
// value, or the stack's cloud's when the program gives none) and refuses another, diff plans the update from
// olds and news alone, and state recorded before the input existed diffs clean. Offline: the provider hosts,
// configured with made-up tenants, never call one. Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import type { ProviderHost } from "../harness/providerHost";
import { useProviderHost, withProviderHost } from "./support/providerHost";
import { declareResource, type DeclaredResource } from "../harness/engine";
import { MigrationEndpoint, type MigrationEndpointArgs } from "../providers/migrationEndpoint";
import { baseConfig, runIndex } from "./support/programMocks";

const TARGET = "bbbbbbbb-2222-4222-8222-222222222222";
const APP = "dddddddd-4444-4444-8444-444444444444";
const KEY = "eeeeeeee-5555-4555-8555-555555555555";
const WORLDWIDE = "outlook.office.com";
const GCC_HIGH = "outlook.office365.us";

const CONFIG = {
  "xtmm:cloud": "worldwide",
  "xtmm:sourceTenantId": "aaaaaaaa-1111-4111-8111-111111111111",
  "xtmm:sourceDomain": "fabrikam.onmicrosoft.com",
  "xtmm:targetTenantId": TARGET,
  "xtmm:targetDomain": "contoso.onmicrosoft.com",
  "xtmm:targetClientId": "cccccccc-3333-4333-8333-333333333333",
  "xtmm:targetClientSecret": "not-a-real-secret-for-check",
};

/** What the endpoint recorded when it was made in the worldwide cloud, before `remoteServer` was an input. */
const RECORDED = {
  name: "xtmm-source",
  identity: "xtmm-source",
  guid: "ffffffff-6666-4666-8666-666666666666",
  endpointType: "ExchangeRemoteMove",
  remoteServer: WORLDWIDE,
  remoteTenant: "fabrikam.onmicrosoft.com",
  applicationId: APP,
  maxConcurrentMigrations: 20,
  secretKeyId: KEY,
  adopted: false,
  tenantId: TARGET,
};

const args = (over: Partial<MigrationEndpointArgs> = {}): MigrationEndpointArgs => ({
  name: "xtmm-source",
  appId: APP,
  clientSecret: "not-a-real-client-secret",
  secretKeyId: KEY,
  remoteTenant: "fabrikam.onmicrosoft.com",
  ...over,
});
const declare = (over: Partial<MigrationEndpointArgs> = {}) =>
  declareResource(() => new MigrationEndpoint("migration-endpoint", args(over)));
const urnOf = (r: DeclaredResource) => `urn:pulumi:test::xtmm::${r.type}::${r.name}`;

let worldwide: ProviderHost;
let gccHigh: ProviderHost;
let plain: DeclaredResource;
/** The outputs as the state holds them (the host loads the provider from `__provider`). */
let olds: Record<string, unknown>;

const worldwideHost = useProviderHost({ stackConfig: CONFIG });
const gccHighHost = useProviderHost({ stackConfig: { ...CONFIG, "xtmm:cloud": "gcchigh" } });
beforeAll(async () => {
  [worldwide, gccHigh] = [worldwideHost(), gccHighHost()];
  plain = await declare();
  olds = { ...RECORDED, __provider: plain.inputs.__provider };
});

describe("check", () => {
  test("records the stack's cloud's RemoteServer when the program gives none", async () => {
    expect(plain.inputs.remoteServer).toBeUndefined();
    const w = await worldwide.check(urnOf(plain), {}, plain.inputs);
    expect(w.failures).toEqual([]);
    expect(w.inputs.remoteServer).toBe(WORLDWIDE);
    const g = await gccHigh.check(urnOf(plain), {}, plain.inputs);
    expect(g.failures).toEqual([]);
    expect(g.inputs.remoteServer).toBe(GCC_HIGH);
  });

  test("keeps the program's value, lower-cased, when it is the cloud's", async () => {
    const r = await declare({ remoteServer: "Outlook.Office.COM" });
    const checked = await worldwide.check(urnOf(r), {}, r.inputs);
    expect(checked.failures).toEqual([]);
    expect(checked.inputs.remoteServer).toBe(WORLDWIDE);
  });

  test("refuses a value that is not a host name, or another cloud's, naming remoteServer and the fix", async () => {
    for (const bad of [`https://${WORLDWIDE}/`, "outlook"]) {
      const r = await declare({ remoteServer: bad });
      const checked = await worldwide.check(urnOf(r), {}, r.inputs);
      expect([bad, checked.failures]).toEqual([
        bad,
        [{ property: "remoteServer", reason: expect.stringContaining(`-RemoteServer (e.g. ${WORLDWIDE})`) }],
      ]);
    }
    const other = await declare({ remoteServer: GCC_HIGH });
    const checked = await worldwide.check(urnOf(other), {}, other.inputs);
    expect(checked.failures).toEqual([
      {
        property: "remoteServer",
        reason: expect.stringContaining(
          `is ${GCC_HIGH}, but the stack's cloud (worldwide) takes ${WORLDWIDE}: the endpoint would be recorded with one ` +
            `server and made with another; pass ${WORLDWIDE}, or leave remoteServer out`,
        ),
      },
    ]);
  });

  test("without readable target settings it fills in nothing (create reports the settings), and fails nothing", async () => {
    const { "xtmm:targetClientSecret": _secret, ...withoutSecret } = CONFIG;
    await withProviderHost(undefined, { stackConfig: withoutSecret }, async (broken) => {
      const checked = await broken.check(urnOf(plain), {}, plain.inputs);
      expect(checked.failures).toEqual([]);
      expect(checked.inputs.remoteServer).toBeUndefined();
    });
  });
});

describe("diff", () => {
  test("another RemoteServer in the inputs is an update in place", async () => {
    const news = (await gccHigh.check(urnOf(plain), {}, plain.inputs)).inputs;
    // Asked of the worldwide host: what decides is the inputs, not the host's configuration.
    const diff = await worldwide.diff(urnOf(plain), "xtmm-source", olds, news);
    expect(diff).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
  });

  test("the same RemoteServer, in another case, is no change", async () => {
    const news = (await worldwide.check(urnOf(plain), {}, plain.inputs)).inputs;
    const recorded = { ...olds, remoteServer: WORLDWIDE.toUpperCase() };
    expect((await worldwide.diff(urnOf(plain), "xtmm-source", recorded, news)).changes).toBe("none");
  });

  test("state recorded before the input existed diffs clean: up (inputs from check) and refresh (the old inputs)", async () => {
    const news = (await worldwide.check(urnOf(plain), {}, plain.inputs)).inputs;
    expect((await worldwide.diff(urnOf(plain), "xtmm-source", olds, news)).changes).toBe("none");
    // Refresh diffs the outputs it read against the inputs the state had, which lack the input.
    expect(plain.inputs.remoteServer).toBeUndefined();
    expect((await worldwide.diff(urnOf(plain), "xtmm-source", olds, plain.inputs)).changes).toBe("none");
  });

  test("diff reads no configuration: a host of another cloud, or none, answers from olds and news", async () => {
    const news = (await worldwide.check(urnOf(plain), {}, plain.inputs)).inputs;
    expect((await gccHigh.diff(urnOf(plain), "xtmm-source", olds, news)).changes).toBe("none");
    await withProviderHost(undefined, { stackConfig: null }, async (unconfigured) => {
      expect((await unconfigured.diff(urnOf(plain), "xtmm-source", olds, news)).changes).toBe("none");
      const moved = await unconfigured.diff(urnOf(plain), "xtmm-source", olds, { ...news, remoteServer: GCC_HIGH });
      expect(moved).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
    });
  });
});

describe("the program", () => {
  test("passes the stack's cloud's RemoteServer to the endpoint", async () => {
    for (const [cloud, server] of [
      ["worldwide", WORLDWIDE],
      ["gcchigh", GCC_HIGH],
    ]) {
      const run = await runIndex(baseConfig({ "xtmm:cloud": cloud }));
      if (run.error) throw run.error;
      expect([cloud, run.byName("migration-endpoint").inputs.remoteServer]).toEqual([cloud, server]);
    }
  });
});
