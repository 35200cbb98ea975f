// From a staged wave to moving mailboxes: the wave's pre-flight (Readiness), its opt-in licences
// (LicenceAssignment) and its migration batches (MigrationBatch, one per 2,000-user part), all children of
// the wave. The order is carried by dependencies:
//
//   MailUsers (stamped) -> licences/<wave> (target side) --\
//   scoping group, relationships, endpoint -----------------+-> readiness/<wave> -> batch/<wave>[-n]
//   MailUsers ------------------------------------------------------------------------^
//
// Readiness takes a `refreshToken` made from NON-SECRET outputs of what it checks (MailUsers, licences, scope
// group, relationships, endpoint): it is unknown at preview while any of them has a pending change, so the
// findings that change may fix are shown as pending instead of blocking, and at up the engine registers
// Readiness only once those changes are applied.
//
// A batch's users are its part of the wave (the wave's declared order, so a wave that grows by appending gains
// a batch and never changes a started one) minus the held users and the users readiness blocks. A moved user
// stays in: a completed move never changes a started batch. A user this stack has just licensed is pending, not
// unlicensed, until Exchange shows the licence (readiness's licensedByStack), and the batch's create waits for
// that (its awaitLicences) instead of leaving the user out.

import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { LicenceAssignment } from "../providers/licenceAssignment";
import { orderOnly } from "./orderOnly";
import type { MailUserState } from "./mailUserStates";
import { whenDeclared, type WaveStaging } from "./waveStaging";
import { MigrationBatch, splitIntoBatches, type MigrationBatchMove } from "../providers/migrationBatch";
import { Readiness, type Finding, type ReadinessSummary } from "../providers/readiness";
import type { SourceMailbox } from "../providers/sourceMailboxes";
import type { PlannedUser } from "../providers/staging/plan";
import type { BatchPlan } from "../config/moveConfig";

export interface ReadinessSetup {
  /** The migration app's appId. */
  appId: pulumi.Input<string>;
  /** The source scope group: the ScopingGroup's identity, or its name when the source is another stack's. */
  scopeGroup: pulumi.Input<string>;
  /** The migration endpoint's identity (or its configured name when the target is another stack's). */
  endpointName: pulumi.Input<string>;
  /** Where the wave's Markdown report is written. */
  reportPath: string;
  /** Run a live test move per ready user at up (stack key waves.<wave>.liveTest). */
  liveTest?: boolean;
  /** Non-secret outputs of the pair's resources the wave's readiness depends on (scope group, relationships, endpoint). */
  dependsOnValues: pulumi.Input<unknown>[];
  /** Known once every wave of the pair has staged and been licensed (components/waveStaging.ts pairDone). */
  afterPair?: pulumi.Input<unknown>;
}

export interface BatchSetup extends BatchPlan {
  /** The migration endpoint's identity (-SourceEndpoint). */
  sourceEndpoint: pulumi.Input<string>;
  /** Destroy removes completed batches too (stack key removeCompletedBatchesOnDestroy). */
  removeCompletedOnDestroy: boolean;
}

export interface WaveMovesArgs {
  readiness?: ReadinessSetup;
  /** Opt-in: license the wave's users on this side. */
  licences?: { tenant: "source" | "target"; usageLocation?: string };
  /** Absent: the wave has no batch. Needs the target tenant (batches live there). */
  batch?: BatchSetup;
}

export interface WaveMoves {
  readiness?: Readiness;
  licences?: LicenceAssignment;
  batches: { name: string; batch: MigrationBatch }[];
}

/** What the wave's staging produced, which its moves build on. */
export interface StagedWave {
  name: string;
  users: PlannedUser[];
  sourceMailboxes: pulumi.Output<SourceMailbox[]>;
  /**
   * Its MailUsers (one per user, in the order of `users`; none when this stack does not stage, the source side
   * of a split pair) and previous-mailbox clears, once declared (components/waveStaging.ts).
   */
  staging: Promise<WaveStaging>;
  /** Their states, in the same order (components/mailUserStates.ts); the wave computes them once for both uses. */
  mailUserStates: pulumi.Output<MailUserState[]>;
  targetDeliveryDomain: string;
}

// ---- pure helpers (unit-tested) ----

/** Target addresses of the users whose source cannot move (SourceMailboxes state blocked): held, never batched. */
export function heldTargets(users: PlannedUser[], mailboxes: SourceMailbox[] | undefined): string[] {
  const blocked = new Set(
    (mailboxes ?? []).filter((m) => m.state === "blocked").map((m) => m.sourceAddress.toLowerCase()),
  );
  return users.filter((u) => blocked.has(u.sourceAddress.toLowerCase())).map((u) => u.targetPrimary.toLowerCase());
}

/**
 * Once a batch runs, the source mailbox reports the move (MailboxMoveStatus), which readiness reports as a move
 * already under way. A move under way IN ONE OF THIS WAVE'S BATCHES is the batch's own work, not a reason to
 * take the user out of it (that would change a started batch).
 */
export function ownMove(f: Finding, batchNames: string[]): boolean {
  if (f.check !== "user.source.moving") return false;
  const m = /batch ([^;,)\s]+)/.exec(f.message);
  const named = (m?.[1] ?? "").toLowerCase().replace(/^.*[:\\/]/, "");
  return batchNames.some((n) => n.toLowerCase() === named);
}

/** The users readiness leaves out of this wave's batches. */
export function blockedForBatches(
  blockedUsers: string[] | undefined,
  findings: Finding[] | undefined,
  batchNames: string[],
): string[] {
  const blocked = (blockedUsers ?? []).map((a) => a.toLowerCase());
  const all = findings ?? [];
  // An organisation finding blocks everyone; then nothing is excused.
  if (all.some((f) => f.user === null && f.severity === "blocking" && !f.pending)) return blocked;
  return blocked.filter((user) => {
    const own = all.filter((f) => f.user?.toLowerCase() === user && f.severity === "blocking" && !f.pending);
    return !(own.length > 0 && own.every((f) => ownMove(f, batchNames)));
  });
}

/** A batch part's addresses without the held and the blocked users, in the part's order. (Lists, not Sets: Outputs carry plain JSON.) */
export function batchAddresses(part: string[], held: string[], blocked: string[]): string[] {
  const out = new Set([...held, ...blocked].map((a) => a.toLowerCase()));
  return part.filter((a) => !out.has(a.toLowerCase()));
}

/** Target addresses of the users the wave's LicenceAssignment licensed (its `assigned`, by that side's address). */
export function licensedTargets(users: PlannedUser[], side: "source" | "target", assigned: string[]): string[] {
  const mine = new Set(assigned.map((a) => a.toLowerCase()));
  return users
    .filter((u) => mine.has((side === "source" ? u.sourceAddress : u.targetPrimary).toLowerCase()))
    .map((u) => u.targetPrimary.toLowerCase());
}

/**
 * The users of a batch part the batch waits for: licensed by this stack, and pending in readiness on the licence
 * (Exchange does not show it yet), by the address of the side that holds the licence.
 */
export function awaitedLicences(
  part: string[],
  users: PlannedUser[],
  side: "source" | "target",
  licensed: string[],
  findings: Finding[] | undefined,
): string[] {
  const mine = new Set(licensed.map((a) => a.toLowerCase()));
  const waiting = new Set(
    (findings ?? [])
      .filter((f) => f.check === "user.licence" && f.pending && f.user && mine.has(f.user.toLowerCase()))
      .map((f) => f.user!.toLowerCase()),
  );
  const inPart = new Set(part.map((a) => a.toLowerCase()));
  return users
    .filter((u) => inPart.has(u.targetPrimary.toLowerCase()) && waiting.has(u.targetPrimary.toLowerCase()))
    .map((u) => (side === "source" ? u.sourceAddress : u.targetPrimary).toLowerCase());
}

/** A short, stable digest: the token's value does not matter (Readiness ignores its changes), only when it is known. */
export function digest(value: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify(value ?? null))
    .digest("hex")
    .slice(0, 16);
}

// ---- the resources ----

export function declareMoves(parent: pulumi.Resource, wave: StagedWave, args: WaveMovesArgs): WaveMoves {
  const { name, users, staging } = wave;
  const mailUsers = staging.then((s) => s.mailUsers);
  const opts = { parent };
  const held = wave.sourceMailboxes.apply((m) => heldTargets(users, m));
  const out: WaveMoves = { batches: [] };

  if (args.licences) {
    const side = args.licences.tenant;
    // Held users are not staged (no MailUser) and may not move: they get no licence.
    const licensed = held.apply((h) =>
      users
        .filter((u) => !h.includes(u.targetPrimary.toLowerCase()))
        .map((u) => (side === "source" ? u.sourceAddress : u.targetPrimary)),
    );
    out.licences = new LicenceAssignment(
      `licences/${name}`,
      {
        wave: name,
        tenant: side,
        users: licensed,
        ...(args.licences.usageLocation ? { usageLocation: args.licences.usageLocation } : {}),
      },
      // Target side: never before the MailUser carries its ExchangeGuid (a licensed unstamped MailUser gets a new mailbox).
      { ...opts, dependsOn: side === "target" ? mailUsers : [] },
    );
  }

  // Target addresses of the users this stack licensed: pending in readiness, and waited for by the batches,
  // while Exchange does not show their licence yet.
  const licensed =
    out.licences && args.licences
      ? {
          side: args.licences.tenant,
          targets: out.licences.assigned.apply((a) =>
            licensedTargets(
              users,
              args.licences!.tenant,
              (a ?? []).map((x) => x.address),
            ),
          ),
        }
      : undefined;

  if (args.readiness) {
    const r = args.readiness;
    const assigned = out.licences ? out.licences.assigned.apply((a) => (a ?? []).map((x) => x.address)) : null;
    // Per user (its MailUser, its previous-mailbox clear) the token only waits: see components/orderOnly.ts.
    // Its value is never compared, so a wave without clears may give a null for them.
    const cleared = whenDeclared(staging, (s) =>
      s.cleanups.length ? orderOnly(pulumi.all(s.cleanups.map((c) => c.cleared)).apply(digest)) : null,
    );
    const parts: pulumi.Input<unknown>[] = [
      orderOnly(wave.mailUserStates.apply(digest)),
      assigned,
      pulumi.all(r.dependsOnValues),
      cleared,
      r.afterPair ?? null,
    ];
    const refreshToken = pulumi.all(parts).apply(digest);
    out.readiness = new Readiness(
      `readiness/${name}`,
      {
        wave: name,
        users: users.map((u) => ({ source: u.sourceAddress, target: u.targetPrimary })),
        scopeGroup: r.scopeGroup,
        appId: r.appId,
        endpointName: r.endpointName,
        reportPath: r.reportPath,
        targetDeliveryDomain: wave.targetDeliveryDomain,
        refreshToken,
        ...(licensed ? { licensedByStack: licensed.targets } : {}),
        ...(r.liveTest ? { liveTest: true } : {}),
      },
      opts,
    );
  }

  if (args.batch) {
    const b = args.batch;
    const parts = splitIntoBatches(
      name,
      users.map((u) => u.targetPrimary),
    );
    const names = parts.map((p) => p.batchName);
    const readiness = out.readiness;
    const blocked = readiness
      ? pulumi.all([readiness.blockedUsers, readiness.allFindings]).apply(([bu, f]) => blockedForBatches(bu, f, names))
      : pulumi.output<string[]>([]);
    const before: pulumi.Resource[] = [...(readiness ? [readiness] : []), ...(out.licences ? [out.licences] : [])];
    const batchAfter: Promise<pulumi.Resource[]> = mailUsers.then((m) => [...m, ...before]);
    for (const part of parts) {
      // When readiness blocks every user of the part, the list is empty and the batch's check refuses it
      // ("targetAddresses is empty"), next to readiness's warning naming the blocked users and the report.
      const addresses = pulumi.all([held, blocked]).apply(([h, x]) => batchAddresses(part.targetAddresses, h, x));
      // Users licensed by this run whose licence Exchange does not show yet: the batch's create waits for them.
      const awaitLicences =
        licensed && readiness
          ? pulumi.all([readiness.allFindings, licensed.targets]).apply(([f, mine]) => ({
              tenant: licensed.side,
              addresses: awaitedLicences(part.targetAddresses, users, licensed.side, mine, f),
            }))
          : undefined;
      const batch = new MigrationBatch(
        part.resourceName,
        {
          name: part.batchName,
          targetAddresses: addresses,
          sourceEndpoint: b.sourceEndpoint,
          targetDeliveryDomain: wave.targetDeliveryDomain,
          start: b.start,
          complete: b.complete,
          completeAfter: b.completeAfter,
          removeCompletedOnDestroy: b.removeCompletedOnDestroy,
          // Only when declared, so a stack that never retries records no retryFailed input.
          ...(b.retryFailed ? { retryFailed: b.retryFailed } : {}),
          ...(awaitLicences ? { awaitLicences } : {}),
        },
        {
          ...opts,
          dependsOn: batchAfter,
        },
      );
      out.batches.push({ name: part.batchName, batch });
    }
  }
  return out;
}

/** The stack's `readiness` output for a wave: the summary, the report, and the licences needed and available. */
export function readinessView(r: Readiness): pulumi.Output<{
  summary: ReadinessSummary;
  report: string;
  licences: { needed: number; sourceAvailable: number | null; targetAvailable: number | null };
  /** Only after an up of a wave with liveTest set: each ready user's live test move. */
  liveTests?: { source: string; target: string; result: string; message: string; fix?: string }[];
}> {
  return pulumi.all([r.summary, r.reportFile, r.licences, r.liveTests]).apply(([summary, report, l, live]) => ({
    summary,
    report,
    licences: {
      needed: l?.needed ?? 0,
      sourceAvailable: l?.source ? l.source.available : null,
      targetAvailable: l?.target ? l.target.available : null,
    },
    ...(Array.isArray(live)
      ? {
          liveTests: live.map((t) => ({
            source: t.source,
            target: t.target,
            result: t.result,
            message: t.message,
            ...(t.fix ? { fix: t.fix } : {}),
          })),
        }
      : {}),
  }));
}

/** Moves that need no line of their own: synced (waiting for completion) or completed; the counts say it. */
const SETTLED = /^(Synced|AutoSuspended|Completed.*)$/;

/**
 * A batch's user-by-user moves for the stack output: present while any move is queued, in flight, suspended
 * or failed (each with status, percent and bytes; a failed one with Microsoft's message and what to do next),
 * absent once every move is synced or completed, when the counts say everything.
 */
export function movesView(moves: MigrationBatchMove[] | undefined): MigrationBatchMove[] | undefined {
  const all = moves ?? [];
  return all.some((m) => !SETTLED.test(m.status)) ? all : undefined;
}

/** The stack's `batches` output for a batch: its status and counts, and its users' moves while they need watching. */
export function batchView(wave: string, b: MigrationBatch) {
  return pulumi
    .all([b.status, b.totalCount, b.syncedCount, b.finalizedCount, b.failedCount, b.moves])
    .apply(([status, total, synced, completed, failed, moves]) => {
      const watched = movesView(moves);
      return {
        wave,
        status,
        total,
        synced,
        completed,
        failed,
        ...(watched ? { moves: watched } : {}),
      };
    });
}
