// Parameter binding as Exchange Online does it, strictly from Microsoft's cmdlet reference
// (emulator/reference/exchange-cmdlets.json): names first, then value conversion, then parameter-set
// resolution and mandatory parameters. A request the reference does not allow is both answered the way
// Microsoft answers it and recorded as a violation, so the client's defect fails its tests.

import type { EmuResponse } from "../http";
import { BindFail, convert, fail, type Route } from "./conversion";
import { ambiguousParameterSet } from "./envelope";
import { cmdletSpec, type CmdletSpec, type SetEntry } from "./reference";

// The cmdlet implementations (cmdlets/) import the values they are handed from here.
export { Credential, MultiValueDelta, Secret } from "./boundValues";

/** PowerShell's common parameters (the reference lists them once, not per cmdlet). */
const COMMON = [
  "Verbose",
  "Debug",
  "ErrorAction",
  "WarningAction",
  "InformationAction",
  "ErrorVariable",
  "WarningVariable",
  "InformationVariable",
  "OutVariable",
  "OutBuffer",
  "PipelineVariable",
  "ProgressAction",
];

export interface Bound {
  cmdlet: string;
  set: string;
  params: Record<string, unknown>;
}

/** An optional parameter a knob admits into one parameter set beyond Microsoft's reference (UNCONFIRMED pairings only). */
export interface Widening {
  set: string;
  parameter: string;
}

export type BindResult =
  { ok: true; bound: Bound } | { ok: false; response: EmuResponse; violation?: { kind: string; detail: string } };

export function bind(
  cmdletName: string,
  raw: Record<string, unknown>,
  route: Route,
  opts: { acceptRestCredentials: boolean; now: number; widen?: Widening },
): BindResult {
  const spec = cmdletSpec(cmdletName);
  if (!spec) throw new Error("bind() is only called for cmdlets in the reference");
  try {
    const params: Record<string, unknown> = {};
    const named: string[] = [];
    const unknown: string[] = [];
    const onPremOnly: string[] = [];
    const byLower = new Map(Object.keys(spec.parameters).map((k) => [k.toLowerCase(), k]));
    const keys = Object.keys(raw);
    for (const key of keys) {
      const canonical = byLower.get(key.toLowerCase());
      if (!canonical) {
        const common = COMMON.find((c) => c.toLowerCase() === key.toLowerCase());
        if (common && spec.supportsCommonParameters) continue;
        unknown.push(key);
        continue;
      }
      if (!spec.parameters[canonical].exchangeOnline) onPremOnly.push(canonical);
      else named.push(canonical);
    }
    if (unknown.length || onPremOnly.length) {
      const bad = [...unknown, ...onPremOnly];
      return fail(
        ambiguousParameterSet(
          `Parameter set cannot be resolved using the specified named parameters. Invalid cmdlet parameters specified. ${bad.join(", ")}`,
          opts.now,
        ),
        unknown.length
          ? { kind: "unknown-parameter", detail: `${spec.name}: ${unknown.join(", ")} not in Microsoft's reference` }
          : {
              kind: "not-in-exchange-online",
              detail: `${spec.name}: ${onPremOnly.join(", ")} does not apply to Exchange Online`,
            },
      );
    }
    for (const key of keys) {
      const canonical = byLower.get(key.toLowerCase());
      if (!canonical) continue;
      params[canonical] = convert(spec, canonical, raw[key], route, opts);
    }
    const set = resolveSet(widened(spec, opts.widen), named, opts.now);
    return { ok: true, bound: { cmdlet: spec.name, set, params } };
  } catch (e) {
    if (e instanceof BindFail) return { ok: false, response: e.response, violation: e.violation };
    throw e;
  }
}

function widened(spec: CmdletSpec, w: Widening | undefined): CmdletSpec {
  const entries = w && spec.parameterSets[w.set];
  if (!w || !entries || entries.some((e) => e.name === w.parameter)) return spec;
  const extra = { name: w.parameter, required: false, position: "Named", exchangeOnline: true } as SetEntry;
  return { ...spec, parameterSets: { ...spec.parameterSets, [w.set]: [...entries, extra] } };
}

function resolveSet(spec: CmdletSpec, named: string[], now: number): string {
  const sets = Object.entries(spec.parameterSets);
  if (sets.length === 0) return "(All)";
  const candidates = sets.filter(([, entries]) => named.every((n) => entries.some((e) => e.name === n)));
  if (candidates.length === 0) {
    fail(ambiguousParameterSet("Parameter set cannot be resolved using the specified named parameters.", now), {
      kind: "no-parameter-set",
      detail: `${spec.name}: no parameter set takes ${named.join(", ")} together`,
    });
  }
  const missingOf = (entries: SetEntry[]) =>
    entries.filter((e) => e.required && e.exchangeOnline !== false && !named.includes(e.name)).map((e) => e.name);
  const satisfied = candidates.filter(([, entries]) => missingOf(entries).length === 0);
  if (satisfied.length > 0) return satisfied[0][0];
  const [, closest] = candidates.reduce((a, b) => (missingOf(b[1]).length < missingOf(a[1]).length ? b : a));
  const missing = missingOf(closest);
  // PowerShell's non-interactive text; the REST wrapping of it is UNCONFIRMED (same envelope as other binding errors).
  return fail(
    ambiguousParameterSet(
      `Cannot process command because of one or more missing mandatory parameters: ${missing.join(" ")}.`,
      now,
      "System.Management.Automation.ParameterBindingException",
    ),
    { kind: "missing-required-parameter", detail: `${spec.name}: ${missing.join(", ")} is mandatory` },
  );
}
