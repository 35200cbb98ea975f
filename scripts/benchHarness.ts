// The bench through our player of the engine's calls (`npm run bench`, the default `--engine harness`):
// Pulumi's real dynamic-provider host (one host process, as the engine runs every dynamic resource of a stack)
// against the emulated tenant pair with injected latency. Step generation (check, diff) one resource at a time,
// the steps themselves (create, read) concurrently: a baseline of Microsoft's one-call-per-attribute approach,
// staging a wave, a no-change preview, a refresh, and the state each staged user takes.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { startEmulator } from "../emulator";
import { emulatorStackConfig } from "../emulator/stackConfig";
import { startProviderHost, type ProviderHost } from "../harness/providerHost";
import { Engine } from "../harness/engine";
import { declareResource, type DeclaredResource } from "../harness/declaredResource";
import { planUsers, type PlannedUser } from "../providers/staging/plan";
import { SourceMailboxes, type SourceMailbox } from "../providers/sourceMailboxes";
import { tableRecords } from "../providers/recordTable";
import { MailUser } from "../providers/mailUser";
import { sameJson } from "../providers/checkedRecord";
import { mailUserInputs, plannedInputs } from "../components/migrationWave";
import { createTenantClient, hashtable } from "../providers/tenant";
import { readTenantSettings } from "../providers/tenant/settings";
import { FAKE_PWSH } from "../emulator/fakePwsh";
import { average, callsSince, checkpointBytes, hostPid, memoryKb, sealed } from "./benchMeasure";
import { benchReadiness } from "./benchReadiness";

const ROOT = path.resolve(__dirname, "..", "..");
const SOURCE_DOMAIN = "fabrikam.com"; // the seeded source's custom domain (emulator/graph/seed.ts)
const TARGET_DOMAINS = ["contoso.com", "contoso.onmicrosoft.com"];
const DELIVERY_DOMAIN = "contoso.onmicrosoft.com";
/** A user's MailUser inputs as the wave component builds them. */
const inputsOf = (u: PlannedUser, mailbox: SourceMailbox) =>
  mailUserInputs(
    plannedInputs(u, { targetDeliveryDomain: DELIVERY_DOMAIN, purgeStagedUsersOnDestroy: false }),
    u,
    mailbox,
  );

const user = (i: number) => `user${String(i).padStart(5, "0")}@${SOURCE_DOMAIN}`;

export interface HarnessBenchOptions {
  users: number;
  latencyMs: number;
  concurrency: number;
  /** Users of the baseline, staged one call per attribute (at most `users`). */
  sample: number;
  /** The source lists an organisation-wide retention policy for the readiness part (HoldTracking reads). */
  orgWideHold?: boolean;
}

export async function benchHarness(
  opts: HarnessBenchOptions,
  progress: (msg: string) => void,
): Promise<Record<string, unknown>> {
  const { users: n, latencyMs, concurrency, sample } = opts;
  const holdFlag = opts.orgWideHold ? " --org-wide-hold" : "";

  // Wave users first, then the baseline's sample: distinct mailboxes, so neither run adopts the other's objects.
  const emu = await startEmulator({ mailboxes: n + sample, latencyMs: 0 });
  // pwshPath: the readiness part sets up the pair, whose migration endpoint is made through PowerShell.
  const config = emulatorStackConfig(emu, { exchangeConcurrency: String(concurrency), pwshPath: FAKE_PWSH });
  // Compiled, this file lives in dist/scripts: the shims must load dist/providers from the checkout root.
  const host: ProviderHost = await startProviderHost({
    caFile: emu.caFile,
    env: { XTMM_ROOT: ROOT },
    callTimeoutMs: 24 * 3600_000,
  });
  const pid = hostPid();
  const engine = new Engine(host, { stack: "bench" });
  try {
    await host.configure(config);
    const plan = (from: number, count: number): PlannedUser[] => {
      const { users, failures } = planUsers(
        Array.from({ length: count }, (_, k) => ({ source: user(from + k) })),
        { [SOURCE_DOMAIN]: "contoso.com" },
      );
      if (failures.length) throw new Error(`bench plan: ${JSON.stringify(failures)}`);
      return users;
    };
    const waveUsers = plan(1, n);
    const sampleUsers = plan(n + 1, sample);
    const sourceMailboxes = (wave: string, users: PlannedUser[]) =>
      declareResource(
        () =>
          new SourceMailboxes(`source-mailboxes/${wave}`, {
            wave,
            users,
            targetDomains: TARGET_DOMAINS,
            targetDeliveryDomain: DELIVERY_DOMAIN,
          }),
      );

    // 1. Baseline: Microsoft's sample approach, one Set-MailUser per attribute, sequential, on the same attributes.
    progress(`baseline: ${sample} users, one call per attribute, sequentially`);
    const sampleWave = await sourceMailboxes("baseline", sampleUsers);
    const sampleRead = await engine.up(sampleWave); // untimed: the sample script works from an exported CSV
    const target = createTenantClient(readTenantSettings((k) => config[`xtmm:${k}`], "target")).exchange;
    emu.options.latencyMs = latencyMs;
    let mark = emu.requests.length;
    let t = Date.now();
    for (const [i, u] of sampleUsers.entries()) {
      const a = inputsOf(u, (tableRecords(sampleRead.state.outputs.mailboxes) as SourceMailbox[])[i]);
      await target.invoke("New-MailUser", {
        Name: a.name,
        Alias: a.alias,
        DisplayName: a.displayName,
        FirstName: a.firstName,
        LastName: a.lastName,
        PrimarySmtpAddress: a.targetPrimary,
        ExternalEmailAddress: a.externalEmailAddress,
        MicrosoftOnlineServicesID: a.userPrincipalName,
        Password: randomBytes(18).toString("base64") + "aA1!",
      });
      await target.invoke("Set-MailUser", { Identity: a.targetPrimary, ExchangeGuid: a.exchangeGuid });
      if (a.archiveGuid) await target.invoke("Set-MailUser", { Identity: a.targetPrimary, ArchiveGuid: a.archiveGuid });
      for (const x500 of [...a.x500Addresses, `smtp:${a.deliveryAddress}`]) {
        await target.invoke("Set-MailUser", { Identity: a.targetPrimary, EmailAddresses: hashtable({ add: [x500] }) });
      }
    }
    const baselineMs = Date.now() - t;
    const baselineCalls = callsSince(emu, mark).target.length;
    emu.options.latencyMs = 0;
    for (const u of sampleUsers) await target.invoke("Remove-MailUser", { Identity: u.targetPrimary, Confirm: false });
    await engine.destroy(sampleWave);

    // 2. Staging the wave, as `pulumi up` does it: SourceMailboxes (check = the bulk read), then every MailUser.
    progress(`staging ${n} users at ${latencyMs} ms per call, exchangeConcurrency ${concurrency}`);
    const wave = await sourceMailboxes("bench", waveUsers);
    emu.options.latencyMs = latencyMs;
    mark = emu.requests.length;
    t = Date.now();
    const read = await engine.up(wave);
    const readMs = Date.now() - t;
    const sourceCalls = callsSince(emu, mark);
    const mailboxes = tableRecords(read.state.outputs.mailboxes) as SourceMailbox[];
    const template = await declareResource(
      () => new MailUser(`mailuser/${waveUsers[0].targetPrimary}`, inputsOf(waveUsers[0], mailboxes[0])),
    );
    // Every MailUser shares the shim text; inputs exactly as the component builds them (checked on the first).
    const declared: DeclaredResource[] = waveUsers.map((u, i) => ({
      type: template.type,
      name: `mailuser/${u.targetPrimary}`,
      inputs: {
        __provider: template.inputs.__provider,
        ...inputsOf(u, mailboxes[i]),
      },
    }));
    if (!sameJson(declared[0].inputs, template.inputs))
      throw new Error("bench: MailUser inputs differ from what the class declares");
    const markUsers = emu.requests.length;
    const steps: Promise<unknown>[] = [];
    for (const r of declared) steps.push(engine.apply(r, await engine.plan(r)));
    const staged = await Promise.all(steps);
    const stagingMs = Date.now() - t;
    const stagingCalls = callsSince(emu, markUsers);
    const heldCount = mailboxes.filter((m) => m.state === "blocked").length;
    const stagedCount = staged.length - heldCount;

    // 3. A preview with no change: step generation only.
    progress("no-change preview");
    mark = emu.requests.length;
    t = Date.now();
    const previewOps: Record<string, number> = {};
    const count = (op: string) => (previewOps[op] = (previewOps[op] ?? 0) + 1);
    count((await engine.preview(wave)).op);
    for (const r of declared) count((await engine.preview(r)).op);
    const previewMs = Date.now() - t;
    const previewCalls = callsSince(emu, mark);

    // 4. Refresh of the unchanged stack: every read at once, as the engine issues them.
    progress("refresh");
    mark = emu.requests.length;
    t = Date.now();
    const refreshed = await Promise.all([wave, ...declared].map((r) => engine.refresh(r)));
    const refreshMs = Date.now() - t;
    const refreshCalls = callsSince(emu, mark);

    // 5. State size, as the checkpoint stores it.
    const waveState = engine.state(wave)!;
    const userBytes = declared.map((r) =>
      checkpointBytes(engine.state(r)!, ["password"], "urn:pulumi:bench::xtmm::xtmm:index:MigrationWave::bench", [
        waveState.urn,
      ]),
    );
    const outputBytes = declared.map((r) => {
      const { __provider: _p, ...outputs } = sealed(engine.state(r)!.outputs, ["password"]);
      return Buffer.byteLength(JSON.stringify(outputs));
    });
    const waveBytes = checkpointBytes(waveState, [], "urn:pulumi:bench::xtmm::xtmm:index:MigrationWave::bench", []);
    const providerBytes = Buffer.byteLength(String(template.inputs.__provider));

    // The peak of the staging steps above (the readiness part below sets up the whole pair in the same host).
    const peakKb = memoryKb(pid, "VmHWM");

    // 6. Readiness of the staged wave: the first check, then a preview of the unchanged wave.
    const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-bench-readiness-"));
    const readiness = await benchReadiness(
      {
        emu,
        host,
        engine,
        wave: "bench",
        users: waveUsers,
        mailUsers: declared.map((r) => engine.state(r)!),
        targetDomains: TARGET_DOMAINS,
        deliveryDomain: DELIVERY_DOMAIN,
        latencyMs,
        concurrency,
        reportDir,
        orgWideHold: opts.orgWideHold,
      },
      progress,
    ).finally(() => fs.rmSync(reportDir, { recursive: true, force: true }));

    const writesNeeded = 2 * stagedCount;
    const sourceReadCalls = sourceCalls.exchange.length + sourceCalls.graph.length;
    // Reads: the check's bulk source read runs before any MailUser (sequential); the MailUsers' own reads
    // (coalesced create-or-adopt lookups) share the target's gate with the writes.
    const targetReads = stagingCalls.reads(stagingCalls.exchange).length;
    const lowerBoundMs = Math.round(
      ((writesNeeded + targetReads) * latencyMs) / concurrency + sourceReadCalls * latencyMs,
    );
    const baselinePerUserMs = sample > 0 ? baselineMs / sample : undefined;
    const baselineFullMs = baselinePerUserMs !== undefined ? Math.round(baselinePerUserMs * n) : undefined;
    const result = {
      command: `npm run bench -- --users ${n} --latency-ms ${latencyMs} --concurrency ${concurrency} --baseline-sample ${sample}${holdFlag}`,
      users: n,
      latencyMsPerCall: latencyMs,
      exchangeConcurrencyPerTenant: concurrency,
      harness:
        "real @pulumi/pulumi dynamic-provider host over gRPC; check/diff one resource at a time, create/read concurrently; emulated tenant pair",
      writesPerStagedUser: {
        value: +(stagingCalls.writes.length / Math.max(1, stagedCount)).toFixed(3),
        target: 2,
        stagedUsers: stagedCount,
        heldUsers: heldCount,
        byCmdlet: stagingCalls.byCmdlet(stagingCalls.writes),
        targetReadCallsDuringStaging: stagingCalls.reads(stagingCalls.target).length,
        readsByCmdlet: stagingCalls.byCmdlet(stagingCalls.reads(stagingCalls.exchange)),
      },
      sourceRead: {
        users: n,
        calls: sourceReadCalls,
        byCmdlet: sourceCalls.byCmdlet([...sourceCalls.exchange, ...sourceCalls.graph]),
        sourceTenantCalls: sourceCalls.source.length,
        ms: readMs,
      },
      refreshUnchanged: {
        exchangeCalls: refreshCalls.exchange.length,
        target: 50,
        graphCalls: refreshCalls.graph.length,
        byCmdlet: refreshCalls.byCmdlet([...refreshCalls.exchange, ...refreshCalls.graph]),
        drift: refreshed.filter((r) => r.op !== "same").length,
        ms: refreshMs,
      },
      previewNoChange: {
        writes: previewCalls.writes.length,
        target: 0,
        exchangeCalls: previewCalls.exchange.length,
        graphCalls: previewCalls.graph.length,
        steps: previewOps,
        ms: previewMs,
      },
      staging: {
        ms: stagingMs,
        lowerBoundMs,
        lowerBound: `(writes needed ${writesNeeded} + target reads ${targetReads}) x ${latencyMs} ms / ${concurrency} per tenant + source reads (${sourceReadCalls}) x ${latencyMs} ms`,
        lowerBoundWritesOnlyMs: Math.round((writesNeeded * latencyMs) / concurrency),
        ratioToWritesOnlyBound: +(stagingMs / ((writesNeeded * latencyMs) / concurrency)).toFixed(3),
        ratioToLowerBound: +(stagingMs / lowerBoundMs).toFixed(3),
        target: 1.25,
        includes: "SourceMailboxes check (bulk source read) + create, then every MailUser's check, diff and create",
      },
      baseline: {
        method:
          "New-MailUser, then one Set-MailUser per attribute (ExchangeGuid, ArchiveGuid when present, each x500, the delivery-domain address), sequentially, through the same tenant layer",
        sampleUsers: sample,
        sampled: sample < n,
        note:
          sample < n
            ? `measured on ${sample} users and extrapolated linearly to ${n} (a sequential full run would take ~${Math.round((baselineFullMs ?? 0) / 60000)} min)`
            : "full run",
        callsPerUser: sample > 0 ? +(baselineCalls / sample).toFixed(3) : undefined,
        msPerUser: baselinePerUserMs !== undefined ? Math.round(baselinePerUserMs) : undefined,
        estimatedMsForAllUsers: baselineFullMs,
        speedupOfStaging: baselineFullMs !== undefined ? +(baselineFullMs / stagingMs).toFixed(2) : undefined,
        stagingToBaselineRatio: baselineFullMs !== undefined ? +(stagingMs / baselineFullMs).toFixed(3) : undefined,
      },
      readiness,
      stateBytesPerStagedUser: {
        value: Math.round(average(outputBytes) + providerBytes),
        target: 4096,
        definition:
          "issue 5: a MailUser's outputs (compact JSON, password as its ciphertext envelope) plus the serialized provider (__provider)",
        outputsAverage: Math.round(average(outputBytes)),
        outputsMax: Math.max(...outputBytes),
        serializedProviderBytes: providerBytes,
        checkpointEntryAverage: Math.round(average(userBytes)),
        checkpointEntryNote:
          "the whole resource entry as a file backend writes it (indented), where inputs and outputs EACH carry __provider",
        waveSharePerUser: Math.round(waveBytes / n),
        waveShareNote: "the wave's SourceMailboxes checkpoint entry divided by its users",
      },
      providerHostPeakMemoryMB: peakKb !== undefined ? +(peakKb / 1024).toFixed(1) : "unavailable (no /proc)",
      providerHostPid: pid,
    };
    return result;
  } finally {
    await host.stop();
    await emu.stop();
  }
}
