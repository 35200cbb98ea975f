// The staging plan of a migration wave, as pure functions: from what the engineer declared (a source address
// and optional target values) to the full target identity of every user, and the offline checks a wave must
// pass before any tenant is called. Shared by the program (config/waves.ts, whose failures name the stack key
// or the CSV line) and by the SourceMailboxes provider's check (whose failures name `users[i].<field>`): each
// caller says how a place is named (Places), so no caller parses a failure's property back.
// No I/O and no Pulumi here, so every rule is covered by table-driven unit tests.

import { addressProblem, aliasProblem, domainOf, domainProblem, localPartOf } from "../../domain/addresses";

/** Microsoft: "Don't exceed 2,000 mailboxes per batch" (Microsoft's cross-tenant mailbox migration guide). */
export const BATCH_LIMIT = 2000;

/** One migrating mailbox as the engineer declared it, after domain mapping (all addresses lower-case). */
export interface PlannedUser {
  sourceAddress: string; // an SMTP address of the source mailbox
  targetPrimary: string; // primary SMTP in a target-owned domain
  userPrincipalName: string; // default targetPrimary
  alias: string; // default local part of targetPrimary
  displayName?: string;
  firstName?: string;
  lastName?: string; // default: copied from the source at check
}

export interface DeclaredUser {
  source: string;
  targetPrimary?: string;
  upn?: string;
  alias?: string;
  displayName?: string;
  firstName?: string;
  lastName?: string;
}

export interface Failure {
  property: string;
  reason: string;
}

/** How failures name a user's field (the user by its index in the list given) and the list itself. */
export interface Places {
  user(index: number, field: string): string;
  list: string;
}

/** A provider's inputs: `users[3].alias`, `users`. */
export const INPUT_PLACES: Places = { user: (i, field) => `users[${i}].${field}`, list: "users" };

/**
 * The x500 proxies a target MailUser needs: `x500:` + the source LegacyExchangeDN first, then
 * every x500 proxy of the source, deduplicated case-insensitively. All carry the lower-case `x500:` prefix (a
 * secondary proxy); the source's EmailAddresses may spell it `X500:`.
 */
export function x500Addresses(legacyExchangeDN: string, emailAddresses: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (dn: string) => {
    const value = dn.trim();
    if (value === "" || seen.has(value.toLowerCase())) return;
    seen.add(value.toLowerCase());
    out.push(`x500:${value}`);
  };
  if (legacyExchangeDN) add(legacyExchangeDN);
  for (const proxy of emailAddresses) {
    if (/^x500:/i.test(proxy)) add(proxy.slice(5));
  }
  return out;
}

const clean = (v: string | undefined): string | undefined =>
  typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;

/**
 * Fills targetPrimary/upn/alias from the domain map; failures name e.g. `users[3].targetPrimary` and the fix.
 * A declaration that fails is left out of `users`; `origin` holds the index in `declared` of each planned user.
 */
export function planUsers(
  declared: DeclaredUser[],
  domainMap: Record<string, string>,
  places: Places = INPUT_PLACES,
): { users: PlannedUser[]; failures: Failure[]; origin: number[] } {
  const map = new Map(
    Object.entries(domainMap ?? {}).map(([from, to]) => [from.trim().toLowerCase(), String(to).trim().toLowerCase()]),
  );
  const users: PlannedUser[] = [];
  const failures: Failure[] = [];
  const origin: number[] = [];
  (declared ?? []).forEach((d, i) => {
    const source = clean(d?.source)?.toLowerCase();
    if (!source) {
      failures.push({
        property: places.user(i, "source"),
        reason: "is missing; give the source mailbox's SMTP address",
      });
      return;
    }
    // A malformed source is the problem to name, not the target address that cannot be derived from it.
    const sourceWhy = addressProblem(source);
    if (sourceWhy) {
      failures.push({ property: places.user(i, "source"), reason: sourceWhy });
      return;
    }
    let targetPrimary = clean(d.targetPrimary)?.toLowerCase();
    if (!targetPrimary) {
      const sourceDomain = source.includes("@") ? domainOf(source) : "";
      const mapped = map.get(sourceDomain);
      if (!mapped) {
        const known = [...map.keys()];
        failures.push({
          property: places.user(i, "targetPrimary"),
          reason:
            `is not given and domainMap has no entry for the source domain ${JSON.stringify(sourceDomain)} of ${source}` +
            (known.length ? ` (mapped: ${known.join(", ")})` : " (domainMap is empty)") +
            `; give targetPrimary or add "${sourceDomain || "<source domain>"}: <target domain>" to domainMap`,
        });
        return;
      }
      targetPrimary = `${source.includes("@") ? localPartOf(source) : source}@${mapped}`;
    }
    const user: PlannedUser = {
      sourceAddress: source,
      targetPrimary,
      userPrincipalName: clean(d.upn)?.toLowerCase() ?? targetPrimary,
      alias: clean(d.alias) ?? (targetPrimary.includes("@") ? localPartOf(targetPrimary) : targetPrimary),
    };
    for (const key of ["displayName", "firstName", "lastName"] as const) {
      const v = clean(d[key]);
      if (v !== undefined) user[key] = v;
    }
    users.push(user);
    origin.push(i);
  });
  return { users, failures, origin };
}

/**
 * A wave as the stack declares it: planUsers, then the checks of validateWave on the users it planned (the
 * target-wide settings are the caller's, see validateTarget). `place` names a planned user's field the way
 * `places` names its declaration.
 */
export function planWave(
  declared: DeclaredUser[],
  opts: { domainMap: Record<string, string>; targetDomains: string[]; targetDeliveryDomain: string; maxUsers?: number },
  places: Places,
): { users: PlannedUser[]; failures: Failure[]; place: (index: number, field: string) => string } {
  const { users, failures, origin } = planUsers(declared, opts.domainMap, places);
  const place = (j: number, field: string) => places.user(origin[j], field);
  const target = targetOf(opts);
  failures.push(...sizeFailures(users.length, opts.maxUsers, places.list), ...userFailures(users, target, place));
  return { users, failures, place };
}

/**
 * Why a wave of `count` users is too big. Microsoft's limit is per batch; a wave that may be moved in several
 * batches says so (the stack key `waves.<wave>.split`, the SourceMailboxes input `maxUsers`).
 */
export function tooManyUsers(count: number, max = BATCH_LIMIT): string {
  if (max !== BATCH_LIMIT) return `has ${count} users, more than the ${max} this wave allows (maxUsers)`;
  return (
    `has ${count} users; Microsoft allows at most ${BATCH_LIMIT} mailboxes per migration batch, so split the wave ` +
    `into waves of at most ${BATCH_LIMIT} users, or let this wave move in several batches of at most ${BATCH_LIMIT} (split: true)`
  );
}

/** Offline checks: malformed addresses, duplicates (source, targetPrimary, upn, alias), a target domain not in
 *  targetDomains, more than `maxUsers` users (default BATCH_LIMIT, one batch; 0 = no limit, for a wave that is
 *  moved in several batches). */
export function validateWave(
  users: PlannedUser[],
  opts: { targetDomains: string[]; targetDeliveryDomain: string; maxUsers?: number },
  places: Places = INPUT_PLACES,
): Failure[] {
  if (!Array.isArray(users)) return [{ property: places.list, reason: "must be a list of planned users" }];
  const target = targetOf(opts);
  return [
    ...sizeFailures(users.length, opts.maxUsers, places.list),
    ...target.failures,
    ...userFailures(users, target, places.user),
  ];
}

/** The target-wide settings alone (targetDomains, targetDeliveryDomain): what a stack checks once for all waves. */
export function validateTarget(opts: { targetDomains: string[]; targetDeliveryDomain: string }): Failure[] {
  return targetOf(opts).failures;
}

interface Target {
  /** The valid target domains, lower-case. */
  owned: Set<string>;
  delivery: string;
  failures: Failure[];
}

function targetOf(opts: { targetDomains: string[]; targetDeliveryDomain: string }): Target {
  const failures: Failure[] = [];
  const owned = new Set<string>();
  (opts.targetDomains ?? []).forEach((d, i) => {
    const why = domainProblem(d);
    if (why) failures.push({ property: `targetDomains[${i}]`, reason: why });
    else owned.add(d.toLowerCase());
  });
  if (owned.size === 0 && failures.length === 0) {
    failures.push({
      property: "targetDomains",
      reason: "is empty; list the target tenant's accepted domains that primary addresses may use",
    });
  }
  const delivery = String(opts.targetDeliveryDomain ?? "").toLowerCase();
  const deliveryWhy = domainProblem(delivery);
  if (deliveryWhy) failures.push({ property: "targetDeliveryDomain", reason: deliveryWhy });
  return { owned, delivery, failures };
}

function sizeFailures(count: number, maxUsers: number | undefined, list: string): Failure[] {
  const max = maxUsers ?? BATCH_LIMIT;
  return max > 0 && count > max ? [{ property: list, reason: tooManyUsers(count, max) }] : [];
}

function userFailures(users: PlannedUser[], { owned, delivery }: Target, place: Places["user"]): Failure[] {
  const failures: Failure[] = [];
  const firstSeen = {
    sourceAddress: new Map<string, number>(),
    targetPrimary: new Map<string, number>(),
    userPrincipalName: new Map<string, number>(),
    alias: new Map<string, number>(),
  };
  users.forEach((u, i) => {
    const fieldOk: Record<string, boolean> = {};
    for (const field of ["sourceAddress", "targetPrimary", "userPrincipalName"] as const) {
      const why = addressProblem(u?.[field]);
      if (why) failures.push({ property: place(i, field), reason: why });
      fieldOk[field] = !why;
    }
    const aliasWhy = aliasProblem(u?.alias);
    if (aliasWhy) failures.push({ property: place(i, "alias"), reason: aliasWhy });
    fieldOk.alias = !aliasWhy;
    if (fieldOk.sourceAddress && owned.has(domainOf(u.sourceAddress))) {
      failures.push({
        property: place(i, "sourceAddress"),
        reason: `${u.sourceAddress} is in ${domainOf(u.sourceAddress)}, a target domain; Microsoft requires source and target domains to differ, so give the source mailbox's address in a source domain`,
      });
    }
    if (fieldOk.targetPrimary && owned.size > 0 && !owned.has(domainOf(u.targetPrimary))) {
      failures.push({
        property: place(i, "targetPrimary"),
        reason: `${u.targetPrimary} is in ${domainOf(u.targetPrimary)}, which is not a target domain (targetDomains: ${[...owned].join(", ")}); use a target domain or add it to targetDomains`,
      });
    }
    // The UPN may also use the delivery domain (the tenant's initial onmicrosoft.com domain, always verified).
    if (
      fieldOk.userPrincipalName &&
      owned.size > 0 &&
      !owned.has(domainOf(u.userPrincipalName)) &&
      domainOf(u.userPrincipalName) !== delivery
    ) {
      failures.push({
        property: place(i, "userPrincipalName"),
        reason: `${u.userPrincipalName} is in ${domainOf(u.userPrincipalName)}, which is neither a target domain (${[...owned].join(", ")}) nor the delivery domain ${delivery}; use one of them`,
      });
    }
    for (const field of ["sourceAddress", "targetPrimary", "userPrincipalName", "alias"] as const) {
      if (!fieldOk[field]) continue;
      const key = u[field].toLowerCase();
      const first = firstSeen[field].get(key);
      if (first === undefined) firstSeen[field].set(key, i);
      else {
        failures.push({
          property: place(i, field),
          reason: `${JSON.stringify(u[field])} is also ${place(first, field)}; each ${field === "sourceAddress" ? "source mailbox may appear once" : `${field} must be unique`} in a wave, so remove or change one`,
        });
      }
    }
  });
  return failures;
}
