// What a MailUser takes from its source mailbox, given as one input (`fromSource`) rather than nine.
//
// The engine records, for every input of a resource, which resources it was computed from, and the SDK keeps an
// Output of its own for every input. Nine inputs taken from the wave's source read each named that resource
// again in the checkpoint (about 1.5 KB per user: the read's URN nine times) and were nine Outputs per user in
// the program. One object is one entry and one Output. Check spreads it into the inputs the MailUser has always
// kept, so a stack written before this change and one written after it hold the same inputs and diff clean.

import type * as pulumi from "@pulumi/pulumi";
import { isUnknown, UNKNOWN, type Props } from "../context";

/** The inputs that come from the source mailbox (the rest the wave's plan decides). */
export const SOURCE_VALUES = [
  "displayName",
  "firstName",
  "lastName",
  "externalEmailAddress",
  "exchangeGuid",
  "archiveGuid",
  "x500Addresses",
  "sharedMailbox",
  "blockers",
] as const;

export type SourceValueName = (typeof SOURCE_VALUES)[number];

export interface SourceValues {
  displayName: string;
  firstName: string;
  lastName: string;
  externalEmailAddress: string;
  exchangeGuid: string;
  /** "" when the source has no archive. */
  archiveGuid: string;
  x500Addresses: string[];
  sharedMailbox: boolean;
  blockers: string[];
}

/**
 * The inputs with `fromSource` spread into them, and what is wrong with it. An unknown `fromSource` (the source
 * read is not done at preview) makes each of its values unknown, as nine separate inputs were.
 */
export function spreadFromSource(news: Props): { inputs: Props; failures: pulumi.dynamic.CheckFailure[] } {
  if (!("fromSource" in news) || news.fromSource === undefined || news.fromSource === null) {
    const { fromSource: _none, ...rest } = news;
    return { inputs: rest, failures: [] };
  }
  const { fromSource, ...inputs } = news;
  if (isUnknown(fromSource)) {
    for (const k of SOURCE_VALUES) if (inputs[k] === undefined) inputs[k] = UNKNOWN;
    return { inputs, failures: [] };
  }
  if (typeof fromSource !== "object" || Array.isArray(fromSource))
    return {
      inputs,
      failures: [
        {
          property: "fromSource",
          reason: `must be an object of the source mailbox's values (${SOURCE_VALUES.join(", ")})`,
        },
      ],
    };
  const failures: pulumi.dynamic.CheckFailure[] = [];
  for (const [k, v] of Object.entries(fromSource as Props)) {
    if (!(SOURCE_VALUES as readonly string[]).includes(k)) {
      failures.push({
        property: `fromSource.${k}`,
        reason: `is not a source value of MailUser (${SOURCE_VALUES.join(", ")}); remove it`,
      });
      continue;
    }
    if (inputs[k] !== undefined) {
      failures.push({ property: k, reason: `is given twice, as ${k} and as fromSource.${k}; give one` });
      continue;
    }
    if (v !== undefined) inputs[k] = v;
  }
  return { inputs, failures };
}
