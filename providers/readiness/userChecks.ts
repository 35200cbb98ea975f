// The per-user checks of Microsoft's CrossTenantMailboxMigrationValidation.ps1 (microsoft/CSS-Exchange,
// checks 1–13), run for a whole wave against the bulk listings of both tenants. Pure: facts in,
// findings out. Severity says whether the move would FAIL (blocking: Microsoft's documented failures and
// those admins report) or run with a consequence (warning); each finding carries the exact fix.

import { hasMoveCapability, type LicencePool } from "../licenceAssignment/sku";
import { MAX_AUX_ARCHIVES } from "../sourceMailboxes/assess";
import { domainOf } from "../../domain/addresses";
import { holdsOf } from "./holds";
import {
  byAddress,
  guid,
  list,
  smtpOf,
  str,
  type Finding,
  type Listed,
  type ReadinessUser,
  type Side,
  type SourceFacts,
  type TargetFacts,
  type Add,
} from "./model";
import { lower } from "../../domain/text";
import type { PerUserChecks } from "./perUser";
import { quotaWarning } from "./perUserChecks";
import { licenceCheck } from "./licenceCheck";

/** MailboxMoveStatus values that mean no move request is in the way. */
const NOT_MOVING = ["", "none", "completed", "completedwithwarning"];

export interface UserCheckContext {
  source?: SourceFacts;
  target?: TargetFacts;
  /** The `refreshToken` input is unknown: this run still changes staging, scope, licences or the organisation. */
  pending: boolean;
  /** Optional: the batch's TargetDeliveryDomain; the MailUser needs an address in it. */
  targetDeliveryDomain?: string;
  /** The licence pools, for the fix of an unlicensed user. */
  pools: { source: LicencePool | null; target: LicencePool | null };
  /** Per-user reads (perUserRead.ts) by target address; a user's HoldTracking log replaces the organisation's list. */
  perUser?: Map<string, PerUserChecks>;
  /** Target addresses whose licence this stack assigned (LicenceAssignment): not shown yet means pending. */
  licensedByStack?: Set<string>;
}

export interface UserResult {
  findings: Finding[];
  moved: boolean;
  /** Neither side shows the licence (a user mailbox not yet moved). */
  unlicensed: boolean;
}

/** Per-wave indexes of the listings, built once (a wave has up to 2,000 users). */
export interface Indexes {
  mailboxes: Map<string, Listed>;
  sourceMailUsers: Map<string, Listed>;
  mailUsers: Map<string, Listed>;
  targetMailboxes: Map<string, Listed>;
  scopeMembers: Set<string>;
}

export function indexes(ctx: UserCheckContext): Indexes {
  const members = new Set<string>();
  for (const m of ctx.source?.scopeMembers ?? [])
    for (const k of [m.Guid, m.Name, m.ExternalDirectoryObjectId, m.PrimarySmtpAddress])
      if (str(k)) members.add(lower(k));
  return {
    mailboxes: byAddress(ctx.source?.mailboxes ?? []),
    sourceMailUsers: byAddress(ctx.source?.mailUsers ?? []),
    mailUsers: byAddress(ctx.target?.mailUsers ?? []),
    targetMailboxes: byAddress(ctx.target?.mailboxes ?? []),
    scopeMembers: members,
  };
}

export function checkUser(u: ReadinessUser, ctx: UserCheckContext, ix: Indexes): UserResult {
  const out: Finding[] = [];
  // Source-mailbox facts (type, holds, archives, a move under way) cannot change in this run: never pending.
  const add = (
    tenant: Side,
    check: string,
    severity: Finding["severity"],
    message: string,
    fix: string,
    mayPend = true,
    pendingAnyway = false,
  ) =>
    out.push({
      check,
      severity,
      tenant,
      user: u.target,
      pending: pendingAnyway || (mayPend && ctx.pending),
      message: `${u.target} (source ${u.source}): ${message}`,
      fix,
    });
  const src = ctx.source ? ix.mailboxes.get(u.source) : undefined;
  const tgt = ctx.target ? ix.mailUsers.get(u.target) : undefined;

  if (ctx.source && !src) {
    const movedSource = ix.sourceMailUsers.get(u.source);
    if (movedSource && guid(movedSource.ExchangeGuid) !== "") return { findings: [], moved: true, unlicensed: false };
    add(
      "source",
      "user.source.found",
      "blocking",
      `no mailbox in the source tenant has the address ${u.source}`,
      `Correct the source address of this user in the wave, or remove the user from it`,
      false,
    );
  }
  if (!ctx.source && ctx.target && !tgt && ix.targetMailboxes.has(u.target)) {
    // Split administration, target side: a target mailbox is a finished move (or a clash we cannot tell apart).
    return { findings: [], moved: true, unlicensed: false };
  }
  let heldBySource = false;
  if (src) {
    const before = out.length;
    sourceChecks(u, src, ctx, ix, add);
    heldBySource = out.slice(before).some((f) => f.severity === "blocking" && !f.pending);
  }
  if (ctx.target && !tgt) {
    const other = ix.targetMailboxes.get(u.target);
    if (other && src && guid(other.ExchangeGuid) === guid(src.ExchangeGuid))
      return { findings: [], moved: true, unlicensed: false };
    if (other) {
      add(
        "target",
        "user.target.type",
        "blocking",
        `the target address belongs to a ${str(other.RecipientTypeDetails)} (${str(other.Name)}), not a MailUser; a move needs a MailUser (MigrationUserTypeIncorrectException)`,
        `Free the address ${u.target} in the target, or give the user another target address`,
      );
    } else if (!heldBySource) {
      // A user held because of its source is deliberately not staged; the source finding says why.
      add(
        "target",
        "user.target.found",
        "blocking",
        "no MailUser in the target tenant has this address",
        `Stage it: the wave's MailUser resource mailuser/${u.target} creates it (pulumi up), or New-MailUser with the values of the source mailbox`,
      );
    }
  }
  if (tgt) targetChecks(u, tgt, ctx, add);
  if (src && tgt) pairChecks(u, src, tgt, ctx, add);
  const unlicensed =
    !ctx.licensedByStack?.has(u.target) &&
    !!src &&
    str(src.RecipientTypeDetails) === "UserMailbox" &&
    !hasMoveCapability(src.PersistedCapabilities) &&
    !(tgt && hasMoveCapability(tgt.PersistedCapabilities));
  if (src && ctx.target) licenceCheck(u, src, tgt, ctx, add);
  return { findings: out, moved: false, unlicensed };
}

function sourceChecks(u: ReadinessUser, src: Listed, ctx: UserCheckContext, ix: Indexes, add: Add): void {
  const who = u.source;
  const type = str(src.RecipientTypeDetails);
  if (!["UserMailbox", "SharedMailbox"].includes(type)) {
    add(
      "source",
      "user.source.type",
      "blocking",
      `the source is a ${type || "recipient of unknown type"}; only user and shared mailboxes move cross-tenant`,
      "Remove the user from the wave",
      false,
    );
  }
  const aux = list(src.MailboxLocations).filter((l) => /;auxarchive;/i.test(l)).length;
  if (aux > MAX_AUX_ARCHIVES) {
    add(
      "source",
      "user.auxArchives",
      "blocking",
      `the source has ${aux} auxiliary archives; at most ${MAX_AUX_ARCHIVES} can move`,
      `Reduce the archive below ${MAX_AUX_ARCHIVES} auxiliary archives (with Microsoft support), or move the user another way`,
      false,
    );
  }
  const log = ctx.perUser?.get(u.target)?.holdTracking?.value;
  for (const h of holdsOf(src, ctx.source?.orgHolds ?? [], who, log?.available ? log.holds : undefined))
    add("source", h.check, "blocking", h.message, h.fix, false);
  const moving = str(src.MailboxMoveStatus);
  if (!NOT_MOVING.includes(moving.toLowerCase())) {
    const batch = str(src.MailboxMoveBatchName);
    add(
      "source",
      "user.source.moving",
      "blocking",
      `a move is already under way (MailboxMoveStatus ${moving}${batch ? `, batch ${batch}` : ""}; SourceMailboxAlreadyBeingMovedPermanentException)`,
      "Complete or remove that move request first (Get-MoveRequest / Remove-MigrationBatch in the tenant that made it)",
      false,
    );
  }
  const group = ctx.source?.scopeGroup;
  if (group) {
    const ids = [src.Guid, src.Name, src.ExternalDirectoryObjectId, src.PrimarySmtpAddress].map(lower).filter(Boolean);
    if (!ids.some((k) => ix.scopeMembers.has(k))) {
      const g = str(group.PrimarySmtpAddress) || str(group.Name);
      add(
        "source",
        "user.scope",
        "blocking",
        `the source mailbox is not a direct member of the scope group ${g} (MailboxNotInCrossTenantMigrationScopeException)`,
        `Add it to the scope group: the stack's ScopingGroup members, or Add-DistributionGroupMember -Identity ${g} -Member ${who}`,
      );
    }
  }
}

/** A fix made on the MailUser; a DirSynced one is changed on premises (Exchange Online refuses the change). */
const onTarget = (tgt: Listed, what: string): string =>
  tgt.IsDirSynced === true
    ? `The MailUser is DirSynced: ${what} on premises, then run an Entra Connect delta sync`
    : what;

function pairChecks(u: ReadinessUser, src: Listed, tgt: Listed, ctx: UserCheckContext, add: Add): void {
  const t = u.target;
  const set = (what: string) => onTarget(tgt, what);
  const srcGuid = guid(src.ExchangeGuid);
  const tgtGuid = guid(tgt.ExchangeGuid);
  if (srcGuid && srcGuid !== tgtGuid) {
    add(
      "target",
      "user.exchangeGuid",
      "blocking",
      `ExchangeGuid is ${tgtGuid || "not set"}, the source mailbox's is ${srcGuid} (MissingExchangeGuidException)`,
      set(`Set-MailUser -Identity ${t} -ExchangeGuid ${srcGuid}`),
    );
  }
  const srcArchive = guid(src.ArchiveGuid);
  const tgtArchive = guid(tgt.ArchiveGuid);
  if (srcArchive && srcArchive !== tgtArchive) {
    add(
      "target",
      "user.archiveGuid",
      "blocking",
      `ArchiveGuid is ${tgtArchive || "not set"}, the source archive's is ${srcArchive}`,
      set(`Set-MailUser -Identity ${t} -ArchiveGuid ${srcArchive}`),
    );
  } else if (!srcArchive && tgtArchive) {
    add(
      "target",
      "user.archiveGuid",
      "warning",
      `the MailUser has ArchiveGuid ${tgtArchive} but the source mailbox has no archive`,
      "Find out who stamped it; Microsoft's validator reports it, and the archive will not be moved",
    );
  }
  const proxies = list(tgt.EmailAddresses).map((p) => p.toLowerCase());
  const dn = str(src.LegacyExchangeDN);
  if (dn && !proxies.includes(`x500:${dn.toLowerCase()}`)) {
    add(
      "target",
      "user.x500.legacyExchangeDN",
      "blocking",
      "the source's LegacyExchangeDN is not an x500 proxy of the MailUser (the move will not proceed; replies to old mail would bounce 5.1.1)",
      set(`Set-MailUser -Identity ${t} -EmailAddresses @{add="x500:${dn}"}`),
    );
  }
  const missing = list(src.EmailAddresses).filter(
    (p) => /^x500:/i.test(p) && p.toLowerCase() !== `x500:${dn.toLowerCase()}` && !proxies.includes(p.toLowerCase()),
  );
  if (missing.length > 0) {
    const adds = missing.map((p) => `"x500:${p.slice(5)}"`).join(",");
    add(
      "target",
      "user.x500.proxies",
      "warning",
      `${missing.length} x500 address(es) of the source are missing on the MailUser (replies to mail addressed by them would bounce)`,
      set(`Set-MailUser -Identity ${t} -EmailAddresses @{add=${adds}}`),
    );
  }
  const external = lower(tgt.ExternalEmailAddress).replace(/^smtp:/, "");
  const sourceAddresses = smtpOf(src);
  const srcPrimary = lower(src.PrimarySmtpAddress);
  if (!sourceAddresses.includes(external)) {
    add(
      "target",
      "user.externalAddress",
      "blocking",
      `ExternalEmailAddress is ${external || "not set"}, not an address of the source mailbox; mail would not reach the user before the move`,
      set(`Set-MailUser -Identity ${t} -ExternalEmailAddress ${srcPrimary}`),
    );
  } else if (external !== srcPrimary) {
    add(
      "target",
      "user.externalAddress",
      "warning",
      `ExternalEmailAddress is ${external}, a secondary address of the source; Microsoft's validator expects the source's primary ${srcPrimary}`,
      set(`Set-MailUser -Identity ${t} -ExternalEmailAddress ${srcPrimary}`),
    );
  }
  const quota = quotaWarning(u, src, tgt, ctx.perUser?.get(u.target)?.deletedItems?.value);
  if (quota) add("target", "user.recoverableItemsQuota", "warning", quota.message, quota.fix, false);
}

/** What the target MailUser must be whatever the source is: its addresses in the target's own domains. */
function targetChecks(u: ReadinessUser, tgt: Listed, ctx: UserCheckContext, add: Add): void {
  const t = u.target;
  const set = (what: string) => onTarget(tgt, what);
  if (!ctx.source && !guid(tgt.ExchangeGuid)) {
    // Split administration: without the source the value cannot be compared, but a MailUser without one cannot move.
    add(
      "target",
      "user.exchangeGuid",
      "blocking",
      "the MailUser has no ExchangeGuid (MissingExchangeGuidException)",
      set(`Set-MailUser -Identity ${t} -ExchangeGuid <the source mailbox's ExchangeGuid>`),
    );
  }
  const accepted = new Set((ctx.target?.acceptedDomains ?? []).map((d) => d.toLowerCase()));
  const primary = lower(tgt.PrimarySmtpAddress);
  if (primary && !accepted.has(domainOf(primary))) {
    add(
      "target",
      "user.acceptedDomain.primary",
      "blocking",
      `its primary address ${primary} is not in an accepted domain of the target`,
      set(
        `Set-MailUser -Identity ${t} -PrimarySmtpAddress ${str(tgt.UserPrincipalName) || "<an address in an accepted domain>"}`,
      ),
    );
  }
  const foreign = smtpOf(tgt).filter((a) => a !== primary && !accepted.has(domainOf(a)));
  if (foreign.length > 0) {
    add(
      "target",
      "user.acceptedDomain.proxies",
      "blocking",
      `address(es) not in an accepted domain of the target: ${foreign.join(", ")} (NotAcceptedDomainException)`,
      set(`Set-MailUser -Identity ${t} -EmailAddresses @{remove=${foreign.map((a) => `"smtp:${a}"`).join(",")}}`),
    );
  }
  const delivery = ctx.targetDeliveryDomain;
  if (delivery && !smtpOf(tgt).some((a) => domainOf(a) === delivery)) {
    add(
      "target",
      "user.deliveryAddress",
      "blocking",
      `the MailUser has no address in the target delivery domain ${delivery}, which the batch's TargetDeliveryDomain needs`,
      set(`Set-MailUser -Identity ${t} -EmailAddresses @{add="smtp:${str(tgt.Alias) || "<alias>"}@${delivery}"}`),
    );
  }
}
