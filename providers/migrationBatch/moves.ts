// Each user's move as Exchange's move service reports it: the batch's move requests in one call
// (Get-MoveRequest -BatchName "MigrationService:<batch>", the name the migration service gives them,
// https://learn.microsoft.com/powershell/module/exchangepowershell/get-publicfoldermailboxmigrationrequest),
// then Get-MoveRequestStatistics, which Exchange Online answers for one identity per call
// (https://learn.microsoft.com/powershell/module/exchangepowershell/get-moverequeststatistics) and REST has no
// pipe to batch. So the statistics calls are bounded: none for a Queued (0 %) or Completed (100 %) move,
// failed moves first (their message says what to fix), then moves in flight, then the rest, at most `limit`,
// at most the tenant's Exchange concurrency at once. An unmeasured move keeps what the last read found for
// the same status.

import type { TenantClient } from "../tenant";
import { kindOf, message } from "../exchangeFailure";
import { lower } from "../../domain/text";
import { GUID } from "../../domain/ids";
import { nextStep } from "./nextStep";
import { allBounded } from "../pool";

export interface MoveState {
  /** The user's target address. */
  address: string;
  /** The move request's Status (RequestStatus: Queued, InProgress, Synced, CompletionInProgress, Completed, Failed, …). */
  status: string;
  statusDetail: string | null;
  /** PercentComplete; null when not measured. */
  percent: number | null;
  /** BytesTransferred as Exchange writes it, e.g. "270 MB (283,115,520 bytes)"; null when not measured. */
  bytesTransferred: string | null;
  /** A failed move's FailureType and Message; null otherwise. */
  failure: string | null;
  /** What to do about a failed move; null otherwise. */
  next: string | null;
}

interface MoveRow {
  Identity?: string;
  Name?: string;
  Alias?: string;
  ExchangeGuid?: string;
  Status?: string;
}
interface MoveStatistics {
  Status?: string;
  StatusDetail?: string | null;
  PercentComplete?: number | null;
  BytesTransferred?: string | null;
  FailureType?: string | null;
  Message?: string | null;
}

const MOVE_SELECT = ["Identity", "Name", "Alias", "ExchangeGuid", "Status"];
const STATISTICS_SELECT = ["Status", "StatusDetail", "PercentComplete", "BytesTransferred", "FailureType", "Message"];
const IN_FLIGHT = ["InProgress", "CompletionInProgress", "Retrying"];
const FAILURE_CHARS = 400;
const where = (client: TenantClient) => `tenant ${client.settings.domain}`;

export const knownMovePercent = (status: string): number | undefined =>
  status === "Queued" ? 0 : /^Completed/.test(status) ? 100 : undefined;

/** The batch's move requests (Get-MoveRequest -BatchName; the default ResultSize is 1000, a batch holds up to 2,000). */
export async function batchMoves(client: TenantClient, batch: string): Promise<MoveRow[]> {
  try {
    return (
      await client.exchange.invoke<MoveRow>(
        "Get-MoveRequest",
        { BatchName: `MigrationService:${batch}`, ResultSize: "Unlimited" },
        { select: MOVE_SELECT },
      )
    ).value;
  } catch (e) {
    throw new Error(
      `Listing the moves of migration batch '${batch}' (Get-MoveRequest) in ${where(client)}: ${message(e)}`,
    );
  }
}

async function statisticsOf(
  client: TenantClient,
  identities: string[],
  parallel = Math.max(1, client.settings.exchangeConcurrency),
): Promise<Map<string, MoveStatistics>> {
  const out = new Map<string, MoveStatistics>();
  await allBounded(identities, parallel, async (identity) => {
    try {
      const v = (
        await client.exchange.invoke<MoveStatistics>(
          "Get-MoveRequestStatistics",
          { Identity: identity },
          { select: STATISTICS_SELECT },
        )
      ).value[0];
      if (v) out.set(identity, v);
    } catch (e) {
      // A move removed meanwhile has no statistics; anything else is a real failure.
      if (kindOf(e) !== "NotFound")
        throw new Error(
          `Reading the move statistics of '${identity}' (Get-MoveRequestStatistics) in ${where(client)}: ${message(e)}`,
        );
    }
  });
  return out;
}

export interface BatchUserRef {
  address: string;
  /** The migration user's MailboxGuid: the ExchangeGuid its move request carries. */
  mailboxGuid?: string | null;
  /** The migration user's ErrorSummary: a failed move's reason when its statistics were not read. */
  error?: string | null;
}

/** The user a move request belongs to: by ExchangeGuid, else by its identity, name or alias against the address. */
function ownerOf(row: MoveRow, users: BatchUserRef[]): string | undefined {
  const guid = lower(row.ExchangeGuid);
  const byGuid = guid ? users.find((u) => lower(u.mailboxGuid) === guid) : undefined;
  if (byGuid) return byGuid.address;
  const names = [row.Identity, row.Name, row.Alias].map(lower).filter(Boolean);
  return users.find((u) => names.includes(lower(u.address)) || names.includes(lower(u.address).split("@")[0]))?.address;
}

/** FailureType and Message in one line (the Message often already names the type). */
function failureText(s: MoveStatistics): string {
  const type = String(s.FailureType ?? "");
  const text = String(s.Message ?? "");
  return (type && !text.includes(type) ? `${type}: ${text}` : text || type).slice(0, FAILURE_CHARS);
}

/** The batch's moves, one per user that has one, in the users' order. */
export async function readMoves(
  client: TenantClient,
  batch: string,
  users: BatchUserRef[],
  opts: { limit: number; previous?: MoveState[] },
): Promise<MoveState[]> {
  const rows = await batchMoves(client, batch);
  const owned = rows
    .map((row) => ({ row, address: ownerOf(row, users), status: String(row.Status ?? "Unknown") }))
    .filter((m): m is { row: MoveRow; address: string; status: string } => m.address !== undefined);
  const open = owned.filter((m) => knownMovePercent(m.status) === undefined);
  const order = [
    ...open.filter((m) => m.status === "Failed"),
    ...open.filter((m) => IN_FLIGHT.includes(m.status)),
    ...open.filter((m) => m.status !== "Failed" && !IN_FLIGHT.includes(m.status)),
  ].slice(0, Math.max(0, opts.limit));
  const identity = (m: { row: MoveRow; address: string }) =>
    GUID.test(String(m.row.ExchangeGuid ?? "")) ? String(m.row.ExchangeGuid) : m.address;
  const measured = await statisticsOf(client, order.map(identity));
  const before = new Map((opts.previous ?? []).map((p) => [lower(p.address), p]));
  const byAddress = new Map(owned.map((m) => [lower(m.address), m]));
  const out: MoveState[] = [];
  for (const u of users) {
    const m = byAddress.get(lower(u.address));
    if (!m) continue;
    const s = measured.get(identity(m));
    const status = String(s?.Status ?? m.status);
    const last = before.get(lower(m.address));
    if (!s && last && last.status === status) {
      out.push(last);
      continue;
    }
    const failure =
      status !== "Failed" ? null : s ? failureText(s) : String(u.error ?? "").slice(0, FAILURE_CHARS) || null;
    out.push({
      address: lower(m.address),
      status,
      statusDetail: s?.StatusDetail ?? null,
      percent: typeof s?.PercentComplete === "number" ? s.PercentComplete : (knownMovePercent(status) ?? null),
      bytesTransferred: s?.BytesTransferred ?? null,
      failure: failure || null,
      next: status === "Failed" ? nextStep(failure ?? "", lower(m.address)) : null,
    });
  }
  return out;
}
