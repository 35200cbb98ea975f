// The 401 a resource answers for a bad bearer token, in the shape of the resource that refuses it:
// Graph's OData error with a WWW-Authenticate challenge naming Graph's app id, Exchange's challenge
// (reason in x-ms-diagnostics, as https://github.com/rknightion/graph2otel observed) with an empty body.

import type { EmuContext, EmuRequest, EmuResponse } from "../http";
import { CLOUDS, FIRST_PARTY } from "../../providers/tenant/clouds";

type Reason = "missing" | "malformed" | "signature" | "expired" | "audience";

const GRAPH_MESSAGES: Record<Reason, string> = {
  missing: "Access token is empty.",
  malformed: "IDX14100: JWT is not well formed, there are no dots (.).",
  signature: "Access token validation failure.",
  expired: "Lifetime validation failed, the token is expired.",
  audience: "Access token validation failure. Invalid audience.",
};

const EXCHANGE_REASONS: Record<Reason, string> = {
  missing: "No authorization header was found.",
  malformed: "The token is not a valid JWT.",
  signature: "The token signature is not valid.",
  expired: "The token has expired.",
  audience: "The audience claim value is invalid for current resource.",
};

export function unauthorized(
  req: EmuRequest,
  audience: string,
  reason: Reason,
  requestId: string,
  ctx: EmuContext,
): EmuResponse {
  const authorize = `${ctx.baseUrl}/common/oauth2/authorize`;
  if (audience.replace(/\/+$/, "").toLowerCase() === CLOUDS.worldwide.exchangeAudience) {
    return {
      status: 401,
      headers: {
        "www-authenticate": `Bearer client_id="${FIRST_PARTY.exchangeOnline}", trusted_issuers="00000001-0000-0000-c000-000000000000@*", token_types="app_asserted_user_v1 service_asserted_app_v1", authorization_uri="${authorize}", error="invalid_token"`,
        "x-ms-diagnostics": `2000001;reason="${EXCHANGE_REASONS[reason]}";error_category="invalid_token"`,
      },
      body: "",
    };
  }
  return {
    status: 401,
    headers: {
      "content-type": "application/json",
      "www-authenticate": `Bearer realm="", authorization_uri="${authorize}", client_id="${FIRST_PARTY.microsoftGraph}"`,
    },
    body: {
      error: {
        code: "InvalidAuthenticationToken",
        message: GRAPH_MESSAGES[reason],
        innerError: {
          date: new Date(ctx.now()).toISOString().replace(/\.\d+Z$/, ""),
          "request-id": requestId,
          "client-request-id": req.headers["client-request-id"] || requestId,
        },
      },
    },
  };
}
