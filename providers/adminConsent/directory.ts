// The Graph calls AdminConsent makes for service principals (its app role assignments are assignments.ts),
// the helpers both share, and how the answers map to "found", "already there" and "not yet visible". A write
// whose answer was lost is followed by a read, never by a blind resend; it is sent again only where the
// directory itself refuses a duplicate (an appId's principal, an identical assignment), so no second service
// principal or assignment can come of it.

import type { Client } from "@microsoft/microsoft-graph-client";
import { visibilityPause, visibilityTimeoutMs, waitFor } from "../exchangeFailure";
import { graphCall, type GraphRequestError } from "../tenant/graph";
import { isGuid } from "../../domain/ids";

export interface ServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  /** Free-form tags; the one AdminConsent writes on a principal it creates says so (ownershipTag). */
  tags: string[];
}

export interface AppRole {
  id: string;
  value: string;
}

export interface ResourceServicePrincipal extends ServicePrincipal {
  /** The enabled app roles applications can be assigned (application permissions). */
  applicationRoles: AppRole[];
}

type Json = Record<string, unknown>;

function byAppIdPath(appId: string): string {
  // Checked again here because the id goes into a URL; check() has already refused anything else.
  if (!isGuid(appId)) throw new Error(`"${appId}" is not an appId (GUID)`);
  return `/servicePrincipals(appId='${appId}')`;
}

export const asGraphError = (e: unknown) => e as GraphRequestError;

/**
 * Written on a service principal AdminConsent creates, in the same POST. A failed create records nothing in
 * the state, so without it the next up would find the principal and take it for someone else's (and destroy
 * would leave it behind); with it, the principal is known as ours whatever happened in between.
 */
export function ownershipTag(resourceAppId: string): string {
  return `xtmm:adminConsent:${resourceAppId.toLowerCase()}`;
}

function principal(sp: Json): ServicePrincipal {
  return {
    id: String(sp.id),
    appId: String(sp.appId),
    displayName: String(sp.displayName ?? ""),
    tags: Array.isArray(sp.tags) ? (sp.tags as unknown[]).map(String) : [],
  };
}

/** The service principal of an appId in this tenant, or undefined when there is none (or none visible yet). */
export async function findServicePrincipal(
  g: Client,
  appId: string,
  action: string,
): Promise<ServicePrincipal | undefined> {
  try {
    return principal(
      (await graphCall(action, () =>
        g.api(byAppIdPath(appId)).select(["id", "appId", "displayName", "tags"]).get(),
      )) as Json,
    );
  } catch (e) {
    if (asGraphError(e).status === 404) return undefined;
    throw e;
  }
}

export async function findResource(
  g: Client,
  resourceAppId: string,
  action: string,
): Promise<ResourceServicePrincipal | undefined> {
  let sp: Json;
  try {
    sp = (await graphCall(action, () =>
      g.api(byAppIdPath(resourceAppId)).select(["id", "appId", "displayName", "appRoles"]).get(),
    )) as Json;
  } catch (e) {
    if (asGraphError(e).status === 404) return undefined;
    throw e;
  }
  const roles = Array.isArray(sp.appRoles) ? (sp.appRoles as Json[]) : [];
  const applicationRoles = roles
    .filter(
      (r) =>
        r.isEnabled !== false &&
        Array.isArray(r.allowedMemberTypes) &&
        (r.allowedMemberTypes as string[]).includes("Application"),
    )
    .filter((r) => typeof r.value === "string" && typeof r.id === "string")
    .map((r) => ({ id: String(r.id).toLowerCase(), value: String(r.value) }));
  return { ...principal(sp), applicationRoles };
}

/**
 * Creates the app's service principal (in a tenant that is not the app's home, this is what the consent URL
 * does), tagged as ours. Returns it with `created` false when it turned out to exist already (someone else
 * made it between our read and our write); a lost response counts as ours, since nobody else was creating it.
 *
 * A lost response is followed by one read; when that finds nothing the POST is sent again, which is safe
 * because the directory refuses a second principal for an appId (409) even while the first is still
 * replicating, and that refusal is then waited out until the principal is visible.
 */
export async function createServicePrincipal(
  g: Client,
  appId: string,
  action: string,
  tag?: string,
): Promise<{ sp: ServicePrincipal; created: boolean }> {
  const deadline = Date.now() + visibilityTimeoutMs();
  let sent = false;
  for (let attempt = 0; ; attempt++) {
    try {
      const sp = (await graphCall(action, () =>
        g.api("/servicePrincipals").post(tag ? { appId, tags: [tag] } : { appId }),
      )) as Json;
      return { sp: principal(sp), created: true };
    } catch (e) {
      const err = asGraphError(e);
      if (err.maybeApplied) {
        sent = true;
        const sp = await findServicePrincipal(g, appId, action);
        if (sp) return { sp, created: true };
        if (Date.now() >= deadline) throw err;
        continue;
      }
      if (isDuplicateServicePrincipal(err)) {
        const sp = await eventually(deadline, () => findServicePrincipal(g, appId, action));
        if (sp) return { sp, created: sent || (tag !== undefined && sp.tags.includes(tag)) };
        throw new Error(
          `${err.message} Yet no service principal for appId ${appId} became visible within ${seconds(visibilityTimeoutMs())}.`,
        );
      }
      // The app was created moments ago in its home tenant and has not reached this one's directory yet.
      if (isAppNotYetKnown(err) && Date.now() < deadline) {
        await sleep(visibilityPause(attempt));
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

/** DELETE; already gone is success. A lost answer is checked by sending it again (404: it went), bounded. */
export async function deleteGone(path: string, g: Client, action: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await graphCall(action, () => g.api(path).delete());
      return;
    } catch (e) {
      const err = asGraphError(e);
      if (err.status === 404) return;
      if (!err.maybeApplied || attempt >= 4) throw e;
    }
  }
}

export async function deleteServicePrincipal(g: Client, id: string, action: string): Promise<void> {
  await deleteGone(`/servicePrincipals/${id}`, g, action);
}

/** Deletes a principal made moments ago: a 404 may mean "not replicated yet", so it is waited for; true when gone. */
export async function deleteNewServicePrincipal(
  g: Client,
  appId: string,
  id: string,
  action: string,
): Promise<boolean> {
  const deadline = Date.now() + visibilityTimeoutMs();
  const sp = await eventually(deadline, () => findServicePrincipal(g, appId, action));
  if (!sp || sp.id !== id) return false;
  for (;;) {
    try {
      await graphCall(action, () => g.api(`/servicePrincipals/${id}`).delete());
      return true;
    } catch (e) {
      const err = asGraphError(e);
      if (err.status === 404) return true;
      // A lost answer: one look says whether it went.
      if (!err.maybeApplied) throw e;
      if (!(await findServicePrincipal(g, appId, action))) return true;
      if (Date.now() >= deadline) return false;
    }
  }
}
// Graph's answer to a second service principal for an appId: a key conflict (409, or 400 with
// Request_MultipleObjectsWithSameKeyValue in older answers).
function isDuplicateServicePrincipal(e: GraphRequestError): boolean {
  return e.status === 409 || e.code === "Request_MultipleObjectsWithSameKeyValue" || /already in use/i.test(e.message);
}

function isAppNotYetKnown(e: GraphRequestError): boolean {
  return e.status === 400 && /does not reference a valid application object/i.test(e.message);
}

/** Polls `probe` until it finds something or the deadline passes (at least one probe). */
export async function eventually<T>(deadline: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  return waitFor("", probe, Math.max(0, deadline - Date.now()), { quiet: true });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
