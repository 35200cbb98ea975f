// Which Pulumi CLI the project's commands run, and the environment it runs in. One answer for `npm run pulumi`,
// `npm run sandbox`, `npm run status` and the real-engine tests:
//
//   XTMM_PULUMI set       -> that CLI and nothing else (tests, or an engineer pinning a CLI)
//   `pulumi` on PATH      -> it, as Pulumi installed it
//   Go available          -> the CLI built from Go modules by tools/pulumi-install.sh (built on first use)
//   otherwise             -> none; the caller says how to install it
//
// The built CLI runs offline: it is told not to check for a newer version and not to download plugins (package.json's
// @pulumi/azuread makes the language host list the azuread plugin, which the main stack never loads), and its
// folder goes first on PATH, so the engine finds its language host and the dynamic-provider plugin beside it.

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The checkout: the folder with Pulumi.yaml above this file (dist/scripts/ when compiled, scripts/ under ts-jest). */
export function projectRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml")) && fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no Pulumi.yaml above ${from}`);
  }
}

const root = projectRoot();

export interface PulumiCli {
  /** The executable to spawn. */
  command: string;
  /** Where it came from, for messages. */
  origin: "XTMM_PULUMI" | "PATH" | "built from Go modules";
  /** The environment to run it in: the caller's, plus what the origin needs. */
  env: NodeJS.ProcessEnv;
}

/** What to tell an engineer when there is no CLI. */
export const NO_CLI_MESSAGE = [
  "The Pulumi CLI is not installed, and it cannot be built here (no Go toolchain).",
  "Install it (https://www.pulumi.com/docs/iac/download-install/) and put `pulumi` on PATH, or install Go 1.26+ with",
  "access to a Go module proxy and run `npm run pulumi -- version`, which builds it from Go modules (tools/README.md).",
  "",
].join("\n");

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function answersVersion(command: string, env: NodeJS.ProcessEnv): boolean {
  const r = spawnSync(command, ["version"], {
    encoding: "utf8",
    timeout: 60_000,
    env: { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" },
  });
  return r.status === 0 && /^v?\d+\.\d+/.test(r.stdout.trim());
}

/**
 * The environment the Go-built CLI needs: offline, its own folder on PATH and, before it, this checkout's
 * `@pulumi/pulumi`, whose `pulumi-resource-pulumi-nodejs` script is the dynamic-provider plugin the engine looks
 * for on PATH. The plugin is taken from the checkout rather than linked into the CLI's folder because that folder
 * may be shared (CI keeps it in a cache): a link there pointed at whichever checkout built it last.
 */
export function builtCliEnv(binDir: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    PATH: [path.join(root, "node_modules", "@pulumi", "pulumi"), binDir, env.PATH ?? ""]
      .filter(Boolean)
      .join(path.delimiter),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
}

/**
 * Builds (or finds already built) the CLI from Go modules; undefined without Go. The build's progress goes to
 * standard error as it happens; a failed build throws with its exit status.
 */
export function buildPulumi(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!onPath("go", env)) return undefined;
  const r = spawnSync("bash", [path.join(root, "tools", "pulumi-install.sh")], {
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (r.status !== 0)
    throw new Error(
      `building the Pulumi CLI from Go modules failed (tools/pulumi-install.sh exited ${r.status ?? r.signal}); see its messages above`,
    );
  const binDir = r.stdout.trim().split("\n").pop() ?? "";
  return path.join(binDir, "pulumi");
}

export interface FindOptions {
  /** Build from Go modules when no other CLI is found (default true). */
  build?: boolean;
}

export function findPulumi(env: NodeJS.ProcessEnv = process.env, opts: FindOptions = {}): PulumiCli | undefined {
  if (env.XTMM_PULUMI) {
    const command = env.XTMM_PULUMI;
    if (!answersVersion(command, env)) return undefined;
    // A CLI named by path may be ours (tests pass the built one): give it its folder and the offline settings.
    const dir = path.dirname(command);
    const ours = fs.existsSync(path.join(dir, "pulumi-language-nodejs"));
    return { command, origin: "XTMM_PULUMI", env: ours ? builtCliEnv(dir, env) : env };
  }
  const installed = onPath("pulumi", env);
  if (installed && answersVersion(installed, env)) return { command: installed, origin: "PATH", env };
  if (opts.build === false) return undefined;
  const built = buildPulumi(env);
  if (!built) return undefined;
  return { command: built, origin: "built from Go modules", env: builtCliEnv(path.dirname(built), env) };
}

/**
 * `pulumi stack init <stack>`, leaving the checkout as it was. Every stack here keeps its configuration in a
 * file of its own passed with --config-file (the sandbox's under .emulator/, a test's in its temporary folder),
 * and `config set` gives that file its own encryption salt. But `stack init` writes a salt into
 * stacks/Pulumi.<stack>.yaml, the committed template for the sandbox stack, and a second init with another
 * passphrase would then fail on it ("incorrect passphrase"). So the file is put back as it was.
 */
export async function initStack(
  cli: PulumiCli,
  stack: string,
  env: NodeJS.ProcessEnv,
  cwd: string = root,
): Promise<{ code: number; output: string }> {
  const file = path.join(cwd, "stacks", `Pulumi.${stack}.yaml`);
  const before = fs.existsSync(file) ? fs.readFileSync(file) : undefined;
  try {
    return await new Promise((resolve) => {
      const child = spawn(cli.command, ["stack", "init", stack, "--non-interactive"], {
        cwd,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout!.on("data", (d) => (output += d));
      child.stderr!.on("data", (d) => (output += d));
      child.on("error", (e) => resolve({ code: 1, output: e.message }));
      child.on("close", (code) => resolve({ code: code ?? 1, output }));
    });
  } finally {
    if (before === undefined) fs.rmSync(file, { force: true });
    else fs.writeFileSync(file, before);
  }
}
