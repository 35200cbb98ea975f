// `npm run bench`: the staging figures issue 5 asks for, measured through Pulumi's real dynamic-provider host
// (one host process, as the engine runs every dynamic resource of a stack) against the emulated tenant pair
// with injected latency. The harness plays the engine: step generation (check, diff) one resource at a time,
// the steps themselves (create, read) concurrently. Prints ONE JSON object on stdout; progress on stderr.
//
//   npm run bench                                   # 2,000 users, 300 ms per call
//   npm run bench -- --users 200 --latency-ms 50    # a quick run
// Options (argv or env): --users / BENCH_USERS, --latency-ms / BENCH_LATENCY_MS, --concurrency /
// BENCH_CONCURRENCY (the stack's exchangeConcurrency; default the provider's), --baseline-sample /
// BENCH_BASELINE_SAMPLE (users staged one call per attribute, sequentially; the rest is extrapolated); with
// --engine pulumi also --waves / BENCH_WAVES, --skip-checkpoints / BENCH_SKIP_CHECKPOINTS=true, --no-harness and
// BENCH_KEEP_STATE=<file> (a copy of the staged checkpoint; the JSON's stateAfterStaging gives its bytes per
// resource type and field).

import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { startEmulator, type Emulator } from "../emulator";
import type { RequestRecord } from "../emulator/server";
import { emulatorStackConfig } from "../emulator/stackConfig";
import { startProviderHost, type ProviderHost } from "../harness/providerHost";
import { Engine, declareResource, type DeclaredResource, type ResourceState } from "../harness/engine";
import { planUsers, type PlannedUser } from "../providers/staging/plan";
import { SourceMailboxes, type SourceMailbox } from "../providers/sourceMailboxes";
import { MailUser } from "../providers/mailUser";
import { sameJson } from "../providers/checkedRecord";
import { mailUserInputs, plannedInputs } from "../components/migrationWave";
import { createTenantClient, hashtable } from "../providers/tenant";
import { readTenantSettings, DEFAULT_EXCHANGE_CONCURRENCY } from "../providers/tenant/settings";
import { benchPulumi } from "./benchEngine";

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

function option(name: string, env: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : process.env[env];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`--${name} (${env}) must be a whole number >= 0, not ${JSON.stringify(raw)}`);
  return n;
}

const progress = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
const user = (i: number) => `user${String(i).padStart(5, "0")}@${SOURCE_DOMAIN}`;

/** The provider host's pid: our child process running Pulumi's dynamic-provider entry point. */
function hostPid(): number | undefined {
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("dynamic-provider"))
        return Number(entry);
    } catch {
      // A process that ended while we looked.
    }
  }
  return undefined;
}

function memoryKb(pid: number | undefined, field: "VmHWM" | "VmRSS"): number | undefined {
  if (!pid) return undefined;
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : undefined;
}

/** Calls the emulator saw since `mark`, by surface and tenant (Exchange paths carry the tenant id). */
function callsSince(emu: Emulator, mark: number) {
  const calls = emu.requests.slice(mark);
  const exchange = (tenantId?: string) =>
    calls.filter(
      (r) => r.surface === "exchange" && (!tenantId || r.path.toLowerCase().includes(tenantId.toLowerCase())),
    );
  const isWrite = (r: RequestRecord) =>
    r.surface === "exchange" ? !!r.cmdlet && !/^(Get|Test)-/i.test(r.cmdlet) : r.method !== "GET";
  const byCmdlet = (rs: RequestRecord[]) =>
    rs.reduce<Record<string, number>>(
      (acc, r) => ((acc[r.cmdlet ?? r.path] = (acc[r.cmdlet ?? r.path] ?? 0) + 1), acc),
      {},
    );
  return {
    all: calls,
    source: exchange(emu.tenants.source.tenantId),
    target: exchange(emu.tenants.target.tenantId),
    exchange: exchange(),
    graph: calls.filter((r) => r.surface === "graph"),
    writes: calls.filter((r) => r.surface !== "login" && isWrite(r)),
    reads: (rs: RequestRecord[]) => rs.filter((r) => !isWrite(r)),
    byCmdlet,
  };
}

/** Outputs as the checkpoint stores them: a secret output becomes an envelope around its ciphertext. */
function sealed(outputs: Record<string, unknown>, secretOutputs: string[]): Record<string, unknown> {
  const out = { ...outputs };
  for (const k of secretOutputs) {
    if (out[k] === undefined) continue;
    // AES-GCM ciphertext of the JSON value (nonce + tag), base64, as the passphrase secrets manager stores it.
    const ciphertext = randomBytes(JSON.stringify(out[k]).length + 28).toString("base64");
    out[k] = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: `v1:${ciphertext}` };
  }
  return out;
}

const average = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** What the engine's checkpoint keeps for one resource, in bytes (indented, as a file backend writes it). */
function checkpointBytes(s: ResourceState, secretOutputs: string[], parent: string, dependencies: string[]): number {
  const outputs = sealed(s.outputs, secretOutputs);
  const entry = {
    urn: s.urn,
    custom: true,
    id: s.id,
    type: s.type,
    inputs: s.inputs,
    outputs,
    parent,
    dependencies,
    provider: `urn:pulumi:bench::xtmm::pulumi:providers:pulumi-nodejs::default::00000000-0000-0000-0000-000000000000`,
    propertyDependencies: {},
    created: new Date().toISOString(),
    modified: new Date().toISOString(),
  };
  return Buffer.byteLength(JSON.stringify(entry, null, 4));
}

async function benchHarness(): Promise<Record<string, unknown>> {
  const n = option("users", "BENCH_USERS", 2000);
  const latencyMs = option("latency-ms", "BENCH_LATENCY_MS", 300);
  const concurrency =
    option("concurrency", "BENCH_CONCURRENCY", DEFAULT_EXCHANGE_CONCURRENCY) || DEFAULT_EXCHANGE_CONCURRENCY;
  const sample = Math.min(option("baseline-sample", "BENCH_BASELINE_SAMPLE", 20), n);

  // Wave users first, then the baseline's sample: distinct mailboxes, so neither run adopts the other's objects.
  const emu = await startEmulator({ mailboxes: n + sample, latencyMs: 0 });
  const config = emulatorStackConfig(emu, { exchangeConcurrency: String(concurrency) });
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
      const a = inputsOf(u, (sampleRead.state.outputs.mailboxes as SourceMailbox[])[i]);
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
    const mailboxes = read.state.outputs.mailboxes as SourceMailbox[];
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
    const peakKb = memoryKb(pid, "VmHWM");
    const result = {
      command: `npm run bench -- --users ${n} --latency-ms ${latencyMs} --concurrency ${concurrency} --baseline-sample ${sample}`,
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

/** `--engine harness` (default): our player of the engine's calls; `--engine pulumi`: that, then the real CLI. */
async function main(): Promise<void> {
  const i = process.argv.indexOf("--engine");
  const engine = i >= 0 ? process.argv[i + 1] : (process.env.BENCH_ENGINE ?? "harness");
  if (engine !== "harness" && engine !== "pulumi")
    throw new Error(`--engine must be harness or pulumi, not ${JSON.stringify(engine)}`);
  // --no-harness: the real CLI alone, for a second setting measured after a run that had both (its ratio to the
  // harness is then not measured).
  const withHarness = engine === "harness" || !process.argv.includes("--no-harness");
  const harness = withHarness ? await benchHarness() : undefined;
  if (engine === "harness") {
    process.stdout.write(JSON.stringify(harness, null, 2) + "\n");
    return;
  }
  const users = option("users", "BENCH_USERS", 2000);
  const waves = option("waves", "BENCH_WAVES", 1) || 1;
  const latencyMs = option("latency-ms", "BENCH_LATENCY_MS", 300);
  const concurrency =
    option("concurrency", "BENCH_CONCURRENCY", DEFAULT_EXCHANGE_CONCURRENCY) || DEFAULT_EXCHANGE_CONCURRENCY;
  // --skip-checkpoints: the CLI writes the state once at the end instead of after every step (PULUMI_SKIP_CHECKPOINTS;
  // see the README's "How big a pair can be" for what that trades away).
  const skipCheckpoints = process.argv.includes("--skip-checkpoints") || process.env.BENCH_SKIP_CHECKPOINTS === "true";
  const cliEnv: Record<string, string> = skipCheckpoints ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {};
  progress(
    `real engine: ${users} users in ${waves} wave(s) at ${latencyMs} ms per call${skipCheckpoints ? ", checkpoints skipped" : ""}`,
  );
  const emu = await startEmulator({ mailboxes: users, latencyMs: 0 });
  try {
    const pulumi = await benchPulumi(emu, { users, waves, latencyMs, concurrency, cliEnv }, progress);
    const staging = (pulumi.steps as Record<string, { ms: number }>).stagingUp;
    const harnessStaging = harness ? (harness.staging as { ms: number }).ms : undefined;
    process.stdout.write(
      JSON.stringify(
        {
          command: `npm run bench -- --engine pulumi --users ${users} --waves ${waves} --latency-ms ${latencyMs}${skipCheckpoints ? " --skip-checkpoints" : ""}${harness ? "" : " --no-harness"}`,
          ...(harness ? { harness } : {}),
          pulumi,
          ...(harnessStaging ? { stagingRealToHarness: +(staging.ms / harnessStaging).toFixed(3) } : {}),
        },
        null,
        2,
      ) + "\n",
    );
  } finally {
    await emu.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
