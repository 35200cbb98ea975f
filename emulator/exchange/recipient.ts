// How Exchange Online recipients look: the property sets Get-Mailbox / Get-MailUser / Get-DistributionGroup
// return (PascalCase, GUIDs as strings, sizes as "N GB (n bytes)" strings, proxies as "SMTP:"/"smtp:"/"x500:"
// strings) and the identifiers Exchange derives (LegacyExchangeDN, DistinguishedName). Seed, cmdlets and the
// migration stand-in all build recipients here so every object has the same shape.

import type { Rec, TenantState } from "../model";
import { ZERO_GUID } from "../../domain/ids";

/** Keys beginning with "__" are the emulator's bookkeeping on an object; they are never rendered. */
export const INTERNAL_PREFIX = "__";

export function newGuid(random: () => number): string {
  const h: string[] = [];
  for (let i = 0; i < 32; i++) h.push(Math.floor(random() * 16).toString(16));
  h[12] = "4";
  h[16] = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  const s = h.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** The cloud form of LegacyExchangeDN: a fixed administrative group and a hex id before the alias. */
export function legacyExchangeDn(alias: string, random: () => number): string {
  const hex = newGuid(random).replace(/-/g, "");
  return `/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=${hex}-${alias.toLowerCase()}`;
}

/** A per-tenant forest name, so DNs and "couldn't be found on '<DC>'" texts look like one region's. */
const forests = new WeakMap<TenantState, { dc: string; dn: string; ou: string }>();

export function forest(t: TenantState): { dc: string; dn: string; ou: string } {
  let f = forests.get(t);
  if (!f) forests.set(t, (f = computeForest(t)));
  return f;
}

function computeForest(t: TenantState): { dc: string; dn: string; ou: string } {
  const n = parseInt(t.tenantId.replace(/[^0-9a-f]/gi, "").slice(0, 4) || "0", 16);
  const region = ["EURPR01A012", "NAMPR10A003", "APCPR02A007", "CANPR01A012"][n % 4];
  const dcHost = `${region.slice(0, 3)}${region.slice(5, 7)}${n % 9}A${String(n % 1000).padStart(3, "0")}DC00${n % 9}`;
  return {
    dc: `${dcHost}.${region}.PROD.OUTLOOK.COM`,
    dn: `OU=${t.initialDomain},OU=Microsoft Exchange Hosted Organizations,DC=${region},DC=PROD,DC=OUTLOOK,DC=COM`,
    ou: `${region}.PROD.OUTLOOK.COM/Microsoft Exchange Hosted Organizations/${t.initialDomain}`,
  };
}

export function distinguishedName(t: TenantState, name: string): string {
  return `CN=${name.replace(/,/g, "\\,")},${forest(t).dn}`;
}

const sizes = new Map<number, string>();

export function exSize(bytes: number): string {
  let s = sizes.get(bytes);
  if (!s) sizes.set(bytes, (s = formatSize(bytes)));
  return s;
}

function formatSize(bytes: number): string {
  const gb = bytes / 1024 ** 3;
  const unit = gb >= 1 ? `${Number.isInteger(gb) ? gb : gb.toFixed(1)} GB` : `${(bytes / 1024 ** 2).toFixed(0)} MB`;
  return `${unit} (${bytes.toLocaleString("en-US")} bytes)`;
}

const GB = 1024 ** 3;

function customAttributes(): Rec {
  const out: Rec = {};
  for (let i = 1; i <= 15; i++) out[`CustomAttribute${i}`] = "";
  return out;
}

export interface RecipientBase {
  name: string;
  alias: string;
  displayName: string;
  primarySmtp: string;
  emailAddresses: string[];
  externalDirectoryObjectId: string;
  guid?: string;
  legacyExchangeDn?: string;
}

function base(t: TenantState, b: RecipientBase, now: number, random: () => number): Rec {
  const guid = b.guid ?? newGuid(random);
  const when = new Date(now).toISOString();
  return {
    Name: b.name,
    Alias: b.alias,
    DisplayName: b.displayName,
    Identity: b.name,
    Id: b.name,
    Guid: guid,
    ExchangeObjectId: guid,
    ExternalDirectoryObjectId: b.externalDirectoryObjectId,
    DistinguishedName: distinguishedName(t, b.name),
    OrganizationalUnit: forest(t).ou,
    PrimarySmtpAddress: b.primarySmtp,
    WindowsEmailAddress: b.primarySmtp,
    EmailAddresses: b.emailAddresses,
    LegacyExchangeDN: b.legacyExchangeDn ?? legacyExchangeDn(b.alias, random),
    HiddenFromAddressListsEnabled: false,
    IsDirSynced: false,
    ExchangeVersion: "0.20 (15.0.0.0)",
    ...customAttributes(),
    WhenCreated: when,
    WhenChanged: when,
    WhenCreatedUTC: when,
    WhenChangedUTC: when,
  };
}

export interface MailboxSpec extends RecipientBase {
  userPrincipalName: string;
  shared?: boolean;
  archive?: boolean;
  /** Number of auxiliary archives; > 0 implies AutoExpandingArchiveEnabled. */
  auxArchives?: number;
  litigationHold?: boolean;
  inPlaceHolds?: string[];
  persistedCapabilities?: string[];
}

export function mailboxObject(t: TenantState, s: MailboxSpec, now: number, random: () => number): Rec {
  const o = base(t, s, now, random);
  const exchangeGuid = newGuid(random);
  const archiveGuid = s.archive || s.auxArchives ? newGuid(random) : ZERO_GUID;
  const db = `${forest(t).dc.slice(0, 8)}DG${String(Math.floor(random() * 900) + 100)}-db${String(Math.floor(random() * 90) + 10).padStart(3, "0")}`;
  const locations = [`1;${exchangeGuid};Primary;${t.initialDomain};${newGuid(random)}`];
  if (archiveGuid !== ZERO_GUID) locations.push(`1;${archiveGuid};MainArchive;${t.initialDomain};${newGuid(random)}`);
  for (let i = 0; i < (s.auxArchives ?? 0); i++)
    locations.push(`1;${newGuid(random)};AuxArchive;${t.initialDomain};${newGuid(random)}`);
  const type = s.shared ? "SharedMailbox" : "UserMailbox";
  return Object.assign(o, {
    UserPrincipalName: s.userPrincipalName,
    MicrosoftOnlineServicesID: s.userPrincipalName,
    RecipientType: "UserMailbox",
    RecipientTypeDetails: type,
    ExchangeGuid: exchangeGuid,
    ArchiveGuid: archiveGuid,
    ArchiveStatus: archiveGuid !== ZERO_GUID ? "Active" : "None",
    ArchiveState: archiveGuid !== ZERO_GUID ? "Local" : "None",
    ArchiveName: archiveGuid !== ZERO_GUID ? [`In-Place Archive -${s.displayName}`] : [],
    ArchiveDatabase: archiveGuid !== ZERO_GUID ? db : null,
    ArchiveQuota: exSize(100 * GB),
    ArchiveWarningQuota: exSize(90 * GB),
    AutoExpandingArchiveEnabled: (s.auxArchives ?? 0) > 0,
    MailboxLocations: locations,
    Database: db,
    LitigationHoldEnabled: !!s.litigationHold,
    LitigationHoldDate: s.litigationHold ? new Date(now - 90 * 86_400_000).toISOString() : null,
    LitigationHoldOwner: s.litigationHold ? `admin@${t.initialDomain}` : "",
    LitigationHoldDuration: "Unlimited",
    InPlaceHolds: s.inPlaceHolds ?? [],
    DelayHoldApplied: false,
    DelayReleaseHoldApplied: false,
    ComplianceTagHoldApplied: false,
    PersistedCapabilities: s.persistedCapabilities ?? (s.shared ? [] : ["BPOS_S_Enterprise"]),
    SKUAssigned: !s.shared,
    IsMailboxEnabled: true,
    IsSoftDeletedByRemove: false,
    IsSoftDeletedByDisable: false,
    IsInactiveMailbox: false,
    WhenSoftDeleted: null,
    MailboxMoveRemoteHostName: "",
    MailboxMoveStatus: "None",
    MailboxMoveFlags: "None",
    MailboxMoveBatchName: "",
    ProhibitSendQuota: exSize(99 * GB),
    ProhibitSendReceiveQuota: exSize(100 * GB),
    IssueWarningQuota: exSize(98 * GB),
    RecoverableItemsQuota: exSize(30 * GB),
    RecoverableItemsWarningQuota: exSize(20 * GB),
    RetainDeletedItemsFor: "14.00:00:00",
    SingleItemRecoveryEnabled: true,
    RetentionPolicy: "Default MRM Policy",
    UsageLocation: "United States",
    WhenMailboxCreated: o.WhenCreated,
  });
}

export interface MailUserSpec extends RecipientBase {
  userPrincipalName: string;
  externalEmailAddress: string;
}

export function mailUserObject(t: TenantState, s: MailUserSpec, now: number, random: () => number): Rec {
  return {
    ...base(t, s, now, random),
    UserPrincipalName: s.userPrincipalName,
    MicrosoftOnlineServicesID: s.userPrincipalName,
    RecipientType: "MailUser",
    RecipientTypeDetails: "MailUser",
    ExternalEmailAddress: s.externalEmailAddress,
    ExchangeGuid: ZERO_GUID,
    ArchiveGuid: ZERO_GUID,
    ArchiveName: [],
    ArchiveQuota: exSize(100 * GB),
    ArchiveWarningQuota: exSize(90 * GB),
    MailboxLocations: [],
    LitigationHoldEnabled: false,
    InPlaceHolds: [],
    DelayHoldApplied: false,
    DelayReleaseHoldApplied: false,
    ComplianceTagHoldApplied: false,
    PersistedCapabilities: [],
    RecoverableItemsQuota: exSize(30 * GB),
    IsSoftDeletedByRemove: false,
    IsInactiveMailbox: false,
    WhenSoftDeleted: null,
    MailboxMoveRemoteHostName: "",
    MailboxMoveStatus: "None",
    UsageLocation: "",
  };
}

export interface GroupSpec extends RecipientBase {
  security: boolean;
  managedBy: string[];
  members: string[];
}

export function groupObject(t: TenantState, s: GroupSpec, now: number, random: () => number): Rec {
  const type = s.security ? "MailUniversalSecurityGroup" : "MailUniversalDistributionGroup";
  return {
    ...base(t, s, now, random),
    RecipientType: type,
    RecipientTypeDetails: type,
    GroupType: s.security ? "Universal, SecurityEnabled" : "Universal",
    ManagedBy: s.managedBy,
    MemberJoinRestriction: "Closed",
    MemberDepartRestriction: s.security ? "Closed" : "Open",
    RequireSenderAuthenticationEnabled: true,
    HiddenGroupMembershipEnabled: false,
    ModerationEnabled: false,
    Description: [],
    [`${INTERNAL_PREFIX}members`]: s.members,
  };
}

/** Exchange's proxy convention: exactly one upper-case "SMTP:" marks the primary address. */
export function proxyList(primary: string, secondary: string[], others: string[] = []): string[] {
  const lower = primary.toLowerCase();
  return [`SMTP:${primary}`, ...secondary.filter((a) => a.toLowerCase() !== lower).map((a) => `smtp:${a}`), ...others];
}

export function smtpOf(proxy: string): string | undefined {
  return /^smtp:/i.test(proxy) ? proxy.slice(5) : undefined;
}
