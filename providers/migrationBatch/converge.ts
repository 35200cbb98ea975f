// The Exchange side of a migration batch: submit (New-MigrationBatch with the CSV of target addresses),
// find and adopt, observe (Get-MigrationBatch, Get-MigrationUser, Get-MigrationUserStatistics), start /
// stop / complete, and remove. Statuses are Microsoft's MigrationBatchStatus and MigrationUserStatus.

import type { TenantClient } from "../tenant";
import { kindOf, maybeApplied, message, waitFor } from "../exchangeFailure";
import { log } from "../context";
import { NOT_STARTED, type Inputs, type Observed, type UserState } from "./inputs";
import { readMoves, type MoveState } from "./moves";
import { lower } from "../../domain/text";

export interface BatchRecord {
  Identity?: string;
  Name: string;
  BatchGuid?: string;
  Status: string;
  TotalCount?: number;
  ActiveCount?: number;
  PendingCount?: number;
  SyncedCount?: number;
  FinalizedCount?: number;
  FailedCount?: number;
  SourceEndpoint?: unknown;
  TargetDeliveryDomain?: string | null;
  StartDateTime?: string | null;
}

interface MigrationUser {
  EmailAddress?: string;
  Identity?: string;
  Status?: string;
  ErrorSummary?: string | null;
  MailboxGuid?: string | null;
}

const BATCH_SELECT = [
  "Identity",
  "Name",
  "BatchGuid",
  "Status",
  "TotalCount",
  "ActiveCount",
  "PendingCount",
  "SyncedCount",
  "FinalizedCount",
  "FailedCount",
  "SourceEndpoint",
  "TargetDeliveryDomain",
  "StartDateTime",
];
const USER_SELECT = ["Identity", "EmailAddress", "Status", "ErrorSummary", "MailboxGuid"];
/** Statuses Start-MigrationBatch acts on (documented: starts, resumes, retries failures). */
const STARTABLE = ["Created", "Stopped", "Failed", "SyncedwithErrors", "CompletedWithErrors"];
/** Statuses Stop-MigrationBatch acts on. */
const STOPPABLE = ["Starting", "Syncing", "Synced", "SyncedwithErrors", "IncrementalSyncing", "Waiting"];
/** A batch past these has moved mailboxes: it is never removed by destroy. */
const FINALIZING = ["Completing", "Completed", "CompletedWithErrors"];
/** Users whose progress changes (measured first when the statistics budget is short). */
const IN_FLIGHT = [
  "Starting",
  "Provisioning",
  "ProvisionUpdating",
  "Validating",
  "Syncing",
  "IncrementalSyncing",
  "Completing",
  "CompletionSynced",
  "Stopping",
];
const ERROR_CHARS = 300;

const where = (client: TenantClient) => `tenant ${client.settings.domain}`;
const same = (a: unknown, b: unknown) => lower(a) === lower(b);

function envInt(name: string, fallback: number): number {
  const n = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isInteger(n) && n >= 0 ? n : fallback;
}

/** Get-MigrationUserStatistics calls a refresh may make per batch (`XTMM_BATCH_STATISTICS_LIMIT`, default 100). */
export const statisticsLimit = () => envInt("XTMM_BATCH_STATISTICS_LIMIT", 100);

export async function getBatch(client: TenantClient, name: string): Promise<BatchRecord | undefined> {
  try {
    return (
      await client.exchange.invoke<BatchRecord>("Get-MigrationBatch", { Identity: name }, { select: BATCH_SELECT })
    ).value[0];
  } catch (e) {
    if (kindOf(e) === "NotFound") return undefined;
    throw new Error(`Reading migration batch '${name}' (Get-MigrationBatch) in ${where(client)}: ${message(e)}`);
  }
}

export async function batchUsers(client: TenantClient, name: string): Promise<MigrationUser[]> {
  try {
    return (
      await client.exchange.invoke<MigrationUser>(
        "Get-MigrationUser",
        { BatchId: name, ResultSize: "Unlimited" },
        { select: USER_SELECT },
      )
    ).value;
  } catch (e) {
    if (kindOf(e) === "NotFound") return [];
    throw new Error(
      `Listing the users of migration batch '${name}' (Get-MigrationUser) in ${where(client)}: ${message(e)}`,
    );
  }
}

/** PercentageComplete of each address, with at most `parallel` calls in flight (the tenant's gate bounds them too). */
export async function percentages(
  client: TenantClient,
  addresses: string[],
  parallel = Math.max(1, client.settings.exchangeConcurrency),
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < addresses.length) {
      const address = addresses[next++];
      try {
        const v = (
          await client.exchange.invoke<{ PercentageComplete?: number }>(
            "Get-MigrationUserStatistics",
            { Identity: address },
            { select: ["PercentageComplete"] },
          )
        ).value[0];
        if (typeof v?.PercentageComplete === "number") out.set(lower(address), v.PercentageComplete);
      } catch (e) {
        // A user removed from the batch meanwhile has no statistics; anything else is a real failure.
        if (kindOf(e) !== "NotFound")
          throw new Error(
            `Reading the statistics of '${address}' (Get-MigrationUserStatistics) in ${where(client)}: ${message(e)}`,
          );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, addresses.length) }, worker));
  return out;
}

/** A user's percentage that needs no statistics call: 0 while queued, 100 once completed; undefined otherwise. */
export const knownPercent = (status: unknown): number | undefined =>
  status === "Queued" ? 0 : status === "Completed" ? 100 : undefined;

const addressOf = (u: MigrationUser) => lower(u.EmailAddress ?? u.Identity);

/**
 * The service's view of the batch, or undefined when it is gone (or being removed). Percentages: measured
 * for users in flight first, then the others, within the statistics budget; unmeasured users keep what the
 * last read found for the same status, else null.
 */
export async function observe(
  client: TenantClient,
  name: string,
  previous: UserState[] = [],
  previousMoves: MoveState[] = [],
): Promise<Observed | undefined> {
  const b = await getBatch(client, name);
  if (!b || b.Status === "Removing") return undefined;
  const users = await batchUsers(client, name);
  const known = new Map(previous.map((u) => [lower(u.address), u]));
  const fixed = (u: MigrationUser) => knownPercent(u.Status);
  const open = users.filter((u) => fixed(u) === undefined);
  const order = [
    ...open.filter((u) => IN_FLIGHT.includes(String(u.Status))),
    ...open.filter((u) => !IN_FLIGHT.includes(String(u.Status))),
  ];
  const measured = await percentages(client, order.slice(0, statisticsLimit()).map(addressOf));
  const states: UserState[] = users.map((u) => {
    const address = addressOf(u);
    const before = known.get(address);
    const percent = fixed(u) ?? measured.get(address) ?? (before && before.status === u.Status ? before.percent : null);
    return { address, status: String(u.Status ?? "Unknown"), percent };
  });
  const failures = users
    .filter((u) => u.Status === "Failed" || u.Status === "CompletionFailed" || u.Status === "IncrementalFailed")
    .map((u) => ({ address: addressOf(u), error: String(u.ErrorSummary ?? "").slice(0, ERROR_CHARS) }));
  const count = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  // Move requests exist once a batch has started; a batch that never did needs no Get-MoveRequest.
  const moves =
    b.StartDateTime || !NOT_STARTED.includes(b.Status)
      ? await readMoves(
          client,
          name,
          users.map((u) => ({ address: addressOf(u), mailboxGuid: u.MailboxGuid, error: u.ErrorSummary })),
          { limit: statisticsLimit(), previous: previousMoves },
        )
      : [];
  return {
    identity: String(b.Identity ?? b.Name),
    batchGuid: lower(b.BatchGuid),
    status: String(b.Status),
    totalCount: count(b.TotalCount ?? users.length),
    activeCount: count(b.ActiveCount),
    pendingCount: count(b.PendingCount),
    syncedCount: count(b.SyncedCount),
    finalizedCount: count(b.FinalizedCount),
    failedCount: count(b.FailedCount),
    users: states,
    failures,
    moves,
    startedAt: b.StartDateTime ? new Date(b.StartDateTime).toISOString() : "",
  };
}

function csv(addresses: string[]): Buffer {
  // Microsoft's guide, "Create Migration batches": one column, EmailAddress, holding the TARGET address.
  return Buffer.from(["EmailAddress", ...addresses].join("\r\n") + "\r\n", "utf8");
}

const endpointName = (v: unknown): string =>
  v && typeof v === "object"
    ? String((v as { Name?: string; Identity?: string }).Name ?? (v as { Identity?: string }).Identity ?? "")
    : String(v ?? "");

/** An existing batch of the same name may be adopted only when it is the batch these inputs describe. */
export async function verifyAdoptable(client: TenantClient, inputs: Inputs, b: BatchRecord): Promise<void> {
  const problems: string[] = [];
  if (!same(endpointName(b.SourceEndpoint), inputs.sourceEndpoint))
    problems.push(`its source endpoint is '${endpointName(b.SourceEndpoint)}', not '${inputs.sourceEndpoint}'`);
  if (!same(b.TargetDeliveryDomain, inputs.targetDeliveryDomain))
    problems.push(
      `its target delivery domain is '${b.TargetDeliveryDomain ?? ""}', not '${inputs.targetDeliveryDomain}'`,
    );
  const have = new Set((await batchUsers(client, inputs.name)).map(addressOf));
  const want = new Set(inputs.targetAddresses.map(lower));
  const missing = [...want].filter((a) => !have.has(a));
  const extra = [...have].filter((a) => !want.has(a));
  if (missing.length)
    problems.push(
      `it lacks ${missing.length} of the declared users (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", …" : ""})`,
    );
  if (extra.length)
    problems.push(
      `it holds ${extra.length} users not declared (${extra.slice(0, 3).join(", ")}${extra.length > 3 ? ", …" : ""})`,
    );
  if (problems.length) {
    throw new Error(
      `A migration batch named '${inputs.name}' already exists in ${where(client)} (status ${b.Status}) and is not the one declared: ${problems.join("; ")}. ` +
        `Give this batch another name, or remove the existing one (Remove-MigrationBatch -Identity '${inputs.name}') if nothing in it should move.`,
    );
  }
}

const isAlreadyExists = (e: unknown) => kindOf(e) === "AlreadyExists" || /MigrationJobAlreadyExist/i.test(message(e));

/**
 * New-MigrationBatch. `complete: true` at creation sends CompleteAfter = now, which is what Complete-MigrationBatch
 * does in the cloud (documented). A name still held by a removed batch ("MigrationJobAlreadyExistException"
 * after Remove-MigrationBatch while the removal spreads, ~8 s seen) is waited for, bounded.
 */
export async function submit(client: TenantClient, inputs: Inputs): Promise<"created" | "found"> {
  const params: Record<string, unknown> = {
    Name: inputs.name,
    SourceEndpoint: inputs.sourceEndpoint,
    TargetDeliveryDomain: inputs.targetDeliveryDomain,
    CSVData: csv(inputs.targetAddresses),
  };
  if (inputs.start) params.AutoStart = true;
  if (inputs.complete) params.CompleteAfter = new Date().toISOString();
  else if (inputs.completeAfter) params.CompleteAfter = inputs.completeAfter;
  if (inputs.notificationEmails.length) params.NotificationEmails = inputs.notificationEmails;
  const attempt = async (): Promise<"created" | "taken" | "found"> => {
    try {
      await client.exchange.invoke("New-MigrationBatch", params);
      return "created";
    } catch (e) {
      if (maybeApplied(e) || isAlreadyExists(e)) {
        const found = await getBatch(client, inputs.name);
        if (found && found.Status !== "Removing") {
          // Our own lost answer, or someone else's batch: only ours (same users) is taken as created.
          await verifyAdoptable(client, inputs, found);
          return "found";
        }
        if (isAlreadyExists(e) || found) return "taken";
      }
      throw new Error(
        `Creating migration batch '${inputs.name}' (New-MigrationBatch) in ${where(client)}: ${message(e)}`,
      );
    }
  };
  const first = await attempt();
  if (first !== "taken") return first;
  const done = await waitFor(`the name '${inputs.name}' to be released by a removed migration batch`, async () => {
    const r = await attempt();
    return r === "taken" ? undefined : r;
  });
  if (done) return done;
  throw new Error(
    `Creating migration batch '${inputs.name}' in ${where(client)}: Exchange says a batch of that name exists (MigrationJobAlreadyExistException) but shows none. ` +
      "A removed batch keeps its name for a while after Remove-MigrationBatch (the removal has to spread); run pulumi up again in a few minutes, or give the batch another name.",
  );
}

async function run(client: TenantClient, cmdlet: string, name: string, why: string): Promise<void> {
  try {
    await client.exchange.invoke(cmdlet, {
      Identity: name,
      ...(cmdlet === "Start-MigrationBatch" ? {} : { Confirm: false }),
    });
    log.info(`Migration batch '${name}': ${cmdlet} (${why}).`);
  } catch (e) {
    throw new Error(`${cmdlet} for migration batch '${name}' in ${where(client)}: ${message(e)}`);
  }
}

/** Applies the explicit changes of `start` and `complete` to a batch in its current status. */
export async function steer(
  client: TenantClient,
  b: BatchRecord,
  news: Pick<Inputs, "name" | "start" | "complete">,
  olds: { start: boolean; complete: boolean },
): Promise<void> {
  if (news.start && !olds.start) {
    if (STARTABLE.includes(b.Status)) await run(client, "Start-MigrationBatch", news.name, "start: true");
    else log.info(`Migration batch '${news.name}' is already ${b.Status}; start: true is recorded.`);
  }
  if (!news.start && olds.start) {
    if (STOPPABLE.includes(b.Status)) await run(client, "Stop-MigrationBatch", news.name, "start: false");
    else
      log.warn(`Migration batch '${news.name}' is ${b.Status}, so there is nothing to stop; start: false is recorded.`);
  }
  if (news.complete && !olds.complete) {
    if (FINALIZING.includes(b.Status)) return;
    try {
      await run(client, "Complete-MigrationBatch", news.name, "complete: true");
    } catch (e) {
      throw new Error(
        `${message(e)} Microsoft completes a batch once it has started syncing; see its status with npm run status, then run pulumi up again.`,
      );
    }
  }
}

export const isFinalized = (b: BatchRecord) => FINALIZING.includes(b.Status) || (b.FinalizedCount ?? 0) > 0;

/** Remove-MigrationBatch for a batch that moved nothing yet; a running one is stopped first (documented: only a batch that isn't running can be removed). */
export async function remove(client: TenantClient, name: string, b: BatchRecord): Promise<void> {
  const moving = (status: string) =>
    ["Starting", "Syncing", "IncrementalSyncing", "Waiting", "Stopping"].includes(status);
  if (moving(b.Status)) {
    if (b.Status !== "Stopping")
      await run(client, "Stop-MigrationBatch", name, "destroy stops a running batch before removing it");
    const stopped = await waitFor(`migration batch '${name}' to stop`, async () => {
      const now = await getBatch(client, name);
      return !now || !moving(now.Status) ? true : undefined;
    });
    if (!stopped)
      throw new Error(
        `Migration batch '${name}' in ${where(client)} did not stop in time; run pulumi destroy again once Get-MigrationBatch shows it Stopped.`,
      );
  }
  try {
    await client.exchange.invoke("Remove-MigrationBatch", { Identity: name, Confirm: false }, { idempotent: true });
    log.info(`Migration batch '${name}' removed (Remove-MigrationBatch).`);
  } catch (e) {
    if (kindOf(e) === "NotFound") return;
    throw new Error(`Removing migration batch '${name}' (Remove-MigrationBatch) from ${where(client)}: ${message(e)}`);
  }
}
