// One migration wave (at most 2,000 mailboxes, Microsoft's batch limit, unless it may move in several batches):
// the bulk read of its source mailboxes (SourceMailboxes, one resource) and one staged target MailUser per
// user, stamped with what that read found; then, when asked, its pre-flight, licences and migration batches
// (components/waveBatches.ts). In split administration the source stack reads and publishes the mailboxes,
// and the target stack stages MailUsers from them (passed in as `sourceMailboxes`); only non-secret values cross.

import * as pulumi from "@pulumi/pulumi";
import type { PlannedUser } from "../providers/staging/plan";
import { SourceMailboxes, type SourceMailbox } from "../providers/sourceMailboxes";
import {
  MailUser,
  withMailUserDefaults,
  type MailUserInputs,
  type MailUserPlannedValues,
  type MailUserSourceValues,
} from "../providers/mailUser";
import { declarationStacks } from "./declarationStacks";
import { PreviousMailboxCleanup } from "../providers/previousMailboxCleanup";
import { mailUserStates, type MailUserState } from "./mailUserStates";
import { declareStaging, stagingAnswered, whenDeclared, type WaveStaging } from "./waveStaging";
import { declareMoves, type WaveMoves, type WaveMovesArgs } from "./waveBatches";

export interface MigrationWaveArgs {
  users: PlannedUser[];
  targetDomains: string[];
  targetDeliveryDomain: string;
  /** Remove never-migrated staged users for good on destroy (stack key purgeStagedUsersOnDestroy). */
  purgeStagedUsersOnDestroy: boolean;
  manage: { source: boolean; target: boolean };
  /** Split administration: the target stack gets the wave's source mailboxes from the source stack. */
  sourceMailboxes?: pulumi.Input<SourceMailbox[]>;
  /** Resources the MailUsers wait for (the migration endpoint): staging is the last preparation step. */
  stageAfter?: pulumi.Input<pulumi.Resource>[];
  /**
   * Settles once every MailUser of the pair's wave before this one has been answered: this wave declares its
   * MailUsers only then (components/waveStaging.ts). Absent: at once.
   */
  stageAfterWave?: Promise<void>;
  /** Most users the wave may hold (SourceMailboxes maxUsers); 0 = no limit (a wave split into several batches). Default 2,000. */
  maxUsers?: number;
  /** Readiness, licences and batches for the wave; absent = staging only. */
  moves?: WaveMovesArgs;
  /**
   * Target addresses (users of this wave) whose MailUser's previous-mailbox information is cleared for good
   * (stack key waves.<wave>.clearPreviousMailboxInfo): one PreviousMailboxCleanup each, after its MailUser.
   */
  clearPreviousMailboxInfo?: string[];
}

export type WaveUserState = "staged" | "held" | "migrated" | "planned";

export interface WaveUser {
  source: string;
  target: string;
  state: WaveUserState;
  reasons: string[];
}

/**
 * The MailUser inputs the plan alone decides. The wave passes them as plain values, so they are known at
 * preview even while the source read is not.
 */
export function plannedInputs(
  user: PlannedUser,
  opts: { targetDeliveryDomain: string; purgeStagedUsersOnDestroy: boolean },
): MailUserPlannedValues {
  return {
    sourceAddress: user.sourceAddress,
    targetPrimary: user.targetPrimary,
    userPrincipalName: user.userPrincipalName,
    alias: user.alias,
    // Exchange's Name must be unique in the tenant; the alias is (checked across waves) and readable.
    name: user.alias,
    deliveryAddress: `${user.alias}@${opts.targetDeliveryDomain}`.toLowerCase(),
    // The MailUser's own name for the setting: its `delete` purges. It is stored in every stack's state, so it
    // keeps that name while the stack key and the components say purgeStagedUsersOnDestroy.
    purgeOnDelete: opts.purgeStagedUsersOnDestroy,
  };
}

/**
 * What a planned user's MailUser takes from its source mailbox (names the plan declares win over the source's),
 * passed as the MailUser's one `fromSource` input. Pure.
 */
export function sourceValues(user: PlannedUser, mailbox: SourceMailbox): MailUserSourceValues {
  return {
    displayName: user.displayName ?? mailbox.displayName,
    firstName: user.firstName ?? mailbox.firstName ?? "",
    lastName: user.lastName ?? mailbox.lastName ?? "",
    // Until the move, mail for the target object goes to the source mailbox.
    externalEmailAddress: mailbox.primarySmtpAddress,
    exchangeGuid: mailbox.exchangeGuid,
    archiveGuid: mailbox.archiveGuid ?? "",
    x500Addresses: mailbox.x500Addresses,
    sharedMailbox: mailbox.recipientTypeDetails === "SharedMailbox",
    // A blocked source holds its MailUser: recorded, nothing written, staged once the blockers clear.
    blockers: mailbox.state === "blocked" ? mailbox.blockers : [],
  };
}

/** A planned user's whole MailUser inputs, as check makes them of what the wave passes. Pure; the bench uses it. */
export function mailUserInputs(planned: ReturnType<typeof plannedInputs>, user: PlannedUser, mailbox: SourceMailbox) {
  return withMailUserDefaults({ ...planned, ...sourceValues(user, mailbox) }) satisfies MailUserInputs;
}

/** The wave's users with their state; `flags` (from each MailUser, same order) is absent when this stack stages none. */
export function waveUsers(
  users: PlannedUser[],
  mailboxes: SourceMailbox[],
  flags?: Array<{ staged?: boolean; held?: boolean; migrated?: boolean }>,
): WaveUser[] {
  const bySource = indexBySource(mailboxes);
  return users.map((u, i) => {
    const mb = bySource.get(u.sourceAddress);
    const f = flags?.[i];
    const reasons = mb?.state === "blocked" ? mb.blockers : [];
    let state: WaveUserState;
    if (f) state = f.migrated ? "migrated" : f.held ? "held" : f.staged ? "staged" : "planned";
    else state = mb?.state === "moved" ? "migrated" : mb?.state === "blocked" ? "held" : "planned";
    return { source: u.sourceAddress, target: u.targetPrimary, state, reasons };
  });
}

/** Sources of the wave's users that are not blocked: the scoping group's members (moved ones stay, so nothing changes after a move). */
export function stagedSources(users: PlannedUser[], mailboxes: SourceMailbox[]): string[] {
  const bySource = indexBySource(mailboxes);
  return users.filter((u) => bySource.get(u.sourceAddress)?.state !== "blocked").map((u) => u.sourceAddress);
}

/**
 * The source mailbox read for a user. Only split administration can miss one (the source stack publishes
 * the list); that user's MailUser then fails to register with this message, and the others go ahead.
 */
export function mailboxFor(wave: string, user: PlannedUser, index: Map<string, SourceMailbox>): SourceMailbox {
  const found = index.get(user.sourceAddress.toLowerCase());
  if (found) return found;
  throw new Error(
    `wave ${wave}: no source mailbox was read for ${user.sourceAddress} (the source stack publishes them); add it to wave ${wave} ` +
      "in the source stack and run `pulumi up` there first, or remove it from this wave",
  );
}

export function indexBySource(mailboxes: SourceMailbox[]): Map<string, SourceMailbox> {
  return new Map((mailboxes ?? []).map((m) => [m.sourceAddress.toLowerCase(), m]));
}

export class MigrationWave extends pulumi.ComponentResource {
  readonly sourceMailboxes: pulumi.Output<SourceMailbox[]>;
  readonly stagedSourceAddresses: pulumi.Output<string[]>;
  readonly users: pulumi.Output<WaveUser[]>;
  /** The SourceMailboxes resource, when this stack reads the source. */
  readonly reader?: SourceMailboxes;
  /** Filled when the wave declares them: at once, or after the wave before (`staging`). */
  readonly mailUsers: MailUser[] = [];
  /** The previous-mailbox clears the stack file asks for (target side only); filled with the MailUsers. */
  readonly cleanups: PreviousMailboxCleanup[] = [];
  /** The MailUsers and clears once declared. */
  readonly staging: Promise<WaveStaging>;
  /** Settles once every MailUser of the wave has been answered: the next wave's `stageAfterWave`. */
  readonly staged: Promise<void>;
  /** The wave's readiness, licence assignment and batches (those declared). */
  readonly moves: WaveMoves = { batches: [] };

  constructor(name: string, args: MigrationWaveArgs, opts?: pulumi.ComponentResourceOptions) {
    super("xtmm:index:MigrationWave", name, {}, opts);
    const users = args.users;
    if (args.manage.source || args.sourceMailboxes === undefined) {
      this.reader = new SourceMailboxes(
        `source-mailboxes/${name}`,
        {
          wave: name,
          users,
          targetDomains: args.targetDomains,
          targetDeliveryDomain: args.targetDeliveryDomain,
          ...(args.maxUsers !== undefined ? { maxUsers: args.maxUsers } : {}),
        },
        { parent: this },
      );
      this.sourceMailboxes = this.reader.records;
    } else {
      this.sourceMailboxes = pulumi.output(args.sourceMailboxes) as pulumi.Output<SourceMailbox[]>;
    }
    this.stagedSourceAddresses = this.sourceMailboxes.apply((m) => stagedSources(users, m));

    const stages = args.manage.target && users.length > 0;
    this.staging = stages
      ? declareStaging(() => this.declareStaging(name, args), args.stageAfterWave)
      : Promise.resolve({ mailUsers: [], cleanups: [] });
    this.staged = stagingAnswered(this.staging);

    const states = stages
      ? whenDeclared(this.staging, (s) => mailUserStates(s.mailUsers))
      : pulumi.output<MailUserState[]>([]);
    const flags = stages
      ? states.apply((s) => s.map(([, staged, held, migrated]) => ({ staged, held, migrated })))
      : undefined;
    this.users = flags
      ? pulumi.all([this.sourceMailboxes, flags]).apply(([m, f]) => waveUsers(users, m, f))
      : this.sourceMailboxes.apply((m) => waveUsers(users, m));
    if (args.moves) {
      this.moves = declareMoves(
        this,
        {
          name,
          users,
          sourceMailboxes: this.sourceMailboxes,
          staging: this.staging,
          mailUserStates: states,
          targetDeliveryDomain: args.targetDeliveryDomain,
        },
        args.moves,
      );
    }
    // Nothing recorded for the component: the users' states are the stack's `waves` output already, the
    // mailboxes the SourceMailboxes resource's; a copy here was about 100 bytes a user in the checkpoint.
    this.registerOutputs({});
  }

  private declareStaging(name: string, args: MigrationWaveArgs): WaveStaging {
    const bySource = this.sourceMailboxes.apply(indexBySource);
    const opts = {
      targetDeliveryDomain: args.targetDeliveryDomain,
      purgeStagedUsersOnDestroy: args.purgeStagedUsersOnDestroy,
    };
    const restoreStacks = declarationStacks();
    try {
      for (const user of args.users) {
        // Two objects, not sixteen inputs: see providers/mailUser/groups.ts.
        const fromSource = bySource.apply((index) => sourceValues(user, mailboxFor(name, user, index)));
        this.mailUsers.push(
          new MailUser(
            `mailuser/${user.targetPrimary}`,
            { planned: plannedInputs(user, opts), fromSource },
            { parent: this, dependsOn: args.stageAfter },
          ),
        );
      }
    } finally {
      restoreStacks();
    }
    const clear = new Set((args.clearPreviousMailboxInfo ?? []).map((a) => a.toLowerCase()));
    args.users.forEach((user, i) => {
      if (!clear.has(user.targetPrimary.toLowerCase())) return;
      const mailUser = this.mailUsers[i];
      this.cleanups.push(
        new PreviousMailboxCleanup(
          `previous-mailbox/${user.targetPrimary}`,
          { target: user.targetPrimary, mailUser: mailUser.identity },
          { parent: this, dependsOn: [mailUser] },
        ),
      );
    });
    return { mailUsers: this.mailUsers, cleanups: this.cleanups };
  }
}
