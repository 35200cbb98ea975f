// The Exchange Online admin REST surface: routes, authentication and authorisation, the InvokeCommand
// pipeline (cmdlet lookup → binding → cmdlet → rendering → paging), and the `/_pwsh` route that stands in
// for the ExchangeOnlineManagement module (the one place a PSCredential binds).

import { createHash, randomUUID } from "node:crypto";
import { CLOUDS } from "../../providers/tenant/clouds";
import type { EmuContext, EmuRequest, EmuResponse, SurfaceHandler, TokenClaims } from "../http";
import { findTenant, type Rec, type TenantState } from "../model";
import { bind, type Widening } from "./binding";
import type { Route } from "./conversion";
import { allCmdlets, cmdletSpec } from "./reference";
import type { Call } from "./call";
import { IMPLEMENTATIONS } from "./cmdlets";
import { advanceMigrations } from "./cmdlets/migration-engine";
import { syncDeletedUsers } from "./cmdlets/mailusers";
import { showDueMoveCapabilities } from "./capabilities";
import { ExoFail, nulForbidden, pagingExpired, serviceRoot, success, unauthorized, ODATA_JSON } from "./envelope";
import { exchangeKnobs, type ExchangeKnobs } from "./knobs";
import { render } from "./render";

const EXCHANGE_ADMIN = "29232cdf-9323-42fd-ade2-1d097af3e4de";
const GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10";
const TRUNCATED =
  "There are more results available than are currently displayed. To view them, increase the value for the ResultSize parameter.";

export const handleExchange: SurfaceHandler = async (req, ctx) => {
  const now = ctx.now();
  const knobs = exchangeKnobs(ctx.options.exchange);
  try {
    const pwsh = /^\/_pwsh\/([^/]+)\/InvokeCommand$/i.exec(req.path);
    if (pwsh) return methodIs(req, "POST") ?? (await invoke(req, ctx, decodeURIComponent(pwsh[1]), "pwsh", knobs, now));
    const m = /^\/adminapi\/(beta|v1\.0)\/([^/]+)\/(InvokeCommand|EXOModuleFile)$/i.exec(req.path);
    if (m) {
      const [, version, tenantSeg, op] = m;
      const tenantId = decodeURIComponent(tenantSeg);
      if (op.toLowerCase() === "invokecommand") {
        // Only beta answers InvokeCommand (a third-party client measured 405 on v1.0; UNCONFIRMED first-hand).
        if (version.toLowerCase() !== "beta") return { status: 405, headers: { allow: "GET" }, body: Buffer.alloc(0) };
        return methodIs(req, "POST") ?? (await invoke(req, ctx, tenantId, "rest", knobs, now));
      }
      return methodIs(req, "GET") ?? moduleFile(req, ctx, tenantId, knobs, now);
    }
    ctx.violation({ surface: "exchange", kind: "unknown-exchange-path", detail: `${req.method} ${req.path}` });
    return {
      status: 404,
      headers: { "content-type": ODATA_JSON },
      body: Buffer.from(
        JSON.stringify({ error: { code: "NotFound", message: "Resource not found for the segment." } }),
      ),
    };
  } catch (e) {
    if (e instanceof ExoFail) return e.response;
    throw e;
  }
};

function methodIs(req: EmuRequest, method: string): EmuResponse | undefined {
  return req.method.toUpperCase() === method
    ? undefined
    : { status: 405, headers: { allow: method }, body: Buffer.alloc(0) };
}

type Authorised = { ok: true; tenant: TenantState; claims: TokenClaims } | { ok: false; response: EmuResponse };

function authorise(req: EmuRequest, ctx: EmuContext, tenantSeg: string, knobs: ExchangeKnobs, now: number): Authorised {
  const auth = ctx.authenticate(req, CLOUDS.worldwide.exchangeAudience);
  if (!auth.ok) return { ok: false, response: auth.response };
  const tenant = findTenant(ctx.state, tenantSeg);
  const claims = auth.claims;
  if (!tenant || tenant.tenantId.toLowerCase() !== claims.tid.toLowerCase()) {
    return {
      ok: false,
      response: unauthorized("The token was issued for a different tenant than the one in the URL.", now),
    };
  }
  const wids = claims.wids ?? [];
  const adminRole = wids.includes(EXCHANGE_ADMIN) || wids.includes(GLOBAL_ADMIN);
  if (claims.idtyp === "app") {
    // https://github.com/rknightion/graph2otel measured the ladder live: no app role → 401; app role without directory role → 403 (NUL body).
    if (!(claims.roles ?? []).includes("Exchange.ManageAsApp")) {
      return {
        ok: false,
        response: unauthorized("The token does not carry the Exchange.ManageAsApp application permission.", now),
      };
    }
  }
  if (!adminRole) return { ok: false, response: nulForbidden(req, knobs, "CmdletAccessDeniedException", now) };
  return { ok: true, tenant, claims };
}

function moduleFile(
  req: EmuRequest,
  ctx: EmuContext,
  tenantSeg: string,
  knobs: ExchangeKnobs,
  now: number,
): EmuResponse {
  const a = authorise(req, ctx, tenantSeg, knobs, now);
  if (!a.ok) return a.response;
  const root = serviceRoot(req, tenantSeg).replace("/adminapi/beta/", "/adminapi/v1.0/");
  return {
    status: 200,
    headers: { "content-type": ODATA_JSON, "odata-version": "4.0", "request-id": randomUUID() },
    body: Buffer.from(
      JSON.stringify({
        "@odata.context": `${root}/$metadata#EXOModuleFile`,
        value: [{ exportedCmdlets: allCmdlets().join(",") }],
      }),
    ),
  };
}

interface Envelope {
  cmdlet: string;
  parameters: Record<string, unknown>;
}

function parseEnvelope(req: EmuRequest, ctx: EmuContext): Envelope | undefined {
  let body: unknown;
  try {
    body = JSON.parse(req.body.toString("utf8") || "null");
  } catch {
    return undefined;
  }
  const input = body && typeof body === "object" ? (body as Record<string, unknown>).CmdletInput : undefined;
  if (!input || typeof input !== "object") return undefined;
  const { CmdletName, Parameters } = input as Record<string, unknown>;
  if (typeof CmdletName !== "string") return undefined;
  if (Parameters === null) {
    ctx.violation({
      surface: "exchange",
      kind: "null-parameters",
      detail: `${CmdletName}: "Parameters": null; send {} (null is not the same request as {})`,
    });
  } else if (Parameters !== undefined && (typeof Parameters !== "object" || Array.isArray(Parameters)))
    return undefined;
  return { cmdlet: CmdletName, parameters: (Parameters as Record<string, unknown>) ?? {} };
}

function badRequest(text: string, now: number): EmuResponse {
  return {
    status: 400,
    headers: {
      "content-type": ODATA_JSON,
      "odata-version": "4.0",
      "request-id": randomUUID(),
      date: new Date(now).toUTCString(),
    },
    body: Buffer.from(JSON.stringify({ error: { code: "BadRequest", message: text } })),
  };
}

function pageSize(req: EmuRequest, knobs: ExchangeKnobs): number {
  const m = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(req.headers["prefer"] ?? "");
  const n = m ? Number(m[1]) : knobs.defaultPageSize;
  return n > 0 ? n : knobs.defaultPageSize;
}

async function invoke(
  req: EmuRequest,
  ctx: EmuContext,
  tenantSeg: string,
  route: Route,
  knobs: ExchangeKnobs,
  now: number,
): Promise<EmuResponse> {
  const a = authorise(req, ctx, tenantSeg, knobs, now);
  if (!a.ok) return a.response;
  const env = parseEnvelope(req, ctx);
  if (!env) {
    ctx.violation({
      surface: "exchange",
      kind: "malformed-body",
      detail: `${route} InvokeCommand body is not {"CmdletInput":{"CmdletName":…,"Parameters":{…}}}`,
    });
    return badRequest("The request body is not a valid CmdletInput.", now);
  }
  const spec = cmdletSpec(env.cmdlet);
  if (!spec || !spec.exchangeOnline) {
    ctx.violation({
      surface: "exchange",
      kind: "unknown-cmdlet",
      detail: `${env.cmdlet} is not in Microsoft's reference for Exchange Online`,
    });
    return nulForbidden(req, knobs, "CmdletAccessDeniedException", now);
  }
  advanceMigrations(ctx.state, now, knobs, ctx.options.faults.consentPropagationMs);
  syncDeletedUsers(a.tenant, now);
  showDueMoveCapabilities(a.tenant, now, knobs.licenceVisibleAfterMs);

  const skiptoken = req.url.searchParams.get("$skiptoken");
  if (skiptoken !== null) return continuation(req, a.tenant, tenantSeg, skiptoken, knobs, now);

  const bound = bind(spec.name, env.parameters, route, {
    acceptRestCredentials: knobs.acceptRestCredentials,
    now,
    widen: liveTestWidening(spec.name, route, knobs),
  });
  if (!bound.ok) {
    if (bound.violation) ctx.violation({ surface: "exchange", ...bound.violation });
    return bound.response;
  }
  const call: Call = {
    req,
    ctx,
    tenant: a.tenant,
    claims: a.claims,
    route,
    cmdlet: spec.name,
    set: bound.bound.set,
    params: bound.bound.params,
    now,
    knobs,
    warnings: [],
  };
  const impl = IMPLEMENTATIONS[spec.name];
  const objects: Rec[] = impl ? await impl(call) : [];
  const select = req.url.searchParams.get("$select");
  const fields = select
    ? select
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
  const rendered = objects.map((o) => render(o, fields));
  const size = pageSize(req, knobs);
  if (rendered.length <= size) return success(req, tenantSeg, rendered, call.warnings, now);
  for (const [k, v] of a.tenant.exchange.pagingTokens)
    if ((v.expiresAt as number) < now) a.tenant.exchange.pagingTokens.delete(k);
  const token = randomUUID().replace(/-/g, "");
  a.tenant.exchange.pagingTokens.set(token, {
    bodyHash: hash(req.body),
    items: rendered,
    offset: size,
    expiresAt: now + knobs.pagingTokenTtlMs,
  });
  return success(req, tenantSeg, rendered.slice(0, size), [...call.warnings, TRUNCATED], now, nextLink(req, token));
}

/** -TestMailbox beside -Endpoint, on the routes the knob names (see ExchangeKnobs.endpointTestMailboxRoutes). */
function liveTestWidening(cmdlet: string, route: Route, knobs: ExchangeKnobs): Widening | undefined {
  if (cmdlet !== "Test-MigrationServerAvailability") return undefined;
  const on = knobs.endpointTestMailboxRoutes;
  return on === "both" || on === route ? { set: "TestEndpoint", parameter: "TestMailbox" } : undefined;
}

function hash(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

/** Same URL (and `$select`) plus the token, written the way the service writes it: `$` unencoded. */
function nextLink(req: EmuRequest, token: string): string {
  const query = req.url.search
    .replace(/^\?/, "")
    .split("&")
    .filter((p) => p && !/^(\$|%24)skiptoken=/i.test(p));
  query.push(`$skiptoken=${token}`);
  return `${req.url.origin}${req.url.pathname}?${query.join("&")}`;
}

/** A `$skiptoken` page: the identical body, before the token expires. */
function continuation(
  req: EmuRequest,
  tenant: TenantState,
  tenantSeg: string,
  token: string,
  knobs: ExchangeKnobs,
  now: number,
): EmuResponse {
  const entry = tenant.exchange.pagingTokens.get(token);
  if (!entry || knobs.failContinuations || (entry.expiresAt as number) < now || entry.bodyHash !== hash(req.body)) {
    return pagingExpired(now);
  }
  const items = entry.items as Rec[];
  const offset = entry.offset as number;
  const size = pageSize(req, knobs);
  const page = items.slice(offset, offset + size);
  tenant.exchange.pagingTokens.delete(token);
  if (offset + size >= items.length) return success(req, tenantSeg, page, [], now);
  const next = randomUUID().replace(/-/g, "");
  tenant.exchange.pagingTokens.set(next, { ...entry, offset: offset + size });
  return success(req, tenantSeg, page, [TRUNCATED], now, nextLink(req, next));
}
