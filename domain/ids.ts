// Identifiers as Microsoft writes them. Tenant ids, app ids, object ids, ExchangeGuid and ArchiveGuid are all
// GUIDs in the 8-4-4-4-12 hexadecimal form, compared without regard to case.

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(v: unknown): v is string {
  return typeof v === "string" && GUID.test(v);
}

/** What Exchange reports as ExchangeGuid or ArchiveGuid on an object that has none. */
export const ZERO_GUID = "00000000-0000-0000-0000-000000000000";

/** An ExchangeGuid or ArchiveGuid as Exchange reports it, lower-case; "" for none (absent, or the zero GUID). */
export function exchangeGuidOf(v: unknown): string {
  const s = (typeof v === "string" ? v : v === null || v === undefined ? "" : String(v)).toLowerCase();
  return s === ZERO_GUID ? "" : s;
}
