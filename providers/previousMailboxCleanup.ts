// PreviousMailboxCleanup: clears a target MailUser's previous-mailbox information with
// `Set-User -PermanentlyClearPreviousMailboxInfo`, for one user the stack file names under a wave's
// `clearPreviousMailboxInfo`. Microsoft requires it when "the target MailUser was previously licensed for or had
// an ExchangeGUID that doesn't match" and warns "This process is irreversible. If the object has a softDeleted
// mailbox, it can't be restored after this point" (https://learn.microsoft.com/microsoft-365/enterprise/cross-tenant-mailbox-migration).
// So it runs only on that explicit opt-in, each user is its own step in the preview, it never touches an
// object that holds a mailbox (a finished move, or an address that is no MailUser), and delete changes nothing:
// what was cleared cannot come back.

import * as pulumi from "@pulumi/pulumi";
import { XtmmResource, type XtmmResourceSpec } from "./dynamic";
import { gone, isUnknown, log, tenantFor, type Props, type ResourceImplementation } from "./context";
import { kindOf, message, waitFor } from "./exchangeFailure";
import { addressProblem } from "../domain/addresses";
import type { TenantClient } from "./tenant";

export interface PreviousMailboxCleanupArgs {
  /** The target MailUser's primary address (a user of the wave listed under clearPreviousMailboxInfo). */
  target: pulumi.Input<string>;
  /** The MailUser resource's identity: orders the clear after staging, and runs it again once a held user is staged. */
  mailUser?: pulumi.Input<string>;
}

interface Inputs extends Props {
  target: string;
  mailUser?: string;
}

interface Outputs extends Props {
  target: string;
  mailUser: string | null;
  /** The object's Guid when it was found. */
  guid: string | null;
  /** PreviousRecipientTypeDetails before this resource cleared it; null when there was nothing to clear. */
  previousRecipientTypeDetails: string | null;
  /** Whether this resource ran the clear. */
  cleared: boolean;
}

const SPEC: XtmmResourceSpec = {
  kind: "previousMailboxCleanup",
  type: "PreviousMailboxCleanup",
  outputs: ["guid", "previousRecipientTypeDetails", "cleared"],
};

export class PreviousMailboxCleanup extends XtmmResource {
  declare readonly target: pulumi.Output<string>;
  declare readonly guid: pulumi.Output<string | null>;
  declare readonly previousRecipientTypeDetails: pulumi.Output<string | null>;
  declare readonly cleared: pulumi.Output<boolean>;

  constructor(name: string, args: PreviousMailboxCleanupArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      SPEC,
      name,
      { target: args.target, ...(args.mailUser !== undefined ? { mailUser: args.mailUser } : {}) },
      opts,
    );
  }
}

const INPUTS = ["target", "mailUser"];
const USER_SELECT = ["Guid", "RecipientType", "RecipientTypeDetails", "PreviousRecipientTypeDetails"];

export const previousMailboxCleanupImpl: ResourceImplementation<Inputs, Outputs> = {
  async check(_olds, news) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    for (const key of Object.keys(news))
      if (!INPUTS.includes(key))
        failures.push({
          property: key,
          reason: `is not an input of PreviousMailboxCleanup (inputs: ${INPUTS.join(", ")}); remove it`,
        });
    const inputs: Props = { ...news };
    if (!isUnknown(news.target)) {
      const why = addressProblem(news.target);
      if (why) failures.push({ property: "target", reason: `${why}; give the target MailUser's primary address` });
      else inputs.target = String(news.target).trim().toLowerCase();
    }
    if (
      news.mailUser !== undefined &&
      news.mailUser !== null &&
      !isUnknown(news.mailUser) &&
      typeof news.mailUser !== "string"
    )
      failures.push({ property: "mailUser", reason: "must be the MailUser resource's identity (a string)" });
    return { inputs, failures };
  },

  async diff(_id, olds, news) {
    if (isUnknown(news.target) || news.target !== olds.target) return { changes: true, replaces: ["target"] };
    // The MailUser was (re)staged: look again, it may carry previous-mailbox information now.
    if (isUnknown(news.mailUser) || (news.mailUser ?? null) !== (olds.mailUser ?? null))
      return { changes: true, replaces: [], diffs: ["mailUser"] };
    return { changes: false };
  },

  async create(inputs) {
    const outs = await clear(inputs, false);
    return { id: `previous-mailbox/${inputs.target}`, outs };
  },

  async read(id, props) {
    const found = await readUser(tenantFor("target"), props.target);
    if (!found) return gone();
    // What was cleared stays cleared; the record only follows the object.
    return { id, props: { ...props, guid: str(found.Guid) || props.guid } };
  },

  async update(_id, olds, news) {
    return { outs: await clear(news, olds.cleared === true) };
  },

  async delete(_id, props) {
    log.info(
      `PreviousMailboxCleanup of ${props.target}: nothing to delete. ${props.cleared ? "Its previous-mailbox information was cleared for good (Set-User -PermanentlyClearPreviousMailboxInfo cannot be undone)." : "This stack cleared nothing on it."}`,
    );
  },
};

const str = (v: unknown): string => (typeof v === "string" ? v : v === null || v === undefined ? "" : String(v));
const none = (v: unknown): boolean => str(v) === "" || str(v).toLowerCase() === "none";

async function readUser(client: TenantClient, target: string): Promise<Props | undefined> {
  try {
    return (await client.exchange.invoke<Props>("Get-User", { Identity: target }, { select: USER_SELECT })).value[0];
  } catch (e) {
    if (kindOf(e) === "NotFound") return undefined;
    throw new Error(
      `PreviousMailboxCleanup of ${target}: reading the user (Get-User) in the target tenant: ${message(e)}`,
    );
  }
}

async function clear(inputs: Inputs, clearedBefore: boolean): Promise<Outputs> {
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
