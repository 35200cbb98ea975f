// The Exchange side of OrganizationRelationship: find the relationship by the partner tenant id in
// DomainNames (Microsoft's guide does the same), create it or adopt it, set only the move settings, and
// on delete take back only what this stack added (model.ts, planRelease): what an adopted relationship had is
// restored, and one this stack created stays while the other direction of a move back still uses it.

import { log, tenantFor } from "../context";
import type { TenantClient } from "../tenant";
import { kindOf, message } from "../exchangeFailure";
import type { Inputs, Outputs } from "./inputs";
import { resolveScopes, type Scope } from "./scopes";
import { apply, create, describe, list, only, readBack } from "./relationships";
import {
  canonicalCapabilities,
  hasPartner,
  minus,
  optionalString,
  parseCapabilities,
  planRelease,
  sameSet,
  snapshot,
  stringList,
  type PriorMoveSettings,
  type Relationship,
} from "./model";

export async function converge(inputs: Inputs, prior?: Outputs): Promise<Outputs> {
  const client = tenantFor(inputs.tenant);
  const who = describe(inputs.tenant, client, inputs.partnerTenantId);
  const scopes = inputs.publishedScopes ? await resolveScopes(client, inputs.publishedScopes, who) : undefined;
  const desired = canonicalCapabilities(inputs.capabilities);
  const all = await list(client, who);
  let found = only(
    all.filter((r) => hasPartner(r, inputs.partnerTenantId)),
    who,
  );
  let adopted: boolean;
  let original: PriorMoveSettings | null;
  if (!found) {
    if (prior?.adopted)
      log.warn(
        `${who}: the relationship adopted earlier (${prior.identity}) is gone; creating one, which destroy will remove.`,
      );
    found = await create(client, inputs, all, who);
    adopted = false;
    original = null;
  } else if (prior && prior.guid.toLowerCase() === found.Guid.toLowerCase()) {
    adopted = prior.adopted;
    original = prior.original;
  } else {
    adopted = true;
    original = snapshot(found);
    log.info(
      `${who}: adopting the existing relationship '${found.Name}'; only its move settings change, and destroy restores them.`,
    );
  }
  const added = original ? minus(desired, original.mailboxMoveCapability) : desired;
  await apply(client, found, inputs, scopes, desired, prior?.addedCapabilities ?? [], who);
  const after = await readBack(client, found.Guid, who);
  return outputs(client, inputs, after, { adopted, original, added, scopes });
}

/** The service's view for refresh; undefined when the relationship is gone. */
export async function observe(props: Outputs): Promise<Outputs | undefined> {
  const client = tenantFor(props.tenant);
  const who = describe(props.tenant, client, props.partnerTenantId);
  const found = only(
    (await list(client, who)).filter((r) => hasPartner(r, props.partnerTenantId)),
    who,
  );
  if (!found) return undefined;
  return { ...props, ...observed(found), identity: found.Name, guid: found.Guid };
}

/**
 * What an input asks for that the relationship, as last read, lacks: a needed MailboxMoveCapability, the app
 * id, the published scopes (the rules diff uses). Enabled and MailboxMoveEnabled are drift too, but no input
 * names them.
 */
function inputDrift(o: Outputs): {
  capabilities?: string[];
  oauthApplicationId?: string | null;
  publishedScopes?: string[];
} {
  const out: ReturnType<typeof inputDrift> = {};
  const current = o.mailboxMoveCapability ?? [];
  if (minus(o.capabilities ?? [], current).length)
    out.capabilities = o.capabilities.filter((c) => !minus([c], current).length);
  if (
    o.oauthApplicationId !== null &&
    (o.currentOAuthApplicationId ?? "").toLowerCase() !== String(o.oauthApplicationId).toLowerCase()
  ) {
    out.oauthApplicationId = o.currentOAuthApplicationId;
  }
  if (o.publishedScopes !== null && !sameSet(o.currentPublishedScopes ?? [], o.expectedPublishedScopes ?? []))
    out.publishedScopes = o.currentPublishedScopes;
  return out;
}

/**
 * The inputs as the relationship now has them, for read to hand the engine while it shows drift in one of them
 * (or showed it at the last refresh): what was asked for (the outputs echo it), with each drifted input as
 * found, so the change plan names it. `capabilities` lists the needed ones the relationship still has;
 * capabilities someone else set are not listed, as the up leaves them. Undefined when there is nothing to show.
 */
export function observedInputs(prior: Outputs, now: Outputs): Inputs | undefined {
  const drift = inputDrift(now);
  if (Object.keys(drift).length === 0 && Object.keys(inputDrift(prior)).length === 0) return undefined;
  // The tenant it was read in stays an input, so the next plan does not show it as added.
  const inputs: Inputs = {
    tenant: now.tenant,
    ...(now.tenantId ? { tenantId: now.tenantId } : {}),
    partnerTenantId: now.partnerTenantId,
    name: now.name,
    capabilities: now.capabilities,
  };
  if (now.oauthApplicationId !== null) inputs.oauthApplicationId = now.oauthApplicationId;
  if (now.publishedScopes !== null) inputs.publishedScopes = now.publishedScopes;
  return { ...inputs, ...drift } as Inputs;
}

export async function release(props: Outputs): Promise<void> {
  const client = tenantFor(props.tenant);
  const who = describe(props.tenant, client, props.partnerTenantId);
  const found = only(
    (await list(client, who)).filter((r) => hasPartner(r, props.partnerTenantId)),
    who,
  );
  if (!found) {
    log.info(`${who}: already gone; nothing to ${props.adopted ? "restore" : "remove"}.`);
    return;
  }
  const plan = planRelease(found, props);
  if (plan.remove) {
    try {
      await client.exchange.invoke(
        "Remove-OrganizationRelationship",
        { Identity: found.Guid, Confirm: false },
        { idempotent: true },
      );
    } catch (e) {
      if (kindOf(e) === "NotFound") return;
      throw new Error(`Removing ${who} (${found.Name}): ${message(e)}`);
    }
    return;
  }
  if (Object.keys(plan.params).length > 0) {
    try {
      await client.exchange.invoke(
        "Set-OrganizationRelationship",
        { Identity: found.Guid, ...plan.params },
        { idempotent: true },
      );
    } catch (e) {
      throw new Error(`Restoring the original move settings of ${who} (${found.Name}): ${message(e)}`);
    }
  }
  if (plan.others.length > 0) {
    log.info(
      `${who}: '${found.Name}' also carries ${plan.others.join(", ")}, which this stack did not set (the other direction of a move back, ` +
        "or set by hand); it stays with those, and only this stack's move settings were taken away.",
    );
  } else if (
    parseCapabilities(plan.params.MailboxMoveCapability ?? found.MailboxMoveCapability).length === 0 &&
    (props.original?.mailboxMoveCapability.length ?? 0) > 0
  ) {
    // The stack that made it (the forward direction of a move back) let go of it first and left it to us.
    log.warn(
      `${who}: '${found.Name}' now has no move capability left: whoever set ${props.original!.mailboxMoveCapability.join(", ")} ` +
        "before this stack adopted it has taken it away since. This stack did not create the relationship and leaves it; remove it " +
        `with Remove-OrganizationRelationship -Identity "${found.Name}" if nothing else (free/busy sharing) uses it.`,
    );
  } else {
    log.info(
      `${who}: restored the move settings '${found.Name}' had before this stack adopted it; the relationship stays.`,
    );
  }
}

function observed(r: Relationship) {
  return {
    enabled: r.Enabled === true,
    mailboxMoveEnabled: r.MailboxMoveEnabled === true,
    mailboxMoveCapability: parseCapabilities(r.MailboxMoveCapability),
    currentOAuthApplicationId: optionalString(r.OAuthApplicationId),
    currentPublishedScopes: stringList(r.MailboxMovePublishedScopes),
  };
}

function outputs(
  client: TenantClient,
  inputs: Inputs,
  r: Relationship,
  o: { adopted: boolean; original: PriorMoveSettings | null; added: string[]; scopes?: Scope[] },
): Outputs {
  const seen = observed(r);
  return {
    tenant: inputs.tenant,
    tenantId: client.settings.tenantId,
    partnerTenantId: inputs.partnerTenantId,
    name: inputs.name,
    capabilities: canonicalCapabilities(inputs.capabilities),
    oauthApplicationId: inputs.oauthApplicationId ?? null,
    publishedScopes: inputs.publishedScopes ?? null,
    identity: r.Name,
    guid: r.Guid,
    adopted: o.adopted,
    original: o.original,
    addedCapabilities: o.added,
    ...seen,
    expectedPublishedScopes: o.scopes ? seen.currentPublishedScopes : [],
  };
}
