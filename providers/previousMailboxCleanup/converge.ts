// The target tenant's side of PreviousMailboxCleanup: read the user (Get-User) and, for a MailUser that carries
// previous-mailbox information, clear it for good (Set-User -PermanentlyClearPreviousMailboxInfo), then wait to
// see it cleared.

import { log, tenantFor, type Props } from "../context";
import { kindOf, message, waitFor } from "../exchangeFailure";
import type { TenantClient } from "../tenant";
import { text as str } from "../../domain/text";
import type { Inputs, Outputs } from "./inputs";

const USER_SELECT = ["Guid", "RecipientType", "RecipientTypeDetails", "PreviousRecipientTypeDetails"];

const none = (v: unknown): boolean => str(v) === "" || str(v).toLowerCase() === "none";

export async function readUser(client: TenantClient, target: string): Promise<Props | undefined> {
  try {
    return (await client.exchange.invoke<Props>("Get-User", { Identity: target }, { select: USER_SELECT })).value[0];
  } catch (e) {
    if (kindOf(e) === "NotFound") return undefined;
    throw new Error(
      `PreviousMailboxCleanup of ${target}: reading the user (Get-User) in the target tenant: ${message(e)}`,
    );
  }
}

export async function clear(inputs: Inputs, clearedBefore: boolean): Promise<Outputs> {
  const client = tenantFor("target");
  const target = inputs.target;
  const base = { target, mailUser: inputs.mailUser ?? null };
  const user = await readUser(client, target);
  if (!user) {
    // A held user is not staged yet; this runs again when its MailUser is (the mailUser input changes).
    log.info(`PreviousMailboxCleanup of ${target}: no object has this address in the target yet; nothing to clear.`);
    return { ...base, guid: null, previousRecipientTypeDetails: null, cleared: clearedBefore };
  }
  const type = str(user.RecipientTypeDetails);
  if (str(user.RecipientType) !== "MailUser") {
    throw new Error(
      `PreviousMailboxCleanup of ${target}: refusing to clear the previous-mailbox information of a ${type || str(user.RecipientType)}: ` +
        `the object holds a mailbox (a finished move, or the address is not a MailUser), and the clear would destroy the way back to a mailbox for good. ` +
        `Remove ${target} from the wave's clearPreviousMailboxInfo.`,
    );
  }
  const guid = str(user.Guid);
  const previous = none(user.PreviousRecipientTypeDetails) ? null : str(user.PreviousRecipientTypeDetails);
  if (previous === null) {
    log.info(
      `PreviousMailboxCleanup of ${target}: the MailUser carries no previous-mailbox information; nothing to clear.`,
    );
    return { ...base, guid, previousRecipientTypeDetails: null, cleared: clearedBefore };
  }
  log.warn(
    `PreviousMailboxCleanup of ${target}: clearing the previous mailbox's information (PreviousRecipientTypeDetails ${previous}) for good, as the stack file asks.`,
  );
  try {
    // A second clear changes nothing (Exchange's no-op warning), so a lost answer may be sent again.
    await client.exchange.invoke(
      "Set-User",
      { Identity: guid, PermanentlyClearPreviousMailboxInfo: true, Confirm: false },
      { idempotent: true },
    );
  } catch (e) {
    throw new Error(
      `PreviousMailboxCleanup of ${target}: Set-User -PermanentlyClearPreviousMailboxInfo: ${message(e)}`,
    );
  }
  const shown = await waitFor(`Get-User ${target} to show no previous mailbox`, async () => {
    const u = await readUser(client, guid);
    return u && none(u.PreviousRecipientTypeDetails) ? u : undefined;
  });
  if (!shown)
    log.warn(
      `PreviousMailboxCleanup of ${target}: Get-User still shows a previous mailbox; Exchange may take a while to show the clear.`,
    );
  return { ...base, guid, previousRecipientTypeDetails: previous, cleared: true };
}
