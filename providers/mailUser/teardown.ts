// Destroying a staged user. A user that moved is a mailbox holding mail: it is left, and said so. An
// adopted object is left. Otherwise Remove-MailUser (Exchange soft-deletes it, with its Entra user), and
// with purgeOnDelete the object is removed for good so the same addresses can be staged again:
// litigation hold off while the object is live, the Entra user hard-deleted from the recycle bin, then
// Remove-MailUser -PermanentlyDelete, answering the two refusals seen in real tenants:
//  - "...there is a user associated with this mail enabled user in Azure Active Directory..." → the Entra
//    user is not (yet) hard-deleted: wait for it to reach deleted items, hard-delete it, try again;
//  - "...has litigation hold or In-Place hold applied on it..." → Set-MailUser -ExcludeFromAllHolds on the
//    soft-deleted object (Microsoft: it "enables the deletion of soft deleted ... mail users"), try again.

import type { TenantClient } from "../tenant";
import { log, tenantFor } from "../context";
import { kindOf, message, waitFor } from "../exchangeFailure";
import type { Outputs } from "./inputs";
import { isMailbox, isSoftDeleted, readerFor } from "./reader";
import { describeUser } from "./converge";
import { graphCall } from "../tenant/graph";

export const ENTRA_BLOCK =
  /cannot be permanently deleted since there is a user associated with this mail enabled user in Azure Active Directory/i;
export const HOLD_BLOCK = /has litigation hold or In-Place hold applied on it/i;

export async function release(props: Outputs): Promise<void> {
  const who = describeUser(props);
  if (props.held || !props.identity) return;
  const client = tenantFor("target");
  const found = await readerFor(client).byGuid(props.identity);
  if ((found && !isSoftDeleted(found) && isMailbox(found)) || props.migrated) {
    const what = found ? `'${found.Name}' is a ${found.RecipientTypeDetails}` : "it became a mailbox";
    log.warn(`${who} has moved (${what} holding the user's mail): left in place, not deleted.`);
    return;
  }
  if (props.adopted) {
    log.info(`${who}: '${found?.Name ?? props.identity}' existed before this stack (adopted); left in place.`);
    return;
  }
  const live = found && !isSoftDeleted(found) ? found : undefined;
  if (live) {
    if (props.purgeOnDelete && live.LitigationHoldEnabled === true)
      await setMailUser(
        client,
        { Identity: live.Guid, RemoveLitigationHoldEnabled: true },
        who,
        "removing litigation hold",
      );
    await remove(client, live.Guid, who);
  }
  if (!props.purgeOnDelete) return;
  const entraId = props.externalDirectoryObjectId || found?.ExternalDirectoryObjectId || "";
  await purge(client, props.identity, entraId, who);
}

async function remove(client: TenantClient, guid: string, who: string): Promise<void> {
  try {
    // Removing twice answers "not found", the state we want: the tenant layer may resend it.
    await client.exchange.invoke("Remove-MailUser", { Identity: guid, Confirm: false }, { idempotent: true });
  } catch (e) {
    if (kindOf(e) === "NotFound") return;
    throw new Error(`Removing ${who} (Remove-MailUser ${guid}): ${message(e)}`);
  }
}

async function setMailUser(
  client: TenantClient,
  params: Record<string, unknown>,
  who: string,
  doing: string,
): Promise<void> {
  try {
    await client.exchange.invoke("Set-MailUser", params, { idempotent: true });
  } catch (e) {
    throw new Error(`${who}: ${doing} (Set-MailUser): ${message(e)}`);
  }
}

async function purge(client: TenantClient, guid: string, entraId: string, who: string): Promise<void> {
  if (entraId) await hardDeleteEntraUser(client, entraId, who, false);
  let excluded = false;
  let entraAgain = false;
  for (;;) {
    try {
      // Soft-deleted objects are named by Guid (Microsoft: DistinguishedName, Guid or ExchangeGuid).
      await client.exchange.invoke(
        "Remove-MailUser",
        { Identity: guid, PermanentlyDelete: true, Confirm: false },
        { idempotent: true },
      );
      log.info(`${who}: removed for good (Exchange object ${guid}${entraId ? `, Entra user ${entraId}` : ""}).`);
      return;
    } catch (e) {
      if (kindOf(e) === "NotFound") return;
      const text = message(e);
      if (ENTRA_BLOCK.test(text) && entraId && !entraAgain) {
        entraAgain = true;
        await hardDeleteEntraUser(client, entraId, who, true);
        continue;
      }
      if (HOLD_BLOCK.test(text) && !excluded) {
        excluded = true;
        await setMailUser(
          client,
          { Identity: guid, ExcludeFromAllHolds: true },
          who,
          "excluding the soft-deleted object from retention holds before purging it",
        );
        continue;
      }
      const advice = HOLD_BLOCK.test(text)
        ? " Holds that -ExcludeFromAllHolds leaves (litigation hold set after removal, eDiscovery holds) must be released in Microsoft Purview first."
        : ENTRA_BLOCK.test(text)
          ? ` Delete the Entra user ${entraId || "(unknown id)"} and remove it from deleted users, then destroy again.`
          : "";
      throw new Error(
        `Purging ${who} (Remove-MailUser -PermanentlyDelete ${guid}): ${text}.${advice} The object stays soft-deleted until then.`,
      );
    }
  }
}

/**
 * DELETE /directory/deletedItems/{id}. With `wait`, waits (bounded) for the user to reach deleted items
 * first: Exchange deletes it when the MailUser is removed, and that can take a while to show.
 */
async function hardDeleteEntraUser(client: TenantClient, id: string, who: string, wait: boolean): Promise<void> {
  const action = `Hard-deleting the Entra user ${id} of ${who} from deleted items`;
  const g = await client.graph();
  const once = async (): Promise<true | undefined> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await graphCall(action, () => g.api(`/directory/deletedItems/${encodeURIComponent(id)}`).delete());
        return true;
      } catch (e) {
        const status = (e as { status?: number }).status;
        if (status === 404) return undefined;
        // A lost answer: the delete may have happened; sending it again answers 404 then.
        if (status === 0 && attempt < 2) continue;
        throw e;
      }
    }
  };
  if (!wait) {
    await once();
    return;
  }
  const done = await waitFor(`the Entra user ${id} of ${who} to reach deleted items`, once);
  if (!done) log.warn(`${who}: the Entra user ${id} did not show up in deleted items; purging anyway.`);
}
