// The emulator CLI as scripts use it: built with tsc, one JSON line on stdout, credentials that sign in,
// exit 0 on SIGTERM, exit 2 naming a bad flag, and a state file that survives a restart.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Agent, fetch } from "undici";
import { parseArgs, UsageError } from "../emulator/cli";
import { expectNoSecrets } from "./support/secrets";

const ROOT = resolve(__dirname, "..");
const CLI = join(ROOT, "dist/emulator/cli.js");

interface Running {
  child: ChildProcessWithoutNullStreams;
  summary: any;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function start(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT });
  let out = "";
  let err = "";
  const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return new Promise((resolveStart, reject) => {
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n"))
        resolveStart({ child, summary: JSON.parse(out.split("\n")[0]), stdout: () => out, stderr: () => err, exit });
    });
    child.stderr.on("data", (d) => (err += d));
    exit.then((code) => reject(new Error(`emulator exited ${code} before printing: ${err}`)));
  });
}

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function stopAndCheck(r: Running): Promise<void> {
  const agent = new Agent({ connect: { ca: readFileSync(r.summary.caFile, "utf8") } });
  try {
    // The CLI's users have no in-process emulator: the admin surface is how they see violations.
    const v = (await (await fetch(`${r.summary.url}/_emulator/violations`, { dispatcher: agent })).json()) as any;
    expect(v.value).toEqual([]);
  } finally {
    await agent.close();
  }
  r.child.kill("SIGTERM");
  expect(await r.exit).toBe(0);
  expect(
    r
      .stdout()
      .split("\n")
      .filter((l) => l.length > 0),
  ).toHaveLength(1);
}

beforeAll(() => {
  // tsc emits even when files owned by others still have type errors; the CLI only needs its own output.
  spawnSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  expect(existsSync(CLI)).toBe(true);
}, 180_000);

describe("emulator CLI", () => {
  it("prints one JSON line whose credentials sign in, and exits 0 on SIGTERM", async () => {
    const r = await start(["--port", "0", "--mailboxes", "3", "--latency-ms", "0", "--faults", "seed=11"]);
    try {
      const s = r.summary;
      expect(Object.keys(s)).toEqual(["url", "caFile", "endpoints", "tenants"]);
      expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(s.endpoints).toEqual({ login: s.url, graph: `${s.url}/graph`, exchange: `${s.url}/exchange` });
      expect(s.tenants.source).toMatchObject({ domain: "fabrikam.onmicrosoft.com" });
      expect(s.tenants.target).toMatchObject({ domain: "contoso.onmicrosoft.com" });
      for (const k of ["tenantId", "clientId", "clientSecret"]) expect(typeof s.tenants.source[k]).toBe("string");
      expectNoSecrets(r.stderr(), [s.tenants.source.clientSecret], "the emulator CLI's stderr");
      const agent = new Agent({ connect: { ca: readFileSync(s.caFile, "utf8") } });
      try {
        const res = await fetch(`${s.endpoints.login}/${s.tenants.target.tenantId}/oauth2/v2.0/token`, {
          method: "POST",
          dispatcher: agent,
          body: new URLSearchParams({
            grant_type: "client_credentials",
            client_id: s.tenants.target.clientId,
            client_secret: s.tenants.target.clientSecret,
            scope: "https://outlook.office365.com/.default",
          }),
        });
        expect(res.status).toBe(200);
        expect(((await res.json()) as any).access_token.split(".")).toHaveLength(3);
      } finally {
        await agent.close();
      }
    } finally {
      await stopAndCheck(r);
    }
  });

  it.each([
    [["--port", "abc"], /--port expects a whole number from 0 to 65535, got 'abc'/],
    [["--mailboxes"], /--mailboxes needs a value/],
    [["--verbose"], /unknown argument '--verbose'/],
    [["--faults", "throttle=2"], /--faults: fault key 'throttle' expects a rate between 0 and 1/],
    [["--faults", "jitter=1"], /--faults: unknown fault key 'jitter'/],
  ])("exits 2 for %j, naming the flag on stderr and printing nothing on stdout", (args, message) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });

  it("parses flags in both spellings", () => {
    expect(
      parseArgs([
        "--port=8443",
        "--latency-ms",
        "20",
        "--faults",
        "throttle=0.5,surfaces=exchange",
        "--state",
        "/tmp/x.json",
      ]),
    ).toMatchObject({
      port: 8443,
      latencyMs: 20,
      stateFile: "/tmp/x.json",
      faults: { throttleRate: 0.5, surfaces: ["exchange"], unavailableRate: 0 },
    });
    expect(() => parseArgs(["--port", "70000"])).toThrow(UsageError);
  });

  it("saves the pair to --state on SIGTERM and serves the same pair from it next time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xtmm-cli-state-"));
    const file = join(dir, "pair.json");
    try {
      const first = await start(["--state", file, "--mailboxes", "2"]);
      await stopAndCheck(first);
      expect(existsSync(file)).toBe(true);
      const second = await start(["--state", file]);
      try {
        expect(second.summary.tenants).toEqual(first.summary.tenants);
        expect(second.summary.caFile).not.toBe(first.summary.caFile);
      } finally {
        await stopAndCheck(second);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
