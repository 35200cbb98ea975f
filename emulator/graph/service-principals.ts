// /servicePrincipals: enterprise apps, including a multi-tenant app's SP in a tenant that is not its home
// (what admin consent in the source tenant creates), and app role assignments (application permissions).

import { type Rec } from "../model";
import { homeApplication } from "./applications";
import { firstPartyServicePrincipals } from "./first-party";
import { assignmentId, guid, isoDate } from "./ids";
import {
  type OpCall,
  type OpHandler,
  servicePrincipalOf,
  store,
  visibleObjects,
  softDelete,
  dropAssignmentsOf,
  principalOf,
} from "./objects";
import { collectionResponse, entityResponse } from "./query";
import { badRequest, GraphError, notFound, ok } from "./respond";

const MULTI_TENANT = ["AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount"];
const SERVICE_OWNED = [
  "id",
  "deletedDateTime",
  "appOwnerOrganizationId",
  "appDisplayName",
  "servicePrincipalNames",
  "servicePrincipalType",
  "signInAudience",
  "createdByAppId",
];

function writable(c: OpCall): Rec {
  const body: Rec = { ...c.body };
  for (const k of SERVICE_OWNED) delete body[k];
  if ("passwordCredentials" in body) {
    c.ctx.violation({
      surface: "graph",
      kind: "documented-misuse",
      detail: `${c.op.method} ${c.op.path}: passwordCredentials cannot be set with PATCH`,
    });
    if (c.ctx.options.graph.passwordCredentialsOnWrite === "reject")
      throw badRequest("Property 'passwordCredentials' is read-only and cannot be set.");
    delete body.passwordCredentials;
  }
  return body;
}

const list: OpHandler = (c) =>
  collectionResponse(
    c,
    "servicePrincipal",
    "servicePrincipals",
    visibleObjects(c.tenant.directory.servicePrincipals, c.now),
    c.query,
    { searchable: ["displayName"] },
  );

const create: OpHandler = (c) => {
  const appId = typeof c.body.appId === "string" ? c.body.appId : "";
  // The uniqueness check sees objects still replicating: the directory, not the read replica, enforces it.
  for (const sp of c.tenant.directory.servicePrincipals.values()) {
    if (String(sp.obj.appId).toLowerCase() === appId.toLowerCase()) {
      throw new GraphError(
        409,
        "Request_MultipleObjectsWithSameKeyValue",
        `The service principal cannot be created, updated, or restored because the service principal name ${appId} is already in use.`,
      );
    }
  }
  const noBacking = () =>
    badRequest(`The appId '${appId}' of the service principal does not reference a valid application object.`);
  let template: Rec;
  const firstParty = firstPartyServicePrincipals().find((sp) => String(sp.appId).toLowerCase() === appId.toLowerCase());
  if (firstParty) {
    template = firstParty;
  } else {
    const home = homeApplication(c.ctx.state, appId, c.now);
    if (!home) throw noBacking();
    const app = home.app.obj;
    const foreign = home.tenant.tenantId !== c.tenant.tenantId;
    if (foreign && !MULTI_TENANT.includes(String(app.signInAudience))) throw noBacking();
    const api = (app.api ?? {}) as Rec;
    const web = (app.web ?? {}) as Rec;
    template = {
      accountEnabled: true,
      appDisplayName: app.displayName,
      appId: app.appId,
      appOwnerOrganizationId: home.tenant.tenantId,
      appRoleAssignmentRequired: false,
      appRoles: app.appRoles ?? [],
      displayName: app.displayName,
      info: app.info ?? null,
      keyCredentials: [],
      oauth2PermissionScopes: api.oauth2PermissionScopes ?? [],
      passwordCredentials: [],
      replyUrls: web.redirectUris ?? [],
      servicePrincipalNames: [app.appId, ...((app.identifierUris as string[] | undefined) ?? [])],
      servicePrincipalType: "Application",
      signInAudience: app.signInAudience,
      tags: [],
    };
  }
  // servicePrincipal has no createdDateTime in v1.0; the creation time lives in the emulator's meta only.
  const obj: Rec = { ...template, ...writable(c), id: guid(c.ctx.random), deletedDateTime: null };
  store(c, c.tenant.directory.servicePrincipals, obj);
  return entityResponse(c, 201, "servicePrincipal", "servicePrincipals", obj);
};

const get: OpHandler = (c) =>
  entityResponse(c, 200, "servicePrincipal", "servicePrincipals", servicePrincipalOf(c).obj, c.query);

const update: OpHandler = (c) => {
  const sp = servicePrincipalOf(c);
  const body = writable(c);
  delete body.appId;
  Object.assign(sp.obj, body);
  return ok(c, 204);
};

const remove: OpHandler = (c) => {
  const sp = servicePrincipalOf(c);
  dropAssignmentsOf(c.tenant, String(sp.obj.id));
  softDelete(c.tenant, c.tenant.directory.servicePrincipals, sp, "#microsoft.graph.servicePrincipal", c.now);
  return ok(c, 204);
};

const listAssignedTo: OpHandler = (c) => {
  const sp = servicePrincipalOf(c);
  const rows = visibleObjects(c.tenant.directory.appRoleAssignments, c.now).filter((a) => a.resourceId === sp.obj.id);
  return collectionResponse(
    c,
    "appRoleAssignment",
    `servicePrincipals('${sp.obj.id}')/appRoleAssignedTo`,
    rows,
    c.query,
  );
};

const listAssignments: OpHandler = (c) => {
  const sp = servicePrincipalOf(c);
  const rows = visibleObjects(c.tenant.directory.appRoleAssignments, c.now).filter((a) => a.principalId === sp.obj.id);
  return collectionResponse(
    c,
    "appRoleAssignment",
    `servicePrincipals('${sp.obj.id}')/appRoleAssignments`,
    rows,
    c.query,
  );
};

const assign: OpHandler = (c) => {
  const resource = servicePrincipalOf(c);
  const { principalId, resourceId, appRoleId } = c.body as {
    principalId?: string;
    resourceId?: string;
    appRoleId?: string;
  };
  if (String(resourceId).toLowerCase() !== String(resource.obj.id).toLowerCase()) {
    throw badRequest(`Invalid value specified for property 'resourceId' of resource 'AppRoleAssignment'.`);
  }
  const principal = principalOf(c.tenant, String(principalId), c.now);
  if (!principal) throw notFound(String(principalId));
  const memberType = principal.type === "ServicePrincipal" ? "Application" : "User";
  const roles = (resource.obj.appRoles as Rec[] | undefined) ?? [];
  const role = roles.find(
    (r) => String(r.id).toLowerCase() === String(appRoleId).toLowerCase() && r.isEnabled !== false,
  );
  if (!role || !((role.allowedMemberTypes as string[] | undefined) ?? []).includes(memberType)) {
    throw badRequest(`Permission being assigned was not found on application '${resource.obj.appId}'.`);
  }
  for (const a of c.tenant.directory.appRoleAssignments.values()) {
    if (
      a.obj.principalId === principal.s.obj.id &&
      a.obj.resourceId === resource.obj.id &&
      String(a.obj.appRoleId).toLowerCase() === String(role.id).toLowerCase()
    ) {
      throw badRequest("Permission being assigned already exists on the object.");
    }
  }
  const obj: Rec = {
    id: assignmentId(c.ctx.random),
    deletedDateTime: null,
    appRoleId: role.id,
    createdDateTime: isoDate(c.now),
    principalDisplayName: principal.s.obj.displayName ?? null,
    principalId: principal.s.obj.id,
    principalType: principal.type,
    resourceDisplayName: resource.obj.displayName ?? null,
    resourceId: resource.obj.id,
  };
  store(c, c.tenant.directory.appRoleAssignments, obj);
  return entityResponse(c, 201, "appRoleAssignment", `servicePrincipals('${resource.obj.id}')/appRoleAssignedTo`, obj);
};

const unassign: OpHandler = (c) => {
  const resource = servicePrincipalOf(c);
  const id = c.params["appRoleAssignment-id"];
  const a = c.tenant.directory.appRoleAssignments.get(id);
  if (!a || a.obj.resourceId !== resource.obj.id || a.meta.visibleAt > c.now) throw notFound(id);
  c.tenant.directory.appRoleAssignments.delete(id);
  return ok(c, 204);
};

export const SERVICE_PRINCIPAL_HANDLERS: Record<string, OpHandler> = {
  "servicePrincipals.servicePrincipal.ListServicePrincipal": list,
  "servicePrincipals.servicePrincipal.CreateServicePrincipal": create,
  "servicePrincipals.servicePrincipal.GetServicePrincipal": get,
  "servicePrincipals.servicePrincipal.GetServicePrincipalByAppId": get,
  "servicePrincipals.servicePrincipal.UpdateServicePrincipal": update,
  "servicePrincipals.servicePrincipal.UpdateServicePrincipalByAppId": update,
  "servicePrincipals.servicePrincipal.DeleteServicePrincipal": remove,
  "servicePrincipals.servicePrincipal.DeleteServicePrincipalByAppId": remove,
  "servicePrincipals.ListAppRoleAssignedTo": listAssignedTo,
  "servicePrincipals.CreateAppRoleAssignedTo": assign,
  "servicePrincipals.DeleteAppRoleAssignedTo": unassign,
  "servicePrincipals.ListAppRoleAssignments": listAssignments,
};
