// Get-User and Set-User: the user side of mailboxes and MailUsers, and the Entra users that have no Exchange
// recipient. What matters for a cross-tenant move is the previous-mailbox information a target MailUser can
// carry: Microsoft's guide shows `Get-User <mailuser> | select name, *recipient*` with
// PreviousRecipientTypeDetails UserMailbox, and tells to clear it with Set-User -PermanentlyClearPreviousMailboxInfo,
// which "will clear existing values from Previous home MDB and Previous Mailbox GUID of the user" and is
// irreversible (https://learn.microsoft.com/microsoft-365/enterprise/cross-tenant-mailbox-migration).

import { isVisible, type Rec, type Stored } from "../../model";
import { cmdletSpec } from "../reference";
import { noChangeWarning, raise, str, type Call, type CmdletImpl } from "../call";
import { findAll, resolve, touched } from "../lookup";
import { INTERNAL_PREFIX } from "../recipient";
import { markChanged, opathFilter, resultSize } from "./common";

/** What a user's former mailbox left on it: type, GUID and database (cleared only by Set-User). */
export interface PreviousMailbox {
  recipientTypeDetails: string;
  exchangeGuid: string;
  database: string;
}

export const PREVIOUS_MAILBOX_KEY = `${INTERNAL_PREFIX}previousMailbox`;

const isUser = (o: Rec) => o.RecipientType === "UserMailbox" || o.RecipientType === "MailUser";

function view(call: Call, o: Rec): Rec {
  const prev = o[PREVIOUS_MAILBOX_KEY] as PreviousMailbox | undefined;
  const entra = call.tenant.directory.users.get(String(o.ExternalDirectoryObjectId))?.obj;
  const out: Rec = {
    Name: o.Name,
    Identity: o.Identity,
    Id: o.Id,
    Guid: o.Guid,
    ExchangeObjectId: o.ExchangeObjectId,
    ExternalDirectoryObjectId: o.ExternalDirectoryObjectId,
    DistinguishedName: o.DistinguishedName,
    OrganizationalUnit: o.OrganizationalUnit,
    UserPrincipalName: o.UserPrincipalName,
    DisplayName: o.DisplayName,
    FirstName: o.FirstName ?? entra?.givenName ?? "",
    LastName: o.LastName ?? entra?.surname ?? "",
    WindowsEmailAddress: o.WindowsEmailAddress ?? o.PrimarySmtpAddress,
    RecipientType: o.RecipientType,
    RecipientTypeDetails: o.RecipientTypeDetails,
    PreviousRecipientTypeDetails: prev?.recipientTypeDetails ?? call.knobs.noPreviousRecipientTypeDetails,
    AccountDisabled: entra ? entra.accountEnabled === false : false,
    IsDirSynced: o.IsDirSynced ?? false,
    Title: o.Title ?? "",
    Department: o.Department ?? "",
    Company: o.Company ?? "",
    City: o.City ?? "",
    CountryOrRegion: o.CountryOrRegion ?? null,
    Manager: o.Manager ?? null,
    VIP: o.VIP ?? false,
    ExchangeVersion: o.ExchangeVersion,
    WhenCreated: o.WhenCreated,
    WhenChanged: o.WhenChanged,
    WhenCreatedUTC: o.WhenCreatedUTC,
    WhenChangedUTC: o.WhenChangedUTC,
  };
  if (call.knobs.showPreviousMailboxIds) {
    out.PreviousExchangeGuid = prev?.exchangeGuid ?? "00000000-0000-0000-0000-000000000000";
    out.PreviousDatabase = prev?.database ?? null;
  }
  return out;
}

/** An Entra user with no Exchange recipient, as Get-User lists it (RecipientType User). */
function plainUser(call: Call, u: Rec): Rec {
  const upn = String(u.userPrincipalName);
  const name = String(u.mailNickname ?? upn.split("@")[0]);
  return {
    Name: name,
    Identity: name,
    Id: name,
    // The emulator reuses the Entra id as the object's Guid; in Exchange they differ.
    Guid: u.id,
    ExternalDirectoryObjectId: u.id,
    UserPrincipalName: upn,
    DisplayName: u.displayName,
    FirstName: u.givenName ?? "",
    LastName: u.surname ?? "",
    WindowsEmailAddress: u.mail ?? "",
    RecipientType: "User",
    RecipientTypeDetails: u.accountEnabled === false ? "DisabledUser" : "User",
    PreviousRecipientTypeDetails: call.knobs.noPreviousRecipientTypeDetails,
    AccountDisabled: u.accountEnabled === false,
    IsDirSynced: false,
    WhenCreated: u.createdDateTime,
    WhenChanged: u.createdDateTime,
  };
}

function backed(call: Call): Set<string> {
  const ids = new Set<string>();
  for (const s of call.tenant.exchange.recipients.values()) ids.add(String(s.obj.ExternalDirectoryObjectId));
  return ids;
}

function entraByIdentity(call: Call, identity: string): Rec | undefined {
  const key = identity.trim().toLowerCase();
  const recipients = backed(call);
  for (const s of call.tenant.directory.users.values()) {
    const u = s.obj;
    if (recipients.has(String(u.id)) || !isVisible(s, call.now)) continue;
    if ([u.id, u.userPrincipalName, u.mailNickname, u.displayName].some((v) => String(v).toLowerCase() === key))
      return u;
  }
  return undefined;
}

/** The recipient an identity names, or (undefined) an Entra-only user; NotFound when neither. */
function resolveUser(call: Call, identity: string): { recipient?: Stored; plain?: Rec } {
  const hits = findAll(call.tenant.exchange.recipients, identity, isUser).filter((s) => isVisible(s, call.now));
  if (hits.length > 0) return { recipient: resolve(call, identity, isUser) };
  const plain = entraByIdentity(call, identity);
  if (plain) return { plain };
  return { recipient: resolve(call, identity, isUser) };
}

const NOT_MODELLED_FILTERS = ["Anr", "OrganizationalUnit", "Sortby", "PublicFolder", "IsVIP"];

export const getUser: CmdletImpl = (call) => {
  for (const p of NOT_MODELLED_FILTERS)
    if (call.params[p] !== undefined && call.params[p] !== false)
      throw new Error(`emulator: Get-User -${p} is not modelled`);
  const id = str(call, "Identity");
  const filter = opathFilter(call);
  const types = call.params.RecipientTypeDetails as string[] | undefined;
  const keep = (v: Rec) => (!types || types.includes(String(v.RecipientTypeDetails))) && (!filter || filter(v));
  if (id !== undefined) {
    const { recipient, plain } = resolveUser(call, id);
    const v = recipient ? view(call, recipient.obj) : plainUser(call, plain!);
    return keep(v) ? [v] : [];
  }
  const out: Rec[] = [];
  for (const s of call.tenant.exchange.recipients.values())
    if (isVisible(s, call.now) && isUser(s.obj)) out.push(view(call, s.obj));
  const recipients = backed(call);
  for (const s of call.tenant.directory.users.values())
    if (isVisible(s, call.now) && !recipients.has(String(s.obj.id))) out.push(plainUser(call, s.obj));
  return resultSize(call, out.filter(keep));
};

/** Set-User parameters that are not a property of the user (switches are handled, or not modelled). */
function isSwitch(name: string): boolean {
  const t = cmdletSpec("Set-User")?.parameters[name]?.type;
  return t === "SwitchParameter";
}

// Neither text is published (UNCONFIRMED); they follow the prompt Microsoft's guide shows.
const MAILBOX_REFUSED = (id: string) =>
  `The previous mailbox information of '${id}' can't be cleared: the user has a mailbox. PermanentlyClearPreviousMailboxInfo applies only to a user without one.`;
const CONFIRM_NEEDED = (id: string) =>
  `Are you sure you want to perform this action? Delete all existing information about user "${id}"?. This operation will clear existing values from Previous home MDB and Previous Mailbox GUID of the user. Confirmation is required: run the command again with -Confirm:$false.`;

export const setUser: CmdletImpl = (call) => {
  const id = str(call, "Identity")!;
  const { recipient, plain } = resolveUser(call, id);
  if (!recipient) {
    // An Entra-only user never had a mailbox the emulator knows of; other changes to it are not modelled.
    const only = Object.keys(call.params).every((k) =>
      ["Identity", "Confirm", "PermanentlyClearPreviousMailboxInfo"].includes(k),
    );
    if (call.params.PermanentlyClearPreviousMailboxInfo === true && only) {
      noChangeWarning(call, String(plain!.mailNickname ?? plain!.userPrincipalName));
      return [];
    }
    throw new Error("emulator: Set-User of an Entra user without an Exchange recipient is not modelled");
  }
  const o = recipient.obj;
  // -WhatIf changes nothing (Microsoft marks the switch internal; it behaves as PowerShell's WhatIf).
  if (call.params.WhatIf === true) return [];
  const before = JSON.stringify(o);
  if (call.params.PermanentlyClearPreviousMailboxInfo === true) {
    if (o.RecipientType === "UserMailbox")
      raise(call, {
        type: "Microsoft.Exchange.Management.RecipientTasks.RecipientTaskException",
        text: MAILBOX_REFUSED(String(o.Identity)),
      });
    if (call.knobs.clearPreviousMailboxNeedsConfirmFalse && call.params.Confirm !== false)
      raise(call, {
        type: "System.Management.Automation.Host.HostException",
        text: CONFIRM_NEEDED(String(o.UserPrincipalName ?? o.Identity)),
      });
    delete o[PREVIOUS_MAILBOX_KEY];
  }
  for (const [k, v] of Object.entries(call.params)) {
    if (k === "Identity" || k === "Confirm" || k === "WhatIf" || k === "Force" || isSwitch(k)) continue;
    if (JSON.stringify(o[k]) !== JSON.stringify(v)) o[k] = v;
  }
  if (JSON.stringify(o) === before) noChangeWarning(call, String(o.Identity));
  else markChanged(call, o);
  touched(call.tenant.exchange.recipients, recipient);
  return [];
};
