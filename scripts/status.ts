// `npm run status -- [--stack NAME] [--state FILE|-] [--config FILE] [--no-statistics]`: for a stack, each
// wave's users with their migration state and percentage (Get-MigrationUserStatistics), each started user's
// move (Get-MoveRequestStatistics, with what to do about a failed one; statusUsers.ts), a progress bar per
// wave, and the readiness findings still open. Reads only: the stack's state (`pulumi stack export`, from a
// file, stdin, or the CLI) for the MigrationBatch / MailUser / Readiness resources, and the target tenant's
// Exchange (the findings are those of each wave's last readiness check, as its Readiness resource recorded them).
//
// Settings for the target tenant: `--config FILE` (the JSON of `pulumi config --json --show-secrets`, or a
// plain {"xtmm:key": "value"} map), else the CLI's `pulumi config` when the state also comes from the CLI,
// else the stack file's plain values; an environment variable XTMM_<KEY> (e.g. XTMM_TARGET_CLIENT_SECRET)
// overrides any key. Nothing secret is printed.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { createTenantClient, readTenantSettings, type TenantClient } from "../providers/tenant";
import { getBatch } from "../providers/migrationBatch/observe";
import { expandFindings } from "../providers/readiness/storedFindings";
import { NOT_STARTED } from "../providers/migrationBatch/inputs";
import { batchUserLines, unbatchedLine, userLines, type UserLine } from "./statusUsers";
import { stackConfig } from "./login";
import { findPulumi } from "./pulumiCli";
import { specialSigKey } from "@pulumi/pulumi/runtime/rpc";

type Rec = Record<string, unknown>;
export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  parent?: string;
  outputs?: Rec;
  inputs?: Rec;
}

const TYPE = (t: string) => `pulumi-nodejs:dynamic/xtmm:${t}`;
const WAVE_TYPE = "xtmm:index:MigrationWave";
const nameOf = (urn: string) => urn.split("::").pop() ?? urn;
const str = (v: unknown) =>
  typeof v === "string"
    ? v
    : v === undefined || v === null
      ? ""
      : typeof v === "object" && specialSigKey in (v as Rec)
        ? "[secret]"
        : String(v);
const lower = (v: unknown) => str(v).trim().toLowerCase();

/** The resources of a `pulumi stack export` document (or of its `deployment`). */
export function resourcesOf(exported: unknown): StateResource[] {
  const doc = exported as { deployment?: { resources?: StateResource[] }; resources?: StateResource[] };
  const list = doc?.deployment?.resources ?? doc?.resources;
  if (!Array.isArray(list)) throw new Error("The state has no resources: expected the JSON of `pulumi stack export`.");
  return list;
}

export type { UserLine } from "./statusUsers";
export interface BatchView {
  name: string;
  status: string;
  total: number;
  synced: number;
  completed: number;
  failed: number;
  users: UserLine[];
}
export interface WaveView {
  wave: string;
  batches: BatchView[];
  /** Users of the wave in no batch: held, staged, or already migrated. */
  others: UserLine[];
}

/** The wave a resource belongs to: its MigrationWave parent, else what its own name says. */
function waveOf(r: StateResource, byUrn: Map<string, StateResource>, fallback: string): string {
  for (let p = r.parent; p; p = byUrn.get(p)?.parent) if (byUrn.get(p)?.type === WAVE_TYPE) return nameOf(p);
  return fallback;
}

/** Looks each batch of the state up in the target tenant; `statistics` measures every user not queued or completed. */
export async function collect(
  resources: StateResource[],
  client: TenantClient,
  statistics = true,
): Promise<WaveView[]> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const waves = new Map<string, WaveView>();
  const wave = (name: string) => waves.get(name) ?? waves.set(name, { wave: name, batches: [], others: [] }).get(name)!;
  const batched = new Set<string>();
  for (const r of resources.filter((x) => x.type === TYPE("MigrationBatch"))) {
    const name = str(r.outputs?.name ?? r.inputs?.name) || nameOf(r.urn);
    const view: BatchView = { name, status: "not found", total: 0, synced: 0, completed: 0, failed: 0, users: [] };
    wave(waveOf(r, byUrn, name)).batches.push(view);
    const b = await getBatch(client, name);
    const declared = ((r.outputs?.targetAddresses ?? r.inputs?.targetAddresses ?? []) as unknown[]).map(lower);
    declared.forEach((a) => batched.add(a));
    if (!b) {
      view.users = declared.map((address) => ({ address, state: "no batch in the tenant", percent: null, note: "" }));
      continue;
    }
    Object.assign(view, {
      status: b.Status,
      total: b.TotalCount ?? 0,
      synced: b.SyncedCount ?? 0,
      completed: b.FinalizedCount ?? 0,
      failed: b.FailedCount ?? 0,
    });
    const started = Boolean(b.StartDateTime) || !NOT_STARTED.includes(b.Status);
    view.users = await batchUserLines(client, name, started, statistics);
    view.users.forEach((u) => batched.add(u.address));
  }
  for (const r of resources.filter((x) => x.type === TYPE("MailUser"))) {
    const o = r.outputs ?? {};
    const address = lower(o.targetPrimary ?? r.inputs?.targetPrimary ?? nameOf(r.urn).replace(/^mailuser\//, ""));
    if (batched.has(address)) continue;
    wave(waveOf(r, byUrn, "(no wave)")).others.push(unbatchedLine(address, o, str));
  }
  return [...waves.values()].sort((a, b) => a.wave.localeCompare(b.wave));
}

export interface Finding {
  wave: string;
  /** The check's id, e.g. user.licence, org.endpoint. */
  check: string;
  severity: string;
  pending: boolean;
  text: string;
  fix: string;
}

/**
 * The findings of each wave's last readiness check: the `findings` and `userFindings` outputs of its Readiness (every
 * finding it lists is still open: the check re-evaluates them all), under the resource's `wave` input.
 */
export function openFindings(resources: StateResource[]): Finding[] {
  const out: Finding[] = [];
  for (const r of resources.filter((x) => x.type === TYPE("Readiness"))) {
    const wave = str(r.inputs?.wave ?? r.outputs?.wave) || nameOf(r.urn).replace(/^readiness\//, "");
    const findings = expandFindings(r.outputs ?? {}) as unknown as Rec[];
    for (const f of findings) {
      if (!f || typeof f !== "object") continue;
      out.push({
        wave,
        check: str(f.check),
        severity: str(f.severity) || "warning",
        pending: f.pending === true,
        text: str(f.message),
        fix: str(f.fix),
      });
    }
  }
  // Blocking first, then by wave, in the check's own order within each.
  return out
    .map((f, i) => ({ f, i }))
    .sort(
      (a, b) =>
        Number(b.f.severity === "blocking") - Number(a.f.severity === "blocking") ||
        a.f.wave.localeCompare(b.f.wave) ||
        a.i - b.i,
    )
    .map((x) => x.f);
}

export function bar(percent: number, width = 30): string {
  const p = Math.max(0, Math.min(100, percent));
  const filled = Math.round((p / 100) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.round(p)).padStart(3)}%`;
}

/** The report as text lines. A wave's progress is the mean of its batched users' percentages (unknown counts 0). */
export function render(waves: WaveView[], findings: Finding[]): string[] {
  const lines: string[] = [];
  if (waves.length === 0)
    lines.push("No migration waves in this stack's state (no MigrationBatch or MailUser resources).");
  for (const w of waves) {
    const users = w.batches.flatMap((b) => b.users);
    const mean = users.length ? users.reduce((s, u) => s + (u.percent ?? 0), 0) / users.length : 0;
    lines.push(
      `Wave ${w.wave}: ${users.length} user(s) in ${w.batches.length} batch(es)${w.others.length ? `, ${w.others.length} in none` : ""}`,
    );
    if (users.length) lines.push(`  ${bar(mean)}`);
    for (const b of w.batches) {
      lines.push(
        `  Batch ${b.name}: ${b.status}; ${b.synced} synced, ${b.completed} completed, ${b.failed} failed of ${b.total}`,
      );
      const width = Math.max(24, ...b.users.map((u) => u.address.length));
      for (const u of b.users) lines.push(...userLines(u, width));
    }
    const width = Math.max(24, ...w.others.map((u) => u.address.length));
    for (const u of w.others) lines.push(...userLines(u, width));
  }
  if (findings.length) {
    lines.push("", `Readiness findings still open (${findings.length}):`);
    for (const f of findings) {
      const severity = `${f.severity}${f.pending ? " (pending)" : ""}`;
      lines.push(`  ${severity.padEnd(8)} ${f.wave} ${f.check}: ${f.text}${f.fix ? ` Fix: ${f.fix}` : ""}`);
    }
  }
  return lines;
}

export interface StatusArgs {
  stack?: string;
  /** A file path, "-" for stdin; absent: `pulumi stack export`. */
  state?: string;
  config?: string;
  statistics: boolean;
}

export function parseArgs(argv: string[]): StatusArgs {
  const args: StatusArgs = { statistics: true, stack: process.env.PULUMI_STACK };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--stack") args.stack = value();
    else if (a === "--state") args.state = value();
    else if (a === "--config") args.config = value();
    else if (a === "--no-statistics") args.statistics = false;
    else
      throw new Error(
        `unknown argument ${a}; usage: npm run status -- [--stack NAME] [--state FILE|-] [--config FILE] [--no-statistics]`,
      );
  }
  return args;
}

function cli(args: string[], stack?: string): string {
  const pulumi = findPulumi();
  if (!pulumi)
    throw new Error("No Pulumi CLI found: pass --state FILE (from `pulumi stack export`) and --config FILE instead.");
  const r = spawnSync(pulumi.command, [...args, ...(stack ? ["--stack", stack] : [])], {
    encoding: "utf8",
    timeout: 300_000,
    maxBuffer: 512 * 1024 * 1024,
    env: pulumi.env,
  });
  if (r.status !== 0)
    throw new Error(`pulumi ${args[0]} ${args[1] ?? ""} failed: ${(r.stderr || r.error?.message || "").trim()}`);
  return r.stdout;
}

/** `pulumi config --json` values ({value, secret}) or a plain map, keys with or without the `xtmm:` prefix. */
export function configFrom(json: unknown): (key: string) => string | undefined {
  const map = (json ?? {}) as Record<string, unknown>;
  return (key) => {
    const v = map[key.startsWith("xtmm:") ? key : `xtmm:${key}`] ?? map[key.replace(/^xtmm:/, "")];
    const value = v && typeof v === "object" && "value" in (v as Rec) ? (v as Rec).value : v;
    return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
      ? String(value)
      : undefined;
  };
}

const envName = (key: string) =>
  `XTMM_${key
    .replace(/^xtmm:/, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase()}`;

export function withEnv(
  base: (key: string) => string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): (key: string) => string | undefined {
  return (key) => env[envName(key)] ?? base(key);
}

export async function run(args: StatusArgs, readStdin = () => fs.readFileSync(0, "utf8")): Promise<string[]> {
  const stateText =
    args.state === "-"
      ? readStdin()
      : args.state
        ? fs.readFileSync(args.state, "utf8")
        : cli(["stack", "export"], args.stack);
  const resources = resourcesOf(JSON.parse(stateText));
  const root = process.env.XTMM_ROOT ?? process.cwd();
  const base = args.config
    ? configFrom(JSON.parse(fs.readFileSync(args.config, "utf8")))
    : !args.state
      ? configFrom(JSON.parse(cli(["config", "--json", "--show-secrets"], args.stack)))
      : args.stack && fs.existsSync(path.join(root, "stacks", `Pulumi.${args.stack}.yaml`))
        ? stackConfig(root, args.stack)
        : () => undefined;
  const client = createTenantClient(readTenantSettings(withEnv(base), "target"));
  const waves = await collect(resources, client, args.statistics);
  return render(waves, openFindings(resources));
}

if (require.main === module) {
  run(parseArgs(process.argv.slice(2)))
    .then((lines) => process.stdout.write(lines.join("\n") + "\n"))
    .catch((e: Error) => {
      process.stderr.write(`status failed: ${e.message}\n`);
      process.exit(1);
    });
}
