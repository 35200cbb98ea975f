// Retrying a batch's failed users. Microsoft's way is Start-MigrationBatch: it "retr[ies] failures within a
// Failed or Synced with Errors migration batch", in the cloud also "within a Completed with Errors" one, and
// "can be run at any time to retry failed users within the batch"
// (https://learn.microsoft.com/powershell/module/exchangepowershell/start-migrationbatch). Of the reference's
// cmdlets it is the only one that retries: Set-MigrationBatch and Resume-MoveRequest are not in it, and
// Start-MigrationBatch acts on the batch's failed users without touching those that synced or moved.
// The input is a token (retryFailed): each new value is one reviewed retry, shown by pulumi preview.

import type { TenantClient } from "../tenant";
import { message } from "../exchangeFailure";
import { log } from "../context";
import type { BatchRecord } from "./observe";

/** Statuses whose failed users Start-MigrationBatch retries (documented), and a batch still syncing (cloud: "at any time"). */
export const RETRYABLE = ["Failed", "SyncedwithErrors", "CompletedWithErrors", "Syncing", "IncrementalSyncing"];

/** A new, non-empty retryFailed value asks for one retry; the same value again, or none, asks for nothing. */
export function retryRequested(olds: { retryFailed?: unknown }, news: { retryFailed?: unknown }): boolean {
  const now = String(news.retryFailed ?? "");
  return now !== "" && now !== String(olds.retryFailed ?? "");
}

export async function retryFailedUsers(client: TenantClient, b: BatchRecord, name: string): Promise<void> {
  const failed = b.FailedCount ?? 0;
  if (failed === 0) {
    log.info(
      `Migration batch '${name}' has no failed users (status ${b.Status}); retryFailed is recorded, nothing retried.`,
    );
    return;
  }
  if (!RETRYABLE.includes(b.Status)) {
    // Failing keeps the old value in the state, so the next pulumi up asks again.
    throw new Error(
      `Migration batch '${name}' is ${b.Status}, so its ${failed} failed user(s) can't be retried now: Start-MigrationBatch retries the failed users of a ` +
        `Failed, SyncedwithErrors or CompletedWithErrors batch (or of one still syncing). Run pulumi up again once npm run status shows one of these.`,
    );
  }
  try {
    await client.exchange.invoke("Start-MigrationBatch", { Identity: name });
  } catch (e) {
    throw new Error(
      `Retrying the failed users of migration batch '${name}' (Start-MigrationBatch) in tenant ${client.settings.domain}: ${message(e)}`,
    );
  }
  log.info(
    `Migration batch '${name}': Start-MigrationBatch retries its ${failed} failed user(s) (retryFailed changed).`,
  );
}
