// MigrationEndpoint: the target tenant's cross-tenant migration endpoint (Microsoft's guide, target step 2):
//   New-MigrationEndpoint -ExchangeRemoteMove -RemoteServer <cloud's host> -RemoteTenant <source initial domain>
//     -ApplicationId <appId> -Credentials <PSCredential(appId, secret)> -Name <name>
// Created through the PowerShell runner (REST cannot carry the PSCredential); read and removed over REST.
// Exchange verifies the app against the SOURCE tenant when the endpoint is created, so create waits, bounded
// by `propagationTimeoutSeconds` counted from `consentedAt`, for the source consent to reach Exchange.
//
// Secret rotation is IN PLACE: `Set-MigrationEndpoint -Identity <name> -Credentials <PSCredential>` in
// PowerShell. Microsoft's cmdlet reference (emulator/reference/exchange-cmdlets.json) lists -Credentials (and
// -ApplicationId) on Set-MigrationEndpoint as applicable to Exchange Online, and an endpoint in place keeps
// the migration batches that name it working, where a replacement would first have to remove them
// (Remove-MigrationEndpoint refuses while a batch uses the endpoint). It is unconfirmed whether
// Microsoft re-verifies a cross-tenant credential on Set; if it does not, the next move surfaces a bad
// secret (AADSTS7000215), never a silent success. Rotation is seen through `secretKeyId`, since the secret
// itself is kept out of outputs.
//
// Create is create-or-adopt by name: an endpoint of that name which matches (type, RemoteServer,
// RemoteTenant, ApplicationId) is adopted and left in place on destroy; one that does not match is an error
// naming each field. With `adopt: true` (engineers who cannot run pwsh) nothing is created: a hand-made
// endpoint is verified over REST, or the error prints the exact command to run, secret left out.
//
// Destroy removes the endpoint unless migration batches still use it: completed batches are left as the
// record of the moves, and Exchange refuses to remove an endpoint a batch names. The endpoint is then left in
// place with a warning naming the batches and the commands that remove them and it (inUseWarning.ts).

import * as pulumi from "@pulumi/pulumi";
import { XtmmResource, type Anchored, type XtmmResourceSpec } from "./dynamic";
import { isUnknown, log, stackConfig, type ResourceImplementation, gone } from "./context";
import { waitFor } from "./exchangeFailure";
import { checkInputs, diffInputs, type Inputs, type Outputs } from "./migrationEndpoint/inputs";
import { checkRemoteServer, type ConfiguredCloud } from "./migrationEndpoint/remote";
import { contextFor, outputsOf } from "./migrationEndpoint/endpoint";
import { convergePlain, createOrAdopt } from "./migrationEndpoint/createOrAdopt";
import * as service from "./migrationEndpoint/converge";
import { inUseWarning } from "./migrationEndpoint/inUseWarning";
import { readTenantSettings } from "./tenant/settings";
import { ConfigError } from "./tenant/errors";
import { checkTenantId } from "./tenantInput";

export type {
  Inputs as MigrationEndpointInputs,
  Outputs as MigrationEndpointOutputs,
} from "./migrationEndpoint/inputs";

export interface MigrationEndpointArgs extends Anchored {
  /** The target tenant's directory (tenant) id, as the stack configures it (default: the provider's); another id replaces the endpoint. */
  tenantId?: pulumi.Input<string>;
  /** The endpoint's name; migration batches name it as -SourceEndpoint. Changing it replaces the endpoint. */
  name: pulumi.Input<string>;
  /** The migration app's application (client) id. */
  appId: pulumi.Input<string>;
  /** The migration app's client secret value; stored as a secret, never output. Not needed with `adopt`. */
  clientSecret?: pulumi.Input<string>;
  /** keyId of that secret; a new one rotates the endpoint's credential in place. */
  secretKeyId?: pulumi.Input<string>;
  /** The SOURCE tenant's initial domain (e.g. fabrikam.onmicrosoft.com). */
  remoteTenant: pulumi.Input<string>;
  /**
   * The endpoint's RemoteServer, the stack's cloud's (e.g. outlook.office.com); check fills it in from the
   * configuration when absent and refuses another. An endpoint found with another one is set back in place.
   */
  remoteServer?: pulumi.Input<string>;
  /** When the source consent was granted (AdminConsent.consentedAt); the propagation wait counts from it. */
  consentedAt?: pulumi.Input<string>;
  /** Longest wait for the source consent to reach Exchange (default 600 s). */
  propagationTimeoutSeconds?: pulumi.Input<number>;
  /** Verify and adopt an endpoint made by hand instead of creating one (no pwsh needed); never removed by destroy. */
  adopt?: pulumi.Input<boolean>;
  maxConcurrentMigrations?: pulumi.Input<number>;
}

const SPEC: XtmmResourceSpec = {
  kind: "migrationEndpoint",
  type: "MigrationEndpoint",
  outputs: [
    "name",
    "identity",
    "guid",
    "endpointType",
    "remoteServer",
    "remoteTenant",
    "applicationId",
    "maxConcurrentMigrations",
    "secretKeyId",
    "adopted",
    "tenantId",
  ],
};

export class MigrationEndpoint extends XtmmResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly identity: pulumi.Output<string>;
  declare readonly guid: pulumi.Output<string | null>;
  declare readonly endpointType: pulumi.Output<string>;
  declare readonly remoteServer: pulumi.Output<string>;
  declare readonly remoteTenant: pulumi.Output<string>;
  declare readonly applicationId: pulumi.Output<string>;
  declare readonly maxConcurrentMigrations: pulumi.Output<number | string | null>;
  declare readonly secretKeyId: pulumi.Output<string | null>;
  declare readonly adopted: pulumi.Output<boolean>;
  declare readonly tenantId: pulumi.Output<string>;

  constructor(name: string, args: MigrationEndpointArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, pulumi.Input<unknown>> = {};
    for (const [k, v] of Object.entries(args)) if (v !== undefined) props[k] = v;
    // Secret whatever the caller passed, so the state never holds it in plain text.
    if (args.clientSecret !== undefined) props.clientSecret = pulumi.secret(args.clientSecret);
    super(SPEC, name, props, opts);
  }
}

type RemoveOutcome = import("./migrationEndpoint/converge").RemoveOutcome;

/** The target's cloud as the stack configures it; throws only when the host was never configured. */
function configuredCloud(): ConfiguredCloud | undefined {
  try {
    return readTenantSettings(stackConfig, "target").cloud;
  } catch (e) {
    // Settings problems are reported by the calls that need them; check still verifies the rest.
    if (e instanceof ConfigError) return undefined;
    throw e;
  }
}

export const migrationEndpointImpl: ResourceImplementation<Inputs, Outputs> = {
  async check(_olds, news) {
    const checked = await checkInputs(news);
    const server = checkRemoteServer(news, configuredCloud());
    const tenant = checkTenantId(server.inputs, "target");
    return {
      inputs: tenant.inputs,
      failures: [...(checked.failures ?? []), ...server.failures, ...tenant.failures],
    };
  },

  async diff(_id, olds, news) {
    return diffInputs(olds, news);
  },

  create: createOrAdopt,

  async read(id, props) {
    const ctx = contextFor({ name: props.name ?? id }, id);
    const ep = await service.findEndpoint(ctx, props.identity ?? id);
    if (!ep) return gone();
    return { id, props: outputsOf(ctx, ep, props.secretKeyId ?? null, props.adopted === true) };
  },

  async update(id, olds, news) {
    const svc = service;
    const ctx = contextFor(news, olds.name);
    let ep = await svc.findEndpoint(ctx, olds.identity ?? id);
    if (!ep) {
      // Removed since the last refresh: make it again (or, in adopt mode, say how).
      log.warn(`MigrationEndpoint '${ctx.name}' is gone from the target tenant; creating it again.`);
      const { outs } = await createOrAdopt(news);
      return { outs: { ...outs, adopted: outs.adopted && olds.adopted === true } };
    }
    // What Set-MigrationEndpoint cannot change is planned as a replacement by diff; meeting it here means
    // the service changed after the plan.
    const fixed = svc.mismatches(ctx, ep).filter((m) => /^(EndpointType|RemoteTenant)/.test(m));
    if (fixed.length > 0) {
      throw new Error(
        `Migration endpoint '${ctx.name}' cannot be updated in place (${fixed.join("; ")}); run 'pulumi refresh', then 'pulumi up' replaces it.`,
      );
    }
    const appIdDrift = String(ep.ApplicationId ?? "").toLowerCase() !== ctx.appId.toLowerCase();
    const rotated =
      news.secretKeyId !== undefined &&
      !isUnknown(news.secretKeyId) &&
      news.secretKeyId.toLowerCase() !== String(olds.secretKeyId ?? "").toLowerCase();
    let secretKeyId = olds.secretKeyId ?? null;
    if (appIdDrift || rotated) {
      await svc.setCredential(ctx, ep.Identity ?? ctx.name, appIdDrift);
      secretKeyId = ctx.secretKeyId ?? null;
      log.info(
        `MigrationEndpoint '${ctx.name}': credential updated in place` +
          `${appIdDrift ? ` (ApplicationId was '${ep.ApplicationId}', now ${ctx.appId})` : ""}${rotated ? ` (secret keyId ${secretKeyId})` : ""}.`,
      );
    }
    const changed = (await convergePlain(ctx, ep)) || appIdDrift || rotated;
    if (changed) ep = (await svc.findEndpoint(ctx, ctx.name)) ?? ep;
    return { outs: outputsOf(ctx, ep, secretKeyId, olds.adopted === true) };
  },

  async delete(id, props) {
    const ctx = contextFor({ name: props.name ?? id }, id);
    if (props.adopted === true) {
      log.info(
        `MigrationEndpoint '${ctx.name}': adopted, not made by this stack, so it is left in place in the target tenant.`,
      );
      return;
    }
    const svc = service;
    const identity = props.identity ?? id;
    let outcome = await svc.removeEndpoint(ctx, identity);
    // Destroy removes a batch that moved nothing just before this; Exchange shows it "Removing" for a while,
    // and it still counts as using the endpoint. Only that is waited for (bounded).
    const onlyLeaving = (o: RemoveOutcome) => o.result === "in-use" && o.batches.every((b) => b.status === "Removing");
    if (onlyLeaving(outcome)) {
      await waitFor(`the migration batches of endpoint '${ctx.name}' to finish removing`, async () => {
        outcome = await svc.removeEndpoint(ctx, identity);
        return onlyLeaving(outcome) ? undefined : true;
      });
    }
    if (outcome.result === "gone") log.info(`MigrationEndpoint '${ctx.name}': already gone from the target tenant.`);
    if (outcome.result === "in-use") log.warn(inUseWarning(ctx.name, outcome.batches));
  },
};
