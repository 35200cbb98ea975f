// Our stand-in for the Mailbox Replication Service: simple, but it checks what Microsoft documents a move
// needs (its guide and its validator script) and changes recipient types on completion the way Microsoft
// describes: the target MailUser becomes a mailbox, the source mailbox becomes a MailUser pointing at it.
// Time drives it: each phase takes `migrationPhaseMs`, evaluated lazily on every Exchange request.

import { findTenant, type EmulatorState, type Rec, type TenantState } from "../../model";
import type { ExchangeKnobs } from "../knobs";
import { findAll, touched } from "../lookup";
import { exSize, INTERNAL_PREFIX, newGuid } from "../recipient";
import { ZERO_GUID } from "../../../domain/ids";
import { crossTenantProblem, SECRET } from "./endpoints";

const PHASE_AT = `${INTERNAL_PREFIX}phaseAt`;
const BATCH = `${INTERNAL_PREFIX}batch`;
const TARGET = `${INTERNAL_PREFIX}target`;
const CTMM_SKU_PART = /cross.?tenant.?user.?data.?migration/i;
/** When the user's move request was made: the migration service injects one per user as its sync starts. */
export const MOVE_AT = `${INTERNAL_PREFIX}moveAt`;
/** The emulator's mailbox sizes (a 540 MB mailbox of 1,200 items), shared by both statistics cmdlets. */
export const MAILBOX_BYTES = 566_231_040;
export const MAILBOX_ITEMS = 1200;

/** MigrationUserStatusSummary has five values (Active, Completed, Failed, Stopped, Synced): a queued user is Active. */
export function statusSummary(status: string): string {
  return ["Completed", "Failed", "Stopped", "Synced"].includes(status) ? status : "Active";
}

export function refreshCounts(t: TenantState, b: Rec): void {
  const users = [...t.exchange.migrationUsers.values()].map((s) => s.obj).filter((u) => u[BATCH] === b.BatchGuid);
  const count = (...st: string[]) => users.filter((u) => st.includes(String(u.Status))).length;
  Object.assign(b, {
    TotalCount: users.length,
    ActiveCount: count("Syncing", "Completing", "Starting", "Validating", "Provisioning"),
    StoppedCount: count("Stopped"),
    SyncedCount: count("Synced"),
    FinalizedCount: count("Completed"),
    FailedCount: count("Failed"),
    PendingCount: count("Queued"),
  });
}

function fail(u: Rec, type: string, text: string): void {
  u.Status = "Failed";
  u.StatusSummary = "Failed";
  u.ErrorSummary = `${type}: ${text}`;
}

/**
 * How long a batch stays in a status before the engine moves it on; undefined: it waits for a cmdlet (or,
 * when Synced, for its CompleteAfter date). Documented: the statuses and their order (Starting and Stopping
 * "immediately after you run" Start-/Stop-MigrationBatch; Synced after the initial sync; Completing after
 * Complete-MigrationBatch; Removing after Remove-MigrationBatch). Assumed: every duration (knobs). Removing
 * keeps the name taken for a phase, as a third-party migration client reports a removed batch's name stay taken for ~8 s.
 */
function phaseMs(b: Rec, knobs: ExchangeKnobs): number | undefined {
  switch (b.Status) {
    case "Starting":
      return knobs.batchStartingMs;
    case "Stopping":
      return knobs.batchStoppingMs;
    case "Syncing":
    case "Completing":
    case "Removing":
      return knobs.migrationPhaseMs;
    default:
      return undefined;
  }
}

/** Documented (Complete-MigrationBatch, New-MigrationBatch -CompleteAfter): completion starts at CompleteAfter. */
function completeAfterMs(b: Rec): number | undefined {
  const at = typeof b.CompleteAfter === "string" ? Date.parse(b.CompleteAfter) : NaN;
  return Number.isNaN(at) ? undefined : at;
}

export function beginCompleting(t: TenantState, b: Rec, at: number): void {
  b.Status = "Completing";
  b[PHASE_AT] = at;
  for (const u of usersOf(t, b)) if (u.Status === "Synced") u.Status = "Completing";
  refreshCounts(t, b);
}

export function advanceMigrations(
  state: EmulatorState,
  now: number,
  knobs: ExchangeKnobs,
  consentPropagationMs = 0,
): void {
  for (const t of state.tenants.values()) {
    for (const [key, s] of [...t.exchange.migrationBatches.entries()]) {
      const b = s.obj;
      // A big clock jump may cross several phases; each transition moves the phase start by one phase.
      for (let guard = 0; guard < 6; guard++) {
        const at = b[PHASE_AT] as number | null;
        const due = completeAfterMs(b);
        if (
          (b.Status === "Synced" || b.Status === "SyncedwithErrors") &&
          (b.SyncedCount as number) > 0 &&
          (b.AutoComplete === true || (due !== undefined && due <= now))
        ) {
          beginCompleting(t, b, Math.max(at ?? now, due ?? at ?? now));
          continue;
        }
        const ms = phaseMs(b, knobs);
        if (ms === undefined || at === null || now - at < ms) break;
        const next = at + ms;
        if (b.Status === "Removing") {
          t.exchange.migrationBatches.delete(key);
          for (const [uk, u] of [...t.exchange.migrationUsers.entries()])
            if (u.obj[BATCH] === b.BatchGuid) t.exchange.migrationUsers.delete(uk);
          break;
        }
        if (b.Status === "Starting") {
          b.Status = "Syncing";
          for (const u of usersOf(t, b)) if (u.Status === "Queued") beginMove(u, next);
          b[PHASE_AT] = next;
        } else if (b.Status === "Stopping") {
          b.Status = "Stopped";
          for (const u of usersOf(t, b))
            if (!["Failed", "Completed", "Synced"].includes(String(u.Status))) setStatus(u, "Stopped");
          b[PHASE_AT] = null;
        } else if (b.Status === "Syncing") {
          sync(state, t, b, next, knobs, consentPropagationMs);
          // Synced from `next` on: a CompleteAfter already passed starts completion from there.
          b[PHASE_AT] = next;
        } else {
          complete(state, t, b, next);
          b[PHASE_AT] = null;
        }
        refreshCounts(t, b);
      }
    }
  }
}

/** A queued user starts syncing; its move request exists from its first sync on (and is reused by a retry). */
export function beginMove(u: Rec, at: number): void {
  setStatus(u, "Syncing");
  u[MOVE_AT] ??= at;
}

function setStatus(u: Rec, status: string): void {
  u.Status = status;
  u.StatusSummary = statusSummary(status);
}

/**
 * PercentageComplete as Get-MigrationUserStatistics reports it. Documented: Queued (not started) and
 * Completed ("all mailbox items were migrated"). Assumed: a syncing user's progress grows with the phase's
 * elapsed time up to 94; Synced and Completing show 95 (MRS's figure for a move waiting to complete).
 */
export function percentComplete(u: Rec, b: Rec | undefined, now: number, knobs: ExchangeKnobs): number {
  switch (u.Status) {
    case "Completed":
      return 100;
    case "Synced":
    case "Completing":
      return 95;
    case "Syncing": {
      const at = b?.Status === "Syncing" ? (b[PHASE_AT] as number | null) : null;
      if (at === null || at === undefined || knobs.migrationPhaseMs <= 0) return 10;
      return Math.min(94, 10 + Math.floor((84 * Math.max(0, now - at)) / knobs.migrationPhaseMs));
    }
    case "Stopped":
    case "Failed":
      return Number(u[`${INTERNAL_PREFIX}percent`] ?? 0);
    default:
      return 0;
  }
}

function usersOf(t: TenantState, b: Rec): Rec[] {
  return [...t.exchange.migrationUsers.values()].map((s) => s.obj).filter((u) => u[BATCH] === b.BatchGuid);
}

function sync(
  state: EmulatorState,
  t: TenantState,
  b: Rec,
  now: number,
  knobs: ExchangeKnobs,
  consentMs: number,
): void {
  const endpoint = [...t.exchange.migrationEndpoints.values()].find(
    (e) => String(e.obj.Name) === String(b.SourceEndpoint),
  )?.obj;
  for (const u of usersOf(t, b)) {
    if (u.Status !== "Syncing") continue;
    const forced = knobs.moveFailures[String(u.EmailAddress).toLowerCase()];
    const problem: [string, string] | undefined = forced
      ? [forced.type, forced.text]
      : userProblem(state, t, b, u, endpoint, now, knobs, consentMs);
    if (problem) {
      // The move got as far as its checks: a failed user shows the progress it had (assumed 10).
      u[`${INTERNAL_PREFIX}percent`] = 10;
      fail(u, problem[0], problem[1]);
    } else {
      u.Status = "Synced";
      u.StatusSummary = "Synced";
      u.LastSuccessfulSyncTime = new Date(now).toISOString();
    }
  }
  refreshCounts(t, b);
  b.LastSyncedDateTime = new Date(now).toISOString();
  const failed = b.FailedCount as number;
  b.Status = failed === b.TotalCount ? "Failed" : failed > 0 ? "SyncedwithErrors" : "Synced";
  // A retry in a completed batch that synced nobody leaves it as it was: completed, with errors.
  if ((b.FinalizedCount as number) > 0 && (b.SyncedCount as number) === 0)
    b.Status = failed > 0 ? "CompletedWithErrors" : "Completed";
}

/**
 * Why a live test move (Test-MigrationServerAvailability -Endpoint -TestMailbox) of the target MailUser would
 * fail: the same reasons a batch's move fails with, minus the batch's TargetDeliveryDomain.
 */
export function liveTestProblem(
  state: EmulatorState,
  t: TenantState,
  endpoint: Rec,
  mailUser: Rec,
  now: number,
  knobs: ExchangeKnobs,
  consentMs: number,
): [string, string] | undefined {
  const b: Rec = { SourceEndpoint: endpoint.Name, TargetDeliveryDomain: null };
  const u: Rec = { [TARGET]: String(mailUser.Guid), EmailAddress: mailUser.PrimarySmtpAddress };
  return userProblem(state, t, b, u, endpoint, now, knobs, consentMs);
}

/** [exception type, text] of the first reason this user cannot move, following Microsoft's list of failures. */
function userProblem(
  state: EmulatorState,
  t: TenantState,
  b: Rec,
  u: Rec,
  endpoint: Rec | undefined,
  now: number,
  knobs: ExchangeKnobs,
  consentMs: number,
): [string, string] | undefined {
  const target = t.exchange.recipients.get(String(u[TARGET]).toLowerCase())?.obj;
  if (!target || target.RecipientTypeDetails !== "MailUser") {
    return [
      "MigrationUserTypeIncorrectException",
      `The migration user type for '${u.EmailAddress}' is not correct. Please ensure it has RecipientTypeDetails:MailUser`,
    ];
  }
  if (!endpoint || !endpoint.RemoteTenant)
    return [
      "MigrationEndpointNotFoundException",
      `The migration endpoint '${b.SourceEndpoint}' isn't a cross-tenant endpoint.`,
    ];
  const problem = crossTenantProblem(
    { state, tenant: t, now, consentPropagationMs: consentMs },
    {
      remoteServer: String(endpoint.RemoteServer),
      remoteTenant: String(endpoint.RemoteTenant),
      applicationId: endpoint.ApplicationId as string,
      credential: (endpoint[SECRET] as { userName: string; password: string }) ?? undefined,
    },
  );
  if (problem) return ["MigrationServerConnectionFailedException", problem];
  const source = findTenant(state, String(endpoint.RemoteTenant))!;
  if (target.ExchangeGuid === ZERO_GUID)
    return ["MissingExchangeGuidException", `The target MailUser '${u.EmailAddress}' has no ExchangeGuid.`];
  const src = [...source.exchange.recipients.values()].find(
    (s) => s.obj.RecipientType === "UserMailbox" && s.obj.ExchangeGuid === target.ExchangeGuid,
  )?.obj;
  if (!src)
    return [
      "SourceMailboxNotFoundException",
      `No mailbox with ExchangeGuid '${target.ExchangeGuid}' was found in '${source.initialDomain}'.`,
    ];
  const proxies = (target.EmailAddresses as string[]).map((p) => p.toLowerCase());
  if (!proxies.includes(`x500:${String(src.LegacyExchangeDN).toLowerCase()}`)) {
    return ["MissingLegacyExchangeDNException", "LegacyExchangeDN not found as an X500 ProxyAddress on Target Object."];
  }
  if (src.ArchiveGuid !== ZERO_GUID && target.ArchiveGuid !== src.ArchiveGuid) {
    return ["ArchiveGuidMismatchException", `ArchiveGuid mismatch. Expected value: ${src.ArchiveGuid}`];
  }
  const aux = ((src.MailboxLocations as string[]) ?? []).filter((l) => l.includes(";AuxArchive;")).length;
  if (aux > 12)
    return [
      "AuxArchiveNotFoundInTargetRecipientException",
      `The source mailbox has ${aux} auxiliary archives; at most 12 can move.`,
    ];
  const domain = String(b.TargetDeliveryDomain ?? "").toLowerCase();
  // A live test move names no delivery domain (liveTestProblem): only a batch's move checks it.
  if (b.TargetDeliveryDomain !== null && !proxies.some((p) => p.startsWith("smtp:") && p.endsWith(`@${domain}`))) {
    return [
      "TargetDeliveryDomainMismatchPermanentException",
      `The target MailUser has no proxy address in the target delivery domain '${b.TargetDeliveryDomain}'.`,
    ];
  }
  if (knobs.enforceMigrationScope) {
    const scope = scopeProblem(t, source, src, endpoint);
    if (scope) return ["MailboxNotInCrossTenantMigrationScopeException", scope];
  }
  if (!licensed(t, target) && !licensed(source, src)) {
    return [
      "CrossTenantMigrationWithoutLicensePermanentException",
      // Microsoft's text (https://learn.microsoft.com/microsoft-365/enterprise/cross-tenant-mailbox-migration, "Licensing").
      `No license was found for the source recipient, '${src.Guid}', or the target recipient, '${target.Guid}'. A Cross-tenant User Data Migration license is required to move a mailbox between tenants.`,
    ];
  }
  return undefined;
}

function capabilities(r: Rec): string[] {
  return String(r.MailboxMoveCapability ?? "")
    .split(",")
    .map((c) => c.trim().toLowerCase());
}

function scopeProblem(target: TenantState, source: TenantState, mbx: Rec, endpoint: Rec): string | undefined {
  const rel = (t: TenantState, partner: TenantState) =>
    [...t.exchange.organizationRelationships.values()]
      .map((s) => s.obj)
      .find((r) => (r.DomainNames as string[]).some((d) => d.toLowerCase() === partner.tenantId.toLowerCase()));
  const inbound = rel(target, source);
  if (!inbound || inbound.MailboxMoveEnabled !== true || !capabilities(inbound).includes("inbound")) {
    return `The target organization relationship for tenant '${source.tenantId}' doesn't allow inbound mailbox moves.`;
  }
  const outbound = rel(source, target);
  if (!outbound || outbound.MailboxMoveEnabled !== true || !capabilities(outbound).includes("remoteoutbound")) {
    return `The source organization relationship for tenant '${target.tenantId}' doesn't allow outbound mailbox moves.`;
  }
  if (String(outbound.OAuthApplicationId ?? "").toLowerCase() !== String(endpoint.ApplicationId ?? "").toLowerCase()) {
    return `The source organization relationship doesn't name the migration application '${endpoint.ApplicationId}'.`;
  }
  const scopes = (outbound.MailboxMovePublishedScopes as string[]) ?? [];
  const inScope = scopes.some((name) => {
    const g = findAll(source.exchange.recipients, name)[0]?.obj;
    return !!g && ((g[`${INTERNAL_PREFIX}members`] as string[]) ?? []).includes(String(mbx.Guid));
  });
  if (!inScope)
    return `The mailbox '${mbx.PrimarySmtpAddress}' isn't in the migration scope published by the source organization relationship.`;
  return undefined;
}

function licensed(t: TenantState, r: Rec): boolean {
  if (((r.PersistedCapabilities as string[]) ?? []).includes("ExchangeT2TMbxMove")) return true;
  const skus = t.directory.subscribedSkus
    .filter((s) => CTMM_SKU_PART.test(String(s.skuPartNumber)))
    .map((s) => String(s.skuId).toLowerCase());
  const user = t.directory.users.get(String(r.ExternalDirectoryObjectId))?.obj;
  return !!user && ((user.assignedLicenses as Rec[]) ?? []).some((l) => skus.includes(String(l.skuId).toLowerCase()));
}

const MAILBOX_ONLY = [
  "Database",
  "ArchiveStatus",
  "ArchiveState",
  "ArchiveDatabase",
  "AutoExpandingArchiveEnabled",
  "ProhibitSendQuota",
  "ProhibitSendReceiveQuota",
  "IssueWarningQuota",
  "RecoverableItemsWarningQuota",
  "RetainDeletedItemsFor",
  "SingleItemRecoveryEnabled",
  "RetentionPolicy",
  "IsMailboxEnabled",
  "IsSoftDeletedByDisable",
  "SKUAssigned",
  "WhenMailboxCreated",
  "LitigationHoldDate",
  "LitigationHoldOwner",
  "LitigationHoldDuration",
  "MailboxMoveFlags",
  "MailboxMoveBatchName",
];

function complete(state: EmulatorState, t: TenantState, b: Rec, now: number): void {
  const endpoint = [...t.exchange.migrationEndpoints.values()].find(
    (e) => String(e.obj.Name) === String(b.SourceEndpoint),
  )?.obj;
  const source = endpoint ? findTenant(state, String(endpoint.RemoteTenant)) : undefined;
  const when = new Date(now).toISOString();
  for (const u of usersOf(t, b)) {
    if (u.Status !== "Completing") continue;
    const ts = t.exchange.recipients.get(String(u[TARGET]).toLowerCase());
    const ss =
      source && ts
        ? [...source.exchange.recipients.values()].find(
            (s) => s.obj.RecipientType === "UserMailbox" && s.obj.ExchangeGuid === ts.obj.ExchangeGuid,
          )
        : undefined;
    if (!ts || !ss || !source) {
      fail(
        u,
        "MigrationPermanentException",
        "The move could not be completed because the source or target object changed.",
      );
      continue;
    }
    const target = ts.obj;
    const src = ss.obj;
    const hasArchive = target.ArchiveGuid !== ZERO_GUID;
    const auxes = ((src.MailboxLocations as string[]) ?? []).filter((l) => l.includes(";AuxArchive;")).length;
    const locations = [`1;${target.ExchangeGuid};Primary;${t.initialDomain};${newGuid(Math.random)}`];
    if (hasArchive) locations.push(`1;${target.ArchiveGuid};MainArchive;${t.initialDomain};${newGuid(Math.random)}`);
    for (let i = 0; i < auxes; i++)
      locations.push(`1;${newGuid(Math.random)};AuxArchive;${t.initialDomain};${newGuid(Math.random)}`);
    const deliveryProxy = (target.EmailAddresses as string[]).find(
      (p) => /^smtp:/i.test(p) && p.toLowerCase().endsWith(`@${String(b.TargetDeliveryDomain).toLowerCase()}`),
    );
    // Target: the MailUser becomes a mailbox of the source's type.
    delete target.ExternalEmailAddress;
    Object.assign(target, {
      RecipientType: "UserMailbox",
      RecipientTypeDetails: src.RecipientTypeDetails,
      ArchiveStatus: hasArchive ? "Active" : "None",
      ArchiveState: hasArchive ? "Local" : "None",
      ArchiveName: src.ArchiveName ?? [],
      AutoExpandingArchiveEnabled: src.AutoExpandingArchiveEnabled ?? false,
      MailboxLocations: locations,
      Database: src.Database,
      ProhibitSendQuota: src.ProhibitSendQuota,
      ProhibitSendReceiveQuota: src.ProhibitSendReceiveQuota,
      IssueWarningQuota: src.IssueWarningQuota,
      RecoverableItemsWarningQuota: exSize(20 * 1024 ** 3),
      IsMailboxEnabled: true,
      WhenMailboxCreated: when,
      MailboxMoveStatus: "Completed",
      WhenChanged: when,
    });
    touched(t.exchange.recipients, ts);
    // Source: the mailbox becomes a MailUser whose external address points at the target.
    for (const k of MAILBOX_ONLY) delete src[k];
    Object.assign(src, {
      RecipientType: "MailUser",
      RecipientTypeDetails: "MailUser",
      ExternalEmailAddress: deliveryProxy ? `SMTP:${deliveryProxy.slice(5)}` : `SMTP:${target.PrimarySmtpAddress}`,
      MailboxLocations: [],
      MailboxMoveStatus: "Completed",
      WhenChanged: when,
    });
    touched(source.exchange.recipients, ss);
    u.Status = "Completed";
    u.StatusSummary = "Completed";
    u.RecipientType = "UserMailbox";
  }
  refreshCounts(t, b);
  b.FinalizedDateTime = when;
  b.Status = (b.FailedCount as number) > 0 ? "CompletedWithErrors" : "Completed";
}
