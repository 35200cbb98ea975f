// `npm run bench`: the staging figures issue 5 asks for, measured through Pulumi's real dynamic-provider host
// (one host process, as the engine runs every dynamic resource of a stack) against the emulated tenant pair
// with injected latency. The harness plays the engine (scripts/benchHarness.ts): step generation (check, diff)
// one resource at a time, the steps themselves (create, read) concurrently; `--engine pulumi` adds the real CLI
// (scripts/benchEngine.ts). Prints ONE JSON object on stdout; progress on stderr.
//
//   npm run bench                                   # 2,000 users, 300 ms per call
//   npm run bench -- --users 200 --latency-ms 50    # a quick run
// Options (argv or env): --users / BENCH_USERS, --latency-ms / BENCH_LATENCY_MS, --concurrency /
// BENCH_CONCURRENCY (the stack's exchangeConcurrency; default the provider's), --baseline-sample /
// BENCH_BASELINE_SAMPLE (users staged one call per attribute, sequentially; the rest is extrapolated),
// --org-wide-hold / BENCH_ORG_WIDE_HOLD=true (the readiness part's source lists an organisation-wide retention
// policy, so readiness reads each user mailbox's HoldTracking log too); with
// --engine pulumi also --waves / BENCH_WAVES, --skip-checkpoints / BENCH_SKIP_CHECKPOINTS=true, --node-heap-mb /
// BENCH_NODE_HEAP_MB (NODE_OPTIONS=--max-old-space-size for the program and the provider host), --no-harness and
// BENCH_KEEP_STATE=<file> (a copy of the staged checkpoint; the JSON's stateAfterStaging gives its bytes per
// resource type and field).

import { startEmulator } from "../emulator";
import { DEFAULT_EXCHANGE_CONCURRENCY } from "../providers/tenant/settings";
import { benchHarness } from "./benchHarness";
import { benchPulumi } from "./benchEngine";

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

/** The harness run's options; a bad one fails before anything starts. */
function harnessOptions() {
  const users = option("users", "BENCH_USERS", 2000);
  const latencyMs = option("latency-ms", "BENCH_LATENCY_MS", 300);
  const concurrency =
    option("concurrency", "BENCH_CONCURRENCY", DEFAULT_EXCHANGE_CONCURRENCY) || DEFAULT_EXCHANGE_CONCURRENCY;
  const sample = Math.min(option("baseline-sample", "BENCH_BASELINE_SAMPLE", 20), users);
  // --org-wide-hold: the readiness part's source lists an organisation-wide retention policy (HoldTracking reads).
  const orgWideHold = process.argv.includes("--org-wide-hold") || process.env.BENCH_ORG_WIDE_HOLD === "true";
  return { users, latencyMs, concurrency, sample, orgWideHold };
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
  const harness = withHarness ? await benchHarness(harnessOptions(), progress) : undefined;
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
  // --node-heap-mb N: the program's and the provider host's heap limit, as an engineer sets it for a large pair
  // (NODE_OPTIONS; the README's "How big a pair can be"). 0 leaves Node's default.
  const nodeHeapMb = option("node-heap-mb", "BENCH_NODE_HEAP_MB", 0);
  if (nodeHeapMb > 0) cliEnv.NODE_OPTIONS = `--max-old-space-size=${nodeHeapMb}`;
  progress(
    `real engine: ${users} users in ${waves} wave(s) at ${latencyMs} ms per call${skipCheckpoints ? ", checkpoints skipped" : ""}${nodeHeapMb ? `, Node heap limit ${nodeHeapMb} MB` : ""}`,
  );
  const emu = await startEmulator({ mailboxes: users, latencyMs: 0 });
  try {
    const pulumi = await benchPulumi(emu, { users, waves, latencyMs, concurrency, cliEnv }, progress);
    const staging = (pulumi.steps as Record<string, { ms: number }>).stagingUp;
    const harnessStaging = harness ? (harness.staging as { ms: number }).ms : undefined;
    process.stdout.write(
      JSON.stringify(
        {
          command: `npm run bench -- --engine pulumi --users ${users} --waves ${waves} --latency-ms ${latencyMs}${skipCheckpoints ? " --skip-checkpoints" : ""}${nodeHeapMb ? ` --node-heap-mb ${nodeHeapMb}` : ""}${harness ? "" : " --no-harness"}`,
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
