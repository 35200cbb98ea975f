// The login surface against the real @azure/msal-node: client secret, certificate assertion and device
// code sign-ins, the tokens' claims, the refusals with Entra's AADSTS codes, and bearer checks.

import { createHash, createPublicKey, generateKeyPairSync, randomUUID, verify } from "node:crypto";
import forge from "node-forge";
import {
  ConfidentialClientApplication,
  PublicClientApplication,
  type AuthError,
  type Configuration,
} from "@azure/msal-node";
import { msalNetworkClient, useEmulator, tenantOf } from "./support/emulator";
import {
  EXCHANGE_ADMIN_ROLE,
  EXCHANGE_APPLICATION_PERMISSIONS,
  GRAPH_APPLICATION_PERMISSIONS,
} from "../providers/tenant/permissions";
import type { Emulator } from "../emulator";
import type { Rec } from "../emulator/model";

const GRAPH = "https://graph.microsoft.com/.default";
const EXCHANGE = "https://outlook.office365.com/.default";
const GLOBAL_ADMIN_TEMPLATE = "62e90394-69f5-4237-9190-012177145e10";
const GRAPH_CLI_PUBLIC_CLIENT = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));

function msalConfig(e: Emulator, tenantId: string, auth: Partial<Configuration["auth"]>): Configuration {
  return {
    auth: { clientId: "", authority: `${e.url}/${tenantId}`, knownAuthorities: [new URL(e.url).host], ...auth },
    system: { networkClient: msalNetworkClient(e) },
  };
}

async function expectAadsts(p: Promise<unknown>, code: number, error: string): Promise<void> {
  const err = (await p.then(
    () => undefined,
    (x: unknown) => x,
  )) as AuthError | undefined;
  expect(err).toBeDefined();
  expect(err!.errorCode).toBe(error);
  // MSAL wraps Entra's description ("Error(s): n - Timestamp: … - Description: AADSTSn: …").
  expect(err!.errorMessage).toContain(`Description: AADSTS${code}: `);
}

function selfSignedCertificate(): { pem: string; keyPem: string; der: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: "spki", format: "pem" }).toString());
  cert.serialNumber = "01";
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: "commonName", value: "xtmm operator" }]);
  cert.setIssuer([{ name: "commonName", value: "xtmm operator" }]);
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), "binary");
  return { pem: forge.pki.certificateToPem(cert), keyPem, der };
}

describe("login surface with the real MSAL", () => {
  const emu = useEmulator();
  const operatorApp = (e: Emulator, role: "source" | "target"): Rec => {
    const t = tenantOf(e, role);
    return [...t.directory.applications.values()].find((a) => a.obj.appId === e.tenants[role].clientId)!.obj;
  };
  const token = (e: Emulator, tenant: string, form: Record<string, string>) =>
    emu.fetch(`${e.url}/${tenant}/oauth2/v2.0/token`, { method: "POST", body: new URLSearchParams(form) });

  it("signs the operator in with its client secret and puts its permissions and roles in the token", async () => {
    const e = emu();
    const { tenantId, clientId, clientSecret } = e.tenants.source;
    const app = new ConfidentialClientApplication(msalConfig(e, tenantId, { clientId, clientSecret }));
    const graph = await app.acquireTokenByClientCredential({ scopes: [GRAPH] });
    const g = claimsOf(graph!.accessToken);
    const sp = e.state.tenants.get(tenantId)!.operator.servicePrincipalId;
    expect(g).toMatchObject({
      aud: "https://graph.microsoft.com",
      iss: `https://sts.windows.net/${tenantId}/`,
      tid: tenantId,
      appid: clientId,
      azp: clientId,
      oid: sp,
      idtyp: "app",
      ver: "1.0",
      appidacr: "1",
    });
    expect([...g.roles].sort()).toEqual(GRAPH_APPLICATION_PERMISSIONS.map((p) => p.value).sort());
    expect(g.wids).toContain(EXCHANGE_ADMIN_ROLE.templateId);
    expect(g.exp - g.iat).toBe(3600);
    expect(g.scp).toBeUndefined();

    const exo = await app.acquireTokenByClientCredential({ scopes: [EXCHANGE] });
    const x = claimsOf(exo!.accessToken);
    expect(x.aud).toBe("https://outlook.office365.com");
    expect(x.roles).toEqual(EXCHANGE_APPLICATION_PERMISSIONS.map((p) => p.value));

    const org = await emu.fetch(`${e.url}/graph/v1.0/organization`, {
      headers: { authorization: `Bearer ${graph!.accessToken}` },
    });
    expect(org.status).toBe(200);
    const wrongAudience = await emu.fetch(`${e.url}/graph/v1.0/organization`, {
      headers: { authorization: `Bearer ${exo!.accessToken}` },
    });
    expect(wrongAudience.status).toBe(401);
    expect(((await wrongAudience.json()) as any).error.message).toMatch(/Invalid audience/);
  });

  it("publishes keys that verify its tokens, and metadata for a tenant named by domain", async () => {
    const e = emu();
    const { tenantId, clientId, clientSecret, domain } = e.tenants.target;
    const meta = (await (await emu.fetch(`${e.url}/${domain}/v2.0/.well-known/openid-configuration`)).json()) as any;
    expect(meta.issuer).toBe(`${e.url}/${tenantId}/v2.0`);
    expect(meta.token_endpoint).toBe(`${e.url}/${tenantId}/oauth2/v2.0/token`);
    expect(meta.device_authorization_endpoint).toBe(`${e.url}/${tenantId}/oauth2/v2.0/devicecode`);
    const jwks = (await (await emu.fetch(meta.jwks_uri)).json()) as any;
    const res = (await (
      await token(e, tenantId, {
        grant_type: "client_credentials",
        client_id: clientId,
        client_secret: clientSecret,
        scope: GRAPH,
      })
    ).json()) as any;
    const [h, p, s] = res.access_token.split(".");
    const header = JSON.parse(Buffer.from(h, "base64url").toString());
    const jwk = jwks.keys.find((k: any) => k.kid === header.kid);
    expect(header.alg).toBe("RS256");
    expect(
      verify(
        "RSA-SHA256",
        Buffer.from(`${h}.${p}`),
        createPublicKey({ key: jwk, format: "jwk" }),
        Buffer.from(s, "base64url"),
      ),
    ).toBe(true);
    expect(res).toMatchObject({ token_type: "Bearer", expires_in: 3600, ext_expires_in: 3600 });
    const unknown = await emu.fetch(`${e.url}/nosuch.onmicrosoft.com/v2.0/.well-known/openid-configuration`);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).error_codes).toEqual([90002]);
    const byDomain = await new ConfidentialClientApplication(
      msalConfig(e, domain, { clientId, clientSecret }),
    ).acquireTokenByClientCredential({ scopes: [EXCHANGE] });
    expect(claimsOf(byDomain!.accessToken).tid).toBe(tenantId);
    const common = (await (
      await emu.fetch(`${e.url}/organizations/v2.0/.well-known/openid-configuration`)
    ).json()) as any;
    expect(common.issuer).toBe(`${e.url}/{tenantid}/v2.0`);
  });

  it("refuses a wrong secret (7000215), an expired secret (7000222) and an app without a principal in the tenant (700016)", async () => {
    const e = emu();
    const { tenantId, clientId, clientSecret } = e.tenants.source;
    await expectAadsts(
      new ConfidentialClientApplication(
        msalConfig(e, tenantId, { clientId, clientSecret: "not-the-secret" }),
      ).acquireTokenByClientCredential({ scopes: [GRAPH] }),
      7000215,
      "invalid_client",
    );
    await expectAadsts(
      new ConfidentialClientApplication(
        msalConfig(e, e.tenants.target.tenantId, { clientId, clientSecret }),
      ).acquireTokenByClientCredential({ scopes: [GRAPH] }),
      700016,
      "unauthorized_client",
    );

    const creds = operatorApp(e, "source").passwordCredentials as Rec[];
    const saved = creds.map((c) => ({ ...c }));
    try {
      for (const c of creds) c.endDateTime = new Date(Date.now() - 1000).toISOString();
      await expectAadsts(
        new ConfidentialClientApplication(
          msalConfig(e, tenantId, { clientId, clientSecret }),
        ).acquireTokenByClientCredential({ scopes: [GRAPH] }),
        7000222,
        "invalid_client",
      );
    } finally {
      creds.splice(0, creds.length, ...saved);
    }
  });

  it("answers in Entra's error shape, with the request's correlation id", async () => {
    const e = emu();
    const correlation = randomUUID();
    const r = await emu.fetch(`${e.url}/00000000-0000-0000-0000-00000000dead/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "client-request-id": correlation },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: e.tenants.source.clientId,
        client_secret: "x",
        scope: GRAPH,
      }),
    });
    expect(r.status).toBe(400);
    const body = (await r.json()) as any;
    expect(Object.keys(body).sort()).toEqual([
      "correlation_id",
      "error",
      "error_codes",
      "error_description",
      "error_uri",
      "timestamp",
      "trace_id",
    ]);
    expect(body.error).toBe("invalid_tenant");
    expect(body.error_description).toMatch(/^AADSTS90002: Tenant '00000000-0000-0000-0000-00000000dead' not found\./);
    expect(body.correlation_id).toBe(correlation);
    expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    expect(body.error_description).not.toContain('x"');

    const { tenantId, clientId, clientSecret } = e.tenants.source;
    const scope = (await (
      await token(e, tenantId, {
        grant_type: "client_credentials",
        client_id: clientId,
        client_secret: clientSecret,
        scope: "https://vault.azure.net/.default",
      })
    ).json()) as any;
    expect(scope.error).toBe("invalid_resource");
    expect(scope.error_codes).toEqual([500011]);
    const noDefault = (await (
      await token(e, tenantId, {
        grant_type: "client_credentials",
        client_id: clientId,
        client_secret: clientSecret,
        scope: "https://graph.microsoft.com/User.Read",
      })
    ).json()) as any;
    expect(noDefault).toMatchObject({ error: "invalid_scope", error_codes: [1002012] });
    const noCredential = (await (
      await token(e, tenantId, { grant_type: "client_credentials", client_id: clientId, scope: GRAPH })
    ).json()) as any;
    expect(noCredential.error_codes).toEqual([7000218]);
    expect(JSON.stringify([scope, noDefault, noCredential])).not.toContain(clientSecret);
  });

  it("signs in with a certificate registered on the app and refuses one that is not (700027)", async () => {
    const e = emu();
    const { tenantId, clientId } = e.tenants.source;
    const registered = selfSignedCertificate();
    const stranger = selfSignedCertificate();
    const app = operatorApp(e, "source");
    const saved = app.keyCredentials;
    app.keyCredentials = [
      {
        customKeyIdentifier: createHash("sha1").update(registered.der).digest("hex").toUpperCase(),
        displayName: "CN=xtmm operator",
        endDateTime: new Date(Date.now() + 86_400_000).toISOString(),
        keyId: randomUUID(),
        startDateTime: new Date(Date.now() - 60_000).toISOString(),
        type: "AsymmetricX509Cert",
        usage: "Verify",
        key: registered.der.toString("base64"),
      },
    ];
    try {
      const thumb = (der: Buffer) => createHash("sha256").update(der).digest("hex");
      const ok = await new ConfidentialClientApplication(
        msalConfig(e, tenantId, {
          clientId,
          clientCertificate: {
            thumbprintSha256: thumb(registered.der),
            privateKey: registered.keyPem,
            x5c: registered.pem,
          },
        }),
      ).acquireTokenByClientCredential({ scopes: [EXCHANGE] });
      expect(claimsOf(ok!.accessToken)).toMatchObject({
        appid: clientId,
        appidacr: "2",
        aud: "https://outlook.office365.com",
        roles: ["Exchange.ManageAsApp"],
      });

      await expectAadsts(
        new ConfidentialClientApplication(
          msalConfig(e, tenantId, {
            clientId,
            clientCertificate: { thumbprintSha256: thumb(stranger.der), privateKey: stranger.keyPem },
          }),
        ).acquireTokenByClientCredential({ scopes: [EXCHANGE] }),
        700027,
        "invalid_client",
      );

      // The registered certificate's thumbprint over a signature made with another key.
      await expectAadsts(
        new ConfidentialClientApplication(
          msalConfig(e, tenantId, {
            clientId,
            clientCertificate: { thumbprintSha256: thumb(registered.der), privateKey: stranger.keyPem },
          }),
        ).acquireTokenByClientCredential({ scopes: [GRAPH] }),
        700027,
        "invalid_client",
      );
    } finally {
      app.keyCredentials = saved;
    }
  });

  it("runs the device-code flow for the tenant's admin, then refreshes silently for another resource", async () => {
    const e = emu();
    const { tenantId, domain } = e.tenants.target;
    const pca = new PublicClientApplication(msalConfig(e, tenantId, { clientId: GRAPH_CLI_PUBLIC_CLIENT }));
    let shown = "";
    let pendingAnswer: any;
    const result = await pca.acquireTokenByDeviceCode({
      scopes: [EXCHANGE],
      deviceCodeCallback: (r) => {
        shown = r.message;
        // Poll once while pending, the way a client waits, then let the admin approve.
        void emu
          .fetch(`${e.url}/${tenantId}/oauth2/v2.0/token`, {
            method: "POST",
            body: new URLSearchParams({
              grant_type: "urn:ietf:params:oauth:grant-type:device_code",
              client_id: GRAPH_CLI_PUBLIC_CLIENT,
              device_code: r.deviceCode,
            }),
          })
          .then((p) => p.json())
          .then((p) => {
            pendingAnswer = p;
          })
          .finally(() => e.approveDeviceCode(r.userCode));
      },
    });
    expect(pendingAnswer).toMatchObject({ error: "authorization_pending", error_codes: [70016] });
    expect(shown).toMatch(/enter the code [A-Z0-9]{9} to authenticate/);
    const x = claimsOf(result!.accessToken);
    const admin = [...e.state.tenants.get(tenantId)!.directory.users.values()].find(
      (u) => u.obj.userPrincipalName === `admin@${domain}`,
    )!;
    expect(x).toMatchObject({
      aud: "https://outlook.office365.com",
      idtyp: "user",
      upn: `admin@${domain}`,
      oid: admin.obj.id,
      tid: tenantId,
      appid: GRAPH_CLI_PUBLIC_CLIENT,
    });
    expect(x.wids).toContain(GLOBAL_ADMIN_TEMPLATE);
    expect(x.scp).toBe("Exchange.Manage");
    expect(x.roles).toBeUndefined();
    expect(result!.account?.username).toBe(`admin@${domain}`);

    const before = e.requests.length;
    const silent = await pca.acquireTokenSilent({ account: result!.account!, scopes: [GRAPH] });
    expect(claimsOf(silent.accessToken)).toMatchObject({ aud: "https://graph.microsoft.com", upn: `admin@${domain}` });
    expect(e.requests.slice(before).some((r) => r.method === "POST" && r.path.endsWith("/oauth2/v2.0/token"))).toBe(
      true,
    );
  });

  it("refuses a device code for an app registration that does not allow public client flows (7000218)", async () => {
    const e = emu();
    const { tenantId, clientId } = e.tenants.source;
    const start = (await (
      await emu.fetch(`${e.url}/${tenantId}/oauth2/v2.0/devicecode`, {
        method: "POST",
        body: new URLSearchParams({ client_id: clientId, scope: GRAPH }),
      })
    ).json()) as any;
    e.approveDeviceCode(start.user_code);
    const r = (await (
      await token(e, tenantId, {
        grant_type: "urn:ietf:params:oauth:grant-type:device_code",
        client_id: clientId,
        device_code: start.device_code,
      })
    ).json()) as any;
    expect(r.error_codes).toEqual([7000218]);
    const unknown = (await (
      await emu.fetch(`${e.url}/${tenantId}/oauth2/v2.0/devicecode`, {
        method: "POST",
        body: new URLSearchParams({ client_id: randomUUID(), scope: GRAPH }),
      })
    ).json()) as any;
    expect(unknown.error_codes).toEqual([700016]);
  });

  it("leaves a fresh app role assignment out of tokens until consent has propagated", async () => {
    const e = emu();
    const { tenantId, clientId, clientSecret } = e.tenants.source;
    const t = e.state.tenants.get(tenantId)!;
    const domainRead = GRAPH_APPLICATION_PERMISSIONS.find((p) => p.value === "Domain.Read.All")!;
    const assignment = [...t.directory.appRoleAssignments.values()].find(
      (a) => a.obj.principalId === t.operator.servicePrincipalId && a.obj.appRoleId === domainRead.id,
    )!;
    const created = assignment.meta.createdAt;
    const roles = async () =>
      claimsOf(
        (
          (await (
            await token(e, tenantId, {
              grant_type: "client_credentials",
              client_id: clientId,
              client_secret: clientSecret,
              scope: GRAPH,
            })
          ).json()) as any
        ).access_token,
      ).roles as string[];
    try {
      assignment.meta.createdAt = Date.now();
      e.setFaults({ consentPropagationMs: 60_000 });
      expect(await roles()).not.toContain("Domain.Read.All");
      e.setFaults({ consentPropagationMs: 0 });
      expect(await roles()).toContain("Domain.Read.All");
    } finally {
      assignment.meta.createdAt = created;
      e.setFaults({ consentPropagationMs: 0 });
    }
  });

  it("answers 401 for an expired token", async () => {
    const e = emu();
    const { tenantId, clientId, clientSecret } = e.tenants.source;
    const lifetime = e.options.tokenLifetimeSeconds;
    e.options.tokenLifetimeSeconds = -600;
    let expired: string;
    try {
      expired = (
        (await (
          await token(e, tenantId, {
            grant_type: "client_credentials",
            client_id: clientId,
            client_secret: clientSecret,
            scope: GRAPH,
          })
        ).json()) as any
      ).access_token;
    } finally {
      e.options.tokenLifetimeSeconds = lifetime;
    }
    const r = await emu.fetch(`${e.url}/graph/v1.0/organization`, { headers: { authorization: `Bearer ${expired}` } });
    expect(r.status).toBe(401);
    expect(((await r.json()) as any).error).toMatchObject({
      code: "InvalidAuthenticationToken",
      message: "Lifetime validation failed, the token is expired.",
    });
    const x = await emu.fetch(`${e.url}/exchange/adminapi/beta/${tenantId}/InvokeCommand`, {
      method: "POST",
      headers: { authorization: `Bearer ${expired}x`, "content-type": "application/json" },
      body: JSON.stringify({ CmdletInput: { CmdletName: "Get-OrganizationConfig" } }),
    });
    expect(x.status).toBe(401);
    expect(x.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });
});
