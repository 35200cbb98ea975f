// MailUser: one staged user in the target tenant, the object a cross-tenant move lands on
// (https://learn.microsoft.com/microsoft-365/enterprise/cross-tenant-mailbox-migration). Created or
// adopted with at most two Exchange writes (New-MailUser, then one Set-MailUser carrying ExchangeGuid,
// ArchiveGuid, the x500s and the delivery-domain address); a user whose source cannot
// move is HELD (recorded, nothing written) until its blockers clear. After the move the
// object is a mailbox: never changed or deleted again. Reads of many users are coalesced into bulk reads
// (mailUser/reader.ts), so refreshing a 2,000-user wave costs a handful of Exchange calls.

import * as pulumi from "@pulumi/pulumi";
import { XtmmResource, type XtmmResourceSpec } from "./dynamic";
import { gone, log, tenantFor, type Props, type ResourceImplementation } from "./context";
import { checkInputs, diffMailUser, isHeld, observedInputs, type Inputs, type Outputs } from "./mailUser/inputs";
import { lower } from "../domain/text";
import { isSoftDeleted, readerFor } from "./mailUser/reader";
import { converge, describeUser, heldOutputs, observed, stage } from "./mailUser/converge";
import { release } from "./mailUser/teardown";
import { spreadGroups, type PlannedValues, type SourceValues } from "./mailUser/groups";

export type { Inputs as MailUserInputs } from "./mailUser/inputs";
export type { PlannedValues as MailUserPlannedValues, SourceValues as MailUserSourceValues } from "./mailUser/groups";

/**
 * A MailUser's inputs: each given on its own, or in the two objects the wave passes (`planned` and `fromSource`,
 * see mailUser/groups.ts); check spreads the objects, so the provider always sees every input by name. A value
 * given in an object must not be given on its own too.
 */
export interface MailUserArgs {
  /** sourceAddress through purgeOnDelete below, as the wave's plan decides them (plain values). */
  planned?: pulumi.Input<Partial<PlannedValues>>;
  /** displayName through blockers below, as the source mailbox gives them (one Output of the source read). */
  fromSource?: pulumi.Input<Partial<SourceValues>>;
  sourceAddress?: pulumi.Input<string>;
  targetPrimary?: pulumi.Input<string>;
  userPrincipalName?: pulumi.Input<string>;
  alias?: pulumi.Input<string>;
  name?: pulumi.Input<string>;
  /** `<alias>@<targetDeliveryDomain>`. */
  deliveryAddress?: pulumi.Input<string>;
  /** Destroy removes the user for good (Entra user and soft-deleted MailUser), so its addresses are free again. */
  purgeOnDelete?: pulumi.Input<boolean>;
  displayName?: pulumi.Input<string>;
  firstName?: pulumi.Input<string>;
  lastName?: pulumi.Input<string>;
  /** The source mailbox's primary address (mail goes there until the move). */
  externalEmailAddress?: pulumi.Input<string>;
  exchangeGuid?: pulumi.Input<string>;
  /** "" when the source has no archive. */
  archiveGuid?: pulumi.Input<string>;
  /** "x500:" + the source's LegacyExchangeDN, then every x500 proxy of the source. */
  x500Addresses?: pulumi.Input<pulumi.Input<string>[]>;
  sharedMailbox?: pulumi.Input<boolean>;
  /** Why the source cannot move; non-empty holds the user (nothing is written). */
  blockers?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * What each optional input (`?` above) is when it is not given, written once: the wave component fills these
 * when it builds a user's inputs, and check fills them for a MailUser declared without it, so diff and create
 * always see complete inputs.
 */
const DEFAULTS = {
  firstName: "",
  lastName: "",
  archiveGuid: "",
  blockers: [] as string[],
  sharedMailbox: false,
  purgeOnDelete: false,
};

export function withMailUserDefaults<T extends Props>(given: T): T & typeof DEFAULTS {
  const out: Props = { ...given };
  for (const [k, v] of Object.entries(DEFAULTS))
    if (out[k] === undefined || out[k] === null) out[k] = Array.isArray(v) ? [...v] : v;
  return out as T & typeof DEFAULTS;
}

/**
 * The provider returns every output in Outputs (mailUser/inputs.ts), and the checkpoint keeps them all; the program
 * reads only these four (the wave's user states, readiness, batches, cleanups). Each output given here is an
 * Output with its own promises for every user, so the others are left to the state.
 */
export const MAIL_USER_SPEC: XtmmResourceSpec = {
  kind: "mailUser",
  type: "MailUser",
  outputs: ["identity", "staged", "held", "migrated"],
  secretOutputs: ["password"],
};

export class MailUser extends XtmmResource {
  /** Exchange's Guid of the object ("" while held). */
  declare readonly identity: pulumi.Output<string>;
  declare readonly staged: pulumi.Output<boolean>;
  declare readonly held: pulumi.Output<boolean>;
  declare readonly migrated: pulumi.Output<boolean>;

  constructor(name: string, args: MailUserArgs, opts?: pulumi.CustomResourceOptions) {
    super(MAIL_USER_SPEC, name, { ...args }, opts);
  }
}

export const mailUserImpl: ResourceImplementation<Inputs, Outputs> = {
  async check(_olds, news) {
    const spread = spreadGroups(news);
    const inputs = withMailUserDefaults(spread.inputs) as Inputs;
    return { inputs, failures: [...spread.failures, ...checkInputs(inputs)] };
  },

  async diff(_id, olds, news) {
    return diffMailUser(olds, news);
  },

  async create(inputs) {
    if (isHeld(inputs)) {
      log.info(`${describeUser(inputs)} is held, nothing is written: ${inputs.blockers.join("; ")}.`);
      return { id: `held:${lower(inputs.targetPrimary)}`, outs: heldOutputs(inputs) };
    }
    const outs = await stage(inputs);
    return { id: outs.identity, outs };
  },

  async read(id, props) {
    if (props.held || id.startsWith("held:")) return { id, props };
    const found = await readerFor(tenantFor("target")).forRefresh(props.identity || id);
    // Gone (or only soft-deleted): refresh drops it and the next up stages the user again.
    if (!found || isSoftDeleted(found)) return gone();
    const outs = observed(props, found, props);
    // A mailbox now: nothing is stamped again, so nothing to show as drift.
    const inputs = outs.migrated ? undefined : observedInputs(props, outs);
    return { id, props: outs, ...(inputs ? { inputs } : {}) };
  },

  async update(_id, olds, news) {
    if (olds.held) return { outs: heldOutputs(news) };
    // A moved user is a mailbox: recorded inputs only, never a write (diff reports no change anyway).
    if (olds.migrated)
      return { outs: { ...olds, sharedMailbox: news.sharedMailbox, purgeOnDelete: news.purgeOnDelete } };
    return { outs: await converge(news, olds) };
  },

  async delete(_id, props) {
    await release(props);
  },
};
