// The per-user reads of readiness (see perUser.ts for what is kept and reused). Each user costs at most three
// source calls (Get-MailboxFolderStatistics of the archive, Get-MailboxStatistics, and Export-MailboxDiagnosticLogs
// HoldTracking while the organisation has organisation-wide retention policies) and one target call (Get-User), only for the users the bulk checks leave ready or pending, and
// only for parts the previous check cannot stand in for. They run concurrently, at most the tenant's
// `exchangeConcurrency` at once (the tenant layer's gate holds the same limit across resources).

import { kindOf, message } from "../exchangeFailure";
import { log } from "../context";
import type { TenantClient } from "../tenant";
import { sizeBytes, str, type Listed } from "./model";
import {
  bases,
  reusable,
  today,
  type DeletedItems,
  type HoldTracking,
  type Part,
  type PartName,
  type PerUserChecks,
  type PreviousMailbox,
  type SubstrateHolds,
} from "./perUser";
import { allBounded } from "../pool";

export interface PerUserSubject {
  source: string;
  target: string;
  /** The source mailbox from the listing (undefined: not administered here, or not found). */
  src?: Listed;
  /** The target MailUser from the listing. */
  tgt?: Listed;
}

export interface PerUserReadInput {
  subjects: PerUserSubject[];
  source?: TenantClient;
  target?: TenantClient;
  orgHolds: string[];
  earlier: Map<string, PerUserChecks>;
  now?: Date;
}

export interface PerUserReadResult {
  records: Map<string, PerUserChecks>;
  /** Calls made (by cmdlet), for the log line. */
  calls: Record<string, number>;
}

/** Runs `tasks` with at most `limit` in flight; the first failure is rethrown after the others settle. */
export const runBounded = (tasks: (() => Promise<void>)[], limit: number): Promise<void> =>
  allBounded(tasks, limit, (task) => task());

/** The bytes of Exchange's size text ("45 GB (48,318,382,080 bytes)"), or undefined ("Unlimited"). */
const bytesOf = (v: unknown): number | undefined => sizeBytes(v);

/** The organisation-wide holds a HoldTracking log records as still applying (the validator's ht 4, "mbx…"). */
export function activeOrgHolds(log: unknown): HoldTracking {
  if (typeof log !== "string") return { available: false, holds: [] };
  let entries: unknown;
  try {
    entries = log.trim() === "" ? [] : JSON.parse(log);
  } catch {
    return { available: false, holds: [] };
  }
  if (!Array.isArray(entries)) return { available: false, holds: [] };
  const holds = entries
    .filter((e): e is Record<string, unknown> => !!e && typeof e === "object")
    // The validator ignores `ed`; an entry whose end date is set no longer holds the mailbox (Microsoft's
    // page: "MinValue means the hold still applies"), so only those count here.
    .filter((e) => Number(e.ht) === 4 && /^mbx/i.test(str(e.hid)) && /^0001-01-01/.test(str(e.ed)))
    .map((e) => str(e.hid));
  return { available: true, holds: [...new Set(holds)] };
}

export async function readPerUser(input: PerUserReadInput): Promise<PerUserReadResult> {
  const on = today(input.now);
  const records = new Map<string, PerUserChecks>();
  const calls: Record<string, number> = {};
  const sourceTasks: (() => Promise<void>)[] = [];
  const targetTasks: (() => Promise<void>)[] = [];

  const invoke = async (
    client: TenantClient,
    who: string,
    cmdlet: string,
    params: Record<string, unknown>,
    select: string[],
  ) => {
    calls[cmdlet] = (calls[cmdlet] ?? 0) + 1;
    try {
      return (await client.exchange.invoke<Listed>(cmdlet, params, { select, idempotent: true })).value;
    } catch (e) {
      if (kindOf(e) === "NotFound") return null;
      throw Object.assign(
        new Error(
          `Readiness: reading ${cmdlet} for ${who} in the ${client.settings.role} tenant ${client.settings.tenantId}: ${message(e)}`,
        ),
        { cause: e },
      );
    }
  };

  for (const s of input.subjects) {
    const rec: PerUserChecks = { source: s.source, target: s.target };
    const old = input.earlier.get(s.target);
    records.set(s.target, rec);
    const basis = bases(s.src, s.tgt, input.orgHolds);
    const quota = s.tgt ? bytesOf(s.tgt.RecoverableItemsQuota) : undefined;
    const plan = <T>(
      name: PartName,
      client: TenantClient | undefined,
      tasks: (() => Promise<void>)[],
      read: (c: TenantClient) => Promise<T>,
    ) => {
      const b = basis[name];
      if (!client || b === undefined) return;
      const kept = reusable(old?.[name] as Part<T> | undefined, name, b, on, quota);
      if (kept) {
        (rec as unknown as Record<string, unknown>)[name] = kept;
        return;
      }
      tasks.push(async () => {
        (rec as unknown as Record<string, unknown>)[name] = { basis: b, on, value: await read(client) };
      });
    };
    const src = s.src;
    if (src) {
      plan<SubstrateHolds | null>("substrateHolds", input.source, sourceTasks, async (c) => {
        // As the validator asks: the archive's GUID as Identity, Recoverable Items scope, the SubstrateHolds row.
        const rows = await invoke(
          c,
          s.source,
          "Get-MailboxFolderStatistics",
          { Identity: str(src.ArchiveGuid), FolderScope: "RecoverableItems" },
          ["Name", "FolderType", "ItemsInFolder", "FolderSize"],
        );
        const row = rows?.find(
          (r) => str(r.FolderType) === "RecoverableItemsSubstrateHolds" || str(r.Name) === "SubstrateHolds",
        );
        if (!row) return null;
        return { items: Number(row.ItemsInFolder) || 0, bytes: bytesOf(row.FolderSize) ?? 0 };
      });
      // Compared with the target MailUser's quota: read only when this stack sees that MailUser too.
      if (s.tgt)
        plan<DeletedItems | null>("deletedItems", input.source, sourceTasks, async (c) => {
          const rows = await invoke(c, s.source, "Get-MailboxStatistics", { Identity: str(src.ExchangeGuid) }, [
            "TotalDeletedItemSize",
          ]);
          const text = str(rows?.[0]?.TotalDeletedItemSize);
          const bytes = bytesOf(text);
          return bytes === undefined ? null : { bytes, text };
        });
      plan<HoldTracking>("holdTracking", input.source, sourceTasks, async (c) => {
        try {
          const rows = await invoke(
            c,
            s.source,
            "Export-MailboxDiagnosticLogs",
            { Identity: str(src.Guid) || str(src.ExchangeGuid), ComponentName: "HoldTracking" },
            ["MailboxLog"],
          );
          return activeOrgHolds(rows?.[0]?.MailboxLog);
        } catch (e) {
          // No log for this mailbox (Microsoft keeps none for a disabled account): the organisation's list stands in.
          log.info(
            `Readiness: no HoldTracking log for ${s.source} (${message(e)}); the organisation's InPlaceHolds stand in.`,
          );
          return { available: false, holds: [] };
        }
      });
    }
    const tgt = s.tgt;
    if (tgt) {
      plan<PreviousMailbox | null>("previousMailbox", input.target, targetTasks, async (c) => {
        const rows = await invoke(c, s.target, "Get-User", { Identity: str(tgt.Guid) }, [
          "Guid",
          "PreviousRecipientTypeDetails",
        ]);
        if (!rows || !rows[0]) return null;
        const v = str(rows[0].PreviousRecipientTypeDetails);
        return { type: v === "" || v.toLowerCase() === "none" ? null : v };
      });
    }
  }
  await Promise.all([
    runBounded(sourceTasks, input.source?.settings.exchangeConcurrency ?? 1),
    runBounded(targetTasks, input.target?.settings.exchangeConcurrency ?? 1),
  ]);
  return { records, calls };
}
