// The Exchange side of the seeded tenant pair: organisation configuration and accepted domains of both
// tenants, and in the source a small organisation that has the features a cross-tenant move has to care
// about (archives, an auto-expanding archive, holds, shared mailboxes, x500s left by earlier moves), plus
// `--mailboxes N` generated mailboxes. Every mailbox has its Entra user, whose id is ExternalDirectoryObjectId.

import { stored, type EmulatorState, type Rec, type TenantState } from "../model";
import { ARCHIVE_CONTENT_KEY, CONTENT_KEY, HOLD_NOT_ENDED, HOLD_TRACKING_KEY } from "./mailboxContent";
import { PREVIOUS_MAILBOX_KEY, type PreviousMailbox } from "./cmdlets/users";
import {
  exSize,
  groupObject,
  mailUserObject,
  mailboxObject,
  newGuid,
  proxyList,
  forest,
  legacyExchangeDn,
  type MailboxSpec,
} from "./recipient";

interface Person {
  first: string;
  last: string;
  alias: string;
  shared?: boolean;
  archive?: boolean;
  auxArchives?: number;
  litigationHold?: boolean;
  inPlaceHolds?: string[];
  /** x500 proxies left by earlier moves (one or two per person that has them). */
  earlierMoves?: number;
  /** Items held in the archive's Recoverable Items\SubstrateHolds (Microsoft's validator blocks the move). */
  archiveSubstrateHolds?: number;
  /** Recoverable Items of the primary in GB (TotalDeletedItemSize), and its quota when above the default 30 GB. */
  deletedItemsGb?: number;
  recoverableItemsQuotaGb?: number;
  /** The HoldTracking log records an organisation-wide retention policy (ht 4) that still applies. */
  orgRetentionInHoldLog?: boolean;
  /** The target already has a MailUser for this person that once was a mailbox (previous-mailbox information). */
  targetMailUserWithPreviousMailbox?: boolean;
}

const SOURCE_PEOPLE: Person[] = [
  { first: "Adele", last: "Vance", alias: "adelev", archive: true },
  { first: "Alex", last: "Wilber", alias: "alexw", earlierMoves: 1 },
  { first: "Diego", last: "Siciliani", alias: "diegos", litigationHold: true, archive: true },
  { first: "Grady", last: "Archie", alias: "gradya", archive: true, auxArchives: 3 },
  { first: "Henrietta", last: "Mueller", alias: "henriettam" },
  { first: "Isaiah", last: "Langer", alias: "isaiahl", archive: true, earlierMoves: 2 },
  { first: "Johanna", last: "Lorenz", alias: "johannal" },
  { first: "Lee", last: "Gu", alias: "leeg" },
  { first: "Lidia", last: "Holloway", alias: "lidiah", inPlaceHolds: ["mbxa3c2f4b1e5d94f0c8a7b6e5d4c3b2a19:1"] },
  { first: "Megan", last: "Bowen", alias: "meganb", archive: true },
  { first: "Info", last: "", alias: "info", shared: true },
  { first: "Reception", last: "", alias: "reception", shared: true, archive: true },
  // One person for each check of Microsoft's validator that needs more than Get-Mailbox.
  { first: "Nestor", last: "Wilke", alias: "nestorw", archive: true, archiveSubstrateHolds: 12 },
  { first: "Pradeep", last: "Gupta", alias: "pradeepg", deletedItemsGb: 45, recoverableItemsQuotaGb: 100 },
  { first: "Patti", last: "Fernandez", alias: "pattif", orgRetentionInHoldLog: true },
  { first: "Raul", last: "Razo", alias: "raulr", targetMailUserWithPreviousMailbox: true },
];

/** The policy an organisation-wide retention hold in a seeded HoldTracking log names. */
export const SEEDED_ORG_RETENTION_HOLD = "mbx0c4e5f6a7b8c49d0a1b2c3d4e5f60718:1";

/** Microsoft's EXCHANGEENTERPRISE (Exchange Online Plan 2) SKU id, used when the directory seed names none. */
const EXCHANGE_PLAN_SKU = "19ec0d23-8335-4cbd-94ac-6050e30712fa";

export function seedExchange(
  state: EmulatorState,
  opts: { mailboxes: number },
  now: number,
  random: () => number,
): void {
  for (const t of state.tenants.values()) {
    seedOrganization(t, now, random);
    seedAcceptedDomains(t, now, random);
    const admin = [...t.directory.users.values()].find(
      (u) => String(u.obj.userPrincipalName).toLowerCase() === `admin@${t.initialDomain}`,
    );
    if (admin) addMailboxForUser(t, admin.obj, now, random);
  }
  const source = [...state.tenants.values()].find((t) => t.label === "source");
  if (!source) return;
  const domain = customDomain(source);
  const sku = exchangeSku(source);
  const userAliases: string[] = [];
  const target = [...state.tenants.values()].find((t) => t.label === "target");
  for (const p of SOURCE_PEOPLE) {
    addPerson(source, p, domain, sku, now, random);
    if (!p.shared) userAliases.push(p.alias);
    if (p.targetMailUserWithPreviousMailbox && target) addFormerMailbox(target, p, `${p.alias}@${domain}`, now, random);
  }
  for (let i = 1; i <= opts.mailboxes; i++) {
    const n = String(i).padStart(5, "0");
    addPerson(
      source,
      { first: "Generated", last: `User ${n}`, alias: `user${n}`, archive: i % 5 === 0 },
      domain,
      sku,
      now,
      random,
    );
  }
  // A plain distribution group: publishing it as a migration scope must be refused (not a security group).
  const all = groupObject(
    source,
    {
      name: "All Staff",
      alias: "allstaff",
      displayName: "All Staff",
      primarySmtp: `allstaff@${domain}`,
      emailAddresses: proxyList(`allstaff@${domain}`, [`allstaff@${source.initialDomain}`]),
      externalDirectoryObjectId: newGuid(random),
      security: false,
      managedBy: [],
      members: [],
    },
    now,
    random,
  );
  all.__members = [...source.exchange.recipients.values()]
    .filter((r) => userAliases.includes(String(r.obj.Alias)))
    .map((r) => String(r.obj.Guid));
  source.exchange.recipients.set(String(all.Guid).toLowerCase(), stored(all, now));
}

function seedOrganization(t: TenantState, now: number, random: () => number): void {
  const cfg = t.exchange.organizationConfig;
  const display = String(t.directory.organization.displayName ?? t.initialDomain.split(".")[0]);
  const f = forest(t);
  const when = new Date(now - 400 * 86_400_000).toISOString();
  const region = f.dn.split(",DC=")[1];
  Object.assign(cfg, {
    Name: t.initialDomain,
    DisplayName: display,
    Identity: t.initialDomain,
    Id: t.initialDomain,
    Guid: newGuid(random),
    DistinguishedName: `CN=Configuration,CN=${t.initialDomain},CN=ConfigurationUnits,DC=${region},DC=PROD,DC=OUTLOOK,DC=COM`,
    OrganizationId: `${f.ou} - ${region}.PROD.OUTLOOK.COM/ConfigurationUnits/${t.initialDomain}/Configuration`,
    IsDehydrated: typeof cfg.IsDehydrated === "boolean" ? cfg.IsDehydrated : t.label === "target",
    IsUpgradingOrganization: false,
    IsUpdatingServicePlan: false,
    OAuth2ClientProfileEnabled: true,
    // Organisation-wide retention policies (Microsoft: "You use the Get-OrganizationConfig cmdlet ... to get
    // information about organization-wide retention policies"); none in a fresh tenant.
    InPlaceHolds: Array.isArray(cfg.InPlaceHolds) ? cfg.InPlaceHolds : [],
    MailTipsAllTipsEnabled: true,
    AuditDisabled: false,
    ExchangeVersion: "0.20 (15.0.0.0)",
    WhenCreated: when,
    WhenChanged: when,
    WhenCreatedUTC: when,
    WhenChangedUTC: when,
  });
}

function customDomain(t: TenantState): string {
  const d = t.directory.domains.find((x) => !String(x.id).toLowerCase().endsWith(".onmicrosoft.com"));
  return d ? String(d.id) : t.initialDomain;
}

function exchangeSku(t: TenantState): string {
  const s = t.directory.subscribedSkus.find((k) =>
    /^EXCHANGE|ENTERPRISEPACK|SPE_E/i.test(String(k.skuPartNumber ?? "")),
  );
  return String(s?.skuId ?? EXCHANGE_PLAN_SKU);
}

function seedAcceptedDomains(t: TenantState, now: number, random: () => number): void {
  const when = new Date(now - 400 * 86_400_000).toISOString();
  const moera = t.initialDomain.replace(/\.onmicrosoft\.com$/i, ".mail.onmicrosoft.com");
  const names = [t.initialDomain, ...t.directory.domains.map((d) => String(d.id)), moera];
  const unique = [...new Map(names.map((n) => [n.toLowerCase(), n])).values()];
  const graphDefault = t.directory.domains.find((d) => d.isDefault === true);
  t.exchange.acceptedDomains = unique.map((name) => ({
    Name: name,
    DomainName: name,
    Identity: name,
    Id: name,
    Guid: newGuid(random),
    DomainType: "Authoritative",
    Default: graphDefault ? String(graphDefault.id).toLowerCase() === name.toLowerCase() : name === t.initialDomain,
    InitialDomain: name.toLowerCase() === t.initialDomain.toLowerCase(),
    MatchSubDomains: false,
    AddressBookEnabled: true,
    IsCoexistenceDomain: false,
    SendingFromDomainDisabled: false,
    AuthenticationType: name.toLowerCase().endsWith(".onmicrosoft.com") ? null : "Managed",
    WhenCreated: when,
    WhenChanged: when,
  }));
}

function x500FromEarlierMove(alias: string, random: () => number, i: number): string {
  // One from a previous cloud tenant and, for a second move, one from an on-premises organisation.
  return i === 0
    ? `x500:${legacyExchangeDn(alias, random)}`
    : `X500:/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=${alias}`;
}

function addPerson(t: TenantState, p: Person, domain: string, sku: string, now: number, random: () => number): void {
  const displayName = p.last ? `${p.first} ${p.last}` : p.first;
  const primary = `${p.alias}@${domain}`;
  const moera = `${p.alias}@${t.initialDomain.replace(/\.onmicrosoft\.com$/i, ".mail.onmicrosoft.com")}`;
  const x500s = Array.from({ length: p.earlierMoves ?? 0 }, (_, i) => x500FromEarlierMove(p.alias, random, i));
  const emailAddresses = proxyList(primary, [`${p.alias}@${t.initialDomain}`, moera], x500s);
  const userId = newGuid(random);
  const user: Rec = {
    id: userId,
    userPrincipalName: primary,
    displayName,
    givenName: p.shared ? null : p.first,
    surname: p.shared || !p.last ? null : p.last,
    mail: primary,
    mailNickname: p.alias,
    accountEnabled: !p.shared,
    proxyAddresses: emailAddresses,
    assignedLicenses: p.shared ? [] : [{ disabledPlans: [], skuId: sku }],
    usageLocation: p.shared ? null : "US",
    userType: "Member",
    createdDateTime: new Date(now - 300 * 86_400_000).toISOString(),
  };
  t.directory.users.set(userId, stored(user, now));
  const spec: MailboxSpec = {
    name: p.alias,
    alias: p.alias,
    displayName,
    primarySmtp: primary,
    emailAddresses,
    externalDirectoryObjectId: userId,
    userPrincipalName: primary,
    shared: p.shared,
    archive: p.archive,
    auxArchives: p.auxArchives,
    litigationHold: p.litigationHold,
    inPlaceHolds: p.inPlaceHolds,
  };
  const mbx = mailboxObject(t, spec, now, random);
  addContent(mbx, p, now);
  // The user's names, which Get-Recipient shows as FirstName/LastName (Entra givenName/surname).
  mbx.FirstName = p.shared ? "" : p.first;
  mbx.LastName = p.shared ? "" : p.last;
  t.exchange.recipients.set(String(mbx.Guid).toLowerCase(), stored(mbx, now));
}

/** A mailbox for a user the directory seed already made (the tenant's admin). */
function addMailboxForUser(t: TenantState, u: Rec, now: number, random: () => number): void {
  const upn = String(u.userPrincipalName);
  const alias = String(u.mailNickname ?? upn.split("@")[0]);
  const emailAddresses = proxyList(upn, []);
  const mbx = mailboxObject(
    t,
    {
      name: alias,
      alias,
      displayName: String(u.displayName ?? alias),
      primarySmtp: upn,
      emailAddresses,
      externalDirectoryObjectId: String(u.id),
      userPrincipalName: upn,
    },
    now,
    random,
  );
  t.exchange.recipients.set(String(mbx.Guid).toLowerCase(), stored(mbx, now));
}

const GB = 1024 ** 3;

/** What the statistics cmdlets show beyond the derived defaults, for the people that trip a check. */
function addContent(mbx: Rec, p: Person, now: number): void {
  if (p.archiveSubstrateHolds)
    mbx[ARCHIVE_CONTENT_KEY] = {
      recoverable: { SubstrateHolds: { items: p.archiveSubstrateHolds, bytes: p.archiveSubstrateHolds * 350_000 } },
    };
  if (p.deletedItemsGb) {
    const bytes = Math.round(p.deletedItemsGb * GB);
    mbx[CONTENT_KEY] = {
      recoverable: {
        Deletions: { items: 41_000, bytes: Math.round(bytes * 0.6) },
        Purges: { items: 12_000, bytes: Math.round(bytes * 0.3) },
        Versions: { items: 2_500, bytes: bytes - Math.round(bytes * 0.6) - Math.round(bytes * 0.3) },
      },
    };
  }
  if (p.recoverableItemsQuotaGb) {
    mbx.RecoverableItemsQuota = exSize(p.recoverableItemsQuotaGb * GB);
    mbx.RecoverableItemsWarningQuota = exSize(p.recoverableItemsQuotaGb * 0.9 * GB);
  }
  if (p.orgRetentionInHoldLog) {
    const since = new Date(now - 200 * 86_400_000).toISOString();
    mbx[HOLD_TRACKING_KEY] = [{ ed: HOLD_NOT_ENDED, hid: SEEDED_ORG_RETENTION_HOLD, ht: 4, lsd: since, osd: since }];
  }
}

/**
 * A target MailUser made from a user that once had a mailbox in the target (licensed before it was mail-enabled
 * for the move): it points at the source and has no ExchangeGuid yet, so staging finishes it, but it keeps the
 * previous mailbox's information until Set-User -PermanentlyClearPreviousMailboxInfo clears it.
 */
function addFormerMailbox(t: TenantState, p: Person, sourceAddress: string, now: number, random: () => number): void {
  const domain = customDomain(t);
  const primary = `${p.alias}@${domain}`;
  const userId = newGuid(random);
  const displayName = `${p.first} ${p.last}`;
  const emailAddresses = proxyList(primary, [`${p.alias}@${t.initialDomain}`]);
  t.directory.users.set(
    userId,
    stored(
      {
        id: userId,
        userPrincipalName: primary,
        displayName,
        givenName: p.first,
        surname: p.last,
        mail: primary,
        mailNickname: p.alias,
        accountEnabled: false,
        proxyAddresses: emailAddresses,
        assignedLicenses: [],
        usageLocation: null,
        userType: "Member",
        createdDateTime: new Date(now - 200 * 86_400_000).toISOString(),
      },
      now,
    ),
  );
  const mu = mailUserObject(
    t,
    {
      name: p.alias,
      alias: p.alias,
      displayName,
      primarySmtp: primary,
      emailAddresses,
      externalDirectoryObjectId: userId,
      userPrincipalName: primary,
      externalEmailAddress: `SMTP:${sourceAddress}`,
    },
    now,
    random,
  );
  const previous: PreviousMailbox = {
    recipientTypeDetails: "UserMailbox",
    exchangeGuid: newGuid(random),
    database: `${forest(t).dc.slice(0, 8)}DG${String(Math.floor(random() * 900) + 100)}-db042`,
  };
  mu[PREVIOUS_MAILBOX_KEY] = previous;
  t.exchange.recipients.set(String(mu.Guid).toLowerCase(), stored(mu, now));
}
