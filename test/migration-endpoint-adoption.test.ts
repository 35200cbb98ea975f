// MigrationEndpoint adoption, in the real provider host against the emulator: an endpoint made by hand (as
// an engineer runs New-MigrationEndpoint in PowerShell) is verified over REST and adopted with no pwsh at
// all, a mismatching one is refused field by field, a missing one gets the exact command to run; without
// `adopt`, create-or-adopt by name; and with pwsh missing, the runner's manual command surfaces, secret-free.

import { emulatorTenantSettings, useEmulator } from "./support/emulator";
import type { ProviderHost } from "../harness/providerHost";
import { Engine } from "../harness/engine";
import {
  declareEndpoint,
  endpointArgs,
  endpointNamed,
  exchangeCalls,
  FAKE_PWSH,
  preparePair,
  storedCredential,
  type TestApp,
} from "./support/migrationEndpointPair";
import { useProviderHost } from "./support/providerHost";
import { createTenantClient } from "../providers/tenant";
import { expectNoSecrets } from "./support/secrets";

const emulator = useEmulator();

let withPwsh: ProviderHost;
let noPwsh: ProviderHost;
let app: TestApp;
const appSecret = () => [app.secret];
const withPwshHost = useProviderHost(emulator, { config: { pwshPath: FAKE_PWSH }, secrets: appSecret });
const noPwshHost = useProviderHost(emulator, { config: { pwshPath: "/nonexistent/pwsh" }, secrets: appSecret });

beforeAll(async () => {
  const emu = emulator();
  // The test process runs the pwsh stand-in itself for the hand-made endpoints.
  process.env.NODE_EXTRA_CA_CERTS = emu.caFile;
  app = preparePair(emu);
  withPwsh = withPwshHost();
  noPwsh = noPwshHost();
});

/** What an engineer runs once in Exchange Online PowerShell, here through the stand-in. */
async function makeByHand(name: string): Promise<void> {
  const emu = emulator();
  const client = createTenantClient(emulatorTenantSettings(emu, "target", { pwshPath: FAKE_PWSH }));
  await client.powershell.run(
    "New-MigrationEndpoint",
    {
      Name: name,
      ExchangeRemoteMove: true,
      RemoteServer: "outlook.office.com",
      RemoteTenant: emu.tenants.source.domain,
      ApplicationId: app.appId,
    },
    { Credentials: { userName: app.appId, password: app.secret } },
  );
}

const writes = (since: number) => exchangeCalls(emulator(), since).filter((r) => !/^Get-/.test(r.cmdlet ?? ""));

describe("adopt: true (no pwsh)", () => {
  test("a hand-made endpoint is verified over REST and adopted; destroy leaves it in place", async () => {
    await makeByHand("made-by-hand");
    const r = await declareEndpoint("migration-endpoint/adopted", {
      name: "made-by-hand",
      appId: app.appId,
      remoteTenant: emulator().tenants.source.domain,
      adopt: true,
    });
    const engine = new Engine(noPwsh);
    const mark = emulator().requests.length;
    const { op, state } = await engine.up(r);
    expect(op).toBe("create");
    expect(state.outputs).toMatchObject({
      identity: "made-by-hand",
      endpointType: "ExchangeRemoteMove",
      applicationId: app.appId,
      adopted: true,
      secretKeyId: null,
    });
    expect(exchangeCalls(emulator(), mark).map((c) => [c.via, c.cmdlet])).toEqual([["rest", "Get-MigrationEndpoint"]]);
    expect((await engine.up(r)).op).toBe("same");

    const before = emulator().requests.length;
    await engine.destroy(r);
    expect(endpointNamed(emulator(), "made-by-hand")).toBeDefined();
    expect(emulator().requests.length).toBe(before);
    await noPwsh.waitForOutput(
      "MigrationEndpoint 'made-by-hand': adopted, not made by this stack, so it is left in place",
    );
  });

  test("a hand-made endpoint that does not match is refused, naming each field", async () => {
    await makeByHand("mismatched");
    const ep = endpointNamed(emulator(), "mismatched")!;
    ep.ApplicationId = "0b5f7a6e-2c1d-4f3e-9a8b-7c6d5e4f3a2b";
    ep.RemoteServer = "outlook.office365.us";
    const r = await declareEndpoint("migration-endpoint/mismatched", {
      name: "mismatched",
      appId: app.appId,
      remoteTenant: emulator().tenants.source.domain,
      adopt: true,
    });
    const mark = emulator().requests.length;
    const err = await new Engine(noPwsh).up(r).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain("Migration endpoint 'mismatched' already exists");
    expect(err.message).toContain(`ApplicationId is '0b5f7a6e-2c1d-4f3e-9a8b-7c6d5e4f3a2b', expected '${app.appId}'`);
    expect(err.message).toContain("RemoteServer is 'outlook.office365.us', expected 'outlook.office.com'");
    expect(err.message).not.toMatch(/EndpointType is|RemoteTenant is/);
    expect(writes(mark)).toEqual([]);
  });

  test("a missing endpoint fails with the exact command to run, the secret left out", async () => {
    const emu = emulator();
    const r = await declareEndpoint("migration-endpoint/missing", {
      ...endpointArgs(emu, app),
      name: "not-made-yet",
      adopt: true,
    });
    const mark = emu.requests.length;
    const err = await new Engine(noPwsh).up(r).catch((e) => e);
    expect(err.message).toContain("Migration endpoint 'not-made-yet' does not exist in the target tenant");
    expect(err.message).toContain(
      `Connect-ExchangeOnline -Organization '${emu.tenants.target.domain}'\n` +
        `New-MigrationEndpoint -Name 'not-made-yet' -ExchangeRemoteMove -RemoteServer 'outlook.office.com' -RemoteTenant '${emu.tenants.source.domain}' ` +
        `-ApplicationId '${app.appId}' -Credentials (Get-Credential '${app.appId}')`,
    );
    expect(err.message).not.toContain(app.secret);
    expect(writes(mark)).toEqual([]);
    expect(endpointNamed(emu, "not-made-yet")).toBeUndefined();
  });
});

describe("without adopt: create-or-adopt by name", () => {
  test("an existing endpoint that matches is adopted and recorded, given our credential, and left on destroy", async () => {
    await makeByHand("pre-existing");
    const emu = emulator();
    const r = await declareEndpoint(
      "migration-endpoint/pre-existing",
      endpointArgs(emu, app, { name: "pre-existing" }),
    );
    const engine = new Engine(withPwsh);
    const mark = emu.requests.length;
    const { state } = await engine.up(r);
    expect(state.outputs).toMatchObject({ identity: "pre-existing", adopted: true, secretKeyId: app.keyId });
    expect(writes(mark).map((c) => [c.via, c.cmdlet])).toEqual([["pwsh", "Set-MigrationEndpoint"]]);
    expect(storedCredential(endpointNamed(emu, "pre-existing"))).toEqual({ userName: app.appId, password: app.secret });
    await withPwsh.waitForOutput(
      "MigrationEndpoint 'pre-existing': an endpoint of that name already exists in the target tenant and matches",
    );

    const before = emu.requests.length;
    await engine.destroy(r);
    expect(endpointNamed(emu, "pre-existing")).toBeDefined();
    expect(writes(before)).toEqual([]);
  });

  test("an existing endpoint of the same name that does not match is an error", async () => {
    await makeByHand("taken");
    endpointNamed(emulator(), "taken")!.RemoteTenant = "northwind.onmicrosoft.com";
    const r = await declareEndpoint("migration-endpoint/taken", endpointArgs(emulator(), app, { name: "taken" }));
    const mark = emulator().requests.length;
    const err = await new Engine(withPwsh).up(r).catch((e) => e);
    expect(err.message).toContain(
      `RemoteTenant is 'northwind.onmicrosoft.com', expected '${emulator().tenants.source.domain}' (the source tenant)`,
    );
    expect(writes(mark)).toEqual([]);
  });
});

test("pwsh missing: the runner's message with the manual command surfaces; the secret is in neither the error nor the host output", async () => {
  const emu = emulator();
  const r = await declareEndpoint("migration-endpoint/needs-pwsh", endpointArgs(emu, app, { name: "needs-pwsh" }));
  const mark = emu.requests.length;
  const err = await new Engine(noPwsh).up(r).catch((e) => e);
  expect(err.message).toMatch(
    /^Creating migration endpoint 'needs-pwsh' \(New-MigrationEndpoint\) in the target tenant [0-9a-f-]+: PowerShell \(pwsh\) was not found at '\/nonexistent\/pwsh' \(config key pwshPath\)/,
  );
  expect(err.message).toContain(
    `New-MigrationEndpoint -Name 'needs-pwsh' -ExchangeRemoteMove -RemoteServer 'outlook.office.com' -RemoteTenant '${emu.tenants.source.domain}' -ApplicationId '${app.appId}' -Credentials (Get-Credential '${app.appId}')`,
  );
  expect(err.message).not.toContain(app.secret);
  expectNoSecrets(noPwsh.output(), [app.secret], "the provider host's console");
  expect(writes(mark)).toEqual([]);
  expect(endpointNamed(emu, "needs-pwsh")).toBeUndefined();
});
