// A move back through the real dynamic-provider host: two stacks (two engines, each with its own state) whose
// organization relationships are the same two objects. The forward stack moves Fabrikam to Contoso (Fabrikam's
// side RemoteOutbound with the forward app and scope, Contoso's side Inbound); the reverse stack moves Contoso
// to Fabrikam (Contoso's side RemoteOutbound with its own app and scope, Fabrikam's side Inbound). Both end as
// "Inbound, RemoteOutbound"; up and refresh in either stack write nothing of the other's and take nothing away;
// destroy in either order takes back only what that stack added. The provider host is configured with the
// forward pair, so the reverse stack's resources name Fabrikam as "source" and Contoso as "target": the role
// only picks the tenant's client. The pure rule of delete (planRelease) is checked case by case first.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import { emulatorTenantSettings, useEmulator } from "./support/emulator";
import { Engine, declareResource, type DeclaredResource } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import { OrganizationRelationship } from "../providers/organizationRelationship";
import { OrganizationCustomization } from "../providers/organizationCustomization";
import { ScopingGroup } from "../providers/scopingGroup";
import { planRelease, type Held, type Relationship } from "../providers/organizationRelationship/model";
import { createTenantClient } from "../providers/tenant";
import { findTenant, type Rec } from "../emulator/model";

const emulator = useEmulator();
const providerHost = useProviderHost(emulator, { env: { XTMM_VISIBILITY_TIMEOUT_SECONDS: "20" } });
const FORWARD_APP = "6a3f1c2e-9b7d-4e58-a1c0-3d2b4f5e6a7b";
const REVERSE_APP = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";

type Role = "source" | "target";
const other = (r: Role): Role => (r === "source" ? "target" : "source");
const tenantState = (role: Role) => findTenant(emulator().state, emulator().tenants[role].tenantId)!;
/** The one relationship in a tenant (each tenant has only the one for its partner here). */
const theRelationship = (role: Role): Rec => {
  const all = [...tenantState(role).exchange.organizationRelationships.values()].map((s) => s.obj);
  expect(all).toHaveLength(1);
  return all[0];
};
const relationshipCount = (role: Role) => tenantState(role).exchange.organizationRelationships.size;
/** The move settings of a relationship, in a form to compare (the app empty when there is none). */
const moveSettings = (o: Rec) => ({
  Enabled: o.Enabled,
  MailboxMoveEnabled: o.MailboxMoveEnabled,
  MailboxMoveCapability: o.MailboxMoveCapability,
  OAuthApplicationId: o.OAuthApplicationId || "",
  MailboxMovePublishedScopes: o.MailboxMovePublishedScopes,
});
const withoutTimes = (r: Rec) => {
  const { WhenChanged: _c, ...rest } = r;
  return rest;
};
const exchangeWrites = (since: number) =>
  emulator()
    .requests.slice(since)
    .filter((r) => r.surface === "exchange" && r.cmdlet && !/^Get-/i.test(r.cmdlet))
    .map((r) => r.cmdlet);
const exchange = (role: Role) =>
  createTenantClient(emulatorTenantSettings(emulator(), role), { exchange: { baseDelayMs: 5, maxDelayMs: 20 } })
    .exchange;

/**
 * One direction's resources. `from` is the tenant the mailboxes leave: its relationship is RemoteOutbound with
 * the app and the scoping group (made in that tenant); the other tenant's relationship is Inbound.
 */
interface Direction {
  engine: Engine;
  scope: DeclaredResource;
  outbound: DeclaredResource;
  inbound: DeclaredResource;
}
async function direction(from: Role, app: string, label: string): Promise<Direction> {
  const to = other(from);
  const group = `migration-to-${label}`;
  const scope = await declareResource(
    () => new ScopingGroup(`scoping-group`, { tenant: from, name: group, members: [] }),
  );
  const outbound = await declareResource(
    () =>
      new OrganizationRelationship(`relationship/${from}`, {
        tenant: from,
        partnerTenantId: emulator().tenants[to].tenantId,
        name: `Mailbox migration to ${label}`,
        capabilities: ["RemoteOutbound"],
        oauthApplicationId: app,
        publishedScopes: [group],
      }),
  );
  const inbound = await declareResource(
    () =>
      new OrganizationRelationship(`relationship/${to}`, {
        tenant: to,
        partnerTenantId: emulator().tenants[from].tenantId,
        name: `Mailbox migration to ${label}`,
        capabilities: ["Inbound"],
      }),
  );
  return { engine: new Engine(providerHost()), scope, outbound, inbound };
}
const up = async (d: Direction) => {
  const ops = [];
  for (const r of [d.inbound, d.scope, d.outbound]) ops.push((await d.engine.up(r)).op);
  return ops;
};
const refresh = async (d: Direction) => {
  const ops = [];
  for (const r of [d.inbound, d.scope, d.outbound]) ops.push((await d.engine.refresh(r)).op);
  return ops;
};
const destroy = async (d: Direction) => {
  for (const r of [d.outbound, d.scope, d.inbound]) await d.engine.destroy(r);
};

describe("planRelease: what delete writes back", () => {
  const rel = (o: Partial<Relationship>): Relationship => ({
    Name: "r",
    Guid: "g",
    DomainNames: ["t"],
    Enabled: true,
    MailboxMoveEnabled: true,
    MailboxMoveCapability: "None",
    MailboxMovePublishedScopes: [],
    OAuthApplicationId: "",
    ...o,
  });
  const created = (o: Partial<Held>): Held => ({
    adopted: false,
    original: null,
    addedCapabilities: [],
    oauthApplicationId: null,
    publishedScopes: null,
    ...o,
  });
  const was = (caps: string[], over: Partial<NonNullable<Held["original"]>> = {}) => ({
    enabled: true,
    mailboxMoveEnabled: true,
    mailboxMoveCapability: caps,
    oauthApplicationId: null,
    mailboxMovePublishedScopes: [],
    ...over,
  });

  test("a relationship this stack created, with only its own capability, is removed", () => {
    expect(
      planRelease(rel({ MailboxMoveCapability: "RemoteOutbound" }), created({ addedCapabilities: ["RemoteOutbound"] })),
    ).toEqual({
      remove: true,
    });
  });

  test("a flag cross-tenant moves do not use (set by hand) does not keep a relationship this stack created", () => {
    const found = rel({ MailboxMoveCapability: "Inbound, RemoteInbound" });
    expect(planRelease(found, created({ addedCapabilities: ["Inbound"] }))).toEqual({ remove: true });
  });

  test("one this stack created that the reverse stack also uses stays: only this stack's capability, app and scope go", () => {
    const found = rel({
      MailboxMoveCapability: "Inbound, RemoteOutbound",
      OAuthApplicationId: FORWARD_APP,
      MailboxMovePublishedScopes: ["movers"],
    });
    const held = created({
      addedCapabilities: ["RemoteOutbound"],
      oauthApplicationId: FORWARD_APP,
      publishedScopes: ["movers"],
      expectedPublishedScopes: ["movers"],
    });
    expect(planRelease(found, held)).toEqual({
      remove: false,
      others: ["Inbound"],
      params: { MailboxMoveCapability: "Inbound", OAuthApplicationId: null, MailboxMovePublishedScopes: null },
    });
  });

  test("an adopted relationship whose other capability came after the adoption keeps moves enabled", () => {
    // Adopted from a free/busy relationship with moves off; the reverse stack has added Inbound since.
    const found = rel({ MailboxMoveCapability: "Inbound, RemoteOutbound" });
    const held: Held = {
      adopted: true,
      original: was([], { mailboxMoveEnabled: false }),
      addedCapabilities: ["RemoteOutbound"],
      oauthApplicationId: null,
      publishedScopes: null,
    };
    expect(planRelease(found, held)).toEqual({
      remove: false,
      others: ["Inbound"],
      params: { MailboxMoveCapability: "Inbound" },
    });
    // Without the later capability, the original settings come back.
    expect(planRelease(rel({ MailboxMoveCapability: "RemoteOutbound" }), held)).toEqual({
      remove: false,
      others: [],
      params: { MailboxMoveCapability: "None", MailboxMoveEnabled: false },
    });
  });

  test("an app or scope someone else set since is left alone; the adopted relationship's own capability stays", () => {
    const found = rel({
      MailboxMoveCapability: "Inbound, RemoteOutbound",
      OAuthApplicationId: REVERSE_APP,
      MailboxMovePublishedScopes: ["theirs"],
    });
    const held: Held = {
      adopted: true,
      original: was(["Inbound"]),
      addedCapabilities: ["RemoteOutbound"],
      oauthApplicationId: FORWARD_APP,
      publishedScopes: ["movers"],
      expectedPublishedScopes: ["movers"],
    };
    expect(planRelease(found, held)).toEqual({
      remove: false,
      others: [],
      params: { MailboxMoveCapability: "Inbound" },
    });
  });
});

describe("two stacks, one pair of relationships", () => {
  let forward: Direction;
  let reverse: Direction;
  let forwardOnly: Record<Role, Rec>;

  beforeAll(async () => {
    const e = new Engine(providerHost());
    for (const role of ["source", "target"] as const)
      await e.up(await declareResource(() => new OrganizationCustomization(`hydrate-${role}`, { tenant: role })));
    // Forward: Fabrikam (source) to Contoso (target); reverse: Contoso to Fabrikam.
    forward = await direction("source", FORWARD_APP, "contoso");
    reverse = await direction("target", REVERSE_APP, "fabrikam");
  });

  test("the forward stack creates both relationships, each with its one capability", async () => {
    expect(await up(forward)).toEqual(["create", "create", "create"]);
    expect(moveSettings(theRelationship("source"))).toEqual({
      Enabled: true,
      MailboxMoveEnabled: true,
      MailboxMoveCapability: "RemoteOutbound",
      OAuthApplicationId: FORWARD_APP,
      MailboxMovePublishedScopes: ["migration-to-contoso"],
    });
    expect(theRelationship("target").MailboxMoveCapability).toBe("Inbound");
    forwardOnly = {
      source: structuredClone(theRelationship("source")),
      target: structuredClone(theRelationship("target")),
    };
  });

  test("the reverse stack adopts both and adds only its own capability, app and scope: Inbound, RemoteOutbound on both sides", async () => {
    const mark = emulator().requests.length;
    expect(await up(reverse)).toEqual(["create", "create", "create"]);
    // Fabrikam: the forward source side, plus the reverse target side's Inbound; the forward app and scope stay.
    expect(moveSettings(theRelationship("source"))).toEqual({
      ...moveSettings(forwardOnly.source),
      MailboxMoveCapability: "Inbound, RemoteOutbound",
    });
    // Contoso: the forward target side, plus the reverse source side's RemoteOutbound, app and scope.
    expect(moveSettings(theRelationship("target"))).toEqual({
      Enabled: true,
      MailboxMoveEnabled: true,
      MailboxMoveCapability: "Inbound, RemoteOutbound",
      OAuthApplicationId: REVERSE_APP,
      MailboxMovePublishedScopes: ["migration-to-fabrikam"],
    });
    expect(theRelationship("source").Guid).toBe(forwardOnly.source.Guid);
    expect(theRelationship("target").Guid).toBe(forwardOnly.target.Guid);
    expect(reverse.engine.state(reverse.inbound)!.outputs).toMatchObject({
      adopted: true,
      addedCapabilities: ["Inbound"],
    });
    expect(reverse.engine.state(reverse.outbound)!.outputs).toMatchObject({
      adopted: true,
      addedCapabilities: ["RemoteOutbound"],
    });
    // One Set per relationship, no New, no Remove.
    expect(
      exchangeWrites(mark)
        .filter((c) => /OrganizationRelationship/.test(c!))
        .sort(),
    ).toEqual(["Set-OrganizationRelationship", "Set-OrganizationRelationship"]);
  });

  test("up and refresh in each stack, in turn, write nothing and take nothing away", async () => {
    const settled = {
      source: moveSettings(theRelationship("source")),
      target: moveSettings(theRelationship("target")),
    };
    const mark = emulator().requests.length;
    for (const d of [forward, reverse, forward]) {
      expect(await refresh(d)).toEqual(["same", "same", "same"]);
      expect(await up(d)).toEqual(["same", "same", "same"]);
    }
    expect(exchangeWrites(mark)).toEqual([]);
    expect({
      source: moveSettings(theRelationship("source")),
      target: moveSettings(theRelationship("target")),
    }).toEqual(settled);
    // Refresh recorded the other stack's capability as seen, without calling it drift.
    expect(forward.engine.state(forward.outbound)!.outputs).toMatchObject({
      mailboxMoveCapability: ["Inbound", "RemoteOutbound"],
      addedCapabilities: ["RemoteOutbound"],
      currentOAuthApplicationId: FORWARD_APP,
    });
    expect(forward.engine.state(forward.inbound)!.outputs).toMatchObject({
      mailboxMoveCapability: ["Inbound", "RemoteOutbound"],
      currentOAuthApplicationId: REVERSE_APP,
    });
  });

  test("a capability of the other stack removed by hand is not repaired by this one (it is not its to set)", async () => {
    // Contoso's RemoteOutbound belongs to the reverse stack: the forward stack's up leaves it out...
    theRelationship("target").MailboxMoveCapability = "Inbound";
    expect(await up(forward)).toEqual(["same", "same", "same"]);
    expect(theRelationship("target").MailboxMoveCapability).toBe("Inbound");
    // ...and the reverse stack's refresh shows it and its up puts it back, keeping the forward Inbound.
    expect((await reverse.engine.refresh(reverse.outbound)).op).toBe("drift");
    expect((await reverse.engine.up(reverse.outbound)).op).toBe("update");
    expect(theRelationship("target").MailboxMoveCapability).toBe("Inbound, RemoteOutbound");
  });

  test("destroying the reverse stack gives both relationships back exactly as the forward stack had them", async () => {
    await destroy(reverse);
    expect(withoutTimes(theRelationship("source"))).toEqual(withoutTimes(forwardOnly.source));
    expect(withoutTimes(theRelationship("target"))).toEqual(withoutTimes(forwardOnly.target));
    // The forward stack is untouched by it: quiet, and then its destroy removes what it created.
    const mark = emulator().requests.length;
    expect(await refresh(forward)).toEqual(["same", "same", "same"]);
    expect(await up(forward)).toEqual(["same", "same", "same"]);
    expect(exchangeWrites(mark)).toEqual([]);
    await destroy(forward);
    expect([relationshipCount("source"), relationshipCount("target")]).toEqual([0, 0]);
  });

  test("destroying the forward stack first leaves the reverse stack working: its capability, app and scope stay", async () => {
    forward = await direction("source", FORWARD_APP, "contoso");
    reverse = await direction("target", REVERSE_APP, "fabrikam");
    await up(forward);
    await up(reverse);
    const mark = emulator().requests.length;
    await destroy(forward);
    // No relationship removed: each still carries the reverse stack's part, and only that.
    expect(exchangeWrites(mark).filter((c) => c === "Remove-OrganizationRelationship")).toEqual([]);
    expect(moveSettings(theRelationship("source"))).toEqual({
      Enabled: true,
      MailboxMoveEnabled: true,
      MailboxMoveCapability: "Inbound",
      OAuthApplicationId: "",
      MailboxMovePublishedScopes: [],
    });
    expect(moveSettings(theRelationship("target"))).toEqual({
      Enabled: true,
      MailboxMoveEnabled: true,
      MailboxMoveCapability: "RemoteOutbound",
      OAuthApplicationId: REVERSE_APP,
      MailboxMovePublishedScopes: ["migration-to-fabrikam"],
    });
    // The reverse stack finds everything where it left it.
    const quiet = emulator().requests.length;
    expect(await refresh(reverse)).toEqual(["same", "same", "same"]);
    expect(await up(reverse)).toEqual(["same", "same", "same"]);
    expect(exchangeWrites(quiet)).toEqual([]);
    // Its destroy takes back its part and removes no relationship it did not create.
    await destroy(reverse);
    for (const role of ["source", "target"] as const) {
      expect(theRelationship(role)).toMatchObject({ MailboxMoveCapability: "None", MailboxMovePublishedScopes: [] });
      expect(theRelationship(role).OAuthApplicationId || "").toBe("");
      await exchange(role).invoke("Remove-OrganizationRelationship", {
        Identity: String(theRelationship(role).Guid),
        Confirm: false,
      });
    }
  });
});
