// The live test move through the REAL Pulumi CLI against the emulator: with waves.wave-1.liveTest set, a
// `pulumi preview` makes no Test-MigrationServerAvailability -TestMailbox call (the check runs at preview, the
// live test only in the up's create/update); `pulumi up` makes one per ready user and the stack's `readiness`
// output carries each result; a user whose test fails (the emulator's liveTestFailures) is blocked with a
// user.liveTest finding. A non-boolean value stops the preview naming the key. Needs `npx tsc -p tsconfig.json`
// first (the program and the provider host load dist/).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { useEmulator } from "./support/emulator";
import { CliStack, emulatorConfig, resourceNamed, ROOT } from "../harness/pulumiCli";
import type { Rec } from "../emulator/model";
import { expandFindings } from "../providers/readiness";

jest.setTimeout(600_000);

const SANDBOX = parse(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.sandbox.yaml"), "utf8")) as {
  config: Record<string, unknown>;
};
const USERS = ["alexw@fabrikam.com", "meganb@fabrikam.com"];
const KEY = "xtmm:waves.wave-1.liveTest";

const emulator = useEmulator();
const REPORTS = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-cli-live-test-"));
let stack: CliStack;

const liveTests = (mark: number) =>
  emulator()
    .requests.slice(mark)
    .filter((r) => r.cmdlet === "Test-MigrationServerAvailability").length;

beforeAll(async () => {
  const { config, secrets } = emulatorConfig(emulator());
  stack = await CliStack.create(emulator(), {
    stack: "live-test",
    config: {
      ...SANDBOX.config,
      ...config,
      "xtmm:waves": { "wave-1": { users: USERS } },
      "xtmm:readinessReportDir": REPORTS,
    },
    secrets,
  });
  await stack.up();
});
afterAll(() => {
  stack?.dispose();
  fs.rmSync(REPORTS, { recursive: true, force: true });
});

test("a value that is not a boolean stops the preview, naming the key", async () => {
  await stack.setConfig(KEY, "yes", { path: true });
  const r = await stack.run(["preview"]);
  expect(r.code).not.toBe(0);
  expect(r.stdout + r.stderr).toContain(`${KEY} must be true or false`);
  await stack.ok(["config", "rm", "--path", KEY]);
});

test("opted in: preview makes no live test call; up makes one per ready user and the readiness output has the results", async () => {
  await stack.setConfig(KEY, "true", { path: true });
  emulator().options.exchange.liveTestFailures = { "meganb@contoso.com": "The source mailbox is over its quota." };
  let mark = emulator().requests.length;
  await stack.ok(["preview"]);
  expect(liveTests(mark)).toBe(0);

  mark = emulator().requests.length;
  await stack.up();
  const ready = (resourceNamed(await stack.export(), "readiness/wave-1")!.outputs as Rec).liveTests as Rec[];
  expect(liveTests(mark)).toBe(ready.length);
  expect(ready.map((t) => [t.target, t.result])).toEqual([
    ["alexw@contoso.com", "Success"],
    ["meganb@contoso.com", "Failed"],
  ]);
  const out = (await stack.outputs()).readiness as Rec;
  const wave = out["wave-1"] as Rec;
  expect((wave.liveTests as Rec[]).map((t) => [t.target, t.result])).toEqual([
    ["alexw@contoso.com", "Success"],
    ["meganb@contoso.com", "Failed"],
  ]);
  expect(wave.summary).toMatchObject({ blocked: 1 });
  const findings = expandFindings(resourceNamed(await stack.export(), "readiness/wave-1")!.outputs as Rec);
  expect(findings.filter((f) => f.check === "user.liveTest").map((f) => [f.user, f.severity])).toEqual([
    ["meganb@contoso.com", "blocking"],
  ]);
  emulator().options.exchange.liveTestFailures = {};
  await stack.ok(["destroy", "--yes"]);
});
