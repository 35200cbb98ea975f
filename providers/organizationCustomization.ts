// OrganizationCustomization: a tenant's Exchange organization is "hydrated" (IsDehydrated = false), the
// precondition for every customisation cmdlet the migration needs (organization relationships, groups,
// MailUsers). A new or small tenant starts dehydrated; `Enable-OrganizationCustomization` hydrates it,
// and it cannot be undone. The order public callers use: read
// `Get-OrganizationConfig.IsDehydrated`, enable only when it is true, and take "not required" as done.

import * as pulumi from "@pulumi/pulumi";
import { XtmmResource, type XtmmResourceSpec } from "./dynamic";
import { isUnknown, log, tenantFor, type Props, type ResourceImplementation } from "./context";
import { checkTenantId, tenantChanged } from "./tenantInput";
import { kindOf, message } from "./exchangeFailure";
import type { TenantClient } from "./tenant";
import type { TenantRole } from "./tenant/settings";

export interface OrganizationCustomizationArgs {
  /** Which tenant of the pair to hydrate. */
  tenant: pulumi.Input<TenantRole>;
  /** The tenant's directory (tenant) id, as the stack configures it for `tenant` (default: the provider's); another id replaces the object. */
  tenantId?: pulumi.Input<string>;
}

interface Inputs extends Props {
  tenant: TenantRole;
  tenantId?: string;
}

interface Outputs extends Props {
  tenant: TenantRole;
  tenantId: string;
  /** The service's answer at the last create, update or refresh. */
  isDehydrated: boolean;
  /** Whether this stack ran Enable-OrganizationCustomization (the tenant was dehydrated when we looked). */
  enabledByUs: boolean;
}

const SPEC: XtmmResourceSpec = {
  kind: "organizationCustomization",
  type: "OrganizationCustomization",
  outputs: ["tenantId", "isDehydrated", "enabledByUs"],
};

export class OrganizationCustomization extends XtmmResource {
  declare readonly tenant: pulumi.Output<TenantRole>;
  declare readonly tenantId: pulumi.Output<string>;
  declare readonly isDehydrated: pulumi.Output<boolean>;
  declare readonly enabledByUs: pulumi.Output<boolean>;

  constructor(name: string, args: OrganizationCustomizationArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      SPEC,
      name,
      { tenant: args.tenant, ...(args.tenantId !== undefined ? { tenantId: args.tenantId } : {}) },
      opts,
    );
  }
}

const INPUTS = ["tenant", "tenantId"];
const ROLES: readonly string[] = ["source", "target"];

/** The exact answer of a second Enable; the tenant layer may also classify it as NoOp. */
const NOT_REQUIRED = "This operation is not required. Organization is already enabled for customization.";

export const organizationCustomizationImpl: ResourceImplementation<Inputs, Outputs> = {
  async check(_olds, news) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (!isUnknown(news.tenant) && !ROLES.includes(news.tenant as string)) {
      failures.push({
        property: "tenant",
        reason: `must be "source" or "target" (which tenant of the pair to hydrate), not ${JSON.stringify(news.tenant ?? null)}`,
      });
    }
    for (const key of Object.keys(news)) {
      if (!INPUTS.includes(key)) {
        failures.push({
          property: key,
          reason: `is not an input of OrganizationCustomization (inputs: ${INPUTS.join(", ")}); remove it`,
        });
      }
    }
    const tenant = checkTenantId(news, news.tenant);
    return { inputs: tenant.inputs, failures: [...failures, ...tenant.failures] };
  },

  async diff(_id, olds, news) {
    if (isUnknown(news.tenant) || news.tenant !== olds.tenant) return { changes: true, replaces: ["tenant"] };
    // The stack repointed at another tenant: a different organization, not an update of this one.
    if (tenantChanged(olds, news)) return { changes: true, replaces: ["tenantId"] };
    // Drift (or an enable still propagating): the next up converges in place.
    if (olds.isDehydrated !== false) return { changes: true, replaces: [] };
    return { changes: false };
  },

  async create(inputs) {
    const outs = await converge(inputs.tenant, false);
    return { id: outs.tenantId, outs };
  },

  // An Exchange organization never disappears, so read never answers "gone"; it reports the flag.
  async read(id, props) {
    const client = tenantFor(props.tenant);
    if (client.settings.tenantId.toLowerCase() !== String(props.tenantId).toLowerCase()) {
      // The stack now points this role at another tenant; ours is out of reach, and diff plans the replacement.
      log.warn(
        `OrganizationCustomization of tenant ${props.tenantId}: the stack's ${props.tenant} tenant is now ${client.settings.tenantId}; not refreshed.`,
      );
      return { id, props };
    }
    return { id, props: { ...props, isDehydrated: await readIsDehydrated(client) } };
  },

  async update(_id, olds, news) {
    return { outs: await converge(news.tenant, olds.enabledByUs === true) };
  },

  async delete(_id, props) {
    log.info(
      `OrganizationCustomization of tenant ${props.tenantId} (${props.tenant}): nothing to delete. ` +
        "Exchange Online cannot dehydrate an organization again, so it stays enabled for customization.",
    );
  },
};

async function converge(role: TenantRole, enabledBefore: boolean): Promise<Outputs> {
  const client = tenantFor(role);
  const tenantId = client.settings.tenantId;
  let enabledByUs = enabledBefore;
  let isDehydrated = await readIsDehydrated(client);
  if (isDehydrated) {
    await enable(client);
    enabledByUs = true;
    isDehydrated = await readIsDehydrated(client);
    if (isDehydrated) {
      // Microsoft says hydration can take hours to show; the next up looks again (diff sees isDehydrated).
      log.warn(
        `Tenant ${tenantId} (${role}) still reads as dehydrated after Enable-OrganizationCustomization; ` +
          "run `pulumi up` again later.",
      );
    }
  }
  return { tenant: role, tenantId, isDehydrated, enabledByUs };
}

async function readIsDehydrated(client: TenantClient): Promise<boolean> {
  const tenantId = client.settings.tenantId;
  let config: Props | undefined;
  try {
    config = (await client.exchange.invoke<Props>("Get-OrganizationConfig")).value[0];
  } catch (e) {
    throw new Error(
      `Reading the organization configuration (Get-OrganizationConfig) of tenant ${tenantId}: ${message(e)}`,
    );
  }
  if (!config || typeof config.IsDehydrated !== "boolean") {
    throw new Error(
      `Reading the organization configuration (Get-OrganizationConfig) of tenant ${tenantId}: ` +
        "the answer has no IsDehydrated flag.",
    );
  }
  return config.IsDehydrated;
}

/**
 * Enabling twice is harmless (the second answer is "not required"), so the call is marked idempotent and
 * the tenant layer may resend it after a lost response or a throttled attempt; "not required" then means
 * the first attempt did the work, which is the state we wanted.
 */
async function enable(client: TenantClient): Promise<void> {
  try {
    await client.exchange.invoke("Enable-OrganizationCustomization", {}, { idempotent: true });
  } catch (e) {
    if (isNotRequired(e)) return;
    throw new Error(`Enabling organization customization in tenant ${client.settings.tenantId}: ${message(e)}`);
  }
}

// Recognised by shape (kindOf), not `instanceof`: this module must not load the tenant layer (the program
// imports it for the resource class).
function isNotRequired(e: unknown): boolean {
  return kindOf(e) === "NoOp" || (e instanceof Error && e.message.includes(NOT_REQUIRED));
}
