// What a ScopingGroup is asked for and what it records: no tenant calls here.

import type { Props } from "../context";
import type { TenantRole } from "../tenant/settings";

export interface Inputs extends Props {
  tenant?: TenantRole;
  name: string;
  alias?: string;
  primarySmtpAddress?: string;
  members: string[];
}

export interface Outputs extends Props {
  tenant: TenantRole;
  tenantId: string;
  /** What was asked for; a change of any of them replaces the group. */
  requested: { name: string; alias: string | null; primarySmtpAddress: string | null };
  /** Exchange's Guid of the group: every later call names the group by it. */
  identity: string;
  name: string;
  alias: string;
  primarySmtpAddress: string;
  externalDirectoryObjectId: string;
  adopted: boolean;
  /** Primary addresses of the members, lower case, sorted: as the service reports them. */
  members: string[];
  /** Where a member was named by another of its addresses: the requested address and the member's primary one. */
  memberAliases: Array<{ requested: string; primary: string }>;
  /** The members an adopted group had before (restored on delete); null when this stack created the group. */
  originalMembers: string[] | null;
}

export const roleOf = (tenant: unknown): TenantRole => (tenant === "target" ? "target" : "source");
