// The real Pulumi CLI, driven as an engineer drives it, for the end-to-end tests: one stack in a temporary
// folder (its own PULUMI_HOME, a file backend, a generated stack file passed with --config-file, so nothing is
// written into the checkout), commands run as child processes against the project root, and what a user reads
// back: exit codes, `--json` output, `pulumi stack export`, `pulumi stack output`.
//
// The emulator runs in the test's own process (useEmulator), so tests can make drift by hand in its state and
// count the requests each command made. The CLI is the one scripts/pulumiCli.ts finds (XTMM_PULUMI, a `pulumi`
// on PATH, or the one built from Go modules; .ci/run builds it before the tests).

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { findPulumi, initStack, projectRoot, type PulumiCli } from "../scripts/pulumiCli";
import type { EmulatorEndpointsInfo } from "../emulator/stackConfig";
import { EMULATOR_SECRET_KEYS, emulatorStackConfig } from "../emulator/stackConfig";
import { FAKE_PWSH } from "../emulator/fakePwsh";
import { parse } from "yaml";
import type { PreviewDigest, StackExport } from "./cliOutput";

// The readers of what the CLI gives back live in cliOutput.ts; the tests import them from here with the stack.
export {
  changesOf,
  filesUnder,
  nameOf,
  resourceNamed,
  revealed,
  SECRET_SIG_KEY,
  secretPaths,
  type PreviewDigest,
  type PreviewStep,
  type StackExport,
  type StateResource,
} from "./cliOutput";

export const ROOT = projectRoot(__dirname);

let found: PulumiCli | undefined;
/** The CLI for these tests; fails the test (never skips it) when there is none. */
export function pulumiCli(): PulumiCli {
  if (!found) {
    found = findPulumi(process.env);
    if (!found)
      throw new Error(
        "no Pulumi CLI: the real-engine tests need one (run `npm run pulumi -- version` to build it from Go modules)",
      );
  }
  return found;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface StackOptions {
  stack: string;
  /** Plain values, `xtmm:`-prefixed keys; objects and arrays are written as YAML structures. */
  config: Record<string, unknown>;
  /** Values set with `pulumi config set --secret` (through standard input). */
  secrets?: Record<string, string>;
  /** Share a backend (and passphrase) with another stack: split administration's stack reference needs it. */
  backendOf?: CliStack;
}

/** The emulator's endpoints and operator identities as stack config, with the secrets split out. */
export function emulatorConfig(e: EmulatorEndpointsInfo): {
  config: Record<string, string>;
  secrets: Record<string, string>;
} {
  const all: Record<string, string> = { ...emulatorStackConfig(e), "xtmm:pwshPath": FAKE_PWSH };
  const secrets: Record<string, string> = {};
  for (const k of EMULATOR_SECRET_KEYS) {
    secrets[k] = all[k];
    delete all[k];
  }
  return { config: all, secrets };
}

export class CliStack {
  readonly dir: string;
  readonly configFile: string;
  readonly backend: string;
  readonly env: NodeJS.ProcessEnv;
  /** Every command run, with its result, for failure messages. */
  readonly history: { args: string[]; result: CliResult }[] = [];

  private constructor(
    readonly stack: string,
    readonly cli: PulumiCli,
    caFile: string,
    backendOf?: CliStack,
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `xtmm-cli-${stack}-`));
    this.configFile = path.join(this.dir, `Pulumi.${stack}.yaml`);
    this.backend = backendOf?.backend ?? path.join(this.dir, "backend");
    fs.mkdirSync(this.backend, { recursive: true });
    fs.mkdirSync(path.join(this.dir, "home"), { recursive: true });
    this.env = {
      ...cli.env,
      PULUMI_HOME: path.join(this.dir, "home"),
      PULUMI_BACKEND_URL: `file://${this.backend}`,
      PULUMI_CONFIG_PASSPHRASE: "xtmm-e2e-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      NODE_EXTRA_CA_CERTS: caFile,
      // The CLI's own colours and spinners, off: tests read its text.
      NO_COLOR: "1",
    };
    delete this.env.XTMM_ROOT;
    delete this.env.PULUMI_STACK;
  }

  /** A new stack with its configuration written, like `pulumi stack init` then `pulumi config set`. */
  static async create(emulator: EmulatorEndpointsInfo, opts: StackOptions): Promise<CliStack> {
    const s = new CliStack(opts.stack, pulumiCli(), emulator.caFile, opts.backendOf);
    s.writeConfig(opts.config);
    const init = await initStack(s.cli, opts.stack, s.env, ROOT);
    if (init.code !== 0) throw new Error(`pulumi stack init ${opts.stack} failed:\n${init.output}`);
    for (const [k, v] of Object.entries(opts.secrets ?? {})) await s.setConfig(k, v, { secret: true });
    return s;
  }

  /** Replaces the plain values of the stack file (the encryption salt and secrets stay). */
  writeConfig(config: Record<string, unknown>): void {
    const current = this.readConfigFile();
    const secrets = Object.fromEntries(
      Object.entries(current.config ?? {}).filter(([, v]) => v && typeof v === "object" && "secure" in (v as object)),
    );
    const doc: Record<string, unknown> = { ...current, config: { ...config, ...secrets } };
    fs.writeFileSync(this.configFile, stringify(doc), { mode: 0o600 });
  }

  readConfigFile(): { encryptionsalt?: string; config?: Record<string, unknown> } {
    if (!fs.existsSync(this.configFile)) return {};
    return (parse(fs.readFileSync(this.configFile, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  }

  async setConfig(key: string, value: string, opts: { secret?: boolean; path?: boolean } = {}): Promise<void> {
    const args = ["config", "set", key, ...(opts.secret ? ["--secret"] : []), ...(opts.path ? ["--path"] : [])];
    // Secrets go through standard input, never the command line.
    if (opts.secret) await this.ok(args, value);
    else await this.ok([...args.slice(0, 3), value, ...args.slice(3)]);
  }

  /** Runs `pulumi <args>` for this stack; resolves with the result whatever the exit code. */
  run(args: string[], input?: string, timeoutMs = 600_000): Promise<CliResult> {
    const full = [
      ...args,
      "--stack",
      this.stack,
      ...(takesConfigFile(args) ? ["--config-file", this.configFile] : []),
      "--non-interactive",
      "--color",
      "never",
    ];
    return new Promise((resolve, reject) => {
      const child = spawn(this.cli.command, full, { cwd: ROOT, env: this.env, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`pulumi ${args.join(" ")} did not finish within ${timeoutMs / 1000} s\n${stdout}\n${stderr}`));
      }, timeoutMs);
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.stdin.end(input ?? "");
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        const result = { code: code ?? -1, stdout, stderr };
        this.history.push({ args, result });
        resolve(result);
      });
    });
  }

  /** Runs a command that must succeed; the error carries its output. */
  async ok(args: string[], input?: string): Promise<CliResult> {
    const r = await this.run(args, input);
    if (r.code !== 0)
      throw new Error(`pulumi ${args.join(" ")} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    return r;
  }

  /** `pulumi preview --json`: the change plan as data (steps, diagnostics, change summary). */
  async previewJson(extra: string[] = []): Promise<PreviewDigest> {
    const r = await this.ok(["preview", "--json", ...extra]);
    return JSON.parse(r.stdout) as PreviewDigest;
  }

  up(extra: string[] = []): Promise<CliResult> {
    return this.ok(["up", "--yes", "--skip-preview", ...extra]);
  }

  /** The checkpoint as `pulumi stack export` gives it (secrets stay ciphertext). */
  async export(): Promise<StackExport> {
    return JSON.parse((await this.ok(["stack", "export"])).stdout) as StackExport;
  }

  /** `pulumi stack output --json` (secrets shown as "[secret]" unless showSecrets). */
  async outputs(showSecrets = false): Promise<Record<string, unknown>> {
    return JSON.parse(
      (await this.ok(["stack", "output", "--json", ...(showSecrets ? ["--show-secrets"] : [])])).stdout,
    ) as Record<string, unknown>;
  }

  /** Every file under the backend folder, as text. */
  backendFiles(): { file: string; text: string }[] {
    const out: { file: string; text: string }[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else out.push({ file: p, text: fs.readFileSync(p, "utf8") });
      }
    };
    walk(this.backend);
    return out;
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function takesConfigFile(args: string[]): boolean {
  return ["up", "preview", "refresh", "destroy", "config", "import", "watch"].includes(args[0]);
}

/** A CLI command started without waiting for it (cli-interrupt.test.ts): its pid, its output so far, its end. */
export interface StartedCli {
  pid: number;
  output(): string;
  done: Promise<CliResult>;
}

/**
 * Starts `pulumi <args>` for the stack like `run`, in its own process group (as a terminal runs a command), so
 * the whole tree it starts (language host, program, provider host) can be signalled at once.
 */
export function startCli(s: CliStack, args: string[]): StartedCli {
  const full = [
    ...args,
    "--stack",
    s.stack,
    ...(takesConfigFile(args) ? ["--config-file", s.configFile] : []),
    "--non-interactive",
    "--color",
    "never",
  ];
  const child = spawn(s.cli.command, full, {
    cwd: ROOT,
    env: s.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const result = { code: code ?? (signal ? 128 : -1), stdout, stderr };
      s.history.push({ args, result });
      resolve(result);
    });
  });
  return { pid: child.pid ?? -1, output: () => `${stdout}\n${stderr}`, done };
}
