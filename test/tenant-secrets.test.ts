// One sweep over every way the tenant layer fails, collecting each thrown error, and checking that no
// client secret, password, certificate passphrase or token appears in its message, its fields or its stack.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { emulatorTenantSettings, useEmulator } from "./support/emulator";
import { createTenantClient, readTenantSettings } from "../providers/tenant";
import { graphCall } from "../providers/tenant/graph";
import { resetTenantLimiters } from "../providers/tenant/limiter";
import type { TenantSettings } from "../providers/tenant/settings";
import { expectNoSecrets } from "./support/secrets";

const emu = useEmulator();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-secrets-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./;

function settings(role: "source" | "target", over: Partial<TenantSettings> = {}, secret?: string): TenantSettings {
  const t = emu().tenants[role];
  const credential = secret
    ? { credential: { kind: "clientSecret" as const, clientId: t.clientId, clientSecret: secret } }
    : {};
  return emulatorTenantSettings(emu(), role, { pwshPath: "/nonexistent/pwsh", ...credential, ...over });
}

test("no secret or token in any error the tenant layer throws", async () => {
  resetTenantLimiters();
  const e = emu();
  const wrongSecret = "Wrong-Secret~Value.0001";
  const password = "Mailbox-P@ssword-0002";
  const credPassword = "Endpoint-Secret-0003";
  const pfxPass = "Pfx-Passphrase-0004";
  const secrets = [
    wrongSecret,
    password,
    credPassword,
    pfxPass,
    e.tenants.source.clientSecret,
    e.tenants.target.clientSecret,
  ];
  const errors: unknown[] = [];
  const collect = (p: Promise<unknown>) =>
    p.then(
      () => errors.push(new Error("expected a failure")),
      (x) => errors.push(x),
    );

  const good = createTenantClient(settings("source"), { exchange: { baseDelayMs: 1, maxAttempts: 2 } });
  const bad = createTenantClient(settings("source", {}, wrongSecret));
  const badPfx = path.join(dir, "bad.pfx");
  fs.writeFileSync(badPfx, Buffer.from([0x30, 0x82, 0x01, 0x00, 0x02]));
  const certClient = createTenantClient(
    settings("target", {
      credential: {
        kind: "certificate",
        clientId: e.tenants.target.clientId,
        certificatePath: badPfx,
        certificatePassword: pfxPass,
      },
    }),
  );

  await collect(bad.tokens.getToken("https://graph.microsoft.com"));
  await collect(bad.exchange.invoke("Get-OrganizationConfig"));
  await collect(
    (async () => graphCall("Reading organization", async () => (await bad.graph()).api("/organization").get()))(),
  );
  await collect(certClient.tokens.getToken("https://graph.microsoft.com"));
  await collect(good.exchange.invoke("New-MailUser", { Name: "x", Password: password, Bogus: password }));
  await collect(
    good.exchange.invoke("New-MigrationEndpoint", {
      Name: "x",
      ExchangeRemoteMove: true,
      RemoteServer: "outlook.office.com",
      Credentials: { UserName: "a", Password: credPassword },
    }),
  );
  e.inject({ surface: "exchange", cmdlet: "Enable-OrganizationCustomization", fault: "lost" });
  await collect(createTenantClient(settings("target")).exchange.invoke("Enable-OrganizationCustomization"));
  await collect(
    good.powershell.run(
      "New-MigrationEndpoint",
      { Name: "x" },
      { Credentials: { userName: "a", password: credPassword } },
    ),
  );
  await collect(
    Promise.resolve().then(() =>
      readTenantSettings(
        (k) => (({ sourceTenantId: "x", sourceClientSecret: wrongSecret }) as Record<string, string>)[k],
        "source",
      ),
    ),
  );
  emu.expectViolations();

  expect(errors).toHaveLength(9);
  for (const err of errors) {
    const x = err as Error;
    const everything = `${x.message}\n${x.stack}\n${JSON.stringify(x)}`;
    expectNoSecrets(everything, secrets, "the error");
    expect(everything).not.toMatch(JWT);
  }
  // The failures are the interesting ones, not a blanket "expected a failure".
  expect(errors.map((x) => (x as Error).name)).toEqual([
    "CredentialError",
    "CredentialError",
    "CredentialError",
    "CredentialError",
    "ExchangeError",
    "ExchangeError",
    "ExchangeError",
    "PowerShellUnavailableError",
    "ConfigError",
  ]);
});
