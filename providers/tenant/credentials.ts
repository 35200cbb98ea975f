// Tokens for one tenant, from MSAL. Everything is built on the first `getToken`, inside the call: an MSAL
// application cannot be serialized into a Pulumi provider, and a token read early would be baked into
// state in plaintext. MSAL caches tokens (in memory for apps, in the 0600 file for device code), so
// `getToken` is cheap to call before every request.

import {
  ConfidentialClientApplication,
  PublicClientApplication,
  type AccountInfo,
  type Configuration,
} from "@azure/msal-node";
import type { CloudEndpoints } from "./clouds";
import { loadCertificate } from "./certificate";
import { CredentialError, scrub } from "./errors";
import { cloudFetch, msalNetworkModule, type Fetch } from "./http";
import type { CredentialSettings, TenantSettings } from "./settings";
import { fileCachePlugin } from "./tokenCache";

export interface TokenProvider {
  /** An access token for `audience` (e.g. cloud.graphAudience); `${audience}/.default` scope. */
  getToken(audience: string): Promise<string>;
}

export function scopeFor(audience: string): string {
  return `${audience.replace(/\/+$/, "")}/.default`;
}

/**
 * MSAL configuration shared by the confidential and the public client. A custom cloud's login host is
 * declared a known authority, which makes MSAL trust it without asking Microsoft's instance discovery
 * endpoint (it then reads `${authority}/v2.0/.well-known/openid-configuration` from the host itself).
 */
export function msalConfiguration(
  cloud: CloudEndpoints,
  tenantId: string,
  clientId: string,
  fetch: Fetch = cloudFetch(cloud),
): Configuration {
  const authority = `${cloud.login}/${tenantId}`;
  return {
    auth: {
      clientId,
      authority,
      ...(cloud.name === "custom" ? { knownAuthorities: [new URL(cloud.login).host] } : {}),
    },
    system: { networkClient: msalNetworkModule(fetch) },
  };
}

export function publicClient(settings: TenantSettings, cachePath: string, fetch?: Fetch): PublicClientApplication {
  const config = msalConfiguration(settings.cloud, settings.tenantId, settings.credential.clientId, fetch);
  return new PublicClientApplication({ ...config, cache: { cachePlugin: fileCachePlugin(cachePath) } });
}

/** Secrets a message about these settings must never contain. */
export function secretsOf(c: CredentialSettings): string[] {
  if (c.kind === "clientSecret") return [c.clientSecret];
  if (c.kind === "certificate" && c.certificatePassword) return [c.certificatePassword];
  return [];
}

export function tokenProvider(settings: TenantSettings, fetch?: Fetch): TokenProvider {
  const { credential: cred, tenantId } = settings;
  let acquire: ((scope: string) => Promise<string>) | undefined;

  const build = (): ((scope: string) => Promise<string>) => {
    const config = msalConfiguration(settings.cloud, tenantId, cred.clientId, fetch);
    switch (cred.kind) {
      case "clientSecret": {
        const app = new ConfidentialClientApplication({ ...config, auth: { ...config.auth, clientSecret: cred.clientSecret } });
        return async (scope) => requireToken(await app.acquireTokenByClientCredential({ scopes: [scope] }));
      }
      case "certificate": {
        let cert;
        try {
          cert = loadCertificate(cred.certificatePath, cred.certificatePassword);
        } catch (e) {
          throw new CredentialError(`${(e as Error).message} (config key ${settings.role}CertificatePath)`, tenantId, cred.clientId);
        }
        const app = new ConfidentialClientApplication({ ...config, auth: { ...config.auth, clientCertificate: cert } });
        return async (scope) => requireToken(await app.acquireTokenByClientCredential({ scopes: [scope] }));
      }
      case "deviceCode": {
        const app = publicClient(settings, cred.tokenCachePath, fetch);
        return async (scope) => {
          const account = await signedInAccount(app, tenantId);
          if (!account) throw notSignedIn(settings);
          return requireToken(await app.acquireTokenSilent({ account, scopes: [scope] }));
        };
      }
    }
  };

  return {
    async getToken(audience: string): Promise<string> {
      try {
        acquire ??= build();
        return await acquire(scopeFor(audience));
      } catch (e) {
        if (e instanceof CredentialError) throw e;
        throw describeAuthFailure(e, settings, audience);
      }
    },
  };
}

export async function signedInAccount(app: PublicClientApplication, tenantId: string): Promise<AccountInfo | undefined> {
  const accounts = await app.getTokenCache().getAllAccounts();
  return accounts.find((a) => a.tenantId.toLowerCase() === tenantId.toLowerCase());
}

function requireToken(r: { accessToken: string } | null): string {
  if (!r?.accessToken) throw new Error("MSAL returned no access token");
  return r.accessToken;
}

function notSignedIn(settings: TenantSettings): CredentialError {
  const cred = settings.credential as Extract<CredentialSettings, { kind: "deviceCode" }>;
  return new CredentialError(
    `No signed-in account for the ${settings.role} tenant ${settings.tenantId} in the token cache '${cred.tokenCachePath}'. ` +
      `Sign in first: npm run login -- ${settings.role}`,
    settings.tenantId,
    cred.clientId,
    "no_account",
  );
}

function describeAuthFailure(e: unknown, settings: TenantSettings, audience: string): CredentialError {
  const { credential: cred, tenantId, role } = settings;
  const err = e as { errorCode?: string; errorMessage?: string; message?: string; name?: string };
  const code = err.errorCode || undefined;
  const raw = scrub(err.errorMessage || err.message || String(e), secretsOf(cred));
  // Entra's text repeats timestamps and trace ids around one useful sentence; keep the sentence and the trace id.
  const aadsts = /(AADSTS\d+:.*?)(?: Trace ID: ([0-9a-f-]{36}))/.exec(raw);
  const detail = aadsts ? `${aadsts[1].trim()}${aadsts[2] ? ` (trace id ${aadsts[2]})` : ""}` : raw;
  let hint = "";
  if (code === "invalid_client" || /AADSTS7000215|AADSTS700027|AADSTS7000222/.test(detail))
    hint = cred.kind === "clientSecret"
      ? ` Check ${role}ClientSecret: it must be a current secret of app ${cred.clientId} (secrets expire).`
      : ` Check that the certificate in ${role}CertificatePath is registered on app ${cred.clientId}.`;
  else if (/AADSTS700016|unauthorized_client/.test(`${code} ${detail}`))
    hint = ` Check ${role}ClientId: app ${cred.clientId} must exist in (or be consented to) tenant ${tenantId}.`;
  else if (code === "invalid_grant" || code === "interaction_required" || err.name === "InteractionRequiredAuthError")
    hint = ` The saved sign-in is no longer valid; run: npm run login -- ${role}`;
  return new CredentialError(
    `Getting a token for ${audience} in the ${role} tenant ${tenantId} as app ${cred.clientId} (${cred.kind}) failed: ${code ? code + ": " : ""}${detail}.${hint}`,
    tenantId,
    cred.clientId,
    code,
  );
}
