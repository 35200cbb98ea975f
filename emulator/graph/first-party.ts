// Microsoft's first-party resources as they appear in every tenant: the Microsoft Graph and Office 365
// Exchange Online service principals and the app roles (application permissions) they publish. The role
// ids are Microsoft's published ids (Graph permissions reference; Exchange's from its manifest); only the
// subset the project and its tests touch is listed.

import { FIRST_PARTY } from "../../providers/tenant/clouds";
import type { Rec } from "../model";
import { MAILBOX_MIGRATION_ROLE } from "../../domain/firstParty";

/** The tenant that owns Microsoft's first-party apps ("Microsoft Services"). */
export const MICROSOFT_SERVICES_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

interface RoleSpec {
  value: string;
  id: string;
  displayName: string;
  description: string;
}

export const GRAPH_APP_ROLES: readonly RoleSpec[] = [
  {
    value: "Application.Read.All",
    id: "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    displayName: "Read all applications",
    description: "Allows the app to read all applications and service principals without a signed-in user.",
  },
  {
    value: "Application.ReadWrite.All",
    id: "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    displayName: "Read and write all applications",
    description:
      "Allows the app to create, read, update and delete applications and service principals without a signed-in user. Does not allow management of consent grants.",
  },
  {
    value: "Application.ReadWrite.OwnedBy",
    id: "18a4783c-866b-4cc7-a460-3d5e5662c884",
    displayName: "Manage apps that this app creates or owns",
    description:
      "Allows the app to create other applications, and fully manage those applications (read, update, update application secrets and delete), without a signed-in user. It cannot update any apps that it is not an owner of.",
  },
  {
    value: "AppRoleAssignment.ReadWrite.All",
    id: "06b708a9-e830-4db3-a914-8e69da51d44f",
    displayName: "Manage app permission grants and app role assignments",
    description:
      "Allows the app to manage permission grants for application permissions to any API (including Microsoft Graph) and application assignments for any app, without a signed-in user.",
  },
  {
    value: "DelegatedPermissionGrant.ReadWrite.All",
    id: "8e8e4742-1d95-4f68-9d56-6ee75648c72a",
    displayName: "Manage all delegated permission grants",
    description:
      "Allows the app to manage permission grants for delegated permissions exposed by any API (including Microsoft Graph), without a signed-in user.",
  },
  {
    value: "Directory.Read.All",
    id: "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
    displayName: "Read directory data",
    description:
      "Allows the app to read data in your organization's directory, such as users, groups and apps, without a signed-in user.",
  },
  {
    value: "Directory.ReadWrite.All",
    id: "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
    displayName: "Read and write directory data",
    description:
      "Allows the app to read and write data in your organization's directory, such as users, and groups, without a signed-in user. Does not allow user or group deletion.",
  },
  {
    value: "Domain.Read.All",
    id: "dbb9058a-0e50-45d7-ae91-66909b5d4664",
    displayName: "Read domains",
    description: "Allows the app to read all domain properties without a signed-in user.",
  },
  {
    value: "Domain.ReadWrite.All",
    id: "7e05723c-0bb0-42da-be95-ae9f08a6e53c",
    displayName: "Read and write domains",
    description:
      "Allows the app to read and write all domain properties without a signed in user. Also allows the app to add, verify and remove domains.",
  },
  {
    value: "Group.Create",
    id: "bf7b1a76-6e77-406b-b258-bf5c7720e98f",
    displayName: "Create groups",
    description: "Allows the app to create groups without a signed-in user.",
  },
  {
    value: "Group.Read.All",
    id: "5b567255-7703-4780-807c-7be8301ae99b",
    displayName: "Read all groups",
    description:
      "Allows the app to read group properties and memberships, and read conversations for all groups, without a signed-in user.",
  },
  {
    value: "Group.ReadWrite.All",
    id: "62a82d76-70ea-41e2-9197-370581804d09",
    displayName: "Read and write all groups",
    description:
      "Allows the app to create groups, read all group properties and memberships, update group properties and memberships, and delete groups. Also allows the app to read and write conversations. All of these operations can be performed by the app without a signed-in user.",
  },
  {
    value: "LicenseAssignment.ReadWrite.All",
    id: "5facf0c1-8979-4e95-abcf-ff3d079771c0",
    displayName: "Manage all license assignments",
    description: "Allows an app to manage license assignments for users and groups, without a signed-in user.",
  },
  {
    value: "Organization.Read.All",
    id: "498476ce-e0fe-48b0-b801-37ba7e2685c6",
    displayName: "Read organization information",
    description:
      "Allows the app to read the organization and related resources, without a signed-in user. Related resources include things like subscribed skus and tenant branding information.",
  },
  {
    value: "Organization.ReadWrite.All",
    id: "292d869f-3427-49a8-9dab-8c70152b74e9",
    displayName: "Read and write organization information",
    description:
      "Allows the app to read and write the organization and related resources, without a signed-in user. Related resources include things like subscribed skus and tenant branding information.",
  },
  {
    value: "RoleManagement.Read.Directory",
    id: "483bed4a-2ad3-4361-a73b-c83ccdbdc53c",
    displayName: "Read all directory RBAC settings",
    description:
      "Allows the app to read the role-based access control (RBAC) settings for your company's directory, without a signed-in user. This includes reading directory role templates, directory roles and memberships.",
  },
  {
    value: "RoleManagement.ReadWrite.Directory",
    id: "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
    displayName: "Read and write all directory RBAC settings",
    description:
      "Allows the app to read and manage the role-based access control (RBAC) settings for your company's directory, without a signed-in user. This includes instantiating directory roles and managing directory role membership, and reading directory role templates, directory roles and memberships.",
  },
  {
    value: "User.Read.All",
    id: "df021288-bdef-4463-88db-98f22de89214",
    displayName: "Read all users' full profiles",
    description: "Allows the app to read user profiles without a signed in user.",
  },
  {
    value: "User.ReadWrite.All",
    id: "741f803b-c850-494e-b5df-cde7c675a1ca",
    displayName: "Read and write all users' full profiles",
    description: "Allows the app to read and update user profiles without a signed in user.",
  },
];

export const EXCHANGE_APP_ROLES: readonly RoleSpec[] = [
  {
    value: "Exchange.ManageAsApp",
    id: "dc50a0fb-09a3-484d-be87-e023b12c6440",
    displayName: "Manage Exchange As Application",
    description:
      "Allows the app to manage the organization's Exchange environment without any user interaction. This includes mailboxes, groups, and other configuration objects. To enable management actions, an admin must assign the appropriate roles directly to the app.",
  },
  {
    value: MAILBOX_MIGRATION_ROLE,
    id: "f7264778-fba9-422d-8e9e-2675a2c4b513",
    displayName: "Move mailboxes between organizations",
    description: "Allows the app to move mailboxes between organizations without a signed-in user.",
  },
  {
    value: "full_access_as_app",
    id: "dc890d15-9560-4a4c-9b7f-a736ec74ec40",
    displayName: "Use Exchange Web Services with full access to all mailboxes",
    description:
      "Allows the app to have full access via Exchange Web Services to all mailboxes without a signed-in user.",
  },
];

function appRole(r: RoleSpec): Rec {
  return {
    allowedMemberTypes: ["Application"],
    description: r.description,
    displayName: r.displayName,
    id: r.id,
    isEnabled: true,
    origin: "Application",
    value: r.value,
  };
}

/** The servicePrincipal objects (without id/createdDateTime, which the seed assigns per tenant). */
export function firstPartyServicePrincipals(): Rec[] {
  const common = {
    accountEnabled: true,
    appOwnerOrganizationId: MICROSOFT_SERVICES_TENANT,
    appRoleAssignmentRequired: false,
    servicePrincipalType: "Application",
    signInAudience: "AzureADMultipleOrgs",
    tags: [],
    keyCredentials: [],
    passwordCredentials: [],
    replyUrls: [],
    alternativeNames: [],
    notificationEmailAddresses: [],
    addIns: [],
    resourceSpecificApplicationPermissions: [],
    oauth2PermissionScopes: [],
  };
  return [
    {
      ...common,
      appId: FIRST_PARTY.microsoftGraph,
      appDisplayName: "Microsoft Graph",
      displayName: "Microsoft Graph",
      servicePrincipalNames: [
        "https://graph.microsoft.com",
        "https://graph.microsoft.com/",
        "https://canary.graph.microsoft.com",
        `${FIRST_PARTY.microsoftGraph}/ags.windows.net`,
        FIRST_PARTY.microsoftGraph,
      ],
      appRoles: GRAPH_APP_ROLES.map(appRole),
    },
    {
      ...common,
      appId: FIRST_PARTY.exchangeOnline,
      appDisplayName: "Office 365 Exchange Online",
      displayName: "Office 365 Exchange Online",
      servicePrincipalNames: [
        "https://outlook.office365.com",
        "https://outlook.office365.com/",
        "https://outlook.office.com",
        `${FIRST_PARTY.exchangeOnline}/outlook.office365.com`,
        FIRST_PARTY.exchangeOnline,
      ],
      appRoles: EXCHANGE_APP_ROLES.map(appRole),
    },
  ];
}

/** Directory role templates the emulator knows (id = Microsoft's template id). */
export const DIRECTORY_ROLE_TEMPLATES: readonly { id: string; displayName: string; description: string }[] = [
  {
    id: "62e90394-69f5-4237-9190-012177145e10",
    displayName: "Global Administrator",
    description:
      "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.",
  },
  {
    id: "29232cdf-9323-42fd-ade2-1d097af3e4de",
    displayName: "Exchange Administrator",
    description: "Can manage all aspects of the Exchange product.",
  },
  {
    id: "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    displayName: "Application Administrator",
    description: "Can create and manage all aspects of app registrations and enterprise apps.",
  },
  {
    id: "158c047a-c907-4556-b7ef-446551a6b5f7",
    displayName: "Cloud Application Administrator",
    description: "Can create and manage all aspects of app registrations and enterprise apps except App Proxy.",
  },
  {
    id: "fe930be7-5e62-47db-91af-98c3a49a38b1",
    displayName: "User Administrator",
    description: "Can manage all aspects of users and groups, including resetting passwords for limited admins.",
  },
  {
    id: "e8611ab8-c189-46e8-94e1-60213ab1f814",
    displayName: "Privileged Role Administrator",
    description:
      "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management.",
  },
  {
    id: "4a5d8f65-41da-4de4-8968-e035b65339cf",
    displayName: "Reports Reader",
    description: "Can read sign-in and audit reports.",
  },
];

export const GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10";
