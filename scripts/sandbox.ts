// The main job on the built-in default: `npm run sandbox` converges the emulated tenant pair with the real
// Pulumi CLI and a local state backend, the same way an engineer runs `pulumi up` against real tenants.
//
// Steps: find the Pulumi CLI (or say how to get it and exit 1) -> start the emulator with a state file, so the
// pair and its credentials survive between runs -> write the sandbox stack's configuration for this emulator
// (secrets encrypted by the CLI, never on a command line) -> `pulumi up` -> stop the emulator.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { EMULATOR_SECRET_KEYS, emulatorStackConfig, type EmulatorEndpointsInfo } from "../test/emulator/stackConfig";

const root = path.resolve(__dirname, "..", "..");
const work = path.join(root, ".emulator");
const STACK = "sandbox";

type EmulatorSummary = EmulatorEndpointsInfo & { url: string };

/**
 * XTMM_PULUMI when set (and then only it), else the CLI on PATH, else the `pulumi` npm package (which
 * downloads the CLI on first use).
 */
export function findPulumi(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = env.XTMM_PULUMI ? [env.XTMM_PULUMI] : ["pulumi", path.join(root, "node_modules", ".bin", "pulumi")];
  for (const cli of candidates) {
    const r = spawnSync(cli, ["version"], { encoding: "utf8", timeout: 120_000, env });
    if (r.status === 0) return cli;
  }
  return undefined;
}

function startEmulator(): Promise<{ child: ChildProcess; summary: EmulatorSummary }> {
  fs.mkdirSync(work, { recursive: true, mode: 0o700 });
  const child = spawn(
    process.execPath,
    [path.join(root, "dist", "test", "emulator", "cli.js"), "--state", path.join(work, "sandbox-state.json")],
    { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
  );
  return new Promise((resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString("utf8");
      const nl = buf.indexOf("\n");
      if (nl >= 0) resolve({ child, summary: JSON.parse(buf.slice(0, nl)) as EmulatorSummary });
    });
    child.on("exit", (code) => reject(new Error(`the emulator exited (code ${code}) before it was ready`)));
  });
}

/**
 * What the sandbox stack gets beyond its file: the emulator's endpoints, tenant ids and operator credentials,
 * and the emulator's stand-in for PowerShell. New-MigrationEndpoint runs through pwsh, and a real pwsh would
 * sign in to Microsoft, not to the emulator.
 */
export function emulatorValues(summary: EmulatorEndpointsInfo, projectRoot: string = root): Record<string, string> {
  return { ...emulatorStackConfig(summary), "xtmm:pwshPath": path.join(projectRoot, "test", "emulator", "fake-pwsh.js") };
}

function writeStackConfig(summary: EmulatorSummary): string {
  const template = parseDocument(fs.readFileSync(path.join(root, "stacks", `Pulumi.${STACK}.yaml`), "utf8"));
  // Everything but the secrets, which the CLI encrypts into the file itself (see main).
  const values = emulatorValues(summary);
  for (const key of EMULATOR_SECRET_KEYS) delete values[key];
  for (const [k, v] of Object.entries(values)) template.setIn(["config", k], v);
  const file = path.join(work, `Pulumi.${STACK}.yaml`);
  // Keep an earlier run's encryption salt: the stack's state was encrypted with the key derived from it.
  if (fs.existsSync(file)) {
    const previous = parseDocument(fs.readFileSync(file, "utf8"));
    const salt = previous.get("encryptionsalt");
    if (salt) template.set("encryptionsalt", salt);
  }
  fs.writeFileSync(file, template.toString(), { mode: 0o600 });
  return file;
}

function pulumi(cli: string, args: string[], env: NodeJS.ProcessEnv, input?: string): number {
  const r = spawnSync(cli, args, { cwd: root, env, input, stdio: [input === undefined ? "inherit" : "pipe", "inherit", "inherit"] });
  return r.status ?? 1;
}

async function main(): Promise<number> {
  const cli = findPulumi();
  if (!cli) {
    process.stderr.write(
      [
        "The Pulumi CLI is not installed, and `npx pulumi` could not download it on this machine.",
        "Install it (https://www.pulumi.com/docs/iac/download-install/), or run where `npx pulumi version` works, then run `npm run sandbox` again.",
        "Without the CLI, `npm test` still runs every provider through the real Pulumi dynamic-provider host against the emulator.",
        "",
      ].join("\n"),
    );
    return 1;
  }
  const { child, summary } = await startEmulator();
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PULUMI_BACKEND_URL: process.env.PULUMI_BACKEND_URL ?? `file://${path.join(work, "backend")}`,
      // The sandbox's secrets are the emulator's own; a fixed local passphrase is enough to keep them out of plain text.
      PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "xtmm-sandbox",
      NODE_EXTRA_CA_CERTS: summary.caFile,
      PULUMI_SKIP_UPDATE_CHECK: "true",
    };
    fs.mkdirSync(path.join(work, "backend"), { recursive: true });
    const configFile = writeStackConfig(summary);
    const cfg = ["--stack", STACK, "--config-file", configFile];
    if (pulumi(cli, ["stack", "select", STACK, "--create"], env) !== 0) return 1;
    for (const role of ["source", "target"] as const) {
      // The value goes through standard input, never the command line.
      const rc = pulumi(cli, ["config", "set", "--secret", `xtmm:${role}ClientSecret`, ...cfg], env, summary.tenants[role].clientSecret);
      if (rc !== 0) return rc;
    }
    return pulumi(cli, ["up", "--yes", ...cfg, ...process.argv.slice(2)], env);
  } finally {
    child.kill("SIGTERM");
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`sandbox: ${err.message}\n`);
      process.exit(1);
    },
  );
}
