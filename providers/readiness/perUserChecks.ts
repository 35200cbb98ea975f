// The validator's checks that need a per-user read (perUserRead.ts), as findings: items in the archive's
// SubstrateHolds, a source dumpster larger than the target MailUser's RecoverableItemsQuota, and previous-mailbox
// information on the target. (The HoldTracking log feeds holds.ts instead: it replaces the organisation's
// InPlaceHolds there.) Also which users get per-user reads at all. Pure.

import {
  sizeBytes,
  str,
  type Evaluation,
  type Finding,
  type Listed,
  type NotChecked,
  type ReadinessUser,
} from "./model";
import type { DeletedItems, PerUserChecks } from "./perUser";

const VALIDATOR = "https://github.com/microsoft/CSS-Exchange/blob/main/Admin/CrossTenantMailboxMigrationValidation.ps1";
const GB = 1024 ** 3;
/** What Set-MailUser -EnableLitigationHoldForMigration raises the MailUser's Recoverable Items quota to. */
const MIGRATION_QUOTA = 100 * GB;

/**
 * The users worth a per-user read: not moved and not blocked by a bulk finding, except the organisation-wide
 * retention approximation, which the HoldTracking read replaces. Nobody when an organisation finding blocks the
 * wave: no move can run until it is fixed, and the next check reads them.
 */
export function perUserSubjects(e: Evaluation): ReadinessUser[] {
  if (e.findings.some((f) => f.user === null && f.severity === "blocking" && !f.pending)) return [];
  return e.users
    .filter((v) => v.state !== "moved")
    .filter(
      (v) =>
        !e.findings.some(
          (f) => f.user === v.target && f.severity === "blocking" && !f.pending && f.check !== "user.hold.organization",
        ),
    )
    .map((v) => ({ source: v.source, target: v.target }));
}

/** The MailUser is DirSynced: its quota is raised on premises (Microsoft's hybrid path). */
const hybridQuotaFix = (t: string) =>
  `The MailUser is DirSynced: add 8 (the source has litigation hold) or 16 (single item recovery) to msExchELCMailboxFlags of ${t} on premises, which expands its Recoverable Items quota to 100 GB, then run an Entra Connect delta sync`;

export function perUserFindings(
  u: ReadinessUser,
  rec: PerUserChecks | undefined,
  src: Listed | undefined,
  tgt: Listed | undefined,
  pending: boolean,
): Finding[] {
  const out: Finding[] = [];
  const add = (tenant: Finding["tenant"], check: string, message: string, fix: string, mayPend: boolean) =>
    out.push({
      check,
      severity: "blocking",
      tenant,
      user: u.target,
      pending: mayPend && pending,
      message: `${u.target} (source ${u.source}): ${message}`,
      fix,
    });
  const sh = rec?.substrateHolds?.value;
  if (sh && sh.items > 0 && src) {
    const archive = str(src.ArchiveGuid);
    // Microsoft's validator: "SOURCE Archive mailbox has items within the SubstrateHolds folder and this will
    // cause the migration to fail" ... "removing those items with MFCMapi manually before creating the move".
    add(
      "source",
      "user.substrateHolds",
      `the archive's Recoverable Items\\SubstrateHolds folder holds ${sh.items} item(s) (${sh.bytes.toLocaleString("en-US")} bytes); the move will fail (${VALIDATOR})`,
      `Remove those items with MFCMapi before the move (open the archive ${archive} of ${u.source}, Recoverable Items > SubstrateHolds), then check: Get-MailboxFolderStatistics ${archive} -FolderScope RecoverableItems`,
      false,
    );
  }
  const del = rec?.deletedItems?.value;
  const quota = tgt ? sizeBytes(tgt.RecoverableItemsQuota) : undefined;
  if (del && tgt && quota !== undefined && del.bytes > quota) {
    // Microsoft: moves "will not proceed since the target quota is less than the source mailbox size"; the fix
    // for a cloud target is -EnableLitigationHoldForMigration, which raises the quota to 100 GB
    // (https://learn.microsoft.com/powershell/module/exchangepowershell/set-mailuser; the hybrid path is msExchELCMailboxFlags).
    const t = u.target;
    let fix =
      tgt.IsDirSynced === true
        ? hybridQuotaFix(t)
        : `Set-MailUser -Identity ${t} -EnableLitigationHoldForMigration (raises its Recoverable Items quota to 100 GB and enables litigation hold on it; not available in hybrid tenants)`;
    if (del.bytes > MIGRATION_QUOTA)
      fix = `The source's Recoverable Items are above 100 GB, more than any migration quota: purge them in the source below 100 GB (Search-Mailbox / Purview purge, after the holds are released), then ${fix}`;
    add(
      "target",
      "user.deletedItemSize",
      `the source's Recoverable Items hold ${del.text} (TotalDeletedItemSize), more than the MailUser's RecoverableItemsQuota ${str(tgt.RecoverableItemsQuota)}; the move will fail`,
      fix,
      true,
    );
  }
  const prev = rec?.previousMailbox?.value;
  if (prev && prev.type !== null) {
    const t = u.target;
    add(
      "target",
      "user.previousMailbox",
      `the MailUser still carries a previous mailbox's information (PreviousRecipientTypeDetails ${prev.type}); Microsoft requires it cleared before the move`,
      `Irreversible (a soft-deleted mailbox of this user can no longer be restored): list ${t} under the wave's clearPreviousMailboxInfo so the stack runs Set-User -Identity ${t} -PermanentlyClearPreviousMailboxInfo -Confirm:$false, or run it yourself in the target`,
      true,
    );
  }
  return out;
}

/** Checks this stack cannot run because it administers only one tenant. */
export function perUserNotChecked(hasSource: boolean, hasTarget: boolean): NotChecked[] {
  const out: NotChecked[] = [];
  if (hasSource && hasTarget) return out;
  out.push({
    check: "user.deletedItemSize",
    reason:
      "needs both tenants (the source's TotalDeletedItemSize against the target MailUser's RecoverableItemsQuota); compare (Get-MailboxStatistics <source>).TotalDeletedItemSize with (Get-MailUser <target>).RecoverableItemsQuota",
    pending: false,
  });
  if (!hasSource)
    out.push(
      {
        check: "user.substrateHolds",
        reason: "reads the source's archives; the source's stack checks it",
        pending: false,
      },
      {
        check: "user.hold.organization",
        reason: "reads the source's HoldTracking logs; the source's stack checks it",
        pending: false,
      },
    );
  if (!hasTarget)
    out.push({
      check: "user.previousMailbox",
      reason: "reads the target's users (Get-User); the target's stack checks it",
      pending: false,
    });
  return out;
}

/**
 * A source quota above the MailUser's: the dumpster CAN outgrow the target's quota before the move. Measured
 * (TotalDeletedItemSize read) and already above it, the blocking user.deletedItemSize says so instead; measured and
 * below, the warning says how much room is left; not measured (a pure check), it says how to measure.
 */
export function quotaWarning(
  u: ReadinessUser,
  src: Listed,
  tgt: Listed,
  measured: DeletedItems | null | undefined,
): { message: string; fix: string } | undefined {
  const sourceQuota = sizeBytes(src.RecoverableItemsQuota);
  const quota = sizeBytes(tgt.RecoverableItemsQuota);
  if (sourceQuota === undefined || quota === undefined || sourceQuota <= quota) return undefined;
  const limits = `the source's Recoverable Items may hold up to ${str(src.RecoverableItemsQuota)}, more than the MailUser's RecoverableItemsQuota ${str(tgt.RecoverableItemsQuota)}`;
  if (measured && measured.bytes > quota) return undefined;
  if (measured)
    return {
      message: `${limits}; they hold ${measured.text} now, so the move fails if they grow past the MailUser's quota first`,
      fix:
        tgt.IsDirSynced === true
          ? hybridQuotaFix(u.target)
          : `Set-MailUser -Identity ${u.target} -EnableLitigationHoldForMigration before the move (raises its Recoverable Items quota to 100 GB)`,
    };
  return {
    message: `${limits}; if they do, the move can fail`,
    fix: `Compare (Get-MailboxStatistics -Identity ${u.source}).TotalDeletedItemSize with ${str(tgt.RecoverableItemsQuota)} in the source; if larger, purge the source's Recoverable Items before the move`,
  };
}
