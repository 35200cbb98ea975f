// Whole-tenant listings that more than one resource reads in the same CLI command: every wave's
// SourceMailboxes lists the source's mailboxes and recipients, and every wave's Readiness the mailboxes again.
// Each listing is a page per 1,000 objects, so a no-op preview of five waves paid for the same pages up to ten
// times. The provider host lives for one command, and nothing a stack does in that command changes what these
// listings hold (staging writes to the target; the source only gets the relationship and the scope group's
// members, which are read by other cmdlets), so a later reader takes the first one's answer while it is young
// enough. Reads a command's writes can change are shared too, but only until this process writes to their
// tenant (`sharedRead` with `untilWrite`). `XTMM_READ_LISTING_MAX_AGE_MS` is how young (default 10
// minutes; 0 reads every time, which is what a process that outlives one command must use).

import type { TenantClient } from "./index";
import { envNumber, nonNegative } from "./env";
import { writesSoFar } from "./writeClock";

interface Held {
  at: number;
  /** The tenant's write count when it was asked for (tenant/writeClock.ts); kept only while it stays so. */
  writes?: number;
  value: Promise<unknown[]>;
}

const held = new WeakMap<TenantClient, Map<string, Held>>();

export function listingMaxAgeMs(): number {
  return envNumber("XTMM_READ_LISTING_MAX_AGE_MS", 600_000, nonNegative);
}

/**
 * `cmdlet -ResultSize Unlimited` with `select`, answered once per client while the answer is younger than the
 * maximum age. Callers that share a listing must ask for the same properties (see SOURCE_MAILBOX_LISTING); a
 * different select is a different listing. A failed listing is forgotten, so the next caller tries again.
 */
export function sharedListing<T>(
  client: TenantClient,
  cmdlet: string,
  select: readonly string[],
  now: () => number = Date.now,
): Promise<T[]> {
  return sharedRead<T>(client, cmdlet, { ResultSize: "Unlimited" }, select, { untilWrite: false, now });
}

/**
 * A read several resources of one command make alike (each wave's Readiness reads the same relationships,
 * scope group members, migration endpoint and MailUsers): answered once while it is young enough and, with
 * `untilWrite`, while this process has sent its tenant no write since it was asked for. The same cmdlet with
 * other parameters or another select is another read.
 */
export function sharedRead<T>(
  client: TenantClient,
  cmdlet: string,
  params: Record<string, unknown>,
  select: readonly string[],
  opts: { untilWrite: boolean; now?: () => number },
): Promise<T[]> {
  const now = opts.now ?? Date.now;
  const maxAge = listingMaxAgeMs();
  const read = () => client.exchange.invoke<T>(cmdlet, params, { select: [...select] }).then((r) => r.value);
  if (maxAge === 0) return read();
  let byKey = held.get(client);
  if (!byKey) held.set(client, (byKey = new Map()));
  const key = `${cmdlet}|${JSON.stringify(sortedKeys(params))}|${[...select].sort().join(",")}`;
  const tenant = client.settings?.tenantId ?? "";
  const writes = opts.untilWrite ? writesSoFar(tenant) : undefined;
  const hit = byKey.get(key);
  if (hit && now() - hit.at <= maxAge && hit.writes === writes) return hit.value as Promise<T[]>;
  const entry: Held = { at: now(), writes, value: read() };
  byKey.set(key, entry);
  entry.value.catch(() => {
    if (byKey.get(key) === entry) byKey.delete(key);
  });
  return entry.value as Promise<T[]>;
}

const sortedKeys = (params: Record<string, unknown>) =>
  Object.fromEntries(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );

/**
 * The source mailboxes' properties SourceMailboxes (what to stamp, what blocks a move) and Readiness (the
 * validator's checks) need between them: one select, so both take the same listing.
 */
export const SOURCE_MAILBOX_LISTING = [
  "Name",
  "Alias",
  "Guid",
  "DisplayName",
  "ExternalDirectoryObjectId",
  "UserPrincipalName",
  "PrimarySmtpAddress",
  "EmailAddresses",
  "RecipientTypeDetails",
  "ExchangeGuid",
  "ArchiveGuid",
  "LegacyExchangeDN",
  "MailboxLocations",
  "LitigationHoldEnabled",
  "InPlaceHolds",
  "DelayHoldApplied",
  "DelayReleaseHoldApplied",
  "ComplianceTagHoldApplied",
  "PersistedCapabilities",
  "RecoverableItemsQuota",
  "MailboxMoveStatus",
  "MailboxMoveBatchName",
] as const;
