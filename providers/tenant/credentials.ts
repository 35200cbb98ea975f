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

/** Bounded retries of a sign-in that failed for a passing reason (see `transientSignIn`). */
export interface SignInRetry {
  /** Attempts per token, first included (default 6). */
  maxAttempts?: number;
  /** First backoff step when Entra names no Retry-After (default 1000 ms), doubled per attempt, with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Longest Retry-After waited out as asked (default 60 s); longer ones are clipped to it. */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export function tokenProvider(settings: TenantSettings, fetch?: Fetch, retry: SignInRetry = {}): TokenProvider {
  const { credential: cred, tenantId } = settings;
  let acquire: ((scope: string) => Promise<string>) | undefined;
  const trace = signInTrace(fetch ?? cloudFetch(settings.cloud));
  const policy = {
    maxAttempts: retry.maxAttempts ?? 6,
    baseDelayMs: retry.baseDelayMs ?? 1000,
    maxDelayMs: retry.maxDelayMs ?? 30_000,
    maxRetryAfterMs: retry.maxRetryAfterMs ?? 60_000,
    sleep: retry.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    random: retry.random ?? Math.random,
  };

  const build = (): ((scope: string) => Promise<string>) => {
    const config = msalConfiguration(settings.cloud, tenantId, cred.clientId, trace.fetch);
    switch (cred.kind) {
      case "clientSecret": {
        const app = new ConfidentialClientApplication({
          ...config,
          auth: { ...config.auth, clientSecret: cred.clientSecret },
        });
        return async (scope) => requireToken(await app.acquireTokenByClientCredential({ scopes: [scope] }));
      }
      case "certificate": {
        let cert;
        try {
          cert = loadCertificate(cred.certificatePath, cred.certificatePassword);
        } catch (e) {
          throw new CredentialError(
            `${(e as Error).message} (config key ${settings.role}CertificatePath)`,
            tenantId,
            cred.clientId,
          );
        }
        const app = new ConfidentialClientApplication({ ...config, auth: { ...config.auth, clientCertificate: cert } });
        return async (scope) => requireToken(await app.acquireTokenByClientCredential({ scopes: [scope] }));
      }
      case "deviceCode": {
        const app = publicClient(settings, cred.tokenCachePath, trace.fetch);
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
      for (let attempt = 1; ; attempt++) {
        let current: typeof acquire;
        try {
          current = acquire ??= build();
          return await current(scopeFor(audience));
        } catch (e) {
          if (e instanceof CredentialError) throw e;
          const passing = transientSignIn(e, trace.discoveryFailedTransiently());
          if (!passing || attempt >= policy.maxAttempts) {
            const err = describeAuthFailure(e, settings, audience);
            if (passing) err.message += ` (gave up after ${attempt} attempts)`;
            throw err;
          }
          // MSAL remembers a 429/5xx answer and refuses the same request without sending it until its own
          // throttle time passes (60 s when Entra names none); a new application object starts without that
          // memory, and the wait below is ours: Entra's Retry-After when it gave one, else a growing backoff.
          if (current && acquire === current) acquire = undefined;
          await policy.sleep(signInDelayMs(trace.takeRetryAfterMs(), attempt, policy));
        }
      }
    },
  };
}

/**
 * A sign-in failure worth another try: Entra's "please try again" (AADSTS90033 temporarily_unavailable,
 * any 429 or 5xx answer, also as MSAL replays it from its throttle memory), no answer at all (MSAL's
 * network_error: a token request changes nothing, so it may be sent again), and an OpenID discovery that
 * failed because the login endpoint was throttled, unavailable or unreachable. Never a refusal of the
 * credentials or the request (AADSTS7000215 bad secret, AADSTS700016 unknown app, invalid_grant, a
 * tenant that does not exist): those fail at once.
 */
export function transientSignIn(e: unknown, discoveryFailedTransiently: boolean): boolean {
  const err = e as { errorCode?: string; errorMessage?: string; message?: string; name?: string; status?: number };
  if (err?.name === "InteractionRequiredAuthError") return false;
  const code = err?.errorCode ?? "";
  const text = `${code} ${err?.errorMessage ?? ""} ${err?.message ?? ""}`;
  if (/AADSTS(7000215|700016|700027|7000222|90002|50034|50126|53003)\b/.test(text)) return false;
  if (code === "network_error" || code === "temporarily_unavailable" || /AADSTS90033\b/.test(text)) return true;
  if (typeof err?.status === "number" && (err.status === 429 || err.status >= 500)) return true;
  if (code === "endpoints_resolution_error" || code === "openid_config_error") return discoveryFailedTransiently;
  return false;
}

function signInDelayMs(
  retryAfterMs: number | undefined,
  attempt: number,
  p: { baseDelayMs: number; maxDelayMs: number; maxRetryAfterMs: number; random: () => number },
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, p.maxRetryAfterMs);
  const step = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + (p.random() * step) / 2);
}

/**
 * What the last sign-in requests met, which MSAL does not pass on: the Retry-After of a refused token request,
 * and whether the OpenID discovery failed for a passing reason (MSAL turns every discovery failure into the
 * same endpoints_resolution_error, whether the tenant does not exist or the endpoint answered 503).
 */
function signInTrace(base: Fetch) {
  let retryAfterMs: number | undefined;
  let discoveryTransient = false;
  const isDiscovery = (url: string) => /\/\.well-known\/openid-configuration|\/discovery\/instance/.test(url);
  const fetch: Fetch = async (url, init) => {
    const discovery = isDiscovery(String(url));
    let res;
    try {
      res = await base(url, init);
    } catch (e) {
      if (discovery) discoveryTransient = true;
      throw e;
    }
    const passing = res.status === 429 || res.status >= 500;
    if (passing) {
      const after = res.headers.get("retry-after");
      if (after && /^\d+(\.\d+)?$/.test(after.trim())) retryAfterMs = Number(after) * 1000;
    }
    if (discovery) discoveryTransient = passing;
    return res;
  };
  return {
    fetch,
    discoveryFailedTransiently: () => discoveryTransient,
    takeRetryAfterMs: () => {
      const v = retryAfterMs;
      retryAfterMs = undefined;
      return v;
    },
  };
}

export async function signedInAccount(
  app: PublicClientApplication,
  tenantId: string,
): Promise<AccountInfo | undefined> {
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
    hint =
      cred.kind === "clientSecret"
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
