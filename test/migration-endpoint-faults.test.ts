// MigrationEndpoint under the faults a real pair throws at it, in the real provider host: the source consent
// not yet propagated (bounded wait, then success), consent never given (clear failure within the bound),
// a storm of 429s on Get-MigrationEndpoint, a 503 and a lost answer on New-MigrationEndpoint (nothing
// duplicated, nothing refused as "already exists"), and a dehydrated target.

import { useEmulator, tenantOf } from "./support/emulator";
import type { ProviderHost } from "../harness/providerHost";
import { Engine, type DeclaredResource } from "../harness/engine";
import {
  consent,
  declareEndpoint,
  endpointArgs,
  endpointNamed,
  endpointsIn,
  exchangeCalls,
  preparePair,
  registerApp,
  FAKE_PWSH,
  type TestApp,
} from "./support/migrationEndpointPair";
import { useProviderHost } from "./support/providerHost";
import { expectNoSecrets } from "./support/secrets";

const emulator = useEmulator();

let host: ProviderHost;
let app: TestApp;
const secrets: string[] = [];
const providerHost = useProviderHost(emulator, { config: { pwshPath: FAKE_PWSH }, secrets: () => secrets });

beforeAll(async () => {
  const emu = emulator();
  app = preparePair(emu);
  secrets.push(app.secret);
  host = providerHost();
});

afterEach(() => emulator().setFaults({ consentPropagationMs: 0 }));

afterAll(() => {
  expect(secrets.length).toBeGreaterThanOrEqual(3);
});

/** Up, then destroy, checking that exactly one endpoint of that name existed in between and none after. */
async function upAndDestroy(r: DeclaredResource, name: string) {
  const engine = new Engine(host);
  const result = await engine.up(r);
  expect(endpointsIn(emulator()).filter((s) => s.obj.Name === name)).toHaveLength(1);
  await engine.destroy(r);
  expect(endpointNamed(emulator(), name)).toBeUndefined();
  return result;
}

describe("the source consent", () => {
  test("not yet propagated: each retry says what it waits for, then the endpoint is made", async () => {
    const emu = emulator();
    const fresh = registerApp(emu);
    secrets.push(fresh.secret);
    emu.setFaults({ consentPropagationMs: 5_000 });
    const t0 = Date.now();
    const consentedAt = consent(emu, fresh.appId, t0);
    const r = await declareEndpoint(
      "migration-endpoint/propagating",
      endpointArgs(emu, fresh, { name: "propagating", consentedAt, propagationTimeoutSeconds: 60 }),
    );
    const mark = emu.requests.length;
    const { state } = await upAndDestroy(r, "propagating");
    // Measured from the consent, which the emulator's propagation delay counts from (setting up the endpoint
    // takes a second or more on a busy machine, so a clock started after it could see less than the delay).
    expect(Date.now() - t0).toBeGreaterThanOrEqual(5_000);
    expect(state.outputs).toMatchObject({ applicationId: fresh.appId, adopted: false });
    const news = exchangeCalls(emu, mark).filter((c) => c.cmdlet === "New-MigrationEndpoint");
    expect(news.length).toBeGreaterThanOrEqual(2);
    expect(news.slice(0, -1).every((c) => c.status >= 400)).toBe(true);
    expect(news[news.length - 1].status).toBe(200);
    await host.waitForOutput(
      `MigrationEndpoint 'propagating': waiting for the admin consent of app ${fresh.appId} in the source tenant ${emu.tenants.source.domain} to reach Exchange Online (the source tenant does not yet let the app move mailboxes); trying again in`,
    );
  });

  test("never given: a failure within the bound that says what to check", async () => {
    const emu = emulator();
    const unconsented = registerApp(emu);
    secrets.push(unconsented.secret);
    const r = await declareEndpoint(
      "migration-endpoint/unconsented",
      endpointArgs(emu, unconsented, { name: "unconsented", propagationTimeoutSeconds: 4 }),
    );
    const t0 = Date.now();
    const err = await new Engine(host).up(r).catch((e) => e);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(4_000);
    expect(took).toBeLessThan(12_000);
    expect(err.message).toMatch(
      /^Creating migration endpoint 'unconsented' \(New-MigrationEndpoint\) in the target tenant .*: Exchange Online still cannot act for the migration app in the source tenant after \d+ attempt\(s\)/,
    );
    expect(err.message).toContain(`admin consent in the SOURCE tenant ${emu.tenants.source.domain}`);
    expect(err.message).toContain(
      `${emu.endpoints.login}/${emu.tenants.source.domain}/adminconsent?client_id=${unconsented.appId}&redirect_uri=https://office.com`,
    );
    expect(err.message).toContain(`the app id ${unconsented.appId} is the migration app's application (client) id`);
    expect(err.message).toContain(`remoteTenant ${emu.tenants.source.domain} is the source tenant's initial domain`);
    expect(err.message).toContain("AADSTS700016");
    expect(err.message).not.toContain(unconsented.secret);
    expect(endpointNamed(emu, "unconsented")).toBeUndefined();
    await host.waitForOutput("MigrationEndpoint 'unconsented': waiting for the admin consent");
  });

  test("a wrong secret is not waited for: it fails at once and says which secret", async () => {
    const emu = emulator();
    const wrong = "wrong-Secret~never-shown-42";
    const r = await declareEndpoint(
      "migration-endpoint/wrong-secret",
      endpointArgs(emu, app, { name: "wrong-secret", clientSecret: wrong }),
    );
    const err = await new Engine(host).up(r).catch((e) => e);
    expect(err.message).toContain("AADSTS7000215");
    expect(err.message).toContain(
      `The clientSecret given (keyId ${app.keyId}) is not a current secret of app ${app.appId}`,
    );
    expect(err.message).not.toContain(wrong);
    expectNoSecrets(host.output(), [wrong], "the provider host's console");
  });
});

describe("faults", () => {
  test("a storm of 429s on Get-MigrationEndpoint is waited out", async () => {
    const emu = emulator();
    const mark = emu.requests.length;
    emu.inject({ surface: "exchange", cmdlet: "Get-MigrationEndpoint", fault: "throttle", times: 4 });
    await upAndDestroy(
      await declareEndpoint("migration-endpoint/throttled", endpointArgs(emu, app, { name: "throttled" })),
      "throttled",
    );
    const calls = exchangeCalls(emu, mark);
    expect(calls.filter((c) => c.status === 429 && c.cmdlet === "Get-MigrationEndpoint")).toHaveLength(4);
    expect(calls.filter((c) => c.cmdlet === "New-MigrationEndpoint").map((c) => c.status)).toEqual([200]);
  });

  // Exchange's 503 here says the request was refused before it ran (too many concurrent requests), so the
  // tenant layer resends it without the endpoint layer having to look first.
  test("a 503 refusal on New-MigrationEndpoint is retried once, and one endpoint exists", async () => {
    const emu = emulator();
    const mark = emu.requests.length;
    emu.inject({ surface: "exchange", cmdlet: "New-MigrationEndpoint", fault: "unavailable" });
    const { state } = await upAndDestroy(
      await declareEndpoint("migration-endpoint/unavailable", endpointArgs(emu, app, { name: "unavailable" })),
      "unavailable",
    );
    expect(state.outputs.adopted).toBe(false);
    expect(exchangeCalls(emu, mark).map((c) => [c.via, c.cmdlet, c.status])).toEqual([
      ["rest", "Get-MigrationEndpoint", 404],
      ["pwsh", "New-MigrationEndpoint", 503],
      ["pwsh", "New-MigrationEndpoint", 200],
      ["rest", "Get-MigrationEndpoint", 200],
      ["rest", "Remove-MigrationEndpoint", 200],
    ]);
  });

  test("a lost answer to New-MigrationEndpoint: the endpoint it made is found and kept, not made twice, still ours", async () => {
    const emu = emulator();
    const mark = emu.requests.length;
    emu.inject({ surface: "exchange", cmdlet: "New-MigrationEndpoint", fault: "lost" });
    const { state } = await upAndDestroy(
      await declareEndpoint("migration-endpoint/lost", endpointArgs(emu, app, { name: "lost" })),
      "lost",
    );
    // Ours, so destroy removed it (upAndDestroy checked).
    expect(state.outputs.adopted).toBe(false);
    const news = exchangeCalls(emu, mark).filter((c) => c.cmdlet === "New-MigrationEndpoint");
    expect(news).toHaveLength(1);
    expect(news[0].fault).toBe("lost");
    await host.waitForOutput("MigrationEndpoint 'lost': an attempt whose answer was lost had created it");
  });

  test("a dehydrated target: Exchange's exact refusal surfaces, with what to do", async () => {
    const emu = emulator();
    const org = tenantOf(emu, "target").exchange.organizationConfig;
    org.IsDehydrated = true;
    try {
      const err = await new Engine(host)
        .up(await declareEndpoint("migration-endpoint/dehydrated", endpointArgs(emu, app, { name: "dehydrated" })))
        .catch((e) => e);
      expect(err.message).toContain(
        "The command you tried to run isn't currently allowed in your organization. To run this command, you first need to run the command: Enable-OrganizationCustomization.",
      );
      expect(err.message).toMatch(
        /^Creating migration endpoint 'dehydrated' \(New-MigrationEndpoint\) in the target tenant /,
      );
      expect(err.message).toContain("The target's Exchange organization is dehydrated: hydrate it first");
      expect(endpointNamed(emu, "dehydrated")).toBeUndefined();
    } finally {
      org.IsDehydrated = false;
    }
  });
});
