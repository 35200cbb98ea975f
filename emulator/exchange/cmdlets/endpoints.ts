// Migration endpoints. A cross-tenant endpoint (-ExchangeRemoteMove -RemoteTenant) is only created once
// Exchange can act for the migration app in the source tenant (crossTenantCheck.ts): the app's service
// principal there holds Mailbox.Migration (consent, visible only after propagation), and the credential is a
// current secret of the app.

import type { Rec, Stored } from "../../model";
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
import { crossTenantProblem, envOf, type Check } from "./crossTenantCheck";

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
