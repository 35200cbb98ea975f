// Which rows a Graph list answers: $filter in its simple forms (eq/ne, startswith, any, in; joined by and/or)
// and $search on one property, each strict about the property names the entity has (reference.ts).

import type { Rec } from "../model";
import { propertyNames } from "./reference";
import { badRequest, type Call, GraphError } from "./respond";

/** A query that names a property the entity does not have: a violation, and Graph's 400. */
export function unknownProperty(call: Call, entity: string, name: string): GraphError {
  call.ctx.violation({
    surface: "graph",
    kind: "unknown-property",
    detail: `query names '${name}', not a property of microsoft.graph.${entity}`,
  });
  return badRequest(`Could not find a property named '${name}' on type 'microsoft.graph.${entity}'.`, "BadRequest");
}

// ---- $filter -------------------------------------------------------------------------------------

export type Pred = (o: Rec) => boolean;

function literal(raw: string): unknown {
  const s = raw.trim();
  if (/^'.*'$/s.test(s)) return s.slice(1, -1).replace(/''/g, "'");
  if (s === "true") return true;
  if (s === "false") return false;
  if (s === "null") return null;
  if (/^-?\d+$/.test(s)) return Number(s);
  if (/^[0-9a-f-]{36}$/i.test(s)) return s;
  throw badRequest(`Invalid filter clause: unsupported literal ${s}.`, "BadRequest");
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  return (a ?? null) === (b ?? null);
}

function splitOutsideQuotes(s: string, sep: RegExp): string[] {
  const parts: string[] = [];
  let depth = 0,
    quoted = false,
    start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === "(") depth++;
    else if (!quoted && c === ")") depth--;
    else if (!quoted && depth === 0) {
      const m = sep.exec(s.slice(i));
      if (m && m.index === 0) {
        parts.push(s.slice(start, i));
        i += m[0].length - 1;
        start = i + 1;
      }
    }
  }
  parts.push(s.slice(start));
  return parts.map((p) => p.trim());
}

function clause(call: Call, entity: string, text: string, props: Set<string>): Pred {
  const check = (p: string) => {
    if (!props.has(p)) throw unknownProperty(call, entity, p);
    return p;
  };
  let m = /^startswith\(\s*([A-Za-z0-9_]+)\s*,\s*('(?:[^']|'')*')\s*\)$/i.exec(text);
  if (m) {
    const p = check(m[1]);
    const v = String(literal(m[2])).toLowerCase();
    return (o) => typeof o[p] === "string" && (o[p] as string).toLowerCase().startsWith(v);
  }
  m = /^([A-Za-z0-9_]+)\/any\(\s*(\w+)\s*:\s*\2\s+eq\s+(.+)\)$/i.exec(text);
  if (m) {
    const p = check(m[1]);
    const v = literal(m[3]);
    return (o) => Array.isArray(o[p]) && (o[p] as unknown[]).some((x) => same(x, v));
  }
  m = /^([A-Za-z0-9_]+)\/any\(\s*(\w+)\s*:\s*\2\/([A-Za-z0-9_]+)\s+eq\s+(.+)\)$/i.exec(text);
  if (m) {
    const p = check(m[1]);
    const sub = m[3];
    const v = literal(m[4]);
    return (o) => Array.isArray(o[p]) && (o[p] as Rec[]).some((x) => x && same(x[sub], v));
  }
  m = /^([A-Za-z0-9_]+)\s+in\s+\((.*)\)$/i.exec(text);
  if (m) {
    const p = check(m[1]);
    const values = splitOutsideQuotes(m[2], /^,/).filter(Boolean).map(literal);
    return (o) => values.some((v) => same(o[p], v));
  }
  m = /^([A-Za-z0-9_]+)\s+(eq|ne)\s+(.+)$/i.exec(text);
  if (m) {
    const p = check(m[1]);
    const v = literal(m[3]);
    const neg = m[2].toLowerCase() === "ne";
    return (o) => same(o[p], v) !== neg;
  }
  throw badRequest(`Invalid filter clause: '${text}' is not a form the emulator supports.`, "BadRequest");
}

export function filterPredicate(call: Call, entity: string, filter: string): Pred {
  const props = new Set(propertyNames(entity));
  const ors = splitOutsideQuotes(filter.trim(), /^\s+or\s+/i);
  const groups = ors.map((g) =>
    splitOutsideQuotes(g, /^\s+and\s+/i).map((c) => clause(call, entity, stripParens(c), props)),
  );
  return (o) => groups.some((ands) => ands.every((p) => p(o)));
}

function stripParens(s: string): string {
  let t = s.trim();
  while (t.startsWith("(") && t.endsWith(")") && splitOutsideQuotes(t.slice(1, -1), /^\)\s*/).length === 1)
    t = t.slice(1, -1).trim();
  return t;
}

// ---- $search --------------------------------------------------------------------------------------

export function searchPredicate(call: Call, entity: string, search: string, searchable: string[]): Pred {
  const terms = search.split(/\s+(?:AND|OR)\s+/).map((t) => t.trim().replace(/^"|"$/g, ""));
  const preds = terms.map((t) => {
    const m = /^([A-Za-z0-9_]+):(.*)$/.exec(t);
    if (!m)
      throw badRequest(
        `Syntax error: character '${t[0] ?? ""}' is not valid at position 0 in '${search}'.`,
        "BadRequest",
      );
    if (!propertyNames(entity).includes(m[1])) throw unknownProperty(call, entity, m[1]);
    if (!searchable.includes(m[1]))
      throw badRequest(
        `Unsupported query: $search is not supported on property '${m[1]}'.`,
        "Request_UnsupportedQuery",
      );
    const needle = m[2].toLowerCase();
    const p = m[1];
    // Graph's $search matches tokens from their start.
    return (o: Rec) =>
      typeof o[p] === "string" &&
      (o[p] as string)
        .toLowerCase()
        .split(/[\s._-]+/)
        .some((w) => w.startsWith(needle) || (o[p] as string).toLowerCase().startsWith(needle));
  });
  return (o) => preds.some((p) => p(o));
}
