// Anchored inputs: values another resource's outputs supply, which stay the same as long as a known "anchor"
// does.
//
// The Node dynamic-provider host does not support provider previews, so at `pulumi preview` the engine answers
// an UPDATE of a resource with its new inputs as its outputs: every output that is not also an input is unknown.
// A rotation updates the migration app, so its
// appId, applicationObjectId and consentUrl were unknown at preview, and every consumer's diff answered
// "replace" (the consents, the secret retirement) or "update" (the source relationship), while the up that
// followed changed none of them. Those outputs can only change when the app is replaced (another tenant,
// another adopted app) or rebuilds its consent link (another redirect URI or source tenant), all of which come
// from the stack configuration and are known at preview. A consumer therefore names, per input, the anchor
// those outputs depend on (`anchors: { appId: "<anchor>" }`); its outputs keep the anchor; and when an anchored
// input is unknown while its anchor is what the outputs recorded, the diff is given the recorded value.
//
// The providers never see `anchors`: it is taken off their inputs and outputs here and put back on what create,
// update and read return. State written before anchors existed has none in its outputs, so its consumers keep
// the conservative answer until their next update records one.

import { isUnknown, type Props } from "./context";

const ANCHORS = "anchors";

type Anchors = Record<string, string>;

function anchorsOf(p: Props): Anchors | undefined {
  const a = p[ANCHORS];
  if (!a || typeof a !== "object" || Array.isArray(a)) return undefined;
  const out: Anchors = {};
  for (const [k, v] of Object.entries(a as Props)) if (typeof v === "string") out[k] = v;
  return out;
}

/** Props without `anchors`, and the anchors they carried (undefined when none, or when still unknown). */
export function split(p: Props): { rest: Props; anchors?: Anchors } {
  if (!(ANCHORS in p)) return { rest: p };
  const { [ANCHORS]: _taken, ...rest } = p;
  return { rest, anchors: anchorsOf(p) };
}

/** The new inputs as the diff should see them: an unknown anchored input takes the recorded value while its anchor holds. */
export function settled(olds: Props, news: Props, anchors: Anchors | undefined): Props {
  const recorded = anchorsOf(olds);
  if (!anchors || !recorded) return news;
  const out = { ...news };
  for (const [key, anchor] of Object.entries(anchors)) {
    if (isUnknown(out[key]) && recorded[key] === anchor && olds[key] !== undefined) out[key] = olds[key];
  }
  return out;
}

/** Outputs with the inputs' anchors recorded, for the next diff. */
export function recorded<T extends Props | undefined>(outs: T, anchors: Anchors | undefined): T {
  if (!anchors || !outs) return outs;
  return { ...outs, [ANCHORS]: anchors };
}
