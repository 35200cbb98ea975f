// What readiness reads one user at a time (the validator's checks that no listing shows: an archive's
// SubstrateHolds, the primary's TotalDeletedItemSize, the HoldTracking log, the target's previous-mailbox
// information), kept in the Readiness resource's `userChecks` output so the next check of an unchanged wave
// does not read it again. Each part records what it was read for (`basis`: the GUIDs and values its answer
// depends on) and when; a part is reused only while its basis is unchanged, it found nothing, and it is younger
// than REUSE_DAYS. A part that found something is read again every time, so a fix shows at the next check.
// Pure: no I/O.

import { guid, list, str, type Listed } from "./model";

/** Days a clean answer is trusted: SubstrateHolds and the dumpster grow without any GUID changing. */
export const REUSE_DAYS = 7;

export interface Part<T> {
  /** What the answer depends on, e.g. "archive:<guid>". */
  basis: string;
  /** The day it was read (YYYY-MM-DD). */
  on: string;
  value: T;
}

export interface SubstrateHolds {
  items: number;
  bytes: number;
}

export interface DeletedItems {
  bytes: number;
  /** TotalDeletedItemSize as Exchange wrote it. */
  text: string;
}

export interface HoldTracking {
  /** False when the log could not be read or parsed; the organisation's InPlaceHolds stand in for it. */
  available: boolean;
  /** Organisation-wide retention policies (ht 4, "mbx…") that have not ended. */
  holds: string[];
}

export interface PreviousMailbox {
  /** PreviousRecipientTypeDetails; null when none. */
  type: string | null;
}

export interface PerUserChecks {
  source: string;
  target: string;
  substrateHolds?: Part<SubstrateHolds | null>;
  deletedItems?: Part<DeletedItems | null>;
  holdTracking?: Part<HoldTracking>;
  previousMailbox?: Part<PreviousMailbox | null>;
}

export type PartName = "substrateHolds" | "deletedItems" | "holdTracking" | "previousMailbox";

export const today = (now: Date = new Date()): string => now.toISOString().slice(0, 10);

function ageDays(on: string, now: string): number {
  return (Date.parse(now) - Date.parse(on)) / 86_400_000;
}

/** The basis of each part for a source mailbox and target MailUser (undefined: the part cannot be read). */
export function bases(
  src: Listed | undefined,
  tgt: Listed | undefined,
  orgHolds: string[],
): Record<PartName, string | undefined> {
  const sorted = (v: unknown) =>
    [...list(v)]
      .map((s) => s.toLowerCase())
      .sort()
      .join(",");
  return {
    substrateHolds: src && guid(src.ArchiveGuid) ? `archive:${guid(src.ArchiveGuid)}` : undefined,
    deletedItems: src && guid(src.ExchangeGuid) ? `mailbox:${guid(src.ExchangeGuid)}` : undefined,
    // Read only while the organisation has organisation-wide retention policies (Get-OrganizationConfig
    // InPlaceHolds lists them, https://learn.microsoft.com/purview/ediscovery-identify-a-hold-on-an-exchange-online-mailbox):
    // without one, no log can hold such a hold. A shared mailbox's account is disabled, and Microsoft keeps no
    // hold-tracking log for those: the organisation's list stands in (holds.ts).
    holdTracking:
      src &&
      guid(src.ExchangeGuid) &&
      str(src.RecipientTypeDetails) === "UserMailbox" &&
      orgHolds.some((h) => /^(mbx|skp)/i.test(h))
        ? `mailbox:${guid(src.ExchangeGuid)};org:${sorted(orgHolds)};own:${sorted(src.InPlaceHolds)}`
        : undefined,
    previousMailbox: tgt && str(tgt.Guid) ? `mailuser:${str(tgt.Guid).toLowerCase()}` : undefined,
  };
}

/** Whether a part's answer is one that blocks nobody (only those are reused). */
export function clean(name: PartName, value: unknown, targetQuotaBytes?: number): boolean {
  if (value === null || value === undefined) return true;
  switch (name) {
    case "substrateHolds":
      return (value as SubstrateHolds).items === 0;
    case "deletedItems":
      return targetQuotaBytes === undefined || (value as DeletedItems).bytes <= targetQuotaBytes;
    case "holdTracking":
      return (value as HoldTracking).available && (value as HoldTracking).holds.length === 0;
    case "previousMailbox":
      return (value as PreviousMailbox).type === null;
  }
}

/** The earlier part when it may stand for a new read. */
export function reusable<T>(
  earlier: Part<T> | undefined,
  name: PartName,
  basis: string,
  now: string,
  targetQuotaBytes?: number,
): Part<T> | undefined {
  if (!earlier || earlier.basis !== basis || typeof earlier.on !== "string") return undefined;
  if (!(ageDays(earlier.on, now) <= REUSE_DAYS) || ageDays(earlier.on, now) < 0) return undefined;
  return clean(name, earlier.value, targetQuotaBytes) ? earlier : undefined;
}

/** The earlier records by target address, from the state (anything malformed is ignored: it is only a cache). */
export function earlierRecords(v: unknown): Map<string, PerUserChecks> {
  const out = new Map<string, PerUserChecks>();
  if (!Array.isArray(v)) return out;
  for (const r of v)
    if (r && typeof r === "object" && typeof (r as PerUserChecks).target === "string")
      out.set((r as PerUserChecks).target, r as PerUserChecks);
  return out;
}
