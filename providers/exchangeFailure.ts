// What providers need from an Exchange failure and from Exchange's eventual consistency, in one place.
// Errors are recognised by shape (`name === "ExchangeError"`), not `instanceof`, so a failure that crossed a
// module copy (the host loads dist/, a test may load the sources) is still recognised.

import { log } from "./context";
import type { ExchangeError, ExchangeErrorKind } from "./tenant";
import { envNumber, positive } from "./tenant/env";

export function exchangeError(e: unknown): ExchangeError | undefined {
  return e instanceof Error && e.name === "ExchangeError" ? (e as ExchangeError) : undefined;
}

export function kindOf(e: unknown): ExchangeErrorKind | undefined {
  return exchangeError(e)?.kind;
}

/** A write whose response never came back: it may have been applied. */
export function maybeApplied(e: unknown): boolean {
  return exchangeError(e)?.maybeApplied === true;
}

/** Exchange refuses customisation cmdlets in a dehydrated organization (CmdletInvalidOperationInDehydratedContextException). */
export function isDehydrated(e: unknown): boolean {
  const x = exchangeError(e);
  if (!x) return false;
  return /DehydratedContext/i.test(x.exceptionType ?? "") || /Enable-OrganizationCustomization/i.test(x.detail);
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * New objects take a while to show in reads (up to ~60 s for a group). Polls
 * `probe` with growing pauses until it answers or `timeoutMs` passes; says once what it waits for.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = visibilityTimeoutMs(),
  opts: { quiet?: boolean } = {},
): Promise<T | undefined> {
  const started = Date.now();
  let said = opts.quiet === true;
  for (let attempt = 0; ; attempt++) {
    const hit = await probe();
    if (hit !== undefined) return hit;
    const left = timeoutMs - (Date.now() - started);
    if (left <= 0) return undefined;
    if (!said) {
      log.info(
        `Waiting up to ${Math.round(timeoutMs / 1000)} s for ${what} (Exchange replicates new objects with a delay).`,
      );
      said = true;
    }
    await new Promise((r) => setTimeout(r, Math.min(visibilityPause(attempt), left)));
  }
}

/** The pause before the next look at something not yet visible: 250 ms, doubling, at most 5 s. */
export function visibilityPause(attempt: number): number {
  return Math.min(5_000, 250 * 2 ** attempt);
}

/** Bound of every visibility wait; `XTMM_VISIBILITY_TIMEOUT_SECONDS` shortens it (tests) or lengthens it. */
export function visibilityTimeoutMs(): number {
  return envNumber("XTMM_VISIBILITY_TIMEOUT_SECONDS", 120, positive) * 1000;
}
