// The Graph calls for AdminConsent's app role assignments: list them, wait until new ones are visible, assign
// one role, remove one. A lost answer is followed by a read; an assignment is sent again only because Graph
// refuses a second identical one, so no duplicate can come of it.

import type { Client } from "@microsoft/microsoft-graph-client";
import { visibilityPause, visibilityTimeoutMs } from "../exchangeFailure";
import { graphCall, type GraphRequestError } from "../tenant/graph";
import {
  asGraphError,
  deleteGone,
  eventually,
  seconds,
  sleep,
  type AppRole,
  type ResourceServicePrincipal,
} from "./directory";

export interface Assignment {
  id: string;
  appRoleId: string;
  resourceId: string;
  createdDateTime: string | null;
}

type Json = Record<string, unknown>;

/** The principal's assignments on the resource; undefined while a new principal still answers 404 (replicating). */
async function assignmentsOnNew(
  g: Client,
  principalId: string,
  resourceId: string,
  action: string,
): Promise<Assignment[] | undefined> {
  try {
    return await assignmentsOn(g, principalId, resourceId, action);
  } catch (e) {
    if (asGraphError(e).status === 404) return undefined;
    throw e;
  }
}

/**
 * Waits, bounded, until every assignment in `ids` shows in the principal's listing, and returns the listing
 * (undefined when the wait ran out). Graph answers an assignment's POST before its replicas have it, and a
 * read made right after (a refresh, the endpoint's consent check) must not find the consent missing.
 */
export async function untilAssignmentsVisible(
  g: Client,
  principalId: string,
  resourceId: string,
  ids: string[],
  action: string,
): Promise<Assignment[] | undefined> {
  const wanted = ids.map((id) => id.toLowerCase());
  return eventually(Date.now() + visibilityTimeoutMs(), async () => {
    const held = await assignmentsOnNew(g, principalId, resourceId, action);
    return held && wanted.every((id) => held.some((a) => a.id.toLowerCase() === id)) ? held : undefined;
  });
}

/** Every app role assignment the principal holds on the resource, all pages. */
export async function assignmentsOn(
  g: Client,
  principalId: string,
  resourceId: string,
  action: string,
): Promise<Assignment[]> {
  const out: Assignment[] = [];
  let page = (await graphCall(action, () =>
    g
      .api(`/servicePrincipals/${principalId}/appRoleAssignments`)
      .select(["id", "appRoleId", "resourceId", "createdDateTime"])
      .get(),
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
 * Assigns one app role to the principal. `created` is false when the assignment turned out to exist already
 * and was not made by this call (adopted); a lost response counts as ours.
 *
 * A lost response is followed by one read of the principal's assignments (a principal created moments ago
 * may answer that read with 404 while it replicates: nothing found yet). When the read finds nothing the
 * POST is sent again: Graph refuses a second identical assignment ("Permission being assigned already
 * exists on the object") even before the first is visible, so the resend cannot duplicate it, and that
 * refusal is waited out until the assignment shows.
 */
export async function assignRole(
  g: Client,
  principalId: string,
  resource: ResourceServicePrincipal,
  role: AppRole,
  action: string,
  principalIsNew = false,
): Promise<{ assignment: Assignment; created: boolean }> {
  const deadline = Date.now() + visibilityTimeoutMs();
  let sent = false;
  const findIt = async () =>
    (await assignmentsOnNew(g, principalId, resource.id, action))?.find((a) => a.appRoleId === role.id);
  for (let attempt = 0; ; attempt++) {
    try {
      const a = (await graphCall(action, () =>
        g
          .api(`/servicePrincipals/${resource.id}/appRoleAssignedTo`)
          .post({ principalId, resourceId: resource.id, appRoleId: role.id }),
      )) as Json;
      const assignment = {
        id: String(a.id),
        appRoleId: String(a.appRoleId).toLowerCase(),
        resourceId: String(a.resourceId),
        createdDateTime: typeof a.createdDateTime === "string" ? a.createdDateTime : null,
      };
      return { assignment, created: true };
    } catch (e) {
      const err = asGraphError(e);
      if (err.maybeApplied) {
        sent = true;
        const found = await findIt();
        if (found) return { assignment: found, created: true };
        if (Date.now() >= deadline) throw err;
        continue;
      }
      if (isDuplicateAssignment(err)) {
        const found = await eventually(deadline, findIt);
        if (found) return { assignment: found, created: sent };
        throw new Error(
          `${err.message} Yet the assignment did not become visible within ${seconds(visibilityTimeoutMs())}.`,
        );
      }
      // A service principal created moments ago is not yet visible to the assignment's principal lookup.
      if (err.status === 404 && principalIsNew && Date.now() < deadline) {
        await sleep(visibilityPause(attempt));
        continue;
      }
      throw err;
    }
  }
}

/** Removes an assignment; one that is already gone is success. */
export async function unassign(g: Client, resourceId: string, assignmentId: string, action: string): Promise<void> {
  await deleteGone(`/servicePrincipals/${resourceId}/appRoleAssignedTo/${assignmentId}`, g, action);
}

// Graph's answer to a second identical assignment: a 400 "Permission being assigned already exists on the
// object."
function isDuplicateAssignment(e: GraphRequestError): boolean {
  return e.status === 409 || (e.status === 400 && /already exists/i.test(e.message));
}
