// The HTTPS front door: reads a request, routes it to its surface by prefix, and plays the network's
// part in between (latency, throttling, outages, lost responses, request ids). Surfaces never see a
// socket; faults decided here are applied before a surface runs (429/503: nothing changes) or after it
// (a lost response: the change is made, the answer never arrives).

import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import type { EmuContext, EmuRequest, EmuResponse, Surface, SurfaceHandler } from "./http";
import { json } from "./http";
import type { FaultKind, FaultPlan } from "./faults";
import { AADSTS, entraError } from "./login/errors";

export interface RequestRecord {
  surface: Surface;
  method: string;
  path: string;
  cmdlet?: string;
  status: number;
  at: number;
  /** The fault the emulator played on this request, if any (for a lost response, status is what the surface answered). */
  fault?: FaultKind;
}

export interface ServerParts {
  ctx: EmuContext;
  faults: FaultPlan;
  requests: RequestRecord[];
  /** Request ids of requests in flight, so `ctx.authenticate` can put them into its 401 bodies. */
  requestIds: WeakMap<EmuRequest, string>;
  surfaces: Record<Surface, SurfaceHandler>;
  tls: { cert: string; key: string };
}

export const EXCHANGE_CONCURRENCY_TEXT =
  "You have reached the maximum number of concurrent requests per tenant. Please wait and try again";

function route(pathname: string): { surface: Surface; path: string } {
  for (const [prefix, surface] of [
    ["/graph", "graph"],
    ["/exchange", "exchange"],
    ["/_emulator", "admin"],
  ] as const) {
    if (pathname === prefix || pathname.startsWith(prefix + "/"))
      return { surface, path: pathname.slice(prefix.length) || "/" };
  }
  return { surface: "login", path: pathname };
}

/** The cmdlet an InvokeCommand body runs, for the request log and for cmdlet-targeted faults. */
export function cmdletOf(body: Buffer): string | undefined {
  if (body.length === 0) return undefined;
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { CmdletInput?: { CmdletName?: unknown } };
    const name = parsed?.CmdletInput?.CmdletName;
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined;
  }
}

function graphError(
  status: number,
  code: string,
  message: string,
  requestId: string,
  clientRequestId: string,
  now: number,
): EmuResponse {
  return json(status, {
    error: {
      code,
      message,
      innerError: {
        date: new Date(now).toISOString().replace(/\.\d+Z$/, ""),
        "request-id": requestId,
        "client-request-id": clientRequestId,
      },
    },
  });
}

function faultResponse(
  surface: Surface,
  fault: "throttle" | "unavailable",
  req: EmuRequest,
  ids: { requestId: string; clientRequestId: string },
  parts: ServerParts,
): EmuResponse {
  const now = parts.ctx.now();
  const retryAfter = String(parts.faults.current.retryAfterSeconds);
  let res: EmuResponse;
  if (surface === "graph") {
    res =
      fault === "throttle"
        ? graphError(429, "TooManyRequests", "Too many requests", ids.requestId, ids.clientRequestId, now)
        : graphError(503, "serviceNotAvailable", "Service unavailable", ids.requestId, ids.clientRequestId, now);
  } else if (surface === "exchange") {
    // UNCONFIRMED: the 503 text is captured but no captured 429 body; both use the OData error envelope.
    res =
      fault === "throttle"
        ? json(429, {
            error: { code: "TooManyRequests", message: "The request was throttled. Please wait and try again" },
          })
        : json(503, { error: { code: "ServiceUnavailable", message: EXCHANGE_CONCURRENCY_TEXT } });
  } else {
    res = entraError(req, { ...AADSTS.transient(), status: fault === "throttle" ? 429 : 503 }, now);
  }
  res.headers = { ...res.headers, "retry-after": retryAfter };
  return res;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, r: EmuResponse, ids: { requestId: string; clientRequestId: string }): void {
  const headers: Record<string, string> = { ...(r.headers ?? {}) };
  let body: Buffer;
  if (r.body === undefined) body = Buffer.alloc(0);
  else if (Buffer.isBuffer(r.body)) body = r.body;
  else if (typeof r.body === "string") body = Buffer.from(r.body, "utf8");
  else {
    body = Buffer.from(JSON.stringify(r.body), "utf8");
    if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type"))
      headers["content-type"] = "application/json";
  }
  headers["request-id"] = ids.requestId;
  headers["client-request-id"] = ids.clientRequestId;
  headers["content-length"] = String(body.length);
  res.writeHead(r.status, headers);
  res.end(body);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createServer(parts: ServerParts): https.Server {
  const { ctx } = parts;
  const handle = async (raw: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(raw);
    const url = new URL(raw.url ?? "/", ctx.baseUrl);
    const { surface, path } = route(url.pathname);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw.headers))
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
    const req: EmuRequest = { method: (raw.method ?? "GET").toUpperCase(), url, path, headers, body };
    const requestId = randomUUID();
    const ids = { requestId, clientRequestId: headers["client-request-id"] || requestId };
    parts.requestIds.set(req, requestId);

    if (surface === "admin") return send(res, await parts.surfaces.admin(req, ctx), ids);

    const cmdlet = surface === "exchange" ? cmdletOf(body) : undefined;
    const record: RequestRecord = { surface, method: req.method, path, status: 0, at: ctx.now() };
    if (cmdlet) record.cmdlet = cmdlet;
    parts.requests.push(record);

    if (ctx.options.latencyMs > 0) await sleep(ctx.options.latencyMs);
    const fault = parts.faults.decide({ surface, method: req.method, path, cmdlet });
    if (fault) record.fault = fault;
    if (fault === "throttle" || fault === "unavailable") {
      const r = faultResponse(surface, fault, req, ids, parts);
      record.status = r.status;
      return send(res, r, ids);
    }
    let answer: EmuResponse;
    try {
      answer = await parts.surfaces[surface](req, ctx);
    } catch (e) {
      // A surface that throws is an emulator bug; answer like an internal error and say so on stderr.
      process.stderr.write(
        `emulator: ${surface} ${req.method} ${path} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      answer =
        surface === "graph"
          ? graphError(500, "InternalServerError", "Emulator error", ids.requestId, ids.clientRequestId, ctx.now())
          : json(500, { error: { code: "InternalServerError", message: "Internal server error" } });
    }
    record.status = answer.status;
    if (fault === "lost") {
      raw.socket.destroy();
      return;
    }
    send(res, answer, ids);
  };
  return https.createServer({ cert: parts.tls.cert, key: parts.tls.key }, (raw, res) => {
    handle(raw, res).catch((e) => {
      process.stderr.write(`emulator: request failed: ${e instanceof Error ? e.message : String(e)}\n`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
}
