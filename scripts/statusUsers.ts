// The user-by-user part of `npm run status`: for one batch, each migration user with its state and
// percentage (Get-MigrationUser once, Get-MigrationUserStatistics for users whose percentage their status
// does not fix), and, once the batch has started, each user's move as the move service reports it
// (Get-MoveRequest -BatchName once, then Get-MoveRequestStatistics per move not queued or completed, at most
// the tenant's Exchange concurrency at once: the cloud cmdlet takes one identity per call). A failed move's
// line says what to do next. `--no-statistics` keeps the two list calls and drops the per-user ones.

import type { TenantClient } from "../providers/tenant";
import { batchUsers, knownPercent, percentages } from "../providers/migrationBatch/observe";
import { readMoves, type MoveState } from "../providers/migrationBatch/moves";
import { lower } from "../domain/text";

export interface UserLine {
  address: string;
  state: string;
  percent: number | null;
  note: string;
  /** The user's move request, once its batch has started. */
  move?: MoveState;
}

const text = (v: unknown) => (v === undefined || v === null ? "" : String(v));

/** The users of batch `name` with their moves (`started`: the batch has started, so its users may have moves). */
export async function batchUserLines(
  client: TenantClient,
  name: string,
  started: boolean,
  statistics: boolean,
): Promise<UserLine[]> {
  const users = await batchUsers(client, name);
  const open = users
    .filter((u) => knownPercent(u.Status) === undefined)
    .map((u) => lower(u.EmailAddress ?? u.Identity));
  const measured = statistics ? await percentages(client, open) : new Map<string, number>();
  const refs = users.map((u) => ({
    address: lower(u.EmailAddress ?? u.Identity),
    mailboxGuid: u.MailboxGuid,
    error: u.ErrorSummary,
  }));
  const moves = started ? await readMoves(client, name, refs, { limit: statistics ? Number.MAX_SAFE_INTEGER : 0 }) : [];
  const moveOf = new Map(moves.map((m) => [m.address, m]));
  return users.map((u) => {
    const address = lower(u.EmailAddress ?? u.Identity);
    const move = moveOf.get(address);
    return {
      address,
      state: text(u.Status),
      percent: knownPercent(u.Status) ?? measured.get(address) ?? null,
      note: text(u.ErrorSummary),
      ...(move ? { move } : {}),
    };
  });
}

/** A staged user in no batch, from its MailUser's outputs: migrated, held (with the reasons), staged or planned. */
export function unbatchedLine(address: string, o: Record<string, unknown>, show: (v: unknown) => string): UserLine {
  const blockers = Array.isArray(o.blockers) ? (o.blockers as unknown[]).map(show) : [];
  const state =
    o.migrated === true ? "migrated" : o.held === true ? "held" : o.staged === true ? "staged, in no batch" : "planned";
  return { address, state, percent: o.migrated === true ? 100 : null, note: blockers.join("; ") };
}

const pct = (p: number | null) => (p === null ? "   ?" : `${String(p).padStart(3)}%`);

/** A user's line, then its move's line and, for a failed move, what to do next. */
export function userLines(u: UserLine, width: number): string[] {
  const lines = [
    `    ${u.address.padEnd(width)}  ${u.state.padEnd(12)} ${pct(u.percent)}${u.note ? `  ${u.note}` : ""}`,
  ];
  const m = u.move;
  if (!m) return lines;
  const detail = m.statusDetail && m.statusDetail !== m.status ? ` (${m.statusDetail})` : "";
  const bytes = m.bytesTransferred ? `, ${m.bytesTransferred} transferred` : "";
  // The move's message repeats the migration user's reason more often than not: shown when it says more.
  const said = m.failure && !u.note.includes(m.failure.replace(/^Error: /, "")) ? `: ${m.failure}` : "";
  lines.push(`      move ${m.status}${detail} ${pct(m.percent).trim()}${bytes}${said}`);
  if (m.next) lines.push(`      next: ${m.next}`);
  return lines;
}
