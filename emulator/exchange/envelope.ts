// What InvokeCommand answers, byte for byte where Microsoft's answer was captured: the success envelope
// (a published capture of a request and its answer), the cmdlet-error envelope (a published error body with "code": "NotFound"), the binding errors (https://github.com/rknightion/graph2otel's fixtures recorded live), the paging
// expiry (https://learn.microsoft.com/answers/questions/1023619/) and the 403 with a body of NUL bytes. Cmdlet code throws `ExoFail`; the router renders it.

import { randomUUID } from "node:crypto";
import type { EmuRequest, EmuResponse } from "../http";
import type { ExchangeKnobs } from "./knobs";
import { EXCHANGE_ONLINE_APP_ID } from "../../domain/firstParty";

/** Content-Type of every InvokeCommand JSON answer (a published capture of a request and its answer). */
export const ODATA_JSON =
  "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

export class ExoFail extends Error {
  constructor(
    public readonly response: EmuResponse,
    message = "Exchange cmdlet failed",
  ) {
    super(message);
  }
}

function commonHeaders(now: number): Record<string, string> {
  return {
    "content-type": ODATA_JSON,
    "odata-version": "4.0",
    "request-id": randomUUID(),
    "rate-limit-limit": "30000",
    "rate-limit-remaining": "29999",
    "rate-limit-reset": new Date(now + 60_000).toISOString(),
  };
}

/** `{origin}{prefix}/adminapi/beta/{tenant}` of the request, for `@odata.context`. */
export function serviceRoot(req: EmuRequest, tenantSegment: string): string {
  const full = req.url.pathname;
  const prefix = full.endsWith(req.path) ? full.slice(0, full.length - req.path.length) : "";
  return `${req.url.origin}${prefix}/adminapi/beta/${tenantSegment}`;
}

export function success(
  req: EmuRequest,
  tenantSegment: string,
  value: object[],
  warnings: string[],
  now: number,
  nextLink?: string,
): EmuResponse {
  // Key order follows the capture; JSON.stringify keeps insertion order.
  const body: Record<string, unknown> = {
    "@odata.context": `${serviceRoot(req, tenantSegment)}/$metadata#Collection(Exchange.GenericHashTable)`,
    "adminapi.warnings@odata.type": "#Collection(String)",
    "@adminapi.warnings": warnings,
  };
  if (nextLink) body["@odata.nextLink"] = nextLink;
  body.value = value;
  return {
    status: 200,
    headers: { ...commonHeaders(now), "preference-applied": 'odata.include-annotations="*"' },
    body: Buffer.from(JSON.stringify(body), "utf8"),
  };
}

function errorResponse(status: number, body: object, now: number, extra: Record<string, string> = {}): EmuResponse {
  return { status, headers: { ...commonHeaders(now), ...extra }, body: Buffer.from(JSON.stringify(body), "utf8") };
}

// Stack text is what https://learn.microsoft.com/answers/questions/1023619/ shows for a failure inside InvokeCommand; Microsoft sends it on runtime errors.
const INVOKE_STACK =
  "   at Microsoft.Exchange.AdminApi.CommandInvocation.CommandInvocation.InvokeCommand(QueryContext queryContext, CmdletInvokeInputType cmdletInvokeInputType)\r\n" +
  "   at Microsoft.Exchange.Admin.OData.Core.PathSegmentToExpressionTranslator.Translate(OperationImportSegment segment)\r\n" +
  "   at Microsoft.Exchange.Admin.OData.Core.QueryContext.ResolveQuery(ODataContext context, Int32 level)\r\n" +
  "   at Microsoft.Exchange.Admin.OData.Core.Handlers.OperationHandler.Process(IODataRequestMessage requestMessage, IODataResponseMessage responseMessage)\r\n" +
  "   at Microsoft.Exchange.Admin.OData.Core.Handlers.RequestHandler.Process(Stream requestStream)";

const DIRECT_INVOKE = "Microsoft.Exchange.Management.PSDirectInvoke.DirectInvokeCmdletExecutionException";

export interface CmdletFailure {
  /** "ExNNNNNN"; captured ids where known, otherwise a stable id derived from the type. */
  errorId?: string;
  type: string;
  text: string;
  status?: number;
  code?: string;
  target?: string;
}

/** A stable, Exchange-looking ErrorId for exception types with no captured id (inferred). */
export function errorIdFor(type: string): string {
  let h = 2166136261;
  for (const c of type) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return `Ex${(h & 0xffffff).toString(16).toUpperCase().padStart(6, "0")}`;
}

/** Cmdlet runtime error, the shape of a published NotFound body (warnings beside `error`). */
export function cmdletError(f: CmdletFailure, now: number, warnings: string[] = []): EmuResponse {
  const status = f.status ?? 400;
  const code = f.code ?? (status === 404 ? "NotFound" : status >= 500 ? "InternalServerError" : "BadRequest");
  return errorResponse(
    status,
    {
      error: {
        code,
        message: "Error executing cmdlet",
        details: [
          { code: "Client", target: f.target ?? "", message: `${f.errorId ?? errorIdFor(f.type)}|${f.type}|${f.text}` },
        ],
        innererror: {
          message: "Error executing cmdlet",
          type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
          stacktrace: INVOKE_STACK,
          internalexception: {
            message: `Exception of type '${DIRECT_INVOKE}' was thrown.`,
            type: DIRECT_INVOKE,
            stacktrace: "",
          },
        },
      },
      "adminapi.warnings@odata.type": "#Collection(String)",
      "@adminapi.warnings": warnings,
    },
    now,
  );
}

export const AMBIGUOUS = "Microsoft.Exchange.AdminApi.CommandInvocation.AmbiguousParameterSetException";
export const TRANSFORMATION = "Microsoft.Exchange.AdminApi.CommandInvocation.ParameterTransformationException";

/** https://github.com/rknightion/graph2otel's live `-BogusParameter` body: details and innererror both carry the text; no warnings member. */
export function ambiguousParameterSet(text: string, now: number, type = AMBIGUOUS): EmuResponse {
  return errorResponse(
    400,
    {
      error: {
        code: "BadRequest",
        message: "Invalid Operation",
        details: [{ code: "Client", target: "", message: `|${type}|${text}` }],
        innererror: {
          message: "Invalid Operation",
          type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
          stacktrace: "",
          internalexception: { message: text, type, stacktrace: "" },
        },
      },
    },
    now,
  );
}

/** https://github.com/rknightion/graph2otel's live invalid-enum body: no details; warnings inside `error`. */
export function parameterTransformation(text: string, now: number): EmuResponse {
  return errorResponse(
    400,
    {
      error: {
        code: "BadRequest",
        message: "Invalid Operation",
        innererror: {
          message: "Invalid Operation",
          type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
          stacktrace: "",
          internalexception: { message: text, type: TRANSFORMATION, stacktrace: "" },
        },
        "adminapi.warnings@odata.type": "#Collection(String)",
        "@adminapi.warnings": [],
      },
    },
    now,
  );
}

export const PAGING_EXPIRED = "Expired or Invalid pagination request. Default Expiry time is 00:30:00";

/** The body https://learn.microsoft.com/answers/questions/1023619/ shows, verbatim. */
export function pagingExpired(now: number): EmuResponse {
  return errorResponse(
    400,
    {
      error: {
        code: "BadRequest",
        message: "Invalid Operation",
        innererror: {
          message: "Invalid Operation",
          type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
          stacktrace: INVOKE_STACK,
          internalexception: { message: PAGING_EXPIRED, type: "System.Exception", stacktrace: "" },
        },
      },
    },
    now,
  );
}

export const CREDENTIAL_CAST = "Unable to cast object of type 'Newtonsoft.Json.Linq.JObject' to type 'System.String'.";

/**
 * The 500 a third-party migration client reports for a PSCredential sent as a JSON object. Only the message is quoted; the envelope around it
 * is the runtime-error shape with InvalidCastException (inferred).
 */
export function credentialCast(now: number): EmuResponse {
  return errorResponse(
    500,
    {
      error: {
        code: "InternalServerError",
        message: CREDENTIAL_CAST,
        innererror: {
          message: CREDENTIAL_CAST,
          type: "System.InvalidCastException",
          stacktrace: INVOKE_STACK,
        },
      },
    },
    now,
  );
}

/** 403 with a run of NUL bytes (https://github.com/rknightion/graph2otel); labelled gzip when the client accepts gzip (as third-party clients' tests record; UNCONFIRMED). */
export function nulForbidden(req: EmuRequest, knobs: ExchangeKnobs, exceptionType: string, now: number): EmuResponse {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "request-id": randomUUID(),
    "x-exceptiontype": exceptionType,
    date: new Date(now).toUTCString(),
  };
  if (knobs.nulBodyGzipLabel === "when-accepted" && /\bgzip\b/i.test(req.headers["accept-encoding"] ?? "")) {
    headers["content-encoding"] = "gzip";
  }
  return { status: 403, headers, body: Buffer.alloc(knobs.nulBodyLength) };
}

/** 401 with the reason in WWW-Authenticate (https://github.com/rknightion/graph2otel, https://github.com/tiredithumans/azapptoolkit). The header's wording is modelled on Entra resources (inferred). */
export function unauthorized(reason: string, now: number): EmuResponse {
  return {
    status: 401,
    headers: {
      "www-authenticate": `Bearer client_id="${EXCHANGE_ONLINE_APP_ID}", token_types="app_asserted_user_v1 service_asserted_app_v1", error="invalid_token", error_description="${reason}"`,
      "request-id": randomUUID(),
      "x-ms-diagnostics": `2000001;reason="${reason}";error_category="invalid_token"`,
      date: new Date(now).toUTCString(),
    },
    body: Buffer.alloc(0),
  };
}
