// What goes into the tokens the emulator issues: the resource a scope names, the permissions the caller
// holds on it, and the claim sets of app-only, delegated and id tokens (Entra v1 access tokens, as
// Graph and Exchange receive them; v2 id tokens, as MSAL expects them).

import { randomBytes } from "node:crypto";
import type { EmuContext } from "../http";
import {
  directoryRoleTemplates,
  grantedRoles,
  servicePrincipalByAppId,
  type Rec,
  type Stored,
  type TenantState,
} from "../model";
import { CLOUDS, FIRST_PARTY } from "../../providers/tenant/clouds";
import { GRAPH_APPLICATION_PERMISSIONS } from "../../providers/tenant/permissions";
import { signJwt } from "./tokens";
import type { TokenSigningKey } from "../pki";

export interface Resource {
  /** The audience as requested (URI or app id); it becomes the token's `aud`. */
  audience: string;
  appId: string;
}

const KNOWN_RESOURCES: Resource[] = [
  { audience: CLOUDS.worldwide.graphAudience, appId: FIRST_PARTY.microsoftGraph },
  { audience: CLOUDS.worldwide.exchangeAudience, appId: FIRST_PARTY.exchangeOnline },
];

export const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);

export function audienceAppId(audience: string): string | undefined {
  const a = audience.replace(/\/+$/, "").toLowerCase();
  return KNOWN_RESOURCES.find((r) => r.audience.toLowerCase() === a || r.appId === a)?.appId;
}

/** `https://graph.microsoft.com/.default` → the Graph resource; undefined for a resource the emulator does not host. */
export function resourceOf(scope: string): { resource: Resource; isDefault: boolean } | undefined {
  const isDefault = /\/\.default$/i.test(scope);
  const base = scope.replace(/\/[^/]*$/, "").replace(/\/+$/, "");
  const appId = audienceAppId(base);
  return appId ? { resource: { audience: base, appId }, isDefault } : undefined;
}

/** Epoch seconds. */
const secs = (ms: number) => Math.floor(ms / 1000);

function common(ctx: EmuContext, tenant: TenantState, aud: string): Rec {
  const now = secs(ctx.now());
  return {
    aud,
    iss: `https://sts.windows.net/${tenant.tenantId}/`,
    iat: now,
    nbf: now,
    exp: now + ctx.options.tokenLifetimeSeconds,
    idp: `https://sts.windows.net/${tenant.tenantId}/`,
    tid: tenant.tenantId,
    uti: randomBytes(16).toString("base64url"),
    ver: "1.0",
  };
}

export function appOnlyToken(
  ctx: EmuContext,
  key: TokenSigningKey,
  tenant: TenantState,
  sp: Stored,
  resource: Resource,
  credentialKind: "secret" | "certificate",
): string {
  // A new app role assignment reaches issued tokens only after the consent propagation delay.
  const since = ctx.now() - ctx.options.faults.consentPropagationMs;
  const spId = String(sp.obj.id);
  return signJwt(
    {
      ...common(ctx, tenant, resource.audience),
      app_displayname: sp.obj.displayName,
      appid: sp.obj.appId,
      appidacr: credentialKind === "secret" ? "1" : "2",
      azp: sp.obj.appId,
      azpacr: credentialKind === "secret" ? "1" : "2",
      idtyp: "app",
      oid: spId,
      sub: spId,
      roles: grantedRoles(tenant, spId, resource.appId, since),
      wids: directoryRoleTemplates(tenant, spId),
    },
    key,
  );
}

/**
 * Delegated scopes: the admin's consent grants when the client has any on the resource; otherwise the
 * consent a Global Administrator gives at sign-in for what the operator needs (the emulator has no
 * consent prompt to click through).
 */
export function delegatedScopes(tenant: TenantState, clientId: string, resourceAppId: string, now: number): string {
  const client = servicePrincipalByAppId(tenant, clientId, now);
  const resource = servicePrincipalByAppId(tenant, resourceAppId, now);
  if (client && resource) {
    const scopes = [...tenant.directory.oauth2PermissionGrants.values()]
      .filter((g) => g.obj.clientId === client.obj.id && g.obj.resourceId === resource.obj.id)
      .flatMap((g) => String(g.obj.scope ?? "").split(" "))
      .filter((s) => s.length > 0);
    if (scopes.length > 0) return [...new Set(scopes)].join(" ");
  }
  if (resourceAppId === FIRST_PARTY.exchangeOnline) return "Exchange.Manage";
  return ["User.Read", ...GRAPH_APPLICATION_PERMISSIONS.map((p) => p.value)].join(" ");
}

export function delegatedToken(
  ctx: EmuContext,
  key: TokenSigningKey,
  tenant: TenantState,
  user: Stored,
  clientId: string,
  resource: Resource,
): string {
  const userId = String(user.obj.id);
  return signJwt(
    {
      ...common(ctx, tenant, resource.audience),
      amr: ["pwd", "mfa"],
      app_displayname: clientId,
      appid: clientId,
      appidacr: "0",
      azp: clientId,
      azpacr: "0",
      idtyp: "user",
      name: user.obj.displayName,
      oid: userId,
      sub: userId,
      scp: delegatedScopes(tenant, clientId, resource.appId, ctx.now()),
      upn: user.obj.userPrincipalName,
      unique_name: user.obj.userPrincipalName,
      wids: directoryRoleTemplates(tenant, userId),
    },
    key,
  );
}

export function idToken(
  ctx: EmuContext,
  key: TokenSigningKey,
  tenant: TenantState,
  user: Stored,
  clientId: string,
): string {
  const now = secs(ctx.now());
  return signJwt(
    {
      aud: clientId,
      iss: `${ctx.baseUrl}/${tenant.tenantId}/v2.0`,
      iat: now,
      nbf: now,
      exp: now + ctx.options.tokenLifetimeSeconds,
      name: user.obj.displayName,
      oid: user.obj.id,
      preferred_username: user.obj.userPrincipalName,
      sub: user.obj.id,
      tid: tenant.tenantId,
      ver: "2.0",
    },
    key,
  );
}

export function clientInfo(tenant: TenantState, user: Stored): string {
  return Buffer.from(JSON.stringify({ uid: user.obj.id, utid: tenant.tenantId })).toString("base64url");
}
