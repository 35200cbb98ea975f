// Migration batches and their users. Statuses are Microsoft's documented MigrationBatchStatus and
// MigrationUserStatus values; how a started batch moves through them is the engine's job
// (migration-engine.ts). The cmdlets that read the users are in migrationUsers.ts.

import { isVisible, stored, type Rec, type Stored } from "../../model";
import { notFound, raise, referenceNotFound, str, type Call, type CmdletImpl } from "../call";
import { findAll } from "../lookup";
import { INTERNAL_PREFIX, newGuid } from "../recipient";
import { resultSize, storeNew } from "./common";
import { endpointByIdentity } from "./endpoints";
import { BATCH, fail, refreshCounts, statusSummary } from "./batchUsers";
import { beginCompleting, beginMove, percentComplete } from "./migration-engine";

function batches(call: Call): Stored[] {
  return [...call.tenant.exchange.migrationBatches.values()].filter((s) => isVisible(s, call.now));
}

export function batch(call: Call, identity: string): Stored {
  const id = identity.toLowerCase();
  const hit = batches(call).find((s) =>
    [s.obj.Identity, s.obj.Name, s.obj.BatchGuid].some((v) => String(v).toLowerCase() === id),
  );
  return hit ?? notFound(call, identity);
}

function usersOf(call: Call, b: Rec): Rec[] {
  return [...call.tenant.exchange.migrationUsers.values()].map((s) => s.obj).filter((u) => u[BATCH] === b.BatchGuid);
}

/** CSVData: a header row naming EmailAddress, then one target address per row (Microsoft's guide). */
function csvAddresses(call: Call, data: Buffer): string[] {
  const rows = data
    .toString("utf8")
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .map((r) => r.trim())
    .filter(Boolean);
  const header = (rows.shift() ?? "").split(",").map((h) => h.trim().toLowerCase());
  const col = header.indexOf("emailaddress");
  if (col < 0) {
    // Inferred text (no public capture).
    raise(call, {
      type: "Microsoft.Exchange.Migration.MigrationCSVParsingException",
      text: "The CSV file is missing the required column header 'EmailAddress'.",
    });
  }
  return rows.map((r) => r.split(",")[col]?.trim()).filter((a): a is string => !!a);
}

export const newMigrationBatch: CmdletImpl = (call) => {
  const t = call.tenant;
  const name = str(call, "Name")!;
  const taken = [...t.exchange.migrationBatches.values()].find(
    (s) => String(s.obj.Name).toLowerCase() === name.toLowerCase(),
  );
  if (taken) {
    // Exception name as https://github.com/davidhend/tenant-migration-platform reports it; clients match "already exists" in its text.
    raise(call, {
      type: "Microsoft.Exchange.Migration.MigrationJobAlreadyExistException",
      text: `A migration batch with the name '${name}' already exists.`,
    });
  }
  const endpointId = str(call, "SourceEndpoint");
  const endpoint = endpointId ? endpointByIdentity(call, endpointId) : undefined;
  if (endpointId && !endpoint) referenceNotFound(call, endpointId);
  const addresses = Buffer.isBuffer(call.params.CSVData)
    ? csvAddresses(call, call.params.CSVData)
    : ((call.params.Users as string[]) ?? []);
  const when = new Date(call.now).toISOString();
  const guid = newGuid(call.ctx.random);
  const b: Rec = {
    Identity: name,
    Name: name,
    BatchGuid: guid,
    Status: call.knobs.newBatchStatus,
    MigrationType: endpoint ? String(endpoint.obj.EndpointType) : "ExchangeRemoteMove",
    BatchDirection: endpoint ? "Onboarding" : "Local",
    SourceEndpoint: endpoint ? String(endpoint.obj.Name) : null,
    TargetEndpoint: null,
    TargetDeliveryDomain: str(call, "TargetDeliveryDomain") ?? null,
    NotificationEmails: (call.params.NotificationEmails as string[]) ?? [],
    AutoComplete: call.params.AutoComplete === true,
    CompleteAfter: call.params.CompleteAfter ?? null,
    StartAfter: call.params.StartAfter ?? null,
    CreationDateTime: when,
    StartDateTime: null,
    LastSyncedDateTime: null,
    FinalizedDateTime: null,
    SubmittedByUser: call.claims.upn ?? call.claims.appid,
    TotalCount: addresses.length,
    ActiveCount: 0,
    StoppedCount: 0,
    SyncedCount: 0,
    FinalizedCount: 0,
    FailedCount: 0,
    PendingCount: addresses.length,
    [`${INTERNAL_PREFIX}phaseAt`]: null,
  };
  // Keyed by BatchGuid: a batch has no Guid property, and storeNew's Guid key would make every batch overwrite the last.
  t.exchange.migrationBatches.set(guid, stored(b, call.now, call.ctx.options.faults.replicationMs));
  const inOtherBatch = new Set(
    [...t.exchange.migrationUsers.values()].map((s) => String(s.obj.EmailAddress).toLowerCase()),
  );
  for (const address of addresses) {
    const target = findAll(t.exchange.recipients, address).find((s) => isVisible(s, call.now));
    const u: Rec = {
      Identity: address,
      EmailAddress: address,
      Guid: newGuid(call.ctx.random),
      BatchId: name,
      Status: "Queued",
      StatusSummary: statusSummary("Queued"),
      RecipientType: target ? String(target.obj.RecipientTypeDetails) : null,
      MailboxGuid: target ? String(target.obj.ExchangeGuid ?? "") : null,
      MailboxIdentifier: target ? String(target.obj.Name) : null,
      ErrorSummary: "",
      SyncedItemCount: 0,
      SkippedItemCount: 0,
      LastSuccessfulSyncTime: null,
      [BATCH]: guid,
      [`${INTERNAL_PREFIX}target`]: target ? String(target.obj.Guid) : null,
    };
    // Failures Microsoft reports per user (Microsoft's guide), not for the batch.
    if (inOtherBatch.has(address.toLowerCase()))
      fail(u, "UserDuplicateInOtherBatchException", `The user '${address}' already exists in another migration batch.`);
    else if (!target)
      fail(
        u,
        "MigrationRecipientNotFoundException",
        `A recipient with the address '${address}' wasn't found in this organization.`,
      );
    else if (target.obj.RecipientTypeDetails !== "MailUser") {
      fail(
        u,
        "MigrationUserTypeIncorrectException",
        `The migration user type for '${address}' is not correct. Please ensure it has RecipientTypeDetails:MailUser`,
      );
    }
    storeNew(call, t.exchange.migrationUsers, u);
  }
  refreshCounts(t, b);
  // -AutoStart starts the new batch; users that failed at submission stay failed (nothing to retry yet).
  if (call.params.AutoStart === true) start(call, b, false);
  return [b];
};

/**
 * Documented (Start-MigrationBatch): starts a new batch, resumes a Stopped one, retries the failed users of
 * a Failed, SyncedWithErrors or (in the cloud) CompletedWithErrors batch, and "can be run at any time to
 * retry failed users". The batch shows "Starting" first (documented), then syncs its queued users. Users
 * that failed because they are in another batch stay failed (assumed: nothing about them changed).
 */
function start(call: Call, b: Rec, retryFailed = true): void {
  b.StartDateTime ??= new Date(call.now).toISOString();
  for (const u of usersOf(call, b)) {
    const retry =
      retryFailed && u.Status === "Failed" && !/^UserDuplicateInOtherBatchException/.test(String(u.ErrorSummary));
    if (u.Status === "Stopped" || retry) {
      u.Status = "Queued";
      u.StatusSummary = statusSummary("Queued");
      u.ErrorSummary = "";
    }
  }
  if (b.Status === "Syncing") {
    // Already moving: the re-queued users join the running sync.
    for (const u of usersOf(call, b)) if (u.Status === "Queued") beginMove(u, call.now);
  } else if (usersOf(call, b).some((u) => u.Status === "Queued")) {
    b.Status = "Starting";
    b[`${INTERNAL_PREFIX}phaseAt`] = call.now;
  }
  refreshCounts(call.tenant, b);
}

function stateError(call: Call, b: Rec, action: "start" | "stop" | "complete" | "remove"): never {
  // Inferred text: there is no public capture of a batch in the wrong state.
  const verb = { start: "started", stop: "stopped", complete: "completed", remove: "removed" }[action];
  return raise(call, {
    type: "Microsoft.Exchange.Migration.MigrationPermanentException",
    text: `The migration batch '${b.Name}' can't be ${verb} while its status is '${b.Status}'.`,
  });
}

export const getMigrationBatch: CmdletImpl = (call) => {
  const id = str(call, "Identity");
  const status = str(call, "Status");
  const endpoint = str(call, "Endpoint");
  let out = id !== undefined ? [batch(call, id).obj] : batches(call).map((s) => s.obj);
  if (status) out = out.filter((b) => String(b.Status).toLowerCase() === status.toLowerCase());
  if (endpoint) out = out.filter((b) => String(b.SourceEndpoint).toLowerCase() === endpoint.toLowerCase());
  return resultSize(call, out);
};

/** Statuses in which a batch is moving data or changing state: Remove-MigrationBatch refuses them (documented: "a migration batch that either isn't running or is completed"). */
const RUNNING = ["Starting", "Syncing", "Stopping", "Completing", "IncrementalSyncing", "Removing"];

export const startMigrationBatch: CmdletImpl = (call) => {
  const b = batch(call, str(call, "Identity") ?? "").obj;
  // Assumed: a batch on its way out, stopping or finalizing (or with nothing to retry) can't be started.
  if (["Removing", "Stopping", "Completing", "Completed", "Corrupted"].includes(String(b.Status)))
    stateError(call, b, "start");
  start(call, b);
  return [];
};

export const stopMigrationBatch: CmdletImpl = (call) => {
  const b = batch(call, str(call, "Identity") ?? "").obj;
  if (!["Syncing", "Synced", "SyncedwithErrors", "Waiting", "Starting"].includes(String(b.Status)))
    stateError(call, b, "stop");
  // Documented: "Stopping" immediately after Stop-MigrationBatch, then "Stopped" (migration-engine.ts).
  for (const u of usersOf(call, b))
    if (u.Status === "Syncing") u[`${INTERNAL_PREFIX}percent`] = percentComplete(u, b, call.now, call.knobs);
  b.Status = "Stopping";
  b[`${INTERNAL_PREFIX}phaseAt`] = call.now;
  refreshCounts(call.tenant, b);
  return [];
};

/**
 * Documented: in the cloud, Complete-MigrationBatch "sets the value of CompleteAfter to the current time";
 * a Synced batch then starts completing at once, a syncing one when its users are synced. Assumed: a batch
 * that never started (or has nothing left to complete) refuses.
 */
export const completeMigrationBatch: CmdletImpl = (call) => {
  const b = batch(call, str(call, "Identity") ?? "").obj;
  if (!["Starting", "Syncing", "Synced", "SyncedwithErrors"].includes(String(b.Status)))
    stateError(call, b, "complete");
  b.CompleteAfter = new Date(call.now).toISOString();
  if ((b.Status === "Synced" || b.Status === "SyncedwithErrors") && (b.SyncedCount as number) > 0)
    beginCompleting(call.tenant, b, call.now);
  return [];
};

export const removeMigrationBatch: CmdletImpl = (call) => {
  const s = batch(call, str(call, "Identity") ?? "");
  if (RUNNING.includes(String(s.obj.Status))) stateError(call, s.obj, "remove");
  // A third-party migration client reports (UNCONFIRMED first-hand) that the name stays taken for a few seconds after removal while the deletion spreads.
  s.obj.Status = "Removing";
  s.obj[`${INTERNAL_PREFIX}phaseAt`] = call.now;
  for (const u of usersOf(call, s.obj)) u.Status = "Removing";
  return [];
};
