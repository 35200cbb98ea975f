// Sign-in with the real MSAL against the emulator's login surface over HTTPS: client secret, certificate
// (PEM and PFX) registered on the operator app, and device code through scripts/login.ts with the token
// cache on disk.

import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import forge from "node-forge";
import { emulatorTenantSettings, useEmulator } from "./support/emulator";
import { applicationByAppId } from "../emulator/model";
import { tokenProvider } from "../providers/tenant/credentials";
import { CredentialError } from "../providers/tenant/errors";
import { loadCertificate } from "../providers/tenant/certificate";
import { readTenantSettings, type TenantSettings } from "../providers/tenant/settings";
import { login } from "../scripts/login";

const emu = useEmulator();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-cred-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

function settings(role: "source" | "target", credential: TenantSettings["credential"]): TenantSettings {
  return emulatorTenantSettings(emu(), role, { credential });
}

/** A self-signed certificate and its key, the way an engineer makes one for an app registration. */
function makeCertificate(cn: string): { certPem: string; keyPem: string; der: Buffer } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: "spki", format: "pem" }).toString());
  cert.serialNumber = "01" + crypto.randomBytes(8).toString("hex");
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: "commonName", value: cn }]);
  cert.setIssuer([{ name: "commonName", value: cn }]);
  const forgeKey = forge.pki.privateKeyFromPem(privateKey.export({ type: "pkcs1", format: "pem" }).toString());
  cert.sign(forgeKey, forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  return {
    certPem,
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    der: Buffer.from(new crypto.X509Certificate(certPem).raw),
  };
}

function registerOnOperator(role: "source" | "target", der: Buffer): void {
  const e = emu();
  const found = applicationByAppId(e.state, e.tenants[role].clientId);
  if (!found) throw new Error("operator application not in emulator state");
  const kc = {
    customKeyIdentifier: crypto.createHash("sha1").update(der).digest("hex").toUpperCase(),
    displayName: "CN=xtmm test",
    endDateTime: new Date(Date.now() + 86_400_000).toISOString(),
    key: der.toString("base64"),
    keyId: crypto.randomUUID(),
    startDateTime: new Date(Date.now() - 60_000).toISOString(),
    type: "AsymmetricX509Cert",
    usage: "Verify",
  };
  (found.app.obj.keyCredentials as unknown[]).push(kc);
}

test("client secret: tokens for Graph and Exchange carry the operator's app roles", async () => {
  const t = emu().tenants.source;
  const tokens = tokenProvider(
    settings("source", { kind: "clientSecret", clientId: t.clientId, clientSecret: t.clientSecret }),
  );
  const graph = claims(await tokens.getToken("https://graph.microsoft.com"));
  const exo = claims(await tokens.getToken("https://outlook.office365.com"));
  expect(graph).toMatchObject({ tid: t.tenantId, aud: "https://graph.microsoft.com", appid: t.clientId, idtyp: "app" });
  expect(graph.roles).toEqual(expect.arrayContaining(["Application.ReadWrite.All", "Organization.Read.All"]));
  expect(exo).toMatchObject({ aud: "https://outlook.office365.com" });
  expect(exo.roles).toEqual(["Exchange.ManageAsApp"]);
  // knownAuthorities keeps MSAL off instance discovery; it reads the tenant's OpenID configuration instead.
  const loginPaths = emu()
    .requests.filter((r) => r.surface === "login")
    .map((r) => r.path);
  expect(loginPaths.some((p) => /discovery\/instance/.test(p))).toBe(false);
  expect(loginPaths).toContain(`/${t.tenantId}/v2.0/.well-known/openid-configuration`);
});

test("tokens are cached by MSAL: a second call does not sign in again", async () => {
  const t = emu().tenants.target;
  const tokens = tokenProvider(
    settings("target", { kind: "clientSecret", clientId: t.clientId, clientSecret: t.clientSecret }),
  );
  const before = emu().requests.filter((r) => r.surface === "login" && r.path.includes("/oauth2/v2.0/token")).length;
  const a = await tokens.getToken("https://graph.microsoft.com");
  const b = await tokens.getToken("https://graph.microsoft.com");
  expect(b).toBe(a);
  const after = emu().requests.filter((r) => r.surface === "login" && r.path.includes("/oauth2/v2.0/token")).length;
  expect(after - before).toBe(1);
});

test("a wrong secret fails with a CredentialError that names the config key and never the secret", async () => {
  const t = emu().tenants.source;
  const wrong = "Wr0ng~Secret.Value-123";
  const tokens = tokenProvider(settings("source", { kind: "clientSecret", clientId: t.clientId, clientSecret: wrong }));
  const err = await tokens.getToken("https://graph.microsoft.com").catch((e) => e);
  expect(err).toBeInstanceOf(CredentialError);
  expect(err.message).toMatch(/sourceClientSecret/);
  expect(err.message).not.toContain(wrong);
  expect(err.message).not.toContain(t.clientSecret);
  expect(JSON.stringify(err)).not.toContain(wrong);
});

test("certificate in a PEM file (cert + key) and in a PFX with a passphrase", async () => {
  const t = emu().tenants.source;
  const { certPem, keyPem, der } = makeCertificate("xtmm-pem");
  registerOnOperator("source", der);
  const pemFile = path.join(dir, "operator.pem");
  fs.writeFileSync(pemFile, certPem + keyPem);
  const viaPem = tokenProvider(
    settings("source", { kind: "certificate", clientId: t.clientId, certificatePath: pemFile }),
  );
  expect(claims(await viaPem.getToken("https://outlook.office365.com")).roles).toEqual(["Exchange.ManageAsApp"]);

  const passphrase = "pfx-Pass-456";
  const p12 = forge.pkcs12.toPkcs12Asn1(
    forge.pki.privateKeyFromPem(keyPem),
    [forge.pki.certificateFromPem(certPem)],
    passphrase,
    { algorithm: "3des" },
  );
  const pfxFile = path.join(dir, "operator.pfx");
  fs.writeFileSync(pfxFile, Buffer.from(forge.asn1.toDer(p12).getBytes(), "binary"));
  const loaded = loadCertificate(pfxFile, passphrase);
  expect(loaded.thumbprintSha256).toBe(crypto.createHash("sha256").update(der).digest("hex"));
  expect(loaded.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  const viaPfx = tokenProvider(
    settings("source", {
      kind: "certificate",
      clientId: t.clientId,
      certificatePath: pfxFile,
      certificatePassword: passphrase,
    }),
  );
  expect(claims(await viaPfx.getToken("https://graph.microsoft.com")).appid).toBe(t.clientId);

  const badPass = "not-the-pass-789";
  const err = await tokenProvider(
    settings("source", {
      kind: "certificate",
      clientId: t.clientId,
      certificatePath: pfxFile,
      certificatePassword: badPass,
    }),
  )
    .getToken("https://graph.microsoft.com")
    .catch((e) => e);
  expect(err).toBeInstanceOf(CredentialError);
  expect(err.message).toMatch(/sourceCertificatePath/);
  expect(err.message).not.toContain(badPass);
});

test("a certificate that is not registered on the app is refused by the service", async () => {
  const t = emu().tenants.target;
  const { certPem, keyPem } = makeCertificate("xtmm-unregistered");
  const file = path.join(dir, "stranger.pem");
  fs.writeFileSync(file, keyPem + certPem);
  const err = await tokenProvider(
    settings("target", { kind: "certificate", clientId: t.clientId, certificatePath: file }),
  )
    .getToken("https://graph.microsoft.com")
    .catch((e) => e);
  expect(err).toBeInstanceOf(CredentialError);
  expect(err.message).toMatch(/registered on app/);
  expect(err.message).not.toContain("PRIVATE KEY");
});

describe("device code", () => {
  let root: string;
  let cachePath: string;
  beforeAll(() => {
    const e = emu();
    const t = e.tenants.source;
    // Device-code sign-in needs a public client: the engineer's app has "Allow public client flows" on.
    applicationByAppId(e.state, t.clientId)!.app.obj.isFallbackPublicClient = true;
    root = fs.mkdtempSync(path.join(dir, "root-"));
    cachePath = path.join(root, "cache", `${t.tenantId}.msal.json`);
    fs.mkdirSync(path.join(root, "stacks"));
    fs.writeFileSync(
      path.join(root, "stacks", "Pulumi.emu.yaml"),
      [
        "config:",
        "  xtmm:cloud: custom",
        `  xtmm:customLoginEndpoint: ${e.endpoints.login}`,
        `  xtmm:customGraphEndpoint: ${e.endpoints.graph}`,
        `  xtmm:customExchangeEndpoint: ${e.endpoints.exchange}`,
        `  xtmm:customCaFile: ${e.caFile}`,
        `  xtmm:sourceTenantId: ${t.tenantId}`,
        `  xtmm:sourceDomain: ${t.domain}`,
        "  xtmm:sourceAuth: deviceCode",
        `  xtmm:sourceClientId: ${t.clientId}`,
        `  xtmm:sourceTokenCache: ${cachePath}`,
        "  xtmm:targetClientSecret:",
        "    secure: AAABAKm9cD0=",
        "",
      ].join("\n"),
    );
  });

  function deviceSettings(): TenantSettings {
    const e = emu();
    const cfg: Record<string, string> = {
      cloud: "custom",
      customLoginEndpoint: e.endpoints.login,
      customGraphEndpoint: e.endpoints.graph,
      customExchangeEndpoint: e.endpoints.exchange,
      customCaFile: e.caFile,
      sourceTenantId: e.tenants.source.tenantId,
      sourceDomain: e.tenants.source.domain,
      sourceAuth: "deviceCode",
      sourceClientId: e.tenants.source.clientId,
      sourceTokenCache: cachePath,
    };
    return readTenantSettings((k) => cfg[k], "source");
  }

  test("before login: the error tells the engineer to run npm run login", async () => {
    const err = await tokenProvider(deviceSettings())
      .getToken("https://graph.microsoft.com")
      .catch((e) => e);
    expect(err).toBeInstanceOf(CredentialError);
    expect(err.message).toMatch(/npm run login -- source/);
  });

  test("npm run login prints the code, the emulator approves it, the cache is 0600 and serves both audiences", async () => {
    const printed: string[] = [];
    const result = await login({
      role: "source",
      stack: "emu",
      root,
      print: (line) => {
        printed.push(line);
        const code = /enter the code (\S+)/.exec(line)?.[1];
        if (code) emu().approveDeviceCode(code);
      },
    });
    expect(printed.some((l) => /devicelogin/.test(l) && /enter the code/.test(l))).toBe(true);
    expect(printed.join("\n")).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    expect(result.username).toBe(`admin@${emu().tenants.source.domain}`);
    expect(fs.statSync(cachePath).mode & 0o777).toBe(0o600);

    const tokens = tokenProvider(deviceSettings());
    const g = claims(await tokens.getToken("https://graph.microsoft.com"));
    const x = claims(await tokens.getToken("https://outlook.office365.com"));
    expect(g).toMatchObject({
      idtyp: "user",
      aud: "https://graph.microsoft.com",
      upn: `admin@${emu().tenants.source.domain}`,
    });
    expect(x).toMatchObject({ idtyp: "user", aud: "https://outlook.office365.com" });
  });

  test("a cache file with a looser mode is tightened to 0600 when read", async () => {
    fs.chmodSync(cachePath, 0o644);
    await tokenProvider(deviceSettings()).getToken("https://graph.microsoft.com");
    expect(fs.statSync(cachePath).mode & 0o777).toBe(0o600);
  });

  test("login refuses a role whose auth kind is not deviceCode", async () => {
    await expect(login({ role: "target", stack: "emu", root, print: () => undefined })).rejects.toThrow(
      /targetAuth is '\(not set\)'.*deviceCode/,
    );
  });
});
