// Migration endpoints. A cross-tenant endpoint (-ExchangeRemoteMove -RemoteTenant) is only created once
// Exchange can act for the migration app in the source tenant: the app's service principal there holds
// Mailbox.Migration (consent, visible only after propagation), and the credential is a current secret of
// the app. The AADSTS texts are Entra's; how MRS wraps them is inferred.

import {
  applicationByAppId,
  findTenant,
  grantedRoles,
  servicePrincipalByAppId,
  type EmulatorState,
  type Rec,
  type Stored,
  type TenantState,
} from "../../model";
import { CLOUDS, FIRST_PARTY } from "../../../providers/tenant/clouds";
import { Credential } from "../binding";
import {
  alreadyExists,
  has,
  noChangeWarning,
  notFound,
  raise,
  requireHydrated,
  str,
  type Call,
  type CmdletImpl,
} from "../call";
import { newGuid, INTERNAL_PREFIX } from "../recipient";
import { markChanged, storeNew } from "./common";
import { MAILBOX_MIGRATION_ROLE } from "../../../domain/firstParty";

export const SECRET = `${INTERNAL_PREFIX}credential`;

function endpoints(call: Call): Stored[] {
  return [...call.tenant.exchange.migrationEndpoints.values()].filter((s) => s.meta.visibleAt <= call.now);
}

export function endpointByIdentity(call: Call, identity: string): Stored | undefined {
  const id = identity.toLowerCase();
  return endpoints(call).find((s) =>
    [s.obj.Identity, s.obj.Name, s.obj.Guid].some((v) => String(v).toLowerCase() === id),
  );
}

export const getMigrationEndpoint: CmdletImpl = (call) => {
  const id = str(call, "Identity");
  if (id !== undefined) {
    const s = endpointByIdentity(call, id);
    if (!s) return notFound(call, id);
    return [s.obj];
  }
  const type = str(call, "Type");
  return endpoints(call)
    .map((s) => s.obj)
    .filter((o) => !type || o.EndpointType === type);
};

interface Check {
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

function connectionFailed(call: Call, text: string): never {
  return raise(call, { type: "Microsoft.Exchange.Migration.MigrationServerConnectionFailedException", text });
}

function credentialOf(v: unknown): { userName: string; password: string } | undefined {
  return v instanceof Credential ? { userName: v.userName, password: v.reveal() } : undefined;
}

function checkCredentialMatchesApp(
  call: Call,
  appId: string | undefined,
  cred: { userName: string } | undefined,
): void {
  if (appId && cred && cred.userName.toLowerCase() !== appId.toLowerCase()) {
    // Microsoft's guide builds the PSCredential from the app id; other user names are refused (inferred text).
    raise(call, {
      type: "Microsoft.Exchange.Migration.MigrationPermanentException",
      text: `The user name of the credentials must be the application ID '${appId}'.`,
    });
  }
}

export const newMigrationEndpoint: CmdletImpl = (call) => {
  requireHydrated(call);
  const name = str(call, "Name")!;
  if (
    [...call.tenant.exchange.migrationEndpoints.values()].some(
      (s) => String(s.obj.Name).toLowerCase() === name.toLowerCase(),
    )
  ) {
    alreadyExists(call, "migration endpoint", name);
  }
  const remote = call.params.ExchangeRemoteMove === true;
  const cred = credentialOf(call.params.Credentials);
  const appId = str(call, "ApplicationId");
  const remoteTenant = str(call, "RemoteTenant");
  if (remote) {
    checkCredentialMatchesApp(call, appId, cred);
    if (remoteTenant && !cred) {
      raise(call, {
        type: "Microsoft.Exchange.Migration.MigrationPermanentException",
        text: "Credentials are required for a cross-tenant migration endpoint.",
      });
    }
    const problem =
      call.params.SkipVerification === true && remoteTenant === undefined
        ? undefined
        : crossTenantProblem(envOf(call), {
            remoteServer: str(call, "RemoteServer")!,
            remoteTenant,
            applicationId: appId,
            credential: cred,
          });
    if (problem) connectionFailed(call, problem);
  }
  const when = new Date(call.now).toISOString();
  const o: Rec = {
    Identity: name,
    Name: name,
    Guid: newGuid(call.ctx.random),
    EndpointType: remote
      ? "ExchangeRemoteMove"
      : call.params.IMAP === true
        ? "IMAP"
        : call.params.Gmail === true
          ? "Gmail"
          : "ExchangeOutlookAnywhere",
    RemoteServer: str(call, "RemoteServer") ?? null,
    RemoteTenant: remoteTenant ?? null,
    ApplicationId: appId ?? null,
    AppSecretKeyVaultUrl: str(call, "AppSecretKeyVaultUrl") ?? null,
    Username: cred?.userName ?? null,
    MaxConcurrentMigrations: call.params.MaxConcurrentMigrations ?? 20,
    MaxConcurrentIncrementalSyncs: call.params.MaxConcurrentIncrementalSyncs ?? 10,
    IsRemote: remote,
    UseAutoDiscover: call.params.Autodiscover === true,
    LastModifiedTime: when,
    [SECRET]: cred ?? null,
  };
  storeNew(call, call.tenant.exchange.migrationEndpoints, o);
  return [o];
};

export const setMigrationEndpoint: CmdletImpl = (call) => {
  const id = str(call, "Identity")!;
  const s = endpointByIdentity(call, id);
  if (!s) return notFound(call, id);
  const o = s.obj;
  const before = JSON.stringify(o);
  const cred = has(call, "Credentials")
    ? credentialOf(call.params.Credentials)
    : ((o[SECRET] as { userName: string; password: string } | null) ?? undefined);
  const appId = has(call, "ApplicationId")
    ? str(call, "ApplicationId")
    : ((o.ApplicationId as string | null) ?? undefined);
  if (
    o.EndpointType === "ExchangeRemoteMove" &&
    (has(call, "Credentials") || has(call, "ApplicationId") || has(call, "RemoteServer"))
  ) {
    checkCredentialMatchesApp(call, appId, cred);
    if (call.params.SkipVerification !== true) {
      const problem = crossTenantProblem(envOf(call), {
        remoteServer: str(call, "RemoteServer") ?? String(o.RemoteServer),
        remoteTenant: (o.RemoteTenant as string) ?? undefined,
        applicationId: appId,
        credential: cred,
      });
      if (problem) connectionFailed(call, problem);
    }
  }
  if (has(call, "Credentials")) {
    o[SECRET] = cred ?? null;
    o.Username = cred?.userName ?? null;
  }
  for (const k of [
    "ApplicationId",
    "RemoteServer",
    "MaxConcurrentMigrations",
    "MaxConcurrentIncrementalSyncs",
    "AppSecretKeyVaultUrl",
  ])
    if (has(call, k)) o[k] = call.params[k];
  if (JSON.stringify(o) === before) noChangeWarning(call, String(o.Identity));
  else {
    markChanged(call, o);
    o.LastModifiedTime = new Date(call.now).toISOString();
  }
  return [];
};

export const removeMigrationEndpoint: CmdletImpl = (call) => {
  const id = str(call, "Identity")!;
  const s = endpointByIdentity(call, id);
  if (!s) return notFound(call, id);
  const inUse = [...call.tenant.exchange.migrationBatches.values()].find(
    (b) => String(b.obj.SourceEndpoint).toLowerCase() === String(s.obj.Name).toLowerCase(),
  );
  if (inUse) {
    // Inferred text: there is no public capture of this refusal.
    raise(call, {
      type: "Microsoft.Exchange.Migration.MigrationEndpointInUseException",
      text: `The migration endpoint '${s.obj.Name}' can't be removed because it's used by the migration batch '${inUse.obj.Name}'.`,
    });
  }
  call.tenant.exchange.migrationEndpoints.delete(String(s.obj.Guid).toLowerCase());
  return [];
};

/** Returns a result object rather than failing, as the cmdlet does (Result Success/Failed). */
export const testMigrationServerAvailability: CmdletImpl = (call) => {
  let check: Check;
  if (has(call, "Endpoint")) {
    const id = str(call, "Endpoint")!;
    const s = endpointByIdentity(call, id);
    if (!s) return notFound(call, id);
    check = {
      remoteServer: String(s.obj.RemoteServer ?? ""),
      remoteTenant: (s.obj.RemoteTenant as string) ?? undefined,
      applicationId: (s.obj.ApplicationId as string) ?? undefined,
      credential: (s.obj[SECRET] as { userName: string; password: string }) ?? undefined,
    };
  } else {
    check = { remoteServer: str(call, "RemoteServer") ?? "", credential: credentialOf(call.params.Credentials) };
  }
  const problem = crossTenantProblem(envOf(call), check);
  return [
    {
      Result: problem ? "Failed" : "Success",
      Message: problem ?? "",
      ConnectionSettings: null,
      SupportsCutover: false,
      ErrorDetail: problem ? `Microsoft.Exchange.Migration.MigrationServerConnectionFailedException: ${problem}` : null,
      IsValid: !problem,
      Identity: null,
    },
  ];
};
