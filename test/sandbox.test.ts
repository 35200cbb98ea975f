// `npm run sandbox` (scripts/sandbox.ts) as an engineer runs it, each test in a temporary sandbox folder
// (XTMM_SANDBOX_DIR), never the checkout's .emulator/:
// - without a CLI it says how to get one and exits 1;
// - with a stand-in CLI that only records its calls, the secrets reach the CLI through standard input, never an
//   argument or the stack file;
// - with the real CLI, `up` and then another command right after it run against one pair: the second finds every
//   object the first made, because the sandbox returns only once the emulator has saved the pair;
// - a second run while one is going refuses, naming the run; a lock left by a dead run is taken over.

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { deserializeState, type TenantState } from "../emulator/model";
import { PREVIOUS_MAILBOX_KEY } from "../emulator/exchange/cmdlets/users";
import { pulumiCli } from "../harness/pulumiCli";

jest.setTimeout(600_000);

const root = path.resolve(__dirname, "..");
const script = path.join(root, "dist", "scripts", "sandbox.js");

beforeAll(() => {
  const r = spawnSync(
    process.execPath,
    [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"],
    { cwd: root, encoding: "utf8" },
  );
  if (r.status !== 0 && !fs.existsSync(script)) throw new Error(`tsc failed:\n${r.stdout}`);
}, 120_000);

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    // No standard input, as under CI: the script must not wait on it.
    const child = spawn(process.execPath, [script, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

function savedPair(work: string): Record<"source" | "target", TenantState> {
  // Read the moment the script has returned: a file still being written would fail to parse here.
  const tenants = [
    ...deserializeState(fs.readFileSync(path.join(work, "sandbox-state.json"), "utf8")).tenants.values(),
  ];
  const of = (label: string) => tenants.find((t) => t.label === label)!;
  return { source: of("source"), target: of("target") };
}

test("without a Pulumi CLI it says so, says how to get one, and exits 1", async () => {
  const work = tempDir("xtmm-sandbox-nocli-");
  const r = await run([], { XTMM_SANDBOX_DIR: work, XTMM_PULUMI: path.join(os.tmpdir(), "no-such-pulumi-cli") });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/Pulumi CLI is not installed/);
  expect(r.stderr).toMatch(/npm run pulumi -- version/);
  // Nothing held: the next run may start.
  expect(fs.existsSync(path.join(work, "sandbox.lock"))).toBe(false);
});

test("with a CLI it creates the sandbox stack, sets the secrets through stdin, and runs up with the emulator's config", async () => {
  const work = tempDir("xtmm-sandbox-fake-");
  const log = path.join(work, "calls.jsonl");
  const fake = path.join(work, "pulumi");
  // Records argv and stdin of each call, and answers `version` and `stack ls` like the real CLI.
  fs.writeFileSync(
    fake,
    `#!${process.execPath}\n` +
      `const fs = require("fs");\n` +
      `const args = process.argv.slice(2);\n` +
      `if (args[0] === "version") { console.log("v3.999.0"); process.exit(0); }\n` +
      `if (args[0] === "stack" && args[1] === "ls") { console.log("[]"); process.exit(0); }\n` +
      `let stdin = ""; if (args[0] === "config") { try { stdin = fs.readFileSync(0, "utf8"); } catch {} }\n` +
      `fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ args, stdin, backend: process.env.PULUMI_BACKEND_URL, ca: process.env.NODE_EXTRA_CA_CERTS }) + "\\n");\n`,
    { mode: 0o755 },
  );
  const r = await run([], {
    XTMM_SANDBOX_DIR: work,
    XTMM_PULUMI: fake,
    PULUMI_BACKEND_URL: `file://${work}/elsewhere`,
  });
  expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);

  const calls = fs
    .readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(calls.map((c) => c.args.slice(0, 2).join(" "))).toEqual([
    "stack init",
    "config set",
    "config set",
    "up --yes",
  ]);
  const [init, setSource, setTarget, up] = calls;
  expect(init.args).toEqual(["stack", "init", "sandbox", "--non-interactive"]);

  const configFile = path.join(work, "Pulumi.sandbox.yaml");
  const config = fs.readFileSync(configFile, "utf8");
  for (const [call, role] of [
    [setSource, "source"],
    [setTarget, "target"],
  ] as const) {
    expect(call.args.slice(0, 4)).toEqual(["config", "set", "--secret", `xtmm:${role}ClientSecret`]);
    expect(call.args).toContain("--config-file");
    // The secret is what the CLI read on stdin, and appears in no argument and not in the config file.
    expect(call.stdin.length).toBeGreaterThan(10);
    expect(call.args.join(" ")).not.toContain(call.stdin);
    expect(config).not.toContain(call.stdin);
  }
  expect(up.args).toEqual(["up", "--yes", "--stack", "sandbox", "--config-file", configFile]);
  expect(up.backend).toBe(`file://${work}/elsewhere`);
  // The CA the stack trusts stays in one place from run to run (the engine reuses recorded provider config).
  expect(up.ca).toBe(path.join(work, "emulator-ca.pem"));
  expect(config).toMatch(/xtmm:cloud: custom/);
  expect(config).toMatch(/xtmm:customGraphEndpoint: https:\/\/127\.0\.0\.1:\d+\/graph/);
  expect(config).toMatch(/xtmm:sourceDomain: fabrikam\.onmicrosoft\.com/);
  expect(config).toMatch(/xtmm:targetTenantId: [0-9a-f-]{36}/);
  expect(config).toContain(`xtmm:customCaFile: ${path.join(work, "emulator-ca.pem")}`);
  // The pair was saved before the script returned.
  expect(Object.values(savedPair(work)).map((t) => t?.label)).toEqual(["source", "target"]);
  // An engineer's change to the generated stack file stays for the next run; the emulator's values are renewed.
  fs.writeFileSync(configFile, config.replace("config:\n", "config:\n  xtmm:migrationAppSecretRotation: r2\n"));
  const again = await run(["preview"], {
    XTMM_SANDBOX_DIR: work,
    XTMM_PULUMI: fake,
    PULUMI_BACKEND_URL: `file://${work}/elsewhere`,
  });
  expect(again.code).toBe(0);
  const after = fs.readFileSync(configFile, "utf8");
  expect(after).toContain("xtmm:migrationAppSecretRotation: r2");
  expect(after).toMatch(/xtmm:customGraphEndpoint: https:\/\/127\.0\.0\.1:\d+\/graph/);
  // The committed template is left as it is.
  expect(spawnSync("git", ["status", "--porcelain", "stacks/"], { cwd: root, encoding: "utf8" }).stdout).toBe("");
});

test("a second run while one holds the pair refuses and names it; a lock left by a dead run is taken over", async () => {
  const work = tempDir("xtmm-sandbox-lock-");
  const lock = path.join(work, "sandbox.lock");
  // This test's own process stands for a run still going.
  fs.writeFileSync(
    lock,
    JSON.stringify({ pid: process.pid, command: "npm run sandbox -- up", since: "2026-12-02T10:00:00.000Z" }),
  );
  const busy = await run(["preview"], {
    XTMM_SANDBOX_DIR: work,
    XTMM_PULUMI: path.join(os.tmpdir(), "no-such-pulumi-cli"),
  });
  expect(busy.code).toBe(1);
  expect(busy.stderr).toContain(`another sandbox run is using ${work}: \`npm run sandbox -- up\` (pid ${process.pid}`);
  expect(fs.existsSync(lock)).toBe(true);

  // A pid that is no longer running: the lock is stale, the run goes on (and stops at the missing CLI).
  const dead = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" });
  fs.writeFileSync(
    lock,
    JSON.stringify({ pid: Number(dead.stdout.trim()), command: "npm run sandbox", since: "2026-12-02T10:00:00.000Z" }),
  );
  const stale = await run([], { XTMM_SANDBOX_DIR: work, XTMM_PULUMI: path.join(os.tmpdir(), "no-such-pulumi-cli") });
  expect(stale.code).toBe(1);
  expect(stale.stderr).toMatch(/Pulumi CLI is not installed/);
  expect(fs.existsSync(lock)).toBe(false);
});

test("with the real CLI: up, then a refresh right after it, find the same pair; destroy then empties the stack", async () => {
  const work = tempDir("xtmm-sandbox-real-");
  const env = { XTMM_SANDBOX_DIR: work, XTMM_PULUMI: pulumiCli().command, PULUMI_HOME: path.join(work, "home") };
  const up = await run([], env);
  expect([up.code, up.stderr.slice(-2000)]).toEqual([0, expect.any(String)]);
  expect(up.stdout).toMatch(/\+ 24 created/);
  expect(up.stdout).toMatch(/consentUrl\s*:/);

  // Everything the up made is in the saved pair the moment the script returns.
  const { source, target } = savedPair(work);
  const appId = /client_id=([0-9a-f-]{36})/.exec(up.stdout)?.[1];
  const migrationApp = (t: TenantState) => [...t.directory.applications.values()].filter((a) => a.obj.appId === appId);
  expect(migrationApp(target)).toHaveLength(1);
  // The MailUsers the up staged: the seed's one former mailbox (raulr, for the previous-mailbox check) is not the stack's.
  const mailUsers = [...target.exchange.recipients.values()]
    .map((r) => r.obj)
    .filter((o) => o.RecipientTypeDetails === "MailUser" && !(PREVIOUS_MAILBOX_KEY in o));
  expect(mailUsers.map((m) => String(m.PrimarySmtpAddress).toLowerCase()).sort()).toEqual(
    ["adelev", "alexw", "info", "meganb"].map((a) => `${a}@contoso.com`),
  );
  expect([...source.exchange.organizationRelationships.values()]).toHaveLength(1);

  // Right after: a refresh reads every object back from the emulator; a lost or stale pair would show as changes.
  const refresh = await run(["refresh", "--yes", "--expect-no-changes"], env);
  expect([refresh.code, refresh.stdout.slice(-2000)]).toEqual([0, expect.any(String)]);

  const destroy = await run(["destroy", "--yes"], env);
  expect([destroy.code, destroy.stdout.slice(-2000)]).toEqual([0, expect.stringMatching(/- 24 deleted/)]);
  expect(migrationApp(savedPair(work).target)).toHaveLength(0);
});
