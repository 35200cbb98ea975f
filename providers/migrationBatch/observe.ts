// What Exchange says of a migration batch: the batch (Get-MigrationBatch), its users (Get-MigrationUser), their
// progress (Get-MigrationUserStatistics, within a budget) and, once it has started, each user's move (moves.ts).
// Statuses are Microsoft's MigrationBatchStatus and MigrationUserStatus.

import type { TenantClient } from "../tenant";
import { kindOf, message } from "../exchangeFailure";
import { NOT_STARTED, type Observed, type UserState } from "./inputs";
import { readMoves, type MoveState } from "./moves";
import { lower } from "../../domain/text";
import { allBounded } from "../pool";
import { envNumber } from "../tenant/env";
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

export interface MigrationUser {
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

export const where = (client: TenantClient) => `tenant ${client.settings.domain}`;

/** Get-MigrationUserStatistics calls a refresh may make per batch (`XTMM_BATCH_STATISTICS_LIMIT`, default 100). */
export const statisticsLimit = () =>
  envNumber("XTMM_BATCH_STATISTICS_LIMIT", 100, (n) => Number.isInteger(n) && n >= 0);

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
  await allBounded(addresses, parallel, async (address) => {
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
  });
  return out;
}

/** A user's percentage that needs no statistics call: 0 while queued, 100 once completed; undefined otherwise. */
export const knownPercent = (status: unknown): number | undefined =>
  status === "Queued" ? 0 : status === "Completed" ? 100 : undefined;

export const addressOf = (u: MigrationUser) => lower(u.EmailAddress ?? u.Identity);

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
