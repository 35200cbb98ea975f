// What an OrganizationRelationship is asked for and what it records: no tenant calls here.

import type { Props } from "../context";
import type { TenantRole } from "../tenant/settings";
import type { PriorMoveSettings } from "./model";

export interface Inputs extends Props {
  tenant: TenantRole;
  partnerTenantId: string;
  name: string;
  capabilities: string[];
  oauthApplicationId?: string;
  publishedScopes?: string[];
}

export interface Outputs extends Props {
  tenant: TenantRole;
  tenantId: string;
  partnerTenantId: string;
  /** The name asked for (used only when we create the relationship). */
  name: string;
  capabilities: string[];
  /** The app id asked for, or null when this resource leaves OAuthApplicationId alone. */
  oauthApplicationId: string | null;
  /** The scopes asked for, or null when this resource leaves MailboxMovePublishedScopes alone. */
  publishedScopes: string[] | null;
  /** Exchange's identity (the relationship's name, which need not be ours when adopted). */
  identity: string;
  guid: string;
  adopted: boolean;
  original: PriorMoveSettings | null;
  /** Capabilities this stack added (removed again on delete; never those someone else set). */
  addedCapabilities: string[];
  enabled: boolean;
  mailboxMoveEnabled: boolean;
  mailboxMoveCapability: string[];
  currentOAuthApplicationId: string | null;
  currentPublishedScopes: string[];
  /** How Exchange listed our scopes right after we set them: the reference for drift. */
  expectedPublishedScopes: string[];
}
