// What AdminConsent does in a tenant: grant (create the app's service principal if missing and one app role
// assignment per role), observe (refresh), and revoke (delete only what was ours). Await mode (write nothing;
// poll until someone else has consented) is awaitConsent.ts.

import type { Client } from "@microsoft/microsoft-graph-client";
import { visibilityTimeoutMs } from "../exchangeFailure";
import { log, tenantFor } from "../context";
import type { TenantClient } from "../tenant";
import {
  createServicePrincipal,
  deleteNewServicePrincipal,
  deleteServicePrincipal,
  findResource,
  findServicePrincipal,
  ownershipTag,
  type AppRole,
  type ResourceServicePrincipal,
  type ServicePrincipal,
} from "./directory";
import { assignRole, assignmentsOn, unassign, untilAssignmentsVisible, type Assignment } from "./assignments";
import type { Outputs, Wanted } from "./inputs";

export type Found = Pick<
  Outputs,
  | "servicePrincipalId"
  | "resourceServicePrincipalId"
  | "createdServicePrincipal"
  | "assignmentIds"
  | "grantedRoles"
  | "consentedAt"
>;

/** What this resource made before, so that an update keeps recording it as ours. */
export interface Prior {
  servicePrincipalId?: string;
  createdServicePrincipal?: boolean;
  assignmentIds?: string[];
}

export function what(client: TenantClient, w: Pick<Wanted, "tenant" | "appId">): string {
  return `AdminConsent for app ${w.appId} in tenant ${client.settings.tenantId} (${w.tenant})`;
}

async function resourceOf(
  g: Client,
  client: TenantClient,
  w: Wanted,
): Promise<{ resource: ResourceServicePrincipal; roles: AppRole[] }> {
  const resource = await findResource(
    g,
    w.resourceAppId,
    `${what(client, w)}: reading the resource service principal ${w.resourceAppId}`,
  );
  if (!resource) {
    throw new Error(
      `${what(client, w)}: the tenant has no service principal for the resource appId ${w.resourceAppId}, so its permissions cannot be granted. ` +
        "Check resourceAppId (omit it for Office 365 Exchange Online).",
    );
  }
  const roles = w.roles.map((value) => {
    const role = resource.applicationRoles.find((r) => r.value === value);
    if (role) return role;
    const available = resource.applicationRoles.map((r) => r.value).sort();
    throw new Error(
      `${what(client, w)}: "${value}" is not an application permission of ${resource.displayName || "the resource"} (appId ${resource.appId}) ` +
        `in this tenant. Its application permissions are: ${available.join(", ") || "(none)"}. Fix the roles input.`,
    );
  });
  return { resource, roles };
}

function satisfied(
  roles: AppRole[],
  held: Assignment[],
): { ok: boolean; consentedAt: string | null; missing: AppRole[] } {
  const matching = roles.map((r) => held.find((a) => a.appRoleId === r.id));
  const missing = roles.filter((_r, i) => !matching[i]);
  if (missing.length > 0) return { ok: false, consentedAt: null, missing };
  // Exchange honours a grant some time after it is made; later resources wait from the newest one.
  const times = matching
    .map((a) => a!.createdDateTime)
    .filter((t): t is string => t !== null)
    .sort((a, b) => Date.parse(a) - Date.parse(b));
  return { ok: true, consentedAt: times.length === roles.length ? times[times.length - 1] : null, missing };
}

function grantedValues(resource: ResourceServicePrincipal, held: Assignment[]): string[] {
  const values = held.map((a) => resource.applicationRoles.find((r) => r.id === a.appRoleId)?.value ?? a.appRoleId);
  return [...new Set(values)].sort();
}

/** Grant mode: makes the tenant hold the consent, adopting whatever is already there. */
export async function grant(w: Wanted, prior: Prior = {}): Promise<Found> {
  const client = tenantFor(w.tenant);
  const g = await client.graph();
  const name = what(client, w);
  const { resource, roles } = await resourceOf(g, client, w);

  const tag = ownershipTag(w.resourceAppId);
  let sp = await findServicePrincipal(g, w.appId, `${name}: looking up the app's service principal`);
  // Ours when the state says so, or when it carries our tag (made by an earlier attempt that failed later on).
  let createdServicePrincipal =
    !!sp && ((prior.createdServicePrincipal === true && prior.servicePrincipalId === sp.id) || sp.tags.includes(tag));
  let justCreated = false;
  if (!sp) {
    const made = await createServicePrincipal(g, w.appId, `${name}: creating the app's service principal`, tag);
    sp = made.sp;
    createdServicePrincipal = made.created;
    justCreated = made.created;
    log.info(`${name}: ${made.created ? "created" : "found"} the app's service principal ${sp.id}.`);
  }

  const ours = new Set((prior.assignmentIds ?? []).map((id) => id.toLowerCase()));
  // A service principal we just created has no assignments; listing it could also 404 while it replicates.
  let held = justCreated
    ? []
    : await assignmentsOn(g, sp.id, resource.id, `${name}: listing the app's role assignments`);
  const kept = new Set(held.filter((a) => ours.has(a.id.toLowerCase())).map((a) => a.id));

  const madeNow: string[] = [];
  try {
    for (const role of roles) {
      if (held.some((a) => a.appRoleId === role.id)) continue;
      const made = await assignRole(
        g,
        sp.id,
        resource,
        role,
        `${name}: assigning ${role.value} on ${resource.displayName || resource.appId}`,
        justCreated,
      );
      held = [...held, made.assignment];
      if (made.created) {
        kept.add(made.assignment.id);
        madeNow.push(made.assignment.id);
      }
      log.info(`${name}: ${made.created ? "granted" : "found"} ${role.value} (assignment ${made.assignment.id}).`);
    }
  } catch (e) {
    // A failed step records nothing in the state, so what this step made would be left behind unowned.
    throw await undone(e, g, name, resource.id, sp.id, madeNow, justCreated ? sp : undefined);
  }

  // Graph answers the POST before every replica has the assignment: return only once a read sees it, so a
  // refresh right after does not report the consent missing (and the next up does not grant it again).
  if (madeNow.length > 0) {
    const seen = await untilAssignmentsVisible(
      g,
      sp.id,
      resource.id,
      madeNow,
      `${name}: reading back the new role assignments`,
    );
    if (!seen) {
      log.warn(
        `${name}: the new role assignment(s) ${madeNow.join(", ")} are not yet visible to reads after ${Math.round(visibilityTimeoutMs() / 1000)} s; a refresh may report them missing until Entra has replicated them.`,
      );
    }
  }

  // Roles no longer asked for: only our own assignments go; an administrator's stay.
  const wantedIds = new Set(roles.map((r) => r.id));
  for (const a of held.filter((x) => kept.has(x.id) && !wantedIds.has(x.appRoleId))) {
    await unassign(g, resource.id, a.id, `${name}: removing the assignment ${a.id} of a role no longer requested`);
    kept.delete(a.id);
    held = held.filter((x) => x.id !== a.id);
  }

  const state = satisfied(roles, held);
  return {
    servicePrincipalId: sp.id,
    resourceServicePrincipalId: resource.id,
    createdServicePrincipal,
    assignmentIds: [...kept].sort(),
    grantedRoles: grantedValues(resource, held),
    consentedAt: state.consentedAt,
  };
}

/** Undoes a failed grant's own writes (best effort) and returns the error to throw, saying what is left. */
async function undone(
  e: unknown,
  g: Client,
  name: string,
  resourceId: string,
  principalId: string,
  assignmentIds: string[],
  newSp: ServicePrincipal | undefined,
): Promise<Error> {
  const left: string[] = [];
  if (newSp) {
    // Its assignments go with it. Created moments ago, it answers 404 until replicated: not "already gone".
    const gone = await deleteNewServicePrincipal(
      g,
      newSp.appId,
      newSp.id,
      `${name}: undoing the service principal ${newSp.id}`,
    ).catch(() => false);
    if (!gone)
      left.push(`service principal ${newSp.id}, tagged as this stack's so that the next up takes it as its own`);
  } else if (assignmentIds.length > 0) {
    // Likewise a new assignment answers a DELETE with 404 until it has replicated.
    await untilAssignmentsVisible(
      g,
      principalId,
      resourceId,
      assignmentIds,
      `${name}: reading back the role assignments to undo`,
    ).catch(() => undefined);
    for (const id of assignmentIds) {
      await unassign(g, resourceId, id, `${name}: undoing the role assignment ${id}`).catch(() =>
        left.push(`role assignment ${id}`),
      );
    }
  }
  const err = e instanceof Error ? e : new Error(String(e));
  if (left.length === 0) return err;
  return new Error(
    `${err.message} Could not undo everything this attempt made (${left.join(", ")}); the next \`pulumi up\` continues with it.`,
  );
}

/** What the tenant holds now, reading only; `servicePrincipalId` is "" when the app has no service principal. */
export async function observe(w: Wanted, prior: Prior = {}): Promise<Found & { missing: string[] }> {
  const client = tenantFor(w.tenant);
  const g = await client.graph();
  const name = what(client, w);
  const { resource, roles } = await resourceOf(g, client, w);
  const sp = await findServicePrincipal(g, w.appId, `${name}: looking up the app's service principal`);
  if (!sp) {
    return {
      servicePrincipalId: "",
      resourceServicePrincipalId: resource.id,
      createdServicePrincipal: prior.createdServicePrincipal === true,
      assignmentIds: [],
      grantedRoles: [],
      consentedAt: null,
      missing: ["the app's service principal", ...roles.map((r) => r.value)],
    };
  }
  const held = await assignmentsOn(g, sp.id, resource.id, `${name}: listing the app's role assignments`);
  const ours = new Set((prior.assignmentIds ?? []).map((id) => id.toLowerCase()));
  const state = satisfied(roles, held);
  return {
    servicePrincipalId: sp.id,
    resourceServicePrincipalId: resource.id,
    // A service principal deleted and made again by someone else is no longer ours to delete.
    createdServicePrincipal:
      (prior.createdServicePrincipal === true && prior.servicePrincipalId === sp.id) ||
      sp.tags.includes(ownershipTag(w.resourceAppId)),
    assignmentIds: held
      .filter((a) => ours.has(a.id.toLowerCase()))
      .map((a) => a.id)
      .sort(),
    grantedRoles: grantedValues(resource, held),
    consentedAt: state.consentedAt,
    missing: state.missing.map((r) => r.value),
  };
}

/** Deletes our assignments, then our service principal; adopted objects and already-gone ones are left be. */
export async function revoke(o: Outputs): Promise<void> {
  const client = tenantFor(o.tenant);
  const name = what(client, o);
  if (o.assignmentIds.length === 0 && !o.createdServicePrincipal) {
    log.info(
      `${name}: nothing to remove; the service principal and its assignments were not made by this stack and stay.`,
    );
    return;
  }
  if (client.settings.tenantId.toLowerCase() !== o.tenantId.toLowerCase()) {
    throw new Error(
      `${name}: this consent was made in tenant ${o.tenantId}, but the stack's ${o.tenant} tenant is now ${client.settings.tenantId}; ` +
        "it cannot be removed from here. Point the stack back at that tenant, or remove it from the state with `pulumi state delete`.",
    );
  }
  const g = await client.graph();
  for (const id of o.assignmentIds) {
    await unassign(g, o.resourceServicePrincipalId, id, `${name}: removing the role assignment ${id}`);
  }
  const ownSp = o.createdServicePrincipal && o.servicePrincipalId !== "";
  if (ownSp) {
    await deleteServicePrincipal(
      g,
      o.servicePrincipalId,
      `${name}: deleting the service principal ${o.servicePrincipalId} this stack created`,
    );
  }
  const kept = o.createdServicePrincipal ? "" : " The service principal was not created by this stack and stays.";
  log.info(
    `${name}: removed ${o.assignmentIds.length} role assignment(s) made by this stack${ownSp ? " and its service principal" : ""}.${kept}`,
  );
}
