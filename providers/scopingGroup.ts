// ScopingGroup: the mail-enabled security group in the source tenant whose members may move
// (MailboxMovePublishedScopes of the source relationship). Created with `New-DistributionGroup -Type
// Security` or adopted when a security group already holds the name, alias or address; its membership
// is converged as a set with -BypassSecurityGroupManagerCheck (an app is never a group's manager).
// Delete removes a group this stack created and gives an adopted one back its original members.

import * as pulumi from "@pulumi/pulumi";
import { XtmmResource, type XtmmResourceSpec } from "./dynamic";
import { isUnknown, type Props, type ResourceImplementation, gone } from "./context";
import { checkTenantId, tenantChanged } from "./tenantInput";
import type { TenantRole } from "./tenant/settings";
import { converge, observe, release } from "./scopingGroup/converge";
import { roleOf, type Inputs, type Outputs } from "./scopingGroup/inputs";
import { normalize } from "./scopingGroup/members";
import { isAddress, isAlias } from "../domain/addresses";

export interface ScopingGroupArgs {
  /** The tenant of the group; the source tenant unless said otherwise (a move back scopes the other way). */
  tenant?: pulumi.Input<TenantRole>;
  /** The tenant's directory (tenant) id, as the stack configures it for `tenant` (default: the provider's); another id replaces the object. */
  tenantId?: pulumi.Input<string>;
  name: pulumi.Input<string>;
  alias?: pulumi.Input<string>;
  primarySmtpAddress?: pulumi.Input<string>;
  /** SMTP addresses of the mailboxes that may move. */
  members: pulumi.Input<pulumi.Input<string>[]>;
}

const SPEC: XtmmResourceSpec = {
  kind: "scopingGroup",
  type: "ScopingGroup",
  outputs: [
    "tenantId",
    "requested",
    "identity",
    "alias",
    "primarySmtpAddress",
    "externalDirectoryObjectId",
    "adopted",
    "memberAliases",
    "originalMembers",
  ],
};

export class ScopingGroup extends XtmmResource {
  declare readonly tenant: pulumi.Output<TenantRole>;
  declare readonly identity: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly alias: pulumi.Output<string>;
  declare readonly primarySmtpAddress: pulumi.Output<string>;
  declare readonly externalDirectoryObjectId: pulumi.Output<string>;
  declare readonly adopted: pulumi.Output<boolean>;
  declare readonly members: pulumi.Output<string[]>;

  constructor(name: string, args: ScopingGroupArgs, opts?: pulumi.CustomResourceOptions) {
    super(SPEC, name, { ...args }, opts);
  }
}

const INPUTS = ["tenant", "tenantId", "name", "alias", "primarySmtpAddress", "members"];
const anyUnknown = (v: unknown): boolean => isUnknown(v) || (Array.isArray(v) && v.some(isUnknown));

function checkInputs(news: Props): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const { tenant, name, alias, primarySmtpAddress, members } = news;
  if (tenant !== undefined && !isUnknown(tenant) && tenant !== "source" && tenant !== "target")
    fail("tenant", `must be "source" (the default) or "target", not ${JSON.stringify(tenant)}`);
  if (!isUnknown(name) && (typeof name !== "string" || name.trim() === "" || name.length > 64))
    fail("name", "must be a non-empty group name of at most 64 characters");
  if (alias !== undefined && !isUnknown(alias) && !isAlias(alias)) {
    fail(
      "alias",
      `must be an Exchange alias (letters, digits and !#$%&'*+-/=?^_\`{|}~, dots between them, at most 64), not ${JSON.stringify(alias)}`,
    );
  }
  if (primarySmtpAddress !== undefined && !isUnknown(primarySmtpAddress) && !isAddress(primarySmtpAddress)) {
    fail(
      "primarySmtpAddress",
      `must be an SMTP address such as movers@fabrikam.com, not ${JSON.stringify(primarySmtpAddress)}`,
    );
  }
  if (!isUnknown(members)) {
    if (!Array.isArray(members)) fail("members", "must be a list of SMTP addresses (an empty list is allowed)");
    else {
      const bad = members.filter((m) => !isUnknown(m) && (typeof m !== "string" || !isAddress(m.trim())));
      if (bad.length)
        fail(
          "members",
          `${bad.length} entr${bad.length === 1 ? "y is" : "ies are"} not an SMTP address: ${bad
            .slice(0, 5)
            .map((b) => JSON.stringify(b))
            .join(", ")}${bad.length > 5 ? ", …" : ""}`,
        );
    }
  }
  for (const key of Object.keys(news)) {
    if (!INPUTS.includes(key)) fail(key, `is not an input of ScopingGroup (inputs: ${INPUTS.join(", ")}); remove it`);
  }
  return failures;
}

const differs = (a: unknown, b: unknown) => String(a ?? "").toLowerCase() !== String(b ?? "").toLowerCase();

export const scopingGroupImpl: ResourceImplementation<Inputs, Outputs> = {
  async check(_olds, news) {
    const tenant = checkTenantId(news, isUnknown(news.tenant) ? news.tenant : roleOf(news.tenant));
    return { inputs: tenant.inputs, failures: [...checkInputs(news), ...tenant.failures] };
  },

  async diff(_id, olds, news) {
    const replaces: string[] = [];
    if (isUnknown(news.tenant) || roleOf(news.tenant) !== olds.tenant) replaces.push("tenant");
    for (const k of ["name", "alias", "primarySmtpAddress"] as const) {
      if (isUnknown(news[k]) || differs(news[k], olds.requested?.[k])) replaces.push(k);
    }
    if (tenantChanged(olds, news)) replaces.push("tenantId");
    // The new group would collide with the old one by name and addresses.
    if (replaces.length) return { changes: true, replaces, deleteBeforeReplace: true };
    if (anyUnknown(news.members)) return { changes: true, replaces: [], diffs: ["members"] };
    const aliases = new Map((olds.memberAliases ?? []).map((a) => [a.requested, a.primary]));
    const wanted = new Set(normalize(news.members).map((m) => aliases.get(m) ?? m));
    const have = new Set(olds.members);
    const same = wanted.size === have.size && [...wanted].every((m) => have.has(m));
    return same ? { changes: false } : { changes: true, replaces: [], diffs: ["members"] };
  },

  async create(inputs) {
    const outs = await converge(inputs);
    return { id: outs.identity, outs };
  },

  async read(id, props) {
    const outs = await observe(props);
    return outs ? { id: outs.identity || id, props: outs } : gone();
  },

  async update(_id, olds, news) {
    return { outs: await converge(news, olds) };
  },

  async delete(_id, props) {
    await release(props);
  },
};
