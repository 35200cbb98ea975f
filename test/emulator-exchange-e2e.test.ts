// The Exchange surface through the real emulator: HTTPS, a real token from the login surface, and the
// fake pwsh spawned the way the PowerShell runner spawns pwsh (NODE_EXTRA_CA_CERTS, JSON on stdin).

import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { useEmulator, tenantOf } from "./support/emulator";
import { consentInSource, registerMigrationApp } from "../emulator/exchange/fixtures";
import { FAKE_PWSH } from "../emulator/fakePwsh";
import { expectNoSecrets } from "./support/secrets";

const emu = useEmulator({ mailboxes: 50 });
const script = join(mkdtempSync(join(tmpdir(), "xtmm-pwsh-")), "invoke-cmdlet.ps1");
writeFileSync(script, "# stand-in: the fake pwsh only checks that the script exists\n");

async function token(role: "source" | "target"): Promise<string> {
  const t = emu().tenants[role];
  const res = await emu.fetch(`${emu().endpoints.login}/${t.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: t.clientId,
      client_secret: t.clientSecret,
      scope: "https://outlook.office365.com/.default",
    }).toString(),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function invoke(
  role: "source" | "target",
  cmdlet: string,
  parameters: object,
  headers: Record<string, string> = {},
) {
  const t = emu().tenants[role];
  const res = await emu.fetch(`${emu().endpoints.exchange}/adminapi/beta/${t.tenantId}/InvokeCommand`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${await token(role)}`,
      "content-type": "application/json",
      "accept-encoding": "identity",
      ...headers,
    },
    body: JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: parameters } }),
  });
  const raw = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    headers: res.headers,
    raw,
    json: raw.length && raw[0] !== 0 ? JSON.parse(raw.toString("utf8")) : undefined,
  };
}

interface PwshRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function pwsh(args: string[], stdin: string): Promise<PwshRun> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [FAKE_PWSH, ...args], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: emu().caFile },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", fail);
    p.on("close", (code) => done({ code, stdout, stderr }));
    p.stdin.end(stdin);
  });
}

const ARGS = () => ["-NoLogo", "-NoProfile", "-NonInteractive", "-File", script];

async function request(cmdlet: string, parameters: object, credentialParameters: object = {}) {
  return JSON.stringify({
    cmdlet,
    parameters,
    credentialParameters,
    accessToken: await token("target"),
    organization: tenantOf(emu(), "target").initialDomain,
    environment: { name: "custom", exchangeBase: emu().endpoints.exchange },
  });
}

test("a real app-only token runs Get-Mailbox over HTTPS; the seed's generated mailboxes are there", async () => {
  const r = await invoke("source", "Get-Mailbox", { ResultSize: "Unlimited" }, { prefer: "odata.maxpagesize=1000" });
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toBe(
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
  );
  expect(r.json.value.length).toBeGreaterThanOrEqual(62);
  expect(r.json.value.some((m: any) => m.Alias === "user00050")).toBe(true);
});

test("an unknown cmdlet over HTTPS: 403 with NUL bytes, recorded as a violation", async () => {
  const r = await invoke("source", "Get-Nothing", {});
  expect(r.status).toBe(403);
  expect(r.raw.every((b) => b === 0)).toBe(true);
  expect(emu.expectViolations().map((v) => v.kind)).toEqual(["unknown-cmdlet"]);
});

test("PSCredential: 500 over REST, accepted through the fake pwsh once consent is in place", async () => {
  expect((await invoke("target", "Enable-OrganizationCustomization", {})).status).toBe(200);
  const app = registerMigrationApp(tenantOf(emu(), "target"), Date.now());
  const params = {
    Name: "FromFabrikam",
    ExchangeRemoteMove: true,
    RemoteServer: "outlook.office.com",
    RemoteTenant: emu().tenants.source.tenantId,
    ApplicationId: app.appId,
  };
  const rest = await invoke("target", "New-MigrationEndpoint", {
    ...params,
    Credentials: { UserName: app.appId, Password: app.secret },
  });
  expect(rest.status).toBe(500);

  const denied = await pwsh(
    ARGS(),
    await request("New-MigrationEndpoint", params, { Credentials: { userName: app.appId, password: app.secret } }),
  );
  expect(denied.code).toBe(1);
  const deniedLine = JSON.parse(denied.stdout.trim());
  expect(deniedLine.ok).toBe(false);
  expect(deniedLine.error.message).toContain("AADSTS700016");
  expect(deniedLine.error.type).toBe("Microsoft.Exchange.Migration.MigrationServerConnectionFailedException");

  consentInSource(tenantOf(emu(), "source"), app.appId, Date.now() - 1000);
  const ok = await pwsh(
    ARGS(),
    await request("New-MigrationEndpoint", params, { Credentials: { userName: app.appId, password: app.secret } }),
  );
  expect(ok.code).toBe(0);
  expect(ok.stdout.trim().split("\n")).toHaveLength(1);
  const line = JSON.parse(ok.stdout);
  expect(line.ok).toBe(true);
  expect(line.value[0]).toMatchObject({
    Identity: "FromFabrikam",
    EndpointType: "ExchangeRemoteMove",
    ApplicationId: app.appId,
  });
  expect(Object.keys(line.value[0]).some((k) => k.includes("@"))).toBe(false);
  for (const run of [denied, ok]) {
    expectNoSecrets(run.stdout + run.stderr, [app.secret], "the pwsh output");
  }
  const got = await pwsh(ARGS(), await request("Get-MigrationEndpoint", { Identity: "FromFabrikam" }));
  expect(JSON.parse(got.stdout).value[0].RemoteTenant).toBe(emu().tenants.source.tenantId);
});

test("the fake pwsh refuses another command line, a missing script and malformed input with exit 2", async () => {
  const input = await request("Get-OrganizationConfig", {});
  const wrongFlags = await pwsh(["-File", script], input);
  expect(wrongFlags.code).toBe(2);
  expect(JSON.parse(wrongFlags.stdout).ok).toBe(false);
  const missing = await pwsh(
    ["-NoLogo", "-NoProfile", "-NonInteractive", "-File", join(tmpdir(), "no-such-dir", "invoke-cmdlet.ps1")],
    input,
  );
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("does not exist");
  const garbage = await pwsh(ARGS(), "{not json");
  expect(garbage.code).toBe(2);
  const badToken = await pwsh(ARGS(), JSON.stringify({ ...JSON.parse(input), accessToken: "x.y.z" }));
  expect(badToken.code).toBe(2);
  const fine = await pwsh(ARGS(), input);
  expect(fine.code).toBe(0);
  expect(JSON.parse(fine.stdout).value[0].IsDehydrated).toBe(false);
});
