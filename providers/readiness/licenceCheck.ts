// The licence a move needs, checked per user: Microsoft's Cross Tenant User Data Migration licence on the source
// mailbox or the target MailUser (ExchangeT2TMbxMove in PersistedCapabilities), or pending when this stack has just
// assigned it, with the fix that fits what each tenant can still assign.

import { hasMoveCapability, type LicencePool } from "../licenceAssignment/sku";
import { guid, str, type Add, type Listed, type ReadinessUser, type Side } from "./model";

/** What the licence check needs of the wave: the licence pools, and who this stack just licensed. */
interface LicenceContext {
  pools: { source: LicencePool | null; target: LicencePool | null };
  licensedByStack?: Set<string>;
}

export function licenceCheck(
  u: ReadinessUser,
  src: Listed,
  tgt: Listed | undefined,
  ctx: LicenceContext,
  add: Add,
): void {
  if (hasMoveCapability(src.PersistedCapabilities) || (tgt && hasMoveCapability(tgt.PersistedCapabilities))) return;
  if (ctx.licensedByStack?.has(u.target)) {
    // Graph took the assignment; Exchange shows a licence some minutes later. Pending, so the batch keeps the
    // user and waits for Exchange (MigrationBatch's awaitLicences) instead of leaving the user out.
    add(
      tgt ? "target" : "source",
      "user.licence",
      "blocking",
      "this stack assigned the Cross Tenant User Data Migration licence, and Exchange does not show it yet (no ExchangeT2TMbxMove in PersistedCapabilities); Exchange shows a new licence some minutes after the assignment",
      "Nothing to do: the wave's batch waits for Exchange to show it; if the wait runs out, run pulumi up again in a few minutes",
      true,
      true,
    );
    return;
  }
  const shared = str(src.RecipientTypeDetails) === "SharedMailbox";
  const { source, target } = ctx.pools;
  const sku = (p: LicencePool | null) => (p && p.found ? p.skuId : "<Cross Tenant User Data Migration SkuId>");
  let fix: string;
  let side: Side = "source";
  if (source?.found && source.available > 0) {
    fix = `Assign it in the source: Set-MgUserLicense -UserId ${str(src.UserPrincipalName) || u.source} -AddLicenses @{SkuId="${sku(source)}"} -RemoveLicenses @() (or the stack's LicenceAssignment with tenant source)`;
  } else if (target?.found && target.available > 0) {
    side = "target";
    fix =
      tgt && guid(tgt.ExchangeGuid)
        ? `Assign it to the staged MailUser (its ExchangeGuid is stamped): Set-MgUserLicense -UserId ${str(tgt.UserPrincipalName) || u.target} -AddLicenses @{SkuId="${sku(target)}"} -RemoveLicenses @() (or the stack's LicenceAssignment with tenant target)`
        : `Stage the MailUser with its ExchangeGuid first, then assign the target's licence (SkuId ${sku(target)}) to it; never before, or Microsoft provisions a new mailbox`;
  } else {
    fix =
      "Buy Cross Tenant User Data Migration licences (neither tenant has units left), then assign one to the source user or the stamped target MailUser";
  }
  if (shared) {
    add(
      side,
      "user.licence",
      "warning",
      "a shared mailbox without the Cross Tenant User Data Migration licence on either side; Microsoft's validator does not check shared mailboxes, but the licence is per migrated mailbox",
      fix,
    );
  } else {
    add(
      side,
      "user.licence",
      "blocking",
      "neither the source mailbox nor the target MailUser has the Cross Tenant User Data Migration licence (ExchangeT2TMbxMove; CrossTenantMigrationWithoutLicensePermanentException)",
      fix,
    );
  }
}
