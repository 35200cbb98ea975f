// `npm run status` against the emulator, with a stack state built by the provider-host harness: two waves
// (one batch synced with a failed user and a held user beside it, one batch not started) and wave-1's
// Readiness resource, whose findings (its outputs, under its `wave` input) are the ones still open. Checked
// in-process (what is printed, which calls were made) and once as the built CLI reading the state from
// stdin, with the client secret from the environment.
// Needs `npx tsc -p tsconfig.json` first (the host and the CLI load dist/).

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tenantOf, useEmulator } from "./support/emulator";
import { Engine, emulatorStackConfig, type ResourceState } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import { PROJECT_ROOT } from "../harness/providerHost";
import { cmdlets, declareMailUser, exchangeCalls, mailUserArgs } from "./support/mailUsers";
import {
  batchArgs,
  batchEmulatorOptions,
  declareBatch,
  ENDPOINT,
  prepareEndpoint,
  refreshUntil,
  stageUsers,
} from "./support/migrationBatches";
import { declareResource } from "../harness/engine";
import { Readiness, type Finding } from "../providers/readiness";
import { bar, configFrom, parseArgs, render, run, withEnv } from "../scripts/status";
import { expectNoSecrets } from "./support/secrets";

const emulator = useEmulator(batchEmulatorOptions());
const providerHost = useProviderHost(emulator, { env: { XTMM_VISIBILITY_TIMEOUT_SECONDS: "10" } });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-status-"));
const statePath = path.join(dir, "state.json");
const configPath = path.join(dir, "config.json");
const WAVE = "xtmm:index:MigrationWave";
const waveUrn = (w: string) => `urn:pulumi:test::xtmm::${WAVE}::${w}`;
let findings: Finding[] = [];

/** What `pulumi stack export` holds for these resources: the waves as components, their children beneath them. */
function stackExport(states: ResourceState[], waveOf: (s: ResourceState) => string, extra: object[] = []): object {
  const waves = [...new Set(states.map(waveOf))].map((w) => ({ urn: waveUrn(w), custom: false, type: WAVE }));
  const resources = states.map((s) => ({
    urn: s.urn,
    custom: true,
    id: s.id,
    type: s.type,
    inputs: s.inputs,
    outputs: s.outputs,
    parent: waveUrn(waveOf(s)),
  }));
  return {
    version: 3,
    deployment: { manifest: { time: new Date().toISOString() }, resources: [...waves, ...resources, ...extra] },
  };
}

beforeAll(async () => {
  const e = emulator();
  const engine = new Engine(providerHost());
  await prepareEndpoint(e);
  const wave1 = await stageUsers(e, engine, ["adelev", "alexw", "meganb"], ["adelev", "alexw"]);
  await engine.up(await declareMailUser(mailUserArgs(e, "diegos", { blockers: ["on litigation hold"] })));
  const first = await declareBatch("batch/wave-1", batchArgs("wave-1", wave1, { start: true }));
  await engine.up(first);
  expect((await refreshUntil(engine, first, /^Synced/)).status).toBe("SyncedwithErrors");
  const wave2 = await stageUsers(e, engine, ["leeg"]);
  await engine.up(await declareBatch("batch/wave-2", batchArgs("wave-2", wave2)));
  // wave-1's pre-flight, as the wave declares it (its name says nothing of the wave: the `wave` input does).
  const appId = String([...tenantOf(e, "target").exchange.migrationEndpoints.values()][0].obj.ApplicationId);
  const users = ["adelev", "alexw", "meganb", "diegos"].map((a) => ({
    source: `${a}@fabrikam.com`,
    target: `${a}@contoso.com`,
  }));
  const readiness = await declareResource(
    () =>
      new Readiness("preflight-of-the-first-wave", {
        wave: "wave-1",
        users,
        appId,
        scopeGroup: "migration-to-contoso",
        endpointName: ENDPOINT,
        reportPath: path.join(dir, "wave-1.md"),
        refreshToken: "t",
      }),
  );
  findings = ((await engine.up(readiness)).state.outputs.findings as Finding[]) ?? [];
  const waveOf = (s: ResourceState) => (/leeg|wave-2/.test(s.name) ? "wave-2" : "wave-1");
  fs.writeFileSync(statePath, JSON.stringify(stackExport([...engine.states.values()], waveOf)));
  // `pulumi config --json --show-secrets` shape, without the target's secret (the CLI test passes it by environment).
  const config = Object.fromEntries(
    Object.entries(emulatorStackConfig(e)).map(([k, v]) => [k, { value: v, secret: /Secret$/.test(k) }]),
  );
  fs.writeFileSync(configPath, JSON.stringify(config), { mode: 0o600 });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test("prints each wave's users with state and percentage, a bar per wave, held users, and the open findings", async () => {
  const since = emulator().requests.length;
  const lines = await run({ state: statePath, config: configPath, statistics: true });
  const text = lines.join("\n");
  expect(text).toMatch(/^Wave wave-1: 3 user\(s\) in 1 batch\(es\), 1 in none$/m);
  expect(text).toMatch(/^ {2}\[#{20}-{10}\] {2}67%$/m);
  expect(text).toMatch(/^ {2}Batch wave-1: SyncedwithErrors; 2 synced, 0 completed, 1 failed of 3$/m);
  expect(text).toMatch(/^ {4}adelev@contoso\.com +Synced +95%$/m);
  expect(text).toMatch(
    /^ {4}meganb@contoso\.com +Failed +10% {2}CrossTenantMigrationWithoutLicensePermanentException: /m,
  );
  expect(text).toMatch(/^ {4}diegos@contoso\.com +held +\? {2}on litigation hold$/m);
  expect(text).toMatch(
    /^Wave wave-2: 1 user\(s\) in 1 batch\(es\)\n {2}\[-{30}\] {3}0%\n {2}Batch wave-2: Stopped; 0 synced, 0 completed, 0 failed of 1\n {4}leeg@contoso\.com +Queued +0%$/m,
  );
  // Every finding of wave-1's last check, blocking first, under the wave its Readiness resource checked.
  expect(findings.length).toBeGreaterThan(2);
  expect(text).toMatch(new RegExp(`^Readiness findings still open \\(${findings.length}\\):$`, "m"));
  expect(text).toMatch(
    /^ {2}blocking wave-1 org\.scopeGroup: the scope group migration-to-contoso does not exist in the source tenant Fix: Create it/m,
  );
  expect(text).toMatch(
    /^ {2}blocking wave-1 user\.licence: meganb@contoso\.com \(source meganb@fabrikam\.com\): neither the source mailbox nor the target MailUser has the Cross Tenant User Data Migration licence/m,
  );
  expect(text).toMatch(/^ {2}blocking wave-1 user\.hold\.litigation: diegos@contoso\.com/m);
  expect(text).not.toMatch(/^ {2}blocking wave-1 user\.licence: adelev@contoso\.com/m);
  expectNoSecrets(text, [emulator().tenants.source.clientSecret, emulator().tenants.target.clientSecret], "the report");
  // Statistics only for users whose percentage isn't fixed by their status (queued 0, completed 100); no writes.
  const calls = cmdlets(exchangeCalls(emulator(), since));
  expect(calls.filter((c) => c === "Get-MigrationUserStatistics")).toHaveLength(3);
  expect(calls.filter((c) => !/^Get-/.test(String(c)))).toEqual([]);
  const quick = (await run({ state: statePath, config: configPath, statistics: false })).join("\n");
  expect(quick).toMatch(/^ {4}adelev@contoso\.com +Synced +\?$/m);
});

/** Runs the built CLI asynchronously: the emulator answers from this process, so a blocking spawn would starve it. */
function runCli(
  args: string[],
  input: string,
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "dist", "scripts", "status.js"), ...args], {
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

test("the built CLI reads the state from stdin and the client secret from the environment", async () => {
  const config = JSON.parse(fs.readFileSync(configPath, "utf8"));
  delete config["xtmm:targetClientSecret"];
  const noSecret = path.join(dir, "config-no-secret.json");
  fs.writeFileSync(noSecret, JSON.stringify(config), { mode: 0o600 });
  const input = fs.readFileSync(statePath, "utf8");
  const missing = await runCli(["--state", "-", "--config", noSecret], input, { XTMM_TARGET_CLIENT_SECRET: "" });
  expect(missing.status).toBe(1);
  expect(missing.stderr).toMatch(/status failed: Stack configuration: targetClientSecret: missing/);
  const r = await runCli(["--state", "-", "--config", noSecret, "--no-statistics"], input, {
    XTMM_TARGET_CLIENT_SECRET: emulator().tenants.target.clientSecret,
  });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^Wave wave-1: 3 user\(s\)/m);
  expect(r.stdout).toMatch(/^ {4}leeg@contoso\.com +Queued +0%$/m);
  expectNoSecrets(r.stdout, [emulator().tenants.target.clientSecret], "the command's output");
});

test("pieces: the bar, the config sources, the arguments, an empty state", () => {
  expect(bar(0, 10)).toBe("[----------]   0%");
  expect(bar(55, 10)).toBe("[######----]  55%");
  expect(bar(140, 4)).toBe("[####] 100%");
  const get = withEnv(configFrom({ "xtmm:targetTenantId": { value: "t", secret: false }, "xtmm:cloud": "custom" }), {
    XTMM_TARGET_DOMAIN: "contoso.onmicrosoft.com",
  });
  expect([get("targetTenantId"), get("cloud"), get("targetDomain"), get("targetClientId")]).toEqual([
    "t",
    "custom",
    "contoso.onmicrosoft.com",
    undefined,
  ]);
  expect(parseArgs(["--stack", "pair", "--state", "-", "--no-statistics"])).toMatchObject({
    stack: "pair",
    state: "-",
    statistics: false,
  });
  expect(() => parseArgs(["--verbose"])).toThrow(/unknown argument --verbose; usage: npm run status/);
  expect(render([], [])).toEqual([
    "No migration waves in this stack's state (no MigrationBatch or MailUser resources).",
  ]);
});
