// What an Exchange Online failure means, decided once for REST and PowerShell alike.
// Providers branch on `kind`, never on message text: the texts below are Microsoft's and may drift, so
// they are matched here only.

import { EXCHANGE_ADMIN_ROLE, EXCHANGE_APPLICATION_PERMISSIONS } from "./permissions";

export type ExchangeErrorKind =
  | "NotFound"
  | "AlreadyExists"
  | "NotAMember"
  | "NoOp"
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "Throttled"
  | "Transient"
  | "Server";

export class ExchangeError extends Error {
  readonly kind: ExchangeErrorKind;
  readonly cmdlet: string;
  /** HTTP status; 0 when no response arrived or the cmdlet ran in PowerShell. */
  readonly status: number;
  /** .NET exception type, e.g. Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException. */
  readonly exceptionType?: string;
  /** Microsoft's own text (the useful part of the envelope), without our prefix. */
  readonly detail: string;
  /** The service's request id, for a support case. */
  readonly requestId?: string;
  /** Seconds the service asked us to wait (Retry-After). */
  readonly retryAfterSeconds?: number;
  /** A write whose response was lost: it may have been applied, so re-read before acting again. */
  readonly maybeApplied: boolean;
  /** The continuation link of a paged read was refused; no partial list was returned. */
  readonly pagingFailed: boolean;
  constructor(init: {
    kind: ExchangeErrorKind;
    cmdlet: string;
    status: number;
    message: string;
    detail: string;
    exceptionType?: string;
    requestId?: string;
    retryAfterSeconds?: number;
    maybeApplied?: boolean;
    pagingFailed?: boolean;
  }) {
    super(init.message);
    this.name = "ExchangeError";
    this.kind = init.kind;
    this.cmdlet = init.cmdlet;
    this.status = init.status;
    this.detail = init.detail;
    this.exceptionType = init.exceptionType;
    this.requestId = init.requestId;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.maybeApplied = init.maybeApplied ?? false;
    this.pagingFailed = init.pagingFailed ?? false;
  }
  get retryable(): boolean {
    return this.kind === "Throttled" || this.kind === "Transient";
  }
}

export const PAGING_EXPIRED = /Expired or Invalid pagination request/i;
/** The warning a Set-* that changed nothing returns with 200. */
export const NO_CHANGE_WARNING = /no settings of .* have been modified/i;

/** What a failed response carried, before interpretation. */
export interface FailureFacts {
  status: number;
  /** Response body as text; may be empty, NUL bytes or not JSON. */
  body: string;
  headers: Record<string, string>;
}

interface Envelope {
  message: string;
  exceptionType?: string;
  code?: string;
}

/** Pulls the useful text and exception type out of the error envelope, most specific field first. */
export function parseErrorEnvelope(body: string): Envelope | undefined {
  const clean = body.replace(/\u0000/g, "").trim();
  if (!clean.startsWith("{")) return undefined;
  let doc: { error?: Record<string, unknown> };
  try {
    doc = JSON.parse(clean);
  } catch {
    return undefined;
  }
  const err = doc.error;
  if (!err || typeof err !== "object") return undefined;
  const inner = (err.innererror as Record<string, unknown> | undefined)?.internalexception as
    Record<string, unknown> | undefined;
  const details = Array.isArray(err.details) ? (err.details as Array<Record<string, unknown>>) : [];
  const detailMsg = typeof details[0]?.message === "string" ? (details[0].message as string) : undefined;
  const segments = detailMsg?.split("|");
  const detailType = segments && segments.length >= 3 ? segments[1] || undefined : undefined;
  const detailText = segments ? segments[segments.length - 1] : undefined;
  // The inner exception's message is the useful one unless it is the generic wrapper text.
  const innerMsg =
    typeof inner?.message === "string" && !/^Exception of type '.*' was thrown\.?$/.test(inner.message)
      ? inner.message
      : undefined;
  const message = innerMsg ?? detailText ?? (typeof err.message === "string" ? err.message : "");
  const innerType = typeof inner?.type === "string" ? inner.type : undefined;
  return {
    message,
    exceptionType: detailType ?? innerType,
    code: typeof err.code === "string" ? err.code : undefined,
  };
}

const NOT_FOUND =
  /ManagementObjectNotFoundException|couldn't be found|could not be found|Couldn't find object|RecipientNotFoundException/i;
const ALREADY_EXISTS =
  /already exists|ADObjectAlreadyExistsException|is already being used|already a member|MemberAlreadyExistsException|ProxyAddressExistsException/i;
const NOT_A_MEMBER = /isn't a member|is not a member|MemberNotFoundException/i;
const NO_OP = /This operation is not required|already enabled for customization|no settings of .* have been modified/i;
const CONCURRENCY = /maximum number of concurrent requests/i;
// PowerShell has no status code, so throttling is recognised by what the module reports: the REST-based
// module's error code for a 429 (`TooManyRequests`, the envelope's `code`) and its text, and the remote
// PowerShell budget refusals ("Fail to create a runspace because you have exceeded the maximum number of
// connections allowed : 3 for the policy party : MaxConcurrency", ServerBusyException).
const PS_THROTTLED =
  /\bTooManyRequests\b|too many requests|request (was|is) throttled|exceeded the maximum number of connections|policy party : MaxConcurrency|ServerBusyException|server is (too )?busy/i;
// Nothing reached the service or nothing came back: HTTP-level failures the module surfaces as .NET network
// exceptions, and the envelope codes of 503/504/408.
const PS_TRANSIENT =
  /\b(ServiceUnavailable|GatewayTimeout|RequestTimeout)\b|HttpRequestException|SocketException|System\.IO\.IOException|TaskCanceledException|System\.TimeoutException|temporarily unavailable/i;

/** Classifies by status and text; the same rules serve REST (status > 0) and PowerShell (status 0). */
export function classify(status: number, text: string, exceptionType?: string): ExchangeErrorKind {
  const t = `${exceptionType ?? ""} ${text}`;
  if (status === 401) return "Unauthorized";
  if (status === 403) return "Forbidden";
  if (status === 429 || CONCURRENCY.test(t)) return "Throttled";
  if ([408, 502, 503, 504].includes(status)) return "Transient";
  if (status === 0 && PS_THROTTLED.test(t)) return "Throttled";
  if (status === 0 && PS_TRANSIENT.test(t)) return "Transient";
  if (status === 404 || NOT_FOUND.test(t)) return "NotFound";
  if (ALREADY_EXISTS.test(t)) return "AlreadyExists";
  if (NOT_A_MEMBER.test(t)) return "NotAMember";
  if (NO_OP.test(t)) return "NoOp";
  if (status >= 400 && status < 500) return "BadRequest";
  if (
    status === 0 &&
    /AmbiguousParameterSet|ParameterBinding|ParameterTransformation|ParameterArgumentValidation/i.test(t)
  )
    return "BadRequest";
  return "Server";
}

/**
 * The one retry policy for Exchange calls, REST (exchange.ts) and PowerShell (powershell.ts) alike:
 * only Throttled/Transient, Retry-After honoured exactly when the service names one (clipped
 * to `maxRetryAfterMs`), otherwise exponential backoff with jitter; about 8 attempts.
 */
export interface RetryPolicy {
  /** Attempts per call, first included. */
  maxAttempts: number;
  /** First backoff step when no Retry-After is given, doubled per attempt. */
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
  random: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 300_000,
  random: Math.random,
};

/** How long to wait before attempt `attempt + 1` after `e` failed attempt `attempt` (1-based). */
export function retryDelayMs(
  e: Pick<ExchangeError, "retryAfterSeconds">,
  attempt: number,
  p: RetryPolicy = DEFAULT_RETRY_POLICY,
): number {
  if (e.retryAfterSeconds !== undefined) return Math.min(e.retryAfterSeconds * 1000, p.maxRetryAfterMs);
  const step = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + (p.random() * step) / 2);
}

export function retryAfterSeconds(headers: Record<string, string>, now = Date.now()): number | undefined {
  const v = headers["retry-after"];
  if (v === undefined || v.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - now) / 1000);
}

/** "Running Get-Mailbox for 'x'" — the start of every message about a cmdlet call. */
export function describeCall(cmdlet: string, target?: string): string {
  return `Running ${cmdlet}${target ? ` for '${target}'` : ""}`;
}

const MANAGE_AS_APP = EXCHANGE_APPLICATION_PERMISSIONS[0].value;

/** Builds the typed error from an HTTP failure. `scrubText` removes any secret the service echoed. */
export function exchangeErrorFromResponse(
  cmdlet: string,
  target: string | undefined,
  f: FailureFacts,
  scrubText: (s: string) => string = (s) => s,
): ExchangeError {
  const env = parseErrorEnvelope(f.body);
  const headerType = f.headers["x-exceptiontype"];
  const exceptionType = env?.exceptionType ?? headerType;
  const detail = scrubText(env?.message || plainText(f.body) || "");
  const kind = classify(f.status, detail, exceptionType);
  const requestId = f.headers["request-id"] ?? f.headers["x-ms-request-id"];
  const shortType = exceptionType?.split(".").pop();
  let message = `${describeCall(cmdlet, target)} failed (HTTP ${f.status}${shortType ? `, ${shortType}` : ""})`;
  if (detail) message += `: ${detail}`;
  if (kind === "Unauthorized") {
    const www = f.headers["www-authenticate"];
    const why = www ? (/error_description="([^"]*)"/.exec(www)?.[1] ?? www) : undefined;
    message +=
      `${why ? ` (${scrubText(why)})` : ""}. Exchange Online rejected the token: the operator app needs the application permission ` +
      `${MANAGE_AS_APP} on Office 365 Exchange Online with admin consent, and the token must be for the Exchange audience.`;
  } else if (kind === "Forbidden") {
    // Exchange answers the same 403 for a caller without an admin role and for a cmdlet outside its role.
    message +=
      `. ${cmdlet} is not available to the operator app: it needs the ${EXCHANGE_ADMIN_ROLE.displayName} directory role ` +
      `(or an Exchange RBAC role group that includes ${cmdlet}) besides ${MANAGE_AS_APP}; a new role assignment can take a while to apply. ` +
      `Check also that ${cmdlet} exists in Exchange Online.`;
  }
  if (requestId) message += ` [request-id ${requestId}]`;
  return new ExchangeError({
    kind,
    cmdlet,
    status: f.status,
    message,
    detail,
    exceptionType,
    requestId,
    retryAfterSeconds: retryAfterSeconds(f.headers),
    pagingFailed: PAGING_EXPIRED.test(detail),
  });
}

/** A body that is text but not an envelope (HTML from a gateway, a bare sentence); NULs and binary dropped. */
function plainText(body: string): string {
  const clean = body.replace(/\u0000/g, "").trim();
  if (!clean || /[\u0001-\u0008\u000e-\u001f\ufffd]/.test(clean)) return "";
  return clean.length > 500 ? clean.slice(0, 500) + "…" : clean;
}

/** The same error with a note added to its message (e.g. how many attempts were made). */
export function withNote(e: ExchangeError, note: string): ExchangeError {
  return new ExchangeError({ ...exchangeErrorFields(e), message: e.message + note });
}

/** Every field of an error, for making a variant of it. */
export function exchangeErrorFields(e: ExchangeError) {
  return {
    kind: e.kind,
    cmdlet: e.cmdlet,
    status: e.status,
    detail: e.detail,
    exceptionType: e.exceptionType,
    requestId: e.requestId,
    retryAfterSeconds: e.retryAfterSeconds,
    maybeApplied: e.maybeApplied,
    pagingFailed: e.pagingFailed,
  };
}
