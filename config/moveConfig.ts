// The stack keys that take a staged wave to moved mailboxes (issue 7), read and checked offline like the
// rest of the configuration: every mistake named by its key, with the fix.
//
//   licences                        { assign: none | source | target, usageLocation?: "US" }  (opt-in)
//   waves.<wave>.batch              { start?, complete?, completeAfter?, retryFailed? }  (absent: no batch for the wave)
//   waves.<wave>.split              true: a wave over 2,000 users moves in several batches
//   waves.<wave>.clearPreviousMailboxInfo  [addresses of the wave's users]: run the irreversible
//                                   Set-User -PermanentlyClearPreviousMailboxInfo on their target MailUsers (opt-in)
//   removeCompletedBatchesOnDestroy destroy removes completed batches too (default false)
//   readinessReportDir              where the readiness reports are written (default readiness/)
//
// Starting and completing a batch are explicit, reviewed changes: each is a value here, so `pulumi preview`
// shows it before anything moves.

import type * as pulumi from "@pulumi/pulumi";
import { ISO_WITH_ZONE } from "../providers/migrationBatch/inputs";
import { StackConfigError } from "./stackConfig";

export type LicenceSide = "none" | "source" | "target";

export interface LicencePlan {
  /** Where the Cross Tenant User Data Migration licence is assigned; none: the stack only reports the need. */
  assign: LicenceSide;
  /** Two-letter country given to users without one (Microsoft requires a usage location before a licence). */
  usageLocation?: string;
}

/** A wave's migration batch, as declared: what the MigrationBatch resources are told. */
export interface BatchPlan {
  start: boolean;
  complete: boolean;
  /** ISO date-time with a zone; "" = complete with `complete: true`. */
  completeAfter: string;
  /** Any text; each new value retries the batch's failed users once (absent: never retried). */
  retryFailed?: string;
}

export interface MoveConfig {
  licences: LicencePlan;
  removeCompletedBatchesOnDestroy: boolean;
  /** Directory of the readiness reports, relative to the project (or absolute). */
  readinessReportDir: string;
}

const SIDES: readonly LicenceSide[] = ["none", "source", "target"];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function readMoveConfig(config: pulumi.Config): MoveConfig {
  const ns = config.name;
  const problems: string[] = [];
  const key = (k: string) => `${ns}:${k}`;

  let raw: unknown;
  try {
    raw = config.getObject<unknown>("licences");
  } catch {
    problems.push(
      `${key("licences")} is not structured configuration; set it by path, e.g. pulumi config set --path 'licences.assign' target`,
    );
  }
  const licences: LicencePlan = { assign: "none" };
  if (raw !== undefined && raw !== null) {
    if (!isObject(raw))
      problems.push(
        `${key("licences")} must be an object { assign: none | source | target, usageLocation?: "US" }, e.g. pulumi config set --path 'licences.assign' target`,
      );
    else {
      for (const k of Object.keys(raw))
        if (k !== "assign" && k !== "usageLocation")
          problems.push(`${key(`licences.${k}`)} is not a licence setting (assign, usageLocation); remove it`);
      const assign = raw.assign ?? "none";
      if (typeof assign !== "string" || !SIDES.includes(assign as LicenceSide)) {
        problems.push(
          `${key("licences.assign")}: ${JSON.stringify(assign)} is not none, source or target. source licenses the source mailboxes; target licenses the ` +
            `staged MailUsers once their ExchangeGuid is stamped: pulumi config set --path 'licences.assign' target`,
        );
      } else licences.assign = assign as LicenceSide;
      const where = raw.usageLocation;
      if (where !== undefined && where !== null && where !== "") {
        if (typeof where !== "string" || !/^[A-Za-z]{2}$/.test(where))
          problems.push(`${key("licences.usageLocation")}: must be a two-letter country code, e.g. US`);
        else licences.usageLocation = where.toUpperCase();
      }
    }
  }

  let removeCompleted = false;
  try {
    removeCompleted = config.getBoolean("removeCompletedBatchesOnDestroy") ?? false;
  } catch {
    problems.push(
      `${key("removeCompletedBatchesOnDestroy")} must be true or false: pulumi config set removeCompletedBatchesOnDestroy true`,
    );
  }
  const dir = (config.get("readinessReportDir") ?? "").trim() || "readiness";

  if (problems.length === 1) throw new StackConfigError(problems[0]);
  if (problems.length > 1)
    throw new StackConfigError(
      `The migration settings have ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  return { licences, removeCompletedBatchesOnDestroy: removeCompleted, readinessReportDir: dir };
}

/**
 * `waves.<wave>.batch`, checked offline; `at` is its key path (e.g. xtmm:waves.wave-1.batch). Undefined (and a
 * problem) when it is malformed; `{}` declares a batch that is created but not started.
 */
export function parseBatch(spec: unknown, at: string, problems: string[]): BatchPlan | undefined {
  const example = `pulumi config set --path '${at.replace(/^[^:]+:/, "")}.start' true`;
  if (!isObject(spec)) {
    problems.push(
      `${at} must be an object { start?: true|false, complete?: true|false, completeAfter?: "<ISO date-time with a zone>" }, e.g. ${example}`,
    );
    return undefined;
  }
  const before = problems.length;
  for (const k of Object.keys(spec))
    if (!["start", "complete", "completeAfter", "retryFailed"].includes(k))
      problems.push(
        `${at}.${k} is not a batch setting (start, complete, completeAfter); remove it (or, to retry the failed users of a started batch, use retryFailed)`,
      );
  const flag = (k: "start" | "complete"): boolean => {
    const v = spec[k];
    if (v === undefined || v === null) return false;
    if (typeof v !== "boolean")
      problems.push(`${at}.${k} must be true or false (a YAML boolean, not ${JSON.stringify(v)})`);
    return v === true;
  };
  const start = flag("start");
  const complete = flag("complete");
  let completeAfter = "";
  const after = spec.completeAfter;
  if (after !== undefined && after !== null && after !== "") {
    if (typeof after !== "string" || !ISO_WITH_ZONE.test(after.trim()) || Number.isNaN(Date.parse(after))) {
      problems.push(
        `${at}.completeAfter must be an ISO date-time with a zone, e.g. 2026-12-05T18:00:00Z (Exchange completes the batch after it), not ${JSON.stringify(after)}`,
      );
    } else completeAfter = after.trim();
  }
  if (complete && !start)
    problems.push(`${at}.complete needs ${at}.start: true; a batch completes after its users have synced`);
  const retryFailed = parseRetry(spec.retryFailed, at, start, problems);
  if (problems.length !== before) return undefined;
  return { start, complete, completeAfter, ...(retryFailed ? { retryFailed } : {}) };
}

/**
 * `waves.<wave>.batch.retryFailed`: a token, not a switch. Start-MigrationBatch retries a batch's failed users
 * (https://learn.microsoft.com/powershell/module/exchangepowershell/start-migrationbatch), a one-off act, so
 * each retry is a new value the engineer writes and `pulumi preview` shows; the same value again does nothing.
 */
function parseRetry(v: unknown, at: string, start: boolean, problems: string[]): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  const example = `pulumi config set --path '${at.replace(/^[^:]+:/, "")}.retryFailed' "$(date -u +%FT%TZ)"`;
  if ((typeof v !== "string" && typeof v !== "number") || String(v).trim() === "") {
    problems.push(
      `${at}.retryFailed must be a text you change for each retry (e.g. the date), not ${JSON.stringify(v)}: ${example}`,
    );
    return undefined;
  }
  if (!start) {
    problems.push(`${at}.retryFailed needs ${at}.start: true; only a started batch has failed moves to retry`);
    return undefined;
  }
  return String(v).trim();
}

/** `waves.<wave>.split`: whether a wave may exceed one batch. */
export function parseSplit(spec: unknown, at: string, problems: string[]): boolean {
  if (spec === undefined || spec === null) return false;
  if (typeof spec !== "boolean") {
    problems.push(
      `${at} must be true or false: true lets the wave hold more than 2,000 users and move in several batches`,
    );
    return false;
  }
  return spec;
}

/** `waves.<wave>.liveTest`: opt-in to one Test-MigrationServerAvailability per ready user at `pulumi up`. */
export function parseLiveTest(spec: unknown, at: string, problems: string[]): boolean {
  if (spec === undefined || spec === null) return false;
  if (typeof spec !== "boolean") {
    problems.push(
      `${at} must be true or false: true runs a live test move (Test-MigrationServerAvailability) for each ready user of the wave at pulumi up, e.g. pulumi config set --path '${at.replace(/^[^:]*:/, "")}' true`,
    );
    return false;
  }
  return spec;
}

/** A user of the wave, by the addresses an engineer may name it with. */
export interface WaveUserNames {
  sourceAddress: string;
  targetPrimary: string;
}

/**
 * `waves.<wave>.clearPreviousMailboxInfo`: the wave's users whose target MailUser gets its previous-mailbox
 * information cleared for good. Each entry is a source or target address of a user of the same wave (nobody else
 * can be named: the clear is irreversible); the result is their target addresses, in the wave's order.
 */
export function parseClearPreviousMailboxInfo(
  spec: unknown,
  at: string,
  users: WaveUserNames[],
  problems: string[],
): string[] {
  if (spec === undefined || spec === null) return [];
  const example = `pulumi config set --path '${at.replace(/^[^:]+:/, "")}[0]' ${users[0]?.sourceAddress ?? "adele@fabrikam.com"}`;
  if (!Array.isArray(spec)) {
    problems.push(`${at} must be a list of addresses of the wave's users, e.g. ${example}`);
    return [];
  }
  const byAddress = new Map<string, string>();
  for (const u of users) {
    byAddress.set(u.sourceAddress.toLowerCase(), u.targetPrimary.toLowerCase());
    byAddress.set(u.targetPrimary.toLowerCase(), u.targetPrimary.toLowerCase());
  }
  const chosen = new Set<string>();
  spec.forEach((v, i) => {
    const a = typeof v === "string" ? v.trim().toLowerCase() : "";
    const target = byAddress.get(a);
    if (!target)
      problems.push(
        `${at}[${i}]: ${JSON.stringify(v)} is not a user of this wave; name a user of the wave by its source or target address ` +
          "(the clear is irreversible, so only the wave's own users can be named)",
      );
    else chosen.add(target);
  });
  return users.map((u) => u.targetPrimary.toLowerCase()).filter((t) => chosen.has(t));
}
