// Licences as Exchange shows them. Exchange stamps a recipient's PersistedCapabilities from the service plans
// of the licences its Entra user holds; the Cross Tenant User Data Migration licence shows as
// `ExchangeT2TMbxMove` (Microsoft's validator reads it there; the Exchange team blog calls it
// EXCHANGET2TMBXMOVE), which is how readiness checks see it in bulk.
// Real Exchange stamps it some minutes after the assignment; the emulator does it at once.

import type { Rec, TenantState } from "../model";

export const T2T_CAPABILITY = "ExchangeT2TMbxMove";
const T2T_PLAN = "EXCHANGEONLINE_T2TMBXMOVE";

/** Whether the user's licences include the mailbox-move service plan, not disabled. */
function holdsMovePlan(t: TenantState, user: Rec): boolean {
  return ((user.assignedLicenses as Rec[] | undefined) ?? []).some((l) => {
    const sku = t.directory.subscribedSkus.find((s) => String(s.skuId).toLowerCase() === String(l.skuId).toLowerCase());
    const plan = ((sku?.servicePlans as Rec[] | undefined) ?? []).find(
      (p) => String(p.servicePlanName).toUpperCase() === T2T_PLAN,
    );
    return (
      !!plan &&
      !((l.disabledPlans as string[] | undefined) ?? [])
        .map((d) => d.toLowerCase())
        .includes(String(plan.servicePlanId).toLowerCase())
    );
  });
}

/** Brings ExchangeT2TMbxMove on the user's recipients (live and soft-deleted) in line with its licences. */
export function syncMoveCapability(t: TenantState, userId: string): void {
  const user = t.directory.users.get(userId)?.obj;
  if (!user) return;
  const has = holdsMovePlan(t, user);
  for (const map of [t.exchange.recipients, t.exchange.softDeletedRecipients]) {
    for (const s of map.values()) {
      if (String(s.obj.ExternalDirectoryObjectId ?? "").toLowerCase() !== userId.toLowerCase()) continue;
      const caps = ((s.obj.PersistedCapabilities as string[] | undefined) ?? []).filter(
        (c) => c.toLowerCase() !== T2T_CAPABILITY.toLowerCase(),
      );
      s.obj.PersistedCapabilities = has ? [...caps, T2T_CAPABILITY] : caps;
    }
  }
}
