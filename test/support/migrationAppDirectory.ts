// Shared by the MigrationApp tests (test/migration-app*.test.ts): views of the target directory as the
// emulator holds it, sign-ins with a client secret at the emulator's token endpoint, and an administrator's
// own app registration made through Graph (for adoption).

import type { Emulator } from "../../emulator";
import type { Rec } from "../../emulator/model";
import { createTenantClient } from "../../providers/tenant";
import { emulatorTenantSettings, trustedFetch, tenantOf } from "./emulator";
import { TAG_PREFIX } from "../../providers/migrationApp/inputs";

export const EXCHANGE_ONLINE = "00000002-0000-0ff1-ce00-000000000000";
export const MICROSOFT_GRAPH = "00000003-0000-0000-c000-000000000000";
export const USER_READ = "e1fe6dd8-ba31-4d61-89e7-88639da4683d";

export function applications(emu: Emulator): Rec[] {
  return [...tenantOf(emu, "target").directory.applications.values()].map((s) => s.obj);
}

export function applicationById(emu: Emulator, id: string): Rec | undefined {
  return tenantOf(emu, "target").directory.applications.get(id)?.obj;
}

export function taggedApplications(emu: Emulator, naturalKey: string): Rec[] {
  return applications(emu).filter((a) =>
    ((a.tags as string[] | undefined) ?? []).includes(`${TAG_PREFIX}${naturalKey}`),
  );
}

export function servicePrincipalsOf(emu: Emulator, appId: string): Rec[] {
  return [...tenantOf(emu, "target").directory.servicePrincipals.values()]
    .map((s) => s.obj)
    .filter((sp) => String(sp.appId).toLowerCase() === appId.toLowerCase());
}

export function keyIdsOf(app: Rec | undefined): string[] {
  return ((app?.passwordCredentials as Rec[] | undefined) ?? []).map((p) => String(p.keyId).toLowerCase()).sort();
}

/** The Mailbox.Migration role id the emulated tenant's Exchange Online service principal publishes. */
export function seededMailboxMigrationRoleId(emu: Emulator): string {
  const exo = servicePrincipalsOf(emu, EXCHANGE_ONLINE)[0];
  const role = ((exo.appRoles as Rec[]) ?? []).find((r) => r.value === "Mailbox.Migration");
  return String(role!.id);
}

/** The target directory as comparable data: every application (settings and secrets), service principal and assignment. */
export function directorySnapshot(emu: Emulator) {
  const d = tenantOf(emu, "target").directory;
  const apps = [...d.applications.values()]
    .map(({ obj }) => ({
      id: obj.id,
      appId: obj.appId,
      displayName: obj.displayName,
      signInAudience: obj.signInAudience,
      redirectUris: ((obj.web as Rec | undefined)?.redirectUris as string[] | undefined) ?? [],
      requiredResourceAccess: obj.requiredResourceAccess,
      tags: obj.tags,
      secrets: keyIdsOf(obj),
    }))
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));
  return {
    applications: apps,
    servicePrincipals: [...d.servicePrincipals.keys()].sort(),
    assignments: [...d.appRoleAssignments.keys()].sort(),
  };
}

/** A client-credentials sign-in in the target with an app's secret: what Exchange does with the endpoint's credential. */
export async function signIn(
  emu: Emulator,
  appId: string,
  secret: string,
): Promise<{ ok: boolean; code?: number; error?: string }> {
  const res = await trustedFetch(emu)(`${emu.endpoints.login}/${emu.tenants.target.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: appId,
      client_secret: secret,
      scope: "https://graph.microsoft.com/.default",
    }),
  });
  const body = (await res.json()) as Rec;
  if (res.ok && typeof body.access_token === "string") return { ok: true };
  const codes = (body.error_codes as number[] | undefined) ?? [];
  return { ok: false, code: codes[0], error: String(body.error_description ?? body.error ?? "") };
}

/** Graph as the target's operator, standing in for an administrator working in the portal. */
export async function adminGraph(emu: Emulator) {
  return createTenantClient(emulatorTenantSettings(emu, "target"), { graph: { retryDelaySeconds: 0.01 } }).graph();
}

/** What an administrator registers by hand in the portal: single tenant, another redirect URI, User.Read, a secret of their own. */
export async function registerByHand(
  emu: Emulator,
  displayName: string,
  opts: { servicePrincipal: boolean },
): Promise<{ id: string; appId: string; keyId: string; secret: string }> {
  const g = await adminGraph(emu);
  const app = await g.api("/applications").post({
    displayName,
    signInAudience: "AzureADMyOrg",
    web: { redirectUris: ["https://localhost/callback"] },
    requiredResourceAccess: [{ resourceAppId: MICROSOFT_GRAPH, resourceAccess: [{ id: USER_READ, type: "Scope" }] }],
  });
  const cred = await g
    .api(`/applications/${app.id}/addPassword`)
    .post({ passwordCredential: { displayName: "administrator's own" } });
  if (opts.servicePrincipal) await g.api("/servicePrincipals").post({ appId: app.appId });
  return {
    id: String(app.id),
    appId: String(app.appId),
    keyId: String(cred.keyId).toLowerCase(),
    secret: String(cred.secretText),
  };
}
