// The engineer's day (issue 6), played through the real dynamic-provider host against one emulated pair:
// the whole program (CrossTenantMigration with one wave) is run by ProgramRunner in the engine's order.
// preview (check and diff only, nothing written) -> up -> up again (nothing changes, nothing written) ->
// drift made by hand in the emulator (source consent revoked, the target relationship disabled, an x500
// removed from a staged MailUser), found by refresh and repaired by up -> users added to the wave -> one user
// migrated by a real migration batch -> a user removed from the wave -> destroy, after which both tenants
// hold what they held before, apart from the migrated mailbox. engineers-day-faults.test.ts plays the same
// day with the emulator's fault knobs on.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { useEmulator, tenantOf } from "./support/emulator";
import { Engine } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import { ProgramRunner, type RunResult, type Step } from "../harness/programRunner";
import { UNKNOWN } from "../harness/providerHost";
import { binnedApp, dropBinnedApp, snapshot, type Snapshot } from "./support/tenantSnapshot";
import { CrossTenantMigration } from "../components/crossTenantMigration";
import { planUsers } from "../providers/staging/plan";
import { createTenantClient } from "../providers/tenant";
import { emulatorTenantSettings } from "./support/emulator";
import { licenseForMigration } from "../emulator/exchange/fixtures";
import { type Rec, type TenantState } from "../emulator/model";
import type { Emulator } from "../emulator";
import { NO_FAULTS, type FaultSpec } from "../emulator/options";
import { DEFAULT_EXCHANGE_KNOBS } from "../emulator/exchange/knobs";
import { FAKE_PWSH } from "../emulator/fakePwsh";
import { PAIR_RESOURCES } from "./support/pairResources";
import { expectNoSecrets } from "./support/secrets";

export interface DayOptions {
  /** The emulator's fault knobs for the whole day; exact request accounting is only asserted without them. */
  faults?: Partial<FaultSpec>;
}
const FIRST_WAVE = ["adelev@fabrikam.com", "alexw@fabrikam.com", "meganb@fabrikam.com"];
// isaiahl carries two x500s from earlier moves; diegos is on litigation hold, so his MailUser is held.
const ADDED = ["isaiahl@fabrikam.com", "diegos@fabrikam.com"];

const short = (s: Step | string) => (typeof s === "string" ? s : s.urn).split("::").pop()!;
const ops = (r: RunResult) => Object.fromEntries(r.steps.map((s) => [short(s), s.op]));
/** Whether `first`'s change had finished before `then`'s began, by the runner's log. */
const finishedBefore = (log: string[], first: string, then: string) => {
  const done = log.findIndex((l) => l.startsWith("done ") && short(l) === first);
  const start = log.findIndex((l) => l.startsWith("start ") && short(l) === then);
  return done >= 0 && start >= 0 && done < start;
};
const changed = (r: RunResult) =>
  r.steps
    .filter((s) => s.op !== "same")
    .map((s) => `${s.op} ${short(s)}`)
    .sort();

/** Requests that change a tenant: Exchange cmdlets other than Get-*, Graph calls other than GET. */
export function writesSince(e: Emulator, mark: number): string[] {
  return e.requests
    .slice(mark)
    .filter(
      (r) =>
        (r.surface === "exchange" && r.cmdlet !== undefined && !/^Get-/i.test(r.cmdlet)) ||
        (r.surface === "graph" && r.method !== "GET"),
    )
    .map((r) => (r.surface === "exchange" ? `${r.cmdlet}` : `${r.method} ${r.path.replace(/[0-9a-f-]{36}/g, "{id}")}`));
}

export function describeEngineersDay(title: string, opts: DayOptions = {}): void {
  describe(title, () => {
    const exact = opts.faults === undefined;
    // Moves take 150 ms per phase here rather than hours.
    const emulator = useEmulator({
      exchange: { ...DEFAULT_EXCHANGE_KNOBS, migrationPhaseMs: 150 },
      faults: { ...NO_FAULTS, ...opts.faults },
    });
    const providerHost = useProviderHost(emulator, { config: { pwshPath: FAKE_PWSH } });
    let runner: ProgramRunner;
    let wave = [...FIRST_WAVE];
    let targetDomain = "contoso.com";
    let before: Snapshot;
    const migrated = new Set<string>();
    let appId = "";
    let appSecrets: string[] = [];
    const appIdInState = () =>
      String(
        runner.engine.states.get(
          runner.engine.urn({ type: "pulumi-nodejs:dynamic/xtmm:MigrationApp", name: "migration-app" }),
        )?.outputs.appId,
      );
    const reports = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-day-"));
    afterAll(() => fs.rmSync(reports, { recursive: true, force: true }));

    const program = () => {
      const e = emulator();
      const { users, failures } = planUsers(
        wave.map((source) => ({ source })),
        { "fabrikam.com": targetDomain },
      );
      if (failures.length > 0) throw new Error(JSON.stringify(failures));
      const pair = new CrossTenantMigration("pair", {
        source: { tenantId: e.tenants.source.tenantId, domain: e.tenants.source.domain },
        target: { tenantId: e.tenants.target.tenantId, domain: e.tenants.target.domain },
        waves: [{ name: "wave-1", users }],
        targetDomains: [targetDomain],
        // A test pair: staged users are removed for good, so destroy leaves no soft-deleted MailUser behind.
        purgeStagedUsersOnDestroy: true,
        // Readiness reports go to a temporary directory, never into the checkout.
        readinessReportDir: reports,
      });
      return {
        consentUrl: pair.consentUrl,
        endpointName: pair.endpointName,
        targetDeliveryDomain: pair.targetDeliveryDomain,
        waves: pair.wavesState,
        readiness: pair.readinessState,
      };
    };
    const waveState = (r: RunResult) =>
      Object.fromEntries(
        (r.outputs.waves as Record<string, Rec[]>)["wave-1"].map((u) => [String(u.source), String(u.state)]),
      );

    beforeAll(() => {
      runner = new ProgramRunner(new Engine(providerHost()));
      before = snapshot(emulator());
    });

    test("preview is the change plan: check and diff only, nothing written", async () => {
      const e = emulator();
      const [mark, calls] = [e.requests.length, runner.engine.calls.length];
      const plan = await runner.preview(program);
      expect(Object.values(ops(plan)).every((op) => op === "create")).toBe(true);
      expect(Object.keys(ops(plan)).sort()).toEqual(
        [
          ...PAIR_RESOURCES,
          "source-mailboxes/wave-1",
          "readiness/wave-1",
          ...FIRST_WAVE.map((a) => `mailuser/${a.replace("fabrikam", "contoso")}`),
        ].sort(),
      );
      expect(runner.engine.calls.slice(calls).every((c) => /^(check|diff) /.test(c))).toBe(true);
      // What is an input is known at preview; what only Microsoft can say is not.
      expect(plan.outputs).toMatchObject({
        endpointName: "migration-from-fabrikam",
        targetDeliveryDomain: "contoso.onmicrosoft.com",
        consentUrl: UNKNOWN,
      });
      expect(writesSince(e, mark)).toEqual([]);
      expect(runner.engine.states.size).toBe(0);
      expect(snapshot(e)).toEqual(before);
    });

    test("a domain the target does not own is refused at preview, by name, with nothing written", async () => {
      const e = emulator();
      const mark = e.requests.length;
      targetDomain = "contoso.org";
      try {
        const err: Error = await runner.preview(program).then(
          () => new Error("preview passed"),
          (x: Error) => x,
        );
        expect(err.message).toMatch(/^preview failed:\n.*source-mailboxes\/wave-1: check failed:[\s\S]*contoso\.org/);
      } finally {
        targetDomain = "contoso.com";
      }
      expect(writesSince(e, mark)).toEqual([]);
      expect(runner.engine.states.size).toBe(0);
    });

    test("up converges both tenants and stages the wave, in Microsoft's order", async () => {
      const log = runner.log.length;
      const up = await runner.up(program);
      expect(new Set(Object.values(ops(up)))).toEqual(new Set(["create"]));
      // A create starts only once what it depends on exists (the SDK registers it after its dependencies).
      const order: Array<[string, string]> = [
        ["migration-app", "consent/target"],
        ["migration-app", "consent/source"],
        ["consent/source", "migration-endpoint"],
        ["consent/target", "migration-endpoint"],
        ["organization-customization/target", "relationship/target"],
        ["organization-customization/source", "scoping-group"],
        ["scoping-group", "relationship/source"],
        ["consent/source", "relationship/source"],
        ["migration-endpoint", "migration-app/secret-retirement"],
        ["source-mailboxes/wave-1", "scoping-group"],
        ...FIRST_WAVE.map((a): [string, string] => [
          "migration-endpoint",
          `mailuser/${a.replace("fabrikam", "contoso")}`,
        ]),
        // The pre-flight runs on what this up made: staged users, the scope, both relationships, the endpoint.
        ...FIRST_WAVE.map((a): [string, string] => [
          `mailuser/${a.replace("fabrikam", "contoso")}`,
          "readiness/wave-1",
        ]),
        ["scoping-group", "readiness/wave-1"],
        ["relationship/source", "readiness/wave-1"],
        ["relationship/target", "readiness/wave-1"],
      ];
      for (const [first, then] of order)
        expect([first, then, finishedBefore(runner.log.slice(log), first, then)]).toEqual([first, then, true]);
      expect(waveState(up)).toEqual(Object.fromEntries(FIRST_WAVE.map((a) => [a, "staged"])));
      // The organisation is ready; nobody holds the migration licence yet (the stack assigns none unless asked).
      const readiness = (up.outputs.readiness as Record<string, Rec>)["wave-1"];
      expect(readiness.summary).toEqual({ users: 3, ready: 0, blocked: 3, pending: 0, moved: 0, warnings: 0 });
      expect(readiness.licences).toMatchObject({ needed: 3 });
      expect(fs.readFileSync(String(readiness.report), "utf8")).toMatch(/^# Readiness of wave wave-1/);
      expect(String(up.outputs.consentUrl)).toMatch(/adminconsent\?client_id=/);
      expect(tenantOf(emulator(), "target").exchange.organizationConfig.IsDehydrated).toBe(false);
      expect(membersOf(tenantOf(emulator(), "source"), "migration-to-contoso")).toEqual(FIRST_WAVE);
      // The app's client secret exists now; it must never reach a log, an error or a plain output.
      appSecrets = [...tenantOf(emulator(), "target").directory.secretValues.values()]
        .flatMap((m) => [...m.values()])
        .filter((v) => v !== emulator().tenants.target.clientSecret);
      expect(appSecrets).toHaveLength(1);
      expectNoSecrets(JSON.stringify(up.outputs), appSecrets, "the outputs");
      // The app's secret reaches the endpoint as a secret (so the engine would encrypt it in the endpoint's state).
      expect(up.steps.find((st) => short(st) === "migration-endpoint")?.secretInputs).toEqual(["clientSecret"]);
      expect(up.secretOutputs).toEqual([]);
      const adele = recipient(tenantOf(emulator(), "target"), "adelev@contoso.com");
      expect(adele).toMatchObject({
        RecipientTypeDetails: "MailUser",
        ExchangeGuid: recipient(tenantOf(emulator(), "source"), "adelev@fabrikam.com").ExchangeGuid,
      });
    });

    test("a second up changes nothing and writes nothing", async () => {
      const e = emulator();
      const [mark, calls] = [e.requests.length, runner.engine.calls.length];
      const again = await runner.up(program);
      expect(changed(again)).toEqual([]);
      expect(runner.engine.calls.slice(calls).filter((c) => !/^(check|diff) /.test(c))).toEqual([]);
      expect(writesSince(e, mark)).toEqual([]);
    });

    test("drift made by hand is found by refresh and repaired by up", async () => {
      const e = emulator();
      appId = appIdInState();
      // The source administrator removes the app's permission; someone disables the target relationship;
      // someone edits a staged MailUser's addresses.
      const src = tenantOf(emulator(), "source");
      const sp = [...src.directory.servicePrincipals.values()].find((s) => s.obj.appId === appId)!;
      for (const [k, a] of src.directory.appRoleAssignments)
        if (a.obj.principalId === sp.obj.id) src.directory.appRoleAssignments.delete(k);
      const rel = [...tenantOf(emulator(), "target").exchange.organizationRelationships.values()][0].obj;
      rel.Enabled = false;
      const adele = recipient(tenantOf(emulator(), "target"), "adelev@contoso.com");
      const x500s = (adele.EmailAddresses as string[]).filter((a) => /^x500:/i.test(a));
      adele.EmailAddresses = (adele.EmailAddresses as string[]).filter((a) => a !== x500s[0]);

      const refreshed = await runner.refresh();
      const drift = [...refreshed]
        .filter(([, r]) => r.op !== "same")
        .map(([u, r]) => `${r.op} ${short(u)}`)
        .sort();
      expect(drift).toEqual(["drift consent/source", "drift mailuser/adelev@contoso.com", "drift relationship/target"]);

      // The change plan an engineer reviews after the refresh, still writing nothing.
      let mark = e.requests.length;
      const planned = await runner.preview(program);
      // Readiness shows what it sees now (the missing x500, the disabled relationship), pending this run's repairs.
      expect(changed(planned)).toEqual([
        "update consent/source",
        "update mailuser/adelev@contoso.com",
        "update readiness/wave-1",
        "update relationship/target",
      ]);
      expect(writesSince(e, mark)).toEqual([]);
      mark = e.requests.length;
      const repaired = await runner.up(program);
      expect(changed(repaired)).toEqual([
        "update consent/source",
        "update mailuser/adelev@contoso.com",
        "update relationship/target",
      ]);
      if (exact)
        expect(writesSince(e, mark).sort()).toEqual([
          "POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo",
          "Set-MailUser",
          "Set-OrganizationRelationship",
        ]);
      expect(rel.Enabled).toBe(true);
      expect(recipient(tenantOf(emulator(), "target"), "adelev@contoso.com").EmailAddresses).toEqual(
        expect.arrayContaining(x500s),
      );
      expect([...src.directory.appRoleAssignments.values()].some((a) => a.obj.principalId === sp.obj.id)).toBe(true);
      expect(
        [...(await runner.refresh())]
          .filter(([, r]) => r.op !== "same")
          .map(([u, r]) => [short(u), r.op, { ...r.state?.outputs, __provider: "…" }]),
      ).toEqual([]);
    });

    test("users added to the wave: their MailUsers, the scoping group grows; a held user writes nothing", async () => {
      wave = [...FIRST_WAVE, ...ADDED];
      const expected = [
        "create mailuser/diegos@contoso.com",
        "create mailuser/isaiahl@contoso.com",
        "update readiness/wave-1",
        "update scoping-group",
        "update source-mailboxes/wave-1",
      ];
      const plan = await runner.preview(program);
      // The source relationship names the scoping group by its declared name, so a membership change leaves
      // it out of the plan.
      expect(changed(plan)).toEqual(expected);
      const mark = emulator().requests.length;
      const up = await runner.up(program);
      expect(changed(up)).toEqual(expected);
      if (exact)
        expect(writesSince(emulator(), mark).sort()).toEqual([
          "Add-DistributionGroupMember",
          "New-MailUser",
          "Set-MailUser",
        ]);
      expect(waveState(up)).toMatchObject({ "isaiahl@fabrikam.com": "staged", "diegos@fabrikam.com": "held" });
      // A source on litigation hold may not move: not in the scope, no MailUser.
      expect(membersOf(tenantOf(emulator(), "source"), "migration-to-contoso")).toEqual(
        [...FIRST_WAVE, "isaiahl@fabrikam.com"].sort(),
      );
      expect(recipientOrUndefined(tenantOf(emulator(), "target"), "diegos@contoso.com")).toBeUndefined();
      const isaiah = recipient(tenantOf(emulator(), "target"), "isaiahl@contoso.com");
      expect((isaiah.EmailAddresses as string[]).filter((a) => /^x500:/i.test(a))).toHaveLength(3);
    });

    test("a migrated user changes nothing: the next up is a no-op, the wave reports it migrated", async () => {
      await migrate(emulator(), "meganb@contoso.com", String((await runner.up(program)).outputs.endpointName));
      migrated.add(String(recipient(tenantOf(emulator(), "target"), "meganb@contoso.com").ExchangeGuid));
      expect(recipient(tenantOf(emulator(), "target"), "meganb@contoso.com").RecipientTypeDetails).toBe("UserMailbox");
      const mark = emulator().requests.length;
      // Only the pre-flight notices (the user is moved now); no tenant is written.
      expect(changed(await runner.up(program))).toEqual(["update readiness/wave-1"]);
      expect(writesSince(emulator(), mark)).toEqual([]);
      await runner.refresh();
      const up = await runner.up(program);
      expect(changed(up)).toEqual([]);
      expect(waveState(up)["meganb@fabrikam.com"]).toBe("migrated");
    });

    test("a user removed from the wave: the MailUser goes, and leaves the scoping group", async () => {
      wave = wave.filter((a) => a !== "alexw@fabrikam.com");
      const mark = emulator().requests.length;
      const up = await runner.up(program);
      // Purged for good (a test pair): the MailUser, its Entra user from the bin, the soft-deleted MailUser.
      if (exact) {
        expect(writesSince(emulator(), mark).sort()).toEqual([
          "DELETE /v1.0/directory/deletedItems/{id}",
          "Remove-DistributionGroupMember",
          "Remove-MailUser",
          "Remove-MailUser",
        ]);
      }
      expect(changed(up)).toEqual([
        "delete mailuser/alexw@contoso.com",
        "update readiness/wave-1",
        "update scoping-group",
        "update source-mailboxes/wave-1",
      ]);
      expect(recipientOrUndefined(tenantOf(emulator(), "target"), "alexw@contoso.com")).toBeUndefined();
      expect(membersOf(tenantOf(emulator(), "source"), "migration-to-contoso")).not.toContain("alexw@fabrikam.com");
    });

    test("destroy runs backwards and leaves both tenants as they were, apart from the migrated mailbox", async () => {
      const log = runner.log.length;
      appId = appIdInState();
      await runner.destroy();
      expect(runner.engine.states.size).toBe(0);
      for (const [first, then] of [
        ["mailuser/meganb@contoso.com", "migration-endpoint"],
        ["migration-endpoint", "consent/source"],
        ["consent/target", "migration-app"],
        ["relationship/source", "scoping-group"],
        ["relationship/target", "organization-customization/target"],
        ["migration-app/secret-retirement", "migration-endpoint"],
      ]) {
        expect([first, then, finishedBefore(runner.log.slice(log), first, then)]).toEqual([first, then, true]);
      }
      // The moved user's mailbox holds mail now: left in place, with a warning naming it.
      expect(recipient(tenantOf(emulator(), "target"), "meganb@contoso.com").RecipientTypeDetails).toBe("UserMailbox");
      await providerHost().waitForOutput(
        "MailUser meganb@contoso.com has moved ('meganb' is a UserMailbox holding the user's mail): left in place, not deleted.",
      );
      expectNoSecrets(providerHost().output(), appSecrets, "the provider host's console");
      const after = snapshot(emulator(), migrated);
      const was = snapshot(emulator(), migrated, before);
      // Entra keeps a deleted application and service principal in its recycle bin for 30 days, then purges
      // them; they are not live objects (no sign-in, no permission, not found by a later up, which makes a new
      // app). The bin may hold exactly the stack's app and its two service principals, nothing else: the
      // staged users' Entra objects were purged (purgeStagedUsersOnDestroy) and are compared in full.
      const binned = (label: "source" | "target") => binnedApp(after, label, appId);
      expect(
        binned("target")
          .map(([, o]) => o["@odata.type"])
          .sort(),
      ).toEqual(["#microsoft.graph.application", "#microsoft.graph.servicePrincipal"]);
      expect(binned("source").map(([, o]) => o["@odata.type"])).toEqual(["#microsoft.graph.servicePrincipal"]);
      dropBinnedApp(after, appId);
      // Exchange cannot dehydrate an organization again (OrganizationCustomization's delete says so).
      expect(after.target.exchange.organizationConfig).toEqual({
        ...(was.target.exchange.organizationConfig as Rec),
        IsDehydrated: false,
      });
      after.target.exchange.organizationConfig = was.target.exchange.organizationConfig;
      expect(after).toEqual(was);
    });
  });
}

function recipientOrUndefined(t: TenantState, address: string): Rec | undefined {
  const a = address.toLowerCase();
  return [...t.exchange.recipients.values()]
    .map((s) => s.obj)
    .find((o) => String(o.PrimarySmtpAddress).toLowerCase() === a);
}

function recipient(t: TenantState, address: string): Rec {
  const r = recipientOrUndefined(t, address);
  if (!r) throw new Error(`no recipient ${address} in ${t.label}`);
  return r;
}

function membersOf(t: TenantState, name: string): string[] {
  const g = [...t.exchange.recipients.values()].map((s) => s.obj).find((o) => String(o.Name).toLowerCase() === name)!;
  return (g.__members as string[])
    .map((id) => String(t.exchange.recipients.get(id.toLowerCase())!.obj.PrimarySmtpAddress).toLowerCase())
    .sort();
}

/** What the engineer does next with a staged user: licence it, move it with a batch, remove the finished batch. */
async function migrate(e: Emulator, targetAddress: string, endpoint: string): Promise<void> {
  // The engineer's own moves are not under test: faults are off while the batch runs.
  const faults = { ...e.options.faults };
  e.setFaults({ throttleRate: 0, unavailableRate: 0, lostResponseRate: 0, replicationMs: 0, consentPropagationMs: 0 });
  try {
    await moveOne(e, targetAddress, endpoint);
  } finally {
    e.setFaults(faults);
  }
}

async function moveOne(e: Emulator, targetAddress: string, endpoint: string): Promise<void> {
  const target = tenantOf(e, "target");
  licenseForMigration(target, String(recipient(target, targetAddress).ExternalDirectoryObjectId));
  const exo = createTenantClient(emulatorTenantSettings(e, "target"), {
    exchange: { baseDelayMs: 5, maxDelayMs: 50 },
  }).exchange;
  const csv = Buffer.from(`EmailAddress\n${targetAddress}\n`).toString("base64");
  await exo.invoke("New-MigrationBatch", {
    Name: "day-1",
    SourceEndpoint: endpoint,
    TargetDeliveryDomain: "contoso.onmicrosoft.com",
    CSVData: csv,
  });
  await exo.invoke("Start-MigrationBatch", { Identity: "day-1" });
  const status = async () => String((await exo.invoke("Get-MigrationBatch", { Identity: "day-1" })).value[0]?.Status);
  const until = async (want: RegExp) => {
    for (let i = 0; i < 100 && !want.test(await status()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await status()).toMatch(want);
  };
  await until(/^Synced$/);
  await exo.invoke("Complete-MigrationBatch", { Identity: "day-1", Confirm: false });
  await until(/^Completed$/);
  await exo.invoke("Remove-MigrationBatch", { Identity: "day-1", Confirm: false });
}

// The faults variant imports describeEngineersDay; only this file's own run plays the day without faults.
if (expect.getState().testPath === __filename) describeEngineersDay("the engineer's day");
