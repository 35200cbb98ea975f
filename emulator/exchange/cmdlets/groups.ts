// Distribution groups and mail-enabled security groups, and their membership. Membership changes by an
// app-only caller need -BypassSecurityGroupManagerCheck (reported by a third-party migration client): an app is never among a group's ManagedBy.

import { isVisible, stored, type Rec, type Stored } from "../../model";
import {
  alreadyExists,
  has,
  noChangeWarning,
  proxyInUse,
  raise,
  referenceNotFound,
  requireHydrated,
  str,
  type Call,
  type CmdletImpl,
} from "../call";
import { drop, findAll, proxyOwner, resolve, touched, visibleRecipients } from "../lookup";
import { groupObject, INTERNAL_PREFIX, newGuid, proxyList } from "../recipient";
import { applyMulti, markChanged, opathFilter, resultSize, setProperties, storeNew } from "./common";
import { applyEmailAddresses, defaultDomain } from "./addresses";

const MEMBERS = `${INTERNAL_PREFIX}members`;
const isGroup = (o: Rec) =>
  o.RecipientType === "MailUniversalSecurityGroup" || o.RecipientType === "MailUniversalDistributionGroup";

function group(call: Call, identity: string): Stored {
  return resolve(call, identity, isGroup);
}

/** Any visible recipient named by a member/manager parameter, or Exchange's "Couldn't find object" error. */
function recipientRef(call: Call, identity: string): Rec {
  const hits = findAll(call.tenant.exchange.recipients, identity).filter((s) => isVisible(s, call.now));
  if (!hits.length) return referenceNotFound(call, identity);
  return hits[0].obj;
}

/** The caller's own recipient (delegated callers only; an app has none). */
function callerName(call: Call): string | undefined {
  if (call.claims.idtyp !== "user" || !call.claims.upn) return undefined;
  const hits = findAll(call.tenant.exchange.recipients, call.claims.upn);
  return hits.length ? String(hits[0].obj.Name) : undefined;
}

function requireManager(call: Call, g: Rec): void {
  if (call.params.BypassSecurityGroupManagerCheck === true) return;
  const me = callerName(call);
  if (me && (g.ManagedBy as string[]).some((m) => m.toLowerCase() === me.toLowerCase())) return;
  // A captured answer quotes "This operation can only be performed by a manager of the group" (reported by a third-party migration client); the
  // leading sentence and the exception type are Exchange's as remembered, UNCONFIRMED.
  raise(call, {
    type: "Microsoft.Exchange.Configuration.Tasks.TaskAccessDeniedException",
    text: "You don't have sufficient permissions. This operation can only be performed by a manager of the group.",
  });
}

function aliasFrom(name: string): string {
  return name.replace(/[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]/g, "").replace(/^\.+|\.+$/g, "") || "group";
}

export const newDistributionGroup: CmdletImpl = (call) => {
  requireHydrated(call);
  const t = call.tenant;
  const name = str(call, "Name")!;
  if (findAll(t.exchange.recipients, name, (o) => String(o.Name).toLowerCase() === name.toLowerCase()).length)
    alreadyExists(call, "group", name);
  const alias = str(call, "Alias") ?? aliasFrom(name);
  const primary = str(call, "PrimarySmtpAddress") ?? `${alias}@${defaultDomain(t)}`;
  const proxies = proxyList(primary, [`${alias}@${t.initialDomain}`]);
  for (const p of proxies) if (proxyOwner(t, p)) proxyInUse(call, p);
  const members = applyMulti([], call.params.Members).map((m) => String(recipientRef(call, String(m)).Guid));
  const me = callerName(call);
  const managedBy = has(call, "ManagedBy")
    ? applyMulti([], call.params.ManagedBy).map((m) => String(recipientRef(call, String(m)).Name))
    : me
      ? [me]
      : [];
  const security = call.params.Type === "Security";
  const entraId = newGuid(call.ctx.random);
  const g = groupObject(
    t,
    {
      name,
      alias,
      displayName: str(call, "DisplayName") ?? name,
      primarySmtp: primary,
      emailAddresses: proxies,
      externalDirectoryObjectId: entraId,
      security,
      managedBy,
      members,
    },
    call.now,
    call.ctx.random,
  );
  if (call.params.CopyOwnerToMember === true) {
    for (const m of managedBy) {
      const o = recipientRef(call, m);
      if (!members.includes(String(o.Guid))) members.push(String(o.Guid));
    }
  }
  setProperties(call, g, [
    "Name",
    "Alias",
    "DisplayName",
    "PrimarySmtpAddress",
    "Type",
    "ManagedBy",
    "Members",
    "CopyOwnerToMember",
    "OrganizationalUnit",
  ]);
  storeNew(call, t.exchange.recipients, g);
  // Exchange writes the group to Entra too; Graph shows it as a mail-enabled (security) group.
  t.directory.groups.set(
    entraId,
    stored(
      {
        id: entraId,
        displayName: g.DisplayName,
        description: null,
        mail: primary,
        mailEnabled: true,
        mailNickname: alias,
        securityEnabled: security,
        groupTypes: [],
        proxyAddresses: proxies,
        createdDateTime: new Date(call.now).toISOString(),
        deletedDateTime: null,
        visibility: null,
      },
      call.now,
      call.ctx.options.faults.replicationMs,
    ),
  );
  return [g];
};

export const getDistributionGroup: CmdletImpl = (call) => {
  const id = str(call, "Identity");
  if (id !== undefined) return [group(call, id).obj];
  const types = call.params.RecipientTypeDetails as string[] | undefined;
  const filter = opathFilter(call);
  const managedBy = str(call, "ManagedBy");
  const manager = managedBy ? String(recipientRef(call, managedBy).Name).toLowerCase() : undefined;
  const out = visibleRecipients(call.tenant, call.now, (o) => {
    if (!isGroup(o)) return false;
    if (types && !types.includes(String(o.RecipientTypeDetails))) return false;
    if (manager && !(o.ManagedBy as string[]).some((m) => m.toLowerCase() === manager)) return false;
    return !filter || filter(o);
  });
  return resultSize(call, out);
};

export const setDistributionGroup: CmdletImpl = (call) => {
  const s = group(call, str(call, "Identity")!);
  const g = s.obj;
  requireManager(call, g);
  const before = JSON.stringify(g);
  if (has(call, "ManagedBy"))
    g.ManagedBy = applyMulti(g.ManagedBy, call.params.ManagedBy).map((m) => String(recipientRef(call, String(m)).Name));
  applyEmailAddresses(call, g);
  setProperties(call, g, ["ManagedBy", "EmailAddresses", "PrimarySmtpAddress", "WindowsEmailAddress", "RoomList"]);
  if (has(call, "Name")) g.Identity = g.Id = g.Name;
  if (JSON.stringify(g) === before) noChangeWarning(call, String(g.Identity));
  else markChanged(call, g);
  touched(call.tenant.exchange.recipients, s);
  return [];
};

export const removeDistributionGroup: CmdletImpl = (call) => {
  const s = group(call, str(call, "Identity")!);
  requireManager(call, s.obj);
  drop(call.tenant.exchange.recipients, s);
  call.tenant.directory.groups.delete(String(s.obj.ExternalDirectoryObjectId));
  return [];
};

const REDUCED = [
  "Name",
  "Alias",
  "DisplayName",
  "Identity",
  "Guid",
  "ExchangeObjectId",
  "ExternalDirectoryObjectId",
  "PrimarySmtpAddress",
  "EmailAddresses",
  "RecipientType",
  "RecipientTypeDetails",
  "DistinguishedName",
  "LegacyExchangeDN",
];

function reduced(o: Rec): Rec {
  const out: Rec = {};
  for (const k of REDUCED) if (k in o) out[k] = o[k];
  return out;
}

export const getDistributionGroupMember: CmdletImpl = (call) => {
  const g = group(call, str(call, "Identity")!).obj;
  const out: Rec[] = [];
  for (const guid of g[MEMBERS] as string[]) {
    const m =
      call.tenant.exchange.recipients.get(guid.toLowerCase()) ??
      (call.params.IncludeSoftDeletedObjects === true
        ? call.tenant.exchange.softDeletedRecipients.get(guid.toLowerCase())
        : undefined);
    if (m) out.push(reduced(m.obj));
  }
  return resultSize(call, out);
};

export const addDistributionGroupMember: CmdletImpl = (call) => {
  const g = group(call, str(call, "Identity")!).obj;
  requireManager(call, g);
  const member = str(call, "Member");
  if (member === undefined) return [];
  const m = recipientRef(call, member);
  const members = g[MEMBERS] as string[];
  if (members.includes(String(m.Guid))) {
    // Text from https://github.com/tiredithumans/azapptoolkit (src/error.rs tests); type from https://github.com/KelvinTegelaar/CIPP-API.
    raise(call, {
      type: "Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException",
      text: `The recipient "${member}" is already a member of the group.`,
    });
  }
  members.push(String(m.Guid));
  markChanged(call, g);
  return [];
};

export const removeDistributionGroupMember: CmdletImpl = (call) => {
  const g = group(call, str(call, "Identity")!).obj;
  requireManager(call, g);
  const member = str(call, "Member");
  if (member === undefined) return [];
  const m = recipientRef(call, member);
  const members = g[MEMBERS] as string[];
  const i = members.indexOf(String(m.Guid));
  if (i < 0) {
    // Text from https://github.com/tiredithumans/azapptoolkit (src/error.rs tests); exception type inferred.
    raise(call, {
      type: "Microsoft.Exchange.Management.Tasks.MemberNotFoundException",
      text: `The recipient "${member}" isn't a member of the group.`,
    });
  }
  members.splice(i, 1);
  markChanged(call, g);
  return [];
};

export const updateDistributionGroupMember: CmdletImpl = (call) => {
  const g = group(call, str(call, "Identity")!).obj;
  requireManager(call, g);
  if (!has(call, "Members")) return [];
  const current = g[MEMBERS] as string[];
  const wanted = applyMulti([], call.params.Members).map((m) => String(recipientRef(call, String(m)).Guid));
  const next = [...new Set(wanted)];
  if (next.length === current.length && next.every((x) => current.includes(x)))
    noChangeWarning(call, String(g.Identity));
  g[MEMBERS] = next;
  markChanged(call, g);
  return [];
};
