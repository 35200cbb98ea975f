// What every route needs from the directory: the per-request view (tenant, caller, parsed body and query),
// lookups that honour replication delay, and soft deletion into directory/deletedItems.

import type { TokenClaims } from "../http";
import { isVisible, stored, type Rec, type Stored, type TenantState } from "../model";
import type { Operation } from "./reference";
import type { Query } from "./query";
import { badRequest, type Call, notFound } from "./respond";
import { isGuid } from "../../domain/ids";
import { isoDate } from "./ids";

export interface OpCall extends Call {
  tenant: TenantState;
  claims: TokenClaims;
  op: Operation;
  params: Record<string, string>;
  body: Rec;
  query: Query;
  now: number;
}

export type OpHandler = (c: OpCall) => import("../http").EmuResponse;

export function visibleObjects(map: Map<string, Stored>, now: number): Rec[] {
  return [...map.values()].filter((s) => isVisible(s, now)).map((s) => s.obj);
}

/** A new object, visible after the configured replication delay. */
export function store(c: OpCall, map: Map<string, Stored>, obj: Rec): Stored {
  const s = stored(obj, c.now, c.ctx.options.faults.replicationMs);
  map.set(String(obj.id), s);
  return s;
}

function byKey(map: Map<string, Stored>, c: OpCall, idParam: string): Stored {
  const appId = c.params.appId;
  const key = appId ?? c.params[idParam];
  if (appId === undefined) requireObjectId(key);
  for (const s of map.values()) {
    const hit =
      appId !== undefined
        ? String(s.obj.appId).toLowerCase() === appId.toLowerCase()
        : String(s.obj.id).toLowerCase() === key.toLowerCase();
    if (hit && isVisible(s, c.now)) return s;
  }
  throw notFound(key);
}

/** Directory object ids are GUIDs; anything else is refused before any lookup. */
export function requireObjectId(id: string): void {
  if (!isGuid(id)) throw badRequest(`Invalid object identifier '${id}'.`);
}

export function applicationOf(c: OpCall): Stored {
  return byKey(c.tenant.directory.applications, c, "application-id");
}

export function servicePrincipalOf(c: OpCall): Stored {
  return byKey(c.tenant.directory.servicePrincipals, c, "servicePrincipal-id");
}

export type PrincipalType = "ServicePrincipal" | "User" | "Group";

export function principalOf(t: TenantState, id: string, now: number): { s: Stored; type: PrincipalType } | undefined {
  const d = t.directory;
  const tries: Array<[Map<string, Stored>, PrincipalType]> = [
    [d.servicePrincipals, "ServicePrincipal"],
    [d.users, "User"],
    [d.groups, "Group"],
  ];
  for (const [map, type] of tries) {
    const s = map.get(id) ?? [...map.values()].find((x) => String(x.obj.id).toLowerCase() === id.toLowerCase());
    if (s && isVisible(s, now)) return { s, type };
  }
  return undefined;
}

/** Moves an object to deletedItems (restorable) with its derived @odata.type. */
export function softDelete(t: TenantState, map: Map<string, Stored>, s: Stored, odataType: string, now: number): void {
  map.delete(String(s.obj.id));
  const obj = { "@odata.type": odataType, ...s.obj, deletedDateTime: isoDate(now) };
  t.directory.deletedItems.set(String(s.obj.id), { obj, meta: s.meta });
}

/** Removes every app role assignment made to or by a service principal (they die with it). */
export function dropAssignmentsOf(t: TenantState, spId: string): void {
  for (const [k, a] of t.directory.appRoleAssignments) {
    if (a.obj.principalId === spId || a.obj.resourceId === spId) t.directory.appRoleAssignments.delete(k);
  }
}
