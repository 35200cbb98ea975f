// Coalesced recipient reads. The engine calls `read` (refresh), `create` and `delete` of independent
// resources concurrently in one provider-host process, so a 2,000-user wave would otherwise cost 2,000
// lookups. Requests are gathered per tenant client in a window (closed after 25 ms without a new request,
// at most 1 s after it opened) and answered together: a few keys by identity, many keys by ONE paged
// listing of the recipient types a staged user can be. Nothing is cached between windows for create and
// delete: a request made after a window closed (or while its fetch runs) waits for the next window and its
// fresh calls. Refresh is the exception (`forRefresh`): the real engine hands a large stack's reads over a few
// at a time, between its checkpoint writes, so windows stay small and a refresh of 2,000 MailUsers cost
// hundreds of lookups; after the first READS_BEFORE_LISTING reads, one listing answers the rest of the
// refresh, for as long as it is not older than `XTMM_READ_LISTING_MAX_AGE_MS` (default 10 minutes, the
// provider host lives for one CLI command; 0 turns it off).

import type { TenantClient } from "../tenant";
import { kindOf, message } from "../exchangeFailure";
import { listingMaxAgeMs } from "../tenant/sharedListing";
import { envNumber, nonNegative } from "../tenant/env";

/** A recipient as Get-Recipient reports it, reduced to what staging needs. */
export interface Recipient {
  Guid: string;
  Name: string;
  Alias: string;
  DisplayName?: string;
  PrimarySmtpAddress: string;
  EmailAddresses?: string[];
  RecipientType: string;
  RecipientTypeDetails: string;
  ExchangeGuid?: string;
  ArchiveGuid?: string;
  ExternalDirectoryObjectId?: string;
  ExternalEmailAddress?: string | null;
  LegacyExchangeDN?: string;
  WhenSoftDeleted?: string | null;
  IsSoftDeletedByRemove?: boolean;
  LitigationHoldEnabled?: boolean;
}

/**
 * The Recipient fields above, read of target recipients: the keys an object holds, whether it is soft-deleted,
 * and the stamp it carries. The source's recipients are listed for what a MailUser is stamped from instead
 * (SOURCE_RECIPIENT_LISTING, sourceMailboxes/assess.ts).
 */
const TARGET_RECIPIENT_SELECT = [
  "Guid",
  "Name",
  "Alias",
  "DisplayName",
  "PrimarySmtpAddress",
  "EmailAddresses",
  "RecipientType",
  "RecipientTypeDetails",
  "ExchangeGuid",
  "ArchiveGuid",
  "ExternalDirectoryObjectId",
  "ExternalEmailAddress",
  "LegacyExchangeDN",
  "WhenSoftDeleted",
  "IsSoftDeletedByRemove",
  "LitigationHoldEnabled",
];

/** What a staged user is before the move (MailUser) and after it (a user or shared mailbox). */
const LISTED_TYPES = ["MailUser", "UserMailbox", "SharedMailbox"];
/** Up to this many distinct keys in a window are looked up one by one; more are answered by one listing. */
export const ONE_BY_ONE_LIMIT = 4;
/** Refresh reads one by one until this many came in; then a listing, which answers the ones after it. */
export const READS_BEFORE_LISTING = 20;

export const isSoftDeleted = (r: Recipient): boolean => !!r.WhenSoftDeleted || r.IsSoftDeletedByRemove === true;
export const isMailbox = (r: Recipient): boolean => r.RecipientType === "UserMailbox";

/** The keys a recipient HOLDS (unique in a tenant): not its display name, which any number may share. */
export function heldKeys(r: Recipient): string[] {
  const out = [r.Guid, r.Name, r.Alias, r.PrimarySmtpAddress, r.ExternalDirectoryObjectId];
  for (const p of r.EmailAddresses ?? []) {
    const m = /^smtp:(.+)$/i.exec(p);
    if (m) out.push(m[1]);
  }
  return out.filter((k): k is string => typeof k === "string" && k !== "").map((k) => k.toLowerCase());
}

export function holds(r: Recipient, key: string): boolean {
  return heldKeys(r).includes(key.toLowerCase());
}

interface Request {
  keys: string[];
  /** A refresh read that would rather wait for a listing (see forRefresh). */
  list?: boolean;
  resolve: (found: Recipient[]) => void;
  reject: (e: unknown) => void;
}

const envMs = (name: string, fallback: number): number => envNumber(name, fallback, nonNegative);

/**
 * A window closes when no request came for `quietMs`, or `maxWaitMs` after it opened: the engine's calls
 * trickle in over seconds for a big stack, so a fixed short window would make one listing per trickle.
 * `XTMM_READ_COALESCE_MS` / `XTMM_READ_COALESCE_MAX_MS` tune them (tests).
 */
export function coalesceWindow(): { quietMs: number; maxWaitMs: number; listingMaxAgeMs: number } {
  const quietMs = envMs("XTMM_READ_COALESCE_MS", 25);
  return {
    quietMs,
    maxWaitMs: Math.max(quietMs, envMs("XTMM_READ_COALESCE_MAX_MS", 1000)),
    listingMaxAgeMs: listingMaxAgeMs(),
  };
}

export class RecipientReader {
  private pending: Request[] = [];
  private timer?: NodeJS.Timeout;
  private openedAt = 0;
  private fetching = false;
  private refreshReads = 0;
  /** The last listing, by Guid, for refresh reads; `at` is when it was asked for. */
  private listed?: { at: number; byGuid: Map<string, Recipient> };

  constructor(
    private readonly client: TenantClient,
    private readonly window = coalesceWindow(),
  ) {}

  /** The recipients (active and soft-deleted, deduplicated) that hold any of the keys. */
  find(keys: string[], list = false): Promise<Recipient[]> {
    const wanted = [...new Set(keys.filter(Boolean).map((k) => k.toLowerCase()))];
    return new Promise((resolve, reject) => {
      this.pending.push({ keys: wanted, resolve, reject, list });
      this.schedule();
    });
  }

  /**
   * `byGuid` for a refresh: answered from the last listing while it is fresh enough; a Guid it does not hold is
   * looked up live, so only what the listing saw is ever taken from it. A refresh's objects were all there
   * before it started, and nothing it reads is written while it runs.
   */
  async forRefresh(guid: string): Promise<Recipient | undefined> {
    const wanted = guid.trim().toLowerCase();
    const maxAge = this.window.listingMaxAgeMs;
    if (maxAge > 0 && this.listed && Date.now() - this.listed.at <= maxAge) {
      const hit = this.listed.byGuid.get(wanted);
      if (hit) return hit;
    }
    const list = maxAge > 0 && ++this.refreshReads > READS_BEFORE_LISTING;
    return (await this.find([wanted], list)).find((r) => r.Guid.toLowerCase() === wanted);
  }

  /** The recipient (active or soft-deleted) whose Guid is `guid`, if any. */
  async byGuid(guid: string): Promise<Recipient | undefined> {
    const wanted = guid.trim().toLowerCase();
    return (await this.find([wanted])).find((r) => r.Guid.toLowerCase() === wanted);
  }

  private schedule(): void {
    // While a fetch runs, newcomers wait for the next window: its answer would be older than their request.
    if (this.fetching) return;
    const now = Date.now();
    if (this.timer) clearTimeout(this.timer);
    else this.openedAt = now;
    const wait = Math.min(this.window.quietMs, this.openedAt + this.window.maxWaitMs - now);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.flush();
      },
      Math.max(0, wait),
    );
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.fetching = true;
    try {
      const keys = [...new Set(batch.flatMap((r) => r.keys))];
      const index = await this.fetch(
        keys,
        batch.some((r) => r.list),
      );
      for (const r of batch) {
        const hits = new Map<string, Recipient>();
        for (const k of r.keys) for (const rec of index.get(k) ?? []) hits.set(rec.Guid.toLowerCase(), rec);
        r.resolve([...hits.values()]);
      }
    } catch (e) {
      for (const r of batch) r.reject(e);
    } finally {
      this.fetching = false;
      if (this.pending.length) this.schedule();
    }
  }

  private async fetch(keys: string[], list: boolean): Promise<Map<string, Recipient[]>> {
    if (keys.length <= ONE_BY_ONE_LIMIT && !list) {
      const one = await this.oneByOne(keys);
      if (one) return one;
    }
    const at = Date.now();
    const all = await this.listing();
    this.listed = {
      at,
      byGuid: new Map(all.filter((r) => r && typeof r.Guid === "string").map((r) => [r.Guid.toLowerCase(), r])),
    };
    return indexed(keys, all);
  }

  /** One Get-Recipient per key; undefined when a key is ambiguous (the listing sorts that out). */
  private async oneByOne(keys: string[]): Promise<Map<string, Recipient[]> | undefined> {
    const found: Recipient[] = [];
    for (const key of keys) {
      const value = await recipientsByIdentity(
        this.client,
        key,
        `Looking up '${key}' in tenant ${this.client.settings.tenantId} (Get-Recipient)`,
      );
      if (!value) return undefined;
      found.push(...value);
    }
    return indexed(keys, found);
  }

  private async listing(): Promise<Recipient[]> {
    try {
      return (
        await this.client.exchange.invoke<Recipient>(
          "Get-Recipient",
          { RecipientTypeDetails: LISTED_TYPES, ResultSize: "Unlimited", IncludeSoftDeletedRecipients: true },
          { select: TARGET_RECIPIENT_SELECT },
        )
      ).value;
    } catch (e) {
      throw new Error(
        `Listing the MailUsers and mailboxes of tenant ${this.client.settings.tenantId} (Get-Recipient): ${message(e)}`,
      );
    }
  }
}

/**
 * Get-Recipient -Identity `key`, soft-deleted recipients included: [] when nothing has it, undefined when
 * it matches several objects; any other failure is thrown as `<doing>: <Exchange's message>`.
 */
export async function recipientsByIdentity(
  client: TenantClient,
  key: string,
  doing: string,
): Promise<Recipient[] | undefined> {
  try {
    return (
      await client.exchange.invoke<Recipient>(
        "Get-Recipient",
        { Identity: key, IncludeSoftDeletedRecipients: true },
        { select: TARGET_RECIPIENT_SELECT },
      )
    ).value;
  } catch (e) {
    if (kindOf(e) === "NotFound") return [];
    if (/matches multiple entries|ManagementObjectAmbiguous/i.test(message(e))) return undefined;
    throw new Error(`${doing}: ${message(e)}`);
  }
}

function indexed(keys: string[], recipients: Recipient[]): Map<string, Recipient[]> {
  const wanted = new Set(keys);
  const index = new Map<string, Recipient[]>();
  for (const r of recipients) {
    if (!r || typeof r.Guid !== "string") continue;
    for (const k of new Set(heldKeys(r))) {
      if (!wanted.has(k)) continue;
      const list = index.get(k);
      if (list) list.push(r);
      else index.set(k, [r]);
    }
  }
  return index;
}

const readers = new WeakMap<TenantClient, RecipientReader>();

/** The process-wide reader of a tenant client (one per client, so per tenant and credential). */
export function readerFor(client: TenantClient): RecipientReader {
  let r = readers.get(client);
  if (!r) readers.set(client, (r = new RecipientReader(client)));
  return r;
}
