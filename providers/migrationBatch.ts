// MigrationBatch: one Exchange Online migration batch in the target tenant, moving the staged users of a
// wave (or of one 2,000-user part of it; splitIntoBatches). Created with New-MigrationBatch from a CSV of
// TARGET addresses, or adopted when a batch of that name already holds exactly these users. Starting,
// stopping and completing are explicit inputs (start, complete, completeAfter), shown in the preview,
// never side effects, and so is retrying its failed users (retryFailed: each new value retries once). Read
// reports the batch's status, counts, per-user status and percentage, and each started user's move
// (Get-MoveRequestStatistics: status, percent, bytes, a failure's message and what to do next). Destroy
// removes a batch that moved nothing (stopping it first if needed) and leaves a completed one, by name
// (removeCompletedOnDestroy: removes a completed one too).

import * as pulumi from "@pulumi/pulumi";
import { XtmmResource, type XtmmResourceSpec } from "./dynamic";
import { log, tenantFor, type ResourceImplementation, gone } from "./context";
import { checkInputs, diffBatch, NOT_STARTED, withDefaults, type Inputs, type Outputs } from "./migrationBatch/inputs";
import { isFinalized, remove, steer, submit, verifyAdoptable } from "./migrationBatch/converge";
import { getBatch, observe } from "./migrationBatch/observe";
import { retryRequested, retryFailedUsers } from "./migrationBatch/retry";
import type { MoveState } from "./migrationBatch/moves";
import { waitFor } from "./exchangeFailure";
import { checkAwaitLicences, waitForLicences } from "./migrationBatch/licences";

export { splitIntoBatches, type PlannedBatch } from "./migrationBatch/split";
export type { UserState as MigrationBatchUser } from "./migrationBatch/inputs";
export type { MoveState as MigrationBatchMove } from "./migrationBatch/moves";

export interface MigrationBatchArgs {
  /** The batch's name in Exchange. */
  name: pulumi.Input<string>;
  /** The staged MailUsers' target addresses (at most 2,000). */
  targetAddresses: pulumi.Input<pulumi.Input<string>[]>;
  /** The migration endpoint's identity. */
  sourceEndpoint: pulumi.Input<string>;
  /** The domain of the staged users' delivery address, e.g. contoso.onmicrosoft.com. */
  targetDeliveryDomain: pulumi.Input<string>;
  /** Start moving (default false). Setting it back to false stops the batch. */
  start?: pulumi.Input<boolean>;
  /** ISO date-time with a zone after which Exchange completes the batch by itself; "" (default) = complete with `complete`. */
  completeAfter?: pulumi.Input<string>;
  /** Complete the batch now (needs start: true); can't be undone. */
  complete?: pulumi.Input<boolean>;
  notificationEmails?: pulumi.Input<pulumi.Input<string>[]>;
  /** Destroy removes the batch even after it completed (default false: a completed batch is left in place). */
  removeCompletedOnDestroy?: pulumi.Input<boolean>;
  /** Any text; each new value retries the batch's failed users once (Start-MigrationBatch). Needs start: true. */
  retryFailed?: pulumi.Input<string>;
  /**
   * Users of the batch whose licence this stack assigned and Exchange does not show yet: create waits for it
   * (bounded) before submitting. Only create reads it, so a change alone is no change.
   */
  awaitLicences?: pulumi.Input<{ tenant: pulumi.Input<"source" | "target">; addresses: pulumi.Input<string>[] }>;
}

const SPEC: XtmmResourceSpec = {
  kind: "migrationBatch",
  type: "MigrationBatch",
  outputs: [
    "identity",
    "batchGuid",
    "status",
    "totalCount",
    "activeCount",
    "pendingCount",
    "syncedCount",
    "finalizedCount",
    "failedCount",
    "users",
    "failures",
    "moves",
    "startedAt",
    "adopted",
  ],
};

export class MigrationBatch extends XtmmResource {
  declare readonly identity: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly totalCount: pulumi.Output<number>;
  declare readonly syncedCount: pulumi.Output<number>;
  declare readonly finalizedCount: pulumi.Output<number>;
  declare readonly failedCount: pulumi.Output<number>;
  declare readonly users: pulumi.Output<{ address: string; status: string; percent: number | null }[]>;
  declare readonly failures: pulumi.Output<{ address: string; error: string }[]>;
  /** Undefined in state written before moves were read, until the next refresh. */
  declare readonly moves: pulumi.Output<MoveState[] | undefined>;
  declare readonly startedAt: pulumi.Output<string>;
  declare readonly adopted: pulumi.Output<boolean>;

  constructor(name: string, args: MigrationBatchArgs, opts?: pulumi.CustomResourceOptions) {
    super(SPEC, name, { ...args }, opts);
  }
}

const target = () => tenantFor("target");

async function observed(inputs: Inputs, adopted: boolean, previous?: Outputs): Promise<Outputs> {
  const client = target();
  const seen = await waitFor(`migration batch '${inputs.name}' to be readable`, () =>
    observe(client, inputs.name, previous?.users, previous?.moves),
  );
  if (!seen)
    throw new Error(
      `Migration batch '${inputs.name}' was written but can't be read back from tenant ${client.settings.domain} (Get-MigrationBatch); run pulumi refresh, then up.`,
    );
  return { ...inputs, ...seen, adopted };
}

function reportFailures(outs: Outputs): void {
  if (outs.failures.length === 0) return;
  const shown = outs.failures.slice(0, 10).map((f) => `${f.address} (${f.error})`);
  log.warn(
    `Migration batch '${outs.name}': ${outs.failures.length} of ${outs.totalCount} users failed: ${shown.join("; ")}${outs.failures.length > 10 ? "; …" : ""}. ` +
      "Fix them (npm run status says what to do for each; the readiness report names the causes it checks), then retry them: set the wave's batch.retryFailed to a new value and run pulumi up.",
  );
}

export const migrationBatchImpl: ResourceImplementation<Inputs, Outputs> = {
  async check(olds, news) {
    const inputs = withDefaults(news);
    return { inputs, failures: [...checkInputs(olds, inputs), ...checkAwaitLicences(inputs.awaitLicences)] };
  },

  async diff(_id, olds, news) {
    return diffBatch(olds, news);
  },

  async create(inputs) {
    const client = target();
    let found = await getBatch(client, inputs.name);
    if (found?.Status === "Removing") {
      // The previous batch of this name (a replacement's) is on its way out; its name frees when it is gone.
      await waitFor(`migration batch '${inputs.name}' to finish removing`, async () =>
        (await getBatch(client, inputs.name))?.Status === "Removing" ? undefined : true,
      );
      found = await getBatch(client, inputs.name);
    }
    let adopted = false;
    if (found && found.Status !== "Removing") {
      await verifyAdoptable(client, inputs, found);
      adopted = true;
      log.info(
        `Migration batch '${inputs.name}' already exists with these users (status ${found.Status}); adopted, and left in place on destroy.`,
      );
      // Adoption starts or completes only what the inputs ask for, and never stops a batch someone started.
      const running = !NOT_STARTED.includes(found.Status);
      await steer(
        client,
        found,
        { name: inputs.name, start: inputs.start || running, complete: inputs.complete },
        { start: running, complete: isFinalized(found) },
      );
    } else {
      await waitForLicences(inputs.name, inputs.awaitLicences);
      await submit(client, inputs);
    }
    const outs = await observed(inputs, adopted);
    reportFailures(outs);
    return { id: outs.identity, outs };
  },

  async read(id, props) {
    const outs = await observe(target(), props.name || id, props.users, props.moves);
    if (!outs) {
      // Exchange removes completed batches after 60 days (documented): that batch is history, not drift. Kept,
      // so the next up doesn't submit mailboxes that have already moved.
      if (["Completed", "CompletedWithErrors", "Removed"].includes(props.status) || props.finalizedCount > 0) {
        log.info(
          `Migration batch '${props.name}' is no longer in Exchange (completed batches are removed after 60 days); its last state is kept.`,
        );
        return { id, props: { ...props, status: "Removed" } };
      }
      // Gone, or being removed, before it moved anything: refresh drops it and the next up creates it again.
      return gone();
    }
    if (outs.batchGuid && props.batchGuid && outs.batchGuid !== props.batchGuid) return gone();
    if (!props.start && !NOT_STARTED.includes(outs.status)) {
      log.warn(
        `Migration batch '${props.name}' is ${outs.status} although start is false: it was started outside this stack. Set start: true to record that.`,
      );
    }
    return { id, props: { ...props, ...outs } };
  },

  async update(_id, olds, news) {
    const client = target();
    const b = await getBatch(client, olds.name);
    if (!b)
      throw new Error(
        `Migration batch '${olds.name}' no longer exists in tenant ${client.settings.domain}; run pulumi refresh, then up to create it again.`,
      );
    await steer(client, b, news, { start: olds.start, complete: olds.complete });
    // Starting the batch in this same update already retried its failed users (Start-MigrationBatch does both).
    if (retryRequested(olds, news) && !(news.start && !olds.start)) await retryFailedUsers(client, b, news.name);
    return { outs: await observed(news, olds.adopted, olds) };
  },

  async delete(_id, props) {
    const client = target();
    const b = await getBatch(client, props.name);
    if (!b || b.Status === "Removing") return;
    if (props.adopted) {
      log.warn(
        `Migration batch '${props.name}' existed before this stack; it is left in place (Remove-MigrationBatch -Identity '${props.name}' removes it).`,
      );
      return;
    }
    if (props.removeCompletedOnDestroy === true && ["Completed", "CompletedWithErrors"].includes(b.Status)) {
      // The engineer asked for it (stack key removeCompletedBatchesOnDestroy): the moves are done, the record goes.
      await remove(client, props.name, b);
      return;
    }
    if (isFinalized(b)) {
      log.warn(
        `Migration batch '${props.name}' is ${b.Status} (${b.FinalizedCount ?? 0} of ${b.TotalCount ?? "?"} mailboxes moved); it is left in place as a record of the move. ` +
          `Microsoft removes completed batches after 60 days; Remove-MigrationBatch -Identity '${props.name}' removes it now (the migration endpoint can't be removed while a batch uses it).`,
      );
      return;
    }
    await remove(client, props.name, b);
  },
};
