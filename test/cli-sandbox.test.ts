// The sandbox stack through the REAL Pulumi CLI (v3.276, built from Go modules by .ci/run) against the emulator:
// the change plan of a first run and the runs that must change nothing after up. The rest of the day (drift,
// wave changes, the batch, destroy) is test/cli-day.test.ts. Needs `npx tsc -p tsconfig.json` first (the program
// and the provider host load dist/).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { useEmulator } from "./support/emulator";
import { CliStack, emulatorConfig, nameOf, ROOT } from "../harness/pulumiCli";
import { writesSince } from "./engineers-day.test";
import { snapshot, type Snapshot } from "./support/tenantSnapshot";
import { PAIR_RESOURCES, waveResources } from "./support/pairResources";

jest.setTimeout(600_000);

const SANDBOX = parse(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.sandbox.yaml"), "utf8")) as {
  config: Record<string, unknown>;
};
const WAVE = ["alexw", "adelev", "meganb", "info", "diegos"];
const RESOURCES = [...PAIR_RESOURCES, ...waveResources("wave-1"), ...WAVE.map((a) => `mailuser/${a}@contoso.com`)];
const COMPONENTS = ["pair", "source", "target", "wave-1"];

const emulator = useEmulator();
const REPORTS = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-cli-sandbox-reports-"));
let stack: CliStack;
let before: Snapshot;

beforeAll(async () => {
  const { config, secrets } = emulatorConfig(emulator());
  stack = await CliStack.create(emulator(), {
    stack: "sandbox",
    config: { ...SANDBOX.config, ...config, "xtmm:readinessReportDir": REPORTS },
    secrets,
  });
  before = snapshot(emulator());
});
afterAll(() => {
  stack?.dispose();
  fs.rmSync(REPORTS, { recursive: true, force: true });
});

describe("the sandbox stack through the real Pulumi CLI", () => {
  test("preview --json lists every resource as a create, and the emulator sees no write", async () => {
    const mark = emulator().requests.length;
    const plan = await stack.previewJson();
    const creates = plan.steps.filter((s) => s.op === "create").map((s) => nameOf(s.urn));
    expect(plan.steps.filter((s) => s.op !== "create")).toEqual([]);
    expect(creates.sort()).toEqual([...RESOURCES, ...COMPONENTS, "xtmm-sandbox"].sort());
    expect(writesSince(emulator(), mark)).toEqual([]);
    expect(snapshot(emulator())).toEqual(before);
  });

  test("up converges the pair; up and refresh with --expect-no-changes both succeed and write nothing", async () => {
    await stack.up();
    const state = await stack.export();
    const names = (state.deployment.resources ?? []).map((r) => nameOf(r.urn));
    expect(names).toEqual(expect.arrayContaining(RESOURCES));
    const mark = emulator().requests.length;
    await stack.ok(["up", "--yes", "--expect-no-changes"]);
    await stack.ok(["refresh", "--yes", "--expect-no-changes"]);
    expect(writesSince(emulator(), mark)).toEqual([]);
  });
});
