// Tenant-wide resources: organization, domains, subscribed SKUs, directory roles and role assignments,
// delegated permission grants, and directory/deletedItems (restore and permanent delete).

import type { Rec, Stored } from "../model";
import { DIRECTORY_ROLE_TEMPLATES } from "./first-party";
import { assignmentId, guid, roleAssignmentId } from "./ids";
import { type OpCall, type OpHandler, store, visibleObjects, principalOf, requireObjectId } from "./objects";
import { deletedItemPermissions, permitted } from "./permissions";
import { collectionResponse, entityResponse, render } from "./query";
import { badRequest, context, forbidden, GraphError, notFound, ok } from "./respond";

const CONFLICT = "A conflicting object with one or more of the specified property values is present in the directory.";

const organization: OpHandler = (c) =>
  collectionResponse(c, "organization", "organization", [c.tenant.directory.organization], c.query);
const domains: OpHandler = (c) => collectionResponse(c, "domain", "domains", c.tenant.directory.domains, c.query);
const subscribedSkus: OpHandler = (c) =>
  collectionResponse(c, "subscribedSku", "subscribedSkus", c.tenant.directory.subscribedSkus, c.query);

const listRoleAssignments: OpHandler = (c) =>
  collectionResponse(
    c,
    "unifiedRoleAssignment",
    "roleManagement/directory/roleAssignments",
    visibleObjects(c.tenant.directory.roleAssignments, c.now),
    c.query,
  );

function activate(c: OpCall, templateId: string): Rec {
  const existing = [...c.tenant.directory.directoryRoles.values()].find((r) => r.obj.roleTemplateId === templateId);
  if (existing) return existing.obj;
  const t = DIRECTORY_ROLE_TEMPLATES.find((x) => x.id === templateId);
  if (!t) throw notFound(templateId);
  const role: Rec = {
    id: guid(c.ctx.random),
    deletedDateTime: null,
    description: t.description,
    displayName: t.displayName,
    roleTemplateId: t.id,
  };
  store(c, c.tenant.directory.directoryRoles, role);
  return role;
}

const createRoleAssignment: OpHandler = (c) => {
  const { roleDefinitionId, principalId, directoryScopeId, appScopeId } = c.body as Record<string, string | undefined>;
  if (!directoryScopeId && !appScopeId)
    throw badRequest("Invalid value specified for property 'directoryScopeId' of resource 'UnifiedRoleAssignment'.");
  // Built-in role definitions carry their template id as their id.
  if (!DIRECTORY_ROLE_TEMPLATES.some((t) => t.id === roleDefinitionId)) throw notFound(String(roleDefinitionId));
  if (!principalOf(c.tenant, String(principalId), c.now)) throw notFound(String(principalId));
  for (const ra of c.tenant.directory.roleAssignments.values()) {
    const o = ra.obj;
    if (
      o.principalId === principalId &&
      o.roleDefinitionId === roleDefinitionId &&
      (o.directoryScopeId ?? null) === (directoryScopeId ?? null)
    ) {
      throw badRequest(CONFLICT);
    }
  }
  const obj: Rec = {
    id: roleAssignmentId(c.ctx.random),
    appScopeId: appScopeId ?? null,
    condition: null,
    directoryScopeId: directoryScopeId ?? null,
    principalId,
    principalOrganizationId: c.tenant.tenantId,
    roleDefinitionId,
  };
  store(c, c.tenant.directory.roleAssignments, obj);
  activate(c, String(roleDefinitionId));
  return entityResponse(c, 201, "unifiedRoleAssignment", "roleManagement/directory/roleAssignments", obj);
};

const listDirectoryRoles: OpHandler = (c) =>
  collectionResponse(
    c,
    "directoryRole",
    "directoryRoles",
    visibleObjects(c.tenant.directory.directoryRoles, c.now),
    c.query,
  );

const createDirectoryRole: OpHandler = (c) => {
  const extra = Object.keys(c.body).filter((k) => k !== "roleTemplateId");
  if (extra.length) throw badRequest(`Property '${extra[0]}' is read-only and cannot be set.`);
  const templateId = String(c.body.roleTemplateId);
  if ([...c.tenant.directory.directoryRoles.values()].some((r) => r.obj.roleTemplateId === templateId))
    throw badRequest(CONFLICT);
  return entityResponse(c, 201, "directoryRole", "directoryRoles", activate(c, templateId));
};

const listGrants: OpHandler = (c) =>
  collectionResponse(
    c,
    "oAuth2PermissionGrant",
    "oauth2PermissionGrants",
    visibleObjects(c.tenant.directory.oauth2PermissionGrants, c.now),
    c.query,
  );

const createGrant: OpHandler = (c) => {
  const b = c.body as Record<string, string | undefined>;
  for (const key of ["clientId", "resourceId"] as const) {
    const p = principalOf(c.tenant, String(b[key]), c.now);
    if (!p || p.type !== "ServicePrincipal") throw notFound(String(b[key]));
  }
  if (b.consentType !== "AllPrincipals" && b.consentType !== "Principal") {
    throw badRequest("Invalid value specified for property 'consentType' of resource 'OAuth2PermissionGrant'.");
  }
  if (b.consentType === "Principal" && !principalOf(c.tenant, String(b.principalId), c.now))
    throw notFound(String(b.principalId));
  for (const g of c.tenant.directory.oauth2PermissionGrants.values()) {
    const o = g.obj;
    if (
      o.clientId === b.clientId &&
      o.resourceId === b.resourceId &&
      o.consentType === b.consentType &&
      (o.principalId ?? null) === (b.principalId ?? null)
    ) {
      // Assumption: a second grant for the same client/resource/principal conflicts (text not confirmed).
      throw new GraphError(409, "Request_MultipleObjectsWithSameKeyValue", "Permission entry already exists.");
    }
  }
  const obj: Rec = {
    id: assignmentId(c.ctx.random),
    clientId: b.clientId,
    consentType: b.consentType,
    principalId: b.principalId ?? null,
    resourceId: b.resourceId,
    scope: b.scope ?? "",
  };
  store(c, c.tenant.directory.oauth2PermissionGrants, obj);
  return entityResponse(c, 201, "oAuth2PermissionGrant", "oauth2PermissionGrants", obj);
};

// ---- deletedItems --------------------------------------------------------------------------------

const HOME: Record<string, { entity: string; map: (c: OpCall) => Map<string, Stored> }> = {
  "#microsoft.graph.application": { entity: "application", map: (c) => c.tenant.directory.applications },
  "#microsoft.graph.servicePrincipal": { entity: "servicePrincipal", map: (c) => c.tenant.directory.servicePrincipals },
  "#microsoft.graph.user": { entity: "user", map: (c) => c.tenant.directory.users },
  "#microsoft.graph.group": { entity: "group", map: (c) => c.tenant.directory.groups },
};

function deletedItem(c: OpCall, write: boolean): { s: Stored; type: string } {
  const id = c.params["directoryObject-id"];
  requireObjectId(id);
  const s = c.tenant.directory.deletedItems.get(id);
  if (!s) throw notFound(id);
  const type = String(s.obj["@odata.type"]);
  if (!permitted(c.claims, deletedItemPermissions(type, write))) throw forbidden();
  return { s, type };
}

const getDeleted: OpHandler = (c) => {
  const { s, type } = deletedItem(c, false);
  const entity = HOME[type]?.entity ?? "directoryObject";
  return entityResponse(c, 200, entity, "directory/deletedItems", { ...s.obj, "@odata.type": type }, c.query);
};

const purge: OpHandler = (c) => {
  const { s, type } = deletedItem(c, true);
  c.tenant.directory.deletedItems.delete(String(s.obj.id));
  if (type === "#microsoft.graph.application") c.tenant.directory.secretValues.delete(String(s.obj.id));
  return ok(c, 204);
};

const restore: OpHandler = (c) => {
  const { s, type } = deletedItem(c, true);
  const home = HOME[type];
  if (!home) throw badRequest(`Restore of objects of type '${type}' is not supported.`);
  const map = home.map(c);
  if (type === "#microsoft.graph.servicePrincipal") {
    const appId = String(s.obj.appId).toLowerCase();
    if ([...map.values()].some((x) => String(x.obj.appId).toLowerCase() === appId)) {
      throw new GraphError(
        409,
        "Request_MultipleObjectsWithSameKeyValue",
        `The service principal cannot be created, updated, or restored because the service principal name ${s.obj.appId} is already in use.`,
      );
    }
  }
  c.tenant.directory.deletedItems.delete(String(s.obj.id));
  const { ["@odata.type"]: _type, ...rest } = s.obj;
  const obj: Rec = { ...rest, deletedDateTime: null };
  map.set(String(obj.id), {
    obj,
    meta: { createdAt: s.meta.createdAt, visibleAt: c.now + c.ctx.options.faults.replicationMs },
  });
  return ok(c, 200, {
    "@odata.context": context(c, "directoryObjects/$entity"),
    "@odata.type": type,
    ...render(home.entity, obj),
  });
};

export const DIRECTORY_HANDLERS: Record<string, OpHandler> = {
  "organization.organization.ListOrganization": organization,
  "domains.domain.ListDomain": domains,
  "subscribedSkus.subscribedSku.ListSubscribedSku": subscribedSkus,
  "roleManagement.directory.ListRoleAssignments": listRoleAssignments,
  "roleManagement.directory.CreateRoleAssignments": createRoleAssignment,
  "directoryRoles.directoryRole.ListDirectoryRole": listDirectoryRoles,
  "directoryRoles.directoryRole.CreateDirectoryRole": createDirectoryRole,
  "oauth2PermissionGrants.oAuth2PermissionGrant.ListOAuth2PermissionGrant": listGrants,
  "oauth2PermissionGrants.oAuth2PermissionGrant.CreateOAuth2PermissionGrant": createGrant,
  "directory.GetDeletedItems": getDeleted,
  "directory.DeleteDeletedItems": purge,
  "directory.deletedItems.directoryObject.restore": restore,
};
