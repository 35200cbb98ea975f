// The migration endpoint as this resource's calls see it: what Get-MigrationEndpoint returns that we look at,
// the context every call is given, and how messages name the tenant and keep the secret out.

import type { TenantClient } from "../tenant";

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
