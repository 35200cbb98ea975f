// The network side of LicenceAssignment. Who a wave's addresses are comes from ONE Exchange listing (the
// Entra user id and, in the target, whether the MailUser's ExchangeGuid is stamped); each assignment is
// then a GET of the user's licences (so a licence someone else gave is never recorded as ours) and one
// POST /users/{id}/assignLicense, a few users at a time. Graph's RetryHandler deals with 429 and 503.

import { message } from "../exchangeFailure";
import type { TenantClient } from "../tenant";
import type { GraphRequestError } from "../tenant/graph";
import { indexByAddress } from "../sourceMailboxes/assess";
import { hasMoveCapability, SKU_SELECT, type SubscribedSku } from "./sku";
import { ZERO_GUID } from "../../domain/ids";
import { graphCall } from "../tenant/graph";
import { eachBounded } from "../pool";

export type Side = "source" | "target";

/** One wave user as the tenant's directory knows it. */
export interface Resolved {
  address: string;
  userId: string;
  userPrincipalName: string;
  /** Target only: the MailUser carries its source's ExchangeGuid (licensing before that provisions a mailbox). */
  stamped: boolean;
  licensedInExchange: boolean;
}

export interface Assigned {
  address: string;
  userId: string;
}

const SELECT = [
  "PrimarySmtpAddress",
  "EmailAddresses",
  "ExternalDirectoryObjectId",
  "UserPrincipalName",
  "RecipientTypeDetails",
  "ExchangeGuid",
  "PersistedCapabilities",
];

type Listed = Record<string, unknown>;
const str = (v: unknown) => (typeof v === "string" ? v : "");

/**
 * The wave's users in one listing: the source's mailboxes (Get-Mailbox) or the target's MailUsers
 * (Get-MailUser). Addresses no such object holds come back in `missing`.
 */
export async function resolveUsers(
  client: TenantClient,
  side: Side,
  addresses: string[],
): Promise<{ found: Resolved[]; missing: string[] }> {
  const cmdlet = side === "source" ? "Get-Mailbox" : "Get-MailUser";
  let listed: Listed[];
  try {
    listed = (await client.exchange.invoke<Listed>(cmdlet, { ResultSize: "Unlimited" }, { select: SELECT })).value;
  } catch (e) {
    throw new Error(
      `LicenceAssignment: listing the ${side === "source" ? "mailboxes" : "mail users"} of the ${side} tenant ${client.settings.tenantId} (${cmdlet}): ${message(e)}`,
    );
  }
  const index = indexByAddress(listed);
  const found: Resolved[] = [];
  const missing: string[] = [];
  for (const address of addresses) {
    const o = index.get(address);
    if (!o || !str(o.ExternalDirectoryObjectId)) {
      missing.push(address);
      continue;
    }
    const guid = str(o.ExchangeGuid).toLowerCase();
    found.push({
      address,
      userId: str(o.ExternalDirectoryObjectId),
      userPrincipalName: str(o.UserPrincipalName),
      stamped: guid !== "" && guid !== ZERO_GUID,
      licensedInExchange: hasMoveCapability(o.PersistedCapabilities),
    });
  }
  return { found, missing };
}

/** GET /subscribedSkus (all pages). */
export async function subscribedSkus(client: TenantClient): Promise<SubscribedSku[]> {
  const g = await client.graph();
  const action = `Reading the subscribed SKUs of the ${client.settings.role} tenant ${client.settings.tenantId}`;
  let page = (await graphCall(action, () => g.api("/subscribedSkus").select(SKU_SELECT).get())) as {
    value?: SubscribedSku[];
    "@odata.nextLink"?: string;
  };
  const out = [...(page.value ?? [])];
  while (page["@odata.nextLink"]) {
    const next = page["@odata.nextLink"];
    page = (await graphCall(action, () => g.api(next).get())) as typeof page;
    out.push(...(page.value ?? []));
  }
  return out;
}

/** Runs `fn` over `items`, `width` at a time; collects failures instead of stopping at the first. */
export async function inPool<T>(
  items: T[],
  width: number,
  fn: (item: T) => Promise<void>,
): Promise<{ item: T; error: string }[]> {
  return (await eachBounded(items, width, fn)).map(({ item, error }) => ({ item, error: message(error) }));
}

interface GraphUser {
  id: string;
  userPrincipalName?: string;
  usageLocation?: string | null;
  assignedLicenses?: { skuId?: string }[];
}

const status = (e: unknown) => (e as GraphRequestError)?.status;

export type AssignOutcome = "assigned" | "alreadyLicensed";

/**
 * Gives one user the licence. A user who already has the SKU is left alone (and reported, so it is never
 * removed by us). A user without a usage location gets `usageLocation` first when one is configured:
 * Microsoft refuses a licence without it.
 */
export async function assignOne(
  client: TenantClient,
  u: Resolved,
  skuId: string,
  usageLocation: string | undefined,
): Promise<AssignOutcome> {
  const g = await client.graph();
  const who = `${u.address} (user ${u.userId})`;
  const user = (await graphCall(`Reading the licences of ${who}`, () =>
    g.api(`/users/${u.userId}`).select(["id", "userPrincipalName", "usageLocation", "assignedLicenses"]).get(),
  )) as GraphUser;
  if ((user.assignedLicenses ?? []).some((l) => str(l.skuId).toLowerCase() === skuId)) return "alreadyLicensed";
  if (!user.usageLocation) {
    if (!usageLocation) {
      throw new Error(
        `${who} has no usage location, which Microsoft requires before a licence; set usageLocation on the LicenceAssignment (e.g. US) or on the user`,
      );
    }
    await graphCall(`Setting the usage location of ${who}`, () => g.api(`/users/${u.userId}`).patch({ usageLocation }));
  }
  try {
    await graphCall(`Assigning the Cross Tenant User Data Migration licence to ${who}`, () =>
      g
        .api(`/users/${u.userId}/assignLicense`)
        .post({ addLicenses: [{ skuId, disabledPlans: [] }], removeLicenses: [] }),
    );
  } catch (e) {
    // No answer: the licence may be there. It was not before (read above), so if it is now, it is ours.
    if (!(e as GraphRequestError)?.maybeApplied) throw e;
    const again = (await graphCall(`Reading the licences of ${who}`, () =>
      g.api(`/users/${u.userId}`).select(["id", "assignedLicenses"]).get(),
    )) as GraphUser;
    if (!(again.assignedLicenses ?? []).some((l) => str(l.skuId).toLowerCase() === skuId)) throw e;
  }
  return "assigned";
}

/** Takes back a licence we assigned; a user who is gone or no longer has it is already where we want it. */
export async function removeOne(client: TenantClient, a: Assigned, skuId: string): Promise<void> {
  const g = await client.graph();
  try {
    await graphCall(`Removing the Cross Tenant User Data Migration licence from ${a.address} (user ${a.userId})`, () =>
      g.api(`/users/${a.userId}/assignLicense`).post({ addLicenses: [], removeLicenses: [skuId] }),
    );
  } catch (e) {
    if (status(e) === 404) return;
    if (status(e) === 400 && /does not have a corresponding license/i.test(message(e))) return;
    throw e;
  }
}
