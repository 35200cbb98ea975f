// From the source tenant's bulk listings to one SourceMailbox per planned user: which object each declared
// address names, whether it can move (and if not, why, in words an engineer can act on), and the values the
// target MailUser must carry (Microsoft's prerequisites for target users). Pure: the listings come in as data, so
// every rule is testable without a tenant.

import { x500Addresses, type PlannedUser } from "../staging/plan";
import { exchangeGuidOf as guid } from "../../domain/ids";
import { text as str } from "../../domain/text";

export interface SourceMailbox {
  sourceAddress: string; // as declared (lower-case)
  targetPrimary: string; // from the PlannedUser, so a consumer can join without the plan
  state: "ready" | "blocked" | "moved";
  blockers: string[];
  primarySmtpAddress: string;
  name: string;
  alias: string;
  displayName: string;
  firstName: string;
  lastName: string;
  recipientTypeDetails: string; // UserMailbox | SharedMailbox | MailUser (after the move)
  exchangeGuid: string;
  archiveGuid: string; // "" when the source has no archive
  // "x500:" + LegacyExchangeDN first, then every x500 proxy of the source, deduplicated. The LegacyExchangeDN is not
  // kept on its own as well: the wave's record is in the state twice, and a DN is about 130 bytes a user.
  x500Addresses: string[];
}

/** A Get-Mailbox / Get-Recipient object with the properties we select (absent ones read as undefined). */
export type Listed = Record<string, unknown>;

/**
 * What SourceMailboxes lists of every source recipient: what a target MailUser is stamped from, and the first
 * and last names, which Get-Mailbox does not have (they live on the user); Get-Recipient also finds
 * non-mailboxes. The target's recipients are read for other properties (TARGET_RECIPIENT_SELECT,
 * mailUser/reader.ts): who holds an address there, and what it carries.
 */
export const SOURCE_RECIPIENT_LISTING = [
  "Name",
  "Alias",
  "DisplayName",
  "FirstName",
  "LastName",
  "PrimarySmtpAddress",
  "EmailAddresses",
  "RecipientTypeDetails",
  "ExchangeGuid",
  "ArchiveGuid",
  "LegacyExchangeDN",
];

const MOVABLE = ["UserMailbox", "SharedMailbox"];
/** MailboxMoveStatus values that mean no move request is in the way (a finished one stays readable). */
const NOT_MOVING = ["", "none", "completed", "completedwithwarning"];
/** Microsoft: at most 12 auxiliary archives move (FAQ; CSS validator check 1). */
export const MAX_AUX_ARCHIVES = 12;

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);

/** Every SMTP address of an object, lower-case: the proxies and the primary. */
export function smtpAddresses(o: Listed): string[] {
  const out = list(o.EmailAddresses)
    .filter((p) => /^smtp:/i.test(p))
    .map((p) => p.slice(5).toLowerCase());
  const primary = str(o.PrimarySmtpAddress).toLowerCase();
  if (primary && !out.includes(primary)) out.push(primary);
  return out;
}

export function indexByAddress(objects: Listed[]): Map<string, Listed> {
  const map = new Map<string, Listed>();
  for (const o of objects) for (const a of smtpAddresses(o)) if (!map.has(a)) map.set(a, o);
  return map;
}

/** Why this mailbox cannot move, one readable reason each; empty when it can. */
export function blockersOf(m: Listed): string[] {
  const out: string[] = [];
  const type = str(m.RecipientTypeDetails);
  if (!MOVABLE.includes(type)) {
    out.push(
      `it is a ${type || "recipient of unknown type"}, not a user or shared mailbox (only UserMailbox and SharedMailbox can move cross-tenant)`,
    );
  }
  if (m.LitigationHoldEnabled === true)
    out.push("litigation hold is enabled (LitigationHoldEnabled); release the hold or leave the user out of the wave");
  // A leading "-" marks an exclusion from an organisation-wide policy, which is not a hold.
  const holds = list(m.InPlaceHolds).filter((h) => h !== "" && !h.startsWith("-"));
  if (holds.length > 0)
    out.push(
      `in-place hold ${holds.join(", ")} applies (InPlaceHolds); remove the mailbox from the hold or retention policy first`,
    );
  if (m.ComplianceTagHoldApplied === true)
    out.push("a retention label holds items (ComplianceTagHoldApplied); remove the label's hold first");
  if (m.DelayHoldApplied === true || m.DelayReleaseHoldApplied === true) {
    out.push(
      "a delay hold applies after a removed hold (DelayHoldApplied/DelayReleaseHoldApplied); wait 30 days or clear it with Set-Mailbox -RemoveDelayHoldApplied",
    );
  }
  const aux = list(m.MailboxLocations).filter((l) => /;AuxArchive;/i.test(l)).length;
  if (aux > MAX_AUX_ARCHIVES) out.push(`it has ${aux} auxiliary archives; at most ${MAX_AUX_ARCHIVES} can move`);
  const moving = str(m.MailboxMoveStatus);
  if (!NOT_MOVING.includes(moving.toLowerCase())) {
    const batch = str(m.MailboxMoveBatchName);
    out.push(
      `it is already being moved (MailboxMoveStatus ${moving}${batch ? `, batch ${batch}` : ""}); finish or remove that move first`,
    );
  }
  return out;
}

export interface Listings {
  /** Get-Mailbox, every mailbox of the source. */
  mailboxes: Listed[];
  /** Get-Recipient, every recipient; undefined when it was not needed. */
  recipients?: Listed[];
}

/**
 * Whether the recipient listing is needed: an address no mailbox has, or a first or last name that neither the
 * plan gives nor the last check's record can (see recordedNames). On a wave read before, nothing is: a preview
 * of an unchanged wave lists the mailboxes alone.
 */
export function needsRecipients(
  users: PlannedUser[],
  mailboxIndex: Map<string, Listed>,
  olds: SourceMailbox[] = [],
): boolean {
  const recorded = new Map(olds.map((m) => [m.sourceAddress, m]));
  return users.some((u) => {
    const mbx = mailboxIndex.get(u.sourceAddress);
    if (!mbx) return true;
    if (u.firstName !== undefined && u.lastName !== undefined) return false;
    return recordedNames(u, mbx, recorded.get(u.sourceAddress)) === undefined;
  });
}

/**
 * The first and last names the last check read for this user, while they still stand for the same mailbox:
 * the same ExchangeGuid and, the display name being the source's (not the plan's), the same display name.
 * The names live on the user, not the mailbox, so only Get-Recipient shows them; a rename shows in the display
 * name Get-Mailbox lists, and then the recipients are listed again. A first or last name changed alone is
 * read the next time the listing is (a new user in the wave, a finished move).
 */
function recordedNames(
  u: PlannedUser,
  mbx: Listed,
  old: SourceMailbox | undefined,
): { firstName: string; lastName: string } | undefined {
  if (!old || u.displayName !== undefined || old.exchangeGuid === "" || old.exchangeGuid !== guid(mbx.ExchangeGuid))
    return undefined;
  if (old.displayName !== str(mbx.DisplayName)) return undefined;
  return { firstName: old.firstName, lastName: old.lastName };
}

/**
 * One SourceMailbox per user, in order. `olds` are the SourceMailboxes recorded by the last check: a user whose
 * source is now a MailUser (the move completed) keeps its recorded values, so nothing downstream changes.
 * `sameMailbox` lists users that name a mailbox another user already names (a check failure for the caller).
 */
export function assess(
  users: PlannedUser[],
  listings: Listings,
  olds: SourceMailbox[],
): { mailboxes: SourceMailbox[]; sameMailbox: { index: number; first: number; name: string }[] } {
  const byMailbox = indexByAddress(listings.mailboxes);
  const byRecipient = indexByAddress(listings.recipients ?? []);
  const recorded = new Map(olds.map((m) => [m.sourceAddress, m]));
  const seen = new Map<Listed, number>();
  const sameMailbox: { index: number; first: number; name: string }[] = [];
  const mailboxes = users.map((u, i): SourceMailbox => {
    const mbx = byMailbox.get(u.sourceAddress);
    const rcp = byRecipient.get(u.sourceAddress);
    const obj = mbx ?? rcp;
    if (mbx) {
      const first = seen.get(mbx);
      if (first !== undefined) sameMailbox.push({ index: i, first, name: str(mbx.Name) });
      else seen.set(mbx, i);
    }
    if (!obj)
      return {
        ...empty(u),
        state: "blocked",
        blockers: [`not found: no recipient in the source tenant has the address ${u.sourceAddress}`],
      };
    if (!mbx && str(obj.RecipientTypeDetails) === "MailUser" && guid(obj.ExchangeGuid) !== "") {
      // The source mailbox became a MailUser: the move completed. Keep what was stamped from the mailbox.
      const old = recorded.get(u.sourceAddress);
      if (old && old.exchangeGuid === guid(obj.ExchangeGuid))
        return { ...old, targetPrimary: u.targetPrimary, state: "moved", blockers: [] };
      return { ...values(u, obj, rcp), state: "moved", blockers: [] };
    }
    const blockers = blockersOf(obj);
    // Without the recipient listing (nothing needed it), the names come from the last check's record.
    const names =
      listings.recipients === undefined && mbx ? recordedNames(u, mbx, recorded.get(u.sourceAddress)) : undefined;
    return { ...values(u, obj, rcp, names), state: blockers.length > 0 ? "blocked" : "ready", blockers };
  });
  return { mailboxes, sameMailbox };
}

function empty(u: PlannedUser): Omit<SourceMailbox, "state" | "blockers"> {
  return {
    sourceAddress: u.sourceAddress,
    targetPrimary: u.targetPrimary,
    primarySmtpAddress: "",
    name: "",
    alias: "",
    displayName: u.displayName ?? "",
    firstName: u.firstName ?? "",
    lastName: u.lastName ?? "",
    recipientTypeDetails: "",
    exchangeGuid: "",
    archiveGuid: "",
    x500Addresses: [],
  };
}

/** The source's values; names declared in the plan win over the source's. */
function values(
  u: PlannedUser,
  o: Listed,
  rcp: Listed | undefined,
  recordedNames?: { firstName: string; lastName: string },
): Omit<SourceMailbox, "state" | "blockers"> {
  const dn = str(o.LegacyExchangeDN) || str(rcp?.LegacyExchangeDN);
  return {
    sourceAddress: u.sourceAddress,
    targetPrimary: u.targetPrimary,
    primarySmtpAddress: str(o.PrimarySmtpAddress).toLowerCase(),
    name: str(o.Name),
    alias: str(o.Alias),
    displayName: u.displayName ?? (str(o.DisplayName) || str(rcp?.DisplayName)),
    firstName: u.firstName ?? (rcp ? str(rcp.FirstName) : (recordedNames?.firstName ?? "")),
    lastName: u.lastName ?? (rcp ? str(rcp.LastName) : (recordedNames?.lastName ?? "")),
    recipientTypeDetails: str(o.RecipientTypeDetails),
    exchangeGuid: guid(o.ExchangeGuid),
    archiveGuid: guid(o.ArchiveGuid),
    x500Addresses: x500Addresses(dn, list(o.EmailAddresses)),
  };
}

export function summaryOf(mailboxes: SourceMailbox[]): { ready: number; blocked: number; moved: number } {
  const count = (s: SourceMailbox["state"]) => mailboxes.filter((m) => m.state === s).length;
  return { ready: count("ready"), blocked: count("blocked"), moved: count("moved") };
}
