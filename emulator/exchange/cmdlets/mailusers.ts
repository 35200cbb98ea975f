// MailUsers: the target objects a cross-tenant move lands on. New-MailUser cannot stamp ExchangeGuid (its documented parameters have none),
// Set-MailUser can; removal soft-deletes, and purging is refused while the Entra user exists or a hold
// applies (the two texts reported by Kevin Street, https://kevinstreet.co.uk/category/microsoft-365/).

import { isVisible, stored, type Rec, type Stored, type TenantState } from "../../model";
import { Secret } from "../binding";
import { alreadyExists, has, noChangeWarning, raise, str, type Call, type CmdletImpl } from "../call";
import { drop, findAll, put, resolve, touched } from "../lookup";
import { INTERNAL_PREFIX, mailUserObject, newGuid, proxyList } from "../recipient";
import { markChanged, opathFilter, readRecipients, setProperties, storeNew } from "./common";
import { applyEmailAddresses, checkProxies, defaultDomain } from "./addresses";

const isMailUser = (o: Rec) => o.RecipientType === "MailUser";

export const getMailUser: CmdletImpl = (call) => {
  const id = str(call, "Identity");
  const filter = opathFilter(call);
  const keep = (o: Rec) => isMailUser(o) && (!filter || filter(o));
  return readRecipients(call, id, keep, call.params.SoftDeletedMailUser === true);
};

function externalAddress(v: string): string {
  return /^[A-Za-z0-9]+:/.test(v) ? (/^smtp:/i.test(v) ? `SMTP:${v.slice(5)}` : v) : `SMTP:${v}`;
}

function uniqueValue(call: Call, property: string, value: string): never {
  // Exchange's wording for unique-property clashes, as remembered (UNCONFIRMED).
  return raise(call, {
    type: "Microsoft.Exchange.Data.DataValidationException",
    text: `The value "${value}" of property "${property}" is used by another recipient object. Please specify a unique value.`,
  });
}

export const newMailUser: CmdletImpl = (call) => {
  const t = call.tenant;
  const name = str(call, "Name")!;
  if (findAll(t.exchange.recipients, name, (o) => String(o.Name).toLowerCase() === name.toLowerCase()).length) {
    alreadyExists(call, "object", name);
  }
  const msoId = str(call, "MicrosoftOnlineServicesID");
  const alias = str(call, "Alias") ?? (msoId ? msoId.split("@")[0] : name.replace(/[^A-Za-z0-9._-]/g, ""));
  const primary = str(call, "PrimarySmtpAddress") ?? msoId ?? `${alias}@${defaultDomain(t)}`;
  // Reported by a third-party migration client (UNCONFIRMED first-hand): New-MailUser adds the primary and the initial-domain address, not `<alias>@<tenant>.mail.onmicrosoft.com`.
  const proxies = proxyList(primary, [`${alias}@${t.initialDomain}`]);
  checkProxies(call, proxies);
  // Without a Microsoft Online Services ID the Entra user is named after the alias in the initial domain.
  const upn = msoId ?? `${alias}@${t.initialDomain}`;
  if (
    [...t.directory.users.values()].some((u) => String(u.obj.userPrincipalName).toLowerCase() === upn.toLowerCase())
  ) {
    uniqueValue(call, "MicrosoftOnlineServicesID", upn);
  }
  const userId = newGuid(call.ctx.random);
  const external = str(call, "ExternalEmailAddress");
  const mu = mailUserObject(
    t,
    {
      name,
      alias,
      displayName: str(call, "DisplayName") ?? name,
      primarySmtp: primary,
      emailAddresses: proxies,
      externalDirectoryObjectId: userId,
      userPrincipalName: upn,
      externalEmailAddress: external ? externalAddress(external) : "",
    },
    call.now,
    call.ctx.random,
  );
  if (call.params.HVEAccount === true) mu.RecipientTypeDetails = "MailUser";
  for (const k of ["FirstName", "LastName", "Initials"] as const) if (has(call, k)) mu[k] = call.params[k];
  if (call.knobs.orgHoldOnNewMailUsers) mu.InPlaceHolds = [ORG_HOLD];
  storeNew(call, t.exchange.recipients, mu);
  t.directory.users.set(
    userId,
    stored(
      {
        id: userId,
        userPrincipalName: upn,
        displayName: mu.DisplayName,
        givenName: call.params.FirstName ?? null,
        surname: call.params.LastName ?? null,
        mail: primary,
        mailNickname: alias,
        accountEnabled: call.params.Password instanceof Secret,
        proxyAddresses: proxies,
        assignedLicenses: [],
        usageLocation: null,
        userType: "Member",
        createdDateTime: new Date(call.now).toISOString(),
      },
      call.now,
      call.ctx.options.faults.replicationMs,
    ),
  );
  return [mu];
};

/** An organisation-wide retention hold as Exchange stamps it on recipients ("mbx" + policy guid). */
export const ORG_HOLD = "mbx7f3c2a9e1b4d4c8e9a6f5b4c3d2e1f00:1";

// Hold-removal switches; Exchange then applies a delay hold (DelayHoldApplied) for 30 days.
const HOLD_SWITCHES: Record<string, (o: Rec) => boolean> = {
  RemoveLitigationHoldEnabled: (o) => {
    const had = o.LitigationHoldEnabled === true;
    o.LitigationHoldEnabled = false;
    return had;
  },
  RemoveComplianceTagHoldApplied: (o) => {
    const had = o.ComplianceTagHoldApplied === true;
    o.ComplianceTagHoldApplied = false;
    return had;
  },
  ExcludeFromAllOrgHolds: (o) => removeHolds(o, (h) => /^mbx|^-?mbx|^skp|^cld/i.test(h)),
};

/**
 * -ExcludeFromAllHolds "enables the deletion of soft deleted or inactive mail users" (Set-MailUser page). It
 * removes organization- and user-level retention holds, compliance tag holds, delay holds and delay release
 * holds, and leaves litigation hold and eDiscovery holds ("UniH…") in place (Set-Mailbox page, same switch);
 * being the way to release a purge, it applies no new delay hold.
 */
function excludeFromAllHolds(o: Rec): void {
  removeHolds(o, (h) => !/^UniH/i.test(h));
  o.ComplianceTagHoldApplied = false;
  o.DelayHoldApplied = false;
  o.DelayReleaseHoldApplied = false;
}

/** Switches Microsoft documents for SOFT-DELETED mail users (Identity: DistinguishedName, Guid or ExchangeGuid). */
const SOFT_DELETED_SWITCHES = ["ExcludeFromAllHolds", "ExcludeFromAllOrgHolds"];

function resolveForSet(call: Call): Stored {
  const id = str(call, "Identity")!;
  const t = call.tenant;
  if (!SOFT_DELETED_SWITCHES.some((sw) => call.params[sw] === true)) return resolve(call, id, isMailUser);
  if (findAll(t.exchange.recipients, id, isMailUser).some((s) => isVisible(s, call.now)))
    return resolve(call, id, isMailUser);
  return resolve(call, id, isMailUser, t.exchange.softDeletedRecipients);
}

function removeHolds(o: Rec, which: (h: string) => boolean): boolean {
  const holds = (o.InPlaceHolds as string[]) ?? [];
  const keep = holds.filter((h) => !which(h));
  o.InPlaceHolds = keep;
  return keep.length !== holds.length;
}

export const setMailUser: CmdletImpl = (call) => {
  const s = resolveForSet(call);
  const soft = call.tenant.exchange.softDeletedRecipients.get(String(s.obj.Guid).toLowerCase()) === s;
  const o = s.obj;
  const before = JSON.stringify(o);
  applyEmailAddresses(call, o);
  if (has(call, "ExternalEmailAddress"))
    o.ExternalEmailAddress = call.params.ExternalEmailAddress
      ? externalAddress(String(call.params.ExternalEmailAddress))
      : "";
  if (has(call, "MicrosoftOnlineServicesID"))
    o.UserPrincipalName = o.MicrosoftOnlineServicesID = call.params.MicrosoftOnlineServicesID;
  let heldBefore = false;
  for (const [sw, apply] of Object.entries(HOLD_SWITCHES))
    if (call.params[sw] === true) heldBefore = apply(o) || heldBefore;
  if (heldBefore) o.DelayHoldApplied = true;
  if (call.params.ExcludeFromAllHolds === true) excludeFromAllHolds(o);
  if (call.params.RemoveDelayHoldApplied === true) o.DelayHoldApplied = false;
  if (call.params.RemoveDelayReleaseHoldApplied === true) o.DelayReleaseHoldApplied = false;
  if (Array.isArray(call.params.RemoveOrphanedHolds)) {
    const orphans = (call.params.RemoveOrphanedHolds as string[]).map((h) => h.toLowerCase());
    removeHolds(o, (h) => orphans.includes(h.toLowerCase()));
  }
  if (Array.isArray(call.params.ExcludeFromOrgHolds)) {
    const ex = (call.params.ExcludeFromOrgHolds as string[]).map((h) => h.toLowerCase());
    removeHolds(o, (h) => ex.some((x) => h.toLowerCase().includes(x)));
  }
  const control = [
    "EmailAddresses",
    "PrimarySmtpAddress",
    "WindowsEmailAddress",
    "ExternalEmailAddress",
    "MicrosoftOnlineServicesID",
    "Password",
    "RemoveDelayHoldApplied",
    "RemoveDelayReleaseHoldApplied",
    "RemoveOrphanedHolds",
    "ExcludeFromOrgHolds",
    "RemoveDisabledArchive",
    "RemoveMailboxProvisioningConstraint",
    "RecalculateInactiveMailUser",
    "EnableLitigationHoldForMigration",
    "UnblockForwardSyncPostCrossTenantMigration",
    ...Object.keys(HOLD_SWITCHES),
    "ExcludeFromAllHolds",
  ];
  setProperties(call, o, control);
  if (call.params.EnableLitigationHoldForMigration === true) o.LitigationHoldEnabled = true;
  if (has(call, "Name")) o.Identity = o.Id = o.Name;
  if (JSON.stringify(o) === before) noChangeWarning(call, String(o.Identity));
  else markChanged(call, o);
  touched(soft ? call.tenant.exchange.softDeletedRecipients : call.tenant.exchange.recipients, s);
  if (!soft) syncEntraUser(call.tenant, o);
  return [];
};

function syncEntraUser(t: TenantState, o: Rec): void {
  const u = t.directory.users.get(String(o.ExternalDirectoryObjectId));
  if (!u) return;
  u.obj.displayName = o.DisplayName;
  u.obj.mail = o.PrimarySmtpAddress;
  u.obj.proxyAddresses = (o.EmailAddresses as string[]).filter((p) => /^(smtp|x500):/i.test(p));
}

function onHold(o: Rec): boolean {
  return (
    o.LitigationHoldEnabled === true ||
    o.DelayHoldApplied === true ||
    o.DelayReleaseHoldApplied === true ||
    o.ComplianceTagHoldApplied === true ||
    ((o.InPlaceHolds as string[]) ?? []).length > 0
  );
}

const ENTRA_BLOCK =
  "This mail enabled user cannot be permanently deleted since there is a user associated with this mail enabled user in Azure Active Directory. You will first need to delete the user in Azure Active Directory.";
const HOLD_BLOCK =
  "Unable to permanently delete mail enabled user. The mail enabled user has litigation hold or In-Place hold applied on it. Please remove the hold before trying to delete";

export const removeMailUser: CmdletImpl = (call) => {
  const t = call.tenant;
  const id = str(call, "Identity")!;
  const purge = call.params.PermanentlyDelete === true;
  const active = findAll(t.exchange.recipients, id, isMailUser).filter((s) => isVisible(s, call.now));
  if (active.length || !purge) {
    const s = active.length ? active[0] : resolve(call, id, isMailUser);
    if (purge) {
      if (t.directory.users.has(String(s.obj.ExternalDirectoryObjectId)))
        raise(call, { type: "Microsoft.Exchange.Management.RecipientTasks.RecipientTaskException", text: ENTRA_BLOCK });
    }
    softDelete(t, s, call.now);
    deleteEntraUser(t, String(s.obj.ExternalDirectoryObjectId), call.now);
    return [];
  }
  const s = resolve(call, id, isMailUser, t.exchange.softDeletedRecipients);
  if (t.directory.users.has(String(s.obj.ExternalDirectoryObjectId)))
    raise(call, { type: "Microsoft.Exchange.Management.RecipientTasks.RecipientTaskException", text: ENTRA_BLOCK });
  if (onHold(s.obj))
    raise(call, { type: "Microsoft.Exchange.Management.RecipientTasks.RecipientTaskException", text: HOLD_BLOCK });
  drop(t.exchange.softDeletedRecipients, s);
  return [];
};

export function softDelete(t: TenantState, s: Stored, now: number): void {
  drop(t.exchange.recipients, s);
  const when = new Date(now).toISOString();
  Object.assign(s.obj, { IsSoftDeletedByRemove: true, WhenSoftDeleted: when, WhenChanged: when });
  put(t.exchange.softDeletedRecipients, s);
  for (const g of t.exchange.recipients.values()) {
    const members = g.obj[`${INTERNAL_PREFIX}members`];
    if (Array.isArray(members) && members.includes(s.obj.Guid)) members.splice(members.indexOf(s.obj.Guid), 1);
  }
}

function deleteEntraUser(t: TenantState, id: string, now: number): void {
  const u = t.directory.users.get(id);
  if (!u) return;
  t.directory.users.delete(id);
  t.directory.deletedItems.set(id, {
    obj: { ...u.obj, "@odata.type": "#microsoft.graph.user", deletedDateTime: new Date(now).toISOString() },
    meta: u.meta,
  });
}

/**
 * Entra is the master of a cloud user: when its user is deleted (through Graph), the MailUser behind it
 * is soft-deleted, as directory sync to Exchange Online does.
 */
export function syncDeletedUsers(t: TenantState, now: number): void {
  for (const s of [...t.exchange.recipients.values()]) {
    if (!isMailUser(s.obj)) continue;
    const id = String(s.obj.ExternalDirectoryObjectId);
    if (!t.directory.users.has(id) && t.directory.deletedItems.has(id)) softDelete(t, s, now);
  }
}
