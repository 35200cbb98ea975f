// The tenant access layer's front door. Providers ask for `tenantClient(settings)` inside their methods;
// nothing here runs at import time, so requiring this module from a serialized provider is safe.

import type { Client } from "@microsoft/microsoft-graph-client";
import { secretsOf, tokenProvider, type TokenProvider } from "./credentials";
import { RestExchangeClient, type ExchangeClient, type ExchangeClientOptions } from "./exchange";
import { graphClient, type GraphClientOptions } from "./graph";
import type { Fetch } from "./http";
import { PwshRunner, type PowerShellOptions, type PowerShellRunner } from "./powershell";
import type { TenantSettings } from "./settings";
import { noteWrite } from "./writeClock";

export interface TenantClient {
  settings: TenantSettings;
  graph(): Promise<Client>;
  exchange: ExchangeClient;
  powershell: PowerShellRunner;
  /** Raw tokens, for the rare caller that needs one (e.g. a diagnostic); never log the result. */
  tokens: TokenProvider;
}

export interface TenantClientOptions {
  graph?: GraphClientOptions;
  exchange?: ExchangeClientOptions;
  powershell?: PowerShellOptions;
  fetch?: Fetch;
}

/** Builds a client without caching; tests use it to tune retry timings. */
export function createTenantClient(settings: TenantSettings, options: TenantClientOptions = {}): TenantClient {
  const tokens = tokenProvider(settings, options.fetch);
  const secrets = secretsOf(settings.credential);
  let graph: Client | undefined;
  return {
    settings,
    tokens,
    async graph() {
      graph ??= graphClient(settings.cloud, tokens, {
        fetch: options.fetch,
        onWrite: () => noteWrite(settings.tenantId),
        ...options.graph,
      });
      return graph;
    },
    exchange: new RestExchangeClient(settings, tokens, {
      fetch: options.fetch,
      ...options.exchange,
      secrets: [...secrets, ...(options.exchange?.secrets ?? [])],
    }),
    powershell: new PwshRunner(settings, tokens, {
      ...options.powershell,
      secrets: [...secrets, ...(options.powershell?.secrets ?? [])],
    }),
  };
}

const clients = new Map<string, { fingerprint: string; client: TenantClient }>();

/**
 * One client per tenant and app in the process, so MSAL's token cache and the Exchange gate are shared by
 * every resource. A changed credential or endpoint (a rotated secret, a new emulator port) replaces it.
 */
export function tenantClient(settings: TenantSettings): TenantClient {
  const key = `${settings.role}|${settings.tenantId}|${settings.credential.clientId}`;
  const fingerprint = JSON.stringify([
    settings.cloud,
    settings.credential,
    settings.domain,
    settings.pwshPath,
    settings.exchangeConcurrency,
  ]);
  const hit = clients.get(key);
  if (hit && hit.fingerprint === fingerprint) return hit.client;
  const client = createTenantClient(settings);
  clients.set(key, { fingerprint, client });
  return client;
}

export {
  readTenantSettings,
  roleKey,
  defaultTokenCachePath,
  type TenantRole,
  type TenantSettings,
  type CredentialSettings,
} from "./settings";
export { ConfigError, CredentialError, type ConfigProblem } from "./errors";
export { ExchangeError, NO_CHANGE_WARNING, type ExchangeErrorKind } from "./exchangeErrors";
export { hashtable, sizeInBytes } from "./exchangeWire";
export {
  APP_ANCHOR_MAILBOX,
  defaultAnchor,
  type ExchangeClient,
  type ExchangeResult,
  type InvokeOptions,
} from "./exchange";
export { GraphRequestError, graphCall, toGraphRequestError } from "./graph";
export {
  PowerShellUnavailableError,
  manualCommand,
  type PowerShellRunner,
  type PowerShellCredential,
} from "./powershell";
export { resetTenantLimiters } from "./limiter";
export type { CloudEndpoints, CloudName } from "./clouds";
