// MailUser inputs and outputs, the offline checks, and the diff: which changes re-stage the user
// (replace), which converge in place with one Set-MailUser, and which are recorded only.

import type * as pulumi from "@pulumi/pulumi";
import { isUnknown, log, type Props } from "../context";
import { GUID, ZERO_GUID } from "../../domain/ids";
import { aliasProblem, domainOf, exactAddressProblem } from "../../domain/addresses";
import { lower } from "../../domain/text";

export interface Inputs extends Props {
  sourceAddress: string;
  targetPrimary: string;
  userPrincipalName: string;
  alias: string;
  name: string;
  displayName: string;
  firstName: string;
  lastName: string;
  /** The source mailbox's primary address: where mail goes until the move. */
  externalEmailAddress: string;
  exchangeGuid: string;
  /** "" when the source has no archive. */
  archiveGuid: string;
  x500Addresses: string[];
  /** `<alias>@<targetDeliveryDomain>`: the proxy MRS matches against the batch's TargetDeliveryDomain. */
  deliveryAddress: string;
  sharedMailbox: boolean;
  /** Non-empty: the user is HELD (its source cannot move); nothing is written for it. */
  blockers: string[];
  purgeOnDelete: boolean;
}

/**
 * Outputs: the inputs as requested, except the three stamped values, which say what the object carries
 * (so a missing x500 or a wrong ExchangeGuid is a diff against the inputs).
 */
export interface Outputs extends Inputs {
  /** Exchange's Guid of the object ("" while held); every later call names the object by it. */
  identity: string;
  externalDirectoryObjectId: string;
  recipientTypeDetails: string;
  /** The object's x500 proxies (exchangeGuid/archiveGuid likewise: as found; "" for none). */
  x500Addresses: string[];
  /** The object's SMTP proxies (primary first, as "SMTP:"/"smtp:"). */
  emailAddresses: string[];
  staged: boolean;
  held: boolean;
  /** The object became a mailbox: the move completed. Never changed or deleted again. */
  migrated: boolean;
  /** The object existed before this stack; destroy leaves it. */
  adopted: boolean;
  /** The generated password (secret output); null when this stack did not set it. */
  password: string | null;
}

/** The inputs the wave's plan decides: known at preview even while the source read is not. */
export const PLANNED_VALUES = [
  "sourceAddress",
  "targetPrimary",
  "userPrincipalName",
  "alias",
  "name",
  "deliveryAddress",
  "purgeOnDelete",
] as const;

/** The inputs that come from the source mailbox. */
export const SOURCE_VALUES = [
  "displayName",
  "firstName",
  "lastName",
  "externalEmailAddress",
  "exchangeGuid",
  "archiveGuid",
  "x500Addresses",
  "sharedMailbox",
  "blockers",
] as const;

export const INPUTS = [...PLANNED_VALUES, ...SOURCE_VALUES] as const;

export const isHeld = (i: { blockers?: unknown }): boolean => Array.isArray(i.blockers) && i.blockers.length > 0;
/** A GUID as found on an object: "" for none (Exchange shows the zero GUID). */
export const guidOrEmpty = (v: unknown): string =>
  typeof v === "string" && GUID.test(v) && v !== ZERO_GUID ? v.toLowerCase() : "";

export function checkInputs(news: Props): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const known = (k: string) => news[k] !== undefined && !isUnknown(news[k]);
  const held = isHeld(news);
  // A held user may come from a source that was not found: only its target address must be sound.
  const skip = (k: string) =>
    isUnknown(news[k]) || (held && k !== "targetPrimary" && (news[k] === "" || news[k] === undefined));
  const addressOk: Record<string, boolean> = {};
  for (const k of ["sourceAddress", "targetPrimary", "userPrincipalName", "externalEmailAddress", "deliveryAddress"]) {
    const why = skip(k) ? undefined : exactAddressProblem(news[k]);
    if (why) fail(k, why);
    addressOk[k] = !skip(k) && !why;
  }
  const aliasWhy = skip("alias") ? undefined : aliasProblem(news.alias);
  if (aliasWhy) fail("alias", aliasWhy);
  if (!skip("name") && (typeof news.name !== "string" || news.name.trim() === "" || news.name.length > 64)) {
    fail("name", "must be a non-empty object name of at most 64 characters (Exchange's limit for Name)");
  }
  if (
    !skip("displayName") &&
    (typeof news.displayName !== "string" || news.displayName.trim() === "" || news.displayName.length > 256)
  ) {
    fail("displayName", "must be a non-empty display name of at most 256 characters");
  }
  for (const k of ["firstName", "lastName"])
    if (known(k) && typeof news[k] !== "string") fail(k, 'must be a string ("" when the source has none)');
  if (
    !skip("exchangeGuid") &&
    !(typeof news.exchangeGuid === "string" && GUID.test(news.exchangeGuid) && news.exchangeGuid !== ZERO_GUID)
  ) {
    fail(
      "exchangeGuid",
      `must be the source mailbox's ExchangeGuid (a non-zero GUID), not ${JSON.stringify(news.exchangeGuid ?? null)}; the move cannot proceed without it`,
    );
  }
  if (
    known("archiveGuid") &&
    !(news.archiveGuid === "" || (typeof news.archiveGuid === "string" && GUID.test(news.archiveGuid)))
  ) {
    fail(
      "archiveGuid",
      `must be the source archive's GUID, or "" when the source has no archive; not ${JSON.stringify(news.archiveGuid)}`,
    );
  }
  if (!isUnknown(news.x500Addresses)) {
    const list = news.x500Addresses;
    if (!Array.isArray(list)) fail("x500Addresses", 'must be a list of x500 proxy addresses ("x500:/o=...")');
    else {
      // Only x500 proxies: Microsoft forbids SMTP proxies in domains the target does not own.
      const bad = list.filter((x) => !isUnknown(x) && (typeof x !== "string" || !/^x500:\/.+/i.test(x)));
      if (bad.length)
        fail(
          "x500Addresses",
          `every entry must be an x500 proxy ("x500:/o=..."); not ${bad
            .slice(0, 3)
            .map((b) => JSON.stringify(b))
            .join(", ")}`,
        );
      else if (list.length === 0 && !held)
        fail(
          "x500Addresses",
          'must hold at least "x500:" + the source LegacyExchangeDN (Microsoft: the move does not proceed without it)',
        );
    }
  }
  if (
    known("blockers") &&
    !(Array.isArray(news.blockers) && news.blockers.every((b) => typeof b === "string" || isUnknown(b)))
  ) {
    fail("blockers", "must be a list of reasons (empty when the source mailbox can move)");
  }
  for (const k of ["sharedMailbox", "purgeOnDelete"])
    if (known(k) && typeof news[k] !== "boolean") fail(k, "must be true or false");
  if (
    !held &&
    addressOk.targetPrimary &&
    addressOk.externalEmailAddress &&
    domainOf(news.targetPrimary as string) === domainOf(news.externalEmailAddress as string)
  ) {
    fail(
      "targetPrimary",
      "is in the same domain as externalEmailAddress (the source mailbox); the source and target domains must differ",
    );
  }
  for (const key of Object.keys(news)) {
    if (!(INPUTS as readonly string[]).includes(key))
      fail(key, `is not an input of MailUser (inputs: ${INPUTS.join(", ")}); remove it`);
  }
  return failures;
}

/**
 * Names converge in place (Set-MailUser -Alias/-Name/-WindowsEmailAddress, Graph PATCH for the UPN and the
 * given/surname): replacing a staged user would collide with its own soft-deleted predecessor, which keeps
 * the addresses for 30 days unless purged.
 */
const RENAMES = [
  "targetPrimary",
  "userPrincipalName",
  "alias",
  "name",
  "firstName",
  "lastName",
  "displayName",
  "externalEmailAddress",
] as const;
const RECORDED = ["sourceAddress", "sharedMailbox", "purgeOnDelete"] as const;

export function diffMailUser(olds: Outputs, news: Inputs): pulumi.dynamic.DiffResult {
  const who = `MailUser ${olds.targetPrimary}`;
  if (olds.held) {
    // The user is staged now: a new object (the held record had none), so a replacement.
    if (Array.isArray(news.blockers) && news.blockers.length === 0)
      return { changes: true, replaces: ["blockers"], deleteBeforeReplace: true };
    return { changes: INPUTS.some((k) => changed(olds[k], news[k])), replaces: [] };
  }
  if (olds.migrated) {
    // The object holds the user's mail now: nothing about it is ever changed or replaced by this stack.
    if (RENAMES.some((k) => changed(olds[k], news[k])))
      log.warn(`${who} has moved (it is a ${olds.recipientTypeDetails} now); input changes are ignored.`);
    return { changes: false };
  }
  if (isHeld(news))
    log.warn(
      `${who} is staged, but its source now cannot move (${news.blockers.join("; ")}); it stays staged. Remove the user from the wave to unstage it.`,
    );
  const drift = stampDrift(olds, news).length > 0;
  const other = [...RENAMES, ...RECORDED].some((k) => changed(olds[k], news[k]));
  return drift || other ? { changes: true, replaces: [] } : { changes: false };
}

/** What the object lacks of the stamp the inputs ask for (empty when converged). */
export function stampDrift(
  found: Pick<Outputs, "exchangeGuid" | "archiveGuid" | "x500Addresses" | "emailAddresses">,
  wanted: Inputs,
): string[] {
  const out: string[] = [];
  if (isUnknown(wanted.exchangeGuid) || lower(found.exchangeGuid) !== lower(wanted.exchangeGuid))
    out.push("exchangeGuid");
  if (isUnknown(wanted.archiveGuid) || (wanted.archiveGuid && lower(found.archiveGuid) !== lower(wanted.archiveGuid)))
    out.push("archiveGuid");
  if (missingX500(found.x500Addresses, wanted.x500Addresses).length) out.push("x500Addresses");
  const smtp = new Set((found.emailAddresses ?? []).map((p) => lower(p.replace(/^smtp:/i, ""))));
  if (isUnknown(wanted.deliveryAddress) || !smtp.has(lower(wanted.deliveryAddress))) out.push("deliveryAddress");
  return out;
}

/**
 * The inputs as the object now carries the stamp, for read to hand the engine when a refresh finds less of it
 * than the last read did (an x500 gone, another ExchangeGuid or ArchiveGuid, the delivery address gone), so the
 * change plan names what the up puts back: the other inputs as recorded (the outputs echo them), the GUIDs as
 * found, `x500Addresses` as the x500s read last time that are still there, `deliveryAddress` "" when missing.
 * Read gets no inputs, so the x500s asked for are those of the last read (after an up they carry them all);
 * x500s someone added meanwhile are not listed, as the up leaves them. Undefined when nothing went missing.
 */
export function observedInputs(prior: Outputs, now: Outputs): Inputs | undefined {
  const has = new Set((now.x500Addresses ?? []).map(lower));
  const kept = (prior.x500Addresses ?? []).filter((x) => has.has(lower(x)));
  const smtp = new Set((now.emailAddresses ?? []).map((p) => lower(p.replace(/^smtp:/i, ""))));
  const delivery = smtp.has(lower(now.deliveryAddress));
  const gone =
    kept.length < (prior.x500Addresses ?? []).length ||
    lower(prior.exchangeGuid) !== lower(now.exchangeGuid) ||
    lower(prior.archiveGuid) !== lower(now.archiveGuid) ||
    !delivery;
  if (!gone) return undefined;
  const inputs = Object.fromEntries(INPUTS.filter((k) => now[k] !== undefined).map((k) => [k, now[k]])) as Inputs;
  return { ...inputs, x500Addresses: kept, ...(delivery ? {} : { deliveryAddress: "" }) };
}

export function missingX500(found: string[] | undefined, wanted: unknown): string[] {
  if (isUnknown(wanted) || !Array.isArray(wanted)) return ["?"];
  const have = new Set((found ?? []).map(lower));
  const seen = new Set<string>();
  return (wanted as string[]).filter((x) => {
    const k = lower(x);
    if (have.has(k) || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function changed(a: unknown, b: unknown): boolean {
  if (isUnknown(b)) return true;
  return JSON.stringify(a ?? null) !== JSON.stringify(b ?? null);
}
