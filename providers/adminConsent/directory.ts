// The Graph calls AdminConsent makes, and how their answers map to "found", "already there" and "not yet
// visible". Every write that may have been applied without an answer (a lost response) is followed by a
// read, never by a blind resend: a second service principal or assignment must not come of it.

import type { Client } from "@microsoft/microsoft-graph-client";
import { graphCall, type GraphRequestError } from "../tenant/graph";
import { isGuid } from "./inputs";

export interface ServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
}

export interface AppRole {
  id: string;
  value: string;
}

export interface ResourceServicePrincipal extends ServicePrincipal {
  /** The enabled app roles applications can be assigned (application permissions). */
  applicationRoles: AppRole[];
}

export interface Assignment {
  id: string;
  appRoleId: string;
  resourceId: string;
  createdDateTime: string | null;
}

/** Waits for objects that replication has not yet made visible; bounded, then the caller reports. */
export interface Patience {
  visibilityTimeoutMs: number;
}

export const DEFAULT_PATIENCE: Patience = { visibilityTimeoutMs: 120_000 };

type Json = Record<string, unknown>;

function byAppIdPath(appId: string): string {
  // Checked again here because the id goes into a URL; check() has already refused anything else.
  if (!isGuid(appId)) throw new Error(`"${appId}" is not an appId (GUID)`);
  return `/servicePrincipals(appId='${appId}')`;
}

const asGraphError = (e: unknown) => e as GraphRequestError;

/** The service principal of an appId in this tenant, or undefined when there is none (or none visible yet). */
export async function findServicePrincipal(g: Client, appId: string, action: string): Promise<ServicePrincipal | undefined> {
  try {
    const sp = (await graphCall(action, () => g.api(byAppIdPath(appId)).select(["id", "appId", "displayName"]).get())) as Json;
    return { id: String(sp.id), appId: String(sp.appId), displayName: String(sp.displayName ?? "") };
  } catch (e) {
    if (asGraphError(e).status === 404) return undefined;
    throw e;
  }
}

export async function findResource(g: Client, resourceAppId: string, action: string): Promise<ResourceServicePrincipal | undefined> {
  let sp: Json;
  try {
    sp = (await graphCall(action, () => g.api(byAppIdPath(resourceAppId)).select(["id", "appId", "displayName", "appRoles"]).get())) as Json;
  } catch (e) {
    if (asGraphError(e).status === 404) return undefined;
    throw e;
  }
  const roles = Array.isArray(sp.appRoles) ? (sp.appRoles as Json[]) : [];
  const applicationRoles = roles
    .filter((r) => r.isEnabled !== false && Array.isArray(r.allowedMemberTypes) && (r.allowedMemberTypes as string[]).includes("Application"))
    .filter((r) => typeof r.value === "string" && typeof r.id === "string")
    .map((r) => ({ id: String(r.id).toLowerCase(), value: String(r.value) }));
  return { id: String(sp.id), appId: String(sp.appId), displayName: String(sp.displayName ?? ""), applicationRoles };
}

/** Every app role assignment the principal holds on the resource, all pages. */
export async function assignmentsOn(g: Client, principalId: string, resourceId: string, action: string): Promise<Assignment[]> {
  const out: Assignment[] = [];
  let page = (await graphCall(action, () =>
    g.api(`/servicePrincipals/${principalId}/appRoleAssignments`).select(["id", "appRoleId", "resourceId", "createdDateTime"]).get(),
  )) as Json;
  for (;;) {
    for (const a of (page.value as Json[] | undefined) ?? []) {
      if (String(a.resourceId).toLowerCase() !== resourceId.toLowerCase()) continue;
      out.push({
        id: String(a.id),
        appRoleId: String(a.appRoleId).toLowerCase(),
        resourceId: String(a.resourceId),
        createdDateTime: typeof a.createdDateTime === "string" ? a.createdDateTime : null,
      });
    }
    const next = page["@odata.nextLink"];
    if (typeof next !== "string") return out;
    page = (await graphCall(action, () => g.api(next).get())) as Json;
  }
}

/**
 * Creates the app's service principal (in a tenant that is not the app's home, this is what the consent URL
 * does). Returns it with `created` false when it turned out to exist already (someone else made it between
 * our read and our write); a lost response counts as ours, since nobody else was creating it.
 */
export async function createServicePrincipal(g: Client, appId: string, action: string, patience: Patience): Promise<{ sp: ServicePrincipal; created: boolean }> {
  const deadline = Date.now() + patience.visibilityTimeoutMs;
  let sent = false;
  for (let attempt = 0; ; attempt++) {
    try {
      const sp = (await graphCall(action, () => g.api("/servicePrincipals").post({ appId }))) as Json;
      return { sp: { id: String(sp.id), appId: String(sp.appId), displayName: String(sp.displayName ?? "") }, created: true };
    } catch (e) {
      const err = asGraphError(e);
      if (err.maybeApplied || isDuplicateServicePrincipal(err)) {
        const ours = sent || err.maybeApplied;
        sent = true;
        const sp = await eventually(deadline, () => findServicePrincipal(g, appId, action));
        if (sp) return { sp, created: ours };
        if (!err.maybeApplied) throw new Error(`${err.message} Yet no service principal for appId ${appId} became visible within ${seconds(patience.visibilityTimeoutMs)}.`);
        continue; // The lost write was not applied after all: send it again.
      }
      // The app was created moments ago in its home tenant and has not reached this one's directory yet.
      if (isAppNotYetKnown(err) && Date.now() < deadline) {
        await sleep(backoff(attempt));
        continue;
      }
      if (isAppNotYetKnown(err)) {
        throw new Error(
          `${err.message} Entra knows no application ${appId} that this tenant may use: check that the app exists and that its ` +
            `signInAudience is AzureADMultipleOrgs (a single-tenant app cannot be consented to from another tenant).`,
        );
      }
      throw err;
    }
  }
}

/**
 * Assigns one app role to the principal. `created` is false when the assignment turned out to exist already
 * and was not made by this call (adopted); a lost response counts as ours.
 */
export async function assignRole(
  g: Client,
  principalId: string,
  resource: ResourceServicePrincipal,
  role: AppRole,
  action: string,
  patience: Patience,
  principalIsNew = false,
): Promise<{ assignment: Assignment; created: boolean }> {
  const deadline = Date.now() + patience.visibilityTimeoutMs;
  let sent = false;
  const findIt = async () => (await assignmentsOn(g, principalId, resource.id, action)).find((a) => a.appRoleId === role.id);
  for (let attempt = 0; ; attempt++) {
    try {
      const a = (await graphCall(action, () =>
        g.api(`/servicePrincipals/${resource.id}/appRoleAssignedTo`).post({ principalId, resourceId: resource.id, appRoleId: role.id }),
      )) as Json;
      const assignment = { id: String(a.id), appRoleId: String(a.appRoleId).toLowerCase(), resourceId: String(a.resourceId), createdDateTime: typeof a.createdDateTime === "string" ? a.createdDateTime : null };
      return { assignment, created: true };
    } catch (e) {
      const err = asGraphError(e);
      if (err.maybeApplied || isDuplicateAssignment(err)) {
        const ours = sent || err.maybeApplied;
        sent = true;
        const found = await eventually(deadline, findIt);
        if (found) return { assignment: found, created: ours };
        if (!err.maybeApplied) throw new Error(`${err.message} Yet the assignment did not become visible within ${seconds(patience.visibilityTimeoutMs)}.`);
        continue;
      }
      // A service principal created moments ago is not yet visible to the assignment's principal lookup.
      if (err.status === 404 && principalIsNew && Date.now() < deadline) {
        await sleep(backoff(attempt));
        continue;
      }
      throw err;
    }
  }
}

/** Removes an assignment; one that is already gone is success. */
export async function unassign(g: Client, resourceId: string, assignmentId: string, action: string): Promise<void> {
  try {
    await graphCall(action, () => g.api(`/servicePrincipals/${resourceId}/appRoleAssignedTo/${assignmentId}`).delete());
  } catch (e) {
    if (asGraphError(e).status !== 404) throw e;
  }
}

export async function deleteServicePrincipal(g: Client, id: string, action: string): Promise<void> {
  try {
    await graphCall(action, () => g.api(`/servicePrincipals/${id}`).delete());
  } catch (e) {
    if (asGraphError(e).status !== 404) throw e;
  }
}

// Graph's answers: a second service principal for an appId is refused as a key conflict (409, or 400 with
// Request_MultipleObjectsWithSameKeyValue in older answers); a second identical assignment as a 400
// "Permission being assigned already exists on the object."
function isDuplicateServicePrincipal(e: GraphRequestError): boolean {
  return e.status === 409 || e.code === "Request_MultipleObjectsWithSameKeyValue" || /already in use/i.test(e.message);
}

function isDuplicateAssignment(e: GraphRequestError): boolean {
  return e.status === 409 || (e.status === 400 && /already exists/i.test(e.message));
}

function isAppNotYetKnown(e: GraphRequestError): boolean {
  return e.status === 400 && /does not reference a valid application object/i.test(e.message);
}

/** Polls `probe` until it finds something or the deadline passes (at least one probe). */
export async function eventually<T>(deadline: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  for (let attempt = 0; ; attempt++) {
    const hit = await probe();
    if (hit !== undefined) return hit;
    if (Date.now() >= deadline) return undefined;
    await sleep(Math.min(backoff(attempt), Math.max(0, deadline - Date.now())));
  }
}

function backoff(attempt: number): number {
  return Math.min(5_000, 250 * 2 ** attempt);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
