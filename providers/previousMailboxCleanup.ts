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
import { gone, log, tenantFor, type ResourceImplementation } from "./context";
import { checkInputs, diffCleanup, type Inputs, type Outputs } from "./previousMailboxCleanup/inputs";
import { text as str } from "../domain/text";
import { clear, readUser } from "./previousMailboxCleanup/converge";

export interface PreviousMailboxCleanupArgs {
  /** The target MailUser's primary address (a user of the wave listed under clearPreviousMailboxInfo). */
  target: pulumi.Input<string>;
  /** The MailUser resource's identity: orders the clear after staging, and runs it again once a held user is staged. */
  mailUser?: pulumi.Input<string>;
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

export const previousMailboxCleanupImpl: ResourceImplementation<Inputs, Outputs> = {
  async check(_olds, news) {
    return checkInputs(news);
  },

  async diff(_id, olds, news) {
    return diffCleanup(olds, news);
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
