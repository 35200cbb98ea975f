// The Entra sign-in surface at the emulator's root, shaped so that the real @azure/msal-node talks to it
// unchanged: OpenID metadata, keys, the token endpoint and the device-code flow. It also verifies the
// bearer tokens that the Graph and Exchange surfaces receive.

import { randomBytes } from "node:crypto";
import type { AuthResult, EmuContext, EmuRequest, EmuResponse, SurfaceHandler } from "../http";
import { json } from "../http";
import { applicationByAppId, findTenant, servicePrincipalByAppId, type TenantState } from "../model";
import type { TokenSigningKey } from "../pki";
import { AADSTS, entraError } from "./errors";
import { FIRST_PARTY_PUBLIC_CLIENTS, Refusal, tokenEndpoint, type RefreshGrant } from "./grants";
import { unauthorized } from "./unauthorized";
import { audienceAppId } from "./issue";
import { checkAccessToken } from "./tokens";

/** Microsoft answers with 900 s and a 5 s interval; 1 s keeps device-code tests quick without changing the protocol. */
const DEVICE_CODE_LIFETIME_S = 900;
const DEVICE_CODE_INTERVAL_S = 1;

export interface Login {
  handle: SurfaceHandler;
  authenticate(req: EmuRequest, audience: string, ctx: EmuContext, requestId: string): AuthResult;
  /** Signs the tenant's admin@<initial domain> in for a pending device code. Throws when the code is unknown. */
  approveDeviceCode(ctx: EmuContext, userCode: string): void;
}

function openIdConfiguration(origin: string, tenantPath: string, tenantId: string): object {
  const base = `${origin}/${tenantPath}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${origin}/${tenantPath}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: `${origin}/${tenantId}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${origin}/graph/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      "sub",
      "iss",
      "cloud_instance_name",
      "cloud_instance_host_name",
      "cloud_graph_host_name",
      "msgraph_host",
      "aud",
      "exp",
      "iat",
      "auth_time",
      "acr",
      "nonce",
      "preferred_username",
      "name",
      "tid",
      "ver",
      "at_hash",
      "c_hash",
      "email",
    ],
    tenant_region_scope: "NA",
    cloud_instance_name: "microsoftonline.com",
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
    rbac_url: "https://pas.windows.net",
  };
}

const GENERIC_TENANTS = /^(common|organizations|consumers)$/i;

function deviceCodeStart(ctx: EmuContext, req: EmuRequest, tenantSegment: string): EmuResponse {
  const form = new URLSearchParams(req.body.toString("utf8"));
  const clientId = form.get("client_id");
  if (!clientId) throw new Refusal(AADSTS.missingParameter("client_id"));
  const scope = form.get("scope") ?? "";
  const home = applicationByAppId(ctx.state, clientId);
  let tenant: TenantState | undefined;
  if (GENERIC_TENANTS.test(tenantSegment)) {
    // The signing-in user picks the tenant; the emulator's only user to approve is the app's home admin.
    tenant = home?.tenant;
    if (!tenant) throw new Refusal(AADSTS.noTenantInfo());
  } else {
    tenant = findTenant(ctx.state, tenantSegment);
    if (!tenant) throw new Refusal(AADSTS.tenantNotFound(tenantSegment));
  }
  const known =
    FIRST_PARTY_PUBLIC_CLIENTS.has(clientId.toLowerCase()) ||
    home ||
    servicePrincipalByAppId(tenant, clientId, ctx.now());
  if (!known) throw new Refusal(AADSTS.appNotFound(clientId, tenant.tenantId));
  const deviceCode = randomBytes(48).toString("base64url");
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const userCode = [...randomBytes(9)].map((b) => alphabet[b % alphabet.length]).join("");
  tenant.directory.deviceCodes.set(deviceCode, {
    deviceCode,
    userCode,
    clientId,
    scope,
    status: "pending",
    expiresAt: ctx.now() + DEVICE_CODE_LIFETIME_S * 1000,
  });
  const verificationUri = `${req.url.origin}/devicelogin`;
  return json(200, {
    user_code: userCode,
    device_code: deviceCode,
    verification_uri: verificationUri,
    expires_in: DEVICE_CODE_LIFETIME_S,
    interval: DEVICE_CODE_INTERVAL_S,
    message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate.`,
  });
}

function notFound(): EmuResponse {
  return {
    status: 404,
    headers: { "content-type": "text/html; charset=utf-8" },
    body: "<html><body>Not Found</body></html>",
  };
}

export function createLogin(key: TokenSigningKey): Login {
  const refreshTokens = new Map<string, RefreshGrant>();

  const handle: SurfaceHandler = async (req, ctx) => {
    const origin = req.url.origin;
    const segs = req.path.split("/").filter((s) => s.length > 0);
    const [tenantSegment, ...rest] = segs.map((s) => decodeURIComponent(s));
    const route = rest.join("/");
    try {
      if (req.method === "GET" && tenantSegment === "common" && route === "discovery/instance") {
        const host = req.url.host;
        return json(200, {
          tenant_discovery_endpoint: `${origin}/{tenant}/v2.0/.well-known/openid-configuration`,
          "api-version": "1.1",
          metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
        });
      }
      if (req.method === "GET" && tenantSegment === "devicelogin" && rest.length === 0) {
        return {
          status: 200,
          headers: { "content-type": "text/plain; charset=utf-8" },
          body: 'Emulated device login: approve the code with POST /_emulator/devicecode/approve {"userCode":"..."}.\n',
        };
      }
      if (!tenantSegment) return notFound();
      if (
        req.method === "GET" &&
        (route === "v2.0/.well-known/openid-configuration" ||
          route === "discovery/v2.0/keys" ||
          route === "discovery/keys")
      ) {
        let tenantId = "{tenantid}";
        if (!GENERIC_TENANTS.test(tenantSegment)) {
          const tenant = findTenant(ctx.state, tenantSegment);
          if (!tenant) throw new Refusal(AADSTS.tenantNotFound(tenantSegment));
          tenantId = tenant.tenantId;
        }
        if (route.startsWith("discovery")) return json(200, { keys: [key.jwk] });
        // Like Entra, endpoints name the tenant by id even when asked by domain (MSAL relies on it).
        return json(
          200,
          openIdConfiguration(origin, GENERIC_TENANTS.test(tenantSegment) ? tenantSegment : tenantId, tenantId),
        );
      }
      if (req.method === "POST" && route === "oauth2/v2.0/token")
        return tokenEndpoint(ctx, req, tenantSegment, { key, refreshTokens });
      if (req.method === "POST" && route === "oauth2/v2.0/devicecode") return deviceCodeStart(ctx, req, tenantSegment);
      return notFound();
    } catch (e) {
      if (e instanceof Refusal) return entraError(req, e.entra, ctx.now());
      throw e;
    }
  };

  return {
    handle,
    authenticate(req, audience, ctx, requestId) {
      const header = req.headers["authorization"] ?? "";
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const check = checkAccessToken(m?.[1], key, audience, audienceAppId(audience), Math.floor(ctx.now() / 1000));
      if (check.ok) return check;
      return { ok: false, response: unauthorized(req, audience, check.reason, requestId, ctx) };
    },
    approveDeviceCode(ctx, userCode) {
      for (const tenant of ctx.state.tenants.values()) {
        for (const pending of tenant.directory.deviceCodes.values()) {
          if (String(pending.userCode).toUpperCase() !== userCode.trim().toUpperCase()) continue;
          const upn = `admin@${tenant.initialDomain}`.toLowerCase();
          const admin = [...tenant.directory.users.values()].find(
            (u) => String(u.obj.userPrincipalName).toLowerCase() === upn,
          );
          if (!admin) throw new Error(`tenant ${tenant.tenantId} has no user ${upn} to sign in`);
          pending.status = "approved";
          pending.userId = admin.obj.id;
          return;
        }
      }
      throw new Error(`no pending device code with user code '${userCode}'`);
    },
  };
}
