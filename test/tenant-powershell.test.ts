// The PowerShell runner: through the emulator's stand-in for pwsh (emulator/fake-pwsh.js, which
// checks our command line and stdin contract and talks to the emulator's /_pwsh route), plus the cases
// no real pwsh is needed for: pwsh missing, a child that hangs, a child that prints garbage.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { emulatorTenantSettings, useEmulator, tenantOf } from "./support/emulator";
import { customCloud } from "../providers/tenant/clouds";
import { createTenantClient } from "../providers/tenant";
import { ExchangeError } from "../providers/tenant/exchangeErrors";
import { invokeScriptPath, manualCommand, PowerShellUnavailableError } from "../providers/tenant/powershell";
import { resetTenantLimiters } from "../providers/tenant/limiter";
import { FIRST_PARTY } from "../providers/tenant/clouds";
import { stored } from "../emulator/model";
import { randomUUID } from "crypto";
import type { TenantSettings } from "../providers/tenant/settings";
import { FAKE_PWSH } from "../emulator/fakePwsh";

const emu = useEmulator();
const SECRET = "Migration-App-Secret~9Zq";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-pwsh-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeEach(() => resetTenantLimiters());

function settings(pwshPath: string): TenantSettings {
  return emulatorTenantSettings(emu(), "target", { pwshPath });
}

/** The endpoint the target creates; `secret` is the migration app's client secret (by default a made-up one). */
function endpointParams(secret = SECRET) {
  const t = emu().tenants;
  return {
    parameters: {
      Name: "xtmm-endpoint",
      ExchangeRemoteMove: true,
      RemoteServer: "outlook.office.com",
      RemoteTenant: t.source.domain,
      ApplicationId: t.target.clientId,
    },
    credentials: { Credentials: { userName: t.target.clientId, password: secret } },
  };
}

function script(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

test("the .ps1 the runner hands to pwsh exists", () => {
  expect(fs.existsSync(invokeScriptPath())).toBe(true);
  expect(invokeScriptPath()).toMatch(/providers[/\\]tenant[/\\]invoke-cmdlet\.ps1$/);
});

test("pwsh missing: the error names pwshPath and prints the manual command without the secret", async () => {
  const { parameters, credentials } = endpointParams();
  const err = await createTenantClient(settings("/nonexistent/bin/pwsh"))
    .powershell.run("New-MigrationEndpoint", parameters, credentials)
    .catch((e) => e);
  expect(err).toBeInstanceOf(PowerShellUnavailableError);
  expect(err.message).toMatch(/pwsh\) was not found at '\/nonexistent\/bin\/pwsh' \(config key pwshPath\)/);
  const t = emu().tenants;
  expect(err.manualCommand).toBe(
    `Connect-ExchangeOnline -Organization '${t.target.domain}'\n` +
      `New-MigrationEndpoint -Name 'xtmm-endpoint' -ExchangeRemoteMove -RemoteServer 'outlook.office.com' -RemoteTenant '${t.source.domain}' -ApplicationId '${t.target.clientId}' -Credentials (Get-Credential '${t.target.clientId}')`,
  );
  expect(err.message).toContain(err.manualCommand);
  expect(err.message).not.toContain(SECRET);
  expect(err.message).not.toContain(t.target.clientSecret);
  expect(err.message).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
});

test("manual command for a national cloud connects to it", () => {
  const cmd = manualCommand(
    {
      domain: "contoso.onmicrosoft.us",
      cloud: { ...customCloud({ login: "https://l", graph: "https://g", exchange: "https://e" }), name: "gcchigh" },
    },
    "Set-X",
    { Identity: "it's", Enabled: false, Values: ["a", "b"] },
    {},
  );
  expect(cmd).toBe(
    "Connect-ExchangeOnline -Organization 'contoso.onmicrosoft.us' -ExchangeEnvironmentName O365USGovGCCHigh\nSet-X -Identity 'it''s' -Enabled:$false -Values 'a','b'",
  );
});

test("a child that does not answer in time is stopped and reported as maybe applied", async () => {
  const hang = script("hang.sh", "sleep 10");
  const { parameters, credentials } = endpointParams();
  const client = createTenantClient(settings(hang), { powershell: { timeoutMs: 300 } });
  const t0 = Date.now();
  const err = await client.powershell.run("New-MigrationEndpoint", parameters, credentials).catch((e) => e);
  expect(Date.now() - t0).toBeLessThan(3000);
  expect(err).toBeInstanceOf(ExchangeError);
  expect(err).toMatchObject({ kind: "Transient", maybeApplied: true });
  expect(err.message).toMatch(/did not finish within 300 ms/);
});

test("a child that prints no result: stderr is reported, with secrets and tokens scrubbed", async () => {
  // Echo stdin (which carries the secret and the token) to stderr, as a broken script might.
  const garbage = script("garbage.sh", "cat 1>&2\necho 'not json'\nexit 2");
  const { parameters, credentials } = endpointParams();
  const err = await createTenantClient(settings(garbage))
    .powershell.run("New-MigrationEndpoint", parameters, credentials)
    .catch((e) => e);
  expect(err).toBeInstanceOf(ExchangeError);
  expect(err.message).toMatch(/could not connect to Exchange Online, or the request was malformed/);
  expect(err.message).toContain("[REDACTED]");
  expect(err.message).not.toContain(SECRET);
  expect(err.message).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
});

test("stdin carries the contract's document; nothing secret is on the command line", async () => {
  const capture = path.join(dir, "captured.json");
  const args = path.join(dir, "args.txt");
  const spy = script(
    "spy.sh",
    `printf '%s\\n' "$@" > '${args}'\ncat > '${capture}'\necho '{"ok":true,"value":[{"Identity":"x"}],"warnings":["w"]}'`,
  );
  const { parameters, credentials } = endpointParams();
  const r = await createTenantClient(settings(spy)).powershell.run("New-MigrationEndpoint", parameters, credentials);
  expect(r).toEqual({ value: [{ Identity: "x" }], warnings: ["w"] });
  const argv = fs.readFileSync(args, "utf8").trim().split("\n");
  expect(argv).toEqual(["-NoLogo", "-NoProfile", "-NonInteractive", "-File", invokeScriptPath()]);
  const doc = JSON.parse(fs.readFileSync(capture, "utf8"));
  expect(doc).toMatchObject({
    cmdlet: "New-MigrationEndpoint",
    parameters,
    credentialParameters: credentials,
    organization: emu().tenants.target.domain,
    environment: { name: "custom", exchangeBase: emu().endpoints.exchange },
  });
  expect(JSON.parse(Buffer.from(doc.accessToken.split(".")[1], "base64url").toString()).aud).toBe(
    "https://outlook.office365.com",
  );
});

describe("through the emulator's fake pwsh", () => {
  beforeAll(async () => {
    process.env.NODE_EXTRA_CA_CERTS = emu().caFile;
    // The target starts dehydrated; migration endpoints need customization enabled first.
    await createTenantClient(settings(FAKE_PWSH)).exchange.invoke("Enable-OrganizationCustomization");
    // Play the migration app: the target's operator app, consented in the source with Mailbox.Migration,
    // which is what New-MigrationEndpoint verifies (the providers that do this for real are elsewhere).
    const e = emu();
    const source = tenantOf(e, "source");
    const exoSp = [...source.directory.servicePrincipals.values()].find(
      (sp) => sp.obj.appId === FIRST_PARTY.exchangeOnline,
    )!;
    const spId = randomUUID();
    const now = Date.now() - 86_400_000;
    source.directory.servicePrincipals.set(
      spId,
      stored(
        {
          id: spId,
          appId: e.tenants.target.clientId,
          displayName: "xtmm migration",
          servicePrincipalType: "Application",
          appRoles: [],
        },
        now,
      ),
    );
    const assignmentId = randomUUID();
    source.directory.appRoleAssignments.set(
      assignmentId,
      stored(
        {
          id: assignmentId,
          principalId: spId,
          principalType: "ServicePrincipal",
          resourceId: exoSp.obj.id,
          appRoleId: "f7264778-fba9-422d-8e9e-2675a2c4b513",
          createdDateTime: new Date(now).toISOString(),
        },
        now,
      ),
    );
  });

  test("a dehydrated-tenant refusal is a cmdlet error (BadRequest), like REST's 400", async () => {
    const src = {
      ...settings(FAKE_PWSH),
      role: "source" as const,
      tenantId: emu().tenants.source.tenantId,
      domain: emu().tenants.source.domain,
    };
    const t = tenantOf(emu(), "source");
    const was = t.exchange.organizationConfig.IsDehydrated;
    t.exchange.organizationConfig.IsDehydrated = true;
    try {
      const { parameters, credentials } = endpointParams();
      const err = await createTenantClient({
        ...src,
        credential: {
          kind: "clientSecret",
          clientId: emu().tenants.source.clientId,
          clientSecret: emu().tenants.source.clientSecret,
        },
      })
        .powershell.run("New-MigrationEndpoint", parameters, credentials)
        .catch((e) => e);
      expect(err).toBeInstanceOf(ExchangeError);
      expect(err.kind).toBe("BadRequest");
      expect(err.message).toMatch(/Enable-OrganizationCustomization/);
    } finally {
      t.exchange.organizationConfig.IsDehydrated = was;
    }
  });

  test("New-MigrationEndpoint with a PSCredential is created and readable over REST", async () => {
    const { parameters, credentials } = endpointParams(emu().tenants.target.clientSecret);
    const client = createTenantClient(settings(FAKE_PWSH));
    const r = await client.powershell.run<{ Identity?: string; Name?: string }>(
      "New-MigrationEndpoint",
      parameters,
      credentials,
    );
    expect(r.value).toHaveLength(1);
    const rest = await client.exchange.invoke<{ Identity: string; RemoteTenant: string; ApplicationId: string }>(
      "Get-MigrationEndpoint",
      { Identity: "xtmm-endpoint" },
    );
    expect(rest.value[0]).toMatchObject({
      RemoteTenant: emu().tenants.source.domain,
      ApplicationId: emu().tenants.target.clientId,
    });
  });

  test("a wrong secret is refused by the service; the error does not carry it", async () => {
    const { parameters, credentials } = endpointParams(SECRET);
    const err = await createTenantClient(settings(FAKE_PWSH))
      .powershell.run("New-MigrationEndpoint", { ...parameters, Name: "xtmm-wrong-secret" }, credentials)
      .catch((e) => e);
    expect(err).toBeInstanceOf(ExchangeError);
    expect(err.message).toMatch(/AADSTS7000215: Invalid client secret provided/);
    expect(err.message).not.toContain(SECRET);
  });

  test("a throttled New-MigrationEndpoint is sent again after a backoff, like REST; one endpoint results", async () => {
    const { parameters, credentials } = endpointParams(emu().tenants.target.clientSecret);
    const slept: number[] = [];
    const client = createTenantClient(settings(FAKE_PWSH), {
      powershell: { sleep: async (ms) => void slept.push(ms) },
    });
    const mark = emu().requests.length;
    emu().inject({ surface: "exchange", cmdlet: "New-MigrationEndpoint", fault: "throttle" });
    const r = await client.powershell.run<{ Name?: string }>(
      "New-MigrationEndpoint",
      { ...parameters, Name: "xtmm-throttled" },
      credentials,
    );
    expect(r.value).toHaveLength(1);
    const sent = emu()
      .requests.slice(mark)
      .filter((q) => q.cmdlet === "New-MigrationEndpoint");
    expect(sent.map((q) => [q.status, q.fault ?? null])).toEqual([
      [429, "throttle"],
      [200, null],
    ]);
    // REST's policy: no Retry-After reaches PowerShell, so the first backoff step (1 s, with jitter).
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThanOrEqual(500);
    expect(slept[0]).toBeLessThanOrEqual(1000);
    const all = await client.exchange.invoke<{ Name: string }>("Get-MigrationEndpoint");
    expect(all.value.filter((x) => x.Name === "xtmm-throttled")).toHaveLength(1);
  });

  test("a throttling storm longer than the policy fails as Throttled, naming the attempts", async () => {
    const { parameters, credentials } = endpointParams(emu().tenants.target.clientSecret);
    const client = createTenantClient(settings(FAKE_PWSH), {
      powershell: { retry: { maxAttempts: 3 }, sleep: async () => undefined },
    });
    emu().inject({ surface: "exchange", cmdlet: "New-MigrationEndpoint", fault: "throttle", times: 3 });
    const err = await client.powershell
      .run("New-MigrationEndpoint", { ...parameters, Name: "xtmm-storm" }, credentials)
      .catch((e) => e);
    expect(err).toBeInstanceOf(ExchangeError);
    expect(err).toMatchObject({ kind: "Throttled", maybeApplied: false });
    expect(err.message).toMatch(/gave up after 3 attempts/);
    expect(err.message).not.toContain(emu().tenants.target.clientSecret);
  });

  test("a lost answer to a write is not sent again: Transient, maybe applied, for the caller to read back", async () => {
    const { parameters, credentials } = endpointParams(emu().tenants.target.clientSecret);
    const client = createTenantClient(settings(FAKE_PWSH), { powershell: { sleep: async () => undefined } });
    const mark = emu().requests.length;
    emu().inject({ surface: "exchange", cmdlet: "New-MigrationEndpoint", fault: "lost" });
    const err = await client.powershell
      .run("New-MigrationEndpoint", { ...parameters, Name: "xtmm-lost" }, credentials)
      .catch((e) => e);
    expect(err).toMatchObject({ kind: "Transient", maybeApplied: true });
    expect(err.message).toMatch(/may have been applied; read before running it again/);
    expect(
      emu()
        .requests.slice(mark)
        .filter((q) => q.cmdlet === "New-MigrationEndpoint"),
    ).toHaveLength(1);
    // It was applied: the read the caller makes finds it.
    const found = await client.exchange.invoke<{ Name: string }>("Get-MigrationEndpoint", { Identity: "xtmm-lost" });
    expect(found.value).toHaveLength(1);
  });

  test("a cmdlet error comes back as a typed ExchangeError without the secret", async () => {
    const { parameters, credentials } = endpointParams(emu().tenants.target.clientSecret);
    const client = createTenantClient(settings(FAKE_PWSH));
    const err = await client.powershell.run("New-MigrationEndpoint", parameters, credentials).catch((e) => e);
    expect(err).toBeInstanceOf(ExchangeError);
    expect(err.kind).toBe("AlreadyExists");
    expect(err.message).toMatch(/^Running New-MigrationEndpoint for 'xtmm-endpoint' in PowerShell failed/);
    expect(err.message).not.toContain(emu().tenants.target.clientSecret);
  });
});
