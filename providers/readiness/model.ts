// The readiness vocabulary shared by the pure checks, the report and the resource: a finding (what is wrong,
// for whom, how bad, and the exact fix), the facts the bulk reads gather, and how findings become the
// resource's outputs (summary, blocked users). Pure: no I/O.

import type { LicencePool, SubscribedSku } from "../licenceAssignment/sku";
import { lower, text as str } from "../../domain/text";

export type Severity = "blocking" | "warning";
export type Side = "source" | "target";

export interface Finding {
  /** Stable id of the check, e.g. `user.exchangeGuid`, `org.endpoint` (the report's and status's key). */
  check: string;
  /** `blocking`: the move would fail (the user is left out of batches); `warning`: it would run, with a consequence. */
  severity: Severity;
  /** The tenant where the fix is made. */
  tenant: Side;
  /** The user's target address; null for an organisation finding (which concerns every user). */
  user: string | null;
  /**
   * Seen before this run's changes were applied (the `refreshToken` input was unknown at preview): staging,
   * scope membership, licences or the organisation may still fix it in this run. A pending finding blocks
   * nobody; the check at `up` evaluates it again.
   */
  pending: boolean;
  message: string;
  /** The exact command or configuration change that fixes it. */
  fix: string;
}

/** A check that could not run, and why (an input only known at up, or a tenant this stack does not administer). */
export interface NotChecked {
  check: string;
  reason: string;
  /** True when the check will run at up (an unknown input); false when this stack can never run it. */
  pending: boolean;
}

export interface ReadinessUser {
  /** An SMTP address of the source mailbox. */
  source: string;
  /** The target MailUser's primary SMTP address. */
  target: string;
}

/** A Get-* object or Graph entity with the properties we selected. */
export type Listed = Record<string, unknown>;

/** What one bulk read of the source tenant found; absent parts were not read. */
export interface SourceFacts {
  tenantId: string;
  /** Get-Mailbox -ResultSize Unlimited. */
  mailboxes: Listed[];
  /** Get-Recipient MailUsers, read only when a declared source address is not a mailbox (a completed move). */
  mailUsers: Listed[];
  /** Get-OrganizationConfig InPlaceHolds: organisation-wide retention policies. */
  orgHolds: string[];
  relationships: Listed[];
  /** Get-DistributionGroup of the scope group; null when it does not exist. */
  scopeGroup: Listed | null;
  /** Its direct members (Microsoft's validator compares direct members only). */
  scopeMembers: Listed[];
  /** The migration app's service principal in the source (consent); null when absent, undefined when not read. */
  servicePrincipal?: Listed | null;
  skus: SubscribedSku[];
}

export interface TargetFacts {
  tenantId: string;
  /** What `New-MigrationEndpoint -RemoteServer` must be in this cloud. */
  remoteServer: string;
  /** Get-MailUser -ResultSize Unlimited. */
  mailUsers: Listed[];
  /** Get-Recipient mailboxes, read only when a declared target address is not a MailUser. */
  mailboxes: Listed[];
  acceptedDomains: string[];
  relationships: Listed[];
  /** Get-MigrationEndpoint of the named endpoint; null when absent, undefined when not read. */
  endpoint?: Listed | null;
  /** The migration app registration; null when absent, undefined when not read. */
  app?: Listed | null;
  skus: SubscribedSku[];
}

export interface LicenceSummary {
  /** Users in the wave (not yet moved, user mailboxes) without the licence on either side. */
  needed: number;
  source: LicencePool | null;
  target: LicencePool | null;
}

export interface ReadinessSummary {
  users: number;
  ready: number;
  blocked: number;
  /** Not blocked, but some check waits for this run's changes (re-evaluated at up). */
  pending: number;
  /** Already moved (the source is a MailUser, the target a mailbox): nothing to check or batch. */
  moved: number;
  /** Warning findings (organisation and users), pending ones excepted. */
  warnings: number;
}

export interface UserVerdict {
  source: string;
  target: string;
  state: "ready" | "blocked" | "pending" | "moved";
}

export interface Evaluation {
  findings: Finding[];
  notChecked: NotChecked[];
  users: UserVerdict[];
  blockedUsers: string[];
  movedUsers: string[];
  summary: ReadinessSummary;
  licences: LicenceSummary;
}

/**
 * From findings to verdicts. An organisation finding that blocks blocks every user not yet moved (no move
 * can run); pending findings and pending not-checked entries make a user pending, never blocked.
 */
export function evaluate(
  users: ReadinessUser[],
  moved: Set<string>,
  findings: Finding[],
  notChecked: NotChecked[],
  licences: LicenceSummary,
): Evaluation {
  const orgBlocked = findings.some((f) => f.user === null && f.severity === "blocking" && !f.pending);
  const orgPending = findings.some((f) => f.user === null && f.pending) || notChecked.some((n) => n.pending);
  const verdicts = users.map((u): UserVerdict => {
    if (moved.has(u.target)) return { ...u, state: "moved" };
    const own = findings.filter((f) => f.user === u.target);
    if (orgBlocked || own.some((f) => f.severity === "blocking" && !f.pending)) return { ...u, state: "blocked" };
    if (orgPending || own.some((f) => f.pending)) return { ...u, state: "pending" };
    return { ...u, state: "ready" };
  });
  const count = (s: UserVerdict["state"]) => verdicts.filter((v) => v.state === s).length;
  return {
    findings,
    notChecked,
    users: verdicts,
    blockedUsers: verdicts.filter((v) => v.state === "blocked").map((v) => v.target),
    movedUsers: verdicts.filter((v) => v.state === "moved").map((v) => v.target),
    summary: {
      users: users.length,
      ready: count("ready"),
      blocked: count("blocked"),
      pending: count("pending"),
      moved: count("moved"),
      warnings: findings.filter((f) => f.severity === "warning" && !f.pending).length,
    },
    licences,
  };
}

// Small readers of Exchange's shapes, shared by the checks.
export { text as str } from "../../domain/text";
export const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(str) : typeof v === "string" && v !== "" ? [v] : [];
export { exchangeGuidOf as guid } from "../../domain/ids";

/** Every SMTP address of an object, lower-case: its SMTP proxies and its primary. */
export function smtpOf(o: Listed): string[] {
  const out = list(o.EmailAddresses)
    .filter((p) => /^smtp:/i.test(p))
    .map((p) => p.slice(5).toLowerCase());
  const primary = lower(o.PrimarySmtpAddress);
  if (primary && !out.includes(primary)) out.push(primary);
  return out;
}

export function byAddress(objects: Listed[]): Map<string, Listed> {
  const map = new Map<string, Listed>();
  for (const o of objects) for (const a of smtpOf(o)) if (!map.has(a)) map.set(a, o);
  return map;
}

/** Bytes in Exchange's size text, "30 GB (32,212,254,720 bytes)"; undefined when it is not one ("Unlimited"). */
export { sizeInBytes as sizeBytes } from "../tenant/exchangeWire";

/** How a check records a finding for one user. */
export type Add = (
  tenant: Side,
  check: string,
  severity: Finding["severity"],
  message: string,
  fix: string,
  mayPend?: boolean,
  pendingAnyway?: boolean,
) => void;
