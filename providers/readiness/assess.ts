// One wave's readiness from the facts of both tenants: organisation checks, per-user checks, the licence
// count (needed against available per tenant), and the verdict per user. Pure, so every rule is tested
// table-driven (test/readiness-checks.test.ts) without a tenant.

import { licencePool } from "../licenceAssignment/sku";
import {
  evaluate,
  type Evaluation,
  type Finding,
  type LicenceSummary,
  type NotChecked,
  type ReadinessUser,
  type SourceFacts,
  type TargetFacts,
} from "./model";
import { orgChecks } from "./orgChecks";
import { checkUser, indexes } from "./userChecks";
import type { PerUserChecks } from "./perUser";
import { perUserFindings, perUserNotChecked } from "./perUserChecks";

export interface AssessInput {
  users: ReadinessUser[];
  appId?: string;
  endpointName?: string;
  scopeGroup?: string;
  targetDeliveryDomain?: string;
  sourceDomain: string;
  /** The `refreshToken` input was unknown: this run may still fix what the checks find. */
  pending: boolean;
  /** Target addresses this stack's LicenceAssignment licensed: pending while Exchange does not show the licence. */
  licensedByStack?: string[];
  source?: SourceFacts;
  target?: TargetFacts;
  /** Per-user reads by target address; absent when none were made (the bulk pass, or a pure test). */
  perUser?: Map<string, PerUserChecks>;
}

export function assessWave(input: AssessInput): Evaluation {
  const { source, target, pending } = input;
  const org = orgChecks({
    appId: input.appId,
    endpointName: input.endpointName,
    scopeGroup: input.scopeGroup,
    source,
    target,
    sourceDomain: input.sourceDomain,
    pending,
  });
  const pools = { source: source ? licencePool(source.skus) : null, target: target ? licencePool(target.skus) : null };
  const perUser = input.perUser;
  const licensedByStack = new Set((input.licensedByStack ?? []).map((a) => a.toLowerCase()));
  const ctx = {
    source,
    target,
    pending,
    targetDeliveryDomain: input.targetDeliveryDomain,
    pools,
    licensedByStack,
    perUser,
  };
  const ix = indexes(ctx);
  const findings: Finding[] = [...org.findings];
  const notChecked: NotChecked[] = [...org.notChecked];
  const moved = new Set<string>();
  let needed = 0;
  for (const u of input.users) {
    const r = checkUser(u, ctx, ix);
    if (r.moved) moved.add(u.target);
    if (r.unlicensed) needed++;
    findings.push(...r.findings);
    if (perUser && !r.moved) {
      const src = source ? ix.mailboxes.get(u.source) : undefined;
      const tgt = target ? ix.mailUsers.get(u.target) : undefined;
      findings.push(...perUserFindings(u, perUser.get(u.target), src, tgt, pending));
    }
  }
  if (perUser) notChecked.push(...perUserNotChecked(!!source, !!target));
  if (!source || !target)
    notChecked.push({
      check: "user.licence",
      reason: "the licence may be on either side; this stack sees only one tenant",
      pending: false,
    });
  const licences: LicenceSummary = { needed, source: pools.source, target: pools.target };
  const available = (pools.source?.available ?? 0) + (pools.target?.available ?? 0);
  if (source && target && needed > available) {
    const where = [pools.source, pools.target]
      .map(
        (p, i) =>
          `${i === 0 ? "source" : "target"}: ${p?.found ? `${p.available} of ${p.enabled} left (${p.skuPartNumber})` : "none"}`,
      )
      .join("; ");
    findings.push({
      check: "org.licences",
      severity: "warning",
      tenant: pools.target?.found && !pools.source?.found ? "target" : "source",
      user: null,
      pending,
      message: `${needed} user(s) of the wave need a Cross Tenant User Data Migration licence, ${available} can be assigned (${where})`,
      fix: `Buy at least ${needed - available} more Cross Tenant User Data Migration licences in the source or the target tenant (Microsoft 365 admin center > Billing > Purchase services)`,
    });
  }
  return evaluate(input.users, moved, findings, notChecked, licences);
}
