// A MailUser's inputs as the wave gives them: two objects, `planned` (what the wave's plan decides, plain values)
// and `fromSource` (what the source mailbox gives, an Output of the source read), rather than sixteen inputs.
//
// The engine records, for every input of a resource, which resources it was computed from; nine inputs taken from
// the source read each named that resource again in the checkpoint (about 1.5 KB per user). And the SDK keeps an
// Output with its own promises for every input a resource is given (about 1 KB of the program's memory each, per
// user). Two objects are two entries and two Outputs. Check spreads them into the inputs a MailUser has always
// kept, so a stack written before this change and one written after it hold the same inputs and diff clean.

import type * as pulumi from "@pulumi/pulumi";
import { isUnknown, UNKNOWN, type Props } from "../context";
import { PLANNED_VALUES, SOURCE_VALUES, type Inputs } from "./inputs";

/** The planned inputs, as the wave passes them in `planned`. */
export type PlannedValues = Pick<Inputs, (typeof PLANNED_VALUES)[number]>;

/** The source mailbox's inputs, as the wave passes them in `fromSource`. */
export type SourceValues = Pick<Inputs, (typeof SOURCE_VALUES)[number]>;

const GROUPS = { planned: PLANNED_VALUES, fromSource: SOURCE_VALUES } as const;
const WHAT = { planned: "the wave's plan", fromSource: "the source mailbox" } as const;

/**
 * The inputs with `planned` and `fromSource` spread into them, and what is wrong with either. An unknown object
 * (at preview, before the value it comes from is known) makes each of its values unknown, as separate inputs were.
 */
export function spreadGroups(news: Props): { inputs: Props; failures: pulumi.dynamic.CheckFailure[] } {
  const inputs: Props = { ...news };
  const failures: pulumi.dynamic.CheckFailure[] = [];
  for (const group of Object.keys(GROUPS) as (keyof typeof GROUPS)[]) {
    const given = inputs[group];
    delete inputs[group];
    if (given === undefined || given === null) continue;
    const names: readonly string[] = GROUPS[group];
    if (isUnknown(given)) {
      for (const k of names) if (inputs[k] === undefined) inputs[k] = UNKNOWN;
      continue;
    }
    if (typeof given !== "object" || Array.isArray(given)) {
      failures.push({ property: group, reason: `must be an object of ${WHAT[group]}'s values (${names.join(", ")})` });
      continue;
    }
    for (const [k, v] of Object.entries(given as Props)) {
      if (!names.includes(k)) {
        failures.push({
          property: `${group}.${k}`,
          reason: `is not one of ${WHAT[group]}'s values (${names.join(", ")}); remove it`,
        });
      } else if (inputs[k] !== undefined) {
        failures.push({ property: k, reason: `is given twice, as ${k} and as ${group}.${k}; give one` });
      } else if (v !== undefined) inputs[k] = v;
    }
  }
  return { inputs, failures };
}
