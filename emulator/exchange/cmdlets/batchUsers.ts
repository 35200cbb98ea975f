// A batch's migration users as the emulator stores them: the hidden keys that tie each to its batch and to its
// target MailUser, its status summary, failing one, and the counts a batch shows of its users.

import type { Rec, TenantState } from "../../model";
import { INTERNAL_PREFIX } from "../recipient";

export const BATCH = `${INTERNAL_PREFIX}batch`;
export const TARGET = `${INTERNAL_PREFIX}target`;

export function usersOf(t: TenantState, b: Rec): Rec[] {
  return [...t.exchange.migrationUsers.values()].map((s) => s.obj).filter((u) => u[BATCH] === b.BatchGuid);
}

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

export function fail(u: Rec, type: string, text: string): void {
  u.Status = "Failed";
  u.StatusSummary = "Failed";
  u.ErrorSummary = `${type}: ${text}`;
}
