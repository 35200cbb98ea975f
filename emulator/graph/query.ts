// OData query options as the clients in this project use them: the documented options per operation,
// $filter and $search (filter.ts), $orderby, $select, $count, and paging with $top and an opaque $skiptoken in
// @odata.nextLink.

import type { EmuResponse } from "../http";
import type { Rec } from "../model";
import { type Operation, propertyNames, navigationNames, supportedQueryOptions, declaredProperties } from "./reference";
import { filterPredicate, searchPredicate, unknownProperty } from "./filter";
import { badRequest, type Call, context, GraphError, ok } from "./respond";

export interface Query {
  options: Map<string, string>;
}

/** Checks the request's system query options against the documented page; records a violation when one is not allowed. */
export function readQuery(call: Call, op: Operation): Query {
  const options = new Map<string, string>();
  const supported = supportedQueryOptions(op);
  for (const [k, v] of call.req.url.searchParams) {
    if (!k.startsWith("$")) continue;
    // $skiptoken is how a client follows @odata.nextLink on any pageable operation.
    if (k !== "$skiptoken" && !supported.has(k)) {
      call.ctx.violation({
        surface: "graph",
        kind: "unsupported-query-option",
        detail: `${op.method} ${op.path}: ${k} is not supported by the documented page`,
      });
      throw badRequest(`'${k}' is not supported by the service.`);
    }
    options.set(k, v);
  }
  if (options.has("$expand")) {
    // Documented for some lists, but no client here uses it: fail loudly rather than answer without the expansion.
    throw new GraphError(501, "NotImplemented", "The emulator does not implement $expand.");
  }
  const eventual = (call.req.headers["consistencylevel"] ?? "").toLowerCase() === "eventual";
  if (options.has("$search") && !eventual) {
    call.ctx.violation({
      surface: "graph",
      kind: "missing-consistency-level",
      detail: `${op.method} ${op.path}: $search without ConsistencyLevel: eventual`,
    });
    throw badRequest(
      "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
      "Request_UnsupportedQuery",
    );
  }
  if (options.get("$count") === "true" && !eventual && call.ctx.options.graph.requireConsistencyLevelForCount) {
    call.ctx.violation({
      surface: "graph",
      kind: "missing-consistency-level",
      detail: `${op.method} ${op.path}: $count without ConsistencyLevel: eventual`,
    });
    throw badRequest("$count is not currently supported.", "Request_BadRequest");
  }
  return { options };
}

// ---- $select and rendering ------------------------------------------------------------------------

/** Properties Graph returns for a user when no $select is given (user-get page). */
const USER_DEFAULT = [
  "businessPhones",
  "displayName",
  "givenName",
  "jobTitle",
  "mail",
  "mobilePhone",
  "officeLocation",
  "preferredLanguage",
  "surname",
  "userPrincipalName",
  "id",
];

export function selection(call: Call, entity: string, q: Query): string[] | undefined {
  const raw = q.options.get("$select");
  if (!raw) return undefined;
  const known = new Set([...propertyNames(entity), ...navigationNames(entity)]);
  const names = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) if (!known.has(n)) throw unknownProperty(call, entity, n);
  return names;
}

/** An object as Graph renders it: every declared property present (null or [] when unset), or the selection. */
export function render(entity: string, obj: Rec, select?: string[]): Rec {
  if (select) {
    const out: Rec = {};
    for (const n of select) out[n] = obj[n] ?? null;
    return out;
  }
  const declared = declaredProperties(`microsoft.graph.${entity}`) ?? {};
  const names = entity === "user" ? USER_DEFAULT : propertyNames(entity);
  const out: Rec = {};
  if (typeof obj["@odata.type"] === "string") out["@odata.type"] = obj["@odata.type"];
  for (const n of names) {
    const t = declared[n];
    if (t?.type === "Edm.Stream") continue;
    out[n] = obj[n] !== undefined ? obj[n] : t?.collection ? [] : null;
  }
  return out;
}

function contextFragment(base: string, select: string[] | undefined): string {
  return select ? `${base}(${select.join(",")})` : base;
}

export function entityResponse(
  call: Call,
  status: number,
  entity: string,
  fragmentBase: string,
  obj: Rec,
  q?: Query,
): EmuResponse {
  const select = q ? selection(call, entity, q) : undefined;
  return ok(call, status, {
    "@odata.context": context(call, `${contextFragment(fragmentBase, select)}/$entity`),
    ...render(entity, obj, select),
  });
}

// ---- collections ----------------------------------------------------------------------------------

function decodeSkipToken(token: string): number {
  const text = Buffer.from(token, "base64url").toString("utf8");
  const m = /^emu-offset:(\d+)$/.exec(text);
  if (!m) throw badRequest("Invalid $skiptoken.", "Request_BadRequest");
  return Number(m[1]);
}

export function collectionResponse(
  call: Call,
  entity: string,
  fragmentBase: string,
  items: Rec[],
  q: Query,
  opts: { searchable?: string[] } = {},
): EmuResponse {
  let rows = items;
  const filter = q.options.get("$filter");
  if (filter) rows = rows.filter(filterPredicate(call, entity, filter));
  const search = q.options.get("$search");
  if (search) rows = rows.filter(searchPredicate(call, entity, search, opts.searchable ?? ["displayName"]));
  const orderby = q.options.get("$orderby");
  if (orderby) rows = sortRows(call, entity, rows, orderby);
  const select = selection(call, entity, q);

  const knobs = call.ctx.options.graph;
  const topRaw = q.options.get("$top");
  let top = knobs.defaultPageSize;
  if (topRaw !== undefined) {
    top = Number(topRaw);
    if (!Number.isInteger(top) || top < 1 || top > knobs.maxPageSize) {
      throw badRequest(
        `Invalid page size specified: '${topRaw}'. Must be between 1 and ${knobs.maxPageSize} inclusive.`,
      );
    }
  }
  const token = q.options.get("$skiptoken");
  const offset = token ? decodeSkipToken(token) : 0;
  const page = rows.slice(offset, offset + top);

  const body: Rec = { "@odata.context": context(call, contextFragment(fragmentBase, select)) };
  if (q.options.get("$count") === "true") body["@odata.count"] = rows.length;
  if (offset + top < rows.length) {
    const next = new URL(call.req.url.toString());
    next.searchParams.set("$skiptoken", Buffer.from(`emu-offset:${offset + top}`).toString("base64url"));
    body["@odata.nextLink"] = next.toString();
  }
  body.value = page.map((o) => render(entity, o, select));
  return ok(call, 200, body);
}

function sortRows(call: Call, entity: string, rows: Rec[], orderby: string): Rec[] {
  const [prop, dir] = orderby.trim().split(/\s+/);
  if (!propertyNames(entity).includes(prop)) throw unknownProperty(call, entity, prop);
  const sign = dir?.toLowerCase() === "desc" ? -1 : 1;
  return [...rows].sort((a, b) => sign * String(a[prop] ?? "").localeCompare(String(b[prop] ?? "")));
}
