// The emulator's core: fault specs and dice, TLS with its own CA, routing, request ids, the request log,
// rate faults and lost responses, latency, the admin surface, state files and the violation guard.

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fetch as undiciFetch } from "undici";
import {
  FaultPlan,
  FaultSpecError,
  canLoseResponse,
  parseFaultSpec,
  seededRandom,
  validateFaultPatch,
} from "../emulator/faults";
import { NO_FAULTS } from "../emulator/options";
import { startEmulator } from "../emulator";
import { assertNoViolations, trustedFetch, useEmulator, tenantOf } from "./support/emulator";

describe("fault spec parsing", () => {
  it.each([
    ["throttle=0.25", { throttleRate: 0.25 }],
    ["retryAfter=3,unavailable=0.1", { retryAfterSeconds: 3, unavailableRate: 0.1 }],
    [
      "lost=1,replicationMs=1500,consentMs=20000",
      { lostResponseRate: 1, replicationMs: 1500, consentPropagationMs: 20000 },
    ],
    ["surfaces=graph+exchange,seed=42", { surfaces: ["graph", "exchange"], seed: 42 }],
    [" throttle=0 , seed=-7 ", { throttleRate: 0, seed: -7 }],
  ])("%s", (spec, expected) => {
    expect(parseFaultSpec(spec)).toEqual(expected);
  });

  it.each([
    ["throttle=1.5", /'throttle' expects a rate between 0 and 1/],
    ["throttle", /'throttle' expects/],
    ["retryAfter=1.5", /'retryAfter' expects whole seconds/],
    ["surfaces=graph+sharepoint", /'surfaces' expects surfaces joined by '\+'/],
    ["speed=3", /unknown fault key 'speed'; accepted keys: throttle, retryAfter/],
    ["seed=abc", /'seed' expects a whole number/],
  ])("rejects %s naming the key and the accepted form", (spec, message) => {
    expect(() => parseFaultSpec(spec)).toThrow(FaultSpecError);
    expect(() => parseFaultSpec(spec)).toThrow(message);
  });

  it("validates JSON patches field by field", () => {
    expect(validateFaultPatch({ throttleRate: 0.5, surfaces: ["login"] })).toEqual({
      throttleRate: 0.5,
      surfaces: ["login"],
    });
    expect(() => validateFaultPatch({ throttleRate: 2 })).toThrow(/throttleRate/);
    expect(() => validateFaultPatch({ nope: 1 })).toThrow(/unknown fault field 'nope'/);
  });
});

describe("fault dice", () => {
  const target = { surface: "graph" as const, method: "POST", path: "/v1.0/applications" };

  it("replays the same faults from the same seed and differs with another seed", () => {
    const run = (seed: number) => {
      const plan = new FaultPlan({
        ...NO_FAULTS,
        throttleRate: 0.3,
        unavailableRate: 0.2,
        lostResponseRate: 0.2,
        seed,
      });
      return Array.from({ length: 200 }, () => plan.decide(target) ?? "-").join(",");
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    const kinds = new Set(run(7).split(","));
    expect(kinds).toEqual(new Set(["-", "throttle", "unavailable", "lost"]));
  });

  it("hits rates roughly in proportion", () => {
    const plan = new FaultPlan({ ...NO_FAULTS, throttleRate: 0.25, seed: 99 });
    const hits = Array.from({ length: 4000 }, () => plan.decide(target)).filter((f) => f === "throttle").length;
    expect(hits / 4000).toBeGreaterThan(0.22);
    expect(hits / 4000).toBeLessThan(0.28);
    const r = seededRandom(1);
    expect(r()).toBeGreaterThanOrEqual(0);
  });

  it("spares surfaces outside the spec and reads that cannot duplicate anything", () => {
    const plan = new FaultPlan({ ...NO_FAULTS, throttleRate: 1, surfaces: ["exchange"] });
    expect(plan.decide(target)).toBeUndefined();
    const lossy = new FaultPlan({ ...NO_FAULTS, lostResponseRate: 1 });
    expect(lossy.decide({ ...target, method: "GET" })).toBeUndefined();
    expect(
      lossy.decide({
        surface: "exchange",
        method: "POST",
        path: "/adminapi/beta/x/InvokeCommand",
        cmdlet: "Get-Mailbox",
      }),
    ).toBeUndefined();
    expect(
      lossy.decide({
        surface: "exchange",
        method: "POST",
        path: "/adminapi/beta/x/InvokeCommand",
        cmdlet: "New-MailUser",
      }),
    ).toBe("lost");
    expect(canLoseResponse({ surface: "login", method: "POST", path: "/t/oauth2/v2.0/token" })).toBe(true);
  });

  it("plays targeted faults first, as many times as asked", () => {
    const plan = new FaultPlan(NO_FAULTS);
    plan.inject({ surface: "exchange", cmdlet: "new-mailuser", fault: "unavailable", times: 2 });
    plan.inject({ method: "POST", path: "^/v1\\.0/applications$", fault: "lost" });
    const mailUser = {
      surface: "exchange" as const,
      method: "POST",
      path: "/adminapi/beta/t/InvokeCommand",
      cmdlet: "New-MailUser",
    };
    expect([plan.decide(mailUser), plan.decide(mailUser), plan.decide(mailUser)]).toEqual([
      "unavailable",
      "unavailable",
      undefined,
    ]);
    expect(plan.decide({ ...target, path: "/v1.0/applications/abc" })).toBeUndefined();
    expect(plan.decide(target)).toBe("lost");
    expect(plan.decide(target)).toBeUndefined();
  });
});

describe("the running emulator", () => {
  const emu = useEmulator();

  it("serves HTTPS with a certificate from its own CA, which plain clients refuse", async () => {
    const e = emu();
    expect(e.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(e.caFile)).toBe(true);
    expect(e.caPem).toContain("BEGIN CERTIFICATE");
    const ok = await emu.fetch(`${e.url}/common/discovery/instance?api-version=1.1`);
    expect(ok.status).toBe(200);
    await expect(undiciFetch(`${e.url}/common/discovery/instance`)).rejects.toThrow();
  });

  it("summarises itself the way the CLI prints it", async () => {
    const e = emu();
    const s = e.summary() as Record<string, any>;
    expect(Object.keys(s)).toEqual(["url", "caFile", "endpoints", "tenants"]);
    expect(s.endpoints).toEqual({ login: e.url, graph: `${e.url}/graph`, exchange: `${e.url}/exchange` });
    expect(s.tenants.source.domain).toBe("fabrikam.onmicrosoft.com");
    expect(s.tenants.target.domain).toBe("contoso.onmicrosoft.com");
    for (const role of ["source", "target"]) {
      const t = e.state.tenants.get(s.tenants[role].tenantId)!;
      expect(t.label).toBe(role);
      expect(s.tenants[role]).toEqual({
        tenantId: t.tenantId,
        domain: t.initialDomain,
        clientId: t.operator.clientId,
        clientSecret: t.operator.clientSecret,
      });
    }
    const viaAdmin = await (await emu.fetch(`${e.url}/_emulator/summary`)).json();
    expect(viaAdmin).toEqual(s);
  });

  it("stamps request ids on every answer and echoes the client's", async () => {
    const e = emu();
    const mine = "0f3c2a4e-1111-4222-8333-944455556666";
    const r1 = await emu.fetch(`${e.url}/nowhere`, { headers: { "client-request-id": mine } });
    expect(r1.status).toBe(404);
    expect(r1.headers.get("client-request-id")).toBe(mine);
    expect(r1.headers.get("request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const r2 = await emu.fetch(`${e.url}/graph/v1.0/organization`);
    expect(r2.headers.get("request-id")).not.toBe(r1.headers.get("request-id"));
    expect(r2.headers.get("client-request-id")).toBe(r2.headers.get("request-id"));
  });

  it("refuses bearer-less calls to Graph and Exchange in each one's own way", async () => {
    const e = emu();
    const g = await emu.fetch(`${e.url}/graph/v1.0/organization`);
    expect(g.status).toBe(401);
    expect(g.headers.get("www-authenticate")).toMatch(
      /^Bearer realm="", authorization_uri="https:\/\/127\.0\.0\.1:\d+\/common\/oauth2\/authorize", client_id="00000003-0000-0000-c000-000000000000"$/,
    );
    const body = (await g.json()) as any;
    expect(body.error.code).toBe("InvalidAuthenticationToken");
    expect(body.error.innerError["request-id"]).toBe(g.headers.get("request-id"));
    const x = await emu.fetch(`${e.url}/exchange/adminapi/beta/${e.tenants.source.tenantId}/InvokeCommand`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ CmdletInput: { CmdletName: "Get-Mailbox", Parameters: {} } }),
    });
    expect(x.status).toBe(401);
    expect(x.headers.get("www-authenticate")).toContain('client_id="00000002-0000-0ff1-ce00-000000000000"');
    expect(e.requests.at(-1)).toMatchObject({
      surface: "exchange",
      method: "POST",
      cmdlet: "Get-Mailbox",
      status: 401,
    });
  });

  it("throttles and fails only the surfaces named, before anything runs, in each surface's error shape", async () => {
    const e = emu();
    e.setFaults({ throttleRate: 1, retryAfterSeconds: 7, surfaces: ["graph"] });
    try {
      const g = await emu.fetch(`${e.url}/graph/v1.0/organization`, { headers: { "client-request-id": "c-1" } });
      expect(g.status).toBe(429);
      expect(g.headers.get("retry-after")).toBe("7");
      const body = (await g.json()) as any;
      expect(body.error.code).toBe("TooManyRequests");
      expect(body.error.innerError).toMatchObject({
        "request-id": g.headers.get("request-id"),
        "client-request-id": "c-1",
      });
      expect(Date.parse(body.error.innerError.date + "Z")).not.toBeNaN();
      const login = await emu.fetch(`${e.url}/${e.tenants.source.tenantId}/v2.0/.well-known/openid-configuration`);
      expect(login.status).toBe(200);

      e.setFaults({ throttleRate: 0, unavailableRate: 1, surfaces: ["exchange", "login"] });
      const x = await emu.fetch(`${e.url}/exchange/adminapi/beta/${e.tenants.source.tenantId}/InvokeCommand`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ CmdletInput: { CmdletName: "Get-Mailbox" } }),
      });
      expect(x.status).toBe(503);
      expect(await x.json()).toEqual({
        error: {
          code: "ServiceUnavailable",
          message: "You have reached the maximum number of concurrent requests per tenant. Please wait and try again",
        },
      });
      expect(e.requests.at(-1)).toMatchObject({
        surface: "exchange",
        cmdlet: "Get-Mailbox",
        status: 503,
        fault: "unavailable",
      });
      const t = await emu.fetch(`${e.url}/${e.tenants.source.tenantId}/oauth2/v2.0/token`, {
        method: "POST",
        body: new URLSearchParams({ grant_type: "client_credentials" }),
      });
      expect(t.status).toBe(503);
      const tb = (await t.json()) as any;
      expect(tb.error).toBe("temporarily_unavailable");
      expect(tb.error_description).toMatch(/^AADSTS90033: /);
    } finally {
      e.setFaults({ throttleRate: 0, unavailableRate: 0, surfaces: ["login", "graph", "exchange"] });
    }
  });

  it("loses the response of a write after applying it", async () => {
    const e = emu();
    const tenant = tenantOf(e, "source");
    const before = tenant.directory.deviceCodes.size;
    e.inject({ surface: "login", method: "POST", path: "/oauth2/v2\\.0/devicecode$", fault: "lost" });
    const url = `${e.url}/${e.tenants.source.tenantId}/oauth2/v2.0/devicecode`;
    const form = () =>
      new URLSearchParams({
        client_id: "14d82eec-204b-4c2f-b7e8-296a70dab67e",
        scope: "https://graph.microsoft.com/.default",
      });
    await expect(emu.fetch(url, { method: "POST", body: form() })).rejects.toThrow();
    expect(tenant.directory.deviceCodes.size).toBe(before + 1);
    expect(e.requests.at(-1)).toMatchObject({ surface: "login", method: "POST", status: 200, fault: "lost" });
    const again = await emu.fetch(url, { method: "POST", body: form() });
    expect(again.status).toBe(200);
    expect(tenant.directory.deviceCodes.size).toBe(before + 2);
  });

  it("applies a Graph write whose response it loses, so a blind retry would duplicate it", async () => {
    const e = emu();
    const { tenantId, clientId, clientSecret } = e.tenants.source;
    const tok = (await (
      await emu.fetch(`${e.url}/${tenantId}/oauth2/v2.0/token`, {
        method: "POST",
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: clientId,
          client_secret: clientSecret,
          scope: "https://graph.microsoft.com/.default",
        }),
      })
    ).json()) as any;
    const apps = e.state.tenants.get(tenantId)!.directory.applications;
    const named = () => [...apps.values()].filter((a) => a.obj.displayName === "xtmm lost write probe").length;
    e.inject({ surface: "graph", method: "POST", path: "^/v1\\.0/applications$", fault: "lost" });
    await expect(
      emu.fetch(`${e.url}/graph/v1.0/applications`, {
        method: "POST",
        headers: { authorization: `Bearer ${tok.access_token}`, "content-type": "application/json" },
        body: JSON.stringify({ displayName: "xtmm lost write probe" }),
      }),
    ).rejects.toThrow();
    expect(named()).toBe(1);
    expect(e.requests.at(-1)).toMatchObject({
      surface: "graph",
      method: "POST",
      path: "/v1.0/applications",
      status: 201,
      fault: "lost",
    });
  });

  it("takes faults, targeted faults and device-code approvals over the admin surface, and checks them", async () => {
    const e = emu();
    const post = (path: string, body: unknown) =>
      emu.fetch(`${e.url}/_emulator/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const bad = await post("faults", { throttleRate: 3 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.message).toMatch(/throttleRate/);
    const ok = await post("faults", { retryAfterSeconds: 4 });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).retryAfterSeconds).toBe(4);
    expect(e.options.faults.retryAfterSeconds).toBe(4);
    expect((await post("inject", { fault: "explode" })).status).toBe(400);
    expect((await post("inject", { surface: "graph", path: "^/v1\\.0/domains$", fault: "throttle" })).status).toBe(204);
    const hit = await emu.fetch(`${e.url}/graph/v1.0/domains`);
    expect(hit.status).toBe(429);
    expect(hit.headers.get("retry-after")).toBe("4");
    const next = await emu.fetch(`${e.url}/graph/v1.0/domains`);
    expect(next.status).toBe(401);
    expect((await post("devicecode/approve", { userCode: "NOSUCHCODE" })).status).toBe(404);
    const log = (await (await emu.fetch(`${e.url}/_emulator/requests`)).json()) as any;
    expect(log.value.at(-1)).toMatchObject({ surface: "graph", method: "GET", path: "/v1.0/domains", status: 401 });
    expect(log.value.some((r: any) => r.surface === "admin")).toBe(false);
    const v = (await (await emu.fetch(`${e.url}/_emulator/violations`)).json()) as any;
    expect(v.value).toEqual([]);
  });

  it("fails a test that leaves violations behind, and hands them to a test that expects them", () => {
    const e = emu();
    const record = () =>
      e.state.violations.push({
        surface: "graph",
        kind: "unknown-property",
        detail: "application.fooBar",
        at: new Date().toISOString(),
      });
    record();
    expect(() => assertNoViolations(e)).toThrow(
      "the emulator recorded 1 request(s) that Microsoft's reference does not allow:\n  [graph] unknown-property: application.fooBar",
    );
    expect(e.violations()).toEqual([]);
    expect(() => assertNoViolations(e)).not.toThrow();
    record();
    expect(emu.expectViolations()).toMatchObject([
      { surface: "graph", kind: "unknown-property", detail: "application.fooBar" },
    ]);
    expect(e.violations()).toEqual([]);
  });
});

describe("start-up, latency and state files", () => {
  it("starts quickly, delays answers by the configured latency, and reloads a saved pair exactly", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xtmm-state-"));
    const stateFile = join(dir, "pair.json");
    try {
      const t0 = Date.now();
      const first = await startEmulator({ stateFile, latencyMs: 150, mailboxes: 5 });
      const startMs = Date.now() - t0;
      expect(startMs).toBeLessThan(5000);
      const f1 = trustedFetch(first);
      const t1 = Date.now();
      await f1(`${first.url}/common/discovery/instance`);
      expect(Date.now() - t1).toBeGreaterThanOrEqual(140);
      const dc = await f1(`${first.url}/${first.tenants.target.tenantId}/oauth2/v2.0/devicecode`, {
        method: "POST",
        body: new URLSearchParams({
          client_id: "14d82eec-204b-4c2f-b7e8-296a70dab67e",
          scope: "https://graph.microsoft.com/.default",
        }),
      });
      const { user_code } = (await dc.json()) as any;
      await first.stop();
      expect(existsSync(stateFile)).toBe(true);
      expect(existsSync(first.caFile)).toBe(false);

      const second = await startEmulator({ stateFile });
      try {
        expect(second.tenants).toEqual(first.tenants);
        expect(second.caPem).not.toBe(first.caPem);
        const users = (s: typeof first) => [...s.state.tenants.values()].map((t) => t.directory.users.size);
        expect(users(second)).toEqual(users(first));
        expect(() => second.approveDeviceCode(user_code)).not.toThrow();
        expect(() => second.approveDeviceCode("ZZZZZZZZZ")).toThrow(/no pending device code/);
        expect(second.violations()).toEqual([]);
      } finally {
        await second.stop();
      }
      process.stderr.write(`emulator start: ${startMs} ms\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("seeds the same pair from the same seed", async () => {
    const a = await startEmulator({ faults: { ...NO_FAULTS, seed: 5 } });
    const b = await startEmulator({ faults: { ...NO_FAULTS, seed: 5 } });
    try {
      expect(b.tenants).toEqual(a.tenants);
      expect(b.url).not.toBe(a.url);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
