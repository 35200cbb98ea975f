// Exchange Online admin REST (`adminapi/beta/{tenant}/InvokeCommand`):
// one POST per cmdlet, manual redirects, whole-or-nothing paging, typed errors, bounded retries that
// honour Retry-After, and a per-tenant concurrency gate shared by every client in the process.

import { randomUUID } from "crypto";
import type { TokenProvider } from "./credentials";
import { scrub } from "./errors";
import { asWrite, isReadCmdlet } from "./writeClock";
import { pageFailure, parseJson, secretValues, targetOf, type Call } from "./exchangeCall";
import {
  DEFAULT_RETRY_POLICY,
  describeCall,
  ExchangeError,
  exchangeErrorFromResponse,
  retryDelayMs,
  withNote,
} from "./exchangeErrors";
import { decodePage, encodeParameters } from "./exchangeWire";
import { cloudFetch, type Fetch } from "./http";
import { tenantLimiter, type Limiter } from "./limiter";
import type { TenantSettings } from "./settings";

export interface ExchangeResult<T> {
  value: T[];
  warnings: string[];
}

export interface InvokeOptions {
  /** `$select`: only these properties come back. */
  select?: string[];
  /** X-AnchorMailbox override (default: the app-only system mailbox of the tenant). */
  anchor?: string;
  /**
   * Whether a call that got no response may be sent again. Default: true for Get-* and Test-*, false
   * otherwise (a lost write surfaces as a Transient error with `maybeApplied`).
   */
  idempotent?: boolean;
}

export interface ExchangeClient {
  invoke<T = Record<string, unknown>>(
    cmdlet: string,
    parameters?: Record<string, unknown>,
    opts?: InvokeOptions,
  ): Promise<ExchangeResult<T>>;
}

export interface ExchangeClientOptions {
  /** Attempts per request, first included (default 8). */
  maxAttempts?: number;
  /** First backoff step when the service names no Retry-After (default 1000 ms), doubled per attempt, with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Longest Retry-After we wait out as asked (default 5 min); longer ones are clipped to it. */
  maxRetryAfterMs?: number;
  maxPages?: number;
  /** `Prefer: odata.maxpagesize` (default 1000, the service's maximum). */
  pageSize?: number;
  maxRedirects?: number;
  requestTimeoutMs?: number;
  fetch?: Fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Extra strings that must never appear in an error (the client secret). */
  secrets?: string[];
}

export const APP_ANCHOR_MAILBOX = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}";
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** undefined when the body could not be read (a gzip label on NUL bytes). */
  body: string | undefined;
}

class NoResponse extends Error {}

export function defaultAnchor(tenantId: string): string {
  return `APP:${APP_ANCHOR_MAILBOX}@${tenantId}`;
}

/** The backend port the front door sometimes puts in Location is not reachable from outside. */
function fixPort(u: string): string {
  const url = new URL(u);
  if (url.port === "446") url.port = "443";
  return url.href;
}

export class RestExchangeClient implements ExchangeClient {
  private readonly connectionId = randomUUID();
  private readonly limiter: Limiter;
  private readonly fetch: Fetch;
  private readonly o: Required<Omit<ExchangeClientOptions, "fetch" | "secrets">>;
  private readonly secrets: string[];
  /** Origin the front door redirected us to; later calls go there directly. */
  private pinnedOrigin?: string;

  constructor(
    private readonly settings: TenantSettings,
    private readonly tokens: TokenProvider,
    options: ExchangeClientOptions = {},
  ) {
    this.limiter = tenantLimiter(settings.tenantId, settings.exchangeConcurrency);
    this.fetch = options.fetch ?? cloudFetch(settings.cloud);
    this.secrets = options.secrets ?? [];
    this.o = {
      maxAttempts: options.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts,
      baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
      maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULT_RETRY_POLICY.maxRetryAfterMs,
      maxPages: options.maxPages ?? 500,
      pageSize: options.pageSize ?? 1000,
      maxRedirects: options.maxRedirects ?? 3,
      requestTimeoutMs: options.requestTimeoutMs ?? 120_000,
      sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      random: options.random ?? Math.random,
    };
  }

  async invoke<T = Record<string, unknown>>(
    cmdlet: string,
    parameters: Record<string, unknown> = {},
    opts: InvokeOptions = {},
  ): Promise<ExchangeResult<T>> {
    if (!isReadCmdlet(cmdlet))
      return asWrite(this.settings.tenantId, () => this.invokeOnce<T>(cmdlet, parameters, opts));
    return this.invokeOnce<T>(cmdlet, parameters, opts);
  }

  private async invokeOnce<T>(
    cmdlet: string,
    parameters: Record<string, unknown>,
    opts: InvokeOptions,
  ): Promise<ExchangeResult<T>> {
    const target = targetOf(parameters);
    const secrets = [...this.secrets, ...secretValues(parameters)];
    const body = JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: encodeParameters(parameters) } });
    const idempotent = opts.idempotent ?? isReadCmdlet(cmdlet);
    const call = {
      cmdlet,
      target,
      body,
      idempotent,
      anchor: opts.anchor ?? defaultAnchor(this.settings.tenantId),
      secrets,
    };

    let url = this.invokeUrl(opts.select);
    const value: T[] = [];
    const warnings: string[] = [];
    for (let page = 1; ; page++) {
      let decoded;
      try {
        decoded = decodePage<T>(await this.send(url, call));
      } catch (e) {
        if (page > 1 && e instanceof ExchangeError) throw pageFailure(e, page);
        throw e;
      }
      value.push(...decoded.value);
      warnings.push(...decoded.warnings);
      if (!decoded.nextLink) return { value, warnings };
      if (page >= this.o.maxPages)
        throw new ExchangeError({
          kind: "Server",
          cmdlet,
          status: 200,
          detail: `more than ${this.o.maxPages} pages`,
          message: `${describeCall(cmdlet, target)} returned more than ${this.o.maxPages} pages; narrow the query (Identity, Filter) instead of listing everything.`,
        });
      url = fixPort(new URL(decoded.nextLink, url).href);
    }
  }

  private invokeUrl(select?: string[]): string {
    let base = `${this.settings.cloud.exchange}/adminapi/beta/${encodeURIComponent(this.settings.tenantId)}/InvokeCommand`;
    if (this.pinnedOrigin) {
      const u = new URL(base);
      base = this.pinnedOrigin + u.pathname;
    }
    return select && select.length > 0 ? `${base}?$select=${select.map(encodeURIComponent).join(",")}` : base;
  }

  /** One request with retries; returns the parsed 200 body or throws a typed error. */
  private async send(url: string, call: Call): Promise<unknown> {
    const say = describeCall(call.cmdlet, call.target);
    const scrubText = (s: string) => scrub(s, call.secrets);
    for (let attempt = 1; ; attempt++) {
      let error: ExchangeError;
      const token = await this.tokens.getToken(this.settings.cloud.exchangeAudience);
      try {
        const res = await this.limiter.run(() => this.post(url, call, token));
        if (res.status >= 200 && res.status < 300) {
          const parsed = parseJson(res.body);
          if (parsed !== undefined) return parsed;
          error = new ExchangeError({
            kind: "Transient",
            cmdlet: call.cmdlet,
            status: res.status,
            detail: "undecodable success body",
            maybeApplied: !call.idempotent,
            message: `${say}: Exchange answered ${res.status} with a body that is not JSON.${call.idempotent ? "" : " The change may have been applied; read before retrying."}`,
          });
          if (!call.idempotent) throw error;
        } else {
          error = exchangeErrorFromResponse(
            call.cmdlet,
            call.target,
            { status: res.status, headers: res.headers, body: res.body ?? "" },
            scrubText,
          );
        }
      } catch (e) {
        if (!(e instanceof NoResponse)) throw e;
        const cause = scrubText(e.message);
        error = new ExchangeError({
          kind: "Transient",
          cmdlet: call.cmdlet,
          status: 0,
          detail: cause,
          maybeApplied: !call.idempotent,
          message: `${say}: no response from Exchange Online (${cause}).${call.idempotent ? "" : " The change may have been applied; read the object before trying again."}`,
        });
        if (!call.idempotent) throw error;
      }
      if (!error.retryable || attempt >= this.o.maxAttempts) {
        if (attempt > 1 && error.retryable) throw withNote(error, ` (gave up after ${attempt} attempts)`);
        throw error;
      }
      await this.o.sleep(this.delayMs(error, attempt));
    }
  }

  private delayMs(e: ExchangeError, attempt: number): number {
    return retryDelayMs(e, attempt, this.o);
  }

  /** POSTs and follows redirects by hand: fetch would turn a 302 POST into a GET and drop Authorization. */
  private async post(url: string, call: Call, token: string): Promise<RawResponse> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token}`,
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-AnchorMailbox": call.anchor,
      Prefer: `odata.maxpagesize=${this.o.pageSize}`,
      "X-CmdletName": call.cmdlet,
      "X-ResponseFormat": "json",
      "client-request-id": randomUUID(),
      "connection-id": this.connectionId,
      "Accept-Encoding": "identity",
    };
    let target = url;
    for (let hop = 0; ; hop++) {
      let res;
      try {
        res = await this.fetch(target, {
          method: "POST",
          headers,
          body: call.body,
          redirect: "manual",
          signal: AbortSignal.timeout(this.o.requestTimeoutMs),
        });
      } catch (e) {
        const err = e as Error & { cause?: Error };
        throw new NoResponse(
          err.name === "TimeoutError"
            ? `timed out after ${this.o.requestTimeoutMs} ms`
            : (err.cause?.message ?? err.message),
        );
      }
      const location = res.headers.get("location");
      if (REDIRECTS.has(res.status) && location) {
        await res.arrayBuffer().catch(() => undefined);
        if (hop >= this.o.maxRedirects)
          throw new ExchangeError({
            kind: "Server",
            cmdlet: call.cmdlet,
            status: res.status,
            detail: "too many redirects",
            message: `${describeCall(call.cmdlet, call.target)}: Exchange redirected more than ${this.o.maxRedirects} times.`,
          });
        const next = fixPort(new URL(location, target).href);
        this.pinnedOrigin = new URL(next).origin;
        target = next;
        continue;
      }
      const out: Record<string, string> = {};
      res.headers.forEach((v, k) => (out[k.toLowerCase()] = v));
      let body: string | undefined;
      try {
        body = Buffer.from(await res.arrayBuffer()).toString("utf8");
      } catch {
        body = undefined;
      }
      return { status: res.status, headers: out, body };
    }
  }
}
