// Resolving Exchange identities: any of name, alias, display name, GUIDs, DN, LegacyExchangeDN, UPN or a
// proxy address identifies a recipient. Objects still replicating are
// invisible to reads and follow-up cmdlets but already occupy their names and addresses.

import { isVisible, type Rec, type Stored, type TenantState } from "../model";
import { ambiguous, notFound, type Call } from "./call";

const IDENTITY_KEYS = [
  "Name",
  "Alias",
  "DisplayName",
  "Identity",
  "Guid",
  "ExchangeObjectId",
  "ExternalDirectoryObjectId",
  "DistinguishedName",
  "LegacyExchangeDN",
  "PrimarySmtpAddress",
  "UserPrincipalName",
  "ExchangeGuid",
];

export function identifiers(o: Rec): string[] {
  const out: string[] = [];
  for (const k of IDENTITY_KEYS) {
    const v = o[k];
    if (typeof v === "string" && v && !/^0{8}-/.test(v)) out.push(v.toLowerCase());
  }
  for (const p of (o.EmailAddresses as string[] | undefined) ?? []) {
    out.push(p.toLowerCase());
    const colon = p.indexOf(":");
    if (colon > 0) out.push(p.slice(colon + 1).toLowerCase());
  }
  return out;
}

export function matchesIdentity(o: Rec, identity: string): boolean {
  return identifiers(o).includes(identity.trim().toLowerCase());
}

// Identifier index per recipient map, kept current by `put`/`drop`/`touched`; hits are re-verified and a
// map whose size changed behind our back (seed, state load) is re-indexed, so lookups stay O(1) at 10,000
// mailboxes without ever answering from stale data.
interface Index {
  size: number;
  byId: Map<string, Set<Stored>>;
  idsOf: Map<Stored, string[]>;
}
const indexes = new WeakMap<Map<string, Stored>, Index>();

function index(map: Map<string, Stored>): Index {
  const cached = indexes.get(map);
  if (cached && cached.size === map.size) return cached;
  const ix: Index = { size: 0, byId: new Map(), idsOf: new Map() };
  for (const s of map.values()) add(ix, s);
  ix.size = map.size;
  indexes.set(map, ix);
  return ix;
}

function add(ix: Index, s: Stored): void {
  const ids = [...new Set(identifiers(s.obj))];
  ix.idsOf.set(s, ids);
  for (const id of ids) {
    const set = ix.byId.get(id);
    if (set) set.add(s);
    else ix.byId.set(id, new Set([s]));
  }
}

function remove(ix: Index, s: Stored): void {
  for (const id of ix.idsOf.get(s) ?? []) ix.byId.get(id)?.delete(s);
  ix.idsOf.delete(s);
}

export function put(map: Map<string, Stored>, s: Stored): void {
  const ix = index(map);
  const key = String(s.obj.Guid).toLowerCase();
  const old = map.get(key);
  if (old) remove(ix, old);
  map.set(key, s);
  add(ix, s);
  ix.size = map.size;
}

export function drop(map: Map<string, Stored>, s: Stored): void {
  const ix = index(map);
  map.delete(String(s.obj.Guid).toLowerCase());
  remove(ix, s);
  ix.size = map.size;
}

/** Call after changing an object's names or addresses in place. */
export function touched(map: Map<string, Stored>, s: Stored): void {
  const ix = index(map);
  remove(ix, s);
  if (map.get(String(s.obj.Guid).toLowerCase()) === s) add(ix, s);
}

function candidates(map: Map<string, Stored>, key: string): Stored[] {
  return [...(index(map).byId.get(key) ?? [])];
}

export function findAll(map: Map<string, Stored>, identity: string, where: (o: Rec) => boolean = () => true): Stored[] {
  const key = identity.trim().toLowerCase();
  return candidates(map, key).filter((s) => matchesIdentity(s.obj, key) && where(s.obj));
}

/** The one visible recipient `identity` names, or the cmdlet's NotFound/ambiguity error. */
export function resolve(
  call: Call,
  identity: string,
  where: (o: Rec) => boolean,
  map = call.tenant.exchange.recipients,
): Stored {
  const visible = findAll(map, identity, where).filter((s) => isVisible(s, call.now));
  if (visible.length === 0) return notFound(call, identity);
  if (visible.length > 1) return ambiguous(call, identity);
  return visible[0];
}

export function visibleRecipients(t: TenantState, now: number, where: (o: Rec) => boolean): Rec[] {
  const out: Rec[] = [];
  for (const s of t.exchange.recipients.values()) if (isVisible(s, now) && where(s.obj)) out.push(s.obj);
  return out;
}

/** The object (visible or not, soft-deleted included) that already uses a proxy address or LegacyExchangeDN. */
export function proxyOwner(t: TenantState, proxy: string, except?: Rec): Rec | undefined {
  const colon = proxy.indexOf(":");
  const prefix = colon > 0 ? proxy.slice(0, colon).toLowerCase() : "smtp";
  const address = (colon > 0 ? proxy.slice(colon + 1) : proxy).toLowerCase();
  for (const map of [t.exchange.recipients, t.exchange.softDeletedRecipients]) {
    for (const s of candidates(map, address)) {
      if (s.obj === except) continue;
      const uses = ((s.obj.EmailAddresses as string[] | undefined) ?? []).some(
        (p) => p.toLowerCase() === `${prefix}:${address}`,
      );
      const dn = prefix === "x500" && String(s.obj.LegacyExchangeDN ?? "").toLowerCase() === address;
      if (uses || dn) return s.obj;
    }
  }
  return undefined;
}
