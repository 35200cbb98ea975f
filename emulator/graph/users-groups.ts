// /users (read, update, licence assignment) and /groups. Users are created by the Exchange seed (mailbox
// owners) and by nothing in Graph's subset: the reference has no POST /users.

import { isVisible, type Rec, type Stored } from "../model";
import { guid, isoDate } from "./ids";
import {
  type OpCall,
  type OpHandler,
  store,
  visibleObjects,
  softDelete,
  principalOf,
  requireObjectId,
} from "./objects";
import { collectionResponse, entityResponse } from "./query";
import { badRequest, notFound, ok } from "./respond";
import { syncMoveCapability } from "../exchange/capabilities";
import { exchangeKnobs } from "../exchange/knobs";

function userOf(c: OpCall): Stored {
  const key = c.params["user-id"].toLowerCase();
  for (const s of c.tenant.directory.users.values()) {
    if (
      (String(s.obj.id).toLowerCase() === key || String(s.obj.userPrincipalName).toLowerCase() === key) &&
      isVisible(s, c.now)
    )
      return s;
  }
  throw notFound(c.params["user-id"]);
}

const READ_ONLY_USER = [
  "id",
  "createdDateTime",
  "deletedDateTime",
  "assignedLicenses",
  "assignedPlans",
  "provisionedPlans",
  "licenseAssignmentStates",
];

const getUser: OpHandler = (c) => entityResponse(c, 200, "user", "users", userOf(c).obj, c.query);

const updateUser: OpHandler = (c) => {
  const u = userOf(c);
  const ro = READ_ONLY_USER.find((k) => k in c.body);
  if (ro) throw badRequest(`Property '${ro}' is read-only and cannot be set.`);
  if (typeof c.body.usageLocation === "string" && !/^[A-Z]{2}$/.test(c.body.usageLocation)) {
    throw badRequest("Invalid value specified for property 'usageLocation' of resource 'User'.");
  }
  Object.assign(u.obj, c.body);
  return ok(c, 204);
};

const assignLicense: OpHandler = (c) => {
  const u = userOf(c);
  const add = (c.body.addLicenses as Rec[] | undefined) ?? [];
  const removeIds = ((c.body.removeLicenses as string[] | undefined) ?? []).map((s) => s.toLowerCase());
  if (!Array.isArray(c.body.addLicenses) || !Array.isArray(c.body.removeLicenses)) {
    throw badRequest("Invalid value specified for property 'addLicenses' of resource 'User'.");
  }
  if (add.length && !u.obj.usageLocation)
    throw badRequest("License assignment cannot be done for user with invalid usage location.");
  const skus = c.tenant.directory.subscribedSkus;
  const skuOf = (id: string) => skus.find((s) => String(s.skuId).toLowerCase() === id.toLowerCase());
  const current = ((u.obj.assignedLicenses as Rec[] | undefined) ?? []).map((l) => ({ ...l }));
  for (const id of removeIds) {
    if (!skuOf(id)) throw badRequest(`License ${id} does not correspond to a valid company License.`);
    if (!current.some((l) => String(l.skuId).toLowerCase() === id))
      throw badRequest(`User does not have a corresponding license.`);
  }
  for (const l of add) {
    const sku = skuOf(String(l.skuId));
    if (!sku) throw badRequest(`License ${l.skuId} does not correspond to a valid company License.`);
    const already = current.some((x) => String(x.skuId).toLowerCase() === String(l.skuId).toLowerCase());
    const prepaid = (sku.prepaidUnits as Rec | undefined)?.enabled as number | undefined;
    if (!already && prepaid !== undefined && Number(sku.consumedUnits) >= prepaid) {
      throw badRequest(`Subscription with SKU ${sku.skuId} does not have any available licenses.`);
    }
  }
  let next = current.filter((l) => !removeIds.includes(String(l.skuId).toLowerCase()));
  for (const l of add) {
    next = next.filter((x) => String(x.skuId).toLowerCase() !== String(l.skuId).toLowerCase());
    next.push({ disabledPlans: (l.disabledPlans as string[] | undefined) ?? [], skuId: l.skuId });
  }
  // consumedUnits follows the assignments.
  for (const sku of skus) {
    const id = String(sku.skuId).toLowerCase();
    const had = current.some((l) => String(l.skuId).toLowerCase() === id);
    const has = next.some((l) => String(l.skuId).toLowerCase() === id);
    if (had !== has) sku.consumedUnits = Number(sku.consumedUnits ?? 0) + (has ? 1 : -1);
  }
  u.obj.assignedLicenses = next;
  u.obj.assignedPlans = next.flatMap((l) => {
    const sku = skuOf(String(l.skuId));
    return ((sku?.servicePlans as Rec[] | undefined) ?? [])
      .filter((p) => !((l.disabledPlans as string[]) ?? []).includes(String(p.servicePlanId)))
      .map((p) => ({
        assignedDateTime: isoDate(c.now),
        capabilityStatus: "Enabled",
        service: String(p.servicePlanName),
        servicePlanId: p.servicePlanId,
      }));
  });
  // Exchange shows the cross-tenant move licence on the user's recipients (PersistedCapabilities).
  syncMoveCapability(c.tenant, String(u.obj.id), c.now, exchangeKnobs(c.ctx.options.exchange).licenceVisibleAfterMs);
  return entityResponse(c, 200, "user", "users", u.obj);
};

const listGroups: OpHandler = (c) =>
  collectionResponse(c, "group", "groups", visibleObjects(c.tenant.directory.groups, c.now), c.query, {
    searchable: ["displayName", "description"],
  });

function groupOf(c: OpCall): Stored {
  const id = c.params["group-id"];
  requireObjectId(id);
  const s = c.tenant.directory.groups.get(id);
  if (!s || !isVisible(s, c.now)) throw notFound(id);
  return s;
}

const createGroup: OpHandler = (c) => {
  const b = c.body;
  const binds = [
    ...((b["members@odata.bind"] as string[] | undefined) ?? []),
    ...((b["owners@odata.bind"] as string[] | undefined) ?? []),
  ];
  if (binds.length > 20) throw badRequest("A maximum of 20 owners and members can be added in a group create request.");
  for (const url of binds) {
    const id = /([0-9a-f-]{36})\/?$/i.exec(String(url))?.[1];
    if (!id || !principalOf(c.tenant, id, c.now)) throw notFound(id ?? String(url));
  }
  if (typeof b.mailNickname === "string" && !/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]{1,64}$/.test(b.mailNickname)) {
    throw badRequest("Invalid value specified for property 'mailNickname' of resource 'Group'.");
  }
  const { ["members@odata.bind"]: _m, ["owners@odata.bind"]: _o, ...props } = b;
  const domain = String(c.tenant.directory.domains.find((d) => d.isDefault)?.id ?? c.tenant.initialDomain);
  const unified = ((props.groupTypes as string[] | undefined) ?? []).includes("Unified");
  const obj: Rec = {
    groupTypes: [],
    proxyAddresses: [],
    ...props,
    id: guid(c.ctx.random),
    deletedDateTime: null,
    createdDateTime: isoDate(c.now),
    renewedDateTime: isoDate(c.now),
    mail: props.mailEnabled ? `${props.mailNickname}@${domain}` : null,
    securityIdentifier: `S-1-12-1-${Math.floor(c.ctx.random() * 2 ** 31)}-${Math.floor(c.ctx.random() * 2 ** 31)}`,
    visibility: props.visibility ?? (unified ? "Public" : null),
  };
  store(c, c.tenant.directory.groups, obj);
  return entityResponse(c, 201, "group", "groups", obj);
};

const getGroup: OpHandler = (c) => entityResponse(c, 200, "group", "groups", groupOf(c).obj, c.query);

const deleteGroup: OpHandler = (c) => {
  const g = groupOf(c);
  // Documented: Microsoft 365 groups are restorable; security and distribution groups are deleted permanently.
  if (((g.obj.groupTypes as string[] | undefined) ?? []).includes("Unified")) {
    softDelete(c.tenant, c.tenant.directory.groups, g, "#microsoft.graph.group", c.now);
  } else {
    c.tenant.directory.groups.delete(String(g.obj.id));
  }
  return ok(c, 204);
};

export const USER_GROUP_HANDLERS: Record<string, OpHandler> = {
  "users.user.GetUser": getUser,
  "users.user.UpdateUser": updateUser,
  "users.user.assignLicense": assignLicense,
  "groups.group.ListGroup": listGroups,
  "groups.group.CreateGroup": createGroup,
  "groups.group.GetGroup": getGroup,
  "groups.group.DeleteGroup": deleteGroup,
};
