// Which application permissions each operation accepts, least privileged first, as Microsoft's
// permission tables for these pages list them (from memory of the pages, not from the reference file,
// which carries no permissions). An entry is a set of alternatives; an alternative may need two roles
// together (appRoleAssignedTo). A ReadWrite permission also satisfies its Read counterpart.
// Delegated tokens are accepted when the signed-in user is a Global Administrator: a deliberate
// simplification, since only the device-code login of an administrator uses them here.

import type { TokenClaims } from "../http";
import { GLOBAL_ADMINISTRATOR } from "./first-party";

type Alternatives = ReadonlyArray<string | readonly string[]>;

const APP_READ: Alternatives = [
  "Application.Read.All",
  "Application.ReadWrite.OwnedBy",
  "Application.ReadWrite.All",
  "Directory.Read.All",
];
const APP_WRITE: Alternatives = ["Application.ReadWrite.All"];
const DIRECTORY_READ = "Directory.Read.All";

/** Keyed by reference operationId. */
const TABLE: Record<string, Alternatives> = {
  "applications.application.ListApplication": APP_READ,
  "applications.application.CreateApplication": ["Application.ReadWrite.OwnedBy", "Application.ReadWrite.All"],
  "applications.application.GetApplication": APP_READ,
  "applications.application.UpdateApplication": APP_WRITE,
  "applications.application.DeleteApplication": APP_WRITE,
  "applications.application.GetApplicationByAppId": APP_READ,
  "applications.application.UpdateApplicationByAppId": APP_WRITE,
  "applications.application.DeleteApplicationByAppId": APP_WRITE,
  "applications.application.addPassword": APP_WRITE,
  "applications.application.removePassword": APP_WRITE,
  "servicePrincipals.servicePrincipal.ListServicePrincipal": APP_READ,
  "servicePrincipals.servicePrincipal.CreateServicePrincipal": [
    "Application.ReadWrite.OwnedBy",
    "Application.ReadWrite.All",
  ],
  "servicePrincipals.servicePrincipal.GetServicePrincipal": APP_READ,
  "servicePrincipals.servicePrincipal.UpdateServicePrincipal": APP_WRITE,
  "servicePrincipals.servicePrincipal.DeleteServicePrincipal": APP_WRITE,
  "servicePrincipals.servicePrincipal.GetServicePrincipalByAppId": APP_READ,
  "servicePrincipals.servicePrincipal.UpdateServicePrincipalByAppId": APP_WRITE,
  "servicePrincipals.servicePrincipal.DeleteServicePrincipalByAppId": APP_WRITE,
  "servicePrincipals.ListAppRoleAssignedTo": [
    "Application.Read.All",
    "AppRoleAssignment.ReadWrite.All",
    "Directory.Read.All",
  ],
  "servicePrincipals.CreateAppRoleAssignedTo": [
    ["AppRoleAssignment.ReadWrite.All", "Application.Read.All"],
    ["AppRoleAssignment.ReadWrite.All", DIRECTORY_READ],
  ],
  "servicePrincipals.DeleteAppRoleAssignedTo": ["AppRoleAssignment.ReadWrite.All", "Directory.ReadWrite.All"],
  "servicePrincipals.ListAppRoleAssignments": [
    "Application.Read.All",
    "AppRoleAssignment.ReadWrite.All",
    "Directory.Read.All",
  ],
  "organization.organization.ListOrganization": ["Organization.Read.All", DIRECTORY_READ],
  "domains.domain.ListDomain": ["Domain.Read.All", DIRECTORY_READ],
  "subscribedSkus.subscribedSku.ListSubscribedSku": [
    "LicenseAssignment.Read.All",
    "Organization.Read.All",
    DIRECTORY_READ,
  ],
  "users.user.GetUser": ["User.Read.All", DIRECTORY_READ],
  "users.user.UpdateUser": ["User.ReadWrite.All", "Directory.ReadWrite.All"],
  "users.user.assignLicense": ["LicenseAssignment.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"],
  "groups.group.ListGroup": ["GroupMember.Read.All", "Group.Read.All", DIRECTORY_READ],
  "groups.group.CreateGroup": ["Group.Create", "Group.ReadWrite.All", "Directory.ReadWrite.All"],
  "groups.group.GetGroup": ["GroupMember.Read.All", "Group.Read.All", DIRECTORY_READ],
  "groups.group.DeleteGroup": ["Group.ReadWrite.All"],
  "roleManagement.directory.ListRoleAssignments": ["RoleManagement.Read.Directory", DIRECTORY_READ],
  "roleManagement.directory.CreateRoleAssignments": ["RoleManagement.ReadWrite.Directory"],
  "directoryRoles.directoryRole.ListDirectoryRole": ["RoleManagement.Read.Directory", DIRECTORY_READ],
  "directoryRoles.directoryRole.CreateDirectoryRole": ["RoleManagement.ReadWrite.Directory"],
  "oauth2PermissionGrants.oAuth2PermissionGrant.ListOAuth2PermissionGrant": [
    "DelegatedPermissionGrant.Read.All",
    DIRECTORY_READ,
  ],
  "oauth2PermissionGrants.oAuth2PermissionGrant.CreateOAuth2PermissionGrant": [
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.ReadWrite.All",
  ],
};

/** deletedItems operations are authorised by the kind of object they touch. */
const DELETED_ITEMS: Record<string, { read: Alternatives; write: Alternatives }> = {
  "#microsoft.graph.application": { read: APP_READ, write: APP_WRITE },
  "#microsoft.graph.servicePrincipal": { read: APP_READ, write: APP_WRITE },
  "#microsoft.graph.user": { read: ["User.Read.All", DIRECTORY_READ], write: ["User.ReadWrite.All"] },
  "#microsoft.graph.group": { read: ["Group.Read.All", DIRECTORY_READ], write: ["Group.ReadWrite.All"] },
};

export function operationPermissions(operationId: string): Alternatives | undefined {
  return TABLE[operationId];
}

export function deletedItemPermissions(odataType: string, write: boolean): Alternatives {
  const entry = DELETED_ITEMS[odataType] ?? { read: [DIRECTORY_READ], write: ["Directory.ReadWrite.All"] };
  return write ? entry.write : entry.read;
}

function effectiveRoles(roles: readonly string[]): Set<string> {
  const out = new Set(roles);
  for (const r of roles) if (r.includes(".ReadWrite.")) out.add(r.replace(".ReadWrite.", ".Read."));
  return out;
}

export function permitted(claims: TokenClaims, accepted: Alternatives): boolean {
  if (claims.idtyp === "user") return claims.wids.includes(GLOBAL_ADMINISTRATOR);
  const held = effectiveRoles(claims.roles ?? []);
  return accepted.some((alt) => (typeof alt === "string" ? held.has(alt) : alt.every((r) => held.has(r))));
}
