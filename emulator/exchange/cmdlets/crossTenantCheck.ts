// The check Exchange makes before it acts for the migration app in the source tenant: the remote server is
// Microsoft's, the source tenant exists and is another one, the app is there with a current secret, and its
// Mailbox.Migration consent has propagated. New-, Set-MigrationEndpoint, Test-MigrationServerAvailability and the
// migration engine (each user's sync) all ask it; the AADSTS texts are Entra's, how MRS wraps them is inferred.

import {
  applicationByAppId,
  findTenant,
  grantedRoles,
  servicePrincipalByAppId,
  type EmulatorState,
  type Rec,
  type TenantState,
} from "../../model";
import { CLOUDS, FIRST_PARTY } from "../../../providers/tenant/clouds";
import type { Call } from "../call";
import { MAILBOX_MIGRATION_ROLE } from "../../../domain/firstParty";

export interface Check {
  remoteServer: string;
  remoteTenant?: string;
  applicationId?: string;
  credential?: { userName: string; password: string };
}

/** What a cross-tenant check needs to know; a cmdlet call or the migration engine provides it. */
export interface CheckEnv {
  state: EmulatorState;
  tenant: TenantState;
  now: number;
  consentPropagationMs: number;
}

export function envOf(call: Call): CheckEnv {
  return {
    state: call.ctx.state,
    tenant: call.tenant,
    now: call.now,
    consentPropagationMs: call.ctx.options.faults.consentPropagationMs,
  };
}

/** Why Exchange could not reach the source as the migration app, or undefined when it can. */
export function crossTenantProblem(env: CheckEnv, c: Check): string | undefined {
  const server = CLOUDS.worldwide.migrationRemoteServer;
  if (c.remoteServer.toLowerCase() !== server)
    return `The connection to the server '${c.remoteServer}' could not be completed.`;
  if (!c.remoteTenant) return undefined;
  const remote = findTenant(env.state, c.remoteTenant);
  if (!remote) {
    return `The connection to the server '${server}' could not be completed. --> AADSTS90002: Tenant '${c.remoteTenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`;
  }
  if (remote === env.tenant) return "ASSERT: The resource tenant and the accessing tenant cannot be equal.";
  const appId = c.applicationId ?? c.credential?.userName ?? "";
  const sp = servicePrincipalByAppId(remote, appId, env.now);
  const home = applicationByAppId(env.state, appId);
  if (!sp || !home) {
    return `The connection to the server '${server}' could not be completed. --> AADSTS700016: Application with identifier '${appId}' was not found in the directory '${remote.initialDomain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`;
  }
  if (
    c.credential &&
    !secretIsCurrent(
      home.tenant.directory.secretValues.get(String(home.app.obj.id)),
      home.app.obj,
      c.credential.password,
      env.now,
    )
  ) {
    return `The connection to the server '${server}' could not be completed. --> AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${appId}'.`;
  }
  const since = env.now - env.consentPropagationMs;
  if (!grantedRoles(remote, String(sp.obj.id), FIRST_PARTY.exchangeOnline, since).includes(MAILBOX_MIGRATION_ROLE)) {
    // https://github.com/davidhend/tenant-migration-platform's wording of the consent/propagation failure.
    return `The connection to the server '${server}' could not be completed. --> The call to 'https://${server}/MailboxReplicationService.ProxyService/OAuth' failed. --> Access is denied.`;
  }
  return undefined;
}

function secretIsCurrent(values: Map<string, string> | undefined, app: Rec, password: string, now: number): boolean {
  if (!values) return false;
  const creds = (app.passwordCredentials as Rec[] | undefined) ?? [];
  for (const [keyId, value] of values) {
    if (value !== password) continue;
    const c = creds.find((x) => x.keyId === keyId);
    if (!c) continue;
    const end = c.endDateTime ? Date.parse(String(c.endDateTime)) : Infinity;
    const start = c.startDateTime ? Date.parse(String(c.startDateTime)) : -Infinity;
    if (start <= now && now < end) return true;
  }
  return false;
}
