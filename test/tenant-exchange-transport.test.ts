// The Exchange REST client against a small local server whose every answer the test decides: headers,
// paging, retries and their timing, undecodable bodies, lost responses, the concurrency gate, redirects.

import * as http from "http";
import type { AddressInfo } from "net";
import { Response as UndiciResponse } from "undici";
import { customCloud } from "../providers/tenant/clouds";
import { RestExchangeClient, defaultAnchor } from "../providers/tenant/exchange";
import { ExchangeError } from "../providers/tenant/exchangeErrors";
import { resetTenantLimiters } from "../providers/tenant/limiter";
import type { TenantSettings } from "../providers/tenant/settings";
import type { Fetch } from "../providers/tenant/http";
import { writesSoFar } from "../providers/tenant/writeClock";

const TENANT = "0f0f0f0f-1111-2222-3333-444444444444";
const TOKEN = "eyJhbGciOiJub25lIn0.eyJ0aWQiOiJ4In0.sig-that-must-not-leak";

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Reply = (req: Seen, res: http.ServerResponse, n: number) => void | Promise<void>;

let server: http.Server;
let base: string;
let seen: Seen[] = [];
let reply: Reply;
let inFlight = 0;
let peak = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const s: Seen = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      seen.push(s);
      inFlight++;
      peak = Math.max(peak, inFlight);
      try {
        await reply(s, res, seen.length);
      } finally {
        inFlight--;
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  seen = [];
  peak = 0;
  resetTenantLimiters();
});

function settings(over: Partial<TenantSettings> = {}, exchangeBase = `${base}/exchange`): TenantSettings {
  return {
    role: "source",
    tenantId: TENANT,
    domain: "fabrikam.onmicrosoft.com",
    cloud: customCloud({ login: base, graph: `${base}/graph`, exchange: exchangeBase }),
    credential: { kind: "clientSecret", clientId: "c", clientSecret: "unused" },
    exchangeConcurrency: 2,
    pwshPath: "pwsh",
    ...over,
  };
}
const tokens = { getToken: async () => TOKEN };
const fast = { baseDelayMs: 5, maxDelayMs: 20 };
const json = (res: http.ServerResponse, status: number, body: object, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};
const errorBody = (text: string) => ({
  error: {
    code: "BadRequest",
    message: "Error executing cmdlet",
    details: [{ code: "Client", target: "", message: text }],
  },
});

test("one POST to InvokeCommand with the CmdletInput envelope and every header the admin API expects", async () => {
  reply = (_r, res) =>
    json(res, 200, { "@adminapi.warnings": ["careful"], value: [{ Identity: "a", "Identity@odata.type": "#String" }] });
  const c = new RestExchangeClient(settings(), tokens, fast);
  const r = await c.invoke(
    "Get-Mailbox",
    { Identity: "a", ResultSize: undefined },
    { select: ["Identity", "ExchangeGuid"] },
  );
  expect(r).toEqual({ value: [{ Identity: "a" }], warnings: ["careful"] });
  expect(seen).toHaveLength(1);
  const s = seen[0];
  expect(s.method).toBe("POST");
  expect(decodeURIComponent(s.url)).toBe(
    `/exchange/adminapi/beta/${TENANT}/InvokeCommand?$select=Identity,ExchangeGuid`,
  );
  expect(JSON.parse(s.body)).toEqual({ CmdletInput: { CmdletName: "Get-Mailbox", Parameters: { Identity: "a" } } });
  expect(s.headers).toMatchObject({
    authorization: `Bearer ${TOKEN}`,
    "content-type": "application/json",
    accept: "application/json",
    "x-anchormailbox": `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${TENANT}`,
    prefer: "odata.maxpagesize=1000",
    "x-cmdletname": "Get-Mailbox",
    "x-responseformat": "json",
    "accept-encoding": "identity",
  });
  expect(s.headers["client-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  expect(s.headers["connection-id"]).toMatch(/^[0-9a-f-]{36}$/);
  expect(defaultAnchor(TENANT)).toBe(s.headers["x-anchormailbox"]);
});

test("Parameters is {} when none are given, and the anchor can be overridden", async () => {
  reply = (_r, res) => json(res, 200, { value: null });
  const c = new RestExchangeClient(settings(), tokens, fast);
  expect(await c.invoke("Get-OrganizationConfig", undefined, { anchor: "UPN:admin@fabrikam.onmicrosoft.com" })).toEqual(
    { value: [], warnings: [] },
  );
  expect(JSON.parse(seen[0].body).CmdletInput.Parameters).toEqual({});
  expect(seen[0].headers["x-anchormailbox"]).toBe("UPN:admin@fabrikam.onmicrosoft.com");
});

test("paging re-POSTs the identical body and headers to each nextLink and returns every page", async () => {
  reply = (r, res, n) => {
    const next = n < 3 ? `${base}/exchange/adminapi/beta/${TENANT}/InvokeCommand?$skiptoken=p${n + 1}` : undefined;
    json(res, 200, {
      "@adminapi.warnings": [`w${n}`],
      value: [{ N: n }],
      ...(next ? { "@odata.nextLink": next } : {}),
    });
  };
  const c = new RestExchangeClient(settings(), tokens, fast);
  const r = await c.invoke("Get-Recipient", { ResultSize: "Unlimited" });
  expect(r.value).toEqual([{ N: 1 }, { N: 2 }, { N: 3 }]);
  expect(r.warnings).toEqual(["w1", "w2", "w3"]);
  expect(seen.map((s) => s.method)).toEqual(["POST", "POST", "POST"]);
  expect(seen[1].url).toContain("$skiptoken=p2");
  expect(new Set(seen.map((s) => s.body)).size).toBe(1);
  expect(seen[2].headers["x-anchormailbox"]).toBe(seen[0].headers["x-anchormailbox"]);
});

test("a refused continuation fails the whole read with the pagination error, never a partial list", async () => {
  reply = (_r, res, n) =>
    n === 1
      ? json(res, 200, {
          value: [{ N: 1 }],
          "@odata.nextLink": `${base}/exchange/adminapi/beta/${TENANT}/InvokeCommand?$skiptoken=x`,
        })
      : json(res, 400, {
          error: {
            code: "BadRequest",
            message: "Invalid Operation",
            innererror: {
              internalexception: {
                message: "Expired or Invalid pagination request. Default Expiry time is 00:30:00",
                type: "System.Exception",
              },
            },
          },
        });
  const c = new RestExchangeClient(settings(), tokens, fast);
  const err = await c.invoke("Get-Mailbox", { ResultSize: "Unlimited" }).catch((e) => e);
  expect(err).toBeInstanceOf(ExchangeError);
  expect(err.pagingFailed).toBe(true);
  expect(err.message).toMatch(/Expired or Invalid pagination request/);
  expect(err.message).toMatch(/page 2 of a paged result/);
  expect(err.message).toMatch(/Nothing was returned/);
});

test("a throttled page is retried in place and the list stays whole", async () => {
  reply = (_r, res, n) => {
    if (n === 2 || n === 3) return json(res, 503, {}, {});
    json(res, 200, {
      value: [{ N: n }],
      ...(n === 1 ? { "@odata.nextLink": `${base}/exchange/adminapi/beta/${TENANT}/InvokeCommand?$skiptoken=2` } : {}),
    });
  };
  const r = await new RestExchangeClient(settings(), tokens, fast).invoke("Get-Mailbox");
  expect(r.value).toEqual([{ N: 1 }, { N: 4 }]);
  expect(seen.slice(1).every((s) => s.url.includes("$skiptoken=2"))).toBe(true);
});

test("Retry-After is waited exactly, not less and not much more", async () => {
  reply = (_r, res, n) => (n === 1 ? json(res, 429, {}, { "retry-after": "1" }) : json(res, 200, { value: [] }));
  const c = new RestExchangeClient(settings(), tokens, { baseDelayMs: 10_000 });
  const t0 = Date.now();
  await c.invoke("Get-Mailbox");
  const waited = Date.now() - t0;
  expect(seen).toHaveLength(2);
  expect(waited).toBeGreaterThanOrEqual(1000);
  expect(waited).toBeLessThan(1400);
});

test("without Retry-After: exponential backoff with jitter, bounded attempts, then a Throttled error", async () => {
  reply = (_r, res) =>
    json(
      res,
      503,
      errorBody("You have reached the maximum number of concurrent requests per tenant. Please wait and try again"),
    );
  const delays: number[] = [];
  const c = new RestExchangeClient(settings(), tokens, {
    maxAttempts: 5,
    baseDelayMs: 100,
    maxDelayMs: 400,
    random: () => 1,
    sleep: async (ms) => void delays.push(ms),
  });
  const err = await c.invoke("Get-Mailbox").catch((e) => e);
  expect(err.kind).toBe("Throttled");
  expect(err.message).toMatch(/gave up after 5 attempts/);
  expect(seen).toHaveLength(5);
  expect(delays).toEqual([100, 200, 400, 400]);
  const jittered: number[] = [];
  await new RestExchangeClient(settings(), tokens, {
    maxAttempts: 2,
    baseDelayMs: 100,
    random: () => 0,
    sleep: async (ms) => void jittered.push(ms),
  })
    .invoke("Get-Mailbox")
    .catch(() => undefined);
  expect(jittered).toEqual([50]);
});

test("errors that are not throttling are not retried", async () => {
  reply = (_r, res) =>
    json(res, 404, {
      error: {
        code: "NotFound",
        message: "Error executing cmdlet",
        details: [
          {
            message:
              "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be performed because object 'nobody' couldn't be found on 'DC1'.",
          },
        ],
      },
    });
  const err = await new RestExchangeClient(settings(), tokens, fast)
    .invoke("Get-Mailbox", { Identity: "nobody" })
    .catch((e) => e);
  expect(err.kind).toBe("NotFound");
  expect(err.message).toMatch(
    /^Running Get-Mailbox for 'nobody' failed \(HTTP 404, ManagementObjectNotFoundException\)/,
  );
  expect(seen).toHaveLength(1);
});

test("a 403 of NUL bytes labelled gzip is read as Forbidden, not as a crash", async () => {
  reply = (_r, res) => {
    res.writeHead(403, {
      "content-encoding": "gzip",
      "x-exceptiontype": "CmdletAccessDeniedException",
      "request-id": "rq-9",
    });
    res.end(Buffer.alloc(64));
  };
  const err = await new RestExchangeClient(settings(), tokens, fast).invoke("Get-Foo").catch((e) => e);
  expect(err.kind).toBe("Forbidden");
  expect(err.message).toMatch(/Get-Foo is not available to the operator app/);
  expect(err.requestId).toBe("rq-9");
});

test("a 200 body that is not JSON is retried for reads", async () => {
  reply = (_r, res, n) => {
    if (n === 1) {
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end("\u0000\u0000 not json");
    }
    json(res, 200, { value: [{ ok: 1 }] });
  };
  expect((await new RestExchangeClient(settings(), tokens, fast).invoke("Get-Mailbox")).value).toEqual([{ ok: 1 }]);
});

test("a lost response: reads retry, writes surface maybeApplied without a second POST", async () => {
  reply = (_r, res, n) => (n === 1 ? void res.socket?.destroy() : json(res, 200, { value: [{ Name: "g" }] }));
  expect((await new RestExchangeClient(settings(), tokens, fast).invoke("Get-DistributionGroup")).value).toEqual([
    { Name: "g" },
  ]);
  expect(seen).toHaveLength(2);

  seen = [];
  const err = await new RestExchangeClient(settings(), tokens, fast)
    .invoke("New-DistributionGroup", { Name: "g", Type: "Security" })
    .catch((e) => e);
  expect(err).toBeInstanceOf(ExchangeError);
  expect(err.kind).toBe("Transient");
  expect(err.maybeApplied).toBe(true);
  expect(err.message).toMatch(/^Running New-DistributionGroup for 'g': no response/);
  expect(err.message).toMatch(/read the object before trying again/);
  expect(seen).toHaveLength(1);
});

test("a write that is throttled before it ran is retried (429 means nothing was applied)", async () => {
  reply = (_r, res, n) => (n === 1 ? json(res, 429, {}, { "retry-after": "0" }) : json(res, 200, { value: [] }));
  await new RestExchangeClient(settings(), tokens, fast).invoke("Set-MailUser", { Identity: "u", ExchangeGuid: "g" });
  expect(seen).toHaveLength(2);
});

test("concurrency: at most exchangeConcurrency requests in flight per tenant, across clients", async () => {
  reply = async (_r, res) => {
    await new Promise((r) => setTimeout(r, 60));
    json(res, 200, { value: [] });
  };
  const a = new RestExchangeClient(settings({ exchangeConcurrency: 2 }), tokens, fast);
  const b = new RestExchangeClient(settings({ exchangeConcurrency: 2 }), tokens, fast);
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).invoke("Get-Mailbox", { Identity: `u${i}` })));
  const took = Date.now() - t0;
  expect(seen).toHaveLength(8);
  expect(peak).toBe(2);
  expect(took).toBeGreaterThanOrEqual(4 * 60 - 10);

  // Another tenant has its own gate.
  seen = [];
  peak = 0;
  const other = new RestExchangeClient(
    settings({ tenantId: "99999999-1111-2222-3333-444444444444", exchangeConcurrency: 2 }),
    tokens,
    fast,
  );
  await Promise.all([
    a.invoke("Get-Mailbox"),
    a.invoke("Get-Mailbox"),
    other.invoke("Get-Mailbox"),
    other.invoke("Get-Mailbox"),
  ]);
  expect(peak).toBe(4);
});

describe("redirects: re-POSTed to Location with the same headers, host pinned, at most three hops", () => {
  const calls: Array<{
    url: string;
    method?: string;
    headers: Record<string, string>;
    body: unknown;
    redirect?: string;
  }> = [];
  const scripted = (answers: Array<() => UndiciResponse>): Fetch =>
    (async (url, init) => {
      calls.push({
        url: String(url),
        method: init?.method,
        headers: init?.headers as Record<string, string>,
        body: init?.body,
        redirect: init?.redirect,
      });
      return answers.shift()!();
    }) as Fetch;
  beforeEach(() => void (calls.length = 0));

  test("a 302 is re-POSTed to Location with the same headers and body, :446 becomes :443, the host is pinned", async () => {
    const eur = "https://eur03.outlook.office365.com:446/adminapi/beta/t/InvokeCommand";
    const c = new RestExchangeClient(settings({}, "https://outlook.office365.com"), tokens, {
      ...fast,
      fetch: scripted([
        () => new UndiciResponse(null, { status: 302, headers: { location: eur } }),
        () => new UndiciResponse(JSON.stringify({ value: [{ A: 1 }] }), { status: 200 }),
        () => new UndiciResponse(JSON.stringify({ value: [] }), { status: 200 }),
      ]),
    });
    expect((await c.invoke("Get-Mailbox", { Identity: "a" })).value).toEqual([{ A: 1 }]);
    expect(calls[0].redirect).toBe("manual");
    expect(calls[1].url).toBe("https://eur03.outlook.office365.com/adminapi/beta/t/InvokeCommand");
    expect(calls[1].method).toBe("POST");
    expect(calls[1].headers).toEqual(calls[0].headers);
    expect(calls[1].headers.Authorization).toBe(`Bearer ${TOKEN}`);
    expect(calls[1].body).toBe(calls[0].body);
    await c.invoke("Get-Mailbox");
    expect(new URL(calls[2].url).host).toBe("eur03.outlook.office365.com");
  });

  test("more than three hops is an error", async () => {
    const loop = () =>
      new UndiciResponse(null, {
        status: 302,
        headers: { location: "https://x.outlook.office365.com/adminapi/beta/t/InvokeCommand" },
      });
    const c = new RestExchangeClient(settings({}, "https://outlook.office365.com"), tokens, {
      ...fast,
      fetch: scripted([loop, loop, loop, loop, loop]),
    });
    await expect(c.invoke("Get-Mailbox")).rejects.toThrow(/redirected more than 3 times/);
    expect(calls).toHaveLength(4);
  });
});

test("no token and no sensitive parameter appears in any error message", async () => {
  const password = "P@ssw0rd-Very-Secret";
  reply = (r, res) =>
    json(
      res,
      400,
      errorBody(`|X|Cannot use ${JSON.parse(r.body).CmdletInput.Parameters.Password} echoed with ${TOKEN}`),
    );
  const err = await new RestExchangeClient(settings(), tokens, { ...fast, secrets: ["client-secret-xyz"] })
    .invoke("New-MailUser", { Name: "u", Password: password })
    .catch((e) => e);
  expect(err).toBeInstanceOf(ExchangeError);
  expect(err.message).not.toContain(password);
  expect(err.message).not.toContain(TOKEN);
  expect(err.detail).not.toContain(password);
  expect(JSON.stringify({ ...err, stack: err.stack })).not.toContain(password);
});

test("a write is counted for its tenant when sent and when answered, a read not at all (shared reads depend on it)", async () => {
  reply = (_r, res) => json(res, 200, { value: [] });
  const c = new RestExchangeClient(settings(), tokens, fast);
  const before = writesSoFar(TENANT);
  await c.invoke("Get-MailUser", { ResultSize: "Unlimited" });
  await c.invoke("Test-MigrationServerAvailability", { Endpoint: "e" });
  expect(writesSoFar(TENANT)).toBe(before);
  await c.invoke("Set-MailUser", { Identity: "a", ExchangeGuid: "g" });
  expect(writesSoFar(TENANT)).toBe(before + 2);
  reply = (_r, res) =>
    json(res, 400, errorBody("The operation couldn't be performed because object 'a' couldn't be found."));
  await expect(c.invoke("Set-MailUser", { Identity: "a", ExchangeGuid: "g" })).rejects.toThrow();
  expect(writesSoFar(TENANT)).toBe(before + 4);
});
