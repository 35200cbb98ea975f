// `npm run sandbox` (scripts/sandbox.ts) at its process boundary with the Pulumi CLI, which cannot be installed
// here: without a CLI it must say so and exit 1; with one, it must hand the CLI the emulator's pair the way an
// engineer would (secrets through standard input, encrypted by the CLI, never on a command line). The stand-in
// CLI below only records what it was asked; it does not pretend to deploy anything.

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");
const script = path.join(root, "dist", "scripts", "sandbox.js");

beforeAll(() => {
  const r = spawnSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], {
    cwd: root,
    encoding: "utf8",
  });
  if (r.status !== 0 && !fs.existsSync(script)) throw new Error(`tsc failed:\n${r.stdout}`);
}, 120_000);

function run(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // No standard input, as under CI: the script must not wait on it.
    const child = spawn(process.execPath, [script], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

test("without a Pulumi CLI it says so, says how to install it, and exits 1", async () => {
  const r = await run({ XTMM_PULUMI: path.join(os.tmpdir(), "no-such-pulumi-cli") });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/Pulumi CLI is not installed/);
  expect(r.stderr).toMatch(/npm run sandbox/);
});

test("with a CLI it selects the sandbox stack, sets the secrets through stdin, and runs up with the emulator's config", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-fake-pulumi-"));
  const log = path.join(dir, "calls.jsonl");
  const fake = path.join(dir, "pulumi");
  // Records argv and stdin of each call, and answers `version` like the real CLI.
  fs.writeFileSync(
    fake,
    `#!${process.execPath}\n` +
      `const fs = require("fs");\n` +
      `const args = process.argv.slice(2);\n` +
      `if (args[0] === "version") { console.log("v3.999.0"); process.exit(0); }\n` +
      `let stdin = ""; if (args[0] === "config") { try { stdin = fs.readFileSync(0, "utf8"); } catch {} }\n` +
      `fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ args, stdin, backend: process.env.PULUMI_BACKEND_URL, ca: process.env.NODE_EXTRA_CA_CERTS }) + "\\n");\n`,
    { mode: 0o755 },
  );
  const work = path.join(root, ".emulator");
  const state = path.join(work, "sandbox-state.json");
  const hadState = fs.existsSync(state);
  const r = await run({ XTMM_PULUMI: fake, PULUMI_BACKEND_URL: `file://${dir}` });
  expect(r.code).toBe(0);

  const calls = fs.readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  expect(calls.map((c) => c.args[0])).toEqual(["stack", "config", "config", "up"]);
  const [select, setSource, setTarget, up] = calls;
  expect(select.args).toEqual(["stack", "select", "sandbox", "--create"]);

  const configFile = path.join(work, "Pulumi.sandbox.yaml");
  const config = fs.readFileSync(configFile, "utf8");
  const saved = JSON.parse(fs.readFileSync(state, "utf8"));
  expect(saved).toBeTruthy();
  for (const [call, role] of [[setSource, "source"], [setTarget, "target"]] as const) {
    expect(call.args.slice(0, 4)).toEqual(["config", "set", "--secret", `xtmm:${role}ClientSecret`]);
    expect(call.args).toContain("--config-file");
    // The secret is what the CLI read on stdin, and appears in no argument and not in the config file.
    expect(call.stdin.length).toBeGreaterThan(10);
    expect(call.args.join(" ")).not.toContain(call.stdin);
    expect(config).not.toContain(call.stdin);
  }
  expect(up.args.slice(0, 2)).toEqual(["up", "--yes"]);
  expect(up.args).toEqual(expect.arrayContaining(["--stack", "sandbox", "--config-file", configFile]));
  expect(up.backend).toBe(`file://${dir}`);
  expect(up.ca).toMatch(/\.pem$/);
  // The generated stack file points the custom cloud at the emulator and keeps the committed values.
  expect(config).toMatch(/xtmm:cloud: custom/);
  expect(config).toMatch(/xtmm:customGraphEndpoint: https:\/\/127\.0\.0\.1:\d+\/graph/);
  expect(config).toMatch(/xtmm:sourceDomain: fabrikam\.onmicrosoft\.com/);
  expect(config).toMatch(/xtmm:targetTenantId: [0-9a-f-]{36}/);
  if (!hadState) fs.rmSync(state, { force: true });
}, 60_000);
