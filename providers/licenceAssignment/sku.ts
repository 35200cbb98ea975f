// Which subscribed SKU is the Cross Tenant User Data Migration licence, and how many units are left. Pure:
// the /subscribedSkus listing comes in as data. The SKU is matched by its SERVICE PLANS, not by its part
// number or id: part numbers vary by channel (`Cross_tenant_user_data_migration`,
// `CROSSTENANTUSERDATAMIGRATION`, CSP-prefixed forms), and the one SKU id we know
// (946ce899-873d-44bb-9d8b-671870cbfdbf) comes from a community blog, not from Microsoft (unconfirmed).
// Only the mailbox plan counts for a mailbox move; a SKU that
// carries only the OneDrive plan does not.

/** The service plan that licenses a cross-tenant MAILBOX move (Exchange shows it as ExchangeT2TMbxMove). */
export const MAILBOX_MOVE_PLAN = "EXCHANGEONLINE_T2TMBXMOVE";
/** What Exchange lists in PersistedCapabilities once the licence reached the user (CSS validator, Exchange blog). */
export const MAILBOX_MOVE_CAPABILITY = "ExchangeT2TMbxMove";
const PART_NUMBER = /cross.?tenant.?user.?data.?migration/i;
/** capabilityStatus values whose units can still be assigned ("Warning" is the grace period after expiry). */
const USABLE = ["enabled", "warning"];

/** A /subscribedSkus entry with the properties we select. */
export interface SubscribedSku {
  skuId?: string;
  skuPartNumber?: string;
  capabilityStatus?: string;
  consumedUnits?: number;
  prepaidUnits?: { enabled?: number; lockedOut?: number; suspended?: number; warning?: number };
  servicePlans?: { servicePlanId?: string; servicePlanName?: string }[];
}

export const SKU_SELECT = [
  "skuId",
  "skuPartNumber",
  "capabilityStatus",
  "consumedUnits",
  "prepaidUnits",
  "servicePlans",
];

/** The licence as one tenant has it; every number 0 and `found: false` when the tenant has none. */
export interface LicencePool {
  found: boolean;
  skuId: string;
  skuPartNumber: string;
  /** Units bought and usable (prepaidUnits.enabled + warning). */
  enabled: number;
  consumed: number;
  /** Units that can still be assigned. */
  available: number;
  /** How the SKU was recognised, or why none was. */
  note: string;
}

const planNames = (s: SubscribedSku): string[] =>
  (s.servicePlans ?? []).map((p) => String(p.servicePlanName ?? "").toUpperCase());

export const carriesMailboxMove = (s: SubscribedSku): boolean => planNames(s).includes(MAILBOX_MOVE_PLAN);

/** Every subscribed SKU that licenses a mailbox move; several when the tenant bought it through two channels. */
export function migrationSkus(skus: SubscribedSku[]): SubscribedSku[] {
  return skus.filter(carriesMailboxMove);
}

/**
 * The tenant's licence pool. With several matching SKUs the one with most units left is the one to assign
 * from (the others still count in `note`). A SKU whose part number looks right but which lacks the mailbox
 * plan is reported in the note and not used.
 */
export function licencePool(skus: SubscribedSku[]): LicencePool {
  const matches = migrationSkus(skus).map((s) => ({ s, units: units(s) }));
  if (matches.length === 0) {
    const lookalike = skus.find((s) => PART_NUMBER.test(String(s.skuPartNumber ?? "")));
    const note = lookalike
      ? `${lookalike.skuPartNumber} has no ${MAILBOX_MOVE_PLAN} service plan, so it does not license a mailbox move`
      : `no subscribed SKU carries the ${MAILBOX_MOVE_PLAN} service plan`;
    return { found: false, skuId: "", skuPartNumber: "", enabled: 0, consumed: 0, available: 0, note };
  }
  matches.sort((a, b) => b.units.available - a.units.available);
  const best = matches[0];
  const others = matches.slice(1).map((m) => `${m.s.skuPartNumber} (${m.units.available} left)`);
  return {
    found: true,
    skuId: String(best.s.skuId ?? "").toLowerCase(),
    skuPartNumber: String(best.s.skuPartNumber ?? ""),
    ...best.units,
    note: `matched by its ${MAILBOX_MOVE_PLAN} service plan${others.length ? `; also subscribed: ${others.join(", ")}` : ""}`,
  };
}

/** The pool of one given SKU (a SkuId the engineer configured), whatever its plans. */
export function skuPool(s: SubscribedSku, note: string): LicencePool {
  return {
    found: true,
    skuId: String(s.skuId ?? "").toLowerCase(),
    skuPartNumber: String(s.skuPartNumber ?? ""),
    ...units(s),
    note,
  };
}

function units(s: SubscribedSku): { enabled: number; consumed: number; available: number } {
  const usable = USABLE.includes(String(s.capabilityStatus ?? "Enabled").toLowerCase());
  const enabled = usable ? num(s.prepaidUnits?.enabled) + num(s.prepaidUnits?.warning) : 0;
  const consumed = num(s.consumedUnits);
  return { enabled, consumed, available: Math.max(0, enabled - consumed) };
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** Whether Exchange shows the mailbox-move licence on an object (PersistedCapabilities, case as Exchange varies it). */
export function hasMoveCapability(persistedCapabilities: unknown): boolean {
  const list = Array.isArray(persistedCapabilities)
    ? persistedCapabilities
    : typeof persistedCapabilities === "string"
      ? persistedCapabilities.split(/[,\s]+/)
      : [];
  return list.some((c) => String(c).toLowerCase() === MAILBOX_MOVE_CAPABILITY.toLowerCase());
}
