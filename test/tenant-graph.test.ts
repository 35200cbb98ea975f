// Microsoft Graph through the real graph-client with our middleware chain, against the emulator over
// HTTPS: tokens attached for the emulator host, throttling storms absorbed by graph-client's RetryHandler
// (Retry-After honoured), and failures turned into GraphRequestError naming the missing permission.

import { emulatorTenantSettings, useEmulator, tenantOf } from "./support/emulator";
import { createTenantClient, type TenantClientOptions } from "../providers/tenant";
import { CredentialError } from "../providers/tenant/errors";
import { GraphRequestError, graphCall, permissionForRequest } from "../providers/tenant/graph";
import type { TenantSettings } from "../providers/tenant/settings";
import { GRAPH_APPLICATION_PERMISSIONS } from "../providers/tenant/permissions";

const emu = useEmulator();

function settings(role: "source" | "target" = "source", secret?: string): TenantSettings {
  const t = emu().tenants[role];
  return emulatorTenantSettings(
    emu(),
    role,
    secret ? { credential: { kind: "clientSecret", clientId: t.clientId, clientSecret: secret } } : {},
  );
}
const client = (role: "source" | "target" = "source", opts: TenantClientOptions = {}) =>
  createTenantClient(settings(role), opts);
const graphRequests = (path: string) => emu().requests.filter((r) => r.surface === "graph" && r.path.startsWith(path));

afterEach(() => emu().setFaults({ throttleRate: 0, unavailableRate: 0, retryAfterSeconds: 1 }));

test("reads through our fetch with the emulator's CA, the token attached for the custom host", async () => {
  const g = await client().graph();
  const org = await graphCall("Reading the organization", () =>
    g.api("/organization").select("id,verifiedDomains").get(),
  );
  expect(org.value[0].id).toBe(emu().tenants.source.tenantId);
  const last = graphRequests("/v1.0/organization").pop()!;
  expect(last.status).toBe(200);
});

test("a 429 storm is absorbed by graph-client's RetryHandler, waiting Retry-After each time", async () => {
  emu().setFaults({ retryAfterSeconds: 1 });
  emu().inject({ surface: "graph", method: "GET", path: "/v1.0/domains", fault: "throttle", times: 2 });
  const g = await client().graph();
  const before = graphRequests("/v1.0/domains").length;
  const t0 = Date.now();
  const domains = await graphCall("Listing domains", () => g.api("/domains").get());
  const took = Date.now() - t0;
  expect(domains.value.map((d: { id: string }) => d.id)).toContain(emu().tenants.source.domain);
  const seen = graphRequests("/v1.0/domains")
    .slice(before)
    .map((r) => r.status);
  expect(seen).toEqual([429, 429, 200]);
  expect(took).toBeGreaterThanOrEqual(2000);
  expect(took).toBeLessThan(3500);
});

test("random 429 and 503 across many calls: every call succeeds", async () => {
  emu().setFaults({ throttleRate: 0.3, unavailableRate: 0.2, retryAfterSeconds: 0, surfaces: ["graph"], seed: 11 });
  const g = await client("target", { graph: { retryDelaySeconds: 0.01, maxRetries: 10 } }).graph();
  const before = emu().requests.filter((r) => r.surface === "graph").length;
  const results = await Promise.all(
    Array.from({ length: 20 }, () => graphCall("Reading the organization", () => g.api("/organization").get())),
  );
  expect(results.every((r) => r.value[0].id === emu().tenants.target.tenantId)).toBe(true);
  const statuses = emu()
    .requests.filter((r) => r.surface === "graph")
    .slice(before)
    .map((r) => r.status);
  expect(statuses.filter((s) => s === 429 || s === 503).length).toBeGreaterThan(0);
  expect(statuses.filter((s) => s === 200)).toHaveLength(20);
});

test("when throttling outlasts the retries the error says so", async () => {
  emu().setFaults({ retryAfterSeconds: 0 });
  emu().inject({ surface: "graph", path: "/v1.0/subscribedSkus", fault: "throttle", times: 5 });
  const g = await client("source", { graph: { maxRetries: 2 } }).graph();
  const err = await graphCall("Reading subscribed SKUs", () => g.api("/subscribedSkus").get()).catch((e) => e);
  expect(err).toBeInstanceOf(GraphRequestError);
  expect(err.status).toBe(429);
  expect(err.message).toMatch(/^Reading subscribed SKUs failed: Graph answered 429/);
  expect(err.message).toMatch(/kept throttling/);
});

test("404 becomes a GraphRequestError with Graph's code", async () => {
  const g = await client().graph();
  const err = await graphCall("Reading application 'x'", () =>
    g.api("/applications/00000000-0000-0000-0000-000000000001").get(),
  ).catch((e) => e);
  expect(err).toBeInstanceOf(GraphRequestError);
  expect(err).toMatchObject({
    status: 404,
    code: "Request_ResourceNotFound",
    notFound: true,
    action: "Reading application 'x'",
  });
});

test("403 names the operator permission the request needed", async () => {
  const e = emu();
  const t = tenantOf(e, "target");
  const domainRead = GRAPH_APPLICATION_PERMISSIONS.find((p) => p.value === "Domain.Read.All")!;
  const removed = [...t.directory.appRoleAssignments.entries()].filter(
    ([, a]) => a.obj.principalId === t.operator.servicePrincipalId && a.obj.appRoleId === domainRead.id,
  );
  expect(removed).toHaveLength(1);
  for (const [id] of removed) t.directory.appRoleAssignments.delete(id);
  try {
    const g = await client("target").graph();
    const err = await graphCall("Listing the target's domains", () => g.api("/domains").get()).catch((x) => x);
    expect(err).toBeInstanceOf(GraphRequestError);
    expect(err.status).toBe(403);
    expect(err.missingPermission?.value).toBe("Domain.Read.All");
    expect(err.message).toMatch(/lacks the application permission Domain\.Read\.All/);
  } finally {
    for (const [id, a] of removed) t.directory.appRoleAssignments.set(id, a);
  }
});

test("a lost response to a write is flagged maybeApplied", async () => {
  emu().inject({ surface: "graph", method: "POST", path: "/v1.0/applications", fault: "lost" });
  const g = await client().graph();
  const err = await graphCall("Creating application 'xtmm lost'", () =>
    g.api("/applications").post({ displayName: "xtmm lost" }),
  ).catch((x) => x);
  expect(err).toBeInstanceOf(GraphRequestError);
  expect(err).toMatchObject({ status: 0, maybeApplied: true });
  expect(err.message).toMatch(/may have been applied/);
});

test("a sign-in failure reaches the caller as the CredentialError itself, without the secret", async () => {
  const wrong = "Not-The-Secret-000";
  const g = await createTenantClient(settings("source", wrong)).graph();
  const err = await graphCall("Reading the organization", () => g.api("/organization").get()).catch((x) => x);
  expect(err).toBeInstanceOf(CredentialError);
  expect(err.message).not.toContain(wrong);
  expect(err.message).not.toContain(emu().tenants.source.clientSecret);
});

test("permission mapping covers every operator permission", () => {
  const mapped = new Set(
    [
      ["GET", "https://graph.microsoft.com/v1.0/applications?$filter=x"],
      ["POST", "https://graph.microsoft.com/v1.0/servicePrincipals/1/appRoleAssignedTo"],
      ["GET", "https://graph.microsoft.com/v1.0/organization"],
      ["GET", "https://h/graph/v1.0/domains/contoso.com"],
      ["PATCH", "https://graph.microsoft.com/v1.0/users/u@x.com"],
      ["POST", "https://graph.microsoft.com/v1.0/users/u/assignLicense"],
    ].map(([m, u]) => permissionForRequest(m, u)?.value),
  );
  expect([...mapped].sort()).toEqual(GRAPH_APPLICATION_PERMISSIONS.map((p) => p.value).sort());
});
