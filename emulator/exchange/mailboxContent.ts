// What a mailbox holds, as far as the statistics cmdlets show it: item counts and sizes of the primary
// mailbox and the archive, the Recoverable Items folders (SubstrateHolds included) and the hold-tracking
// log. The seed (or a test) sets any of it on the recipient under "__" keys, which are never rendered;
// whatever is not set is derived from the mailbox's GUID, so every mailbox answers, and always the same.

import type { Rec } from "../model";
import { INTERNAL_PREFIX } from "./recipient";

export interface FolderContent {
  items: number;
  bytes: number;
}

export interface MailboxContent {
  itemCount: number;
  itemBytes: number;
  deletedItemCount: number;
  deletedItemBytes: number;
  /** Recoverable Items subfolders by name (Deletions, DiscoveryHolds, Purges, Versions, SubstrateHolds, ...). */
  recoverable: Record<string, FolderContent>;
}

/** One entry of the HoldTracking log, keys in the order Microsoft's page lists them. */
export interface HoldTrackingEntry {
  ed: string;
  hid: string;
  ht: number;
  lsd: string;
  osd: string;
}

/** The .NET DateTime.MinValue as the log writes it: the hold has not ended. */
export const HOLD_NOT_ENDED = "0001-01-01T00:00:00.0000000";

export const CONTENT_KEY = `${INTERNAL_PREFIX}content`;
export const ARCHIVE_CONTENT_KEY = `${INTERNAL_PREFIX}archiveContent`;
export const HOLD_TRACKING_KEY = `${INTERNAL_PREFIX}holdTracking`;

/** A stable number in [0, 1) from a string, so derived sizes do not change between runs. */
function unit(seed: string): number {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  return (h >>> 0) / 2 ** 32;
}

const MB = 1024 ** 2;

function derived(seed: string, scale: number): MailboxContent {
  const r = unit(seed);
  const itemCount = Math.round((2_000 + r * 30_000) * scale);
  const itemBytes = Math.round((300 + r * 1_500) * MB * scale);
  const deletedItemCount = Math.round(itemCount / 20);
  const deletedItemBytes = Math.round(itemBytes / 25);
  const part = (share: number, items: number) => ({
    items: Math.round(items * share),
    bytes: Math.round(deletedItemBytes * share),
  });
  return {
    itemCount,
    itemBytes,
    deletedItemCount,
    deletedItemBytes,
    recoverable: {
      Deletions: part(0.7, deletedItemCount),
      DiscoveryHolds: { items: 0, bytes: 0 },
      Purges: part(0.2, deletedItemCount),
      Versions: part(0.1, deletedItemCount),
      SubstrateHolds: { items: 0, bytes: 0 },
    },
  };
}

/** The content of the primary mailbox (`archive` false) or of its archive; set values win over derived ones. */
export function contentOf(o: Rec, archive: boolean): MailboxContent {
  const base = derived(`${String(o.Guid)}${archive ? ":archive" : ""}`, archive ? 0.5 : 1);
  const set = o[archive ? ARCHIVE_CONTENT_KEY : CONTENT_KEY] as Partial<MailboxContent> | undefined;
  if (!set) return base;
  const out: MailboxContent = { ...base, ...set, recoverable: { ...base.recoverable, ...(set.recoverable ?? {}) } };
  // TotalDeletedItemSize is the Recoverable Items folder: keep it the sum of its subfolders when only those are set.
  if (set.recoverable && set.deletedItemBytes === undefined) {
    out.deletedItemBytes = Object.values(out.recoverable).reduce((n, f) => n + f.bytes, 0);
    out.deletedItemCount = Object.values(out.recoverable).reduce((n, f) => n + f.items, 0);
  }
  return out;
}

export function holdTrackingOf(o: Rec): HoldTrackingEntry[] {
  return (o[HOLD_TRACKING_KEY] as HoldTrackingEntry[] | undefined) ?? [];
}

/**
 * Exchange's ByteQuantifiedSize text: "<n> <unit> (<n,nnn> bytes)", e.g. "100.6 GB (108,063,890,884 bytes)"
 * (https://docs.microsoft.com/en-us/archive/blogs/eopfieldnotes/cleaning-up-a-full-recoverable-items-folder).
 * The leading number's rounding varies across published samples (14.61 GB, 100.6 GB); readers should parse only
 * the bytes in parentheses. "0 B (0 bytes)" for empty is UNCONFIRMED.
 */
export function byteQuantified(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = bytes;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const shown = i === 0 ? String(v) : String(Number(v.toFixed(2)));
  return `${shown} ${units[i]} (${bytes.toLocaleString("en-US")} bytes)`;
}
