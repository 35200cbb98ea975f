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
