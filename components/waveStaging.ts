// A wave's staged objects (its MailUsers and previous-mailbox clears), which a later wave of a pair declares
// only once every MailUser of the wave before it has been answered.
//
// Why: the SDK gives each declared resource its Outputs and the promises it tracks at once, and keeps them
// until the engine answers the registration. A pair whose waves all declared their MailUsers at the start
// held every user's in the program at once (2.9 GB at 10,000 users in five waves); one wave at a time holds a
// wave's. Staging is no slower for it: the waves' creates share one provider host and its per-tenant
// concurrency (`exchangeConcurrency`), which a single wave of a few hundred users already keeps busy.

import * as pulumi from "@pulumi/pulumi";
import type { MailUser } from "../providers/mailUser";
import type { PreviousMailboxCleanup } from "../providers/previousMailboxCleanup";
import { orderOnly, registrationsAnswered } from "./orderOnly";

export interface WaveStaging {
  /** One per user, in the order of the wave's users; empty when this stack does not stage. */
  mailUsers: MailUser[];
  cleanups: PreviousMailboxCleanup[];
}

/**
 * `declare()` now, or once `after` settles (whether the wave before succeeded or not: if it failed, the engine
 * stops the update and refuses what is declared after). The program must not end in between: the SDK ends it
 * once no registration is outstanding, which is the case for a moment after the wave before is answered.
 */
export function declareStaging(declare: () => WaveStaging, after?: Promise<void>): Promise<WaveStaging> {
  if (!after) return Promise.resolve(declare());
  const done = pulumi.runtime.rpcKeepAlive();
  return after.then(declare).finally(done);
}

/** Settles once every MailUser of the staging has been answered (created, updated, found unchanged or failed). */
export function stagingAnswered(staging: Promise<WaveStaging>): Promise<void> {
  return staging.then(
    (s) => registrationsAnswered(s.mailUsers),
    () => undefined,
  );
}

/**
 * `f` of the staging once declared, as an Output: unknown at preview when the Output `f` gives is, and
 * depending on the resources that one names (none are named before the staging is declared).
 */
export function whenDeclared<T>(
  staging: Promise<WaveStaging>,
  f: (s: WaveStaging) => pulumi.Input<T>,
): pulumi.Output<T> {
  let declared: WaveStaging | undefined;
  const ready = staging.then((s) => {
    declared = s;
    return true;
  });
  return pulumi.output(ready).apply(() => f(declared!)) as pulumi.Output<T>;
}

/** What a wave gives the pair's readinesses to wait for. */
export interface WaveDone {
  staged: Promise<void>;
  /** Its LicenceAssignment's `assigned`, when the stack licenses the wave. */
  licensed?: pulumi.Output<unknown>;
}

/**
 * Known once every wave of the pair has staged its MailUsers and been licensed, naming none of them (see
 * components/orderOnly.ts); unknown at preview while a licence assignment will change. Each wave's readiness
 * waits for it: the licences a tenant has left are counted in every wave's readiness, and with the waves
 * staging one after another a wave's readiness would otherwise count them before the next wave took its own,
 * and the next preview would plan an update of it. `waves` is given once the pair has declared them all.
 */
export function pairDone(waves: Promise<WaveDone[]>): pulumi.Output<string> {
  let declared: WaveDone[] = [];
  const staged = waves.then(async (w) => {
    declared = w;
    await Promise.all(w.map((x) => x.staged));
    return true;
  });
  return orderOnly(
    pulumi.output(staged).apply(() => pulumi.all(declared.map((w) => w.licensed ?? null)).apply(() => "done")),
  );
}
