// The token endpoint's grants: client credentials (secret or certificate assertion), device code and
// refresh token. Each check mirrors one Entra refusal, in the order Entra makes them: tenant, client,
// credential, resource.

import { randomBytes } from "node:crypto";
import type { EmuContext, EmuRequest, EmuResponse } from "../http";
import { json } from "../http";
import {
  applicationByAppId,
  findTenant,
  servicePrincipalByAppId,
  type Rec,
  type Stored,
  type TenantState,
} from "../model";
import type { TokenSigningKey } from "../pki";
import { AADSTS, entraError, type EntraError } from "./errors";
import { appOnlyToken, clientInfo, delegatedToken, idToken, OIDC_SCOPES, resourceOf, type Resource } from "./issue";
import { certificateForAssertion, decodeJwt, registeredCertificates, verifySignature } from "./tokens";

export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** Microsoft's own public clients that an admin may sign in with (the Exchange module's among them). */
export const FIRST_PARTY_PUBLIC_CLIENTS = new Set([
  "fb78d390-0c51-40cd-8e17-fdbfab77341b", // Microsoft Exchange REST API Based PowerShell
  "14d82eec-204b-4c2f-b7e8-296a70dab67e", // Microsoft Graph Command Line Tools
  "04b07795-8ddb-461a-bbee-02f9e1bf7b46", // Microsoft Azure CLI
  "1950a258-227b-4e31-a9cf-717495945fc2", // Microsoft Azure PowerShell
]);

export class Refusal extends Error {
  constructor(readonly entra: EntraError) {
    super(entra.text);
  }
}
const refuse = (e: EntraError): never => {
  throw new Refusal(e);
};

export interface RefreshGrant {
  tenantId: string;
  userId: string;
  clientId: string;
}

export interface GrantDeps {
  key: TokenSigningKey;
  refreshTokens: Map<string, RefreshGrant>;
}

const isoMs = (v: unknown) => (typeof v === "string" ? Date.parse(v) : NaN);

function param(form: URLSearchParams, name: string): string {
  const v = form.get(name);
  if (!v) refuse(AADSTS.missingParameter(name));
  return v as string;
}

function tenantOf(ctx: EmuContext, segment: string): TenantState {
  if (/^(common|organizations|consumers)$/i.test(segment)) refuse(AADSTS.noTenantInfo());
  return findTenant(ctx.state, segment) ?? refuse(AADSTS.tenantNotFound(segment));
}

/** The client's service principal in the tenant it asks a token for (the app itself may live elsewhere). */
function clientPrincipal(ctx: EmuContext, tenant: TenantState, clientId: string): Stored {
  const sp = servicePrincipalByAppId(tenant, clientId, ctx.now());
  if (!sp) refuse(AADSTS.appNotFound(clientId, tenant.tenantId));
  if ((sp as Stored).obj.accountEnabled === false) refuse(AADSTS.appDisabled(clientId));
  return sp as Stored;
}

function checkSecret(ctx: EmuContext, clientId: string, secret: string): void {
  const home = applicationByAppId(ctx.state, clientId);
  if (!home) return refuse(AADSTS.invalidSecret(clientId));
  const values = home.tenant.directory.secretValues.get(String(home.app.obj.id)) ?? new Map<string, string>();
  const creds = (home.app.obj.passwordCredentials as Rec[] | undefined) ?? [];
  let expired = false;
  for (const [keyId, value] of values) {
    if (value !== secret) continue;
    const cred = creds.find((c) => c.keyId === keyId);
    if (!cred) continue; // a removed secret no longer signs anyone in
    const end = isoMs(cred.endDateTime);
    const start = isoMs(cred.startDateTime);
    if (!Number.isNaN(end) && end <= ctx.now()) {
      expired = true;
      continue;
    }
    if (!Number.isNaN(start) && start > ctx.now()) continue;
    return;
  }
  refuse(expired ? AADSTS.expiredSecret(clientId) : AADSTS.invalidSecret(clientId));
}

function checkAssertion(ctx: EmuContext, req: EmuRequest, clientId: string, assertion: string): void {
  const jwt = decodeJwt(assertion) ?? refuse(AADSTS.assertionType());
  const home = applicationByAppId(ctx.state, clientId);
  const certs = registeredCertificates(home?.app.obj.keyCredentials);
  const thumb = String(jwt.header["x5t#S256"] ?? jwt.header.x5t ?? "");
  const reg = certificateForAssertion(jwt, certs) ?? refuse(AADSTS.assertionKeyNotFound(clientId, thumb));
  if (!verifySignature(jwt, reg.cert.publicKey, ["RS256", "PS256"])) refuse(AADSTS.assertionSignature());
  const end = isoMs(reg.credential.endDateTime);
  if (!Number.isNaN(end) && end <= ctx.now()) refuse(AADSTS.certificateExpired(clientId));
  const p = jwt.payload;
  if (p.iss !== clientId || p.sub !== clientId) refuse(AADSTS.assertionSubject());
  const nowS = Math.floor(ctx.now() / 1000);
  if (typeof p.exp !== "number" || p.exp + 300 <= nowS || (typeof p.nbf === "number" && p.nbf - 300 > nowS)) {
    refuse(AADSTS.assertionExpired());
  }
  // Entra accepts the token endpoint (v1 or v2 form) of the tenant as the audience.
  const tokenUrl = `${req.url.origin}${req.url.pathname}`.toLowerCase();
  const auds = (Array.isArray(p.aud) ? p.aud : [p.aud]).map((a) => String(a).toLowerCase());
  if (!auds.some((a) => a === tokenUrl || a === tokenUrl.replace("/v2.0/", "/"))) refuse(AADSTS.assertionAudience());
}

function resourceFrom(tenant: TenantState, scope: string, requireDefault: boolean): Resource {
  const resources = scope.split(/\s+/).filter((s) => s && !OIDC_SCOPES.has(s.toLowerCase()));
  const first = resources[0] ?? "https://graph.microsoft.com/.default";
  const r = resourceOf(first);
  if (!r) return refuse(AADSTS.resourceNotFound(first.replace(/\/[^/]*$/, ""), tenant.tenantId));
  if (!r.isDefault && requireDefault) refuse(AADSTS.defaultScopeRequired(first));
  return r.resource;
}

function requireResourcePrincipal(ctx: EmuContext, tenant: TenantState, r: Resource): void {
  if (!servicePrincipalByAppId(tenant, r.appId, ctx.now()))
    refuse(AADSTS.resourceNotFound(r.audience, tenant.tenantId));
}

function clientCredentials(
  ctx: EmuContext,
  req: EmuRequest,
  tenantSegment: string,
  form: URLSearchParams,
  deps: GrantDeps,
): EmuResponse {
  const tenant = tenantOf(ctx, tenantSegment);
  const clientId = param(form, "client_id");
  const scope = param(form, "scope");
  const sp = clientPrincipal(ctx, tenant, clientId);
  let kind: "secret" | "certificate";
  const secret = form.get("client_secret");
  const assertion = form.get("client_assertion");
  if (secret) {
    checkSecret(ctx, clientId, secret);
    kind = "secret";
  } else if (assertion) {
    if (form.get("client_assertion_type") !== JWT_BEARER) refuse(AADSTS.missingParameter("client_assertion_type"));
    checkAssertion(ctx, req, clientId, assertion);
    kind = "certificate";
  } else {
    return refuse(AADSTS.noCredential());
  }
  const resource = resourceFrom(tenant, scope, true);
  requireResourcePrincipal(ctx, tenant, resource);
  const lifetime = ctx.options.tokenLifetimeSeconds;
  return json(
    200,
    {
      token_type: "Bearer",
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: appOnlyToken(ctx, deps.key, tenant, sp, resource, kind),
    },
    { "cache-control": "no-store, no-cache", pragma: "no-cache" },
  );
}

function delegatedAnswer(
  ctx: EmuContext,
  tenant: TenantState,
  user: Stored,
  clientId: string,
  scope: string,
  form: URLSearchParams,
  deps: GrantDeps,
): EmuResponse {
  const resource = resourceFrom(tenant, scope, false);
  requireResourcePrincipal(ctx, tenant, resource);
  const refresh = randomBytes(48).toString("base64url");
  deps.refreshTokens.set(refresh, { tenantId: tenant.tenantId, userId: String(user.obj.id), clientId });
  const lifetime = ctx.options.tokenLifetimeSeconds;
  const oidc = scope.split(/\s+/).filter((s) => OIDC_SCOPES.has(s.toLowerCase()));
  const body: Rec = {
    token_type: "Bearer",
    scope: [`${resource.audience}/.default`, ...oidc].join(" "),
    expires_in: lifetime,
    ext_expires_in: lifetime,
    access_token: delegatedToken(ctx, deps.key, tenant, user, clientId, resource),
    refresh_token: refresh,
    id_token: idToken(ctx, deps.key, tenant, user, clientId),
  };
  if (form.get("client_info") === "1") body.client_info = clientInfo(tenant, user);
  return json(200, body, { "cache-control": "no-store, no-cache", pragma: "no-cache" });
}

function deviceCodeGrant(ctx: EmuContext, form: URLSearchParams, deps: GrantDeps): EmuResponse {
  const code = param(form, "device_code");
  const clientId = param(form, "client_id");
  for (const tenant of ctx.state.tenants.values()) {
    const pending = tenant.directory.deviceCodes.get(code);
    if (!pending || pending.clientId !== clientId) continue;
    if (Number(pending.expiresAt) <= ctx.now()) {
      tenant.directory.deviceCodes.delete(code);
      return refuse(AADSTS.deviceCodeExpired());
    }
    if (pending.status !== "approved") return refuse(AADSTS.pending());
    // Entra redeems a device code only for a public client: Microsoft's own, or an app registration with
    // "Allow public client flows" (isFallbackPublicClient) switched on.
    const app = applicationByAppId(ctx.state, clientId);
    if (
      !FIRST_PARTY_PUBLIC_CLIENTS.has(clientId.toLowerCase()) &&
      app?.app.obj.isFallbackPublicClient !== true &&
      !form.get("client_secret") &&
      !form.get("client_assertion")
    ) {
      return refuse(AADSTS.noCredential());
    }
    const user = tenant.directory.users.get(String(pending.userId)) ?? refuse(AADSTS.badGrant());
    tenant.directory.deviceCodes.delete(code);
    return delegatedAnswer(ctx, tenant, user, clientId, String(pending.scope), form, deps);
  }
  return refuse(AADSTS.badGrant());
}

function refreshGrant(ctx: EmuContext, form: URLSearchParams, deps: GrantDeps): EmuResponse {
  const grant = deps.refreshTokens.get(param(form, "refresh_token"));
  const clientId = param(form, "client_id");
  if (!grant || grant.clientId !== clientId) return refuse(AADSTS.badGrant());
  const tenant = ctx.state.tenants.get(grant.tenantId) ?? refuse(AADSTS.badGrant());
  const user = tenant.directory.users.get(grant.userId) ?? refuse(AADSTS.badGrant());
  return delegatedAnswer(ctx, tenant, user, clientId, form.get("scope") ?? "", form, deps);
}

export function tokenEndpoint(ctx: EmuContext, req: EmuRequest, tenantSegment: string, deps: GrantDeps): EmuResponse {
  const form = new URLSearchParams(req.body.toString("utf8"));
  try {
    const grant = param(form, "grant_type");
    switch (grant) {
      case "client_credentials":
        return clientCredentials(ctx, req, tenantSegment, form, deps);
      case DEVICE_CODE_GRANT:
      case "device_code": // MSAL's spelling; Entra's v2 endpoint takes both
        return deviceCodeGrant(ctx, form, deps);
      case "refresh_token":
        return refreshGrant(ctx, form, deps);
      default:
        return refuse(AADSTS.unsupportedGrant(grant));
    }
  } catch (e) {
    if (e instanceof Refusal) return entraError(req, e.entra, ctx.now());
    throw e;
  }
}
