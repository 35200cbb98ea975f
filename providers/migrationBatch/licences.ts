// The licences a new batch waits for. A stack that licenses a wave and creates its batch in one `up` assigns
// the Cross Tenant User Data Migration licence through Graph moments before the batch; Exchange shows a new
// licence (ExchangeT2TMbxMove in PersistedCapabilities) only some minutes later, and a user submitted before
// that fails (CrossTenantMigrationWithoutLicensePermanentException). Readiness reports such users as pending;
// the batch's create waits, bounded, until Exchange shows the licence of each of them, then submits.

import type * as pulumi from "@pulumi/pulumi";
import { isUnknown, log, tenantFor, type Props } from "../context";
import { waitFor } from "../exchangeFailure";
import { resolveUsers } from "../licenceAssignment/converge";
import { isAddress } from "../../domain/addresses";
import { envNumber, positive } from "../tenant/env";

/** Users whose licence this stack assigned and Exchange did not show yet, in the tenant that holds the licence. */
export interface AwaitedLicences extends Props {
  tenant: "source" | "target";
  /** That tenant's addresses of the users: source addresses for "source", target addresses for "target". */
  addresses: string[];
}

/** Longest wait for Exchange to show the licences (`XTMM_LICENCE_WAIT_SECONDS`, default 900). */
export function licenceWaitMs(): number {
  return envNumber("XTMM_LICENCE_WAIT_SECONDS", 900, positive) * 1000;
}

export function checkAwaitLicences(v: unknown): pulumi.dynamic.CheckFailure[] {
  if (v === undefined || v === null || isUnknown(v)) return [];
  const o = v as Props;
  const ok =
    typeof o === "object" &&
    !Array.isArray(o) &&
    (isUnknown(o.tenant) || o.tenant === "source" || o.tenant === "target") &&
    (isUnknown(o.addresses) || (Array.isArray(o.addresses) && o.addresses.every((a) => isUnknown(a) || isAddress(a))));
  return ok
    ? []
    : [
        {
          property: "awaitLicences",
          reason:
            'must be { tenant: "source" | "target", addresses: [...] }: the users whose licence this stack assigned, by that tenant\'s address',
        },
      ];
}

/**
 * Waits until Exchange shows the licence of every awaited user of the batch; throws, before anything is
 * submitted, when the bound passes first.
 */
export async function waitForLicences(batch: string, awaited: AwaitedLicences | undefined | null): Promise<void> {
  const addresses = awaited?.addresses ?? [];
  if (!awaited || addresses.length === 0) return;
  const client = tenantFor(awaited.tenant);
  let missing = addresses;
  const probe = async () => {
    const { found } = await resolveUsers(client, awaited.tenant, addresses);
    const shown = new Set(found.filter((u) => u.licensedInExchange).map((u) => u.address.toLowerCase()));
    missing = addresses.filter((a) => !shown.has(a.toLowerCase()));
    return missing.length === 0 ? true : undefined;
  };
  const limit = licenceWaitMs();
  log.info(
    `Migration batch '${batch}': waiting up to ${Math.round(limit / 1000)} s for Exchange to show the licence this stack assigned to ${addresses.length} user(s) (${addresses.slice(0, 5).join(", ")}${addresses.length > 5 ? ", …" : ""}).`,
  );
  if (await waitFor(`the licences of migration batch '${batch}' to show in Exchange`, probe, limit, { quiet: true }))
    return;
  throw new Error(
    `Migration batch '${batch}': Exchange does not show the Cross Tenant User Data Migration licence of ${missing.join(", ")} ` +
      `after ${Math.round(limit / 1000)} s (assigned by this stack; ExchangeT2TMbxMove is not in PersistedCapabilities yet), and a move without it fails. ` +
      "Nothing was created; run pulumi up again in a few minutes.",
  );
}
