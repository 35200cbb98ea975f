// When MigrationApp's client secret rotates: the schedule check shows in the preview (\`rotation\`), and the
// reason diff and update give for adding a new secret. Pure: inputs, recorded outputs and the clock.

import { isUnknown, type Props } from "../context";
import { isoTime, known, show, type Inputs, type Outputs } from "./inputs";

/**
 * The `rotation` input check adds: it changes from "scheduled" to "due" when rotateAfter passes, so the
 * preview's input comparison shows the coming rotation even though the engineer changed nothing. It depends
 * only on the inputs and the clock, and stays "due" after the rotation (diff decides from the secret's age).
 */
export function rotationSchedule(news: Props, now: number): string | undefined {
  if (!known(news.rotateAfter)) return isUnknown(news.rotateAfter) ? (news.rotateAfter as string) : undefined;
  const after = isoTime(news.rotateAfter);
  if (after === undefined) return undefined;
  const at = new Date(after).toISOString();
  return now >= after
    ? `due: rotateAfter ${at} has passed; a secret created before it is replaced`
    : `scheduled: the secret is rotated after ${at}`;
}

const sameTime = (a: unknown, b: unknown) =>
  (a === undefined && b === undefined) || (a !== undefined && b !== undefined && isoTime(a) === isoTime(b));

/**
 * Why the next update adds a new client secret, or undefined when the current one stays. `olds` are the
 * outputs (refreshed or as last written), `news` the checked inputs.
 */
export function rotationReason(olds: Outputs, news: Inputs, now: number): string | undefined {
  if (olds.secretPresent === false) {
    return `client secret ${olds.secretKeyId} is no longer on the application (deleted by hand?); re-adding it means a new secret, which is a rotation`;
  }
  if (isUnknown(news.rotationTrigger) || (news.rotationTrigger ?? null) !== (olds.rotationTrigger ?? null)) {
    return `rotationTrigger changed from ${show(olds.rotationTrigger)} to ${show(news.rotationTrigger)}`;
  }
  if (isUnknown(news.secretEndDate) || !sameTime(news.secretEndDate, olds.secretEndDate)) {
    return `secretEndDate changed from ${show(olds.secretEndDate)} to ${show(news.secretEndDate)}; an existing secret's end date cannot be changed, so a new secret replaces it`;
  }
  const end = Date.parse(olds.secretEndDateTime);
  if (!Number.isNaN(end) && end <= now) return `client secret ${olds.secretKeyId} expired at ${olds.secretEndDateTime}`;
  const after = isoTime(news.rotateAfter);
  // Graph may report startDateTime truncated to the second: a secret whose second overlaps rotateAfter
  // counts as made after it, so one rotation is never followed by a second one.
  const started = Date.parse(olds.secretStartDateTime);
  if (after !== undefined && now >= after && !(started + 1000 > after)) {
    return `rotateAfter ${new Date(after).toISOString()} has passed and client secret ${olds.secretKeyId} was created before it (${olds.secretStartDateTime})`;
  }
  return undefined;
}
