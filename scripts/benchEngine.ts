// The bench through the REAL Pulumi CLI (`npm run bench -- --engine pulumi`): a stack of the whole pair whose
// waves stage N generated source mailboxes, against the emulator with latency added to every call. Steps, each
// a CLI command as an engineer runs it: `up` (staging from nothing), a no-op `preview`, a no-op `up`, `refresh`.
// For each: wall time; Exchange and Graph calls (reads and writes) per tenant; the latency lower bound of the
// calls it made; the checkpoint's size and how often (and how many bytes) the file backend wrote it; the peak
// RSS of the CLI, the language host, the program and the provider host.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Emulator } from "../emulator";
import type { RequestRecord } from "../emulator/server";
import { isWrite } from "./benchMeasure";
import { CliStack, emulatorConfig, type CliResult } from "../harness/pulumiCli";
import { descendants, processTable } from "../harness/processes";

export interface EngineBenchOptions {
  users: number;
  waves: number;
  latencyMs: number;
  concurrency: number;
  /** Environment for the CLI beyond the stack's own (PULUMI_PARALLEL, PULUMI_SKIP_CHECKPOINTS, ...). */
  cliEnv?: Record<string, string>;
}

type ProcessKind = "cli" | "languageHost" | "program" | "providerHost";

/** Peak resident memory (VmHWM, polled) of every process below this one, by what it is. */
class ProcessWatch {
  private readonly peakKb: Record<ProcessKind, number> = { cli: 0, languageHost: 0, program: 0, providerHost: 0 };
  private timer?: NodeJS.Timeout;

  start(): void {
    this.timer = setInterval(() => this.sample(), 250);
  }

  stop(): Record<ProcessKind, number> {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    const mb = (kb: number) => +(kb / 1024).toFixed(1);
    return {
      cli: mb(this.peakKb.cli),
      languageHost: mb(this.peakKb.languageHost),
      program: mb(this.peakKb.program),
      providerHost: mb(this.peakKb.providerHost),
    };
  }

  private sample(): void {
    const table = processTable();
    for (const pid of descendants(process.pid, table)) {
      const cmd = table.get(pid)!.cmd;
      const kind: ProcessKind | undefined = /pulumi-language-nodejs/.test(cmd)
        ? "languageHost"
        : /dynamic-provider/.test(cmd)
          ? "providerHost"
          : /cmd\/run/.test(cmd)
            ? "program"
            : /(^|\/)pulumi\s/.test(cmd)
              ? "cli"
              : undefined;
      if (!kind) continue;
      try {
        const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        if (m) this.peakKb[kind] = Math.max(this.peakKb[kind], Number(m[1]));
      } catch {
        // ended while we looked
      }
    }
  }
}

/** Every write of the stack's checkpoint file by the file backend (it writes a new file and renames it over). */
class CheckpointWatch {
  writes = 0;
  bytes = 0;
  private watcher?: fs.FSWatcher;

  constructor(private readonly file: string) {}

  start(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    this.watcher = fs.watch(path.dirname(this.file), (event, name) => {
      if (name !== path.basename(this.file) || event !== "rename") return;
      try {
        this.bytes += fs.statSync(this.file).size;
        this.writes++;
      } catch {
        // between the backup copy and the new file
      }
    });
  }

  stop(): { writes: number; bytesWritten: number; sizeBytes: number } {
    this.watcher?.close();
    return {
      writes: this.writes,
      bytesWritten: this.bytes,
      sizeBytes: fs.existsSync(this.file) ? fs.statSync(this.file).size : 0,
    };
  }
}

/**
 * What the checkpoint holds per resource type (bytes, and per user), and for each type the bytes of each field of
 * its resources, so the figure that misses a target names what to shrink.
 */
function stateBreakdown(file: string, users: number): Record<string, unknown> {
  if (!fs.existsSync(file)) return {};
  const resources: Record<string, unknown>[] =
    JSON.parse(fs.readFileSync(file, "utf8")).checkpoint?.latest?.resources ?? [];
  const byType: Record<string, { count: number; bytes: number; fields: Record<string, number> }> = {};
  for (const r of resources) {
    const t = (byType[String(r.type)] ??= { count: 0, bytes: 0, fields: {} });
    t.count++;
    for (const [k, v] of Object.entries(r)) {
      const b = Buffer.byteLength(JSON.stringify(v)) + k.length + 4;
      t.bytes += b;
      t.fields[k] = (t.fields[k] ?? 0) + b;
    }
  }
  return Object.fromEntries(
    Object.entries(byType)
      .sort((a, b) => b[1].bytes - a[1].bytes)
      .map(([type, t]) => [
        type,
        {
          count: t.count,
          bytesPerUser: Math.round(t.bytes / users),
          bytesPerResourceByField: Object.fromEntries(
            Object.entries(t.fields)
              .sort((a, b) => b[1] - a[1])
              .map(([k, b]) => [k, Math.round(b / t.count)]),
          ),
        },
      ]),
  );
}

function callsOf(emu: Emulator, from: number, latencyMs: number, concurrency: number, users: number) {
  const calls = emu.requests.slice(from).filter((r) => r.surface !== "login");
  const tenantOf = (r: RequestRecord) => {
    if (r.surface !== "exchange") return "graph";
    const p = r.path.toLowerCase();
    return p.includes(emu.tenants.source.tenantId)
      ? "source"
      : p.includes(emu.tenants.target.tenantId)
        ? "target"
        : "graph";
  };
  const tally = (rs: RequestRecord[]) =>
    rs.reduce<Record<string, number>>(
      (acc, r) => ((acc[r.cmdlet ?? `${r.method} graph`] = (acc[r.cmdlet ?? `${r.method} graph`] ?? 0) + 1), acc),
      {},
    );
  const per = (t: string) => {
    const rs = calls.filter((r) => tenantOf(r) === t);
    const reads = rs.filter((r) => !isWrite(r));
    // Which reads a step made, by cmdlet: where a no-op's per-tenant call budget goes.
    return { calls: rs.length, writes: rs.length - reads.length, reads: reads.length, readsByCmdlet: tally(reads) };
  };
  const exchange = { source: per("source"), target: per("target") };
  const graph = per("graph");
  // The latency lower bound of the calls this step made: each tenant's Exchange calls at the stack's per-tenant
  // concurrency, the two tenants in parallel; Graph calls as if unbounded in parallel (one latency when any).
  const boundMs =
    Math.max(...Object.values(exchange).map((t) => (t.calls * latencyMs) / concurrency)) +
    (graph.calls > 0 ? latencyMs : 0);
  const writes = calls.filter(isWrite);
  return {
    exchange,
    graph,
    writes: writes.length,
    writesPerUser: +(writes.length / users).toFixed(3),
    writesByCmdlet: tally(writes),
    lowerBoundMs: Math.round(boundMs),
  };
}

export async function benchPulumi(
  emu: Emulator,
  opts: EngineBenchOptions,
  progress: (m: string) => void,
): Promise<Record<string, unknown>> {
  const { config, secrets } = emulatorConfig(emu);
  const perWave = Math.ceil(opts.users / opts.waves);
  // Each wave's users in a CSV file, as an engineer declares a large wave: the CLI hands the program the
  // stack's configuration in one environment variable, which Linux caps at 128 KiB, so 10,000 addresses
  // inline in the stack file stop the program before it starts ("argument list too long").
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-bench-reports-"));
  const waves: Record<string, { csv: string }> = {};
  for (let w = 0; w < opts.waves; w++) {
    const rows = ["source"];
    for (let i = w * perWave + 1; i <= Math.min(opts.users, (w + 1) * perWave); i++)
      rows.push(`user${String(i).padStart(5, "0")}@fabrikam.com`);
    const csv = path.join(reports, `wave-${w + 1}.csv`);
    fs.writeFileSync(csv, rows.join("\n") + "\n");
    waves[`wave-${w + 1}`] = { csv };
  }
  const stack = await CliStack.create(emu, {
    stack: "bench",
    config: {
      ...config,
      "xtmm:exchangeConcurrency": String(opts.concurrency),
      "xtmm:domainMap": { "fabrikam.com": "contoso.com" },
      "xtmm:targetDomains": ["contoso.com"],
      "xtmm:waves": waves,
      "xtmm:readinessReportDir": reports,
      "xtmm:purgeStagedUsersOnDestroy": true,
    },
    secrets,
  });
  Object.assign(stack.env, opts.cliEnv ?? {});
  const checkpoint = path.join(stack.backend, ".pulumi", "stacks", "xtmm", "bench.json");
  const steps: Record<string, unknown> = {};
  let stateAfterStaging: Record<string, unknown>;
  const step = async (name: string, args: string[], check: (r: CliResult) => void = () => undefined) => {
    progress(`${name}: pulumi ${args.join(" ")}`);
    const mark = emu.requests.length;
    const procs = new ProcessWatch();
    const cp = new CheckpointWatch(checkpoint);
    procs.start();
    cp.start();
    const t = Date.now();
    const r = await stack.run(args, undefined, 24 * 3600_000);
    const ms = Date.now() - t;
    const written = cp.stop();
    const peakRssMB = procs.stop();
    if (r.code !== 0)
      throw new Error(
        `bench: pulumi ${args.join(" ")} exited ${r.code}\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`,
      );
    check(r);
    const calls = callsOf(emu, mark, opts.latencyMs, opts.concurrency, opts.users);
    steps[name] = {
      ms,
      ...calls,
      ratioToLowerBound: calls.lowerBoundMs > 0 ? +(ms / calls.lowerBoundMs).toFixed(3) : undefined,
      checkpoint: { ...written, bytesPerUser: Math.round(written.sizeBytes / opts.users) },
      peakRssMB,
    };
    progress(
      `${name}: ${Math.round(ms / 1000)} s, ${calls.writes} writes, bound ${Math.round(calls.lowerBoundMs / 1000)} s`,
    );
  };
  emu.options.latencyMs = opts.latencyMs;
  try {
    await step("stagingUp", ["up", "--yes", "--skip-preview"]);
    stateAfterStaging = stateBreakdown(checkpoint, opts.users);
    // BENCH_KEEP_STATE=<file>: a copy of the staged checkpoint, to look into what the breakdown counts.
    if (process.env.BENCH_KEEP_STATE) fs.copyFileSync(checkpoint, process.env.BENCH_KEEP_STATE);
    await step("noopPreview", ["preview", "--expect-no-changes"]);
    await step("noopUp", ["up", "--yes", "--skip-preview", "--expect-no-changes"]);
    await step("refresh", ["refresh", "--yes", "--skip-preview"]);
  } finally {
    emu.options.latencyMs = 0;
    // No destroy: the emulated pair and the stack's folder are thrown away, and a destroy of thousands of
    // resources would take as long as the up again.
    stack.dispose();
    fs.rmSync(reports, { recursive: true, force: true });
  }
  return {
    engine: `real Pulumi CLI (${stack.cli.origin}: ${stack.cli.command})`,
    users: opts.users,
    waves: opts.waves,
    latencyMsPerCall: opts.latencyMs,
    exchangeConcurrencyPerTenant: opts.concurrency,
    cliEnv: opts.cliEnv ?? {},
    lowerBound:
      "per step: max over the two tenants of (that tenant's Exchange calls x latency / exchangeConcurrency), plus one latency when the step made Graph calls",
    steps,
    stateAfterStaging,
  };
}
