// The main job on the built-in default: `npm run sandbox` converges the emulated tenant pair with the real
// Pulumi CLI and a local state backend, the same way an engineer runs `pulumi up` against real tenants.
// `npm run sandbox -- <pulumi command and flags>` runs any other command against the same pair
// (`preview --diff`, `refresh`, `destroy --yes`, `stack output`); flags alone go to `up`.
//
// Steps: take the sandbox's lock (one run per pair at a time) -> find the Pulumi CLI (pulumiCli.ts) -> start the
// emulator with its state file, so the pair and its credentials survive between runs -> write the sandbox stack's
// configuration for this emulator (secrets encrypted by the CLI, never on a command line) -> the command -> stop
// the emulator and wait until it has saved the pair -> release the lock.

import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { EMULATOR_SECRET_KEYS, emulatorStackConfig, type EmulatorEndpointsInfo } from "../emulator/stackConfig";
import { findPulumi, initStack, NO_CLI_MESSAGE, projectRoot, type PulumiCli } from "./pulumiCli";

const root = projectRoot();
const STACK = "sandbox";
/** How long the emulator may take to save the pair once asked to stop. */
const SAVE_TIMEOUT_MS = 60_000;
/** Commands that take `--config-file` (the generated stack file lives outside stacks/). */
const TAKES_CONFIG_FILE = new Set(["up", "preview", "refresh", "destroy", "config", "import", "watch"]);

type EmulatorSummary = EmulatorEndpointsInfo & { url: string };

/** The sandbox's folder: the emulated pair, the generated stack file, the state backend. */
export function sandboxDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.XTMM_SANDBOX_DIR ? path.resolve(env.XTMM_SANDBOX_DIR) : path.join(root, ".emulator");
}

/** The Pulumi arguments for the sandbox's own: none or flags alone mean `up --yes <flags>`. */
export function pulumiArgs(argv: string[], configFile: string): string[] {
  const args = argv.length === 0 || argv[0].startsWith("-") ? ["up", "--yes", ...argv] : [...argv];
  const extra = ["--stack", STACK];
  if (TAKES_CONFIG_FILE.has(args[0])) extra.push("--config-file", configFile);
  return [...args, ...extra];
}

export class SandboxBusyError extends Error {}

/**
 * One run per pair at a time: two emulators on one state file would each save their own pair, and the one
 * that saved last would win. A lock whose process is gone (killed, machine restarted) is taken over.
 */
export function takeLock(work: string, what: string): () => void {
  const lock = path.join(work, "sandbox.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, command: what, since: new Date().toISOString() }), {
        flag: "wx",
        mode: 0o600,
      });
      return () => fs.rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let held: { pid?: number; command?: string; since?: string };
      try {
        held = JSON.parse(fs.readFileSync(lock, "utf8"));
      } catch {
        // half-written by a run that is starting: treat as held
        held = { pid: -1 };
      }
      const alive = typeof held.pid === "number" && held.pid > 0 && isAlive(held.pid);
      if (alive || held.pid === -1) {
        throw new SandboxBusyError(
          `another sandbox run is using ${work}: \`${held.command ?? "?"}\` (pid ${held.pid}, since ${held.since ?? "?"}). ` +
            `Wait for it to finish (it saves the emulated pair when it ends), then run this again.`,
        );
      }
      fs.rmSync(lock, { force: true });
    }
  }
  throw new SandboxBusyError(`could not take the sandbox lock ${lock}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The pair's endpoints stay the same from run to run, as a real tenant's do: the engine runs `refresh` and
 * `destroy` with the provider configuration recorded at the last `up` (the endpoints and the CA file among it),
 * not with the stack file. So the emulator keeps the port of its first run, and its CA is copied to one place.
 */
interface SandboxSettings {
  port?: number;
}

function readSettings(work: string): SandboxSettings {
  try {
    return JSON.parse(fs.readFileSync(path.join(work, "sandbox.json"), "utf8")) as SandboxSettings;
  } catch {
    return {};
  }
}

function startEmulator(work: string): Promise<{ child: ChildProcess; summary: EmulatorSummary }> {
  const settings = readSettings(work);
  const child = spawn(
    process.execPath,
    [
      path.join(root, "dist", "emulator", "cli.js"),
      "--state",
      path.join(work, "sandbox-state.json"),
      "--port",
      String(settings.port ?? 0),
    ],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
      // Its own process group: a Ctrl-C at the terminal goes to the CLI, which may still be finishing calls to the
      // emulator; the emulator stops when the CLI has.
      detached: true,
    },
  );
  return new Promise((resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString("utf8");
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      const summary = JSON.parse(buf.slice(0, nl)) as EmulatorSummary;
      const caFile = path.join(work, "emulator-ca.pem");
      fs.copyFileSync(summary.caFile, caFile);
      if (settings.port === undefined) {
        fs.writeFileSync(
          path.join(work, "sandbox.json"),
          JSON.stringify({ port: Number(new URL(summary.url).port) }) + "\n",
        );
      }
      resolve({ child, summary: { ...summary, caFile } });
    });
    child.on("exit", (code) =>
      reject(
        new Error(
          `the emulator exited (code ${code}) before it was ready` +
            (settings.port
              ? `; if port ${settings.port} is taken, free it (the stack's state records it) or delete ${path.join(work, "sandbox.json")} and the backend`
              : ""),
        ),
      ),
    );
  });
}

/** Asks the emulator to stop and waits until it has exited, that is, until the pair is saved. */
function stopEmulator(child: ChildProcess, stateFile: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `the emulator did not save the pair to ${stateFile} within ${SAVE_TIMEOUT_MS / 1000} s and was killed; the next run starts from the pair saved before`,
        ),
      );
    }, SAVE_TIMEOUT_MS);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`the emulator exited with code ${code} while saving the pair to ${stateFile}`));
    });
    child.kill("SIGTERM");
  });
}

/**
 * What the sandbox stack gets beyond its file: the emulator's endpoints, tenant ids and operator credentials,
 * and the emulator's stand-in for PowerShell. New-MigrationEndpoint runs through pwsh, and a real pwsh would
 * sign in to Microsoft, not to the emulator.
 */
export function emulatorValues(summary: EmulatorEndpointsInfo, projectRoot: string = root): Record<string, string> {
  return { ...emulatorStackConfig(summary), "xtmm:pwshPath": path.join(projectRoot, "emulator", "fake-pwsh.js") };
}

/**
 * The generated stack file: made from stacks/Pulumi.sandbox.yaml on the first run; after that the engineer's own
 * changes to it (`npm run sandbox -- config set …`) stay, and only the emulator's values are written over it.
 * Delete it to start again from the template.
 */
function writeStackConfig(work: string, summary: EmulatorSummary): string {
  const file = path.join(work, `Pulumi.${STACK}.yaml`);
  const source = fs.existsSync(file) ? file : path.join(root, "stacks", `Pulumi.${STACK}.yaml`);
  const doc = parseDocument(fs.readFileSync(source, "utf8"));
  // Everything but the secrets, which the CLI encrypts into the file itself (see run).
  const values = emulatorValues(summary);
  for (const key of EMULATOR_SECRET_KEYS) delete values[key];
  for (const [k, v] of Object.entries(values)) doc.setIn(["config", k], v);
  fs.writeFileSync(file, doc.toString(), { mode: 0o600 });
  return file;
}

/** Runs the CLI without blocking this process, so a signal to the sandbox reaches its handlers. */
function pulumi(cli: PulumiCli, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cli.command, args, {
      cwd: root,
      env,
      stdio: [input === undefined ? "inherit" : "pipe", "inherit", "inherit"],
    });
    if (input !== undefined) child.stdin!.end(input);
    child.on("error", (e) => {
      process.stderr.write(`sandbox: could not run ${cli.command}: ${e.message}\n`);
      resolve(1);
    });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

/** Whether the backend has the sandbox stack (`pulumi stack ls --json`). */
function stackExists(cli: PulumiCli, env: NodeJS.ProcessEnv): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(cli.command, ["stack", "ls", "--json", "--non-interactive"], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.on("error", () => resolve(false));
    child.on("close", () => {
      try {
        resolve((JSON.parse(out) as { name: string }[]).some((s) => s.name === STACK || s.name.endsWith(`/${STACK}`)));
      } catch {
        resolve(false);
      }
    });
  });
}

export async function run(argv: string[]): Promise<number> {
  const work = sandboxDir();
  fs.mkdirSync(path.join(work, "backend"), { recursive: true, mode: 0o700 });
  const release = takeLock(work, `npm run sandbox -- ${argv.join(" ")}`.trim());
  try {
    const cli = findPulumi();
    if (!cli) {
      process.stderr.write(NO_CLI_MESSAGE);
      return 1;
    }
    const stateFile = path.join(work, "sandbox-state.json");
    const { child, summary } = await startEmulator(work);
    let code = 1;
    try {
      const env: NodeJS.ProcessEnv = {
        ...cli.env,
        PULUMI_BACKEND_URL: process.env.PULUMI_BACKEND_URL ?? `file://${path.join(work, "backend")}`,
        // The sandbox's secrets are the emulator's own; a fixed local passphrase is enough to keep them out of plain text.
        PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "xtmm-sandbox",
        NODE_EXTRA_CA_CERTS: summary.caFile,
      };
      const configFile = writeStackConfig(work, summary);
      const cfg = ["--stack", STACK, "--config-file", configFile];
      if (!(await stackExists(cli, env))) {
        const init = await initStack(cli, STACK, env);
        if (init.code !== 0) {
          process.stderr.write(init.output);
          return 1;
        }
      }
      for (const role of ["source", "target"] as const) {
        // The value goes through standard input, never the command line.
        const rc = await pulumi(
          cli,
          ["config", "set", "--secret", `xtmm:${role}ClientSecret`, ...cfg],
          env,
          summary.tenants[role].clientSecret,
        );
        if (rc !== 0) return rc;
      }
      code = await pulumi(cli, pulumiArgs(argv, configFile), env);
      return code;
    } finally {
      await stopEmulator(child, stateFile);
    }
  } finally {
    release();
  }
}

if (require.main === module) {
  // Ctrl-C reaches the CLI too (same process group): it cancels; we then stop the emulator, which saves the pair.
  process.on("SIGINT", () => undefined);
  process.on("SIGTERM", () => undefined);
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`sandbox: ${err.message}\n`);
      process.exit(1);
    },
  );
}
