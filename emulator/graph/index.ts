// The Graph v1.0 surface: authenticates the caller, holds each request to Microsoft's reference (path,
// method, query options, body properties; a break is both Graph's error and a recorded violation),
// enforces application permissions, then hands the operation to its route.

import type { EmuContext, EmuRequest, EmuResponse, SurfaceHandler } from "../http";
import { findTenant, type Rec } from "../model";
import { APPLICATION_HANDLERS } from "./applications";
import { DIRECTORY_HANDLERS } from "./directory";
import type { OpCall, OpHandler } from "./objects";
import { operationPermissions, permitted } from "./permissions";
import { readQuery } from "./query";
import { matchOperation, validateBody, type Operation, type PropertyType } from "./reference";
import { badRequest, errorResponse, forbidden, GraphError, newCall, type Call } from "./respond";
import { SERVICE_PRINCIPAL_HANDLERS } from "./service-principals";
import { USER_GROUP_HANDLERS } from "./users-groups";

export const GRAPH_AUDIENCE = "https://graph.microsoft.com";

export const HANDLERS: Readonly<Record<string, OpHandler>> = {
  ...APPLICATION_HANDLERS,
  ...SERVICE_PRINCIPAL_HANDLERS,
  ...DIRECTORY_HANDLERS,
  ...USER_GROUP_HANDLERS,
};

export const handleGraph: SurfaceHandler = async (req: EmuRequest, ctx: EmuContext): Promise<EmuResponse> => {
  const call = newCall(req, ctx);
  try {
    return dispatch(call);
  } catch (e) {
    if (e instanceof GraphError) return errorResponse(call, e);
    throw e;
  }
};

function dispatch(call: Call): EmuResponse {
  const { req, ctx } = call;
  let path: string;
  try {
    path = decodeURIComponent(req.path);
  } catch {
    path = req.path;
  }
  const version = /^\/v1\.0(\/.*)?$/.exec(path);
  const rest = version?.[1] ?? "";
  const match = version ? matchOperation(req.method.toUpperCase(), rest) : { kind: "unknown" as const };
  if (match.kind !== "ok") {
    ctx.violation({
      surface: "graph",
      kind: match.kind === "unknown" ? "unknown-graph-path" : "unknown-graph-method",
      detail: `${req.method} ${req.path}`,
    });
  }

  const auth = ctx.authenticate(req, GRAPH_AUDIENCE);
  if (!auth.ok) return auth.response;
  const claims = auth.claims;
  const tenant = findTenant(ctx.state, claims.tid);
  if (!tenant)
    throw new GraphError(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.");

  if (match.kind === "unknown") {
    if (!version) throw badRequest(`Invalid version: ${path.split("/")[1] ?? ""}`, "BadRequest");
    const segment = rest.split("/").filter(Boolean)[0] ?? "";
    throw badRequest(`Resource not found for the segment '${segment}'.`, "BadRequest");
  }
  if (match.kind === "method-not-allowed") {
    throw new GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.");
  }

  const op = match.op;
  const query = readQuery(call, op);
  const body = readBody(call, op);

  const accepted = operationPermissions(op.operationId);
  // deletedItems routes authorise by the deleted object's type, once they know it.
  if (accepted && !permitted(claims, accepted)) throw forbidden();

  const handler = HANDLERS[op.operationId];
  if (!handler) throw new GraphError(501, "NotImplemented", `The emulator does not implement ${op.operationId}.`);
  const opCall: OpCall = { ...call, tenant, claims, op, params: match.params, body, query, now: ctx.now() };
  return handler(opCall);
}

function readBody(call: Call, op: Operation): Rec {
  const { req, ctx } = call;
  const text = req.body.length ? req.body.toString("utf8") : "";
  if (!op.requestBody) {
    return {};
  }
  let body: unknown = {};
  if (text.trim()) {
    try {
      body = JSON.parse(text);
    } catch {
      throw badRequest(
        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        "BadRequest",
      );
    }
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest(
      "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
      "BadRequest",
    );
  }
  const schema = op.requestBody.schema;
  const problem =
    typeof schema === "string"
      ? validateBody(schema, body, op.documented?.requestBody?.alsoAccepted ?? [])
      : validateInline(op.path.split("/").pop() ?? "", schema.properties, body as Rec);
  if (problem) {
    const kind = /Requested value|convert/.test(problem.message) ? "invalid-value" : "unknown-property";
    ctx.violation({ surface: "graph", kind, detail: `${op.method} ${op.path}: ${problem.path}: ${problem.message}` });
    throw badRequest(problem.message, problem.code);
  }
  for (const required of op.documented?.requestBody?.required ?? []) {
    const v = (body as Rec)[required];
    if (v === undefined || v === null || v === "") {
      const entity = typeof schema === "string" ? schema.replace("microsoft.graph.", "") : "";
      const resource = entity ? entity[0].toUpperCase() + entity.slice(1) : "request";
      throw badRequest(`Invalid value specified for property '${required}' of resource '${resource}'.`);
    }
  }
  return body as Rec;
}

/** Action bodies (addPassword, removePassword, assignLicense) are declared inline in the reference. */
function validateInline(operation: string, props: Record<string, PropertyType>, body: Rec) {
  for (const [k, v] of Object.entries(body)) {
    const p = props[k];
    if (!p)
      return {
        path: k,
        code: "BadRequest",
        message: `The parameter '${k}' in the request payload is not a valid parameter for the operation '${operation}'.`,
      };
    const items = p.collection && Array.isArray(v) ? v : [v];
    for (const item of items) {
      const problem = validateBody(p.type, item);
      if (problem) return { ...problem, path: `${k}${problem.path ? "." + problem.path : ""}` };
    }
  }
  return undefined;
}
