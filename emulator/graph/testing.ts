// A seeded pair and an in-process EmuContext for calling `handleGraph` directly (no HTTPS, no login):
// the test chooses the caller's claims and moves the clock, so Graph's rules can be tested one by one.

import type { EmuContext, EmuRequest, TokenClaims, Violation } from "../http";
import { directoryRoleTemplates, grantedRoles, type EmulatorState, type TenantState } from "../model";
import { NO_FAULTS, type EmulatorOptions, type FaultSpec } from "../options";
import { DEFAULT_EXCHANGE_KNOBS } from "../exchange/knobs";
import { FIRST_PARTY } from "../../providers/tenant/clouds";
import { seededRandom } from "../faults";
import { handleGraph } from "./index";
import { DEFAULT_GRAPH_KNOBS, type GraphKnobs } from "./knobs";
import { seedDirectory } from "./seed";

export interface Answer {
  status: number;
  headers: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export class GraphHarness {
  state: EmulatorState = { tenants: new Map(), violations: [] };
  clock = Date.parse("2026-09-01T10:00:00Z");
  options: EmulatorOptions;
  ctx: EmuContext;
  /** Claims the next request authenticates as; null answers 401. */
  claims: TokenClaims | null = null;

  constructor(opts: { graph?: Partial<GraphKnobs>; faults?: Partial<FaultSpec> } = {}) {
    seedDirectory(this.state, this.clock, seededRandom(11));
    this.options = {
      port: 0,
      host: "127.0.0.1",
      mailboxes: 0,
      latencyMs: 0,
      tokenLifetimeSeconds: 3600,
      faults: { ...NO_FAULTS, ...(opts.faults ?? {}) },
      graph: { ...DEFAULT_GRAPH_KNOBS, ...(opts.graph ?? {}) },
      exchange: { ...DEFAULT_EXCHANGE_KNOBS },
    };
    const random = seededRandom(23);
    this.ctx = {
      state: this.state,
      options: this.options,
      baseUrl: "https://127.0.0.1:8443",
      now: () => this.clock,
      random,
      violation: (v) => this.state.violations.push({ ...v, at: new Date(this.clock).toISOString() }),
      authenticate: (_req, audience) => {
        if (!this.claims || this.claims.aud !== audience) {
          return {
            ok: false,
            response: {
              status: 401,
              body: { error: { code: "InvalidAuthenticationToken", message: "Access token is empty." } },
            },
          };
        }
        return { ok: true, claims: this.claims };
      },
    };
  }

  tenant(label: "source" | "target"): TenantState {
    return [...this.state.tenants.values()].find((t) => t.label === label)!;
  }

  /** App-only claims of the tenant's operator, with exactly the roles its app role assignments give. */
  operator(label: "source" | "target"): TokenClaims {
    const t = this.tenant(label);
    const sp = t.operator.servicePrincipalId;
    return {
      tid: t.tenantId,
      aud: "https://graph.microsoft.com",
      appid: t.operator.clientId,
      oid: sp,
      idtyp: "app",
      roles: grantedRoles(t, sp, FIRST_PARTY.microsoftGraph),
      wids: directoryRoleTemplates(t, sp),
      exp: this.clock / 1000 + 3600,
    };
  }

  as(claims: TokenClaims | null): this {
    this.claims = claims;
    return this;
  }

  takeViolations(): Violation[] {
    return this.state.violations.splice(0);
  }

  async call(
    method: string,
    path: string,
    init: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const url = new URL(`https://127.0.0.1:8443/graph${path}`);
    const req: EmuRequest = {
      method,
      url,
      path: url.pathname.slice("/graph".length),
      headers: Object.fromEntries(Object.entries(init.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
      body: Buffer.from(
        init.body === undefined ? "" : typeof init.body === "string" ? init.body : JSON.stringify(init.body),
      ),
    };
    const res = await handleGraph(req, this.ctx);
    const body = res.body;
    const json =
      body === undefined
        ? undefined
        : Buffer.isBuffer(body) || typeof body === "string"
          ? JSON.parse(String(body))
          : JSON.parse(JSON.stringify(body));
    return { status: res.status, headers: res.headers ?? {}, json };
  }

  /** Follows @odata.nextLink until the last page; returns every item and the number of pages. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Graph's items, as the tests read them
  async all(path: string, headers?: Record<string, string>): Promise<{ items: any[]; pages: number }> {
    const items = [];
    let pages = 0;
    let next: string | undefined = path;
    while (next) {
      const r = await this.call("GET", next, { headers });
      if (r.status !== 200) throw new Error(`GET ${next} answered ${r.status}: ${JSON.stringify(r.json)}`);
      items.push(...r.json.value);
      pages++;
      const link: string | undefined = r.json["@odata.nextLink"];
      next = link ? link.slice(link.indexOf("/graph") + "/graph".length) : undefined;
    }
    return { items, pages };
  }
}
