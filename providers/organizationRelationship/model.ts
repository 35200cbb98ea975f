// The relationship as the provider reasons about it: Exchange's object reduced to the move settings, the
// snapshot kept for restoring an adopted relationship, and the pure planning of what to change.

import type { Props } from "../context";

/** MailboxMoveCapability's named values (the reference's accepted values; `None` is the empty set). */
export const CAPABILITIES = ["Inbound", "Outbound", "RemoteInbound", "RemoteOutbound"] as const;

export const RELATIONSHIP_SELECT = [
  "Name",
  "Identity",
  "Guid",
  "DomainNames",
  "Enabled",
  "MailboxMoveEnabled",
  "MailboxMoveCapability",
  "MailboxMovePublishedScopes",
  "OAuthApplicationId",
];

/** Exchange's relationship, the properties we read. */
export interface Relationship {
  Name: string;
  Identity?: string;
  Guid: string;
  DomainNames: string[];
  Enabled: boolean;
  MailboxMoveEnabled: boolean;
  MailboxMoveCapability: unknown;
  MailboxMovePublishedScopes: unknown;
  OAuthApplicationId: unknown;
}

/** The move settings found on an adopted relationship before we changed them; delete puts them back. */
export interface PriorMoveSettings extends Props {
  enabled: boolean;
  mailboxMoveEnabled: boolean;
  mailboxMoveCapability: string[];
  oauthApplicationId: string | null;
  mailboxMovePublishedScopes: string[];
}

/** A [Flags] enum on the wire: "Inbound, RemoteOutbound", "None", or (defensively) an array of names. */
export function parseCapabilities(v: unknown): string[] {
  const parts = Array.isArray(v) ? v.map(String) : typeof v === "string" ? v.split(",") : [];
  return canonicalCapabilities(parts);
}

/** Canonical case, known names only, no duplicates, in the enum's order (so outputs are stable). */
export function canonicalCapabilities(names: string[]): string[] {
  const lower = new Set(names.map((n) => n.trim().toLowerCase()));
  return CAPABILITIES.filter((c) => lower.has(c.toLowerCase()));
}

/** How a capability set is written: the flag names joined, or `None` for the empty set. */
export function capabilityValue(names: string[]): string {
  const c = canonicalCapabilities(names);
  return c.length ? c.join(", ") : "None";
}

export function stringList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String).filter((s) => s !== "");
  return typeof v === "string" && v !== "" ? [v] : [];
}

export function optionalString(v: unknown): string | null {
  return typeof v === "string" && v.trim() !== "" ? v : null;
}

export function snapshot(r: Relationship): PriorMoveSettings {
  return {
    enabled: r.Enabled === true,
    mailboxMoveEnabled: r.MailboxMoveEnabled === true,
    mailboxMoveCapability: parseCapabilities(r.MailboxMoveCapability),
    oauthApplicationId: optionalString(r.OAuthApplicationId),
    mailboxMovePublishedScopes: stringList(r.MailboxMovePublishedScopes),
  };
}

export const sameSet = (a: string[], b: string[]): boolean => {
  const x = new Set(a.map((s) => s.toLowerCase()));
  const y = new Set(b.map((s) => s.toLowerCase()));
  return x.size === y.size && [...x].every((s) => y.has(s));
};

export const minus = (a: string[], b: string[]): string[] =>
  a.filter((x) => !b.some((y) => y.toLowerCase() === x.toLowerCase()));

/**
 * The capability set to write: what is there, less what we added earlier and no longer want, plus what
 * we want. Capabilities someone else set (the reverse direction of a move back) are never taken away.
 */
export function nextCapabilities(current: string[], desired: string[], previouslyAdded: string[]): string[] {
  const dropped = minus(previouslyAdded, desired);
  return canonicalCapabilities([...minus(current, dropped), ...desired]);
}

export function hasPartner(r: Relationship, partnerTenantId: string): boolean {
  return stringList(r.DomainNames).some((d) => d.toLowerCase() === partnerTenantId.toLowerCase());
}

/** The capabilities a cross-tenant move sets: Inbound on the target side, RemoteOutbound on the source side. */
const MOVE_DIRECTIONS = ["Inbound", "RemoteOutbound"];

/** What a relationship's delete needs to know of its state (the outputs of providers/organizationRelationship/inputs.ts). */
export interface Held {
  adopted: boolean;
  original: PriorMoveSettings | null;
  addedCapabilities: string[];
  oauthApplicationId: string | null;
  publishedScopes: string[] | null;
  expectedPublishedScopes?: string[];
}

/** Delete either removes the relationship or writes these settings back (nothing to write: `params` is empty). */
export type Release = { remove: true } | { remove: false; params: Props; others: string[] };

/**
 * What delete does to the relationship as found. One relationship per partner serves both directions of a move
 * back (the forward stack's source side and the reverse stack's target side share it; Microsoft's move-back
 * answer: the existing relationship is updated, not recreated, https://learn.microsoft.com/en-us/microsoft-365/enterprise/cross-tenant-mailbox-migration),
 * so a stack takes back only what it added:
 * - the capabilities it added; a capability someone else set since (`others`) stays, and with it
 *   Enabled and MailboxMoveEnabled, which that capability needs;
 * - the app id and the published scopes it set, while they are still its own (another value was set by someone else);
 * - the relationship itself only when this stack created it and no one else's move capability (Inbound or
 *   RemoteOutbound, the other direction) is on it.
 * An adopted relationship gets back what it had before (its original capabilities were never ours to take).
 */
export function planRelease(found: Relationship, held: Held): Release {
  const current = parseCapabilities(found.MailboxMoveCapability);
  const remaining = minus(current, held.addedCapabilities);
  const others = minus(remaining, held.original?.mailboxMoveCapability ?? []);
  // What keeps a relationship this stack created: the capabilities of a cross-tenant move (Inbound in a target,
  // RemoteOutbound in a source), i.e. the other direction still moving. Another flag (Outbound, RemoteInbound:
  // not used by cross-tenant moves) goes with the relationship, as it always has.
  if (!held.adopted && !others.some((c) => MOVE_DIRECTIONS.some((d) => d.toLowerCase() === c.toLowerCase())))
    return { remove: true };
  const original = held.original;
  const params: Props = {};
  if (!sameSet(current, remaining)) params.MailboxMoveCapability = capabilityValue(remaining);
  if (original && others.length === 0) {
    if (found.Enabled !== original.enabled) params.Enabled = original.enabled;
    if (found.MailboxMoveEnabled !== original.mailboxMoveEnabled)
      params.MailboxMoveEnabled = original.mailboxMoveEnabled;
  }
  const app = optionalString(found.OAuthApplicationId);
  const before = original?.oauthApplicationId ?? null;
  if (
    held.oauthApplicationId !== null &&
    (app ?? "").toLowerCase() === held.oauthApplicationId.toLowerCase() &&
    (app ?? "").toLowerCase() !== (before ?? "").toLowerCase()
  ) {
    // $null clears it, as it was.
    params.OAuthApplicationId = before;
  }
  const listed = stringList(found.MailboxMovePublishedScopes);
  const beforeScopes = original?.mailboxMovePublishedScopes ?? [];
  const ours = (held.expectedPublishedScopes ?? []).length
    ? held.expectedPublishedScopes!
    : (held.publishedScopes ?? []);
  if (held.publishedScopes !== null && listed.length > 0 && sameSet(listed, ours) && !sameSet(listed, beforeScopes))
    params.MailboxMovePublishedScopes = beforeScopes.length ? beforeScopes : null;
  return { remove: false, params, others };
}
