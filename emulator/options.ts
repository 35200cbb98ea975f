// Everything an emulator run can be told. Facts no public source confirms are knobs here, with the
// most likely behaviour as the default.

import type { GraphKnobs } from "./graph/knobs";
import type { ExchangeKnobs } from "./exchange/knobs";

export interface FaultSpec {
  /** Fraction (0..1) of requests answered 429 with Retry-After, before any change is applied. */
  throttleRate: number;
  /** Seconds in the Retry-After header of an injected 429. */
  retryAfterSeconds: number;
  /** Fraction of requests answered 503 (Graph: serviceNotAvailable; Exchange: the concurrent-requests text). */
  unavailableRate: number;
  /** Fraction of writes whose response is lost after the write was applied (the socket is destroyed). */
  lostResponseRate: number;
  /** Milliseconds before a newly created object is visible to reads and follow-up calls. */
  replicationMs: number;
  /** Milliseconds before a new app role assignment (consent) reaches Exchange. */
  consentPropagationMs: number;
  /** Which surfaces the rate faults apply to. */
  surfaces: Array<"login" | "graph" | "exchange">;
  /** Seed for the fault dice, so a faulty run can be replayed. */
  seed: number;
}

/** A fault aimed at specific requests, for deterministic tests ("lose the response of the next POST /applications"). */
export interface TargetedFault {
  surface?: "login" | "graph" | "exchange";
  method?: string;
  /** Matched against the surface path (Graph/Exchange) or the full path (login). */
  path?: RegExp | string;
  /** Exchange only: cmdlet name, case-insensitive. */
  cmdlet?: string;
  fault: "throttle" | "unavailable" | "lost";
  /** How many matching requests it hits; default 1. */
  times?: number;
}

export interface EmulatorOptions {
  /** 0 picks a free port. */
  port: number;
  host: string;
  /** Extra mailboxes generated in the source tenant beyond the hand-written seed. */
  mailboxes: number;
  latencyMs: number;
  faults: FaultSpec;
  /** Load state from this file at start when it exists, and save it there on stop. */
  stateFile?: string;
  /** Lifetime of issued access tokens. */
  tokenLifetimeSeconds: number;
  graph: GraphKnobs;
  exchange: ExchangeKnobs;
}

export const NO_FAULTS: FaultSpec = {
  throttleRate: 0,
  retryAfterSeconds: 1,
  unavailableRate: 0,
  lostResponseRate: 0,
  replicationMs: 0,
  consentPropagationMs: 0,
  surfaces: ["login", "graph", "exchange"],
  seed: 1,
};
