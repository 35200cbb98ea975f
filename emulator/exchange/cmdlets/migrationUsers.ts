// The cmdlets that read a batch's users: Get-MigrationUser (by identity, or filtered by batch, status, status
// summary and mailbox) and Get-MigrationUserStatistics (progress as the engine reports it, migration-engine.ts).

import { isVisible, type Rec } from "../../model";
import { notFound, str, type Call, type CmdletImpl } from "../call";
import { GUID } from "../../../domain/ids";
import { BATCH } from "./batchUsers";
import { batch } from "./batches";
import { resultSize } from "./common";
import { MAILBOX_BYTES, MAILBOX_ITEMS, percentComplete } from "./migration-engine";

function user(call: Call, identity: string): Rec {
  const id = identity.toLowerCase();
  const hit = [...call.tenant.exchange.migrationUsers.values()].find(
    (s) =>
      isVisible(s, call.now) &&
      [s.obj.Identity, s.obj.EmailAddress, s.obj.Guid].some((v) => String(v).toLowerCase() === id),
  );
  return hit ? hit.obj : notFound(call, identity);
}

export const getMigrationUser: CmdletImpl = (call) => {
  const id = str(call, "Identity") ?? str(call, "EmailAddress");
  if (id !== undefined) return [user(call, id)];
  let out = [...call.tenant.exchange.migrationUsers.values()].filter((s) => isVisible(s, call.now)).map((s) => s.obj);
  const batchId = str(call, "BatchId");
  if (batchId) {
    const b = batch(call, batchId).obj;
    out = out.filter((u) => u[BATCH] === b.BatchGuid);
  }
  const status = str(call, "Status");
  if (status) out = out.filter((u) => String(u.Status).toLowerCase() === status.toLowerCase());
  const summary = str(call, "StatusSummary");
  if (summary) out = out.filter((u) => String(u.StatusSummary).toLowerCase() === summary.toLowerCase());
  const mailboxGuid = str(call, "MailboxGuid");
  if (mailboxGuid && GUID.test(mailboxGuid))
    out = out.filter((u) => String(u.MailboxGuid).toLowerCase() === mailboxGuid.toLowerCase());
  return resultSize(call, out);
};

export const getMigrationUserStatistics: CmdletImpl = (call) => {
  const u = user(call, str(call, "Identity")!);
  const b = [...call.tenant.exchange.migrationBatches.values()].find((s) => s.obj.BatchGuid === u[BATCH])?.obj;
  const done = percentComplete(u, b, call.now, call.knobs);
  // Sizes are the emulator's (a 540 MB mailbox of 1,200 items), scaled by the progress.
  const total = MAILBOX_BYTES;
  const moved = Math.round((total * done) / 100);
  return [
    {
      ...u,
      PercentageComplete: done,
      TotalItemsInSourceMailboxCount: MAILBOX_ITEMS,
      BytesTransferred: `${(moved / 1024 ** 2).toFixed(1)} MB (${moved.toLocaleString("en-US")} bytes)`,
      EstimatedTotalTransferSize: "540 MB (566,231,040 bytes)",
      EstimatedTotalTransferCount: 1200,
      SyncedItemCount: Math.round((1200 * done) / 100),
      Report:
        call.params.IncludeReport === true
          ? `${new Date(call.now).toISOString()} [emulator] ${u.Status}${u.ErrorSummary ? `: ${u.ErrorSummary}` : ""}`
          : null,
    },
  ];
};
