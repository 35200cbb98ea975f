// Exchange's organisation relationship cmdlets as OrganizationRelationship uses them: list and read back
// (Get-OrganizationRelationship), create (New-, a lost answer resolved by finding ours), set only the move settings
// (Set-), and the errors that say what to do (a dehydrated tenant, a scope Exchange dropped).

import type { Props } from "../context";
import type { TenantClient } from "../tenant";
import type { TenantRole } from "../tenant/settings";
import { isDehydrated, kindOf, maybeApplied, message, waitFor } from "../exchangeFailure";
import type { Inputs } from "./inputs";
import { scopesMatch, type Scope } from "./scopes";
import {
  RELATIONSHIP_SELECT,
  capabilityValue,
  hasPartner,
  nextCapabilities,
  optionalString,
  parseCapabilities,
  sameSet,
  stringList,
  type Relationship,
} from "./model";

export function describe(role: TenantRole, client: TenantClient, partner: string): string {
  return `the organization relationship with partner tenant ${partner} in tenant ${client.settings.tenantId} (${role})`;
}

export async function list(client: TenantClient, who: string): Promise<Relationship[]> {
  try {
    return (
      await client.exchange.invoke<Relationship>("Get-OrganizationRelationship", {}, { select: RELATIONSHIP_SELECT })
    ).value;
  } catch (e) {
    throw new Error(`Reading ${who} (Get-OrganizationRelationship): ${message(e)}`);
  }
}

export function only(hits: Relationship[], who: string): Relationship | undefined {
  if (hits.length > 1) {
    throw new Error(
      `Reading ${who}: ${hits.length} relationships list that tenant (${hits.map((r) => r.Name).join(", ")}); keep one and run up again.`,
    );
  }
  return hits[0];
}

export async function readBack(client: TenantClient, guid: string, who: string): Promise<Relationship> {
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

export function dehydrated(client: TenantClient, who: string, action: string): Error {
  return new Error(
    `${action} ${who}: the tenant is dehydrated, and Exchange refuses relationship changes until organization customization ` +
      `is enabled. Enable organization customization first (the OrganizationCustomization resource for tenant ${client.settings.tenantId}, ` +
      "which the stack orders before the relationships), then run up again.",
  );
}

export async function create(
  client: TenantClient,
  inputs: Inputs,
  all: Relationship[],
  who: string,
): Promise<Relationship> {
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

export async function apply(
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
export function refuseDroppedScopes(warnings: string[], who: string): void {
  const dropped = warnings.filter((w) => /not a security group/i.test(w));
  if (dropped.length)
    throw new Error(
      `${who}: Exchange did not publish the scope: ${dropped.join(" ")} Use a mail-enabled security group.`,
    );
}
