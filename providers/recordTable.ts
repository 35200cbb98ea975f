// How a wave's lists of records sit in the stack's state (SourceMailboxes' records first). A wave's records are kept twice (the checked
// inputs and the outputs) and were about 550 bytes a user each time, most of it the same fourteen property
// names written out for every user, values most users share (UserMailbox, ready, no archive, no blockers) and
// the long LegacyExchangeDN prefix that every cloud mailbox's first x500 address starts with. So a wave of
// records is kept as a table: the property names once, the values every record shares once, a property that
// always equals another (a mailbox's name and alias) once, a property always made from another address's local
// part (an alias, a target address that keeps the source's local part) as that rule once, the x500 prefix most
// addresses share once, and one row of the remaining values per user. The table is kept only when it expands
// back to exactly the records it came from; otherwise the records stay a plain list. State written before the
// table existed holds the plain list, and every reader takes either (`tableRecords`). The wave's planned users
// (an input, also kept twice) are kept the same way, and so are a large wave's Readiness users.

import { sameJson } from "./checkedRecord";
import type { Props } from "./context";

export interface RecordTable {
  /** The properties each row holds, in the row's order. */
  fields: string[];
  /** Properties whose value is the same in every record (absent when there are none). */
  same?: Props;
  /** Properties that equal another property in every record (name and alias, primary and source address). */
  copies?: Record<string, string>;
  /**
   * Properties made from another's local part in every record: that part alone (an alias), or with the one
   * domain given (a target address that keeps the source address's local part). Absent in tables from before.
   */
  derived?: Record<string, [of: string, domain: string | null]>;
  /** The prefix left off the x500 addresses in the rows that start with it ("" when none is). */
  x500Prefix: string;
  rows: unknown[][];
}

/** What a stored list holds: the table, or (state from before, or a wave it does not fit) the list itself. */
export type Stored<T> = RecordTable | T[];

const X500 = "x500:";
/**
 * Fewer records than this are kept as they are. `pulumi preview --diff` shows a stored list as it is, each
 * value under its property's name, which an engineer reads for a pilot wave; a table's rows show only their
 * places. Past this size the list is too long to read in a plan anyway, and its bytes count.
 */
export const TABLE_FROM_ROWS = 100;

export function isTable(v: unknown): v is RecordTable {
  if (!v || typeof v !== "object" || Array.isArray(v)) return false;
  const t = v as RecordTable;
  const optionalObject = (o: unknown) => o === undefined || (!!o && typeof o === "object");
  return (
    Array.isArray(t.fields) &&
    Array.isArray(t.rows) &&
    typeof t.x500Prefix === "string" &&
    optionalObject(t.same) &&
    optionalObject(t.copies) &&
    optionalObject(t.derived)
  );
}

/** The records of a stored list, whichever form it has; anything else comes back as it is. */
export function tableRecords(stored: unknown): unknown {
  if (!isTable(stored)) return stored;
  const { fields, same, copies, derived, x500Prefix, rows } = stored;
  return rows.map((row) => {
    const record: Props = { ...same };
    fields.forEach((f, i) => {
      record[f] =
        f === "x500Addresses" && Array.isArray(row[i]) ? row[i].map((a) => withPrefix(a, x500Prefix)) : row[i];
    });
    for (const [name, [of, domain]] of Object.entries(derived ?? {})) record[name] = made(record[of], domain);
    for (const [copy, of] of Object.entries(copies ?? {})) record[copy] = record[of];
    return record;
  });
}

/** An address's local part, with `domain` after it when given; undefined for a value that is no address. */
function made(address: unknown, domain: string | null): string | undefined {
  if (typeof address !== "string") return undefined;
  const at = address.lastIndexOf("@");
  if (at <= 0) return undefined;
  return domain === null ? address.slice(0, at) : `${address.slice(0, at)}@${domain}`;
}

/** The rule that makes `name` from one of `fields` in every record, if there is one. */
function derivation(records: object[], name: string, fields: string[]): [string, string | null] | undefined {
  const value = (r: object, n: string) => (r as Props)[n];
  const first = value(records[0], name);
  if (typeof first !== "string") return undefined;
  const at = first.lastIndexOf("@");
  const domain = at > 0 ? first.slice(at + 1) : null;
  const of = fields.find((f) => records.every((r) => made(value(r, f), domain) === value(r, name)));
  return of === undefined ? undefined : [of, domain];
}

/** The form to keep a list of records in: the table when it expands back to exactly them, else the list. */
export function storeTable<T extends object>(records: T[]): Stored<T> {
  if (records.length < TABLE_FROM_ROWS) return records;
  const names = Object.keys(records[0]);
  const sameKeys = (r: T) => {
    const keys = Object.keys(r);
    return keys.length === names.length && names.every((n) => keys.includes(n));
  };
  if (!records.every(sameKeys)) return records;
  const value = (r: T, name: string) => (r as unknown as Props)[name];
  const same: Props = {};
  const copies: Record<string, string> = {};
  const derived: Record<string, [string, string | null]> = {};
  const fields: string[] = [];
  for (const name of names) {
    const first = JSON.stringify(value(records[0], name));
    if (records.every((r) => JSON.stringify(value(r, name)) === first)) {
      same[name] = value(records[0], name);
      continue;
    }
    // Only a string kept in a row, or made from one, can stand for another: copies are made last.
    const of = [...fields, ...Object.keys(derived)].find((f) =>
      records.every((r) => typeof value(r, f) === "string" && value(r, f) === value(r, name)),
    );
    if (of) {
      copies[name] = of;
      continue;
    }
    const rule = derivation(records, name, fields);
    if (rule) derived[name] = rule;
    else fields.push(name);
  }
  const x500Prefix = fields.includes("x500Addresses") ? commonX500Prefix(records) : "";
  const rows = records.map((r) =>
    fields.map((f) => {
      const v = (r as unknown as Props)[f];
      return f === "x500Addresses" && Array.isArray(v) ? v.map((a) => withoutPrefix(a, x500Prefix)) : v;
    }),
  );
  const table: RecordTable = {
    fields,
    ...(Object.keys(same).length > 0 ? { same } : {}),
    ...(Object.keys(copies).length > 0 ? { copies } : {}),
    ...(Object.keys(derived).length > 0 ? { derived } : {}),
    x500Prefix,
    rows,
  };
  return sameJson(tableRecords(table), records) ? table : records;
}

/**
 * The x500 addresses' most frequent prefix up to their last `/cn=`: a cloud mailbox's LegacyExchangeDN is
 * `/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=<id>-<alias>`.
 */
function commonX500Prefix(records: object[]): string {
  const counts = new Map<string, number>();
  for (const r of records) {
    const addresses = (r as Props).x500Addresses;
    for (const a of Array.isArray(addresses) ? addresses : []) {
      if (typeof a !== "string" || !a.startsWith(X500)) continue;
      const cut = a.lastIndexOf("/cn=");
      if (cut < 0) continue;
      const prefix = a.slice(0, cut + "/cn=".length);
      counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
    }
  }
  let best = "";
  let most = 1;
  for (const [prefix, n] of counts) if (n > most) [best, most] = [prefix, n];
  return best;
}

// A kept address that starts with "x500:" is whole; any other had the prefix left off. An address that would
// be ambiguous (the prefix followed by "x500:") makes the round trip fail, so such a wave keeps its list.
function withoutPrefix(address: unknown, prefix: string): unknown {
  return prefix && typeof address === "string" && address.startsWith(prefix) ? address.slice(prefix.length) : address;
}

function withPrefix(address: unknown, prefix: string): unknown {
  return prefix && typeof address === "string" && !address.startsWith(X500) ? prefix + address : address;
}
