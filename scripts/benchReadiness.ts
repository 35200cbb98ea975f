// The readiness part of the harness bench (issue 15): what the wave's pre-flight costs the first time, with
// its per-user reads (Get-MailboxStatistics, Get-User, Get-MailboxFolderStatistics of archives,
// Export-MailboxDiagnosticLogs HoldTracking while the organisation lists an organisation-wide policy), and
// when it runs again on the unchanged wave (a preview), which should reuse them all from `userChecks`.
//
// Readiness only reads per user when no organisation finding blocks the wave and the users are licensed, so
// the pair's own resources (app, consents, relationships, scope group with the wave's users, endpoint) and the
// wave's licences are first set up, untimed and without latency, by the real program (CrossTenantMigration
// through our player of the engine). The measured Readiness is then declared in the bench's own engine with
// the inputs components/waveBatches.ts gives it, so it has no earlier state: its first check reads everyone.
// Every figure is counted from the emulator's request log between marks.

import * as path from "node:path";
import type { Emulator } from "../emulator";
import { findTenant, type Rec } from "../emulator/model";
import { SEEDED_ORG_RETENTION_HOLD } from "../emulator/exchange/seed";
import { Engine, type ResourceState } from "../harness/engine";
import type { ProviderHost } from "../harness/providerHost";
import { declareResource, type DeclaredResource } from "../harness/declaredResource";
import { CrossTenantMigration } from "../components/crossTenantMigration";
import { digest, licensedTargets } from "../components/waveBatches";
import { Readiness } from "../providers/readiness";
import type { PlannedUser } from "../providers/staging/plan";
import { ProgramRunner } from "../harness/programRunner";
import { callsSince } from "./benchMeasure";

/** The cmdlets readiness calls once per user (perUserRead.ts); everything else it calls is a bulk read. */
export const PER_USER_CMDLETS = [
  "Get-MailboxStatistics",
  "Get-User",
  "Get-MailboxFolderStatistics",
  "Export-MailboxDiagnosticLogs",
];

export interface ReadinessBenchInput {
  emu: Emulator;
  host: ProviderHost;
  /** The bench's engine, holding the staged MailUsers. */
  engine: Engine;
  wave: string;
  users: PlannedUser[];
  /** The staged MailUsers' states, in the order of `users`. */
  mailUsers: ResourceState[];
  targetDomains: string[];
  deliveryDomain: string;
  latencyMs: number;
  concurrency: number;
  reportDir: string;
  /**
   * The source lists an organisation-wide retention policy (Get-OrganizationConfig's InPlaceHolds), so readiness
   * also reads each user mailbox's HoldTracking log. Set after the pair's set-up, so staging and licences are
   * those of the same wave.
   */
  orgWideHold?: boolean;
}

/** What one readiness check cost, from the emulator's request log since `mark`. */
export function readinessCost(emu: Emulator, mark: number, ms: number, latencyMs: number, concurrency: number) {
  const calls = callsSince(emu, mark);
  const perUser = (rs: typeof calls.all) => rs.filter((r) => r.cmdlet && PER_USER_CMDLETS.includes(r.cmdlet));
  // The two tenants' gates run in parallel, each at most `concurrency` calls at once; Graph calls count as one
  // latency when there are any (they are few and concurrent).
  const boundMs = Math.round(
    (Math.max(calls.source.length, calls.target.length) * latencyMs) / concurrency +
      (calls.graph.length > 0 ? latencyMs : 0),
  );
  return {
    ms,
    exchangeCalls: {
      source: calls.source.length,
      target: calls.target.length,
      sourceByCmdlet: calls.byCmdlet(calls.source),
      targetByCmdlet: calls.byCmdlet(calls.target),
    },
    graphCalls: calls.graph.length,
    graphByPath: calls.byCmdlet(calls.graph),
    perUserCalls: perUser(calls.exchange).length,
    perUserByCmdlet: calls.byCmdlet(perUser(calls.exchange)),
    // Export-MailboxDiagnosticLogs only reads, though callsSince counts every cmdlet but Get-/Test- as a write.
    writes: calls.writes.filter((r) => !(r.cmdlet && PER_USER_CMDLETS.includes(r.cmdlet))).length,
    lowerBoundMs: boundMs,
    lowerBound: `max(source ${calls.source.length}, target ${calls.target.length} Exchange calls) x ${latencyMs} ms / ${concurrency} per tenant${calls.graph.length > 0 ? ` + ${latencyMs} ms for ${calls.graph.length} Graph call(s)` : ""}`,
    ratioToLowerBound: boundMs > 0 ? +(ms / boundMs).toFixed(3) : undefined,
  };
}

export async function benchReadiness(
  input: ReadinessBenchInput,
  progress: (msg: string) => void,
): Promise<Record<string, unknown>> {
  const { emu, host, engine, wave, users, latencyMs, concurrency } = input;
  const n = users.length;
  emu.options.latencyMs = 0;

  // The pair's resources and the wave's licences, as the real program declares them (no batch: nothing moves).
  progress(`readiness: setting up the pair and licensing ${n} users (untimed, no latency)`);
  const target = findTenant(emu.state, emu.tenants.target.tenantId)!;
  const sku = target.directory.subscribedSkus.find((s) => /cross.?tenant/i.test(String(s.skuPartNumber)));
  if (!sku) throw new Error("bench: the emulated target has no Cross Tenant User Data Migration SKU");
  (sku.prepaidUnits as Rec).enabled = n + 10;
  const runner = new ProgramRunner(new Engine(host, { stack: "bench" }), { stack: "bench", timeoutMs: 24 * 3600_000 });
  await runner.up(() => {
    new CrossTenantMigration("pair", {
      source: { tenantId: emu.tenants.source.tenantId, domain: emu.tenants.source.domain },
      target: { tenantId: emu.tenants.target.tenantId, domain: emu.tenants.target.domain },
      waves: [{ name: wave, users }],
      targetDomains: input.targetDomains,
      targetDeliveryDomain: input.deliveryDomain,
      purgeStagedUsersOnDestroy: false,
      licences: { assign: "target", usageLocation: "US" },
      readinessReportDir: input.reportDir,
    });
  });
  const out = (name: string) => {
    const s = [...runner.engine.states.values()].find((x) => x.name === name);
    if (!s) throw new Error(`bench: the program did not create ${name}`);
    return s.outputs;
  };
  const assigned = ((out(`licences/${wave}`).assigned as { address: string }[]) ?? []).map((a) => a.address);
  const licensed = licensedTargets(users, "target", assigned);
  const org = {
    appId: String(out("migration-app").appId),
    scopeGroup: String(out("scoping-group").identity),
    endpointName: String(out("migration-endpoint").identity),
  };

  // The wave's Readiness as waveBatches.ts declares it: the refreshToken is a digest of the MailUsers' staged
  // outputs and the licences (its value does not matter, only that it is known: nothing is pending).
  const staged = input.mailUsers.map((s) => [s.outputs.identity, s.outputs.staged, s.outputs.held, s.outputs.migrated]);
  const readiness: DeclaredResource = await declareResource(
    () =>
      new Readiness(`readiness/${wave}`, {
        wave,
        users: users.map((u) => ({ source: u.sourceAddress, target: u.targetPrimary })),
        ...org,
        reportPath: path.join(input.reportDir, `bench-${wave}.md`),
        targetDeliveryDomain: input.deliveryDomain,
        refreshToken: digest([staged, assigned, [org.scopeGroup, org.endpointName]]),
        licensedByStack: licensed,
      }),
  );

  if (input.orgWideHold) {
    // The policy holds every mailbox it does not exclude; the wave's users are excluded from it, as readiness's
    // fix asks ("-<policy>" in the mailbox's InPlaceHolds), so they stay ready and their logs come back clean.
    const source = findTenant(emu.state, emu.tenants.source.tenantId)!;
    source.exchange.organizationConfig.InPlaceHolds = [SEEDED_ORG_RETENTION_HOLD];
    const wave = new Set(users.map((u) => u.sourceAddress.toLowerCase()));
    const exclusion = `-${SEEDED_ORG_RETENTION_HOLD.split(":")[0]}`;
    for (const { obj } of source.exchange.recipients.values())
      if (wave.has(String(obj.PrimarySmtpAddress).toLowerCase()))
        obj.InPlaceHolds = [...((obj.InPlaceHolds as string[] | undefined) ?? []), exclusion];
  }
  progress(`readiness: first check of ${n} users at ${latencyMs} ms per call`);
  emu.options.latencyMs = latencyMs;
  let mark = emu.requests.length;
  let t = Date.now();
  const first = await engine.up(readiness);
  const firstCost = readinessCost(emu, mark, Date.now() - t, latencyMs, concurrency);
  const summary = first.state.outputs.summary as Record<string, number>;

  progress("readiness: preview of the unchanged wave");
  mark = emu.requests.length;
  t = Date.now();
  const again = await engine.preview(readiness);
  const againCost = readinessCost(emu, mark, Date.now() - t, latencyMs, concurrency);
  emu.options.latencyMs = 0;
  const archives = users.length > 0 ? (firstCost.perUserByCmdlet["Get-MailboxFolderStatistics"] ?? 0) : 0;
  return {
    users: n,
    orgWideRetentionPolicy: !!input.orgWideHold,
    summary,
    note: `readiness's check does all the work (the engine calls it at up and at preview); the first is the up that creates it, the repeat a preview with the first's state. ${archives} users have an archive; the source ${input.orgWideHold ? "lists an" : "lists no"} organisation-wide retention policy, so HoldTracking logs are ${firstCost.perUserByCmdlet["Export-MailboxDiagnosticLogs"] ? "read (the wave's users are excluded from it)" : "not read"}`,
    first: firstCost,
    repeatedUnchanged: { ...againCost, step: again.op, expectedPerUserCalls: 0 },
  };
}
