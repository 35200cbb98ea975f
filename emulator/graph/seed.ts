// The seeded tenant pair: what a freshly provisioned pair of Microsoft 365 tenants looks like from Graph,
// plus the operator identity the CLI hands out (operator.ts). Every object is in Graph's JSON shape and
// carries only properties of its reference schema, so rendering it is rendering what Microsoft would return.

import { EXCHANGE_ADMIN_ROLE } from "../../providers/tenant/permissions";
import { emptyDirectory, emptyExchange, stored, type EmulatorState, type Rec, type TenantState } from "../model";
import { DIRECTORY_ROLE_TEMPLATES, firstPartyServicePrincipals, GLOBAL_ADMINISTRATOR } from "./first-party";
import { guid, isoDate, roleAssignmentId, type Random } from "./ids";
import { seedOperator } from "./operator";

const DAY = 86_400_000;

interface PairSpec {
  label: string;
  name: string;
  initialDomain: string;
  customDomain: string;
  dehydrated: boolean;
  crossTenantSku: boolean;
}

const PAIR: readonly PairSpec[] = [
  {
    label: "source",
    name: "Fabrikam",
    initialDomain: "fabrikam.onmicrosoft.com",
    customDomain: "fabrikam.com",
    dehydrated: false,
    crossTenantSku: false,
  },
  {
    label: "target",
    name: "Contoso",
    initialDomain: "contoso.onmicrosoft.com",
    customDomain: "contoso.com",
    dehydrated: true,
    crossTenantSku: true,
  },
];

// Exchange Online (Plan 2): Microsoft's "Product names and service plan identifiers for licensing" page.
const EXCHANGE_PLAN_2 = {
  skuId: "19ec0d23-8335-4cbd-94ac-6050e30712fa",
  skuPartNumber: "EXCHANGEENTERPRISE",
  servicePlans: [
    { servicePlanId: "efb87545-963c-4e0d-99df-69c6916d9eb0", servicePlanName: "EXCHANGE_S_ENTERPRISE" },
    { servicePlanId: "113feb6c-3fe4-4440-bddc-54d774bf0318", servicePlanName: "EXCHANGE_ANALYTICS" },
  ],
};

// Cross Tenant User Data Migration: skuId, part number and plan names come from a community source
// (kevinstreet.co.uk, "What are the details for the Cross Tenant User Data Migration license?"), not from
// Microsoft. The service plan ids are not published there: the two below are stand-ins (UNCONFIRMED).
const CROSS_TENANT_MIGRATION = {
  skuId: "946ce899-873d-44bb-9d8b-671870cbfdbf",
  skuPartNumber: "Cross_tenant_user_data_migration",
  servicePlans: [
    { servicePlanId: "c6d7b3a2-3e51-4c3b-9b3e-5e0f6c1a7d21", servicePlanName: "EXCHANGEONLINE_T2TMBXMOVE" },
    { servicePlanId: "b2f1c3e4-8a8c-4d5e-a1f0-7c9e2d4b6a83", servicePlanName: "SHAREPOINTONLINE_T2TODMOVE" },
  ],
};

export function seedDirectory(state: EmulatorState, now: number, random: Random): void {
  for (const spec of PAIR) {
    const tenant = seedTenant(spec, now, random);
    state.tenants.set(tenant.tenantId, tenant);
  }
}

function seedTenant(spec: PairSpec, now: number, random: Random): TenantState {
  const tenantId = guid(random);
  const created = isoDate(now - 400 * DAY);
  const organization: Rec = {
    id: tenantId,
    deletedDateTime: null,
    businessPhones: [],
    city: null,
    country: null,
    countryLetterCode: "US",
    createdDateTime: created,
    defaultUsageLocation: null,
    displayName: spec.name,
    marketingNotificationEmails: [],
    onPremisesLastSyncDateTime: null,
    onPremisesSyncEnabled: null,
    postalCode: null,
    preferredLanguage: "en",
    securityComplianceNotificationMails: [],
    securityComplianceNotificationPhones: [],
    state: null,
    street: null,
    technicalNotificationMails: [`admin@${spec.initialDomain}`],
    tenantType: "AAD",
    assignedPlans: [],
    provisionedPlans: [],
    verifiedDomains: [
      {
        capabilities: "Email, OfficeCommunicationsOnline",
        isDefault: false,
        isInitial: true,
        name: spec.initialDomain,
        type: "Managed",
      },
      {
        capabilities: "Email, OfficeCommunicationsOnline",
        isDefault: true,
        isInitial: false,
        name: spec.customDomain,
        type: "Managed",
      },
    ],
  };
  const directory = emptyDirectory(organization);
  directory.domains.push(
    domain(spec.initialDomain, { isInitial: true, isDefault: false }),
    domain(spec.customDomain, { isInitial: false, isDefault: true }),
  );

  directory.subscribedSkus.push(sku(tenantId, spec.name, EXCHANGE_PLAN_2, 25, 0, random));
  if (spec.crossTenantSku)
    directory.subscribedSkus.push(sku(tenantId, spec.name, CROSS_TENANT_MIGRATION, 10, 0, random));

  const firstParty = new Map<string, Rec>();
  for (const sp of firstPartyServicePrincipals()) {
    const obj = { id: guid(random), deletedDateTime: null, ...sp };
    directory.servicePrincipals.set(obj.id, stored(obj, now - 400 * DAY));
    firstParty.set(String(sp.appId), obj);
  }

  // Operator identity (operator.ts).
  const operator = seedOperator(
    directory,
    { tenantId, initialDomain: spec.initialDomain, created },
    firstParty,
    now,
    random,
  );

  const admin: Rec = {
    id: guid(random),
    deletedDateTime: null,
    accountEnabled: true,
    assignedLicenses: [],
    businessPhones: [],
    createdDateTime: created,
    displayName: `${spec.name} Administrator`,
    givenName: spec.name,
    surname: "Administrator",
    jobTitle: null,
    mail: `admin@${spec.initialDomain}`,
    mailNickname: "admin",
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: "en-US",
    proxyAddresses: [`SMTP:admin@${spec.initialDomain}`],
    usageLocation: "US",
    userPrincipalName: `admin@${spec.initialDomain}`,
    userType: "Member",
  };
  directory.users.set(String(admin.id), stored(admin, now - 400 * DAY));

  assignRole(directory.roleAssignments, operator.servicePrincipalId, EXCHANGE_ADMIN_ROLE.templateId, now, random);
  assignRole(directory.roleAssignments, String(admin.id), GLOBAL_ADMINISTRATOR, now, random);
  // A role shows in /directoryRoles once something activated it; an assignment does.
  for (const templateId of [GLOBAL_ADMINISTRATOR, EXCHANGE_ADMIN_ROLE.templateId]) {
    const t = DIRECTORY_ROLE_TEMPLATES.find((x) => x.id === templateId)!;
    const role: Rec = {
      id: guid(random),
      deletedDateTime: null,
      description: t.description,
      displayName: t.displayName,
      roleTemplateId: t.id,
    };
    directory.directoryRoles.set(String(role.id), stored(role, now - 400 * DAY));
  }

  const exchange = emptyExchange({
    Name: spec.initialDomain,
    DisplayName: spec.name,
    Identity: spec.initialDomain,
    IsDehydrated: spec.dehydrated,
  });

  return {
    tenantId,
    label: spec.label,
    initialDomain: spec.initialDomain,
    operator,
    directory,
    exchange,
  };
}

function domain(name: string, flags: { isInitial: boolean; isDefault: boolean }): Rec {
  return {
    id: name,
    authenticationType: "Managed",
    availabilityStatus: null,
    isAdminManaged: true,
    isDefault: flags.isDefault,
    isInitial: flags.isInitial,
    isRoot: true,
    isVerified: true,
    passwordNotificationWindowInDays: 14,
    passwordValidityPeriodInDays: 2147483647,
    state: null,
    supportedServices: ["Email", "OfficeCommunicationsOnline"],
  };
}

function sku(
  tenantId: string,
  accountName: string,
  s: { skuId: string; skuPartNumber: string; servicePlans: { servicePlanId: string; servicePlanName: string }[] },
  enabled: number,
  consumed: number,
  random: Random,
): Rec {
  return {
    id: `${tenantId}_${s.skuId}`,
    accountId: tenantId,
    accountName,
    appliesTo: "User",
    capabilityStatus: "Enabled",
    consumedUnits: consumed,
    prepaidUnits: { enabled, lockedOut: 0, suspended: 0, warning: 0 },
    servicePlans: s.servicePlans.map((p) => ({ ...p, provisioningStatus: "Success", appliesTo: "User" })),
    skuId: s.skuId,
    skuPartNumber: s.skuPartNumber,
    subscriptionIds: [guid(random)],
  };
}

function assignRole(
  map: Map<string, import("../model").Stored>,
  principalId: string,
  roleDefinitionId: string,
  now: number,
  random: Random,
): void {
  const ra: Rec = {
    id: roleAssignmentId(random),
    appScopeId: null,
    condition: null,
    directoryScopeId: "/",
    principalId,
    principalOrganizationId: null,
    roleDefinitionId,
  };
  map.set(String(ra.id), stored(ra, now - DAY));
}
