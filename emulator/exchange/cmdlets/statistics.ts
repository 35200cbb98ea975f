// Get-MailboxStatistics and Get-MailboxFolderStatistics: a mailbox's (or its archive's) item counts and sizes,
// and its folders with ItemsInFolder / FolderSize, sizes as Exchange's "<n> <unit> (<n,nnn> bytes)" text.
// Microsoft's cross-tenant validator (https://github.com/microsoft/CSS-Exchange/blob/main/Admin/CrossTenantMailboxMigrationValidation.ps1)
// reads TotalDeletedItemSize of the primary and the SubstrateHolds row of the archive's Recoverable Items,
// passing the archive's GUID as Identity; both ways to name the archive (that GUID, or -Archive) are accepted.

import { isVisible, type Rec, type Stored } from "../../model";
import { raise, str, type Call, type CmdletImpl } from "../call";
import { findAll, resolve } from "../lookup";
import { byteQuantified, contentOf, type FolderContent, type MailboxContent } from "../mailboxContent";
import { resultSize } from "./common";
import { ZERO_GUID } from "../../../domain/ids";

const isMailbox = (o: Rec) => o.RecipientType === "UserMailbox";
const hasArchive = (o: Rec) => String(o.ArchiveGuid ?? ZERO_GUID) !== ZERO_GUID;

/** The mailbox an identity names, and whether it names the archive (its ArchiveGuid, or -Archive). */
function mailboxFor(call: Call, identity: string): { obj: Rec; archive: boolean } {
  const maps = [call.tenant.exchange.recipients];
  if (call.params.IncludeSoftDeletedRecipients === true) maps.push(call.tenant.exchange.softDeletedRecipients);
  let found: Stored | undefined;
  for (const m of maps) {
    const hits = findAll(m, identity, isMailbox).filter((s) => isVisible(s, call.now));
    if (hits.length) {
      found = hits.length === 1 ? hits[0] : resolve(call, identity, isMailbox, m);
      break;
    }
  }
  if (!found) {
    // The archive's GUID is no identity of the recipient itself, so it is looked up on its own.
    const key = identity.trim().toLowerCase();
    for (const m of maps) {
      const byArchive = [...m.values()].find(
        (s) => isVisible(s, call.now) && isMailbox(s.obj) && String(s.obj.ArchiveGuid).toLowerCase() === key,
      );
      if (byArchive && hasArchive(byArchive.obj)) return { obj: byArchive.obj, archive: true };
    }
  }
  // A MailUser has no mailbox to read: Exchange answers as for an unknown object (exact text UNCONFIRMED).
  const obj = (found ?? resolve(call, identity, isMailbox)).obj;
  const archive = call.params.Archive === true;
  if (archive && !hasArchive(obj)) {
    // Text UNCONFIRMED; Exchange refuses statistics of an archive that does not exist.
    raise(call, {
      type: "Microsoft.Exchange.Data.Storage.ObjectNotFoundException",
      text: `The archive mailbox of '${String(obj.Identity)}' couldn't be found. The mailbox has no archive.`,
    });
  }
  return { obj, archive };
}

export const getMailboxStatistics: CmdletImpl = (call) => {
  const { obj, archive } = mailboxFor(call, str(call, "Identity")!);
  const c = contentOf(obj, archive);
  const guid = String(archive ? obj.ArchiveGuid : obj.ExchangeGuid);
  const out: Rec = {
    DisplayName: archive ? `In-Place Archive -${String(obj.DisplayName)}` : obj.DisplayName,
    MailboxGuid: guid,
    Identity: guid,
    OwnerADGuid: obj.Guid,
    ExternalDirectoryOrganizationId: call.tenant.tenantId,
    ItemCount: c.itemCount,
    DeletedItemCount: c.deletedItemCount,
    AssociatedItemCount: Math.round(c.itemCount / 100),
    TotalItemSize: byteQuantified(c.itemBytes),
    TotalDeletedItemSize: byteQuantified(c.deletedItemBytes),
    IsArchiveMailbox: archive,
    MailboxTypeDetail: obj.RecipientTypeDetails,
    DatabaseName: archive ? obj.ArchiveDatabase : obj.Database,
    LastLogonTime: null,
    LastLogoffTime: null,
    IsQuarantined: false,
  };
  if (call.params.IncludeMoveHistory === true) out.MoveHistory = [];
  if (call.params.IncludeMoveReport === true) out.MoveReport = null;
  return [out];
};

interface Folder {
  name: string;
  path: string;
  type: string;
  scope: string;
  content: FolderContent;
  /** Items and bytes of the folder's subfolders (only the Recoverable Items root has any here). */
  below?: FolderContent;
}

// The default folders of a mailbox with the share of its items each holds. FolderType names follow the
// ElcFolderType values the FolderScope parameter takes; "Root" for Top of Information Store is UNCONFIRMED.
const IPM: [string, string, number][] = [
  ["Top of Information Store", "Root", 0],
  ["Inbox", "Inbox", 0.55],
  ["Sent Items", "SentItems", 0.25],
  ["Deleted Items", "DeletedItems", 0.05],
  ["Drafts", "Drafts", 0.01],
  ["Calendar", "Calendar", 0.06],
  ["Contacts", "Contacts", 0.04],
  ["Junk Email", "JunkEmail", 0.02],
  ["Outbox", "Outbox", 0],
  ["Notes", "Notes", 0],
  ["Tasks", "Tasks", 0.01],
  ["Journal", "Journal", 0],
  ["Conversation History", "ConversationHistory", 0.01],
  ["Sync Issues", "SyncIssues", 0],
  ["RSS Feeds", "RssSubscriptions", 0],
  ["Archive", "Archive", 0],
];

// FolderPath is flat for the Recoverable Items subfolders ("/Versions", not "/Recoverable Items/Versions"),
// as real output shows (the field-notes blog cited in mailboxContent.ts).
const RECOVERABLE: [string, string][] = [
  ["Deletions", "RecoverableItemsDeletions"],
  ["DiscoveryHolds", "RecoverableItemsDiscoveryHolds"],
  ["Purges", "RecoverableItemsPurges"],
  ["Versions", "RecoverableItemsVersions"],
  ["SubstrateHolds", "RecoverableItemsSubstrateHolds"],
];
const AUDIT: [string, string][] = [
  ["Audits", "Audits"],
  ["Calendar Logging", "CalendarLogging"],
];

function foldersOf(c: MailboxContent, auditFolders: boolean): Folder[] {
  const out: Folder[] = IPM.map(([name, type, share]) => ({
    name,
    path: `/${name}`,
    type,
    scope: type === "Root" ? "All" : type,
    content: { items: Math.round(c.itemCount * share), bytes: Math.round(c.itemBytes * share) },
  }));
  const subs = [...RECOVERABLE, ...(auditFolders ? AUDIT : [])].map(([name, type]): Folder => ({
    name,
    path: `/${name}`,
    type,
    scope: "RecoverableItems",
    content: c.recoverable[name] ?? { items: 0, bytes: 0 },
  }));
  const sum = (k: keyof FolderContent) => subs.reduce((n, f) => n + f.content[k], 0);
  out.push({
    name: "Recoverable Items",
    path: "/Recoverable Items",
    type: "RecoverableItemsRoot",
    scope: "RecoverableItems",
    content: { items: 0, bytes: 0 },
    below: { items: sum("items"), bytes: sum("bytes") },
  });
  out.push(...subs);
  return out;
}

function folderId(mailbox: string, path: string): string {
  return Buffer.from(`${mailbox}${path}`.padEnd(46, "\0").slice(0, 46), "utf8").toString("base64");
}

export const getMailboxFolderStatistics: CmdletImpl = (call) => {
  if (call.set === "Database")
    throw new Error("emulator: Get-MailboxFolderStatistics -Database/-StoreMailboxIdentity (internal) is not modelled");
  const { obj, archive } = mailboxFor(call, str(call, "Identity")!);
  const c = contentOf(obj, archive);
  const mailboxGuid = String(archive ? obj.ArchiveGuid : obj.ExchangeGuid);
  const scope = str(call, "FolderScope") ?? "All";
  const folders = foldersOf(c, call.knobs.recoverableItemsAuditFolders).filter(
    (f) => scope === "All" || f.scope === scope,
  );
  const rows = folders.map((f): Rec => {
    const total = { items: f.content.items + (f.below?.items ?? 0), bytes: f.content.bytes + (f.below?.bytes ?? 0) };
    const row: Rec = {
      Name: f.name,
      // "<mailbox>\<folder>" as public samples show it; UNCONFIRMED for the Recoverable Items folders.
      Identity: `${mailboxGuid}\\${f.path.slice(1)}`,
      FolderPath: f.path,
      FolderType: f.type,
      FolderId: folderId(mailboxGuid, f.path),
      ContentMailboxGuid: mailboxGuid,
      ItemsInFolder: f.content.items,
      ItemsInFolderAndSubfolders: total.items,
      FolderSize: byteQuantified(f.content.bytes),
      FolderAndSubfolderSize: byteQuantified(total.bytes),
      DeletedItemsInFolder: 0,
      VisibleItemsInFolder: f.content.items,
      HiddenItemsInFolder: 0,
    };
    if (call.params.IncludeOldestAndNewestItems === true) {
      row.OldestItemReceivedDate = f.content.items ? obj.WhenCreated : null;
      row.NewestItemReceivedDate = f.content.items ? new Date(call.now).toISOString() : null;
    }
    return row;
  });
  const skip = typeof call.params.SkipCount === "number" ? call.params.SkipCount : 0;
  // ResultSize defaults to 1000 (Microsoft's page); "Unlimited" lifts it.
  const limited = { ...call, params: { ...call.params, ResultSize: call.params.ResultSize ?? 1000 } };
  return resultSize(limited, rows.slice(skip));
};
