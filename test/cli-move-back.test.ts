// Moving mailboxes back through the REAL Pulumi CLI against the emulator: the forward stack (Fabrikam to Contoso,
// a one-user wave) and beside it a reverse stack (Contoso to Fabrikam: the forward target is its source), as the
// README's "Moving mailboxes back" sets them up. Both stacks' organization relationships are the same two objects
// (Microsoft updates the existing relationship for a move back; it does not make a second one): they end as
// "Inbound, RemoteOutbound" on both sides, each stack adding only its own capability, app and scope. Then:
// refresh and up in each stack write nothing and are quiet; destroying the reverse stack gives the forward stack
// back exactly what it had, and destroying the forward stack then leaves the tenants as they were. In the other
// order (forward stack destroyed first), the reverse stack keeps working: its part of both relationships stays.
// Needs `npx tsc -p tsconfig.json` first (the program and the provider host load dist/).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { useEmulator } from "./support/emulator";
import { CliStack, emulatorConfig, resourceNamed, ROOT } from "../harness/pulumiCli";
import { afterDestroy, binnedApp, dropBinnedApp, snapshot, type Snapshot } from "./support/tenantSnapshot";
import { findTenant, type Rec, type TenantState } from "../emulator/model";

jest.setTimeout(900_000);

const SANDBOX = parse(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.sandbox.yaml"), "utf8")) as {
  config: Record<string, unknown>;
};
const WAVE = ["alexw@fabrikam.com"];

const emulator = useEmulator();
const REPORTS = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-cli-move-back-reports-"));
let forward: CliStack;
let reverse: CliStack;
let before: Snapshot;

type Role = "source" | "target";
/** The emulator's tenants by their role in the FORWARD pair: source = Fabrikam, target = Contoso. */
const tenant = (role: Role): TenantState => findTenant(emulator().state, emulator().tenants[role].tenantId)!;
const relationshipsIn = (role: Role): Rec[] =>
  [...tenant(role).exchange.organizationRelationships.values()].map((s) => s.obj);
const theRelationship = (role: Role): Rec => {
  const all = relationshipsIn(role);
  expect(all).toHaveLength(1);
  return all[0];
};
const moveSettings = (o: Rec) => ({
  Guid: o.Guid,
  Name: o.Name,
  Enabled: o.Enabled,
  MailboxMoveEnabled: o.MailboxMoveEnabled,
  MailboxMoveCapability: o.MailboxMoveCapability,
  OAuthApplicationId: o.OAuthApplicationId || "",
  MailboxMovePublishedScopes: o.MailboxMovePublishedScopes,
});
const both = () => ({
  source: moveSettings(theRelationship("source")),
  target: moveSettings(theRelationship("target")),
});
/** Writes in either tenant since `mark`: Exchange cmdlets other than Get-, Graph calls other than GET. */
const writesSince = (mark: number) =>
  emulator()
    .requests.slice(mark)
    .filter(
      (r) =>
        (r.surface === "exchange" && r.cmdlet !== undefined && !/^Get-/i.test(r.cmdlet)) ||
        (r.surface === "graph" && r.method !== "GET"),
    )
    .map((r) => (r.surface === "exchange" ? `${r.cmdlet}` : `${r.method} ${r.path}`));
const appIdOf = async (s: CliStack) => String((resourceNamed(await s.export(), "migration-app")!.outputs as Rec).appId);

/** The stack configuration with the tenants' roles swapped: every xtmm:source* key becomes xtmm:target* and back. */
function swapped(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [
      k.replace(/^xtmm:(source|target)/, (_m, role: string) => `xtmm:${role === "source" ? "target" : "source"}`),
      v,
    ]),
  );
}

async function createStacks(suffix: string): Promise<void> {
  const { config, secrets } = emulatorConfig(emulator());
  forward = await CliStack.create(emulator(), {
    stack: `forward${suffix}`,
    config: {
      ...SANDBOX.config,
      ...config,
      "xtmm:waves": { "wave-1": { users: WAVE } },
      "xtmm:readinessReportDir": REPORTS,
    },
    secrets,
  });
  // The reverse stack: Contoso is its source and Fabrikam its target; no wave yet (the users to move back are
  // declared once their mailboxes are in Contoso), so only the pair itself.
  const {
    "xtmm:licences": _l,
    "xtmm:waves": _w,
    "xtmm:domainMap": _d,
    "xtmm:targetDomains": _t,
    ...pair
  } = SANDBOX.config;
  reverse = await CliStack.create(emulator(), {
    stack: `move-back${suffix}`,
    config: { ...pair, ...swapped(config), "xtmm:readinessReportDir": REPORTS },
    secrets: swapped(secrets),
    backendOf: forward,
  });
}

afterAll(() => {
  forward?.dispose();
  reverse?.dispose();
  fs.rmSync(REPORTS, { recursive: true, force: true });
});

describe("moving mailboxes back: a reverse stack beside the forward one, through the real Pulumi CLI", () => {
  let forwardOnly: ReturnType<typeof both>;
  let settled: ReturnType<typeof both>;

  beforeAll(async () => {
    before = snapshot(emulator());
    await createStacks("");
  });

  test("the forward stack: RemoteOutbound in Fabrikam with its app and scope, Inbound in Contoso", async () => {
    await forward.up();
    forwardOnly = both();
    const app = await appIdOf(forward);
    expect(forwardOnly.source).toMatchObject({
      MailboxMoveCapability: "RemoteOutbound",
      OAuthApplicationId: app,
      MailboxMovePublishedScopes: ["migration-to-contoso"],
    });
    expect(forwardOnly.target).toMatchObject({ MailboxMoveCapability: "Inbound", OAuthApplicationId: "" });
  });

  test("the reverse stack adopts both relationships: Inbound, RemoteOutbound on both sides, each stack's app and scope on its own source side", async () => {
    const mark = emulator().requests.length;
    const up = await reverse.up();
    const forwardApp = await appIdOf(forward);
    const reverseApp = await appIdOf(reverse);
    expect(reverseApp).not.toBe(forwardApp);
    expect(both()).toEqual({
      // Fabrikam: the forward source side, and the reverse target side's Inbound.
      source: { ...forwardOnly.source, MailboxMoveCapability: "Inbound, RemoteOutbound" },
      // Contoso: the forward target side, and the reverse source side's RemoteOutbound, app and scope.
      target: {
        ...forwardOnly.target,
        MailboxMoveCapability: "Inbound, RemoteOutbound",
        OAuthApplicationId: reverseApp,
        MailboxMovePublishedScopes: ["migration-to-fabrikam"],
      },
    });
    // No second relationship, none removed: one Set on each.
    const relationshipWrites = writesSince(mark).filter((w) => /OrganizationRelationship/.test(w));
    expect(relationshipWrites).toEqual(["Set-OrganizationRelationship", "Set-OrganizationRelationship"]);
    expect(up.stdout).toMatch(/adopting the existing relationship 'Mailbox migration fabrikam to contoso'/);
    const state = await reverse.export();
    for (const name of ["relationship/source", "relationship/target"])
      expect(resourceNamed(state, name)!.outputs).toMatchObject({ adopted: true });
    expect((resourceNamed(state, "relationship/source")!.outputs as Rec).addedCapabilities).toEqual(["RemoteOutbound"]);
    expect((resourceNamed(state, "relationship/target")!.outputs as Rec).addedCapabilities).toEqual(["Inbound"]);
    settled = both();
  });

  test("refresh in each stack reads the other's part and writes nothing; then up and refresh are quiet in both", async () => {
    const mark = emulator().requests.length;
    for (const s of [forward, reverse]) await s.ok(["refresh", "--yes"]);
    for (const s of [forward, reverse, forward]) {
      await s.ok(["up", "--yes", "--expect-no-changes"]);
      await s.ok(["refresh", "--yes", "--expect-no-changes"]);
    }
    expect(writesSince(mark)).toEqual([]);
    expect(both()).toEqual(settled);
    // The forward stack's wave still finds its side ready: the capability the reverse stack added does not count against it.
    const readiness = (await forward.outputs()).readiness as Record<string, { summary?: Rec }>;
    expect(readiness["wave-1"].summary).toMatchObject({ users: 1, ready: 1, blocked: 0 });
  });

  test("destroying the reverse stack gives the forward stack back exactly what it had; the forward stack stays quiet", async () => {
    await reverse.ok(["destroy", "--yes"]);
    expect((await reverse.export()).deployment.resources ?? []).toEqual([]);
    expect(both()).toEqual(forwardOnly);
    const mark = emulator().requests.length;
    await forward.ok(["up", "--yes", "--expect-no-changes"]);
    expect(writesSince(mark)).toEqual([]);
  });

  test("then destroying the forward stack leaves the tenants as they were, apart from the two apps in the recycle bins", async () => {
    const forwardApp = await appIdOf(forward);
    // The reverse stack's app (made in Fabrikam, consented in Contoso) went to the bin at its destroy.
    await forward.ok(["destroy", "--yes"]);
    const { after, was } = afterDestroy(emulator(), before, forwardApp);
    const reverseApps = Object.entries(after.source.directory.deletedItems as Record<string, Rec>)
      .filter(([, o]) => o["@odata.type"] === "#microsoft.graph.application")
      .map(([, o]) => String(o.appId));
    expect(reverseApps).toHaveLength(1);
    const types = (label: string) =>
      binnedApp(after, label, reverseApps[0])
        .map(([, o]) => String(o["@odata.type"]))
        .sort();
    expect({ source: types("source"), target: types("target") }).toEqual({
      source: ["#microsoft.graph.application", "#microsoft.graph.servicePrincipal"],
      target: ["#microsoft.graph.servicePrincipal"],
    });
    dropBinnedApp(after, reverseApps[0]);
    expect(after).toEqual(was);
  });
});

describe("the other order: the forward stack destroyed first", () => {
  beforeAll(async () => {
    forward?.dispose();
    reverse?.dispose();
    await createStacks("-2");
  });

  test("the reverse stack keeps its part of both relationships and stays quiet after a refresh", async () => {
    await forward.up();
    await reverse.up();
    const reverseApp = await appIdOf(reverse);
    const mark = emulator().requests.length;
    const down = await forward.ok(["destroy", "--yes"]);
    expect(writesSince(mark).filter((w) => w === "Remove-OrganizationRelationship")).toEqual([]);
    expect(down.stdout).toMatch(/also carries Inbound, which this stack did not set/);
    const left = both();
    expect(left.source).toMatchObject({ MailboxMoveCapability: "Inbound", OAuthApplicationId: "" });
    expect(left.source.MailboxMovePublishedScopes).toEqual([]);
    expect(left.target).toMatchObject({
      MailboxMoveCapability: "RemoteOutbound",
      OAuthApplicationId: reverseApp,
      MailboxMovePublishedScopes: ["migration-to-fabrikam"],
    });
    const quiet = emulator().requests.length;
    // The refresh records what the forward stack took away (its outputs), finds nothing of its own missing...
    await reverse.ok(["refresh", "--yes"]);
    await reverse.ok(["up", "--yes", "--expect-no-changes"]);
    expect(writesSince(quiet)).toEqual([]);
    expect(both()).toEqual(left);
  });

  test("its destroy then takes back its part and removes no relationship it did not create, saying so", async () => {
    const down = await reverse.ok(["destroy", "--yes"]);
    expect(down.stdout).toMatch(/now has no move capability left/);
    for (const role of ["source", "target"] as const) {
      expect(moveSettings(theRelationship(role))).toMatchObject({
        MailboxMoveCapability: "None",
        OAuthApplicationId: "",
        MailboxMovePublishedScopes: [],
      });
    }
  });
});
