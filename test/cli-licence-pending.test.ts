// Just-assigned licences through the REAL Pulumi CLI against the emulator: the sandbox stack (licences: assign
// target, and a wave whose batch is declared) in one `pulumi up`, with an emulated Exchange that shows a new
// licence only seconds after Graph assigned it (the licenceVisibleAfterMs knob). Readiness records the users this
// run licensed as pending on the licence, not blocked and not one more licence needed; the batch waits for
// Exchange to show the licences and is submitted with every user, after the last one shows; the next preview
// plans nothing.
// Needs `npx tsc -p tsconfig.json` first (the program and the provider host load dist/).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { tenantOf, useEmulator } from "./support/emulator";
import { CliStack, changesOf, emulatorConfig, resourceNamed, ROOT } from "../harness/pulumiCli";
import { DEFAULT_EXCHANGE_KNOBS } from "../emulator/exchange/knobs";
import { expandFindings } from "../providers/readiness";

jest.setTimeout(600_000);

const SANDBOX = parse(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.sandbox.yaml"), "utf8")) as {
  config: Record<string, unknown>;
};
const USERS = ["adelev@fabrikam.com", "meganb@fabrikam.com"];
const TARGETS = ["adelev@contoso.com", "meganb@contoso.com"];
const VISIBLE_AFTER_MS = 4_000;
const emulator = useEmulator({
  exchange: { ...DEFAULT_EXCHANGE_KNOBS, migrationPhaseMs: 150, licenceVisibleAfterMs: VISIBLE_AFTER_MS },
});
const REPORTS = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-cli-licence-pending-"));
let stack: CliStack;

beforeAll(async () => {
  const { config, secrets } = emulatorConfig(emulator());
  stack = await CliStack.create(emulator(), {
    stack: "licence-pending",
    config: {
      ...SANDBOX.config,
      ...config,
      "xtmm:waves": { "wave-1": { users: USERS, batch: {} } },
      "xtmm:readinessReportDir": REPORTS,
    },
    secrets,
  });
});
afterAll(() => {
  stack?.dispose();
  fs.rmSync(REPORTS, { recursive: true, force: true });
});

test("one up licenses the wave, readiness holds the users as pending, and the batch waits for the licences", async () => {
  const mark = emulator().requests.length;
  await stack.up();
  const state = await stack.export();

  const assigned = (resourceNamed(state, "licences/wave-1")!.outputs!.assigned as { address: string }[]).map(
    (a) => a.address,
  );
  expect(assigned.sort()).toEqual(TARGETS);

  const readiness = resourceNamed(state, "readiness/wave-1")!.outputs as Record<string, unknown>;
  const licence = expandFindings(readiness).filter((f) => f.check === "user.licence");
  expect(licence.length).toBeGreaterThan(0);
  for (const f of licence) expect(f).toMatchObject({ pending: true, severity: "blocking" });
  expect(readiness.blockedUsers).toEqual([]);
  expect((readiness.licences as Record<string, unknown>).needed).toBe(0);

  const batch = resourceNamed(state, "batch/wave-1")!;
  expect(batch.inputs!.awaitLicences).toEqual({ tenant: "target", addresses: licence.map((f) => f.user) });
  expect(batch.outputs!.targetAddresses).toEqual(TARGETS);

  // The batch went to Exchange only once the emulated Exchange showed the last licence.
  const writes = emulator()
    .requests.slice(mark)
    .filter(
      (r) =>
        (r.surface === "exchange" && r.cmdlet === "New-MigrationBatch") ||
        (r.surface === "graph" && r.method !== "GET" && /assignLicense$/.test(r.path)),
    );
  const lastLicence = Math.max(...writes.filter((r) => r.surface === "graph").map((r) => r.at));
  const submitted = writes.filter((r) => r.surface === "exchange");
  expect(submitted).toHaveLength(1);
  expect(submitted[0].at - lastLicence).toBeGreaterThanOrEqual(VISIBLE_AFTER_MS - 1_000);
  const target = tenantOf(emulator(), "target");
  const batches = [...target.exchange.migrationBatches.values()].map((b) => [
    b.obj.Identity ?? b.obj.Name,
    b.obj.TotalCount,
  ]);
  expect(batches).toEqual([["wave-1", 2]]);

  // The licences show now: nothing is pending any more, but the users' readiness is recorded, so the next
  // preview is allowed to update readiness only.
  const plan = await stack.previewJson();
  expect(changesOf(plan).filter((c) => !c.startsWith("update readiness/"))).toEqual([]);
});
