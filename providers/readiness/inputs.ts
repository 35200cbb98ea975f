// Readiness inputs: offline shape checks that name the property and the fix (no call can be needed to
// reject bad input), normalisation (addresses lower-case), and what counts as a change.

import { isUnknown, type Props } from "../context";
import { addressProblem, domainProblem } from "../../domain/addresses";
import type { ReadinessUser } from "./model";
import { GUID } from "../../domain/ids";
import { tableRecords } from "../recordTable";

export interface Failure {
  property: string;
  reason: string;
}

export const INPUTS = [
  "wave",
  "users",
  "scopeGroup",
  "appId",
  "endpointName",
  "reportPath",
  "targetDeliveryDomain",
  "refreshToken",
  "licensedByStack",
  "liveTest",
] as const;
/** Written by check itself; in `news` only as the class's undefined placeholders. */
export const COMPUTED = [
  "summary",
  "findings",
  "userFindings",
  "blockedUsers",
  "movedUsers",
  "licences",
  "notChecked",
  "reportFile",
  "userChecks",
  "liveTests",
] as const;
/**
 * Inputs whose change alone is not a change: the token only makes the engine run check again, and what the
 * stack licensed changes the findings (which are diffed) or nothing (and older states never had it). The live
 * tests are written at up, never by check; `liveTest` is compared as on/off (the record stores null for off).
 * `userFindings` is compared as part of `findings` (the two together are the findings).
 */
export const NOT_DIFFED = ["refreshToken", "licensedByStack", "liveTest", "liveTests", "userFindings"];

export const deepUnknown = (v: unknown): boolean =>
  isUnknown(v) ||
  (Array.isArray(v) ? v.some(deepUnknown) : !!v && typeof v === "object" && Object.values(v).some(deepUnknown));

export function shape(news: Props, failures: Failure[]): Props {
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const out: Props = {};
  for (const key of Object.keys(news)) {
    if (!(INPUTS as readonly string[]).includes(key) && !(COMPUTED as readonly string[]).includes(key))
      fail(key, `is not an input of Readiness (inputs: ${INPUTS.join(", ")}); remove it`);
  }
  const text = (key: string, reason: string, normalise: (s: string) => string = (s) => s.trim()) => {
    const v = news[key];
    if (isUnknown(v)) return (out[key] = v);
    if (typeof v !== "string" || v.trim() === "") return fail(key, reason);
    out[key] = normalise(v);
  };
  text("wave", "must be the wave's name, e.g. wave-1");
  text(
    "scopeGroup",
    "must name the source's scope group (the mail-enabled security group the source relationship publishes), e.g. its address",
  );
  text("endpointName", "must name the target's migration endpoint, e.g. migration-from-fabrikam");
  text("appId", "must be the migration app's appId (a GUID)", (s) => s.trim().toLowerCase());
  if (typeof out.appId === "string" && !GUID.test(out.appId))
    fail(
      "appId",
      `${JSON.stringify(out.appId)} is not a GUID; give the migration app's appId (MigrationApp output appId)`,
    );
  const report = news.reportPath;
  if (report === undefined || report === null)
    out.reportPath = typeof out.wave === "string" ? `readiness/${out.wave}.md` : report;
  else if (isUnknown(report)) out.reportPath = report;
  else if (typeof report !== "string" || !/\.(md|markdown)$/i.test(report.trim()))
    fail("reportPath", "must be a Markdown file path ending in .md, e.g. readiness/dev-wave-1.md");
  else out.reportPath = report.trim();
  const tdd = news.targetDeliveryDomain;
  if (tdd !== undefined && tdd !== null && !isUnknown(tdd)) {
    const why = typeof tdd === "string" ? domainProblem(tdd.trim().toLowerCase()) : "must be a domain";
    if (why)
      fail("targetDeliveryDomain", `${why}; give the batch's TargetDeliveryDomain, e.g. contoso.onmicrosoft.com`);
    else out.targetDeliveryDomain = (tdd as string).trim().toLowerCase();
  } else if (isUnknown(tdd)) out.targetDeliveryDomain = tdd;
  const token = news.refreshToken;
  if (token !== undefined && token !== null) {
    if (!isUnknown(token) && typeof token !== "string")
      fail("refreshToken", "must be a string (any value; wire it to the outputs this wave's readiness depends on)");
    else out.refreshToken = token;
  }
  const licensed = news.licensedByStack;
  if (licensed !== undefined && licensed !== null) {
    if (isUnknown(licensed)) out.licensedByStack = licensed;
    else if (!Array.isArray(licensed) || licensed.some((a) => !isUnknown(a) && addressProblem(a)))
      fail(
        "licensedByStack",
        "must be the target addresses of the wave's users this stack's LicenceAssignment licensed (its assigned output)",
      );
    else out.licensedByStack = licensed.map((a) => (typeof a === "string" ? a.trim().toLowerCase() : a));
  }
  const live = news.liveTest;
  if (live !== undefined && live !== null) {
    if (typeof live !== "boolean")
      fail(
        "liveTest",
        "must be true or false (stack key waves.<wave>.liveTest): true runs a live test move per ready user at up",
      );
    else if (live) out.liveTest = true;
  }
  // A list from the program; the table form only if a stored value ever comes back as input.
  out.users = users(tableRecords(news.users), fail);
  return out;
}

function users(v: unknown, fail: (property: string, reason: string) => void): unknown {
  if (isUnknown(v)) return v;
  if (!Array.isArray(v)) {
    fail("users", "must be a list of { source, target } address pairs");
    return v;
  }
  const seen = new Map<string, number>();
  return v.map((u, i) => {
    if (isUnknown(u)) return u;
    if (!u || typeof u !== "object" || Array.isArray(u)) {
      fail(`users[${i}]`, "must be an object { source, target }");
      return u;
    }
    const out: Props = {};
    for (const k of Object.keys(u))
      if (k !== "source" && k !== "target")
        fail(`users[${i}].${k}`, "is not a field of a readiness user (source, target); remove it");
    for (const k of ["source", "target"] as const) {
      const a = (u as Props)[k];
      if (isUnknown(a)) {
        out[k] = a;
        continue;
      }
      const why = addressProblem(a);
      if (why) fail(`users[${i}].${k}`, why);
      else out[k] = (a as string).trim().toLowerCase();
    }
    const target = out.target;
    if (typeof target === "string") {
      const first = seen.get(target);
      if (first !== undefined)
        fail(`users[${i}].target`, `${target} is also users[${first}].target; list each user once`);
      else seen.set(target, i);
    }
    return out;
  });
}

/** The users, from the list the program gives or the table the state keeps (readiness.ts stores them so). */
export const knownUsers = (v: unknown): ReadinessUser[] => tableRecords(v) as ReadinessUser[];
