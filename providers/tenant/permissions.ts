// The one list of what the operator identity in each tenant may do. Providers call Graph and Exchange
// only within it; the emulator seeds exactly it, so a provider call that needs more fails a test
// (403 from the emulator) before it fails a tenant. Role ids are Microsoft's published app-role ids.

import { FIRST_PARTY } from "./clouds";

export interface AppPermission {
  /** The app role's value, as it appears in tokens' `roles` claim. */
  value: string;
  /** The app role id on the resource's service principal. */
  id: string;
  /** Why the providers need it; shown in the README's prerequisites. */
  why: string;
}

export const GRAPH_APPLICATION_PERMISSIONS: readonly AppPermission[] = [
  {
    value: "Application.ReadWrite.All",
    id: "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    why: "create the migration app, its service principal and client secrets",
  },
  {
    value: "AppRoleAssignment.ReadWrite.All",
    id: "06b708a9-e830-4db3-a914-8e69da51d44f",
    why: "grant admin consent for Mailbox.Migration by app role assignment",
  },
  {
    value: "Organization.Read.All",
    id: "498476ce-e0fe-48b0-b801-37ba7e2685c6",
    why: "read the tenant id, verified domains and subscribed SKUs",
  },
  {
    value: "Domain.Read.All",
    id: "dbb9058a-0e50-45d7-ae91-66909b5d4664",
    why: "check that target addresses are in domains the target owns",
  },
  {
    value: "User.ReadWrite.All",
    id: "741f803b-c850-494e-b5df-cde7c675a1ca",
    why: "read migrating users and set usage location before licensing",
  },
  {
    value: "LicenseAssignment.ReadWrite.All",
    id: "5facf0c1-8979-4e95-abcf-ff3d079771c0",
    why: "assign the Cross Tenant User Data Migration licence when opted in",
  },
];

export const EXCHANGE_APPLICATION_PERMISSIONS: readonly AppPermission[] = [
  {
    value: "Exchange.ManageAsApp",
    id: "dc50a0fb-09a3-484d-be87-e023b12c6440",
    why: "run Exchange Online admin cmdlets app-only",
  },
];

/** Entra directory role the Exchange admin API requires of an app-only caller, besides Exchange.ManageAsApp. */
export const EXCHANGE_ADMIN_ROLE = {
  displayName: "Exchange Administrator",
  templateId: "29232cdf-9323-42fd-ade2-1d097af3e4de",
} as const;

export const RESOURCE_APP_IDS = FIRST_PARTY;
