// Licences as Exchange shows them. Exchange stamps a recipient's PersistedCapabilities from the service plans
// of the licences its Entra user holds; the Cross Tenant User Data Migration licence shows as
// `ExchangeT2TMbxMove` (Microsoft's validator reads it there; the Exchange team blog calls it
// EXCHANGET2TMBXMOVE), which is how readiness checks see it in bulk.
// Real Exchange stamps it some minutes after the assignment; the emulator does it at once, or after the
// `licenceVisibleAfterMs` knob (knobs.ts): then each Exchange call stamps the licences that are old enough.

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

/** When the user's mailbox-move plan was assigned (Graph's assignedPlans), in ms; undefined when unknown. */
function movePlanAssignedAt(user: Rec): number | undefined {
  const plan = ((user.assignedPlans as Rec[] | undefined) ?? []).find(
    (p) => String(p.service).toUpperCase() === T2T_PLAN,
  );
  const at = Date.parse(String(plan?.assignedDateTime ?? ""));
  return Number.isFinite(at) ? at : undefined;
}

/**
 * Brings ExchangeT2TMbxMove on the user's recipients (live and soft-deleted) in line with its licences. With
 * `delayMs`, a licence shows only once it is that old (a licence already shown stays while the user holds it);
 * a removed licence goes at once.
 */
export function syncMoveCapability(t: TenantState, userId: string, now = 0, delayMs = 0): void {
  const user = t.directory.users.get(userId)?.obj;
  if (!user) return;
  const holds = holdsMovePlan(t, user);
  const recipients = [t.exchange.recipients, t.exchange.softDeletedRecipients].flatMap((map) =>
    [...map.values()].filter(
      (s) => String(s.obj.ExternalDirectoryObjectId ?? "").toLowerCase() === userId.toLowerCase(),
    ),
  );
  const shown = recipients.some((s) => capabilitiesOf(s.obj).some(isMoveCapability));
  const since = movePlanAssignedAt(user);
  const has = holds && (delayMs <= 0 || shown || since === undefined || since + delayMs <= now);
  for (const s of recipients) {
    const caps = capabilitiesOf(s.obj).filter((c) => !isMoveCapability(c));
    s.obj.PersistedCapabilities = has ? [...caps, T2T_CAPABILITY] : caps;
  }
}

/** Stamps the licences that have become old enough to show (every Exchange call, while the knob delays them). */
export function showDueMoveCapabilities(t: TenantState, now: number, delayMs: number): void {
  if (delayMs <= 0) return;
  for (const [id, u] of t.directory.users) {
    if (holdsMovePlan(t, u.obj)) syncMoveCapability(t, id, now, delayMs);
  }
}

const capabilitiesOf = (o: Rec): string[] => (o.PersistedCapabilities as string[] | undefined) ?? [];
const isMoveCapability = (c: string) => c.toLowerCase() === T2T_CAPABILITY.toLowerCase();
