// What a PreviousMailboxCleanup is asked for and records, and its offline checks.

import type * as pulumi from "@pulumi/pulumi";
import { isUnknown, type Props } from "../context";
import { addressProblem } from "../../domain/addresses";

export interface Inputs extends Props {
  target: string;
  mailUser?: string;
}

export interface Outputs extends Props {
  target: string;
  mailUser: string | null;
  /** The object's Guid when it was found. */
  guid: string | null;
  /** PreviousRecipientTypeDetails before this resource cleared it; null when there was nothing to clear. */
  previousRecipientTypeDetails: string | null;
  /** Whether this resource ran the clear. */
  cleared: boolean;
}

const INPUTS = ["target", "mailUser"];

/** Shape checks, with the fix in each reason; the target address lower-case. */
export function checkInputs(news: Props): { inputs: Props; failures: pulumi.dynamic.CheckFailure[] } {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  for (const key of Object.keys(news))
    if (!INPUTS.includes(key))
      failures.push({
        property: key,
        reason: `is not an input of PreviousMailboxCleanup (inputs: ${INPUTS.join(", ")}); remove it`,
      });
  const inputs: Props = { ...news };
  if (!isUnknown(news.target)) {
    const why = addressProblem(news.target);
    if (why) failures.push({ property: "target", reason: `${why}; give the target MailUser's primary address` });
    else inputs.target = String(news.target).trim().toLowerCase();
  }
  if (
    news.mailUser !== undefined &&
    news.mailUser !== null &&
    !isUnknown(news.mailUser) &&
    typeof news.mailUser !== "string"
  )
    failures.push({ property: "mailUser", reason: "must be the MailUser resource's identity (a string)" });
  return { inputs, failures };
}

/** A new target is another object (replace); a (re)staged MailUser is looked at again (update). */
export function diffCleanup(olds: Props, news: Props): pulumi.dynamic.DiffResult {
  if (isUnknown(news.target) || news.target !== olds.target) return { changes: true, replaces: ["target"] };
  if (isUnknown(news.mailUser) || (news.mailUser ?? null) !== (olds.mailUser ?? null))
    return { changes: true, replaces: [] };
  return { changes: false };
}
