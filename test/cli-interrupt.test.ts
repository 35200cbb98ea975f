// An interrupted `pulumi up` through the REAL Pulumi CLI (v3.276, built from Go modules by .ci/run) against the
// emulator. The sandbox stack, its wave grown to the sandbox's five users plus GENERATED generated ones, with
// latency on every call, is interrupted while an object is being made: SIGKILL to the CLI and every process it
// started (a closed laptop, a killed terminal) at the moment the emulator receives the request that makes the
// migration app's secret (then, in the same run, a consent), the migration endpoint, the middle MailUser, the
// migration batch; one Ctrl-C (SIGINT) in the middle of staging, and Ctrl-C twice while the batch is made. Each
// run has its own emulator and stack. After the interruption the test does what README's "If an update is
// interrupted" says, checks what the CLI reports at each step, and ends with the stack converged: `preview
// --expect-no-changes` passes, no pending operation or lock is left, the tenants hold exactly one of each object,
// every object made is in the checkpoint, and the source mailboxes are as they were. Needs `npx tsc -p
// tsconfig.json` first. XTMM_INTERRUPT_LOG=<dir> keeps what each run's commands printed.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { startEmulator, type Emulator } from "../emulator";
import type { RequestRecord } from "../emulator/server";
import { formatViolations, tenantOf } from "./support/emulator";
import {
  CliStack,
  emulatorConfig,
  nameOf,
  resourceNamed,
  ROOT,
  startCli,
  type CliResult,
  type StackExport,
} from "../harness/pulumiCli";
import {
  ctrlC,
  killTree,
  madeSince,
  mailUsersBySource,
  orphans,
  requestSeen,
  sourceMailboxes,
  tenantKeys,
  writesSince,
  type TenantKeys,
} from "./support/interrupt";

jest.setTimeout(900_000);

// Enough users that staging is the longest step (so "the middle of staging" is a real middle, with creates in
// flight on both sides of it), few enough that the five runs, two at a time, take about three minutes. The
// moments are found by the requests, so more users would only make the file slower.
const GENERATED = 100;
// Every call waits this long before the emulator applies it: a request seen is not answered yet when the
// CLI dies, so the object it makes exists in the tenant while the engine never hears of it.
const LATENCY_MS = 40;
const SANDBOX = parse(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.sandbox.yaml"), "utf8")) as {
  config: Record<string, unknown>;
};
const SANDBOX_USERS = (SANDBOX.config["xtmm:waves"] as { "wave-1": { users: string[] } })["wave-1"].users;
const USERS = [
  ...SANDBOX_USERS,
  ...Array.from({ length: GENERATED }, (_, i) => `user${String(i + 1).padStart(5, "0")}@fabrikam.com`),
];
// On litigation hold in the seed: held (recorded, nothing written), never staged or batched.
const HELD = "diegos@fabrikam.com";
const STAGED = USERS.filter((u) => u !== HELD);

interface Run {
  e: Emulator;
  stack: CliStack;
  before: TenantKeys;
  mailboxes: unknown;
  reports: string;
}

// Runs at once: two keep CI's two cores busy (a run alone leaves one mostly idle); a third made the file no faster.
const LANES = Number(process.env.XTMM_INTERRUPT_LANES ?? 2);
const slot = (() => {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(f: () => Promise<T>): Promise<T> => {
    while (active >= LANES) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await f();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
})();

/** A fresh tenant pair and stack; the run's body; the emulator stopped and the folders removed whatever happens. */
function inRun(name: string, body: (run: Run) => Promise<void>): () => Promise<void> {
  return () =>
    slot(async () => {
      const e = await startEmulator({ mailboxes: GENERATED, latencyMs: 0 });
      const reports = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-cli-interrupt-reports-"));
      let stack: CliStack | undefined;
      try {
        // The seeded target has 10 migration licences; the wave needs one per staged user to be ready for its batch.
        for (const sku of tenantOf(e, "target").directory.subscribedSkus)
          if (sku.skuPartNumber === "Cross_tenant_user_data_migration")
            (sku.prepaidUnits as { enabled: number }).enabled = 1000;
        const { config, secrets } = emulatorConfig(e);
        const waves = { "wave-1": { users: USERS, batch: {} } };
        stack = await CliStack.create(e, {
          stack: "sandbox",
          config: { ...SANDBOX.config, ...config, "xtmm:waves": waves, "xtmm:readinessReportDir": reports },
          secrets,
        });
        e.options.latencyMs = LATENCY_MS;
        await body({ e, stack, before: tenantKeys(e), mailboxes: sourceMailboxes(e), reports });
        expect(formatViolations(e.violations())).toBe("");
      } finally {
        // Every command of the run but `stack export`, and what it printed, one file per run (what the README quotes).
        if (stack && process.env.XTMM_INTERRUPT_LOG) {
          const lines = stack.history
            .filter((h) => h.args[0] !== "stack")
            .map((h) => `$ pulumi ${h.args.join(" ")}   [exit ${h.result.code}]\n${text(h.result)}`);
          fs.writeFileSync(path.join(process.env.XTMM_INTERRUPT_LOG, `${name}.log`), lines.join("\n"));
        }
        stack?.dispose();
        await e.stop();
        fs.rmSync(reports, { recursive: true, force: true });
      }
    });
}

const text = (r: CliResult) => `${r.stdout}\n${r.stderr}`;
const resource = resourceNamed;
const pendingOf = (s: StackExport) =>
  ((s.deployment.pending_operations ?? []) as { type: string; resource: { urn: string } }[])
    .map((p) => `${p.type} ${nameOf(p.resource.urn)}`)
    .sort();
// The file backend keeps one `<uuid>.json` per lock (beside it, the blob library's `.attrs`).
const lockFiles = (s: CliStack) =>
  s
    .backendFiles()
    .filter((f) => f.file.includes(`${path.sep}locks${path.sep}`) && f.file.endsWith(".json"))
    .map((f) => path.basename(f.file));
const graphPost = (tail: RegExp) => (r: RequestRecord) =>
  r.surface === "graph" && r.method === "POST" && tail.test(r.path);
const cmdlet = (name: string, nth = 1) => {
  let seen = 0;
  return (r: RequestRecord) => r.cmdlet === name && ++seen === nth;
};

/**
 * `pulumi up`, interrupted once the emulator has received the request `at` matches: SIGKILL to the whole
 * process tree, or one Ctrl-C. Returns what the up printed and the pending operations the checkpoint holds.
 */
async function interruptedUp(
  run: Run,
  at: (r: RequestRecord) => boolean,
  what: string,
  how: "kill" | "ctrl-c" | "ctrl-c twice" = "kill",
  opts: { emptyAttrs?: boolean } = {},
) {
  const from = run.e.requests.length;
  const up = startCli(run.stack, ["up", "--yes", "--skip-preview"]);
  await requestSeen(run.e, at, { from, stop: up.done, what });
  if (how === "kill") await killTree(up.pid);
  else ctrlC(up.pid);
  if (how === "ctrl-c twice") {
    // The tenant's next answers are slow, so the create in flight is still unfinished at the second press,
    // which comes once the CLI has taken the first (it says so), as a person presses it again.
    run.e.options.latencyMs = 1500;
    while (!up.output().includes("^C received; cancelling")) await new Promise((r) => setTimeout(r, 20));
    ctrlC(up.pid);
    run.e.options.latencyMs = LATENCY_MS;
  }
  const result = await up.done;
  if (how === "kill") await firstCommandAfterKill(run, opts.emptyAttrs === true);
  const state = await run.stack.export();
  return { result, state, pending: pendingOf(state) };
}

/**
 * What the engineer's next `pulumi up` meets after a kill: the dead CLI's lock. The file backend writes the
 * checkpoint to a temporary file and renames it, but writes its metadata (`<stack>.json.attrs`) in place, so a
 * kill in that moment (once in about sixty kills here) leaves it empty, and every command fails with
 * "failed to load checkpoint: EOF" until the file is deleted (the checkpoint itself is whole). `emptyAttrs`
 * leaves it so, so that the README's step for it runs every time.
 */
async function firstCommandAfterKill(run: Run, emptyAttrs: boolean): Promise<void> {
  const attrs = path.join(run.stack.backend, ".pulumi", "stacks", "xtmm", "sandbox.json.attrs");
  if (emptyAttrs) fs.writeFileSync(attrs, "");
  let r = await run.stack.run(["up", "--yes", "--skip-preview"]);
  const unreadable = /error: failed to load checkpoint: (unexpected )?EOF/.test(text(r));
  if (emptyAttrs) expect(unreadable).toBe(true);
  if (unreadable) {
    fs.rmSync(attrs);
    r = await run.stack.run(["up", "--yes", "--skip-preview"]);
  }
  expect(r.code).toBe(1);
  expect(text(r)).toMatch(
    /error: the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`\./,
  );
  expect(lockFiles(run.stack)).toHaveLength(1);
}

/** `pulumi cancel`: removes the lock (and nothing else: the pending operations stay). */
async function cancel(run: Run): Promise<void> {
  const before = pendingOf(await run.stack.export());
  const r = await run.stack.ok(["cancel", "--yes"]);
  expect(r.stdout).toContain("The currently running update for 'sandbox' has been canceled!");
  expect(lockFiles(run.stack)).toEqual([]);
  expect(pendingOf(await run.stack.export())).toEqual(before);
}

/** `pulumi refresh --clear-pending-creates`: drops the pending creates and reads every recorded object again. */
async function clearPendingCreates(run: Run): Promise<CliResult> {
  const r = await run.stack.ok(["refresh", "--clear-pending-creates", "--yes", "--skip-preview"]);
  expect(pendingOf(await run.stack.export())).toEqual([]);
  return r;
}

/** README's steps after a killed up (and its lock met): cancel (the lock), refresh --clear-pending-creates, up. */
async function recover(run: Run): Promise<CliResult> {
  await cancel(run);
  await clearPendingCreates(run);
  return run.stack.up();
}

/** The end of every run: converged, nothing pending or locked, one of each object, nothing orphaned, sources untouched. */
async function expectConverged(run: Run): Promise<void> {
  const { e, stack } = run;
  await stack.ok(["preview", "--expect-no-changes"]);
  const state = await stack.export();
  expect(pendingOf(state)).toEqual([]);
  expect(lockFiles(stack)).toEqual([]);
  expect(orphans(e, run.before, JSON.stringify(state))).toEqual([]);
  const made = madeSince(e, run.before);
  const count = (what: string) => made.filter((m) => m.what.startsWith(`${what} `)).length;
  expect({
    apps: count("target applications"),
    servicePrincipals: [count("target servicePrincipals"), count("source servicePrincipals")],
    consents: [count("target appRoleAssignments"), count("source appRoleAssignments")],
    relationships: [count("target organizationRelationships"), count("source organizationRelationships")],
    endpoints: count("target migrationEndpoints"),
    batches: count("target migrationBatches"),
  }).toEqual({ apps: 1, servicePrincipals: [1, 1], consents: [1, 1], relationships: [1, 1], endpoints: 1, batches: 1 });
  // One secret, the recorded one: nothing an interrupted run added is left on the app.
  const app = resource(state, "migration-app")!.outputs as { applicationObjectId: string; secretKeyId: string };
  const onApp = tenantOf(e, "target").directory.applications.get(app.applicationObjectId)!.obj.passwordCredentials as {
    keyId: string;
  }[];
  expect(onApp.map((p) => p.keyId)).toEqual([app.secretKeyId]);
  expect([...(tenantOf(e, "target").directory.secretValues.get(app.applicationObjectId)?.keys() ?? [])]).toEqual([
    app.secretKeyId,
  ]);
  // One MailUser per staged user, stamped with its source's ExchangeGuid and recorded under that Guid; none for the held one.
  const mailUsers = mailUsersBySource(e, run.before);
  expect([...mailUsers.keys()].sort()).toEqual([...STAGED].sort());
  const problems: string[] = [];
  for (const user of STAGED) {
    const [mu, ...more] = mailUsers.get(user)!;
    const recorded = resource(state, `mailuser/${user.replace("@fabrikam.com", "@contoso.com")}`)?.outputs as
      { identity?: string; exchangeGuid?: string } | undefined;
    if (more.length > 0) problems.push(`${user}: ${more.length + 1} MailUsers`);
    else if (!recorded || recorded.identity !== String(mu.Guid).toLowerCase())
      problems.push(`${user}: recorded ${recorded?.identity}, tenant ${String(mu.Guid)}`);
    else if (String(mu.ExchangeGuid).toLowerCase() !== recorded.exchangeGuid)
      problems.push(`${user}: not stamped (${String(mu.ExchangeGuid)})`);
  }
  expect(problems).toEqual([]);
  const batch = resource(state, "batch/wave-1")!.outputs as { totalCount: number; status: string };
  expect(batch).toMatchObject({ totalCount: STAGED.length, status: "Stopped" });
  expect(sourceMailboxes(e)).toEqual(run.mailboxes);
  // The CLI never printed a secret: the app's, or the operator identities'.
  const secrets = [
    ...(tenantOf(e, "target").directory.secretValues.get(app.applicationObjectId)?.values() ?? []),
    e.tenants.source.clientSecret,
    e.tenants.target.clientSecret,
  ];
  const leaks = stack.history
    .filter((h) => secrets.some((s) => text(h.result).includes(s)))
    .map((h) => `pulumi ${h.args.join(" ")}`);
  expect(leaks).toEqual([]);
}

describe("an interrupted pulumi up converges on the next run (real CLI, emulator)", () => {
  test.concurrent(
    "killed while the app's secret is made, then killed again during the consents; `up` alone converges, refresh --clear-pending-creates ends the warning",
    inRun("app-and-consent", async (run) => {
      const first = await interruptedUp(
        run,
        graphPost(/\/applications\/[^/]+\/addPassword$/),
        "the migration app's addPassword",
      );
      expect(first.result.code).not.toBe(0);
      expect(first.pending).toContain("creating migration-app");
      expect(resource(first.state, "migration-app")).toBeUndefined();
      // The app and a secret exist in the tenant, and the checkpoint knows neither.
      const made = madeSince(run.e, run.before).filter((m) => m.what.startsWith("target applications"));
      const leftover = made.flatMap((m) => (m.obj.passwordCredentials as { keyId: string }[]).map((p) => p.keyId));
      expect(leftover).toHaveLength(1);
      await cancel(run);

      const second = await interruptedUp(
        run,
        graphPost(/\/servicePrincipals\/[^/]+\/appRoleAssignedTo$/),
        "a consent's appRoleAssignedTo",
      );
      expect(text(second.result)).toMatch(
        /warning: Attempting to deploy or update resources with \d+ pending operations from previous deployment\./,
      );
      expect(second.pending.filter((p) => p.startsWith("creating consent/")).length).toBeGreaterThan(0);
      // The app was found by its tag and given a new secret; the unrecorded one is recorded as retiring.
      const app = resource(second.state, "migration-app")!.outputs as {
        secretKeyId: string;
        retiringSecretKeyIds: string[];
      };
      expect(app.retiringSecretKeyIds).toEqual(leftover);
      expect(app.secretKeyId).not.toBe(leftover[0]);
      await cancel(run);

      // `pulumi up` alone: it warns about the pending creates, creates (finds) them again, and converges.
      const up = await run.stack.up();
      expect(text(up)).toMatch(
        /Attempting to deploy or update resources with \d+ pending operations from previous deployment\./,
      );
      expect(text(up)).toMatch(/\* urn:pulumi:sandbox::xtmm::[^\n]*::consent\/\w+, interrupted while creating/);
      expect(text(up)).toContain(`MigrationAppSecretRetirement: removed client secret ${leftover[0]}`);
      // ...but the pending creates stay in the checkpoint (and the warning on every up) until refresh clears them.
      expect(pendingOf(await run.stack.export())).toEqual(expect.arrayContaining(second.pending));
      await clearPendingCreates(run);
      // As after a rotation, one more up only settles the state (the app drops the retired key id): no tenant write.
      const mark = run.e.requests.length;
      await run.stack.up();
      expect(writesSince(run.e, mark)).toEqual([]);
      await expectConverged(run);
    }),
  );

  test.concurrent(
    "killed while the migration endpoint is made: cancel, refresh --clear-pending-creates, up",
    inRun("endpoint", async (run) => {
      const { pending, state } = await interruptedUp(run, cmdlet("New-MigrationEndpoint"), "New-MigrationEndpoint");
      expect(pending).toContain("creating migration-endpoint");
      expect(resource(state, "migration-endpoint")).toBeUndefined();
      expect(tenantOf(run.e, "target").exchange.migrationEndpoints.size).toBe(1);
      const up = await recover(run);
      expect(text(up)).not.toContain("pending operations");
      await expectConverged(run);
    }),
  );

  test.concurrent(
    "killed in the middle of staging: cancel, refresh --clear-pending-creates, up",
    inRun("staging", async (run) => {
      const { pending, state } = await interruptedUp(
        run,
        cmdlet("New-MailUser", Math.round(STAGED.length / 2)),
        "the middle New-MailUser",
      );
      expect(pending.filter((p) => p.startsWith("creating mailuser/")).length).toBeGreaterThan(0);
      // The tenant holds MailUsers the checkpoint does not record (made, unanswered, or not yet stamped).
      const recorded = (state.deployment.resources ?? []).filter(
        (r) => nameOf(r.urn).startsWith("mailuser/") && (r.outputs as { identity?: string }).identity,
      ).length;
      expect([...mailUsersBySource(run.e, run.before).values()].flat().length).toBeGreaterThan(recorded);
      await recover(run);
      await expectConverged(run);
    }),
  );

  test.concurrent(
    "killed while the migration batch is made, the checkpoint's metadata file left empty: delete it, cancel, refresh --clear-pending-creates, up",
    inRun("batch", async (run) => {
      const { pending, state } = await interruptedUp(run, cmdlet("New-MigrationBatch"), "New-MigrationBatch", "kill", {
        emptyAttrs: true,
      });
      expect(pending).toEqual(["creating batch/wave-1"]);
      expect(resource(state, "batch/wave-1")).toBeUndefined();
      await recover(run);
      await expectConverged(run);
    }),
  );

  test.concurrent(
    "one Ctrl-C in the middle of staging cancels cleanly and up alone goes on; Ctrl-C twice while the batch is made leaves a pending create: refresh --clear-pending-creates, up",
    inRun("ctrl-c", async (run) => {
      const once = await interruptedUp(
        run,
        cmdlet("New-MailUser", Math.round(STAGED.length / 2)),
        "the middle New-MailUser",
        "ctrl-c",
      );
      expect(once.result.code).toBe(1);
      expect(text(once.result)).toContain(
        "^C received; cancelling. If you would like to terminate immediately, press ^C again.",
      );
      expect(text(once.result)).toContain("error: update canceled");
      // The creates in flight finished and were recorded; the lock is released.
      expect(once.pending).toEqual([]);
      expect(lockFiles(run.stack)).toEqual([]);

      const twice = await interruptedUp(run, cmdlet("New-MigrationBatch"), "New-MigrationBatch", "ctrl-c twice");
      expect(twice.result.code).toBe(8);
      expect(text(twice.result)).toContain("^C received; terminating");
      expect(text(twice.result)).toMatch(/MigrationBatch batch\/wave-1 creating \(interrupted\)/);
      expect(twice.pending).toEqual(["creating batch/wave-1"]);
      // Terminating still releases the lock: no `pulumi cancel` needed.
      expect(lockFiles(run.stack)).toEqual([]);
      await clearPendingCreates(run);
      await run.stack.up();
      await expectConverged(run);
    }),
  );
});
