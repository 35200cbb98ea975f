// MigrationApp: the multi-tenant app registration in the TARGET tenant through which Exchange Online pulls
// mailboxes from the source (Microsoft's cross-tenant migration guide, target steps 1-3): audience
// AzureADMultipleOrgs, Web redirect URI exactly https://office.com, the Office 365 Exchange Online
// application permission Mailbox.Migration (role id looked up by value in the tenant, never written down),
// no Microsoft Graph User.Read, its service principal, and a client secret whose value is a secret output.
//
// Natural key. An app display name is not unique in Entra, so the app this resource creates carries the tag
// `xtmm:migrationApp:<naturalKey>`, written in the same POST that creates it. `naturalKey` defaults to
// `<project>/<stack>/<resource name>` (stable for the life of the stack, distinct between stacks sharing a
// tenant). Create looks the tag up first (GET /applications?$filter=tags/any(t:t eq '…')), so a retry after
// a lost answer, or an up after a failed one, finds the app instead of making a second. `tags` is a plain
// string collection in Graph v1.0 with $filter support; `uniqueName` would be the natural choice but can
// only be set through an upsert form our reference does not list. An existing app can instead be adopted by
// `adoptAppId`: it is not tagged, its settings before adoption are kept in `original`, and delete only
// removes the secrets (and a service principal) this resource added and restores those settings.
//
// Rotation. When `rotateAfter` has passed (and the current secret predates it), `rotationTrigger` changes,
// `secretEndDate` changes, or the secret disappeared or expired, diff reports an update and says why on
// the console; check also turns `rotation` from "scheduled" to "due" so the preview shows the change. The
// update adds a new secret and publishes it, and moves the previous key id into `retiringSecretKeyIds`: the
// old secret keeps working for a migration in flight. MigrationAppSecretRetirement, which the stack orders
// after the migration endpoint, removes those ids; the app's next read or up drops ids that are gone.

import * as pulumi from "@pulumi/pulumi";
import { XtmmResource, type XtmmResourceSpec } from "./dynamic";
import { isUnknown, log, stackConfig, type Props, type ResourceImplementation } from "./context";
import { checkTenantId, tenantChanged } from "./tenantInput";
import { checkInputs, settingDrift, type Inputs, type Outputs } from "./migrationApp/inputs";
import { rotationReason, rotationSchedule } from "./migrationApp/rotation";
import * as impl from "./migrationApp/converge";
import { remove } from "./migrationApp/teardown";
import { readTenantSettings } from "./tenant/settings";

export interface MigrationAppArgs {
  displayName: pulumi.Input<string>;
  /** The target tenant's directory (tenant) id, as the stack configures it (default: the provider's); another id replaces the app. */
  tenantId?: pulumi.Input<string>;
  /** Adopt the existing app registration with this application (client) id instead of creating one. */
  adoptAppId?: pulumi.Input<string>;
  /** The tag that finds this stack's app again; default `<project>/<stack>/<resource name>`. */
  naturalKey?: pulumi.Input<string>;
  /** ISO date the client secret ends; default now + 730 days (the longest the Entra portal offers). */
  secretEndDate?: pulumi.Input<string>;
  /** ISO date after which the next up rotates the secret. */
  rotateAfter?: pulumi.Input<string>;
  /** Any string; changing it rotates the secret. */
  rotationTrigger?: pulumi.Input<string>;
  /** Default and only accepted value https://office.com, unless allowNonstandardRedirectUri is true. */
  redirectUri?: pulumi.Input<string>;
  allowNonstandardRedirectUri?: pulumi.Input<boolean>;
}

const SPEC: XtmmResourceSpec = {
  kind: "migrationApp",
  type: "MigrationApp",
  outputs: [
    "tenantId",
    "appId",
    "applicationObjectId",
    "servicePrincipalId",
    "consentUrl",
    "mailboxMigrationRoleId",
    "secretKeyId",
    "secretStartDateTime",
    "secretEndDateTime",
    "clientSecret",
    "retiringSecretKeyIds",
    "adopted",
    "createdServicePrincipal",
    "original",
    "signInAudience",
    "redirectUris",
    "hasMailboxMigration",
    "hasUserRead",
    "secretPresent",
  ],
  secretOutputs: ["clientSecret"],
};

export class MigrationApp extends XtmmResource {
  declare readonly displayName: pulumi.Output<string>;
  declare readonly tenantId: pulumi.Output<string>;
  declare readonly appId: pulumi.Output<string>;
  declare readonly applicationObjectId: pulumi.Output<string>;
  declare readonly servicePrincipalId: pulumi.Output<string>;
  /** Admin consent link for the SOURCE tenant's administrator. */
  declare readonly consentUrl: pulumi.Output<string>;
  declare readonly mailboxMigrationRoleId: pulumi.Output<string>;
  declare readonly secretKeyId: pulumi.Output<string>;
  declare readonly secretStartDateTime: pulumi.Output<string>;
  declare readonly secretEndDateTime: pulumi.Output<string>;
  /** Secret output (additionalSecretOutputs). */
  declare readonly clientSecret: pulumi.Output<string>;
  /** Old secrets still valid; feed them to MigrationAppSecretRetirement ordered after the migration endpoint. */
  declare readonly retiringSecretKeyIds: pulumi.Output<string[]>;
  declare readonly adopted: pulumi.Output<boolean>;
  declare readonly createdServicePrincipal: pulumi.Output<boolean>;

  constructor(name: string, args: MigrationAppArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, pulumi.Input<unknown>> = {
      displayName: args.displayName,
      naturalKey: args.naturalKey ?? `${pulumi.getProject()}/${pulumi.getStack()}/${name}`,
    };
    for (const k of [
      "tenantId",
      "adoptAppId",
      "secretEndDate",
      "rotateAfter",
      "rotationTrigger",
      "redirectUri",
      "allowNonstandardRedirectUri",
    ] as const) {
      if (args[k] !== undefined) props[k] = args[k];
    }
    super(SPEC, name, props, opts);
  }
}

/** The stack configuration the resource depends on (target tenant id, sign-in, cloud), checked offline. */
function configFailures(): pulumi.dynamic.CheckFailure[] {
  try {
    readTenantSettings(stackConfig, "target");
    if (!stackConfig("sourceDomain") && !stackConfig("sourceTenantId")) {
      return [
        {
          property: "config:sourceDomain",
          reason:
            "stack configuration: missing; consentUrl is built for the source tenant: pulumi config set sourceDomain <name>.onmicrosoft.com",
        },
      ];
    }
    return [];
  } catch (e) {
    const problems = (e as { problems?: Array<{ key: string; message: string }> }).problems;
    if (!problems) throw e;
    return problems.map((p) => ({ property: `config:${p.key}`, reason: `stack configuration: ${p.message}` }));
  }
}

export const migrationAppImpl: ResourceImplementation<Inputs, Outputs> = {
  async check(_olds, news) {
    const now = Date.now();
    const tenant = checkTenantId(news, "target");
    const failures = [...checkInputs(news, now), ...configFailures(), ...tenant.failures];
    const inputs: Props = { ...tenant.inputs };
    delete inputs.rotation;
    const schedule = rotationSchedule(news, now);
    if (schedule !== undefined) inputs.rotation = schedule;
    return { inputs, failures };
  },

  async diff(_id, olds, news) {
    // Another app (adoptAppId) or another tenant is another object, not an update of this one.
    if (
      isUnknown(news.adoptAppId) ||
      ((news.adoptAppId ?? null) !== (olds.adoptAppId ?? null) && String(news.adoptAppId).toLowerCase() !== olds.appId)
    ) {
      return { changes: true, replaces: ["adoptAppId"] };
    }
    if (tenantChanged(olds, news)) return { changes: true, replaces: ["tenantId"] };
    const reason = rotationReason(olds, news, Date.now());
    const drift = settingDrift(olds, news);
    if (!reason && drift.length === 0) return { changes: false };
    // The Node host cannot send a detailed diff: say on the console what the update will do and why.
    const who = `MigrationApp "${olds.displayName}" (${olds.appId})`;
    if (reason)
      log.info(
        `${who}: the next up ROTATES the client secret: ${reason}. The current secret stays valid until MigrationAppSecretRetirement removes it.`,
      );
    if (drift.length > 0) log.info(`${who}: the next up changes ${drift.join("; ")}.`);
    return { changes: true, replaces: [] };
  },

  create: async (inputs) => {
    const outs = await impl.create(inputs);
    return { id: outs.applicationObjectId, outs };
  },
  read: (id, props) => impl.read(id, props),
  update: async (_id, olds, news) => ({ outs: await impl.update(olds, news) }),
  delete: (_id, props) => remove(props),
};
