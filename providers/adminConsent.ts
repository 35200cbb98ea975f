// AdminConsent: admin consent for application permissions, done by code. In the given tenant the app's
// service principal exists (created when missing: in the source tenant this is what opening the consent URL
// does for a multi-tenant app) and holds one app role assignment per requested role on the resource's
// service principal (Mailbox.Migration on Office 365 Exchange Online by default). With `mode: "await"` it
// writes nothing and waits, bounded, for another administrator's consent (split administration).
//
// The id is the natural key `<tenantId>/<appId>/<resourceAppId>`: consent is a relation between two
// objects, not an object. For the same reason read never answers "gone": a service principal or an
// assignment that disappeared is drift (the consent was revoked), shown by refresh and restored by the next
// up, rather than a resource silently dropped from the state while later resources still rely on it.

import * as pulumi from "@pulumi/pulumi";
import { XtmmResource, type Anchored, type XtmmResourceSpec } from "./dynamic";
import { isUnknown, log, tenantFor, type ResourceImplementation } from "./context";
import { checkTenantId, tenantChanged } from "./tenantInput";
import type { TenantRole } from "./tenant/settings";
import {
  checkInputs,
  consentDrift,
  echoInputs,
  observedInputs,
  wanted,
  withDefaults,
  type ConsentMode,
  type Inputs,
  type Outputs,
  type Wanted,
} from "./adminConsent/inputs";
import * as consent from "./adminConsent/converge";
import { awaitConsent } from "./adminConsent/awaitConsent";

export interface AdminConsentArgs extends Anchored {
  /** The tenant in which the app is consented to. */
  tenant: pulumi.Input<TenantRole>;
  /** The tenant's directory (tenant) id, as the stack configures it for `tenant` (default: the provider's); another id replaces the object. */
  tenantId?: pulumi.Input<string>;
  /** The application (client) id of the app that needs the permissions. */
  appId: pulumi.Input<string>;
  /** The API whose application permissions are granted; default Office 365 Exchange Online. */
  resourceAppId?: pulumi.Input<string>;
  /** App role VALUES on the resource; default ["Mailbox.Migration"]. */
  roles?: pulumi.Input<pulumi.Input<string>[]>;
  /** "grant" (default) or "await": write nothing, wait for someone else's consent. */
  mode?: pulumi.Input<ConsentMode>;
  /** How long "await" waits before failing; default 900. */
  awaitTimeoutSeconds?: pulumi.Input<number>;
  /** The consent link shown while waiting; default built from the stack's tenant and cloud. */
  consentUrl?: pulumi.Input<string>;
}

const SPEC: XtmmResourceSpec = {
  kind: "adminConsent",
  type: "AdminConsent",
  outputs: [
    "tenantId",
    "servicePrincipalId",
    "resourceServicePrincipalId",
    "createdServicePrincipal",
    "assignmentIds",
    "grantedRoles",
    "consentedAt",
  ],
};

export class AdminConsent extends XtmmResource {
  declare readonly tenant: pulumi.Output<TenantRole>;
  declare readonly appId: pulumi.Output<string>;
  declare readonly tenantId: pulumi.Output<string>;
  declare readonly servicePrincipalId: pulumi.Output<string>;
  declare readonly resourceServicePrincipalId: pulumi.Output<string>;
  declare readonly createdServicePrincipal: pulumi.Output<boolean>;
  declare readonly assignmentIds: pulumi.Output<string[]>;
  declare readonly grantedRoles: pulumi.Output<string[]>;
  /** When the newest satisfying assignment was made; Exchange honours it some minutes later. */
  declare readonly consentedAt: pulumi.Output<string | null>;

  constructor(name: string, args: AdminConsentArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, pulumi.Input<unknown>> = { tenant: args.tenant, appId: args.appId };
    for (const k of [
      "tenantId",
      "resourceAppId",
      "roles",
      "mode",
      "awaitTimeoutSeconds",
      "consentUrl",
      "anchors",
    ] as const) {
      if (args[k] !== undefined) props[k] = args[k];
    }
    super(SPEC, name, props, opts);
  }
}

function naturalKey(tenantId: string, w: Wanted): string {
  return `${tenantId.toLowerCase()}/${w.appId}/${w.resourceAppId}`;
}

/** The request an existing resource's outputs describe (for read and delete, which get no inputs). */
function wantedFromOutputs(o: Outputs): Wanted {
  return wanted({ ...o, roles: o.roles } as Inputs);
}

function sameRoles(a: unknown, b: unknown): boolean {
  return (
    Array.isArray(a) &&
    Array.isArray(b) &&
    JSON.stringify([...new Set(a)].sort()) === JSON.stringify([...new Set(b)].sort())
  );
}

const hasUnknown = (v: unknown): boolean => isUnknown(v) || (Array.isArray(v) && v.some(isUnknown));

export const adminConsentImpl: ResourceImplementation<Inputs, Outputs> = {
  async check(_olds, news) {
    const tenant = checkTenantId(withDefaults(news), news.tenant);
    return { inputs: tenant.inputs, failures: [...checkInputs(news), ...tenant.failures] };
  },

  async diff(_id, olds, news) {
    const replaces: string[] = [];
    for (const key of ["tenant", "appId", "resourceAppId"] as const) {
      if (hasUnknown(news[key])) replaces.push(key);
    }
    if (replaces.length > 0) return { changes: true, replaces };
    const w = wanted(news);
    if (w.tenant !== olds.tenant) replaces.push("tenant");
    if (w.appId !== String(olds.appId).toLowerCase()) replaces.push("appId");
    if (w.resourceAppId !== String(olds.resourceAppId).toLowerCase()) replaces.push("resourceAppId");
    // The stack repointed this role at another tenant: a consent there is a different thing.
    if (replaces.length === 0 && tenantChanged(olds, news)) replaces.push("tenantId");
    if (replaces.length > 0) return { changes: true, replaces };

    const changed =
      hasUnknown(news.roles) ||
      !sameRoles(w.roles, olds.roles) ||
      w.mode !== olds.mode ||
      news.awaitTimeoutSeconds !== olds.awaitTimeoutSeconds ||
      news.consentUrl !== olds.consentUrl;
    // Drift seen by refresh (consent revoked, service principal deleted): the next up restores it in place.
    const drift = olds.servicePrincipalId === "" || !w.roles.every((r) => (olds.grantedRoles ?? []).includes(r));
    return changed || drift ? { changes: true, replaces: [] } : { changes: false };
  },

  async create(inputs) {
    const w = wanted(inputs);
    const tenantId = tenantFor(w.tenant).settings.tenantId;
    const found = w.mode === "await" ? await awaitConsent(w) : await consent.grant(w);
    return { id: naturalKey(tenantId, w), outs: { ...echoInputs(w, inputs), tenantId, ...found } };
  },

  async read(id, props) {
    const client = tenantFor(props.tenant);
    if (client.settings.tenantId.toLowerCase() !== String(props.tenantId).toLowerCase()) {
      log.warn(
        `AdminConsent for app ${props.appId} in tenant ${props.tenantId}: the stack's ${props.tenant} tenant is now ${client.settings.tenantId}; not refreshed.`,
      );
      return { id, props };
    }
    const { missing, ...found } = await consent.observe(wantedFromOutputs(props), props);
    if (missing.length > 0) {
      log.warn(
        `AdminConsent for app ${props.appId} in tenant ${props.tenantId} (${props.tenant}): missing ${missing.join(", ")}; the next \`pulumi up\` restores it.`,
      );
    }
    const refreshed: Outputs = { ...props, ...found };
    // Drift as inputs, so the change plan names `roles`; once healthy again (restored by hand), the inputs
    // are given back whole. No drift before or now: the engine keeps the inputs it has.
    return consentDrift(refreshed) || consentDrift(props)
      ? { id, props: refreshed, inputs: observedInputs(refreshed) }
      : { id, props: refreshed };
  },

  async update(_id, olds, news) {
    const w = wanted(news);
    const found = w.mode === "await" ? await awaitConsent(w, olds) : await consent.grant(w, olds);
    return { outs: { ...echoInputs(w, news), tenantId: olds.tenantId, ...found } };
  },

  async delete(_id, props) {
    await consent.revoke(props);
  },
};
