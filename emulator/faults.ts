// Fault specs as the CLI takes them, and the dice that decide which request a rate fault hits. The dice
// are a seeded PRNG so a faulty run replays exactly from its seed.

import type { FaultSpec, TargetedFault } from "./options";

type FaultSurface = FaultSpec["surfaces"][number];
const SURFACES: readonly FaultSurface[] = ["login", "graph", "exchange"];

/** mulberry32: tiny, fast and good enough for dice; not for anything secret. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultSpecError extends Error {}

const KEYS: Record<string, { field: keyof FaultSpec; form: string; parse: (v: string) => unknown }> = {
  throttle: { field: "throttleRate", form: "a rate between 0 and 1, e.g. throttle=0.1", parse: rate },
  retryAfter: { field: "retryAfterSeconds", form: "whole seconds >= 0, e.g. retryAfter=2", parse: (v) => whole(v, 0) },
  unavailable: { field: "unavailableRate", form: "a rate between 0 and 1, e.g. unavailable=0.05", parse: rate },
  lost: { field: "lostResponseRate", form: "a rate between 0 and 1, e.g. lost=0.02", parse: rate },
  replicationMs: {
    field: "replicationMs",
    form: "whole milliseconds >= 0, e.g. replicationMs=3000",
    parse: (v) => whole(v, 0),
  },
  consentMs: {
    field: "consentPropagationMs",
    form: "whole milliseconds >= 0, e.g. consentMs=10000",
    parse: (v) => whole(v, 0),
  },
  surfaces: {
    field: "surfaces",
    form: "surfaces joined by '+', from login, graph, exchange, e.g. surfaces=graph+exchange",
    parse: surfaces,
  },
  seed: { field: "seed", form: "a whole number, e.g. seed=42", parse: (v) => whole(v, -(2 ** 31)) },
};

function rate(v: string): number | undefined {
  if (!/^\d*\.?\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 0 && n <= 1 ? n : undefined;
}

function whole(v: string, min: number): number | undefined {
  if (!/^-?\d+$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= min ? n : undefined;
}

function surfaces(v: string): FaultSurface[] | undefined {
  const parts = v.split("+").map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => !SURFACES.includes(p as FaultSurface))) return undefined;
  return [...new Set(parts as FaultSurface[])];
}

/** Parses `throttle=0.1,retryAfter=2,surfaces=graph+exchange,seed=7` into a partial FaultSpec. */
export function parseFaultSpec(spec: string): Partial<FaultSpec> {
  const out: Partial<FaultSpec> = {};
  for (const item of spec
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    const eq = item.indexOf("=");
    const key = eq < 0 ? item : item.slice(0, eq);
    const known = KEYS[key];
    if (!known) {
      throw new FaultSpecError(
        `unknown fault key '${key}'; accepted keys: ${Object.keys(KEYS).join(", ")} (as key=value, comma-separated)`,
      );
    }
    const value = eq < 0 ? undefined : known.parse(item.slice(eq + 1).trim());
    if (value === undefined) throw new FaultSpecError(`fault key '${key}' expects ${known.form}; got '${item}'`);
    (out as Record<string, unknown>)[known.field] = value;
  }
  return out;
}

/** Checks a partial FaultSpec that arrived as JSON (admin surface); throws naming the bad field. */
export function validateFaultPatch(patch: Record<string, unknown>): Partial<FaultSpec> {
  const out: Record<string, unknown> = {};
  const rates = ["throttleRate", "unavailableRate", "lostResponseRate"];
  const counts = ["retryAfterSeconds", "replicationMs", "consentPropagationMs"];
  for (const [k, v] of Object.entries(patch)) {
    if (rates.includes(k)) {
      if (typeof v !== "number" || !(v >= 0 && v <= 1))
        throw new FaultSpecError(`${k} must be a number between 0 and 1`);
    } else if (counts.includes(k)) {
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
        throw new FaultSpecError(`${k} must be a whole number >= 0`);
    } else if (k === "seed") {
      if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new FaultSpecError(`seed must be a whole number`);
    } else if (k === "surfaces") {
      if (!Array.isArray(v) || v.some((s) => !SURFACES.includes(s)))
        throw new FaultSpecError(`surfaces must be an array of ${SURFACES.join(", ")}`);
    } else {
      throw new FaultSpecError(`unknown fault field '${k}'`);
    }
    out[k] = v;
  }
  return out as Partial<FaultSpec>;
}

export type FaultKind = TargetedFault["fault"];

export interface FaultTarget {
  surface: FaultSurface;
  method: string;
  path: string;
  cmdlet?: string;
}

/** A lost response only makes sense where a retry could duplicate a change. */
export function canLoseResponse(t: FaultTarget): boolean {
  if (t.method === "GET" || t.method === "HEAD") return false;
  if (t.surface === "exchange") return !!t.cmdlet && !/^get-/i.test(t.cmdlet);
  return true;
}

/** Decides the fault for one request: a matching targeted fault first (counted down), then the dice. */
export class FaultPlan {
  private dice: () => number;
  private targeted: Array<TargetedFault & { remaining: number }> = [];

  constructor(private spec: FaultSpec) {
    this.dice = seededRandom(spec.seed);
  }

  get current(): FaultSpec {
    return this.spec;
  }

  update(patch: Partial<FaultSpec>): void {
    this.spec = { ...this.spec, ...patch };
    if (patch.seed !== undefined) this.dice = seededRandom(patch.seed);
  }

  inject(f: TargetedFault): void {
    this.targeted.push({ ...f, remaining: f.times ?? 1 });
  }

  decide(t: FaultTarget): FaultKind | undefined {
    const hit = this.targeted.find((f) => f.remaining > 0 && matches(f, t));
    if (hit) {
      hit.remaining -= 1;
      this.targeted = this.targeted.filter((f) => f.remaining > 0);
      return hit.fault;
    }
    if (!this.spec.surfaces.includes(t.surface)) return undefined;
    // One roll per kind, always made, so a request sequence maps to the same faults whatever the rates.
    const [throttle, unavailable, lost] = [this.dice(), this.dice(), this.dice()];
    if (throttle < this.spec.throttleRate) return "throttle";
    if (unavailable < this.spec.unavailableRate) return "unavailable";
    if (lost < this.spec.lostResponseRate && canLoseResponse(t)) return "lost";
    return undefined;
  }
}

function matches(f: TargetedFault, t: FaultTarget): boolean {
  if (f.surface && f.surface !== t.surface) return false;
  if (f.method && f.method.toUpperCase() !== t.method) return false;
  if (f.cmdlet && (!t.cmdlet || f.cmdlet.toLowerCase() !== t.cmdlet.toLowerCase())) return false;
  if (f.path !== undefined) {
    const re = typeof f.path === "string" ? new RegExp(f.path) : f.path;
    if (!re.test(t.path)) return false;
  }
  return true;
}
