// Export-MailboxDiagnosticLogs: a mailbox's diagnostic log of one component as text in MailboxLog. The one
// modelled in full is HoldTracking, the holds that applied to the mailbox as a JSON array of
// {ed, hid, ht, lsd, osd} ("$ht.MailboxLog | ConvertFrom-Json",
// https://learn.microsoft.com/purview/ediscovery-identify-a-hold-on-an-exchange-online-mailbox). ht 4 is an
// organisation-wide retention policy, hid its policy id ("mbx<guid>:<action>"), ed its end (MinValue: still
// applies). Microsoft's validator matches the raw text with `*"hid":"mbx*","ht":4*`, so keys keep this order
// and ht is a bare number (UNCONFIRMED beyond that page's listing, which shows the same order).

import { isVisible, type Rec } from "../../model";
import { raise, str, type CmdletImpl } from "../call";
import { findAll, resolve } from "../lookup";
import { HOLD_NOT_ENDED, holdTrackingOf, type HoldTrackingEntry } from "../mailboxContent";

const isMailbox = (o: Rec) => o.RecipientType === "UserMailbox";

/** The organisation's retention policies ("mbx…" in Get-OrganizationConfig InPlaceHolds) that the mailbox is not excluded from. */
function organisationHolds(org: Rec, mailbox: Rec): HoldTrackingEntry[] {
  const own = ((mailbox.InPlaceHolds as string[] | undefined) ?? []).map((h) => h.toLowerCase());
  const since = String(mailbox.WhenCreated ?? org.WhenChanged);
  return ((org.InPlaceHolds as string[] | undefined) ?? [])
    .filter(
      (h) =>
        /^mbx/i.test(h) && !own.includes(`-${h.toLowerCase()}`) && !own.includes(`-${h.split(":")[0].toLowerCase()}`),
    )
    .map((hid) => ({ ed: HOLD_NOT_ENDED, hid, ht: 4, lsd: since, osd: since }));
}

export const exportMailboxDiagnosticLogs: CmdletImpl = (call) => {
  if (call.set === "ExtendedProperties")
    throw new Error("emulator: Export-MailboxDiagnosticLogs -ExtendedProperties is not modelled");
  const id = str(call, "Identity")!;
  const maps = [call.tenant.exchange.recipients];
  if (call.params.IncludeInactiveMailboxes === true) maps.push(call.tenant.exchange.softDeletedRecipients);
  const hit = maps
    .flatMap((m) => findAll(m, id, isMailbox))
    .find(
      (s) =>
        isVisible(s, call.now) &&
        (s.obj.IsInactiveMailbox === true || call.tenant.exchange.recipients.has(String(s.obj.Guid).toLowerCase())),
    );
  const o = (hit ?? resolve(call, id, isMailbox)).obj;
  const component = str(call, "ComponentName")!;
  let log: unknown[];
  if (component === "HoldTracking") {
    const account = call.tenant.directory.users.get(String(o.ExternalDirectoryObjectId))?.obj;
    const disabled = account?.accountEnabled === false;
    const mode = call.knobs.holdTrackingOfDisabledAccounts;
    if (disabled && mode === "error")
      // "Hold tracking logs aren't available if the user account has been disabled" (same page); the error is UNCONFIRMED.
      raise(call, {
        type: "Microsoft.Exchange.Management.StoreTasks.MailboxDiagnosticLogsNotFoundException",
        text: `No log of component 'HoldTracking' was found for mailbox '${String(o.Identity)}'.`,
      });
    log =
      disabled && mode === "emptyLog"
        ? []
        : [...holdTrackingOf(o), ...organisationHolds(call.tenant.exchange.organizationConfig, o)];
  } else {
    // Other components (SubstrateHoldTracking, MRM, …) are not modelled: an empty log.
    log = [];
  }
  return [{ Identity: o.Identity, MailboxLog: JSON.stringify(log) }];
};
