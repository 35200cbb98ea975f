// The Exchange side of OrganizationRelationship: find the relationship by the partner tenant id in
// DomainNames (Microsoft's guide does the same), create it or adopt it, set only the move settings, and
// on delete take back only what this stack added (model.ts, planRelease): what an adopted relationship had is
// restored, and one this stack created stays while the other direction of a move back still uses it.

import { log, tenantFor, type Props } from "../context";
import type { TenantClient } from "../tenant";
import type { TenantRole } from "../tenant/settings";
import { isDehydrated, kindOf, maybeApplied, message, waitFor } from "../exchangeFailure";
import type { Inputs, Outputs } from "./inputs";
import { resolveScopes, scopesMatch, type Scope } from "./scopes";
import {
  RELATIONSHIP_SELECT,
  capabilityValue,
  canonicalCapabilities,
  hasPartner,
  minus,
  nextCapabilities,
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

function describe(role: TenantRole, client: TenantClient, partner: string): string {
  return `the organization relationship with partner tenant ${partner} in tenant ${client.settings.tenantId} (${role})`;
}

async function list(client: TenantClient, who: string): Promise<Relationship[]> {
  try {
    return (
      await client.exchange.invoke<Relationship>("Get-OrganizationRelationship", {}, { select: RELATIONSHIP_SELECT })
    ).value;
  } catch (e) {
    throw new Error(`Reading ${who} (Get-OrganizationRelationship): ${message(e)}`);
  }
}

function only(hits: Relationship[], who: string): Relationship | undefined {
  if (hits.length > 1) {
    throw new Error(
      `Reading ${who}: ${hits.length} relationships list that tenant (${hits.map((r) => r.Name).join(", ")}); keep one and run up again.`,
    );
  }
  return hits[0];
}

async function readBack(client: TenantClient, guid: string, who: string): Promise<Relationship> {
  const probe = async () => {
    try {
      return (
        await client.exchange.invoke<Relationship>(
          "Get-OrganizationRelationship",
          { Identity: guid },
          { select: RELATIONSHIP_SELECT },
        )
      ).value[0];
    } catch (e) {
      if (kindOf(e) === "NotFound") return undefined;
      throw new Error(`Reading ${who} (Get-OrganizationRelationship): ${message(e)}`);
    }
  };
  const r = await waitFor(`${who} to become readable`, probe);
  if (!r)
    throw new Error(
      `Reading ${who}: Exchange created it (${guid}) but does not show it yet; run up again in a few minutes.`,
    );
  return r;
}

function dehydrated(client: TenantClient, who: string, action: string): Error {
  return new Error(
    `${action} ${who}: the tenant is dehydrated, and Exchange refuses relationship changes until organization customization ` +
      `is enabled. Enable organization customization first (the OrganizationCustomization resource for tenant ${client.settings.tenantId}, ` +
      "which the stack orders before the relationships), then run up again.",
  );
}

async function create(client: TenantClient, inputs: Inputs, all: Relationship[], who: string): Promise<Relationship> {
  const clash = all.find((r) => r.Name.toLowerCase() === inputs.name.toLowerCase());
  if (clash) {
    throw new Error(
      `Creating ${who}: the name '${inputs.name}' is taken by a relationship for other domains (${stringList(clash.DomainNames).join(", ")}); ` +
        "choose another name for this resource.",
    );
  }
  const params: Props = {
    Name: inputs.name,
    DomainNames: [inputs.partnerTenantId],
    Enabled: true,
    MailboxMoveEnabled: true,
    MailboxMoveCapability: capabilityValue(inputs.capabilities),
  };
  if (inputs.oauthApplicationId) params.OAuthApplicationId = inputs.oauthApplicationId;
  if (inputs.publishedScopes) params.MailboxMovePublishedScopes = inputs.publishedScopes;
  const findOurs = async () => (await list(client, who)).find((r) => hasPartner(r, inputs.partnerTenantId));
  try {
    const res = await client.exchange.invoke<Relationship>("New-OrganizationRelationship", params);
    refuseDroppedScopes(res.warnings, who);
    const made = res.value[0] ?? (await waitFor(`${who} to become readable`, findOurs));
    if (!made)
      throw new Error(
        "Exchange answered without the new relationship and does not list it yet; run up again in a few minutes.",
      );
    return made;
  } catch (e) {
    if (isDehydrated(e)) throw dehydrated(client, who, "Creating");
    // A lost answer (or a retry that finds our first attempt): the relationship we looked for a moment
    // ago and did not find is ours if it shows up now.
    if (maybeApplied(e) || kindOf(e) === "AlreadyExists") {
      const ours = await waitFor(`${who} after an unanswered New-OrganizationRelationship`, findOurs);
      if (ours) return ours;
    }
    throw new Error(`Creating ${who} (New-OrganizationRelationship '${inputs.name}'): ${message(e)}`);
  }
}

async function apply(
  client: TenantClient,
  r: Relationship,
  inputs: Inputs,
  scopes: Scope[] | undefined,
  desired: string[],
  previouslyAdded: string[],
  who: string,
): Promise<void> {
  const params: Props = {};
  if (r.Enabled !== true) params.Enabled = true;
  if (r.MailboxMoveEnabled !== true) params.MailboxMoveEnabled = true;
  const current = parseCapabilities(r.MailboxMoveCapability);
  const next = nextCapabilities(current, desired, previouslyAdded);
  if (!sameSet(current, next)) params.MailboxMoveCapability = capabilityValue(next);
  const app = inputs.oauthApplicationId;
  if (app && (optionalString(r.OAuthApplicationId) ?? "").toLowerCase() !== app.toLowerCase())
    params.OAuthApplicationId = app;
  if (scopes && !scopesMatch(stringList(r.MailboxMovePublishedScopes), scopes))
    params.MailboxMovePublishedScopes = scopes.map((s) => s.requested);
  if (Object.keys(params).length === 0) return;
  try {
    // Setting values is idempotent, so the tenant layer may resend it after a lost answer.
    const res = await client.exchange.invoke(
      "Set-OrganizationRelationship",
      { Identity: r.Guid, ...params },
      { idempotent: true },
    );
    refuseDroppedScopes(res.warnings, who);
  } catch (e) {
    if (isDehydrated(e)) throw dehydrated(client, who, "Setting the move settings of");
    throw new Error(
      `Setting the move settings of ${who} (${r.Name}: ${Object.keys(params).join(", ")}): ${message(e)}`,
    );
  }
}

/** Exchange drops a scope that is not a mail-enabled security group with only a warning; we do not. */
function refuseDroppedScopes(warnings: string[], who: string): void {
  const dropped = warnings.filter((w) => /not a security group/i.test(w));
  if (dropped.length)
    throw new Error(
      `${who}: Exchange did not publish the scope: ${dropped.join(" ")} Use a mail-enabled security group.`,
    );
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
