// Retrying failed users through the REAL Pulumi CLI against the emulator: a started wave-1 batch in which
// one user's move fails (the emulator's moveFailures knob) -> refresh records each user's move, the failed
// one with its message and what to do -> `retryFailed` set in the stack file is previewed as an update of the
// batch alone, its only changed input retryFailed -> up sends one Start-MigrationBatch, the user moves and the
// `batches` output's moves are gone once all are synced -> the same value again plans nothing -> a switch as
// the value is refused by its key before anything is written.
// Needs `npx tsc -p tsconfig.json` first (the program and the provider host load dist/).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { useEmulator } from "./support/emulator";
import { CliStack, changesOf, emulatorConfig, nameOf, resourceNamed, ROOT } from "../harness/pulumiCli";
import { DEFAULT_EXCHANGE_KNOBS } from "../emulator/exchange/knobs";
import type { MigrationBatchMove } from "../providers/migrationBatch";

jest.setTimeout(600_000);

const SANDBOX = parse(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.sandbox.yaml"), "utf8")) as {
  config: Record<string, unknown>;
};
const USERS = ["alexw@fabrikam.com", "adelev@fabrikam.com"];
const FAILING = "adelev@contoso.com";
const emulator = useEmulator({ exchange: { ...DEFAULT_EXCHANGE_KNOBS, migrationPhaseMs: 500 } });
const REPORTS = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-cli-retry-reports-"));
let stack: CliStack;

const writesSince = (mark: number) =>
  emulator()
    .requests.slice(mark)
    .filter((r) => r.surface === "exchange" && r.cmdlet && !/^Get-/i.test(r.cmdlet))
    .map((r) => r.cmdlet);
const batchOutputs = async () =>
  resourceNamed(await stack.export(), "batch/wave-1")!.outputs as Record<string, unknown>;

/** Refreshes until the batch's recorded status matches (the emulator moves on at each request). */
async function refreshUntil(status: RegExp): Promise<Record<string, unknown>> {
  for (let i = 0; ; i++) {
    await stack.ok(["refresh", "--yes", "--skip-preview"]);
    const outs = await batchOutputs();
    if (status.test(String(outs.status)) || i >= 5) return outs;
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  emulator().options.exchange.moveFailures = {
    [FAILING]: { type: "SourceMailboxAlreadyBeingMovedPermanentException", text: "The source mailbox is being moved." },
  };
  const { config, secrets } = emulatorConfig(emulator());
  stack = await CliStack.create(emulator(), {
    stack: "retry",
    config: {
      ...SANDBOX.config,
      ...config,
      "xtmm:waves": { "wave-1": { users: USERS, batch: { start: true } } },
      "xtmm:readinessReportDir": REPORTS,
    },
    secrets,
  });
});
afterAll(() => {
  stack?.dispose();
  fs.rmSync(REPORTS, { recursive: true, force: true });
});

test("a failed user's move is recorded with what to do; retryFailed is previewed, then retried once", async () => {
  await stack.up();
  const failed = await refreshUntil(/^SyncedwithErrors$/);
  expect(failed.status).toBe("SyncedwithErrors");
  const moves = failed.moves as MigrationBatchMove[];
  expect(moves.map((m) => [m.address, m.status])).toEqual([
    ["alexw@contoso.com", "Synced"],
    [FAILING, "Failed"],
  ]);
  expect(moves[1].failure).toBe(
    "Error: SourceMailboxAlreadyBeingMovedPermanentException: The source mailbox is being moved.",
  );
  expect(moves[1].next).toMatch(/another move under way.*batch\.retryFailed/);

  // The cause goes away; the retry is a reviewed change of the stack file.
  emulator().options.exchange.moveFailures = {};
  await stack.setConfig("xtmm:waves.wave-1.batch.retryFailed", "2026-12-04T18:00", { path: true });
  const plan = await stack.previewJson();
  expect(changesOf(plan)).toEqual(["update batch/wave-1"]);
  const step = plan.steps.find((s) => nameOf(s.urn) === "batch/wave-1")!;
  // What the plan shows changing: the inputs that differ between the recorded and the planned state.
  const [was, will] = [step.oldState?.inputs ?? {}, step.newState?.inputs ?? {}];
  const differing = [...new Set([...Object.keys(was), ...Object.keys(will)])].filter(
    (k) => JSON.stringify(was[k]) !== JSON.stringify(will[k]),
  );
  expect(differing).toEqual(["retryFailed"]);
  expect([was.retryFailed, will.retryFailed]).toEqual(["", "2026-12-04T18:00"]);
  const mark = emulator().requests.length;
  await stack.up();
  expect(writesSince(mark)).toEqual(["Start-MigrationBatch"]);
  const synced = await refreshUntil(/^Synced$/);
  expect(synced).toMatchObject({ status: "Synced", syncedCount: 2, failedCount: 0, retryFailed: "2026-12-04T18:00" });
  // Every move synced: the batches output is back to its counts.
  await stack.up();
  expect((await stack.outputs()).batches).toEqual({
    "wave-1": { wave: "wave-1", status: "Synced", total: 2, synced: 2, completed: 0, failed: 0 },
  });
  // The same value again plans nothing.
  expect(changesOf(await stack.previewJson())).toEqual([]);
});

test("a switch as retryFailed is refused by its key before anything is written", async () => {
  await stack.setConfig("xtmm:waves.wave-1.batch.retryFailed", "true", { path: true });
  const mark = emulator().requests.length;
  const r = await stack.run(["preview"]);
  expect(r.code).not.toBe(0);
  expect(r.stdout + r.stderr).toContain(
    "xtmm:waves.wave-1.batch.retryFailed must be a text you change for each retry (e.g. the date), not true",
  );
  expect(writesSince(mark)).toEqual([]);
});
