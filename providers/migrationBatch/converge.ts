// The Exchange side of a migration batch that changes it: submit (New-MigrationBatch with the CSV of target
// addresses), find and adopt, start / stop / complete, and remove. What Exchange says of a batch is observe.ts.

import type { TenantClient } from "../tenant";
import { kindOf, maybeApplied, message, waitFor } from "../exchangeFailure";
import { log } from "../context";
import type { Inputs } from "./inputs";
import { addressOf, batchUsers, getBatch, where, type BatchRecord } from "./observe";
import { lower } from "../../domain/text";

/** Statuses Start-MigrationBatch acts on (documented: starts, resumes, retries failures). */
const STARTABLE = ["Created", "Stopped", "Failed", "SyncedwithErrors", "CompletedWithErrors"];
/** Statuses Stop-MigrationBatch acts on. */
const STOPPABLE = ["Starting", "Syncing", "Synced", "SyncedwithErrors", "IncrementalSyncing", "Waiting"];
/** A batch past these has moved mailboxes: it is never removed by destroy. */
const FINALIZING = ["Completing", "Completed", "CompletedWithErrors"];

const same = (a: unknown, b: unknown) => lower(a) === lower(b);

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
