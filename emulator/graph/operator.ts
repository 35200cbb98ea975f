// The operator identity the CLI hands out for each seeded tenant: a single-tenant app with one client secret,
// consented to exactly the operator permission list (providers/tenant/permissions.ts), and its service
// principal. Exchange Administrator (the admin API requires the role besides the permission) is assigned
// by seed.ts, in the order the seeded ids have always been drawn.

import { EXCHANGE_APPLICATION_PERMISSIONS, GRAPH_APPLICATION_PERMISSIONS } from "../../providers/tenant/permissions";
import { FIRST_PARTY } from "../../providers/tenant/clouds";
import { stored, type DirectoryState, type Rec } from "../model";
import { assignmentId, clientSecret, guid, isoDate, type Random } from "./ids";

const DAY = 86_400_000;

export interface Operator {
  clientId: string;
  clientSecret: string;
  servicePrincipalId: string;
}

/** Adds the operator's app, secret, service principal and permission grants to `directory`. */
export function seedOperator(
  directory: DirectoryState,
  tenant: { tenantId: string; initialDomain: string; created: string },
  firstParty: Map<string, Rec>,
  now: number,
  random: Random,
): Operator {
  const appObjectId = guid(random);
  const appId = guid(random);
  const secret = clientSecret(random);
  const keyId = guid(random);
  const operatorName = "xtmm operator";
  const app: Rec = {
    id: appObjectId,
    deletedDateTime: null,
    appId,
    displayName: operatorName,
    createdDateTime: tenant.created,
    description: null,
    identifierUris: [],
    publisherDomain: tenant.initialDomain,
    signInAudience: "AzureADMyOrg",
    tags: [],
    keyCredentials: [],
    passwordCredentials: [
      {
        customKeyIdentifier: null,
        displayName: "emulator operator secret",
        endDateTime: isoDate(now + 730 * DAY),
        hint: secret.slice(0, 3),
        keyId,
        secretText: null,
        startDateTime: isoDate(now - DAY),
      },
    ],
    requiredResourceAccess: [
      {
        resourceAppId: FIRST_PARTY.microsoftGraph,
        resourceAccess: GRAPH_APPLICATION_PERMISSIONS.map((p) => ({ id: p.id, type: "Role" })),
      },
      {
        resourceAppId: FIRST_PARTY.exchangeOnline,
        resourceAccess: EXCHANGE_APPLICATION_PERMISSIONS.map((p) => ({ id: p.id, type: "Role" })),
      },
    ],
    appRoles: [],
    api: {
      acceptMappedClaims: null,
      knownClientApplications: [],
      oauth2PermissionScopes: [],
      preAuthorizedApplications: [],
      requestedAccessTokenVersion: null,
    },
    web: {
      homePageUrl: null,
      logoutUrl: null,
      redirectUris: [],
      implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false },
    },
    publicClient: { redirectUris: [] },
    spa: { redirectUris: [] },
    isFallbackPublicClient: null,
  };
  directory.applications.set(appObjectId, stored(app, now - DAY));
  directory.secretValues.set(appObjectId, new Map([[keyId, secret]]));

  const operatorSp: Rec = {
    id: guid(random),
    deletedDateTime: null,
    accountEnabled: true,
    appDisplayName: operatorName,
    appId,
    appOwnerOrganizationId: tenant.tenantId,
    appRoleAssignmentRequired: false,
    appRoles: [],
    displayName: operatorName,
    servicePrincipalNames: [appId],
    servicePrincipalType: "Application",
    signInAudience: "AzureADMyOrg",
    tags: [],
    keyCredentials: [],
    passwordCredentials: [],
    replyUrls: [],
    oauth2PermissionScopes: [],
  };
  directory.servicePrincipals.set(String(operatorSp.id), stored(operatorSp, now - DAY));

  const grants: Array<[Rec, readonly { id: string }[]]> = [
    [firstParty.get(FIRST_PARTY.microsoftGraph)!, GRAPH_APPLICATION_PERMISSIONS],
    [firstParty.get(FIRST_PARTY.exchangeOnline)!, EXCHANGE_APPLICATION_PERMISSIONS],
  ];
  for (const [resource, perms] of grants) {
    for (const p of perms) {
      const a: Rec = {
        id: assignmentId(random),
        deletedDateTime: null,
        appRoleId: p.id,
        createdDateTime: isoDate(now - DAY),
        principalDisplayName: operatorName,
        principalId: operatorSp.id,
        principalType: "ServicePrincipal",
        resourceDisplayName: resource.displayName,
        resourceId: resource.id,
      };
      directory.appRoleAssignments.set(String(a.id), stored(a, now - DAY));
    }
  }

  return { clientId: appId, clientSecret: secret, servicePrincipalId: String(operatorSp.id) };
}
