// How Graph answers: the OData error body with its innerError, the response headers every Graph reply
// carries, and the @odata.context of entities and collections.

import type { EmuContext, EmuRequest, EmuResponse } from "../http";
import { guid } from "./ids";

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (id: string) =>
  new GraphError(
    404,
    "Request_ResourceNotFound",
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );

export const badRequest = (message: string, code = "Request_BadRequest") => new GraphError(400, code, message);

export const forbidden = () =>
  new GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");

/** Per-request facts the helpers below need. */
export interface Call {
  req: EmuRequest;
  ctx: EmuContext;
  requestId: string;
  clientRequestId: string;
}

export function newCall(req: EmuRequest, ctx: EmuContext): Call {
  const requestId = guid(ctx.random);
  return { req, ctx, requestId, clientRequestId: req.headers["client-request-id"] ?? requestId };
}

function headers(call: Call, json: boolean): Record<string, string> {
  const h: Record<string, string> = {
    "request-id": call.requestId,
    "client-request-id": call.clientRequestId,
    "x-ms-ags-diagnostic": JSON.stringify({
      ServerInfo: { DataCenter: "Emulator", Slice: "E", Ring: "1", ScaleUnit: "000", RoleInstance: "EMU" },
    }),
    "strict-transport-security": "max-age=31536000",
  };
  if (json) {
    h["content-type"] =
      "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
    h["odata-version"] = "4.0";
  }
  return h;
}

export function errorResponse(call: Call, e: GraphError): EmuResponse {
  const body = {
    error: {
      code: e.code,
      message: e.message,
      innerError: {
        date: new Date(call.ctx.now()).toISOString().replace(/\.\d{3}Z$/, ""),
        "request-id": call.requestId,
        "client-request-id": call.clientRequestId,
      },
    },
  };
  return { status: e.status, headers: headers(call, true), body };
}

export function ok(call: Call, status: number, body?: object): EmuResponse {
  if (body === undefined) return { status, headers: headers(call, false) };
  return { status, headers: headers(call, true), body };
}

/** The service root as the client addressed it (e.g. https://127.0.0.1:8443/graph/v1.0). */
export function serviceRoot(call: Call): string {
  const full = call.req.url.pathname;
  const prefix = full.endsWith(call.req.path) ? full.slice(0, full.length - call.req.path.length) : "";
  return `${call.req.url.origin}${prefix}/v1.0`;
}

export function context(call: Call, fragment: string): string {
  return `${serviceRoot(call)}/$metadata#${fragment}`;
}
