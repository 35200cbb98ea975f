// Readiness: the pre-flight of one migration wave, every check of Microsoft's
// CrossTenantMailboxMigrationValidation.ps1 (microsoft/CSS-Exchange) at preview time. It creates
// nothing in any tenant. All the work happens in `check`, because the engine uses a to-be-created (or
// updated) resource's checked inputs as its outputs at preview: `pulumi preview` therefore shows the
// findings, the summary and which users the wave's batches will leave out. The check reads each tenant in
// bulk (a handful of paged calls for the whole wave: the engine runs checks one at a time), then reads per user
// what no listing shows (an archive's SubstrateHolds, the dumpster's size, the HoldTracking log, previous-mailbox
// information) for the users the bulk checks leave ready or pending, reusing what the previous check read while
// it cannot have changed (`userChecks`, see readiness/perUser.ts), and writes the Markdown report. Findings this run may still fix (the `refreshToken` input is unknown
// at preview) are marked pending and block nobody until the check at up has seen the result.

import * as pulumi from "@pulumi/pulumi";
import { checkedRecordMethods, sameJson } from "./checkedRecord";
import { XtmmResource, type XtmmResourceSpec } from "./dynamic";
import { isUnknown, log, type Props, type ResourceImplementation } from "./context";
import { assessWave } from "./readiness/assess";
import { storeTable, tableRecords } from "./recordTable";
import { COMPUTED, deepUnknown, INPUTS, knownUsers, NOT_DIFFED, shape, type Failure } from "./readiness/inputs";
import type { Evaluation, Finding, LicenceSummary, NotChecked, ReadinessSummary } from "./readiness/model";
import { clientFor, readFacts } from "./readiness/read";
import { renderReport, writeReport } from "./readiness/report";
import { earlierRecords, type PerUserChecks } from "./readiness/perUser";
import { readPerUser } from "./readiness/perUserRead";
import { perUserSubjects } from "./readiness/perUserChecks";
import { byAddress, evaluate } from "./readiness/model";
import { runLiveTests, type LiveTest } from "./readiness/liveTest";
import { expandFindings, storeFindings, type FindingGroup } from "./readiness/storedFindings";

export type { Finding, ReadinessSummary, LicenceSummary, NotChecked } from "./readiness/model";
export type { LiveTest } from "./readiness/liveTest";
export type { FindingGroup } from "./readiness/storedFindings";
export { expandFindings } from "./readiness/storedFindings";

export interface ReadinessArgs {
  wave: pulumi.Input<string>;
  /** The wave's users: a source address and the target MailUser's primary address each. */
  users: pulumi.Input<pulumi.Input<{ source: pulumi.Input<string>; target: pulumi.Input<string> }>[]>;
  /** The source scope group (what the source relationship publishes): ScopingGroup output identity. */
  scopeGroup: pulumi.Input<string>;
  /** The migration app's appId: MigrationApp output appId. */
  appId: pulumi.Input<string>;
  /** The target's migration endpoint: MigrationEndpoint output identity. */
  endpointName: pulumi.Input<string>;
  /** Where the Markdown report goes (relative to the project); default `readiness/<stack>-<wave>.md`. */
  reportPath?: pulumi.Input<string>;
  /** The batches' TargetDeliveryDomain; when given, each MailUser must hold an address in it. */
  targetDeliveryDomain?: pulumi.Input<string>;
  /**
   * Any string derived from the outputs this wave's readiness depends on (MailUsers, scope group members,
   * licence assignment, relationships, endpoint). It makes the engine register Readiness only after those
   * changes are applied at up, and, being unknown at preview while they are pending, marks the findings
   * they may fix as pending instead of blocking.
   */
  refreshToken?: pulumi.Input<string>;
  /**
   * Target addresses of the wave's users this stack's LicenceAssignment licensed. Exchange shows a new licence
   * some minutes after Graph assigned it: until then such a user is pending, not unlicensed (the batch waits).
   */
  licensedByStack?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Run a live test move (Test-MigrationServerAvailability -TestMailbox) for each ready user at `pulumi up`
   * (stack key waves.<wave>.liveTest). Never at preview; every up with it set runs the tests again.
   */
  liveTest?: pulumi.Input<boolean>;
}

interface Inputs extends Props {
  wave: string;
  users: { source: string; target: string }[];
  scopeGroup: string;
  appId: string;
  endpointName: string;
  reportPath: string;
  targetDeliveryDomain?: string;
  refreshToken?: string;
  licensedByStack?: string[];
  liveTest?: boolean;
  summary: ReadinessSummary;
  findings: Finding[];
  userFindings?: FindingGroup[] | null;
  blockedUsers: string[];
  movedUsers: string[];
  licences: LicenceSummary;
  notChecked: NotChecked[];
  reportFile: string;
  userChecks: PerUserChecks[];
  liveTests?: LiveTest[] | null;
}

type Outputs = Inputs;

const record = checkedRecordMethods<Inputs, Outputs>((i) => `readiness/${i.wave}`, outputs);

const SPEC: XtmmResourceSpec = { kind: "readiness", type: "Readiness", outputs: [...COMPUTED] };

export class Readiness extends XtmmResource {
  declare readonly wave: pulumi.Output<string>;
  /** { users, ready, blocked, pending, moved, warnings }: users by verdict, and the number of warnings. */
  declare readonly summary: pulumi.Output<ReadinessSummary>;
  /** The findings that are not in `userFindings`; `allFindings` has every one. */
  declare readonly findings: pulumi.Output<Finding[]>;
  /** Findings that differ only in the user they name, kept once each (readiness/storedFindings.ts). */
  declare readonly userFindings: pulumi.Output<FindingGroup[] | null>;
  /** Every finding of the last check, in the check's order. */
  readonly allFindings: pulumi.Output<Finding[]>;
  /** Target addresses whose findings block a move: the batches leave them out. */
  declare readonly blockedUsers: pulumi.Output<string[]>;
  /** Target addresses already moved: nothing to batch. */
  declare readonly movedUsers: pulumi.Output<string[]>;
  declare readonly licences: pulumi.Output<LicenceSummary>;
  declare readonly notChecked: pulumi.Output<NotChecked[]>;
  /** The report's absolute path. */
  declare readonly reportFile: pulumi.Output<string>;
  /** What the per-user reads found, and what each answer depended on: the next check reuses what cannot have changed. */
  declare readonly userChecks: pulumi.Output<PerUserChecks[]>;
  /** The live test of each ready user at the last up (liveTest set): Result, Message, path; null otherwise. */
  declare readonly liveTests: pulumi.Output<LiveTest[] | null>;

  constructor(name: string, args: ReadinessArgs, opts?: pulumi.CustomResourceOptions) {
    const reportPath =
      args.reportPath ?? pulumi.output(args.wave).apply((w) => `readiness/${pulumi.getStack()}-${w}.md`);
    super(SPEC, name, { ...args, reportPath }, opts);
    this.allFindings = pulumi
      .all([this.findings, this.userFindings, pulumi.output(args.users)])
      .apply(([findings, userFindings, users]) => expandFindings({ findings, userFindings, users }));
  }
}

/** Same as JSON, ignoring key order. */
const known = (v: unknown): string | undefined => (typeof v === "string" && !isUnknown(v) ? v : undefined);

function computed(e: Evaluation, reportFile: string, userChecks: PerUserChecks[]): Props {
  return {
    userChecks,
    summary: e.summary,
    ...storeFindings(e.findings, e.users),
    blockedUsers: e.blockedUsers,
    movedUsers: e.movedUsers,
    licences: e.licences,
    notChecked: e.notChecked,
    reportFile,
  };
}

function logVerdict(wave: string, e: Evaluation, file: string): void {
  const s = e.summary;
  log.info(
    `Readiness of wave ${wave}: ${s.ready} ready, ${s.blocked} blocked, ${s.pending} pending, ${s.moved} moved, ${s.warnings} warning(s); report ${file}.`,
  );
  const org = e.findings.filter((f) => f.user === null && f.severity === "blocking" && !f.pending);
  for (const f of org) log.warn(`Wave ${wave} cannot move anyone: ${f.message}. Fix: ${f.fix}`);
  if (s.blocked > 0 && org.length === 0) {
    const shown = e.blockedUsers.slice(0, 10);
    log.warn(
      `Wave ${wave}: ${s.blocked} user(s) blocked and left out of its batches (${shown.join(", ")}${s.blocked > shown.length ? ", …" : ""}); see ${file}.`,
    );
  }
}

export const readinessImpl: ResourceImplementation<Inputs, Outputs> = {
  async check(olds, news) {
    const failures: Failure[] = [];
    const inputs = shape(news, failures);
    if (failures.length > 0) return { inputs, failures };
    // Without the wave, its users and where the report goes there is nothing to evaluate yet (preview).
    if (deepUnknown([inputs.wave, inputs.users, inputs.reportPath])) return { inputs, failures };
    const users = knownUsers(inputs.users);
    const appId = known(inputs.appId);
    const endpointName = known(inputs.endpointName);
    const scopeGroup = known(inputs.scopeGroup);
    const facts = await readFacts(users, appId, endpointName, scopeGroup);
    const assess = {
      users,
      appId,
      endpointName,
      scopeGroup,
      targetDeliveryDomain: known(inputs.targetDeliveryDomain),
      sourceDomain: facts.sourceDomain,
      pending: isUnknown(inputs.refreshToken) || isUnknown(inputs.targetDeliveryDomain),
      licensedByStack: Array.isArray(inputs.licensedByStack) ? inputs.licensedByStack.filter((a) => known(a)) : [],
      source: facts.source,
      target: facts.target,
    };
    const wave = inputs.wave as string;
    const earlier = olds.wave === wave ? earlierRecords(olds.userChecks) : new Map<string, PerUserChecks>();
    const { records, userChecks } = await perUserReads(users, assessWave(assess), facts, earlier, wave);
    const evaluation = assessWave({ ...assess, perUser: records });
    const file = writeReport(
      inputs.reportPath as string,
      renderReport({ wave, checkedAt: new Date().toISOString() }, evaluation),
    );
    logVerdict(wave, evaluation, file);
    // The users kept as a table once the wave is large (recordTable.ts): kept twice, in a pair's
    // usual shape (the target address keeps the source's local part) about 85 bytes a user fewer.
    return {
      inputs: { ...inputs, users: storeTable(users), ...computed(evaluation, file, userChecks) },
      failures: [],
    };
  },

  async diff(_id, olds, news) {
    const diffs: string[] = [];
    for (const k of [...INPUTS, ...COMPUTED]) {
      if (NOT_DIFFED.includes(k)) continue;
      // Grouped or not, the same findings are the same (state from before the groups has none).
      if (k === "findings") {
        if (isUnknown(news.findings) || !sameJson(expandFindings(olds), expandFindings(news))) diffs.push(k);
      } else if (isUnknown(news[k]) || !sameJson(tableRecords(olds[k]), tableRecords(news[k]))) diffs.push(k);
    }
    // A live test reads what no check sees (the move service's own verdict): each up runs it again.
    if (news.liveTest === true) diffs.push("liveTests");
    else if (olds.liveTest === true) diffs.push("liveTest");
    // Nothing lives in a tenant; a new wave name is a new resource id.
    return diffs.length > 0
      ? { changes: true, replaces: diffs.includes("wave") ? ["wave"] : [], diffs }
      : { changes: false };
  },

  async create(inputs) {
    return record.create!(await withLiveTests(inputs));
  },

  read: record.read,

  async update(id, olds, news) {
    return record.update!(id, olds, await withLiveTests(news));
  },

  delete: record.delete,
};

/**
 * At up only (create/update; check also runs at preview): the live test move of each user the checks leave
 * ready, when the wave opted in. A failed test blocks the user like any blocking finding, so the batches
 * leave it out; the report and the outputs are written again with the results.
 */
async function withLiveTests(inputs: Inputs): Promise<Inputs> {
  if (inputs.liveTest !== true || !inputs.summary || !Array.isArray(inputs.findings)) return inputs;
  const wave = inputs.wave;
  const users = knownUsers(inputs.users);
  const moved = new Set(inputs.movedUsers ?? []);
  const findings = expandFindings(inputs);
  const before = evaluate(users, moved, findings, inputs.notChecked, inputs.licences);
  const client = clientFor("target");
  const run = client
    ? await runLiveTests(
        before.users.filter((u) => u.state === "ready").map((u) => ({ source: u.source, target: u.target })),
        inputs.endpointName,
        client,
      )
    : {
        tests: [],
        findings: [],
        notChecked: [
          { check: "user.liveTest", reason: "runs in the target tenant; the target's stack runs it", pending: false },
        ],
      };
  const failed = run.findings.filter((f) => f.severity === "blocking").length;
  if (client)
    log.info(
      `Readiness of wave ${wave}: live test move of ${run.tests.length} ready user(s): ${run.tests.length - failed} passed, ${failed} failed.`,
    );
  const e = evaluate(
    users,
    moved,
    [...findings, ...run.findings],
    [...inputs.notChecked, ...run.notChecked],
    inputs.licences,
  );
  const file = writeReport(
    inputs.reportPath,
    renderReport({ wave, checkedAt: new Date().toISOString() }, e, run.tests),
  );
  logVerdict(wave, e, file);
  return { ...inputs, ...computed(e, file, inputs.userChecks), liveTests: run.tests } as Inputs;
}

/**
 * The per-user reads for the users the bulk pass leaves ready or pending, and the records to keep: those, plus
 * the earlier records of the wave's other users (reused once they are no longer blocked), in the wave's order.
 */
async function perUserReads(
  users: { source: string; target: string }[],
  bulk: Evaluation,
  facts: Awaited<ReturnType<typeof readFacts>>,
  earlier: Map<string, PerUserChecks>,
  wave: string,
): Promise<{ records: Map<string, PerUserChecks>; userChecks: PerUserChecks[] }> {
  const mailboxes = byAddress(facts.source?.mailboxes ?? []);
  const mailUsers = byAddress(facts.target?.mailUsers ?? []);
  const subjects = perUserSubjects(bulk).map((u) => ({
    ...u,
    src: facts.source ? mailboxes.get(u.source) : undefined,
    tgt: facts.target ? mailUsers.get(u.target) : undefined,
  }));
  const { records, calls } = await readPerUser({
    subjects,
    source: facts.source ? clientFor("source") : undefined,
    target: facts.target ? clientFor("target") : undefined,
    orgHolds: facts.source?.orgHolds ?? [],
    earlier,
  });
  const made = Object.entries(calls);
  if (made.length)
    log.info(
      `Readiness of wave ${wave}: per-user reads for ${subjects.length} user(s): ${made.map(([c, n]) => `${n} ${c}`).join(", ")}; the rest reused from the last check.`,
    );
  const userChecks = users
    .map((u) => records.get(u.target) ?? [earlier.get(u.target)].find((r) => r?.source === u.source))
    .filter((r): r is PerUserChecks => r !== undefined);
  return { records, userChecks };
}

function outputs(inputs: Inputs): Outputs {
  if (!inputs.summary || !Array.isArray(inputs.findings)) {
    throw new Error(
      `Readiness ${inputs.wave}: check did not evaluate the wave (an input was unknown); run the update again.`,
    );
  }
  const out: Props = {};
  // Every key always present (null when an optional input was not given), so no output disappears on update.
  for (const k of [...INPUTS, ...COMPUTED]) out[k] = inputs[k] ?? null;
  return out as Outputs;
}
