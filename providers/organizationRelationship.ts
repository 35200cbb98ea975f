// OrganizationRelationship: the cross-tenant trust a mailbox move needs, in either tenant. Found by the
// partner tenant id in DomainNames, as Microsoft's guide does (never by name). The target side carries
// Inbound; the source side RemoteOutbound, the migration app (OAuthApplicationId) and the scoping group
// (MailboxMovePublishedScopes). A relationship that already exists (free/busy sharing, a move back) is
// adopted: only the move settings change, and delete restores them. A move back runs a second stack whose
// relationships are these same objects (Inbound and RemoteOutbound on both sides): each stack adds only its own
// capability, app and scope, and delete takes back only those, so neither stack undoes the other.

import * as pulumi from "@pulumi/pulumi";
import { XtmmResource, type Anchored, type XtmmResourceSpec } from "./dynamic";
import { isUnknown, type Props, type ResourceImplementation, gone } from "./context";
import { checkTenantId, tenantChanged } from "./tenantInput";
import type { TenantRole } from "./tenant/settings";
import { converge, observe, observedInputs, release } from "./organizationRelationship/converge";
import type { Inputs, Outputs } from "./organizationRelationship/inputs";
import { CAPABILITIES, canonicalCapabilities, minus, sameSet } from "./organizationRelationship/model";
import { GUID } from "../domain/ids";

export interface OrganizationRelationshipArgs extends Anchored {
  /** The tenant the relationship lives in. */
  tenant: pulumi.Input<TenantRole>;
  /** The tenant's directory (tenant) id, as the stack configures it for `tenant` (default: the provider's); another id replaces the object. */
  tenantId?: pulumi.Input<string>;
  /** The other tenant's id (a GUID): the relationship's natural key, listed in DomainNames. */
  partnerTenantId: pulumi.Input<string>;
  /** Name for a relationship this stack creates; an adopted one keeps its own. */
  name: pulumi.Input<string>;
  /** MailboxMoveCapability values this side needs, e.g. ["Inbound"] (target) or ["RemoteOutbound"] (source). */
  capabilities: pulumi.Input<pulumi.Input<string>[]>;
  /** Source side: the migration app's id. */
  oauthApplicationId?: pulumi.Input<string>;
  /** Source side: the mail-enabled security group(s) whose members may move. */
  publishedScopes?: pulumi.Input<pulumi.Input<string>[]>;
}

const OUTPUTS = [
  "tenantId",
  "identity",
  "guid",
  "adopted",
  "original",
  "addedCapabilities",
  "enabled",
  "mailboxMoveEnabled",
  "mailboxMoveCapability",
  "currentOAuthApplicationId",
  "currentPublishedScopes",
  "expectedPublishedScopes",
] as const;

const SPEC: XtmmResourceSpec = { kind: "organizationRelationship", type: "OrganizationRelationship", outputs: OUTPUTS };

export class OrganizationRelationship extends XtmmResource {
  declare readonly tenant: pulumi.Output<TenantRole>;
  declare readonly tenantId: pulumi.Output<string>;
  declare readonly partnerTenantId: pulumi.Output<string>;
  declare readonly identity: pulumi.Output<string>;
  declare readonly guid: pulumi.Output<string>;
  declare readonly adopted: pulumi.Output<boolean>;
  declare readonly original: pulumi.Output<Record<string, unknown> | null>;
  declare readonly addedCapabilities: pulumi.Output<string[]>;
  declare readonly enabled: pulumi.Output<boolean>;
  declare readonly mailboxMoveEnabled: pulumi.Output<boolean>;
  declare readonly mailboxMoveCapability: pulumi.Output<string[]>;

  constructor(name: string, args: OrganizationRelationshipArgs, opts?: pulumi.CustomResourceOptions) {
    super(SPEC, name, { ...args }, opts);
  }
}

const INPUTS = [
  "tenant",
  "tenantId",
  "partnerTenantId",
  "name",
  "capabilities",
  "oauthApplicationId",
  "publishedScopes",
];
const ROLES: readonly string[] = ["source", "target"];
const anyUnknown = (v: unknown): boolean => isUnknown(v) || (Array.isArray(v) && v.some(isUnknown));

function checkInputs(news: Props): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const { tenant, partnerTenantId, name, capabilities, oauthApplicationId, publishedScopes } = news;
  if (!isUnknown(tenant) && !ROLES.includes(tenant as string))
    fail(
      "tenant",
      `must be "source" or "target" (the tenant the relationship lives in), not ${JSON.stringify(tenant ?? null)}`,
    );
  if (!isUnknown(partnerTenantId)) {
    if (typeof partnerTenantId !== "string" || !GUID.test(partnerTenantId)) {
      fail(
        "partnerTenantId",
        `must be the partner tenant's id, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47 (Microsoft keys the relationship by it, not by a domain), not ${JSON.stringify(partnerTenantId ?? null)}`,
      );
    } else if (ROLES.includes(tenant as string)) {
      const own = typeof news.tenantId === "string" && !isUnknown(news.tenantId) ? news.tenantId : undefined;
      if (own && own.toLowerCase() === partnerTenantId.toLowerCase()) {
        fail("partnerTenantId", `is the ${tenant} tenant itself (${own}); give the OTHER tenant of the pair`);
      }
    }
  }
  if (!isUnknown(name) && (typeof name !== "string" || name.trim() === "" || name.length > 64))
    fail("name", "must be a non-empty name of at most 64 characters (used when the relationship is created)");
  if (!isUnknown(capabilities)) {
    if (!Array.isArray(capabilities) || capabilities.length === 0) {
      fail(
        "capabilities",
        `must be a non-empty list of ${CAPABILITIES.join(", ")} (e.g. ["Inbound"] in the target, ["RemoteOutbound"] in the source)`,
      );
    } else {
      for (const c of capabilities) {
        if (isUnknown(c)) continue;
        if (typeof c !== "string" || canonicalCapabilities([c]).length === 0)
          fail("capabilities", `${JSON.stringify(c)} is not a MailboxMoveCapability; use ${CAPABILITIES.join(", ")}`);
      }
    }
  }
  if (
    oauthApplicationId !== undefined &&
    !isUnknown(oauthApplicationId) &&
    (typeof oauthApplicationId !== "string" || !GUID.test(oauthApplicationId))
  ) {
    fail(
      "oauthApplicationId",
      `must be the migration app's application (client) id, a GUID, not ${JSON.stringify(oauthApplicationId)}`,
    );
  }
  if (publishedScopes !== undefined && !isUnknown(publishedScopes)) {
    if (
      !Array.isArray(publishedScopes) ||
      publishedScopes.length === 0 ||
      publishedScopes.some((s) => !isUnknown(s) && (typeof s !== "string" || s.trim() === ""))
    ) {
      fail(
        "publishedScopes",
        "must be a non-empty list of mail-enabled security group identities (name, address or id)",
      );
    }
  }
  const outbound =
    Array.isArray(capabilities) &&
    capabilities.some((c) => typeof c === "string" && c.toLowerCase() === "remoteoutbound");
  if (outbound && oauthApplicationId === undefined)
    fail(
      "oauthApplicationId",
      "is required with RemoteOutbound: the source side names the migration app (Microsoft's source step 4)",
    );
  if (outbound && publishedScopes === undefined)
    fail(
      "publishedScopes",
      "is required with RemoteOutbound: the source side names the scoping group whose members may move",
    );
  for (const key of Object.keys(news)) {
    if (!INPUTS.includes(key))
      fail(key, `is not an input of OrganizationRelationship (inputs: ${INPUTS.join(", ")}); remove it`);
  }
  return failures;
}

export const organizationRelationshipImpl: ResourceImplementation<Inputs, Outputs> = {
  async check(_olds, news) {
    const tenant = checkTenantId(news, news.tenant);
    return { inputs: tenant.inputs, failures: [...checkInputs(tenant.inputs), ...tenant.failures] };
  },

  async diff(_id, olds, news) {
    const replaces = ["tenant", "partnerTenantId"].filter(
      (k) => isUnknown(news[k]) || String(news[k]).toLowerCase() !== String(olds[k]).toLowerCase(),
    );
    if (tenantChanged(olds, news)) replaces.push("tenantId");
    // A new relationship would collide with the old one by name (and Exchange refuses two for one partner).
    if (replaces.length) return { changes: true, replaces, deleteBeforeReplace: true };
    const changed: string[] = [];
    if (anyUnknown(news.capabilities)) changed.push("capabilities");
    else {
      const desired = canonicalCapabilities(news.capabilities);
      if (minus(desired, olds.mailboxMoveCapability).length || minus(olds.addedCapabilities, desired).length)
        changed.push("capabilities");
    }
    if (olds.enabled !== true) changed.push("enabled");
    if (olds.mailboxMoveEnabled !== true) changed.push("mailboxMoveEnabled");
    const app = news.oauthApplicationId;
    if (
      isUnknown(app) ||
      (app !== undefined && (olds.currentOAuthApplicationId ?? "").toLowerCase() !== String(app).toLowerCase())
    )
      changed.push("oauthApplicationId");
    if (app === undefined && olds.oauthApplicationId !== null) changed.push("oauthApplicationId");
    const scopes = news.publishedScopes;
    if (anyUnknown(scopes)) changed.push("publishedScopes");
    else if (
      scopes !== undefined &&
      (olds.publishedScopes === null ||
        !sameSet(scopes, olds.publishedScopes) ||
        !sameSet(olds.currentPublishedScopes, olds.expectedPublishedScopes))
    ) {
      changed.push("publishedScopes");
    } else if (scopes === undefined && olds.publishedScopes !== null) changed.push("publishedScopes");
    // `name` is only used when creating: renaming the input changes nothing in Exchange.
    return changed.length ? { changes: true, replaces: [], diffs: changed } : { changes: false };
  },

  async create(inputs) {
    const outs = await converge(inputs);
    return { id: outs.guid, outs };
  },

  async read(id, props) {
    const outs = await observe(props);
    if (!outs) return gone();
    // Drift in what an input asks for goes back as inputs, so the change plan names that input.
    const inputs = observedInputs(props, outs);
    return { id: outs.guid || id, props: outs, ...(inputs ? { inputs } : {}) };
  },

  async update(_id, olds, news) {
    return { outs: await converge(news, olds) };
  },

  async delete(_id, props) {
    await release(props);
  },
};

export type { PriorMoveSettings } from "./organizationRelationship/model";
