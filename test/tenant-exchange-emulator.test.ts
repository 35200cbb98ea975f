// The Exchange REST client against the emulator's Exchange surface over HTTPS with real MSAL tokens:
// success and $select, paging with the identical body, every error kind the surface can produce,
// Retry-After timing, lost writes, and the per-tenant concurrency gate measured on the wire.

import { emulatorTenantSettings, useEmulator, tenantOf } from "./support/emulator";
import { createTenantClient, type TenantClientOptions } from "../providers/tenant";
import { ExchangeError } from "../providers/tenant/exchangeErrors";
import { cloudFetch, type Fetch } from "../providers/tenant/http";
import { resetTenantLimiters } from "../providers/tenant/limiter";
import { EXCHANGE_ADMIN_ROLE, EXCHANGE_APPLICATION_PERMISSIONS } from "../providers/tenant/permissions";
import type { TenantRole, TenantSettings } from "../providers/tenant/settings";
import type { TenantState } from "../emulator/model";

const emu = useEmulator({ mailboxes: 25 });

function settings(role: "source" | "target", concurrency = 2): TenantSettings {
  return emulatorTenantSettings(emu(), role, { exchangeConcurrency: concurrency });
}
const fast: TenantClientOptions = { exchange: { baseDelayMs: 5, maxDelayMs: 20 } };
const exo = (role: "source" | "target" = "source", opts: TenantClientOptions = fast, concurrency = 2) =>
  createTenantClient(settings(role, concurrency), opts).exchange;
const exchangeRequests = () => emu().requests.filter((r) => r.surface === "exchange");

beforeEach(() => resetTenantLimiters());
afterEach(() => emu().setFaults({ retryAfterSeconds: 1 }));

test("a cmdlet runs and $select trims the object", async () => {
  const r = await exo("target").invoke<{ Name: string; IsDehydrated: boolean }>(
    "Get-OrganizationConfig",
    {},
    { select: ["Name", "IsDehydrated"] },
  );
  expect(r.value).toEqual([{ Name: emu().tenants.target.domain, IsDehydrated: true }]);
  expect(r.warnings).toEqual([]);
});

test("paging: every page is fetched with the identical body, and the list is whole", async () => {
  const expected = tenantOf(emu(), "source")
    .exchange.acceptedDomains.map((d) => String(d.DomainName))
    .sort();
  expect(expected.length).toBeGreaterThanOrEqual(2);
  const before = exchangeRequests().length;
  const r = await exo("source", { exchange: { ...fast.exchange, pageSize: 1 } }).invoke<{ DomainName: string }>(
    "Get-AcceptedDomain",
  );
  expect(r.value.map((d) => d.DomainName).sort()).toEqual(expected);
  const calls = exchangeRequests().slice(before);
  expect(calls).toHaveLength(expected.length);
  expect(calls.every((c) => c.status === 200)).toBe(true);
  expect(r.warnings.some((w) => /increase the value for the ResultSize parameter/.test(w))).toBe(true);
});

test("paging: a refused continuation fails the call with the expiry text, no partial list", async () => {
  emu().options.exchange.failContinuations = true;
  try {
    const err = await exo("source", { exchange: { ...fast.exchange, pageSize: 1 } })
      .invoke("Get-AcceptedDomain")
      .catch((e) => e);
    expect(err).toBeInstanceOf(ExchangeError);
    expect(err.pagingFailed).toBe(true);
    expect(err.message).toMatch(/Expired or Invalid pagination request\. Default Expiry time is 00:30:00/);
    expect(err.message).toMatch(/page 2/);
  } finally {
    emu().options.exchange.failContinuations = false;
  }
});

test("paging Get-Mailbox across pages returns every mailbox of the tenant", async () => {
  const mailboxes = [...tenantOf(emu(), "source").exchange.recipients.values()].filter((r) =>
    /Mailbox$/.test(String(r.obj.RecipientTypeDetails)),
  );
  expect(mailboxes.length).toBeGreaterThan(25);
  const before = exchangeRequests().length;
  const r = await exo("source", { exchange: { ...fast.exchange, pageSize: 10 } }).invoke<{ ExchangeGuid: string }>(
    "Get-Mailbox",
    { ResultSize: "Unlimited" },
    { select: ["ExchangeGuid"] },
  );
  expect(r.value.map((m) => m.ExchangeGuid).sort()).toEqual(mailboxes.map((m) => String(m.obj.ExchangeGuid)).sort());
  expect(exchangeRequests().length - before).toBe(Math.ceil(mailboxes.length / 10));
});

test("NotFound: Get-Mailbox for an identity that does not exist", async () => {
  const err = await exo("source")
    .invoke("Get-Mailbox", { Identity: "nobody@fabrikam.onmicrosoft.com" })
    .catch((e) => e);
  expect(err).toBeInstanceOf(ExchangeError);
  expect(err.kind).toBe("NotFound");
  expect(err.message).toMatch(
    /^Running Get-Mailbox for 'nobody@fabrikam\.onmicrosoft\.com' failed \(HTTP 404, ManagementObjectNotFoundException\)/,
  );
});

test("AlreadyExists and NotAMember: a group created twice, a member removed who is not one", async () => {
  const client = exo("source");
  const [owner, someone] = [...tenantOf(emu(), "source").exchange.recipients.values()].filter(
    (r) => r.obj.RecipientTypeDetails === "UserMailbox",
  );
  const group = {
    Name: "xtmm-kinds",
    Alias: "xtmmkinds",
    Type: "Security",
    PrimarySmtpAddress: `xtmmkinds@${emu().tenants.source.domain}`,
    ManagedBy: [String(owner.obj.PrimarySmtpAddress)],
    Members: [String(owner.obj.PrimarySmtpAddress)],
  };
  await client.invoke("New-DistributionGroup", group);
  const dup = await client.invoke("New-DistributionGroup", group).catch((e) => e);
  expect(dup).toBeInstanceOf(ExchangeError);
  expect(dup.kind).toBe("AlreadyExists");
  const notMember = await client
    .invoke("Remove-DistributionGroupMember", {
      Identity: "xtmm-kinds",
      Member: String(someone.obj.PrimarySmtpAddress),
      BypassSecurityGroupManagerCheck: true,
      Confirm: false,
    })
    .catch((e) => e);
  expect(notMember).toBeInstanceOf(ExchangeError);
  expect(notMember.kind).toBe("NotAMember");
});

test("NoOp: Enable-OrganizationCustomization on a hydrated tenant", async () => {
  const err = await exo("source")
    .invoke("Enable-OrganizationCustomization")
    .catch((e) => e);
  expect(err).toBeInstanceOf(ExchangeError);
  expect(err.kind).toBe("NoOp");
  expect(err.message).toMatch(/already enabled for customization/);
});

test("BadRequest: a parameter the cmdlet does not have (no retry)", async () => {
  const before = exchangeRequests().length;
  const err = await exo("source")
    .invoke("Get-OrganizationConfig", { BogusParameter: true })
    .catch((e) => e);
  expect(err.kind).toBe("BadRequest");
  expect(err.status).toBe(400);
  expect(exchangeRequests().length - before).toBe(1);
  expect(emu.expectViolations().map((v) => v.kind)).toContain("unknown-parameter");
});

test("Server: New-MigrationEndpoint -Credentials over REST gets the cast error", async () => {
  const t = emu().tenants;
  const secret = "Migration-App-Secret-42";
  const err = await exo("target")
    .invoke("New-MigrationEndpoint", {
      Name: "xtmm-test",
      ExchangeRemoteMove: true,
      RemoteServer: "outlook.office.com",
      RemoteTenant: t.source.domain,
      ApplicationId: t.target.clientId,
      Credentials: { UserName: t.target.clientId, Password: secret },
    })
    .catch((e) => e);
  expect(err).toBeInstanceOf(ExchangeError);
  expect(err.kind).toBe("Server");
  expect(err.status).toBe(500);
  expect(err.message).toMatch(
    /Unable to cast object of type 'Newtonsoft\.Json\.Linq\.JObject' to type 'System\.String'/,
  );
  expect(err.message).not.toContain(secret);
  emu.expectViolations();
});

test("Throttled: Retry-After is waited exactly as asked", async () => {
  emu().setFaults({ retryAfterSeconds: 1 });
  emu().inject({ surface: "exchange", cmdlet: "Get-AcceptedDomain", fault: "throttle", times: 1 });
  const client = exo("source", { exchange: { baseDelayMs: 10_000 } });
  await client.invoke("Get-OrganizationConfig"); // token acquired outside the measurement
  const t0 = Date.now();
  const r = await client.invoke("Get-AcceptedDomain");
  const took = Date.now() - t0;
  expect(r.value.length).toBeGreaterThan(0);
  expect(took).toBeGreaterThanOrEqual(1000);
  expect(took).toBeLessThan(1500);
});

test("Throttled: when it outlasts the attempts the error says so", async () => {
  emu().setFaults({ retryAfterSeconds: 0 });
  emu().inject({ surface: "exchange", cmdlet: "Get-AcceptedDomain", fault: "unavailable", times: 3 });
  const err = await exo("source", { exchange: { ...fast.exchange, maxAttempts: 3 } })
    .invoke("Get-AcceptedDomain")
    .catch((e) => e);
  expect(err.kind).toBe("Throttled");
  expect(err.status).toBe(503);
  expect(err.message).toMatch(/maximum number of concurrent requests per tenant/);
  expect(err.message).toMatch(/gave up after 3 attempts/);
});

test("Transient: a lost write is not re-sent and says it may have been applied; a re-read shows it was", async () => {
  emu().inject({ surface: "exchange", cmdlet: "Enable-OrganizationCustomization", fault: "lost" });
  const client = exo("target");
  const before = exchangeRequests().filter((r) => r.cmdlet === "Enable-OrganizationCustomization").length;
  const err = await client.invoke("Enable-OrganizationCustomization").catch((e) => e);
  expect(err).toBeInstanceOf(ExchangeError);
  expect(err).toMatchObject({ kind: "Transient", maybeApplied: true, status: 0 });
  expect(exchangeRequests().filter((r) => r.cmdlet === "Enable-OrganizationCustomization").length - before).toBe(1);
  const cfg = await client.invoke<{ IsDehydrated: boolean }>(
    "Get-OrganizationConfig",
    {},
    { select: ["IsDehydrated"] },
  );
  expect(cfg.value[0].IsDehydrated).toBe(false);
});

describe("authorisation ladder", () => {
  function withoutAssignment(
    label: TenantRole,
    match: (t: TenantState, id: string, obj: Record<string, unknown>) => boolean,
    kind: "app" | "role",
  ) {
    const t = tenantOf(emu(), label);
    const map = kind === "app" ? t.directory.appRoleAssignments : t.directory.roleAssignments;
    const removed = [...map.entries()].filter(([id, s]) => match(t, id, s.obj));
    for (const [id] of removed) map.delete(id);
    return { count: removed.length, restore: () => removed.forEach(([id, s]) => map.set(id, s)) };
  }

  test("Unauthorized (401) without Exchange.ManageAsApp names the permission", async () => {
    const manage = EXCHANGE_APPLICATION_PERMISSIONS[0];
    const r = withoutAssignment(
      "source",
      (t, _id, o) => o.principalId === t.operator.servicePrincipalId && o.appRoleId === manage.id,
      "app",
    );
    expect(r.count).toBe(1);
    try {
      const err = await exo("source")
        .invoke("Get-OrganizationConfig")
        .catch((e) => e);
      expect(err.kind).toBe("Unauthorized");
      expect(err.status).toBe(401);
      expect(err.message).toMatch(/Exchange\.ManageAsApp/);
    } finally {
      r.restore();
    }
  });

  test("Forbidden (403, NUL body) without the Exchange Administrator role names the role", async () => {
    const r = withoutAssignment(
      "target",
      (t, _id, o) =>
        o.principalId === t.operator.servicePrincipalId && o.roleDefinitionId === EXCHANGE_ADMIN_ROLE.templateId,
      "role",
    );
    expect(r.count).toBe(1);
    try {
      const err = await exo("target")
        .invoke("Get-OrganizationConfig")
        .catch((e) => e);
      expect(err.kind).toBe("Forbidden");
      expect(err.status).toBe(403);
      expect(err.message).toMatch(/Exchange Administrator directory role/);
    } finally {
      r.restore();
    }
  });
});

test("concurrency: exchangeConcurrency requests at most on the wire per tenant, shared by clients", async () => {
  emu().options.latencyMs = 80;
  let inFlight = 0;
  let peak = 0;
  const base = cloudFetch({ caFile: emu().caFile });
  const counting: Fetch = async (url, init) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    try {
      return await base(url, init);
    } finally {
      inFlight--;
    }
  };
  try {
    const opts = { ...fast, fetch: counting };
    const a = exo("source", opts, 2);
    const b = exo("source", opts, 2);
    await Promise.all([a.invoke("Get-OrganizationConfig"), b.invoke("Get-OrganizationConfig")]); // tokens first
    peak = 0;
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).invoke("Get-AcceptedDomain")));
    const took = Date.now() - t0;
    expect(peak).toBe(2);
    expect(took).toBeGreaterThanOrEqual(4 * 80);
  } finally {
    emu().options.latencyMs = 0;
  }
});
