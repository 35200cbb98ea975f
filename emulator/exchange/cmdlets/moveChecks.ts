// Why a user cannot move, checked as its sync runs, in the order of Microsoft's list of move failures: the
// target is a MailUser, the batch's endpoint reaches the source, the source mailbox is found by ExchangeGuid,
// the X500 proxy, archive and auxiliary archives match, the target delivery domain is a proxy, the mailbox is in
// the published migration scope (a knob), and one side holds the cross-tenant licence.

import { findTenant, type EmulatorState, type Rec, type TenantState } from "../../model";
import type { ExchangeKnobs } from "../knobs";
import { findAll } from "../lookup";
import { INTERNAL_PREFIX } from "../recipient";
import { ZERO_GUID } from "../../../domain/ids";
import { TARGET } from "./batchUsers";
import { crossTenantProblem } from "./crossTenantCheck";
import { SECRET } from "./endpoints";

const CTMM_SKU_PART = /cross.?tenant.?user.?data.?migration/i;

/**
 * Why a live test move (Test-MigrationServerAvailability -Endpoint -TestMailbox) of the target MailUser would
 * fail: the same reasons a batch's move fails with, minus the batch's TargetDeliveryDomain.
 */
export function liveTestProblem(
  state: EmulatorState,
  t: TenantState,
  endpoint: Rec,
  mailUser: Rec,
  now: number,
  knobs: ExchangeKnobs,
  consentMs: number,
): [string, string] | undefined {
  const b: Rec = { SourceEndpoint: endpoint.Name, TargetDeliveryDomain: null };
  const u: Rec = { [TARGET]: String(mailUser.Guid), EmailAddress: mailUser.PrimarySmtpAddress };
  return userProblem(state, t, b, u, endpoint, now, knobs, consentMs);
}

/** [exception type, text] of the first reason this user cannot move, following Microsoft's list of failures. */
export function userProblem(
  state: EmulatorState,
  t: TenantState,
  b: Rec,
  u: Rec,
  endpoint: Rec | undefined,
  now: number,
  knobs: ExchangeKnobs,
  consentMs: number,
): [string, string] | undefined {
  const target = t.exchange.recipients.get(String(u[TARGET]).toLowerCase())?.obj;
  if (!target || target.RecipientTypeDetails !== "MailUser") {
    return [
      "MigrationUserTypeIncorrectException",
      `The migration user type for '${u.EmailAddress}' is not correct. Please ensure it has RecipientTypeDetails:MailUser`,
    ];
  }
  if (!endpoint || !endpoint.RemoteTenant)
    return [
      "MigrationEndpointNotFoundException",
      `The migration endpoint '${b.SourceEndpoint}' isn't a cross-tenant endpoint.`,
    ];
  const problem = crossTenantProblem(
    { state, tenant: t, now, consentPropagationMs: consentMs },
    {
      remoteServer: String(endpoint.RemoteServer),
      remoteTenant: String(endpoint.RemoteTenant),
      applicationId: endpoint.ApplicationId as string,
      credential: (endpoint[SECRET] as { userName: string; password: string }) ?? undefined,
    },
  );
  if (problem) return ["MigrationServerConnectionFailedException", problem];
  const source = findTenant(state, String(endpoint.RemoteTenant))!;
  if (target.ExchangeGuid === ZERO_GUID)
    return ["MissingExchangeGuidException", `The target MailUser '${u.EmailAddress}' has no ExchangeGuid.`];
  const src = [...source.exchange.recipients.values()].find(
    (s) => s.obj.RecipientType === "UserMailbox" && s.obj.ExchangeGuid === target.ExchangeGuid,
  )?.obj;
  if (!src)
    return [
      "SourceMailboxNotFoundException",
      `No mailbox with ExchangeGuid '${target.ExchangeGuid}' was found in '${source.initialDomain}'.`,
    ];
  const proxies = (target.EmailAddresses as string[]).map((p) => p.toLowerCase());
  if (!proxies.includes(`x500:${String(src.LegacyExchangeDN).toLowerCase()}`)) {
    return ["MissingLegacyExchangeDNException", "LegacyExchangeDN not found as an X500 ProxyAddress on Target Object."];
  }
  if (src.ArchiveGuid !== ZERO_GUID && target.ArchiveGuid !== src.ArchiveGuid) {
    return ["ArchiveGuidMismatchException", `ArchiveGuid mismatch. Expected value: ${src.ArchiveGuid}`];
  }
  const aux = ((src.MailboxLocations as string[]) ?? []).filter((l) => l.includes(";AuxArchive;")).length;
  if (aux > 12)
    return [
      "AuxArchiveNotFoundInTargetRecipientException",
      `The source mailbox has ${aux} auxiliary archives; at most 12 can move.`,
    ];
  const domain = String(b.TargetDeliveryDomain ?? "").toLowerCase();
  // A live test move names no delivery domain (liveTestProblem): only a batch's move checks it.
  if (b.TargetDeliveryDomain !== null && !proxies.some((p) => p.startsWith("smtp:") && p.endsWith(`@${domain}`))) {
    return [
      "TargetDeliveryDomainMismatchPermanentException",
      `The target MailUser has no proxy address in the target delivery domain '${b.TargetDeliveryDomain}'.`,
    ];
  }
  if (knobs.enforceMigrationScope) {
    const scope = scopeProblem(t, source, src, endpoint);
    if (scope) return ["MailboxNotInCrossTenantMigrationScopeException", scope];
  }
  if (!licensed(t, target) && !licensed(source, src)) {
    return [
      "CrossTenantMigrationWithoutLicensePermanentException",
      // Microsoft's text (https://learn.microsoft.com/microsoft-365/enterprise/cross-tenant-mailbox-migration, "Licensing").
      `No license was found for the source recipient, '${src.Guid}', or the target recipient, '${target.Guid}'. A Cross-tenant User Data Migration license is required to move a mailbox between tenants.`,
    ];
  }
  return undefined;
}

function capabilities(r: Rec): string[] {
  return String(r.MailboxMoveCapability ?? "")
    .split(",")
    .map((c) => c.trim().toLowerCase());
}

function scopeProblem(target: TenantState, source: TenantState, mbx: Rec, endpoint: Rec): string | undefined {
  const rel = (t: TenantState, partner: TenantState) =>
    [...t.exchange.organizationRelationships.values()]
      .map((s) => s.obj)
      .find((r) => (r.DomainNames as string[]).some((d) => d.toLowerCase() === partner.tenantId.toLowerCase()));
  const inbound = rel(target, source);
  if (!inbound || inbound.MailboxMoveEnabled !== true || !capabilities(inbound).includes("inbound")) {
    return `The target organization relationship for tenant '${source.tenantId}' doesn't allow inbound mailbox moves.`;
  }
  const outbound = rel(source, target);
  if (!outbound || outbound.MailboxMoveEnabled !== true || !capabilities(outbound).includes("remoteoutbound")) {
    return `The source organization relationship for tenant '${target.tenantId}' doesn't allow outbound mailbox moves.`;
  }
  if (String(outbound.OAuthApplicationId ?? "").toLowerCase() !== String(endpoint.ApplicationId ?? "").toLowerCase()) {
    return `The source organization relationship doesn't name the migration application '${endpoint.ApplicationId}'.`;
  }
  const scopes = (outbound.MailboxMovePublishedScopes as string[]) ?? [];
  const inScope = scopes.some((name) => {
    const g = findAll(source.exchange.recipients, name)[0]?.obj;
    return !!g && ((g[`${INTERNAL_PREFIX}members`] as string[]) ?? []).includes(String(mbx.Guid));
  });
  if (!inScope)
    return `The mailbox '${mbx.PrimarySmtpAddress}' isn't in the migration scope published by the source organization relationship.`;
  return undefined;
}

function licensed(t: TenantState, r: Rec): boolean {
  if (((r.PersistedCapabilities as string[]) ?? []).includes("ExchangeT2TMbxMove")) return true;
  const skus = t.directory.subscribedSkus
    .filter((s) => CTMM_SKU_PART.test(String(s.skuPartNumber)))
    .map((s) => String(s.skuId).toLowerCase());
  const user = t.directory.users.get(String(r.ExternalDirectoryObjectId))?.obj;
  return !!user && ((user.assignedLicenses as Rec[]) ?? []).some((l) => skus.includes(String(l.skuId).toLowerCase()));
}
