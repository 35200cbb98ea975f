// MigrationBatch inputs and outputs, the offline checks, and the diff. Microsoft takes a batch's users and
// settings once, at New-MigrationBatch (the reference has no Set-MigrationBatch, and a cross-tenant batch's
// user list cannot be edited in place), so: before the batch starts, a changed creation parameter replaces
// the batch (nothing has moved yet); after it started, check refuses the change and says what to do
// instead. Starting, stopping, completing and retrying the failed users are the only in-place changes, each
// an explicit input.

import type * as pulumi from "@pulumi/pulumi";
import { isUnknown, type Props } from "../context";
import { BATCH_LIMIT } from "../staging/plan";
import { isAddress } from "../../domain/addresses";
import { lower } from "../../domain/text";
import { isDomain } from "../../domain/addresses";
import type { MoveState } from "./moves";

export interface Inputs extends Props {
  /** The batch's name in Exchange (Get-MigrationBatch -Identity). */
  name: string;
  /** The staged MailUsers' TARGET addresses: the CSV's EmailAddress column (never the source addresses). */
  targetAddresses: string[];
  /** The migration endpoint's identity (-SourceEndpoint). */
  sourceEndpoint: string;
  targetDeliveryDomain: string;
  /** Start the batch (-AutoStart at creation, Start-MigrationBatch later); false again stops it. */
  start: boolean;
  /** ISO date-time with a zone: Exchange completes the batch after it (-CompleteAfter); "" = complete by hand (`complete`). */
  completeAfter: string;
  /** Complete the batch now (Complete-MigrationBatch); never undone. */
  complete: boolean;
  notificationEmails: string[];
  /** Destroy removes the batch even once it has completed (default false: a completed batch is left as the move's record). */
  removeCompletedOnDestroy: boolean;
  /**
   * A token: each new non-empty value retries the batch's failed users once (Start-MigrationBatch). "" (default,
   * and what state written before it existed means) retries nothing.
   */
  retryFailed: string;
  /** Users whose licence this stack just assigned: create waits until Exchange shows it (licences.ts); never diffed. */
  awaitLicences?: { tenant: "source" | "target"; addresses: string[] } | null;
}

export interface UserState {
  address: string;
  /** MigrationUserStatus, e.g. Queued, Syncing, Synced, Completed, Failed. */
  status: string;
  /**
   * PercentageComplete from Get-MigrationUserStatistics; 0 while queued and 100 once completed without a
   * call; null when not measured (a refresh measures at most a bounded number of users; `npm run status`
   * measures all).
   */
  percent: number | null;
}

/** What the service says about the batch (the outputs beyond the recorded inputs). */
export interface Observed {
  identity: string;
  batchGuid: string;
  /** MigrationBatchStatus, e.g. Stopped, Syncing, Synced, SyncedwithErrors, Completing, Completed; "Removed": a completed batch Exchange has since removed. */
  status: string;
  totalCount: number;
  activeCount: number;
  pendingCount: number;
  syncedCount: number;
  finalizedCount: number;
  failedCount: number;
  users: UserState[];
  /** Failed users and Microsoft's reason (ErrorSummary, shortened). */
  failures: { address: string; error: string }[];
  /**
   * Each started user's move as Get-MoveRequestStatistics reports it (status, percent, bytes transferred, a
   * failure's message and what to do next); absent from state written before it existed.
   */
  moves?: MoveState[];
  /** ISO; "" until the batch first started (StartDateTime). */
  startedAt: string;
}

export interface Outputs extends Inputs, Observed {
  /** The batch existed before this stack created it; destroy leaves it. */
  adopted: boolean;
}

export const INPUTS = [
  "name",
  "targetAddresses",
  "sourceEndpoint",
  "targetDeliveryDomain",
  "start",
  "completeAfter",
  "complete",
  "notificationEmails",
  "removeCompletedOnDestroy",
  "retryFailed",
  "awaitLicences",
] as const;
/** What New-MigrationBatch fixes for the batch's life. */
export const CREATION = [
  "name",
  "targetAddresses",
  "sourceEndpoint",
  "targetDeliveryDomain",
  "completeAfter",
  "notificationEmails",
] as const;

/** A date-time with an explicit zone: Exchange reads a zoneless value as UTC, which an engineer may not mean. */
export const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

const anyUnknown = (v: unknown): boolean => isUnknown(v) || (Array.isArray(v) && v.some(isUnknown));

/** Fills the defaults and normalizes addresses (lower-case, order kept) and the date (UTC ISO). */
export function withDefaults(news: Props): Props {
  const out: Props = {
    start: false,
    complete: false,
    completeAfter: "",
    notificationEmails: [],
    removeCompletedOnDestroy: false,
    retryFailed: "",
    ...news,
  };
  for (const k of ["start", "complete", "removeCompletedOnDestroy"])
    if (out[k] === undefined || out[k] === null) out[k] = false;
  if (out.completeAfter === undefined || out.completeAfter === null) out.completeAfter = "";
  if (out.retryFailed === undefined || out.retryFailed === null) out.retryFailed = "";
  if (typeof out.retryFailed === "string") out.retryFailed = out.retryFailed.trim();
  if (out.notificationEmails === undefined || out.notificationEmails === null) out.notificationEmails = [];
  for (const k of ["targetAddresses", "notificationEmails"]) {
    if (Array.isArray(out[k]))
      out[k] = (out[k] as unknown[]).map((a) => (isUnknown(a) || typeof a !== "string" ? a : a.trim().toLowerCase()));
  }
  if (typeof out.completeAfter === "string" && ISO_WITH_ZONE.test(out.completeAfter.trim()))
    out.completeAfter = new Date(out.completeAfter.trim()).toISOString();
  return out;
}

function sameSet(a: unknown, b: unknown): boolean {
  const x = new Set((Array.isArray(a) ? a : []).map(lower));
  const y = new Set((Array.isArray(b) ? b : []).map(lower));
  return x.size === y.size && [...x].every((v) => y.has(v));
}

/** Whether a creation parameter differs between the recorded and the new inputs (unknown counts as different). */
export function creationChanged(key: (typeof CREATION)[number], olds: Props, news: Props): boolean {
  const a = olds[key];
  const b = news[key];
  if (anyUnknown(b)) return true;
  if (key === "targetAddresses" || key === "notificationEmails") return !sameSet(a, b);
  if (key === "name" || key === "completeAfter") return String(a ?? "") !== String(b ?? "");
  return lower(a) !== lower(b);
}

const WHY_FIXED =
  "Microsoft takes a migration batch's users and settings once, when New-MigrationBatch creates it, and a started batch can't be replaced without losing its progress";

const FIX: Record<(typeof CREATION)[number], string> = {
  name: "keep the name; to rename, let this batch finish (or stop it with start: false) and declare a new batch",
  targetAddresses:
    "keep this batch's users; put new users in another batch (another wave, or a second batch of this wave), and leave users who should not move out of it by stopping it (start: false)",
  sourceEndpoint: "keep the endpoint this batch was created with",
  targetDeliveryDomain: "keep the delivery domain this batch was created with",
  completeAfter: "keep the date; to complete earlier, set complete: true",
  notificationEmails: "keep the addresses this batch was created with",
};

export function checkInputs(olds: Props, news: Props): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const {
    name,
    targetAddresses,
    sourceEndpoint,
    targetDeliveryDomain,
    start,
    complete,
    completeAfter,
    notificationEmails,
  } = news;
  if (!isUnknown(name) && (typeof name !== "string" || name.trim() === "" || name !== name.trim()))
    fail("name", "must be the batch's name: a non-empty string without leading or trailing spaces");
  if (!isUnknown(targetAddresses)) {
    if (!Array.isArray(targetAddresses))
      fail("targetAddresses", "must be a list of the staged MailUsers' target addresses");
    else {
      const bad = targetAddresses.filter((a) => !isUnknown(a) && !isAddress(a));
      const seen = new Set<string>();
      const dup = targetAddresses.filter(
        (a) => typeof a === "string" && !isUnknown(a) && (seen.has(a) || !seen.add(a)),
      );
      if (targetAddresses.length === 0)
        fail(
          "targetAddresses",
          "is empty; a batch needs at least one staged user (declare no batch for a wave without staged users)",
        );
      if (targetAddresses.length > BATCH_LIMIT)
        fail(
          "targetAddresses",
          `has ${targetAddresses.length} addresses; Microsoft allows at most ${BATCH_LIMIT} mailboxes per batch: split the wave with splitIntoBatches`,
        );
      if (bad.length)
        fail(
          "targetAddresses",
          `${bad.length} entr${bad.length === 1 ? "y is" : "ies are"} not an SMTP address: ${bad
            .slice(0, 5)
            .map((b) => JSON.stringify(b))
            .join(", ")}`,
        );
      if (dup.length)
        fail(
          "targetAddresses",
          `lists ${[...new Set(dup)].slice(0, 5).join(", ")} more than once; each user may appear once`,
        );
    }
  }
  if (!isUnknown(sourceEndpoint) && (typeof sourceEndpoint !== "string" || sourceEndpoint.trim() === ""))
    fail("sourceEndpoint", "must name the migration endpoint (the MigrationEndpoint resource's identity)");
  if (!isUnknown(targetDeliveryDomain) && !isDomain(targetDeliveryDomain)) {
    fail(
      "targetDeliveryDomain",
      `must be a domain such as contoso.onmicrosoft.com (the domain of the staged users' delivery address), not ${JSON.stringify(targetDeliveryDomain)}`,
    );
  }
  for (const k of ["start", "complete", "removeCompletedOnDestroy"] as const)
    if (!isUnknown(news[k]) && typeof news[k] !== "boolean") fail(k, "must be true or false");
  if (
    !isUnknown(completeAfter) &&
    (typeof completeAfter !== "string" ||
      (completeAfter !== "" && (!ISO_WITH_ZONE.test(completeAfter) || Number.isNaN(Date.parse(completeAfter)))))
  ) {
    fail(
      "completeAfter",
      `must be "" (complete by hand) or an ISO date-time with a zone, e.g. 2026-12-05T18:00:00Z, not ${JSON.stringify(completeAfter)}`,
    );
  }
  if (
    !isUnknown(notificationEmails) &&
    (!Array.isArray(notificationEmails) || notificationEmails.some((a) => !isUnknown(a) && !isAddress(a)))
  ) {
    fail("notificationEmails", "must be a list of SMTP addresses");
  }
  if (complete === true && start === false)
    fail("complete", "needs start: true; a batch completes after its users have synced");
  const retry = news.retryFailed;
  if (!isUnknown(retry) && typeof retry !== "string")
    fail("retryFailed", `must be a text you change for each retry (e.g. the date), not ${JSON.stringify(retry)}`);
  if (typeof retry === "string" && retry !== "" && start === false)
    fail("retryFailed", "needs start: true; only a started batch has failed moves to retry");
  for (const key of Object.keys(news))
    if (!(INPUTS as readonly string[]).includes(key))
      fail(key, `is not an input of MigrationBatch (inputs: ${INPUTS.join(", ")}); remove it`);

  // What was already done to the batch (the recorded inputs) limits what may change.
  if (olds.name !== undefined) {
    if (olds.complete === true && complete === false)
      fail("complete", "was true: completing a batch moves the mailboxes and can't be undone; keep complete: true");
    if (olds.complete === true && start === false)
      fail("start", "the batch was completed; there is nothing to stop. Keep start: true");
    if (olds.start === true) {
      for (const key of CREATION)
        if (creationChanged(key, olds, news) && !anyUnknown(news[key]))
          fail(key, `can't change: this batch was started. ${WHY_FIXED}; ${FIX[key]}`);
    }
  }
  return failures;
}

/** Statuses of a batch that never moved anything (documented: Stopped = created but not started, or stopped). */
export const NOT_STARTED = ["Created", "Stopped"];

export function diffBatch(olds: Outputs, news: Inputs): pulumi.dynamic.DiffResult {
  const replaces = CREATION.filter((k) => creationChanged(k, olds, news));
  const started = Boolean(olds.startedAt) || !NOT_STARTED.includes(olds.status);
  // Preview: a value not known yet may turn out unchanged; up diffs again with it known.
  if (started && replaces.length > 0 && replaces.every((k) => anyUnknown(news[k])))
    return { changes: true, replaces: [] };
  if (replaces.length > 0) {
    // A started batch is never replaced (check refuses that for inputs; this catches a batch started by hand).
    if (started) {
      throw new Error(
        `Migration batch '${olds.name}' has started (status ${olds.status}), so ${replaces.join(", ")} can't change: ${WHY_FIXED}. ` +
          `Put the change back, or remove the batch by hand first (Stop-MigrationBatch, Remove-MigrationBatch -Identity '${olds.name}') and run pulumi refresh.`,
      );
    }
    // The new batch would collide with the old one by name and by its users (a user may be in one batch only).
    return { changes: true, replaces, deleteBeforeReplace: true };
  }
  // removeCompletedOnDestroy changes no batch, but destroy reads it from the state, so the state must take it.
  const diffs = (["start", "complete", "removeCompletedOnDestroy"] as const).filter(
    (k) => isUnknown(news[k]) || Boolean(news[k]) !== Boolean(olds[k]),
  );
  // State written before retryFailed existed holds none: that is "", so it diffs clean.
  const retry = isUnknown(news.retryFailed) || String(news.retryFailed ?? "") !== String(olds.retryFailed ?? "");
  return diffs.length || retry ? { changes: true, replaces: [] } : { changes: false };
}
