// How a wave becomes migration batches: Microsoft's limit is 2,000 mailboxes per batch
// (https://learn.microsoft.com/microsoft-365/enterprise/cross-tenant-mailbox-migration).
// Pure, so the component can call it at program time.
//
// Chunks follow the wave's own order, and the first batch keeps the wave's name (`wave-1`), later ones get
// `-2`, `-3`: a wave that grows past 2,000 users by appending gains a second batch while the first keeps
// its name and its users (a started batch's users can't change). Inserting users in the middle of a big
// wave shifts the chunk boundaries; append instead.

import { BATCH_LIMIT } from "../staging/plan";

export interface PlannedBatch {
  /** Pulumi resource name: `batch/<wave>` or `batch/<wave>-<n>`. */
  resourceName: string;
  /** The batch's name in Exchange: `<wave>` or `<wave>-<n>`. */
  batchName: string;
  targetAddresses: string[];
}

export function splitIntoBatches(wave: string, addresses: string[], limit = BATCH_LIMIT): PlannedBatch[] {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, not ${limit}`);
  const unique = [...new Set(addresses.map((a) => a.trim().toLowerCase()).filter((a) => a !== ""))];
  const out: PlannedBatch[] = [];
  for (let i = 0; i < unique.length; i += limit) {
    const n = i / limit + 1;
    const batchName = n === 1 ? wave : `${wave}-${n}`;
    out.push({ resourceName: `batch/${batchName}`, batchName, targetAddresses: unique.slice(i, i + limit) });
  }
  return out;
}
