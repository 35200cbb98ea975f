// Read cmdlets over all recipients: Get-Mailbox (archives, soft-deleted mailboxes) and Get-Recipient.

import { isVisible, type Rec } from "../../model";
import { str, type CmdletImpl } from "../call";
import { findAll, resolve } from "../lookup";
import { ZERO_GUID } from "../../../domain/ids";
import { opathFilter, readRecipients, resultSize } from "./common";

const isMailbox = (o: Rec) => o.RecipientType === "UserMailbox";

export const getMailbox: CmdletImpl = (call) => {
  const id = str(call, "Identity");
  const types = call.params.RecipientTypeDetails as string[] | undefined;
  const filter = opathFilter(call);
  const archiveOnly = call.params.Archive === true;
  const keep = (o: Rec) =>
    isMailbox(o) &&
    (!types || types.includes(String(o.RecipientTypeDetails))) &&
    (!archiveOnly || o.ArchiveGuid !== ZERO_GUID) &&
    (call.params.InactiveMailboxOnly !== true || o.IsInactiveMailbox === true) &&
    (!filter || filter(o));
  return readRecipients(call, id, keep, call.params.SoftDeletedMailbox === true);
};

export const getRecipient: CmdletImpl = (call) => {
  const id = str(call, "Identity");
  const types = call.params.RecipientType as string[] | undefined;
  const details = call.params.RecipientTypeDetails as string[] | undefined;
  const filter = opathFilter(call);
  const keep = (o: Rec) =>
    (!types || types.includes(String(o.RecipientType))) &&
    (!details || details.includes(String(o.RecipientTypeDetails))) &&
    (!filter || filter(o));
  const maps = [call.tenant.exchange.recipients];
  if (call.params.IncludeSoftDeletedRecipients === true) maps.push(call.tenant.exchange.softDeletedRecipients);
  if (id !== undefined) {
    const hits = maps.flatMap((m) => findAll(m, id, keep)).filter((s) => isVisible(s, call.now));
    if (hits.length !== 1) return [resolve(call, id, keep).obj];
    return [hits[0].obj];
  }
  const out: Rec[] = [];
  for (const m of maps) for (const s of m.values()) if (isVisible(s, call.now) && keep(s.obj)) out.push(s.obj);
  return resultSize(call, out);
};
