// A seeded tenant pair and an in-process EmuContext for calling `handleExchange` directly, without the
// HTTPS server: tests of the Exchange surface's own rules use it; end-to-end tests use the real emulator.

import type { EmuContext, EmuRequest, TokenClaims, Violation } from "../http";
import type { EmulatorState, TenantState } from "../model";
import { NO_FAULTS, type EmulatorOptions, type FaultSpec } from "../options";
import { DEFAULT_GRAPH_KNOBS } from "../graph/knobs";
import { seedDirectory } from "../graph/seed";
import { handleExchange } from "./index";
import { DEFAULT_EXCHANGE_KNOBS, type ExchangeKnobs } from "./knobs";
import { seedExchange } from "./seed";
import { unauthorized } from "./envelope";

export const EXCHANGE_ADMIN_WID = "29232cdf-9323-42fd-ade2-1d097af3e4de";
export const GLOBAL_ADMIN_WID = "62e90394-69f5-4237-9190-012177145e10";

import { seededRandom } from "../faults";

export { seededRandom };

export interface InvokeOptions {
  claims?: Partial<TokenClaims> | null;
  select?: string;
  headers?: Record<string, string>;
  route?: "rest" | "pwsh";
  /** Raw URL query to add (e.g. "$skiptoken=…"). */
  query?: string;
  /** Tenant segment in the URL; default the tenant's id. */
  tenantSegment?: string;
  body?: string;
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  raw: Buffer;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export class DirectHarness {
  state: EmulatorState;
  clock: number;
  options: EmulatorOptions;
  violations: Violation[];
  ctx: EmuContext;
  constructor(opts: { mailboxes?: number; exchange?: Partial<ExchangeKnobs>; faults?: Partial<FaultSpec> } = {}) {
    this.clock = Date.parse("2026-09-01T10:00:00Z");
    const random = seededRandom(7);
    this.state = { tenants: new Map(), violations: [] };
    seedDirectory(this.state, this.clock, random);
    seedExchange(this.state, { mailboxes: opts.mailboxes ?? 0 }, this.clock, random);
    this.violations = this.state.violations;
    this.options = {
      port: 0,
      host: "127.0.0.1",
      mailboxes: opts.mailboxes ?? 0,
      latencyMs: 0,
      faults: { ...NO_FAULTS, ...(opts.faults ?? {}) },
      tokenLifetimeSeconds: 3600,
      graph: DEFAULT_GRAPH_KNOBS,
      exchange: { ...DEFAULT_EXCHANGE_KNOBS, ...(opts.exchange ?? {}) },
    };
    this.ctx = {
      state: this.state,
      options: this.options,
      baseUrl: "https://127.0.0.1:9443",
      now: () => this.clock,
      authenticate: (req: EmuRequest, audience: string) => {
        const m = /^Bearer fake:(.+)$/.exec(req.headers.authorization ?? "");
        if (!m) return { ok: false, response: unauthorized("no token", this.clock) };
        const claims = JSON.parse(Buffer.from(m[1], "base64").toString("utf8")) as TokenClaims;
        if (claims.aud !== audience) return { ok: false, response: unauthorized("wrong audience", this.clock) };
        return { ok: true, claims };
      },
      violation: (v) => this.state.violations.push({ ...v, at: new Date(this.clock).toISOString() }),
      random: seededRandom(11),
    };
  }

  tenant(label: "source" | "target"): TenantState {
    const t = [...this.state.tenants.values()].find((x) => x.label === label);
    if (!t) throw new Error(`no ${label} tenant`);
    return t;
  }

  appClaims(label: "source" | "target", over: Partial<TokenClaims> = {}): TokenClaims {
    const t = this.tenant(label);
    return {
      tid: t.tenantId,
      aud: "https://outlook.office365.com",
      appid: t.operator.clientId,
      oid: t.operator.servicePrincipalId,
      idtyp: "app",
      roles: ["Exchange.ManageAsApp"],
      wids: [EXCHANGE_ADMIN_WID],
      exp: Math.floor(this.clock / 1000) + 3600,
      ...over,
    };
  }

  advance(ms: number): void {
    this.clock += ms;
  }

  takeViolations(): Violation[] {
    return this.state.violations.splice(0);
  }

  async invoke(
    label: "source" | "target",
    cmdlet: string,
    parameters: Record<string, unknown> = {},
    o: InvokeOptions = {},
  ): Promise<Answer> {
    const t = this.tenant(label);
    const seg = o.tenantSegment ?? t.tenantId;
    const prefix = o.route === "pwsh" ? `/_pwsh/${seg}/InvokeCommand` : `/adminapi/beta/${seg}/InvokeCommand`;
    const query = [o.select ? `$select=${o.select}` : "", o.query ?? ""].filter(Boolean).join("&");
    const path = prefix + (query ? `?${query}` : "");
    const body = o.body ?? JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: parameters } });
    return this.raw("POST", path, body, o);
  }

  async raw(
    method: string,
    pathAndQuery: string,
    body: string,
    o: InvokeOptions & { label?: "source" | "target" } = {},
  ): Promise<Answer> {
    const url = new URL(`${this.ctx.baseUrl}/exchange${pathAndQuery}`);
    const headers: Record<string, string> = { "content-type": "application/json", ...(o.headers ?? {}) };
    const label = o.label ?? (pathAndQuery.includes(this.tenant("target").tenantId) ? "target" : "source");
    if (o.claims !== null) {
      const claims = { ...this.appClaims(label), ...(o.claims ?? {}) };
      headers.authorization = `Bearer fake:${Buffer.from(JSON.stringify(claims)).toString("base64")}`;
    }
    const req: EmuRequest = {
      method,
      url,
      path: url.pathname.replace(/^\/exchange/, ""),
      headers,
      body: Buffer.from(body),
    };
    const res = await handleExchange(req, this.ctx);
    const raw = Buffer.isBuffer(res.body)
      ? res.body
      : Buffer.from(typeof res.body === "string" ? res.body : res.body ? JSON.stringify(res.body) : "");
    let json: unknown;
    try {
      json = JSON.parse(raw.toString("utf8"));
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers ?? {}, raw, json };
  }
}
