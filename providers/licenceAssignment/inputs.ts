// What a LicenceAssignment is asked for and records, and the offline shape check of its inputs: no tenant
// calls here (the SKU is looked up by the provider's check).

import { isUnknown, type Props } from "../context";
import { addressProblem } from "../../domain/addresses";
import { GUID } from "../../domain/ids";
import type { Assigned, Side } from "./converge";

export interface Inputs extends Props {
  wave: string;
  tenant: Side;
  users: string[];
  skuId: string;
  skuPartNumber: string;
  usageLocation: string | null;
}

export interface Outputs extends Inputs {
  /** The users WE licensed (address and Entra user id): the only ones destroy takes the licence from. */
  assigned: Assigned[];
  /** Users who already had the licence (someone else's assignment; never removed by us). */
  alreadyLicensed: string[];
  /** Units of the SKU left in the tenant after this change. */
  available: number;
}

export const INPUTS = ["wave", "tenant", "users", "skuId", "skuPartNumber", "usageLocation"];
export const OUTPUT_ONLY = ["assigned", "alreadyLicensed", "available"];
export interface Failure {
  property: string;
  reason: string;
}

export function shape(news: Props, fail: (p: string, r: string) => void): Props {
  const out: Props = {};
  for (const k of Object.keys(news))
    if (!INPUTS.includes(k) && !OUTPUT_ONLY.includes(k))
      fail(k, `is not an input of LicenceAssignment (${INPUTS.join(", ")}); remove it`);
  const { wave, tenant, users, skuId, usageLocation } = news;
  if (!isUnknown(wave) && (typeof wave !== "string" || !wave.trim()))
    fail("wave", "must be the wave's name, e.g. wave-1");
  out.wave = typeof wave === "string" ? wave.trim() : wave;
  if (!isUnknown(tenant) && tenant !== "source" && tenant !== "target")
    fail(
      "tenant",
      `must be "source" (license the source mailboxes) or "target" (license the staged MailUsers once their ExchangeGuid is stamped)`,
    );
  out.tenant = tenant;
  if (isUnknown(users)) out.users = users;
  else if (!Array.isArray(users)) fail("users", "must be a list of addresses");
  else {
    const seen = new Set<string>();
    out.users = users.map((a, i) => {
      if (isUnknown(a)) return a;
      const why = addressProblem(a);
      if (why) return fail(`users[${i}]`, why);
      const v = (a as string).trim().toLowerCase();
      if (seen.has(v)) fail(`users[${i}]`, `${v} is listed twice`);
      seen.add(v);
      return v;
    });
  }
  if (skuId !== undefined && skuId !== null && !isUnknown(skuId) && (typeof skuId !== "string" || !GUID.test(skuId)))
    fail("skuId", "must be a SkuId GUID from GET /subscribedSkus, or left out to find the SKU by its service plan");
  else if (skuId !== undefined && skuId !== null)
    out.skuId = isUnknown(skuId) ? skuId : (skuId as string).toLowerCase();
  // Always present (null when not given), so an output never disappears between updates.
  out.usageLocation = null;
  if (usageLocation !== undefined && usageLocation !== null) {
    if (!isUnknown(usageLocation) && (typeof usageLocation !== "string" || !/^[A-Z]{2}$/.test(usageLocation)))
      fail("usageLocation", "must be a two-letter ISO country code in capitals, e.g. US");
    else out.usageLocation = usageLocation;
  }
  return out;
}
