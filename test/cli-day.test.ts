// The engineer's day through the REAL Pulumi CLI against the emulator (engineers-day.test.ts plays the same day
// through our own imitation of the engine): one stack (manage=both) with a small wave and its batch declared, then
//   up from nothing -> drift made by hand (the source consent revoked, the target relationship's
//   MailboxMoveCapability changed, an x500 removed from a staged MailUser) -> the change plan names each drifted
//   attribute and writes nothing -> up repairs all three -> quiet -> a user added and one removed by config ->
//   the batch started by config -> destroy leaves both tenants as they were, apart from what Microsoft keeps.
// Needs `npx tsc -p tsconfig.json` first (the program and the provider host load dist/).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { useEmulator, tenantOf } from "./support/emulator";
import {
  CliStack,
  changesOf,
  emulatorConfig,
  nameOf,
  resourceNamed,
  ROOT,
  SECRET_SIG_KEY,
  type StackExport,
} from "../harness/pulumiCli";
import { writesSince } from "./engineers-day.test";
import { BINNED_APP, afterDestroy, snapshot, type Snapshot } from "./support/tenantSnapshot";
import { type Rec, type TenantState } from "../emulator/model";

jest.setTimeout(600_000);

const SANDBOX = parse(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.sandbox.yaml"), "utf8")) as {
  config: Record<string, unknown>;
};
// Alex carries an x500 from an earlier move besides his LegacyExchangeDN; Megan joins the wave later.
const USERS = ["alexw@fabrikam.com", "adelev@fabrikam.com"];
const ADDED = "meganb@fabrikam.com";

const emulator = useEmulator();
const REPORTS = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-cli-day-reports-"));
let stack: CliStack;
let before: Snapshot;

const recipients = (t: TenantState) => [...t.exchange.recipients.values()].map((s) => s.obj);
const byAddress = (t: TenantState, address: string) =>
  recipients(t).find((o) => String(o.PrimarySmtpAddress).toLowerCase() === address);
const resource = resourceNamed;
const appId = async () => String((resource(await stack.export(), "migration-app")!.outputs as Rec).appId);
const sourceSp = (id: string) =>
  [...tenantOf(emulator(), "source").directory.servicePrincipals.values()].find((s) => s.obj.appId === id)!.obj;
const assignmentsOf = (principalId: unknown) =>
  [...tenantOf(emulator(), "source").directory.appRoleAssignments.entries()]
    .filter(([, a]) => a.obj.principalId === principalId)
    .map(([k]) => k);
const targetRelationship = () => [...tenantOf(emulator(), "target").exchange.organizationRelationships.values()][0].obj;
const x500s = (o: Rec | undefined) =>
  ((o?.EmailAddresses as string[] | undefined) ?? []).filter((a) => /^x500:/i.test(a));
const batch = () => [...tenantOf(emulator(), "target").exchange.migrationBatches.values()].map((s) => s.obj);
/** Exchange writes since `mark` in one tenant (its id or domain is in the admin API's path). */
const exchangeWritesIn = (role: "source" | "target", mark: number) => {
  const { tenantId, domain } = emulator().tenants[role];
  return emulator()
    .requests.slice(mark)
    .filter((r) => r.surface === "exchange" && r.cmdlet && !/^Get-/i.test(r.cmdlet))
    .filter((r) => r.path.toLowerCase().includes(tenantId) || r.path.toLowerCase().includes(domain))
    .map((r) => r.cmdlet);
};
/** The inputs of the stack's own resources, secrets as "[secret]" (their ciphertext changes whenever the engine re-encrypts). */
const inputsOf = (s: StackExport) =>
  JSON.parse(
    JSON.stringify(
      (s.deployment.resources ?? [])
        .filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"))
        .map((r) => [nameOf(r.urn), r.inputs]),
    ),
    (_k, v) => (v && typeof v === "object" && SECRET_SIG_KEY in v ? "[secret]" : v),
  );

/**
 * The `--diff` text of one resource's planned update: the properties it marks as changed (`~`, `+`, `-` at the
 * resource's top level) and the whole block. The block starts at `~ <type>: (update)` with its URN on a
 * following line, so the refresh blocks `preview --refresh` prints first are not taken for it.
 */
function planned(text: string, name: string): { changed: string[]; block: string } {
  const lines = text.split("\n");
  const at = lines.findIndex(
    (l, i) => / \(update\)$/.test(l) && lines.slice(i + 1, i + 3).some((u) => u.trim().endsWith(`::${name}]`)),
  );
  if (at < 0) return { changed: [], block: "" };
  const indent = (l: string) => l.length - l.trimStart().length;
  const end = lines.findIndex((l, i) => i > at && l.trim() !== "" && indent(l) <= indent(lines[at]));
  const block = lines.slice(at, end < 0 ? undefined : end);
  // Top-level properties sit two columns right of the header's text; a change marker takes those two columns.
  const top = indent(lines[at]) + 2;
  const changed = block
    .filter((l) => indent(l) === top && /^[~+-] \w+\s*:/.test(l.trimStart()))
    .map((l) => l.trimStart().slice(2).split(/\s*:/)[0]);
  return { changed: changed.sort(), block: block.join("\n") };
}

beforeAll(async () => {
  const { config, secrets } = emulatorConfig(emulator());
  stack = await CliStack.create(emulator(), {
    stack: "day",
    config: {
      ...SANDBOX.config,
      ...config,
      "xtmm:waves": { "wave-1": { users: USERS, batch: {} } },
      "xtmm:readinessReportDir": REPORTS,
    },
    secrets,
  });
  before = snapshot(emulator());
});
afterAll(() => {
  stack?.dispose();
  fs.rmSync(REPORTS, { recursive: true, force: true });
});

describe("the engineer's day through the real Pulumi CLI", () => {
  test("up from nothing stages the wave and creates its batch, not started", async () => {
    await stack.up();
    for (const u of USERS) {
      const mu = byAddress(tenantOf(emulator(), "target"), u.replace("fabrikam", "contoso"));
      expect([u, mu?.RecipientTypeDetails, mu?.ExchangeGuid]).toEqual([
        u,
        "MailUser",
        byAddress(tenantOf(emulator(), "source"), u)!.ExchangeGuid,
      ]);
    }
    expect(x500s(byAddress(tenantOf(emulator(), "target"), "alexw@contoso.com"))).toHaveLength(2);
    expect(batch().map((b) => [b.Identity ?? b.Name, b.Status])).toEqual([["wave-1", "Stopped"]]);
  });

  test("the checkpoint: readiness waits for the MailUsers without naming them; a MailUser records no call stack", async () => {
    const resources = (await stack.export()).deployment.resources ?? [];
    const mailUsers = resources.filter((r) => r.type.endsWith(":MailUser"));
    expect(mailUsers).toHaveLength(USERS.length);
    const readiness = resources.find((r) => r.type.endsWith(":Readiness"))!;
    const named = [...(readiness.dependencies ?? []), ...Object.values(readiness.propertyDependencies ?? {}).flat()];
    expect(named.filter((u) => mailUsers.some((m) => m.urn === u))).toEqual([]);
    // It still ran after them: its report found each user's MailUser staged (no "not staged" finding).
    expect(JSON.stringify(readiness.outputs)).not.toMatch(/not staged|no MailUser/i);
    for (const m of mailUsers) {
      expect([m.sourcePosition, m.stackTrace ?? []]).toEqual([undefined, []]);
    }
    // The wave component itself still records where index.ts declared the pair.
    const wave = resources.find((r) => r.type === "xtmm:index:MigrationWave")!;
    expect((wave.stackTrace ?? []).some((f) => /^project:\/\/\/index\.ts#/.test(f.sourcePosition ?? ""))).toBe(true);
  });

  test("a state written by the earlier code (consents' inputs without the defaults check now records) previews as no change", async () => {
    const state = await stack.export();
    for (const r of state.deployment.resources ?? []) {
      if (!r.type.endsWith(":AdminConsent")) continue;
      expect(r.inputs).toMatchObject({
        mode: "grant",
        roles: ["Mailbox.Migration"],
        resourceAppId: "00000002-0000-0ff1-ce00-000000000000",
      });
      for (const k of ["mode", "roles", "resourceAppId"]) delete r.inputs![k];
    }
    const file = path.join(stack.dir, "earlier.json");
    fs.writeFileSync(file, JSON.stringify(state), { mode: 0o600 });
    await stack.ok(["stack", "import", "--file", file]);
    expect((resource(await stack.export(), "consent/source")!.inputs as Rec).roles).toBeUndefined();
    // The drift below is then found, shown and repaired on this state, and destroy ends it.
    await stack.ok(["preview", "--expect-no-changes"]);
  });

  test("drift made by hand: preview --refresh --diff, and refresh then preview --diff, name each drifted attribute, writing nothing", async () => {
    const sp = sourceSp(await appId());
    expect(assignmentsOf(sp.id)).toHaveLength(1);
    for (const k of assignmentsOf(sp.id)) tenantOf(emulator(), "source").directory.appRoleAssignments.delete(k);
    expect(targetRelationship().MailboxMoveCapability).toBe("Inbound");
    // The wrong direction set on the target side: the up adds Inbound back (and leaves a flag it did not set).
    targetRelationship().MailboxMoveCapability = "RemoteInbound";
    const alex = byAddress(tenantOf(emulator(), "target"), "alexw@contoso.com")!;
    const [removedX500, keptX500] = x500s(alex);
    alex.EmailAddresses = (alex.EmailAddresses as string[]).filter((a) => a !== removedX500);

    const expectNamed = (text: string) => {
      const consent = planned(text, "consent/source");
      const rel = planned(text, "relationship/target");
      const mu = planned(text, "mailuser/alexw@contoso.com");
      expect([consent.changed, rel.changed, mu.changed]).toEqual([["roles"], ["capabilities"], ["x500Addresses"]]);
      expect(consent.block).toMatch(/^\s*\+ \[0\]: "Mailbox\.Migration"$/m);
      expect(rel.block).toMatch(/^\s*\+ \[0\]: "Inbound"$/m);
      // The missing x500 is what the up adds, and nothing is taken away. (Pulumi diffs lists by position: with
      // the first x500 missing, the one still there shows as moving up a place.)
      const x500Lines = mu.block
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.includes("x500:/"));
      expect(x500Lines.filter((l) => l.includes(removedX500))).toEqual([
        expect.stringMatching(new RegExp(`^(\\+ \\[\\d\\]: |~ \\[\\d\\]: ".*" => )"${escape(removedX500)}"$`)),
      ]);
      expect(x500Lines.filter((l) => l.startsWith("-"))).toEqual([]);
    };

    let mark = emulator().requests.length;
    const stateBefore = await stack.export();
    // One command, writing neither the tenants nor the state: the refresh's findings, then the plan against them.
    const oneStep = await stack.ok(["preview", "--refresh", "--diff"]);
    expectNamed(oneStep.stdout);
    expect(oneStep.stdout).toMatch(/~ 4 to update/);
    expect(await stack.export()).toEqual(stateBefore);

    // Two commands: refresh records what it read (outputs, and the drifted inputs) in the state.
    const refresh = await stack.ok(["refresh", "--yes"]);
    expect(refresh.stdout).toMatch(/~ 3 updated/);
    const plan = await stack.ok(["preview", "--diff"]);
    expectNamed(plan.stdout);
    expect(changesOf(await stack.previewJson())).toEqual([
      "update consent/source",
      "update mailuser/alexw@contoso.com",
      "update readiness/wave-1",
      "update relationship/target",
    ]);
    expect(writesSince(emulator(), mark)).toEqual([]);

    // The next up repairs all three, with one write each.
    mark = emulator().requests.length;
    await stack.up();
    expect(writesSince(emulator(), mark).sort()).toEqual([
      "POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo",
      "Set-MailUser",
      "Set-OrganizationRelationship",
    ]);
    expect(assignmentsOf(sp.id)).toHaveLength(1);
    expect(String(targetRelationship().MailboxMoveCapability).split(/,\s*/).sort()).toEqual([
      "Inbound",
      "RemoteInbound",
    ]);
    expect(x500s(byAddress(tenantOf(emulator(), "target"), "alexw@contoso.com")).sort()).toEqual(
      [removedX500, keptX500].sort(),
    );
  });

  test("then the stack is quiet: up and refresh with --expect-no-changes pass, write nothing, and leave the inputs as they were", async () => {
    const mark = emulator().requests.length;
    await stack.ok(["up", "--yes", "--expect-no-changes"]);
    const settled = inputsOf(await stack.export());
    await stack.ok(["refresh", "--yes", "--expect-no-changes"]);
    // A refresh that finds no drift hands back no inputs: the engine keeps those of the last up.
    expect(inputsOf(await stack.export())).toEqual(settled);
    expect(writesSince(emulator(), mark)).toEqual([]);
  });

  test("a no-op preview lists the source's mailboxes once: SourceMailboxes and Readiness take the same listing", async () => {
    const mark = emulator().requests.length;
    await stack.ok(["preview", "--expect-no-changes"]);
    const { tenantId } = emulator().tenants.source;
    const sourceReads = emulator()
      .requests.slice(mark)
      .filter((r) => r.surface === "exchange" && r.path.toLowerCase().includes(tenantId) && r.cmdlet === "Get-Mailbox");
    expect(sourceReads).toHaveLength(1);
  });

  test("a user added by config: the plan adds exactly the new MailUser (and what the wave derives from its users); up stages it", async () => {
    await stack.setConfig(`xtmm:waves.wave-1.users[${USERS.length}]`, ADDED, { path: true });
    const mark = emulator().requests.length;
    // Besides the MailUser, what the wave derives from its users: the source read, the scope, the pre-flight, the
    // licences, and the batch (not started: its users are fixed at creation, so a new one replaces it).
    expect(changesOf(await stack.previewJson())).toEqual([
      "create mailuser/meganb@contoso.com",
      "replace batch/wave-1",
      "update licences/wave-1",
      "update readiness/wave-1",
      "update scoping-group",
      "update source-mailboxes/wave-1",
    ]);
    expect(writesSince(emulator(), mark)).toEqual([]);
    await stack.up();
    const megan = byAddress(tenantOf(emulator(), "target"), "meganb@contoso.com");
    expect([megan?.RecipientTypeDetails, megan?.ExchangeGuid]).toEqual([
      "MailUser",
      byAddress(tenantOf(emulator(), "source"), ADDED)!.ExchangeGuid,
    ]);
    expect(writesSince(emulator(), mark).filter((w) => w === "New-MailUser")).toHaveLength(1);
  });

  test("a user removed by config: the plan deletes its MailUser; up removes it and changes no source mailbox", async () => {
    const sourceBefore = snapshot(emulator()).source;
    await stack.ok(["config", "rm", "--path", `xtmm:waves.wave-1.users[${USERS.length}]`]);
    expect(changesOf(await stack.previewJson())).toEqual([
      "delete mailuser/meganb@contoso.com",
      "replace batch/wave-1",
      "update licences/wave-1",
      "update readiness/wave-1",
      "update scoping-group",
      "update source-mailboxes/wave-1",
    ]);
    const mark = emulator().requests.length;
    await stack.up();
    // Purged for good (a test pair): the MailUser, its Entra user from the bin, the soft-deleted MailUser.
    expect(writesSince(emulator(), mark).sort()).toEqual([
      "DELETE /v1.0/directory/deletedItems/{id}",
      "New-MigrationBatch",
      "POST /v1.0/users/{id}/assignLicense",
      "Remove-DistributionGroupMember",
      "Remove-MailUser",
      "Remove-MailUser",
      "Remove-MigrationBatch",
    ]);
    expect(exchangeWritesIn("source", mark)).toEqual(["Remove-DistributionGroupMember"]);
    expect(byAddress(tenantOf(emulator(), "target"), "meganb@contoso.com")).toBeUndefined();
    const sourceAfter = snapshot(emulator()).source;
    // Only the scoping group's membership changes in the source: every mailbox is as it was.
    expect(sourceAfter.directory).toEqual(sourceBefore.directory);
    const mailboxes = (s: typeof sourceAfter) =>
      Object.fromEntries(
        Object.entries(s.exchange.recipients as Record<string, Rec>).filter(
          ([, o]) => o.RecipientType === "UserMailbox",
        ),
      );
    expect(mailboxes(sourceAfter)).toEqual(mailboxes(sourceBefore));
  });

  test("the batch started by config: the plan updates only the batch; up starts it", async () => {
    await stack.setConfig("xtmm:waves.wave-1.batch.start", "true", { path: true });
    expect(changesOf(await stack.previewJson())).toEqual(["update batch/wave-1"]);
    const mark = emulator().requests.length;
    await stack.up();
    expect(writesSince(emulator(), mark)).toEqual(["Start-MigrationBatch"]);
    expect(batch().map((b) => [b.Identity ?? b.Name, b.TotalCount, b.Status])).toEqual([
      ["wave-1", USERS.length, expect.stringMatching(/^(Syncing|Synced)$/)],
    ]);
  });

  test("destroy leaves both tenants as they were before the first up, apart from what Microsoft keeps", async () => {
    const id = await appId();
    await stack.ok(["destroy", "--yes"]);
    expect((await stack.export()).deployment.resources ?? []).toEqual([]);
    const { after, was, binned } = afterDestroy(emulator(), before, id);
    expect(binned).toEqual(BINNED_APP);
    expect(after).toEqual(was);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
