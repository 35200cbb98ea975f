// The migration endpoint as this resource's calls see it: what Get-MigrationEndpoint returns that we look at,
// the context every call is given (made from the inputs), the outputs an endpoint read gives, and how messages
// name the tenant and keep the secret out.

import { tenantFor } from "../context";
import type { TenantClient } from "../tenant";
import { DEFAULT_PROPAGATION_TIMEOUT_SECONDS, type Inputs, type Outputs } from "./inputs";

/** What Get-MigrationEndpoint returns that we look at. */
export interface Endpoint {
  Identity?: string;
  Name?: string;
  Guid?: string;
  EndpointType?: string;
  RemoteServer?: string | null;
  RemoteTenant?: string | null;
  ApplicationId?: string | null;
  MaxConcurrentMigrations?: number | string | null;
}

export interface EndpointContext {
  client: TenantClient;
  name: string;
  appId: string;
  remoteTenant: string;
  /** What -RemoteServer must be in this cloud. */
  remoteServer: string;
  secret?: string;
  secretKeyId?: string;
  consentedAt?: string;
  timeoutSeconds: number;
  maxConcurrentMigrations?: number;
}

export function where(ctx: Pick<EndpointContext, "client">): string {
  return `the target tenant ${ctx.client.settings.tenantId}`;
}

/** Last guard: the runner already scrubs, but a message we build must not carry the secret either. */
export function hide(ctx: Pick<EndpointContext, "secret">, text: string): string {
  return ctx.secret && ctx.secret.length >= 4 ? text.split(ctx.secret).join("[secret]") : text;
}

export function contextFor(inputs: Partial<Inputs>, fallbackName: string): EndpointContext {
  const client = tenantFor("target");
  return {
    client,
    name: inputs.name ?? fallbackName,
    appId: inputs.appId ?? "",
    remoteTenant: inputs.remoteTenant ?? "",
    remoteServer: client.settings.cloud.migrationRemoteServer,
    secret: inputs.clientSecret,
    secretKeyId: inputs.secretKeyId,
    consentedAt: inputs.consentedAt,
    timeoutSeconds: inputs.propagationTimeoutSeconds ?? DEFAULT_PROPAGATION_TIMEOUT_SECONDS,
    maxConcurrentMigrations: inputs.maxConcurrentMigrations,
  };
}

export function outputsOf(ctx: EndpointContext, ep: Endpoint, secretKeyId: string | null, adopted: boolean): Outputs {
  const str = (v: unknown) => (typeof v === "string" ? v : null);
  const max = ep.MaxConcurrentMigrations;
  return {
    name: ctx.name,
    identity: str(ep.Identity) ?? str(ep.Name) ?? ctx.name,
    guid: str(ep.Guid),
    endpointType: str(ep.EndpointType),
    remoteServer: str(ep.RemoteServer),
    remoteTenant: str(ep.RemoteTenant),
    applicationId: str(ep.ApplicationId),
    maxConcurrentMigrations: typeof max === "number" || typeof max === "string" ? max : null,
    secretKeyId,
    adopted,
    tenantId: ctx.client.settings.tenantId,
  };
}
