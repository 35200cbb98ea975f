// Get-MoveRequest and Get-MoveRequestStatistics: the move requests the migration service injects, one per
// migration user, once the user's batch starts syncing it (https://techcommunity.microsoft.com/t5/exchange-team-blog/digging-into-hybrid-migration-move-report-data/ba-p/1675064).
// They are read from the migration users the engine (migration-engine.ts) moves, so the two views never
// disagree: a user that failed before it reached the move service (in another batch, no recipient) has none.
//
// Documented: a batch's requests carry BatchName "MigrationService:<batch name>"
// (https://learn.microsoft.com/powershell/module/exchangepowershell/get-publicfoldermailboxmigrationrequest);
// the request's identity is the mailbox or mail user's; -BatchName "can't be used with the Identity parameter";
// -ResultSize defaults to 1000; Get-MoveRequestStatistics takes one identity per call in Exchange Online
// (https://learn.microsoft.com/powershell/module/exchangepowershell/get-moverequest,
// https://learn.microsoft.com/powershell/module/exchangepowershell/get-moverequeststatistics).
// UNCONFIRMED (no public capture of a cross-tenant request): the Flags text, every StatusDetail value, the
// shape of Message, and the size strings over REST (written like the other sizes, exSize).

import { isVisible, type Rec, type TenantState } from "../../model";
import { notFound, str, type Call, type CmdletImpl } from "../call";
import { matchesIdentity } from "../lookup";
import { exSize, INTERNAL_PREFIX } from "../recipient";
import { BATCH } from "./batchUsers";
import { TRUNCATED_WARNING } from "./common";
import { MAILBOX_BYTES, MAILBOX_ITEMS, MOVE_AT, percentComplete } from "./migration-engine";

/** MoveRequest Status by MigrationUserStatus; a user without a move request has no entry here. */
function moveStatus(call: Call, u: Rec): string | undefined {
  switch (u.Status) {
    case "Queued":
      return "Queued";
    case "Syncing":
      return "InProgress";
    case "Synced":
      return call.knobs.syncedMoveStatus;
    case "Completing":
      return "CompletionInProgress";
    case "Completed":
      return "Completed";
    case "Failed":
      return "Failed";
    case "Stopped":
      return "Suspended";
    default:
      return undefined;
  }
}

/** UNCONFIRMED: plausible RequestStatusDetail names for each status. */
const DETAIL: Record<string, string> = {
  Queued: "Queued",
  InProgress: "CopyingMessages",
  Synced: "AutoSuspended",
  AutoSuspended: "AutoSuspended",
  CompletionInProgress: "FinalIncrementalSync",
  Completed: "Completed",
  Failed: "FailedOther",
  Suspended: "Suspended",
};

interface Move {
  user: Rec;
  batch: Rec;
  target: Rec;
  status: string;
}

function moves(call: Call): Move[] {
  const t: TenantState = call.tenant;
  const batches = new Map([...t.exchange.migrationBatches.values()].map((s) => [s.obj.BatchGuid, s.obj]));
  const out: Move[] = [];
  for (const s of t.exchange.migrationUsers.values()) {
    const u = s.obj;
    const batch = batches.get(u[BATCH]);
    const target = t.exchange.recipients.get(String(u[`${INTERNAL_PREFIX}target`]).toLowerCase());
    const status = moveStatus(call, u);
    if (!isVisible(s, call.now) || u[MOVE_AT] === undefined || !batch || !target || !status) continue;
    if (batch.Status === "Removing") continue;
    out.push({ user: u, batch, target: target.obj, status });
  }
  return out;
}

function endpointOf(call: Call, b: Rec): Rec | undefined {
  return [...call.tenant.exchange.migrationEndpoints.values()].find(
    (e) => String(e.obj.Name) === String(b.SourceEndpoint),
  )?.obj;
}

/** The properties both cmdlets show (the subset scripts read, e.g. https://github.com/kevinblumenfeld/Posh365). */
function request(call: Call, m: Move): Rec {
  const t = m.target;
  return {
    Identity: String(t.Identity ?? t.Name),
    Name: String(t.Name),
    DisplayName: t.DisplayName,
    Alias: t.Alias,
    ExchangeGuid: t.ExchangeGuid,
    ArchiveGuid: t.ArchiveGuid ?? null,
    Guid: t.Guid,
    Status: m.status,
    BatchName: `MigrationService:${m.batch.Name}`,
    // UNCONFIRMED: the guide filters on "CrossTenant", which the -Flags reference list does not name.
    Flags: "CrossTenant, Pull",
    Direction: "Pull",
    RemoteHostName: endpointOf(call, m.batch)?.RemoteServer ?? null,
    TargetDeliveryDomain: m.batch.TargetDeliveryDomain ?? null,
    Suspend: m.status === "Suspended",
    SuspendWhenReadyToComplete: false,
    RecipientTypeDetails: t.RecipientTypeDetails,
  };
}

/** "<Type>: <text>" as the engine records a migration user's failure. */
function failureOf(u: Rec): { type: string; text: string } | undefined {
  if (u.Status !== "Failed") return undefined;
  const m = /^([A-Za-z0-9_.]+): ([\s\S]*)$/.exec(String(u.ErrorSummary ?? ""));
  return m ? { type: m[1], text: m[2] } : { type: "MigrationPermanentException", text: String(u.ErrorSummary ?? "") };
}

function statistics(call: Call, m: Move): Rec {
  const u = m.user;
  const percent = percentComplete(u, m.batch, call.now, call.knobs);
  const moved = Math.round((MAILBOX_BYTES * percent) / 100);
  const failure = failureOf(u);
  const queuedAt = new Date(Number(u[MOVE_AT])).toISOString();
  return {
    ...request(call, m),
    StatusDetail: DETAIL[m.status] ?? m.status,
    SyncStage: m.status === "Queued" ? "None" : "SyncFinished",
    PercentComplete: percent,
    TotalMailboxSize: exSize(MAILBOX_BYTES),
    TotalMailboxItemCount: MAILBOX_ITEMS,
    TotalArchiveSize: null,
    TotalArchiveItemCount: null,
    BytesTransferred: exSize(moved),
    BytesTransferredPerMinute: exSize(m.status === "InProgress" ? Math.round(MAILBOX_BYTES / 10) : 0),
    ItemsTransferred: Math.round((MAILBOX_ITEMS * percent) / 100),
    BadItemsEncountered: 0,
    LargeItemsEncountered: 0,
    FailureCode: failure ? -2146233088 : null,
    FailureType: failure?.type ?? null,
    FailureSide: failure ? "Target" : null,
    FailureTimestamp: failure ? (m.batch.LastSyncedDateTime ?? null) : null,
    // The guide quotes a failed cross-tenant move as "Error: <Type>: <text>" (its "Licensing" section,
    // https://learn.microsoft.com/microsoft-365/enterprise/cross-tenant-mailbox-migration).
    Message: failure ? `Error: ${failure.type}: ${failure.text}` : "",
    QueuedTimestamp: queuedAt,
    StartTimestamp: queuedAt,
    CompletionTimestamp: m.status === "Completed" ? (m.batch.FinalizedDateTime ?? null) : null,
    Report:
      call.params.IncludeReport === true
        ? `${new Date(call.now).toISOString()} [emulator] ${m.status}${failure ? `: ${failure.type}: ${failure.text}` : ""}`
        : null,
  };
}

const identifies = (m: Move, id: string) =>
  matchesIdentity(m.target, id) || String(m.user.EmailAddress).toLowerCase() === id.trim().toLowerCase();

/** Filters of the Filtering set; -Flags names flags the request must all carry, comma-separated. */
function filtered(call: Call, all: Move[]): Move[] {
  let out = all;
  const batchName = str(call, "BatchName");
  if (batchName !== undefined)
    out = out.filter((m) => `MigrationService:${m.batch.Name}`.toLowerCase() === batchName.toLowerCase());
  const status = str(call, "Status");
  if (status) out = out.filter((m) => m.status.toLowerCase() === status.toLowerCase());
  const flags = str(call, "Flags");
  if (flags) {
    const wanted = flags.split(",").map((f) => f.trim().toLowerCase());
    out = out.filter((m) => {
      const have = String(request(call, m).Flags)
        .split(",")
        .map((f) => f.trim().toLowerCase());
      return wanted.every((f) => have.includes(f));
    });
  }
  const host = str(call, "RemoteHostName");
  if (host)
    out = out.filter((m) => String(endpointOf(call, m.batch)?.RemoteServer).toLowerCase() === host.toLowerCase());
  if (typeof call.params.Suspend === "boolean")
    out = out.filter((m) => (m.status === "Suspended") === call.params.Suspend);
  // A batch's moves are online and not suspended-when-ready (the batch decides completion): none match true.
  for (const k of ["SuspendWhenReadyToComplete", "Offline"]) if (call.params[k] === true) out = [];
  return out;
}

export const getMoveRequest: CmdletImpl = (call) => {
  const id = str(call, "Identity");
  if (id !== undefined) {
    const hit = moves(call).find((m) => identifies(m, id));
    return hit ? [request(call, hit)] : notFound(call, id);
  }
  const out = filtered(call, moves(call)).map((m) => request(call, m));
  // Documented default: 1000 results.
  const n = call.params.ResultSize ?? 1000;
  if (typeof n === "number" && out.length > n) {
    call.warnings.push(TRUNCATED_WARNING);
    return out.slice(0, n);
  }
  return out;
};

export const getMoveRequestStatistics: CmdletImpl = (call) => {
  const id = str(call, "Identity")!;
  const hit = moves(call).find((m) => identifies(m, id));
  return hit ? [statistics(call, hit)] : notFound(call, id);
};
