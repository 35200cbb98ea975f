// Our stand-in for the Mailbox Replication Service: simple, but it checks what Microsoft documents a move
// needs (moveChecks.ts: its guide and its validator script) and changes recipient types on completion the way
// Microsoft describes (moveCompletion.ts): the target MailUser becomes a mailbox, the source mailbox becomes a
// MailUser pointing at it. Time drives it: each phase takes `migrationPhaseMs`, evaluated lazily on every
// Exchange request; this file holds the phases of a batch and its users.

import type { EmulatorState, Rec, TenantState } from "../../model";
import type { ExchangeKnobs } from "../knobs";
import { INTERNAL_PREFIX } from "../recipient";
import { BATCH, fail, refreshCounts, statusSummary, usersOf } from "./batchUsers";
import { userProblem } from "./moveChecks";
import { complete } from "./moveCompletion";

const PHASE_AT = `${INTERNAL_PREFIX}phaseAt`;
/** When the user's move request was made: the migration service injects one per user as its sync starts. */
export const MOVE_AT = `${INTERNAL_PREFIX}moveAt`;
/** The emulator's mailbox sizes (a 540 MB mailbox of 1,200 items), shared by both statistics cmdlets. */
export const MAILBOX_BYTES = 566_231_040;
export const MAILBOX_ITEMS = 1200;

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
