// Shared by the AdminConsent tests (test/admin-consent*.test.ts): a multi-tenant app registered in the
// target the way MigrationApp would (made here through Graph, so these tests do not depend on that
// resource), an administrator's consent given by hand, and views of the emulated directories.

import type { Emulator } from "../../emulator";
import type { Rec } from "../../emulator/model";
import { createTenantClient } from "../../providers/tenant";
import { emulatorTenantSettings, tenantOf } from "./emulator";

export type Role = "source" | "target";
export const EXCHANGE_ONLINE = "00000002-0000-0ff1-ce00-000000000000";
export const MAILBOX_MIGRATION_ID = "f7264778-fba9-422d-8e9e-2675a2c4b513";

/** A Graph client signed in as the tenant's operator, standing in for its administrator. */
export async function adminGraph(emu: Emulator, role: Role) {
  return createTenantClient(emulatorTenantSettings(emu, role), { graph: { retryDelaySeconds: 0.01 } }).graph();
}

/** Registers a multi-tenant app in the target and its service principal there (what MigrationApp makes). */
export async function registerMultiTenantApp(emu: Emulator, displayName: string): Promise<string> {
  const g = await adminGraph(emu, "target");
  const app = await g
    .api("/applications")
    .post({ displayName, signInAudience: "AzureADMultipleOrgs", web: { redirectUris: ["https://office.com"] } });
  await g.api("/servicePrincipals").post({ appId: app.appId });
  return String(app.appId);
}

export function servicePrincipals(emu: Emulator, role: Role, appId: string): Rec[] {
  return [...tenantOf(emu, role).directory.servicePrincipals.values()]
    .map((s) => s.obj)
    .filter((o) => String(o.appId).toLowerCase() === appId.toLowerCase());
}

export function exchangeSpId(emu: Emulator, role: Role): string {
  return String(servicePrincipals(emu, role, EXCHANGE_ONLINE)[0].id);
}

/** Assignments held by the app's service principal(s) in a tenant. */
export function assignmentsOf(emu: Emulator, role: Role, appId: string): Rec[] {
  const ids = new Set(servicePrincipals(emu, role, appId).map((sp) => sp.id));
  return [...tenantOf(emu, role).directory.appRoleAssignments.values()]
    .map((s) => s.obj)
    .filter((a) => ids.has(a.principalId));
}

/** Active service principals and assignments of a tenant, as comparable ids ("as the tenant was"). */
export function directorySnapshot(emu: Emulator, role: Role): { servicePrincipals: string[]; assignments: string[] } {
  const d = tenantOf(emu, role).directory;
  return {
    servicePrincipals: [...d.servicePrincipals.keys()].sort(),
    assignments: [...d.appRoleAssignments.keys()].sort(),
  };
}

/** An administrator consents through Graph: the app's service principal (if missing) and Mailbox.Migration. */
export async function consentAsAdministrator(
  emu: Emulator,
  role: Role,
  appId: string,
): Promise<{ spId: string; assignmentId: string }> {
  const g = await adminGraph(emu, role);
  let sp = servicePrincipals(emu, role, appId)[0];
  if (!sp) sp = await g.api("/servicePrincipals").post({ appId });
  const exo = exchangeSpId(emu, role);
  const a = await g
    .api(`/servicePrincipals/${exo}/appRoleAssignedTo`)
    .post({ principalId: sp.id, resourceId: exo, appRoleId: MAILBOX_MIGRATION_ID });
  return { spId: String(sp.id), assignmentId: String(a.id) };
}

/** Graph requests since a mark that change something. */
export function graphWrites(
  emu: Emulator,
  since: number,
): Array<{ method: string; path: string; status: number; fault?: string }> {
  return emu.requests.slice(since).filter((r) => r.surface === "graph" && r.method !== "GET");
}

export function graphRequests(emu: Emulator, since: number) {
  return emu.requests.slice(since).filter((r) => r.surface === "graph");
}
