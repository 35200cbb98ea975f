// What Set-* cmdlets share: multi-valued updates (arrays replace, tagged hashtables add/remove with set
// semantics, case-insensitively), change detection for the no-op warning, and ResultSize truncation; and
// what Get-Mailbox and Get-MailUser share: one recipient by identity or all visible ones, live or soft-deleted.

import { isVisible, stored, type Rec, type Stored } from "../../model";
import { MultiValueDelta, Secret } from "../binding";
import type { Call } from "../call";
import { put, resolve, visibleRecipients } from "../lookup";

export const TRUNCATED_WARNING =
  "There are more results available than are currently displayed. To view them, increase the value for the ResultSize parameter.";

export function applyMulti(current: unknown, value: unknown): unknown[] {
  const cur = Array.isArray(current) ? [...current] : [];
  if (value === undefined) return cur;
  if (value === null) return [];
  if (value instanceof MultiValueDelta) {
    const key = (v: unknown) => String(v).toLowerCase();
    const removing = new Set(value.remove.map(key));
    const out = cur.filter((v) => !removing.has(key(v)));
    for (const a of value.add) if (!out.some((v) => key(v) === key(a))) out.push(a);
    return out;
  }
  return Array.isArray(value) ? [...value] : [value];
}

/** Parameters that steer a cmdlet rather than set a property. */
const NOT_PROPERTIES = new Set([
  "Identity",
  "Confirm",
  "WhatIf",
  "Force",
  "BypassSecurityGroupManagerCheck",
  "ForceUpgrade",
  "IgnoreNamingPolicy",
]);

/**
 * Copies the remaining parameters onto the object as properties of the same name (Exchange's parameter
 * and property names match for the settable ones). Returns whether anything changed.
 */
export function setProperties(call: Call, o: Rec, skip: string[] = []): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(call.params)) {
    if (NOT_PROPERTIES.has(k) || skip.includes(k) || v instanceof Secret) continue;
    const next = Array.isArray(o[k]) || v instanceof MultiValueDelta || Array.isArray(v) ? applyMulti(o[k], v) : v;
    if (JSON.stringify(next) !== JSON.stringify(o[k])) {
      o[k] = next;
      changed = true;
    }
  }
  return changed;
}

export function markChanged(call: Call, o: Rec): void {
  const when = new Date(call.now).toISOString();
  o.WhenChanged = when;
  if ("WhenChangedUTC" in o) o.WhenChangedUTC = when;
}

/** Stores a new object; it is invisible to reads for the configured replication delay. */
export function storeNew(call: Call, map: Map<string, Stored>, o: Rec): Stored {
  const s = stored(o, call.now, call.ctx.options.faults.replicationMs);
  if (map === call.tenant.exchange.recipients || map === call.tenant.exchange.softDeletedRecipients) put(map, s);
  else map.set(String(o.Guid).toLowerCase(), s);
  return s;
}

export function resultSize(call: Call, items: Rec[]): Rec[] {
  const n = call.params.ResultSize;
  if (typeof n === "number" && items.length > n) {
    call.warnings.push(TRUNCATED_WARNING);
    return items.slice(0, n);
  }
  return items;
}

/**
 * A Get- cmdlet's answer over recipients `keep` accepts: the one `id` names, or all visible ones, among the
 * live recipients or (`softDeleted`) the soft-deleted ones.
 */
export function readRecipients(
  call: Call,
  id: string | undefined,
  keep: (o: Rec) => boolean,
  softDeleted: boolean,
): Rec[] {
  if (softDeleted) {
    const map = call.tenant.exchange.softDeletedRecipients;
    if (id !== undefined) return [resolve(call, id, keep, map).obj];
    return resultSize(
      call,
      [...map.values()].filter((s) => isVisible(s, call.now) && keep(s.obj)).map((s) => s.obj),
    );
  }
  if (id !== undefined) return [resolve(call, id, keep).obj];
  return resultSize(call, visibleRecipients(call.tenant, call.now, keep));
}

/**
 * A tiny OPATH subset for `-Filter`: `Prop -eq 'v'`, `-ne`, `-like 'v*'`, joined by `-and`. Enough for
 * the filters a provider sends; anything else is rejected rather than silently ignored.
 */
export function opathFilter(call: Call): ((o: Rec) => boolean) | undefined {
  const f = call.params.Filter;
  if (typeof f !== "string" || !f.trim()) return undefined;
  const clauses = f.replace(/^\s*\(|\)\s*$/g, "").split(/\s+-and\s+/i);
  const tests = clauses.map((c) => {
    const m = /^\s*\(?\s*(\w+)\s+-(eq|ne|like)\s+['"]([^'"]*)['"]\s*\)?\s*$/i.exec(c);
    if (!m) return undefined;
    const [, prop, op, value] = m;
    const re = new RegExp(`^${value.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i");
    return (o: Rec) => {
      const v = o[Object.keys(o).find((k) => k.toLowerCase() === prop.toLowerCase()) ?? prop];
      const values = Array.isArray(v) ? v.map(String) : [String(v ?? "")];
      const hit =
        op.toLowerCase() === "like"
          ? values.some((x) => re.test(x))
          : values.some((x) => x.toLowerCase() === value.toLowerCase());
      return op.toLowerCase() === "ne" ? !hit : hit;
    };
  });
  if (tests.some((t) => !t)) {
    throw new Error(`emulator: unsupported -Filter "${f}" (supported: Prop -eq/-ne/-like 'value' joined by -and)`);
  }
  return (o) => tests.every((t) => t!(o));
}
