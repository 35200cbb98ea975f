// Microsoft Graph through Microsoft's own client. Retries (429/503/504 with Retry-After) are the client's
// RetryHandler, not ours; the chain only swaps the last link so requests use our fetch (custom CA) and
// adds the cloud's host to `customHosts` so the AuthenticationHandler attaches tokens for it.

import {
  AuthenticationHandler,
  Client,
  GraphClientError,
  GraphError,
  RedirectHandler,
  RedirectHandlerOptions,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
  type Context,
  type Middleware,
} from "@microsoft/microsoft-graph-client";
import type { CloudEndpoints } from "./clouds";
import type { TokenProvider } from "./credentials";
import { cloudFetch, type Fetch } from "./http";
import { GRAPH_APPLICATION_PERMISSIONS, type AppPermission } from "./permissions";

export interface GraphClientOptions {
  /** Seconds between retries when the service sends no Retry-After (graph-client default 3). */
  retryDelaySeconds?: number;
  /** At most 10 (graph-client's cap). */
  maxRetries?: number;
  fetch?: Fetch;
  /** Told of every request that is not a GET (tenant/writeClock.ts). */
  onWrite?: () => void;
}

/** What was sent, remembered by the failed response's headers so an error can name the permission it needed. */
const failedRequests = new WeakMap<object, { method: string; url: string }>();

class CloudFetchHandler implements Middleware {
  constructor(
    private readonly fetch: Fetch,
    private readonly onWrite?: () => void,
  ) {}
  async execute(context: Context): Promise<void> {
    const req = context.request as unknown;
    const url = typeof req === "string" ? req : (req as { url: string }).url;
    const o = context.options ?? {};
    const method = (o.method ?? "GET").toUpperCase();
    let res;
    const write = method !== "GET" && this.onWrite;
    if (write) write();
    try {
      res = await this.fetch(url, {
        method,
        headers: o.headers as Record<string, string> | undefined,
        body: o.body as string | Buffer | undefined,
        redirect: o.redirect,
        signal: o.signal ?? undefined,
      });
    } catch (e) {
      // A GraphClientError passes through graph-client untouched, keeping what was sent.
      throw new GraphNetworkError(method, url, (e as { cause?: Error }).cause?.message ?? (e as Error).message);
    } finally {
      if (write) write();
    }
    if (res.status >= 400) failedRequests.set(res.headers, { method, url });
    context.response = res as unknown as Response;
  }
}

class GraphNetworkError extends GraphClientError {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly causeMessage: string,
  ) {
    super(`${method} ${new URL(url).pathname}: no response (${causeMessage})`);
    // GraphClientError resets the prototype to its own; restore ours so instanceof works.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** Carries a sign-in failure through graph-client unchanged, so callers see the CredentialError itself. */
class GraphTokenError extends GraphClientError {
  constructor(readonly original: Error) {
    super(original.message);
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

export function graphClient(cloud: CloudEndpoints, tokens: TokenProvider, opts: GraphClientOptions = {}): Client {
  const auth = new AuthenticationHandler({
    getAccessToken: async () => {
      try {
        return await tokens.getToken(cloud.graphAudience);
      } catch (e) {
        throw new GraphTokenError(e as Error);
      }
    },
  });
  const retry = new RetryHandler(new RetryHandlerOptions(opts.retryDelaySeconds ?? 3, opts.maxRetries ?? 6));
  const chain: Middleware[] = [
    auth,
    retry,
    new RedirectHandler(new RedirectHandlerOptions()),
    new TelemetryHandler(),
    new CloudFetchHandler(opts.fetch ?? cloudFetch(cloud), opts.onWrite),
  ];
  return Client.initWithMiddleware({
    middleware: chain,
    baseUrl: cloud.graph,
    defaultVersion: "v1.0",
    // graph-client compares host names without the port.
    customHosts: new Set([new URL(cloud.graph).hostname]),
  });
}

export class GraphRequestError extends Error {
  readonly action: string;
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  /** Graph's error code, e.g. "Request_ResourceNotFound", "Authorization_RequestDenied". */
  readonly code?: string;
  readonly requestId?: string;
  /** The operator permission this request needs, when a 403 could be traced to one. */
  readonly missingPermission?: AppPermission;
  /** No response arrived for a write: it may have been applied; re-read before retrying. */
  readonly maybeApplied: boolean;
  constructor(init: {
    action: string;
    status: number;
    code?: string;
    requestId?: string;
    message: string;
    missingPermission?: AppPermission;
    maybeApplied?: boolean;
  }) {
    super(init.message);
    this.name = "GraphRequestError";
    this.action = init.action;
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.missingPermission = init.missingPermission;
    this.maybeApplied = init.maybeApplied ?? false;
  }
  get notFound(): boolean {
    return this.status === 404;
  }
}

const perm = (value: string) => GRAPH_APPLICATION_PERMISSIONS.find((p) => p.value === value);

/** The operator permission a Graph request path falls under (permissions.ts is the one list). */
export function permissionForRequest(method: string, url: string): AppPermission | undefined {
  const path = new URL(url).pathname.replace(/^.*?\/(v1\.0|beta)\//, "/").toLowerCase();
  if (/\/(approleassignments|approleassignedto)(\/|$)/.test(path)) return perm("AppRoleAssignment.ReadWrite.All");
  if (/^\/users\/[^/]+\/assignlicense/.test(path)) return perm("LicenseAssignment.ReadWrite.All");
  if (/^\/(applications|serviceprincipals)(\/|\(|$)/.test(path)) return perm("Application.ReadWrite.All");
  if (/^\/(organization|subscribedskus)(\/|$)/.test(path)) return perm("Organization.Read.All");
  if (/^\/domains(\/|\(|$)/.test(path)) return perm("Domain.Read.All");
  if (/^\/users(\/|\(|$)/.test(path)) return perm("User.ReadWrite.All");
  void method;
  return undefined;
}

export function toGraphRequestError(e: unknown, action: string): GraphRequestError {
  if (e instanceof GraphRequestError) return e;
  if (e instanceof GraphTokenError)
    return new GraphRequestError({ action, status: 0, message: `${action} failed: ${e.original.message}` });
  if (e instanceof GraphNetworkError) {
    const write = e.method !== "GET";
    return new GraphRequestError({
      action,
      status: 0,
      maybeApplied: write,
      message: `${action} failed: no response from Microsoft Graph (${e.causeMessage}).${write ? " The change may have been applied; read before retrying." : ""}`,
    });
  }
  if (!(e instanceof GraphError)) {
    return new GraphRequestError({
      action,
      status: 0,
      message: `${action} failed: ${(e as Error)?.message ?? String(e)}`,
    });
  }
  const sent = e.headers ? failedRequests.get(e.headers) : undefined;
  const status = e.statusCode;
  const code = e.code ?? undefined;
  if (status <= 0) return new GraphRequestError({ action, status: 0, code, message: `${action} failed: ${e.message}` });
  let message = `${action} failed: Graph answered ${status}${code ? ` ${code}` : ""}: ${e.message || "(no message)"}`;
  let missingPermission: AppPermission | undefined;
  if (status === 403) {
    missingPermission = sent ? permissionForRequest(sent.method, sent.url) : undefined;
    message += missingPermission
      ? `. The operator app probably lacks the application permission ${missingPermission.value} (needed to ${missingPermission.why}) or its admin consent.`
      : ". The operator app lacks a permission this request needs; compare its API permissions with providers/tenant/permissions.ts.";
  } else if (status === 429 || status === 503 || status === 504) {
    message += ". Microsoft Graph kept throttling after the client's retries; run again later or lower parallelism.";
  }
  return new GraphRequestError({
    action,
    status,
    code,
    requestId: e.requestId ?? undefined,
    message,
    missingPermission,
  });
}

/** Runs one Graph call and turns its failure into a GraphRequestError naming `action`. */
export async function graphCall<T>(action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof GraphTokenError) throw e.original;
    throw toGraphRequestError(e, action);
  }
}
