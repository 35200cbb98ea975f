// `npm run emulator -- [--port N] [--mailboxes N] [--latency-ms N] [--faults SPEC] [--state FILE]`
// Standard output carries exactly one line, the JSON summary, so scripts can read it; everything else
// goes to standard error. Bad arguments exit 2; SIGINT/SIGTERM save the state (with --state) and exit 0.

import { startEmulator } from "./index";
import type { EmulatorOptions } from "./options";
import { FaultSpecError, parseFaultSpec } from "./faults";
import { NO_FAULTS } from "./options";

export class UsageError extends Error {}

const USAGE = "usage: emulator [--port N] [--mailboxes N] [--latency-ms N] [--faults SPEC] [--state FILE]";

function integer(flag: string, v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(`${flag} expects a whole number from ${min} to ${max}, got '${v}'`);
  return Number(v);
}

export function parseArgs(argv: string[]): Partial<EmulatorOptions> {
  const opts: Partial<EmulatorOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
    const known = ["--port", "--mailboxes", "--latency-ms", "--faults", "--state"];
    if (!known.includes(flag)) throw new UsageError(`unknown argument '${flag}'; ${USAGE}`);
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith("--")))
      throw new UsageError(`${flag} needs a value; ${USAGE}`);
    switch (flag) {
      case "--port":
        opts.port = integer(flag, value, 0, 65535);
        break;
      case "--mailboxes":
        opts.mailboxes = integer(flag, value, 0, 100_000);
        break;
      case "--latency-ms":
        opts.latencyMs = integer(flag, value, 0, 600_000);
        break;
      case "--faults":
        try {
          opts.faults = { ...NO_FAULTS, ...parseFaultSpec(value) };
        } catch (e) {
          if (e instanceof FaultSpecError) throw new UsageError(`--faults: ${e.message}`);
          throw e;
        }
        break;
      case "--state":
        if (value.length === 0) throw new UsageError(`--state needs a file path`);
        opts.stateFile = value;
        break;
    }
  }
  return opts;
}

async function main(): Promise<void> {
  let opts: Partial<EmulatorOptions>;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`emulator: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const emulator = await startEmulator(opts);
  process.stdout.write(JSON.stringify(emulator.summary()) + "\n");
  process.stderr.write(
    `emulator: serving ${emulator.url} (source ${emulator.tenants.source.domain}, target ${emulator.tenants.target.domain}); stop with Ctrl-C\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(
      `emulator: ${signal}, stopping${opts.stateFile ? ` and saving state to ${opts.stateFile}` : ""}\n`,
    );
    emulator.stop().then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`emulator: stop failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`emulator: failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
