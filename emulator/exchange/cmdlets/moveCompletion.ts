// What completing a move does to the two recipients, the way Microsoft describes it: the target MailUser
// becomes a mailbox of the source's type (with its archive and auxiliary archives), the source mailbox becomes
// a MailUser whose external address points at the target in the target delivery domain.

import { findTenant, type EmulatorState, type Rec, type TenantState } from "../../model";
import { touched } from "../lookup";
import { exSize, newGuid } from "../recipient";
import { ZERO_GUID } from "../../../domain/ids";
import { fail, refreshCounts, TARGET, usersOf } from "./batchUsers";

const MAILBOX_ONLY = [
  "Database",
  "ArchiveStatus",
  "ArchiveState",
  "ArchiveDatabase",
  "AutoExpandingArchiveEnabled",
  "ProhibitSendQuota",
  "ProhibitSendReceiveQuota",
  "IssueWarningQuota",
  "RecoverableItemsWarningQuota",
  "RetainDeletedItemsFor",
  "SingleItemRecoveryEnabled",
  "RetentionPolicy",
  "IsMailboxEnabled",
  "IsSoftDeletedByDisable",
  "SKUAssigned",
  "WhenMailboxCreated",
  "LitigationHoldDate",
  "LitigationHoldOwner",
  "LitigationHoldDuration",
  "MailboxMoveFlags",
  "MailboxMoveBatchName",
];

export function complete(state: EmulatorState, t: TenantState, b: Rec, now: number): void {
  const endpoint = [...t.exchange.migrationEndpoints.values()].find(
    (e) => String(e.obj.Name) === String(b.SourceEndpoint),
  )?.obj;
  const source = endpoint ? findTenant(state, String(endpoint.RemoteTenant)) : undefined;
  const when = new Date(now).toISOString();
  for (const u of usersOf(t, b)) {
    if (u.Status !== "Completing") continue;
    const ts = t.exchange.recipients.get(String(u[TARGET]).toLowerCase());
    const ss =
      source && ts
        ? [...source.exchange.recipients.values()].find(
            (s) => s.obj.RecipientType === "UserMailbox" && s.obj.ExchangeGuid === ts.obj.ExchangeGuid,
          )
        : undefined;
    if (!ts || !ss || !source) {
      fail(
        u,
        "MigrationPermanentException",
        "The move could not be completed because the source or target object changed.",
      );
      continue;
    }
    const target = ts.obj;
    const src = ss.obj;
    const hasArchive = target.ArchiveGuid !== ZERO_GUID;
    const auxes = ((src.MailboxLocations as string[]) ?? []).filter((l) => l.includes(";AuxArchive;")).length;
    const locations = [`1;${target.ExchangeGuid};Primary;${t.initialDomain};${newGuid(Math.random)}`];
    if (hasArchive) locations.push(`1;${target.ArchiveGuid};MainArchive;${t.initialDomain};${newGuid(Math.random)}`);
    for (let i = 0; i < auxes; i++)
      locations.push(`1;${newGuid(Math.random)};AuxArchive;${t.initialDomain};${newGuid(Math.random)}`);
    const deliveryProxy = (target.EmailAddresses as string[]).find(
      (p) => /^smtp:/i.test(p) && p.toLowerCase().endsWith(`@${String(b.TargetDeliveryDomain).toLowerCase()}`),
    );
    // Target: the MailUser becomes a mailbox of the source's type.
    delete target.ExternalEmailAddress;
    Object.assign(target, {
      RecipientType: "UserMailbox",
      RecipientTypeDetails: src.RecipientTypeDetails,
      ArchiveStatus: hasArchive ? "Active" : "None",
      ArchiveState: hasArchive ? "Local" : "None",
      ArchiveName: src.ArchiveName ?? [],
      AutoExpandingArchiveEnabled: src.AutoExpandingArchiveEnabled ?? false,
      MailboxLocations: locations,
      Database: src.Database,
      ProhibitSendQuota: src.ProhibitSendQuota,
      ProhibitSendReceiveQuota: src.ProhibitSendReceiveQuota,
      IssueWarningQuota: src.IssueWarningQuota,
      RecoverableItemsWarningQuota: exSize(20 * 1024 ** 3),
      IsMailboxEnabled: true,
      WhenMailboxCreated: when,
      MailboxMoveStatus: "Completed",
      WhenChanged: when,
    });
    touched(t.exchange.recipients, ts);
    // Source: the mailbox becomes a MailUser whose external address points at the target.
    for (const k of MAILBOX_ONLY) delete src[k];
    Object.assign(src, {
      RecipientType: "MailUser",
      RecipientTypeDetails: "MailUser",
      ExternalEmailAddress: deliveryProxy ? `SMTP:${deliveryProxy.slice(5)}` : `SMTP:${target.PrimarySmtpAddress}`,
      MailboxLocations: [],
      MailboxMoveStatus: "Completed",
      WhenChanged: when,
    });
    touched(source.exchange.recipients, ss);
    u.Status = "Completed";
    u.StatusSummary = "Completed";
    u.RecipientType = "UserMailbox";
  }
  refreshCounts(t, b);
  b.FinalizedDateTime = when;
  b.Status = (b.FailedCount as number) > 0 ? "CompletedWithErrors" : "Completed";
}
