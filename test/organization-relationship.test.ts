// OrganizationRelationship through the real dynamic-provider host against the emulated pair: the target
// side (Inbound) refused while the tenant is dehydrated and created once it is hydrated; the source side
// (RemoteOutbound, the app, a real scoping group); no-op second up; drift repaired; destroy. Then a
// relationship that existed before the stack (free/busy sharing, another name, a move-back capability) is
// adopted and given back with its original settings; then 429, 503 and a lost New.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import { emulatorTenantSettings, useEmulator, tenantOf } from "./support/emulator";
import type { ProviderHost } from "../harness/providerHost";
import { CheckFailedError, Engine, declareResource, withUnknowns, type DeclaredResource } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import { OrganizationRelationship, type OrganizationRelationshipArgs } from "../providers/organizationRelationship";
import { OrganizationCustomization } from "../providers/organizationCustomization";
import { ScopingGroup } from "../providers/scopingGroup";
import { createTenantClient } from "../providers/tenant";
import type { Rec } from "../emulator/model";

const emulator = useEmulator();
const providerHost = useProviderHost(emulator, { env: { XTMM_VISIBILITY_TIMEOUT_SECONDS: "20" } });
const APP_ID = "6a3f1c2e-9b7d-4e58-a1c0-3d2b4f5e6a7b";

let host: ProviderHost;
let engine: Engine;

type Role = "source" | "target";
const other = (r: Role): Role => (r === "source" ? "target" : "source");
/** Relationships in a tenant's Exchange state that list the partner tenant id. */
const relationships = (role: Role): Rec[] =>
  [...tenantOf(emulator(), role).exchange.organizationRelationships.values()]
    .map((s) => s.obj)
    .filter((o) =>
      (o.DomainNames as string[]).some(
        (d) => d.toLowerCase() === emulator().tenants[other(role)].tenantId.toLowerCase(),
      ),
    );
const theRelationship = (role: Role): Rec => {
  const all = relationships(role);
  expect(all).toHaveLength(1);
  return all[0];
};

function exchangeCalls(since: number) {
  return emulator()
    .requests.slice(since)
    .filter((r) => r.surface === "exchange");
}
const writes = (calls: ReturnType<typeof exchangeCalls>) => calls.filter((r) => r.cmdlet && !/^Get-/i.test(r.cmdlet));

/** Exchange over REST as an administrator would use it by hand (the same client the providers use). */
const exchange = (role: Role) =>
  createTenantClient(emulatorTenantSettings(emulator(), role), { exchange: { baseDelayMs: 5, maxDelayMs: 20 } })
    .exchange;

const relationship = (name: string, args: Partial<OrganizationRelationshipArgs> & { tenant: Role }) =>
  declareResource(
    () =>
      new OrganizationRelationship(name, {
        partnerTenantId: emulator().tenants[other(args.tenant)].tenantId,
        name: args.tenant === "target" ? "Fabrikam moves" : "Contoso moves",
        capabilities: [args.tenant === "target" ? "Inbound" : "RemoteOutbound"],
        ...args,
      }),
  );

beforeAll(async () => {
  host = providerHost();
  engine = new Engine(host);
});

describe("check", () => {
  test("rejects bad inputs offline, naming the property and the fix", async () => {
    const mark = emulator().requests.length;
    const bad = await declareResource(
      () =>
        new OrganizationRelationship("relationship/bad", {
          tenant: "target",
          partnerTenantId: "fabrikam.onmicrosoft.com",
          name: "",
          capabilities: ["Inbound", "Sideways"],
          oauthApplicationId: "not-a-guid",
          ...({ mailTips: true } as object),
        }),
    );
    const err: CheckFailedError = await engine.preview(bad).catch((e) => e);
    expect(err).toBeInstanceOf(CheckFailedError);
    const props = err.failures.map((f) => f.property).sort();
    expect(props).toEqual(["capabilities", "mailTips", "name", "oauthApplicationId", "partnerTenantId"]);
    expect(err.failures.find((f) => f.property === "partnerTenantId")!.reason).toMatch(/GUID/);
    expect(err.failures.find((f) => f.property === "capabilities")!.reason).toMatch(
      /"Sideways".*Inbound, Outbound, RemoteInbound, RemoteOutbound/,
    );

    const self = await relationship("relationship/self", {
      tenant: "target",
      partnerTenantId: emulator().tenants.target.tenantId,
    });
    const selfErr: CheckFailedError = await engine.preview(self).catch((e) => e);
    expect(selfErr.failures).toEqual([
      { property: "partnerTenantId", reason: expect.stringMatching(/is the target tenant itself/) },
    ]);

    const bare = await relationship("relationship/bare-source", { tenant: "source" });
    const bareErr: CheckFailedError = await engine.preview(bare).catch((e) => e);
    expect(bareErr.failures.map((f) => f.property).sort()).toEqual(["oauthApplicationId", "publishedScopes"]);
    expect(emulator().requests.length).toBe(mark);
  });

  test("unknown values pass check and preview plans a create without calling Microsoft", async () => {
    const mark = emulator().requests.length;
    const r = await relationship("relationship/source", {
      tenant: "source",
      oauthApplicationId: APP_ID,
      publishedScopes: ["x"],
    });
    const step = await engine.preview(withUnknowns(r, "oauthApplicationId", "publishedScopes", "partnerTenantId"));
    expect(step.op).toBe("create");
    expect(emulator().requests.length).toBe(mark);
  });
});

describe("lifecycle", () => {
  let target: DeclaredResource;
  let source: DeclaredResource;
  let scope: DeclaredResource;

  beforeAll(async () => {
    target = await relationship("relationship/target", { tenant: "target" });
    scope = await declareResource(
      () =>
        new ScopingGroup("scoping-group", {
          name: "Cross-Tenant Movers",
          alias: "ctmovers",
          members: ["adelev@fabrikam.com", "alexw@fabrikam.com"],
        }),
    );
    source = await relationship("relationship/source", {
      tenant: "source",
      oauthApplicationId: APP_ID,
      publishedScopes: ["ctmovers@fabrikam.com"],
    });
  });

  test("a dehydrated target is refused with the fix: enable organization customization first", async () => {
    expect(tenantOf(emulator(), "target").exchange.organizationConfig.IsDehydrated).toBe(true);
    const err = await engine.up(target).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/dehydrated/);
    expect(err.message).toMatch(/enable.*organization customization.*OrganizationCustomization resource/i);
    expect(engine.state(target)).toBeUndefined();
    expect(relationships("target")).toEqual([]);
  });

  test("once the target is hydrated, up creates the Inbound relationship keyed by the source tenant id", async () => {
    await engine.up(await declareResource(() => new OrganizationCustomization("hydrate-target", { tenant: "target" })));
    const mark = emulator().requests.length;
    const { op, state } = await engine.up(target);
    expect(op).toBe("create");
    const r = theRelationship("target");
    expect(r).toMatchObject({
      Name: "Fabrikam moves",
      DomainNames: [emulator().tenants.source.tenantId],
      Enabled: true,
      MailboxMoveEnabled: true,
      MailboxMoveCapability: "Inbound",
    });
    expect(state.id).toBe(r.Guid);
    expect(state.outputs).toMatchObject({
      adopted: false,
      original: null,
      identity: "Fabrikam moves",
      enabled: true,
      mailboxMoveEnabled: true,
      mailboxMoveCapability: ["Inbound"],
      addedCapabilities: ["Inbound"],
    });
    expect(writes(exchangeCalls(mark)).map((c) => c.cmdlet)).toEqual(["New-OrganizationRelationship"]);
  });

  test("the source side publishes a real security group and names the app", async () => {
    await engine.up(scope);
    const { op, state } = await engine.up(source);
    expect(op).toBe("create");
    const r = theRelationship("source");
    expect(r).toMatchObject({
      Name: "Contoso moves",
      DomainNames: [emulator().tenants.target.tenantId],
      Enabled: true,
      MailboxMoveEnabled: true,
      MailboxMoveCapability: "RemoteOutbound",
      OAuthApplicationId: APP_ID,
      MailboxMovePublishedScopes: ["Cross-Tenant Movers"],
    });
    expect(state.outputs).toMatchObject({
      currentPublishedScopes: ["Cross-Tenant Movers"],
      expectedPublishedScopes: ["Cross-Tenant Movers"],
      currentOAuthApplicationId: APP_ID,
    });
  });

  test("a second preview and up change nothing and call nothing", async () => {
    const mark = emulator().requests.length;
    expect((await engine.preview(target)).op).toBe("same");
    expect((await engine.up(target)).op).toBe("same");
    expect((await engine.up(source)).op).toBe("same");
    expect((await engine.up(scope)).op).toBe("same");
    expect(emulator().requests.length).toBe(mark);
    // Renaming the input only matters for a relationship we have yet to create.
    const renamed = { ...target, inputs: { ...target.inputs, name: "Renamed" } };
    expect((await engine.preview(renamed)).op).toBe("same");
  });

  test("mailbox moves disabled by hand show on refresh and up turns them back on", async () => {
    theRelationship("target").MailboxMoveEnabled = false;
    const refreshed = await engine.refresh(target);
    expect(refreshed.op).toBe("drift");
    expect(refreshed.state!.outputs.mailboxMoveEnabled).toBe(false);
    expect((await engine.refresh(source)).op).toBe("same");
    const mark = emulator().requests.length;
    expect((await engine.up(target)).op).toBe("update");
    expect(theRelationship("target")).toMatchObject({
      MailboxMoveEnabled: true,
      MailboxMoveCapability: "Inbound",
      Name: "Fabrikam moves",
    });
    expect(writes(exchangeCalls(mark)).map((c) => c.cmdlet)).toEqual(["Set-OrganizationRelationship"]);
    expect((await engine.up(target)).op).toBe("same");
  });

  test("a scope or app changed by hand on the source side is repaired", async () => {
    const r = theRelationship("source");
    r.MailboxMovePublishedScopes = [];
    r.OAuthApplicationId = "";
    expect((await engine.refresh(source)).op).toBe("drift");
    expect((await engine.up(source)).op).toBe("update");
    expect(theRelationship("source")).toMatchObject({
      MailboxMovePublishedScopes: ["Cross-Tenant Movers"],
      OAuthApplicationId: APP_ID,
    });
    expect((await engine.up(source)).op).toBe("same");
  });

  test("a published scope that is not a security group is refused, not dropped with a warning", async () => {
    const wrong = { ...source, inputs: { ...source.inputs, publishedScopes: ["allstaff@fabrikam.com"] } };
    const mark = emulator().requests.length;
    const err = await engine.up(wrong).catch((e) => e);
    expect(err.message).toMatch(
      /'allstaff@fabrikam.com' is a MailUniversalDistributionGroup, not a mail-enabled security group/,
    );
    expect(writes(exchangeCalls(mark))).toEqual([]);
    expect(theRelationship("source").MailboxMovePublishedScopes).toEqual(["Cross-Tenant Movers"]);
  });

  test("destroy removes the relationships this stack created, and nothing else", async () => {
    await engine.destroy(source);
    await engine.destroy(target);
    await engine.destroy(scope);
    expect(relationships("source")).toEqual([]);
    expect(relationships("target")).toEqual([]);
    expect(tenantOf(emulator(), "source").exchange.organizationRelationships.size).toBe(0);
    expect(tenantOf(emulator(), "target").exchange.organizationRelationships.size).toBe(0);
    // Destroying again (the object already gone) succeeds.
    const gone = await relationship("relationship/target", { tenant: "target" });
    const e = new Engine(host);
    await e.up(gone);
    await exchange("target").invoke("Remove-OrganizationRelationship", { Identity: "Fabrikam moves", Confirm: false });
    await e.destroy(gone);
    expect(relationships("target")).toEqual([]);
  });
});

describe("a relationship that existed before the stack", () => {
  const EXISTING = "Fabrikam sharing";

  async function seed(extra: Record<string, unknown>): Promise<Rec> {
    await exchange("target").invoke("New-OrganizationRelationship", {
      Name: EXISTING,
      DomainNames: [emulator().tenants.source.tenantId, "fabrikam.com"],
      FreeBusyAccessEnabled: true,
      FreeBusyAccessLevel: "LimitedDetails",
      MailTipsAccessEnabled: true,
      MailTipsAccessLevel: "All",
      ...extra,
    });
    return structuredClone(theRelationship("target"));
  }
  const withoutTimes = (r: Rec) => {
    const { WhenChanged: _c, ...rest } = r;
    return rest;
  };

  test("is adopted, not duplicated: only the move settings change, and destroy restores them", async () => {
    const before = await seed({});
    expect(before.MailboxMoveCapability).toBe("None");
    const e = new Engine(host);
    const r = await relationship("relationship/target", { tenant: "target" });
    const { state } = await e.up(r);
    const during = theRelationship("target");
    expect(during).toMatchObject({
      Name: EXISTING,
      Guid: before.Guid,
      DomainNames: before.DomainNames,
      FreeBusyAccessEnabled: true,
      FreeBusyAccessLevel: "LimitedDetails",
      MailTipsAccessLevel: "All",
      MailboxMoveEnabled: true,
      MailboxMoveCapability: "Inbound",
    });
    expect(state.outputs).toMatchObject({
      adopted: true,
      identity: EXISTING,
      original: {
        enabled: true,
        mailboxMoveEnabled: false,
        mailboxMoveCapability: [],
        oauthApplicationId: null,
        mailboxMovePublishedScopes: [],
      },
      addedCapabilities: ["Inbound"],
    });
    expect((await e.up(r)).op).toBe("same");
    await e.destroy(r);
    expect(withoutTimes(theRelationship("target"))).toEqual(withoutTimes(before));
    await exchange("target").invoke("Remove-OrganizationRelationship", { Identity: EXISTING, Confirm: false });
  });

  test("a move-back capability it carries is kept while adopted and after destroy", async () => {
    const before = await seed({
      MailboxMoveEnabled: true,
      MailboxMoveCapability: "RemoteOutbound",
      OAuthApplicationId: APP_ID,
    });
    const e = new Engine(host);
    const r = await relationship("relationship/target", { tenant: "target" });
    const mark = emulator().requests.length;
    const { state } = await e.up(r);
    expect(theRelationship("target").MailboxMoveCapability).toBe("Inbound, RemoteOutbound");
    expect(state.outputs).toMatchObject({
      adopted: true,
      mailboxMoveCapability: ["Inbound", "RemoteOutbound"],
      addedCapabilities: ["Inbound"],
    });
    expect(writes(exchangeCalls(mark)).map((c) => c.cmdlet)).toEqual(["Set-OrganizationRelationship"]);
    // Someone removes our Inbound by hand: the repair adds it back and leaves RemoteOutbound alone.
    theRelationship("target").MailboxMoveCapability = "RemoteOutbound";
    expect((await e.refresh(r)).op).toBe("drift");
    await e.up(r);
    expect(theRelationship("target").MailboxMoveCapability).toBe("Inbound, RemoteOutbound");
    await e.destroy(r);
    const after = theRelationship("target");
    expect(withoutTimes(after)).toEqual(withoutTimes(before));
    expect(after.MailboxMoveCapability).toBe("RemoteOutbound");
    await exchange("target").invoke("Remove-OrganizationRelationship", { Identity: EXISTING, Confirm: false });
  });

  test("a relationship holding the name for other domains is an error that says so", async () => {
    await exchange("target").invoke("New-OrganizationRelationship", {
      Name: "Fabrikam moves",
      DomainNames: ["northwind.example"],
    });
    const err = await new Engine(host)
      .up(await relationship("relationship/target", { tenant: "target" }))
      .catch((x) => x);
    expect(err.message).toMatch(
      /the name 'Fabrikam moves' is taken by a relationship for other domains \(northwind.example\)/,
    );
    await exchange("target").invoke("Remove-OrganizationRelationship", { Identity: "Fabrikam moves", Confirm: false });
    expect(relationships("target")).toEqual([]);
  });
});

describe("faults", () => {
  afterEach(() => emulator().setFaults({ replicationMs: 0 }));

  test("429s and 503s are waited out and make exactly one relationship", async () => {
    emulator().inject({ surface: "exchange", fault: "throttle", times: 2 });
    emulator().inject({ surface: "exchange", cmdlet: "New-OrganizationRelationship", fault: "unavailable", times: 2 });
    const mark = emulator().requests.length;
    const e = new Engine(host);
    const r = await relationship("relationship/target", { tenant: "target" });
    await e.up(r);
    const calls = exchangeCalls(mark);
    expect(calls.filter((c) => c.status === 429)).toHaveLength(2);
    expect(calls.filter((c) => c.status === 503)).toHaveLength(2);
    expect(calls.filter((c) => c.cmdlet === "New-OrganizationRelationship" && c.status === 200)).toHaveLength(1);
    theRelationship("target");
    await e.destroy(r);
    expect(relationships("target")).toEqual([]);
  });

  test("a lost New-OrganizationRelationship answer is not sent again; the relationship it made is ours", async () => {
    emulator().inject({ surface: "exchange", cmdlet: "New-OrganizationRelationship", fault: "lost" });
    const mark = emulator().requests.length;
    const e = new Engine(host);
    const r = await relationship("relationship/target", { tenant: "target" });
    const { state } = await e.up(r);
    const news = exchangeCalls(mark).filter((c) => c.cmdlet === "New-OrganizationRelationship");
    expect(news).toHaveLength(1);
    expect(theRelationship("target")).toMatchObject({ Name: "Fabrikam moves", MailboxMoveCapability: "Inbound" });
    expect(state.outputs.adopted).toBe(false);
    await e.destroy(r);
    expect(relationships("target")).toEqual([]);
  });

  test("a relationship that replicates slowly is waited for, bounded", async () => {
    emulator().setFaults({ replicationMs: 1500 });
    const e = new Engine(host);
    const r = await relationship("relationship/target", { tenant: "target" });
    const started = Date.now();
    const { state } = await e.up(r);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(state.outputs).toMatchObject({ mailboxMoveEnabled: true, mailboxMoveCapability: ["Inbound"] });
    expect(relationships("target")).toHaveLength(1);
    await e.destroy(r);
    expect(relationships("target")).toEqual([]);
  });
});
