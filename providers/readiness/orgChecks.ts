// The organisation checks of Microsoft's validator (`-CheckOrgs`): the
// migration app in the target (redirect https://office.com, requires Exchange Online), the migration
// endpoint, the app's service principal in the source owned by the target tenant, both organisation
// relationships (partner tenant id, moves enabled, capability, published scope) and the scope group. Pure.
// A blocking organisation finding blocks every user of the wave: no move can run without it.

import { FIRST_PARTY } from "../tenant/clouds";
import {
  guid,
  list,
  str,
  type Finding,
  type Listed,
  type NotChecked,
  type Side,
  type SourceFacts,
  type TargetFacts,
} from "./model";
import { lower } from "../../domain/text";

export const REDIRECT_URI = "https://office.com";
export const ENDPOINT_TYPE = "ExchangeRemoteMove";

export interface OrgCheckContext {
  /** Unknown (preview of a run that creates the app) → undefined. */
  appId?: string;
  endpointName?: string;
  scopeGroup?: string;
  source?: SourceFacts;
  target?: TargetFacts;
  /** The source tenant's initial domain (what the endpoint's RemoteTenant names). */
  sourceDomain: string;
  pending: boolean;
}

const capabilities = (v: unknown): string[] =>
  (Array.isArray(v) ? v.map(String) : str(v).split(",")).map((c) => c.trim().toLowerCase()).filter(Boolean);
const hasPartner = (r: Listed, tenantId: string) =>
  list(r.DomainNames).some((d) => d.toLowerCase() === tenantId.toLowerCase());

export function orgChecks(ctx: OrgCheckContext): { findings: Finding[]; notChecked: NotChecked[] } {
  const findings: Finding[] = [];
  const notChecked: NotChecked[] = [];
  const add = (tenant: Side, check: string, severity: Finding["severity"], message: string, fix: string) =>
    findings.push({ check, severity, tenant, user: null, pending: ctx.pending, message, fix });
  const skip = (check: string, reason: string, pending: boolean) => {
    if (!notChecked.some((n) => n.check === check)) notChecked.push({ check, reason, pending });
  };
  const { source, target, appId } = ctx;

  if (!appId) {
    for (const c of ["org.app", "org.endpoint", "org.sourceServicePrincipal", "org.sourceRelationship"])
      skip(c, "the migration app's appId is only known at up (the app is created in this run)", true);
  }
  if (target && appId) {
    const app = target.app;
    if (app === null) {
      add(
        "target",
        "org.app",
        "blocking",
        `the target tenant has no app registration with appId ${appId}`,
        "Create it: the stack's MigrationApp resource (pulumi up), or fix the appId input",
      );
    } else if (app) {
      const web = (app.web ?? {}) as Listed;
      if (!list(web.redirectUris).includes(REDIRECT_URI)) {
        add(
          "target",
          "org.app.redirectUri",
          "warning",
          `the migration app's web redirect URIs (${list(web.redirectUris).join(", ") || "none"}) do not include exactly ${REDIRECT_URI}: source consent fails (AADSTS500113) and Microsoft's validator does not find the app`,
          `Add the Web redirect URI ${REDIRECT_URI} to app ${appId} (the MigrationApp resource does, with redirectUri left at its default)`,
        );
      }
      const exchange = (Array.isArray(app.requiredResourceAccess) ? (app.requiredResourceAccess as Listed[]) : []).some(
        (r) => lower(r.resourceAppId) === FIRST_PARTY.exchangeOnline,
      );
      if (!exchange) {
        add(
          "target",
          "org.app.exchangePermission",
          "blocking",
          `the migration app does not request Office 365 Exchange Online (${FIRST_PARTY.exchangeOnline}) permissions, so it cannot hold Mailbox.Migration`,
          `Add the application permission Office 365 Exchange Online > Mailbox.Migration to app ${appId} and grant admin consent in both tenants`,
        );
      }
      if (!/MultipleOrgs/i.test(str(app.signInAudience))) {
        add(
          "target",
          "org.app.multiTenant",
          "blocking",
          `the migration app's signInAudience is ${str(app.signInAudience) || "not set"}; the source tenant can only use a multi-tenant app`,
          `Set app ${appId} to "Accounts in any organizational directory" (signInAudience AzureADMultipleOrgs)`,
        );
      }
    }
  }
  if (!ctx.endpointName) skip("org.endpoint", "the migration endpoint's name is only known at up", true);
  if (target && appId && ctx.endpointName) endpointCheck(ctx, target, appId, add);
  if (source && appId) {
    const sp = source.servicePrincipal;
    if (sp === null) {
      add(
        "source",
        "org.sourceServicePrincipal",
        "blocking",
        `the source tenant has no service principal for the migration app ${appId}: its admin has not consented`,
        "A source administrator opens the stack's consentUrl output and accepts (or the stack's AdminConsent for the source grants it)",
      );
    } else if (sp && target && guid(sp.appOwnerOrganizationId) !== target.tenantId.toLowerCase()) {
      add(
        "source",
        "org.sourceServicePrincipal",
        "blocking",
        `the source's service principal for ${appId} belongs to tenant ${str(sp.appOwnerOrganizationId) || "unknown"}, not the target ${target.tenantId}`,
        "Delete that service principal in the source and consent to the target's migration app again",
      );
    }
  }
  if (target && source) targetRelationshipCheck(target, source.tenantId, add);
  if (source && target && appId) sourceRelationshipCheck(ctx, source, target.tenantId, appId, add);
  if (!ctx.scopeGroup) skip("org.scopeGroup", "the scope group is only known at up", true);
  if (source && ctx.scopeGroup) {
    const g = source.scopeGroup;
    if (g === null)
      add(
        "source",
        "org.scopeGroup",
        "blocking",
        `the scope group ${ctx.scopeGroup} does not exist in the source tenant`,
        "Create it: the stack's ScopingGroup resource, or New-DistributionGroup -Type Security -Name <name>",
      );
    else if (str(g.RecipientTypeDetails) !== "MailUniversalSecurityGroup") {
      add(
        "source",
        "org.scopeGroup",
        "blocking",
        `the scope group ${ctx.scopeGroup} is a ${str(g.RecipientTypeDetails)}, not a mail-enabled security group; Exchange ignores it as a published scope`,
        "Use a mail-enabled security group (New-DistributionGroup -Type Security) as the scope",
      );
    }
  }
  if (!source) skip("source", "this stack does not administer the source tenant; the source stack checks it", false);
  if (!target) skip("target", "this stack does not administer the target tenant; the target stack checks it", false);
  return { findings, notChecked };
}

type Add = (tenant: Side, check: string, severity: Finding["severity"], message: string, fix: string) => void;

function endpointCheck(ctx: OrgCheckContext, target: TargetFacts, appId: string, add: Add): void {
  const ep = target.endpoint;
  const name = ctx.endpointName!;
  if (ep === null) {
    add(
      "target",
      "org.endpoint",
      "blocking",
      `the target tenant has no migration endpoint named ${name}`,
      "Create it: the stack's MigrationEndpoint resource (pulumi up), or New-MigrationEndpoint -ExchangeRemoteMove -RemoteServer ... -ApplicationId ... as Microsoft's guide shows",
    );
    return;
  }
  if (!ep) return;
  const wrong: string[] = [];
  if (lower(ep.EndpointType) !== ENDPOINT_TYPE.toLowerCase())
    wrong.push(`EndpointType is ${str(ep.EndpointType) || "empty"}, expected ${ENDPOINT_TYPE}`);
  if (lower(ep.RemoteServer) !== target.remoteServer.toLowerCase())
    wrong.push(`RemoteServer is ${str(ep.RemoteServer) || "empty"}, expected ${target.remoteServer}`);
  if (lower(ep.ApplicationId) !== appId.toLowerCase())
    wrong.push(`ApplicationId is ${str(ep.ApplicationId) || "empty"}, expected the migration app ${appId}`);
  if (str(ep.RemoteTenant) && lower(ep.RemoteTenant) !== ctx.sourceDomain.toLowerCase())
    wrong.push(`RemoteTenant is ${str(ep.RemoteTenant)}, expected the source ${ctx.sourceDomain}`);
  if (wrong.length > 0) {
    add(
      "target",
      "org.endpoint",
      "blocking",
      `migration endpoint ${name}: ${wrong.join("; ")}`,
      `Let the stack's MigrationEndpoint converge it (pulumi up), or Remove-MigrationEndpoint ${name} and create it as Microsoft's guide shows`,
    );
  }
}

function targetRelationshipCheck(target: TargetFacts, sourceTenantId: string, add: Add): void {
  const rel = target.relationships.find((r) => hasPartner(r, sourceTenantId));
  if (!rel) {
    add(
      "target",
      "org.targetRelationship",
      "blocking",
      `the target tenant has no organization relationship whose DomainNames hold the source tenant id ${sourceTenantId}`,
      `Create it: the stack's target OrganizationRelationship, or New-OrganizationRelationship -DomainNames ${sourceTenantId} -Enabled $true -MailboxMoveEnabled $true -MailboxMoveCapability Inbound`,
    );
    return;
  }
  const name = str(rel.Identity) || str(rel.Name);
  if (rel.MailboxMoveEnabled !== true || !capabilities(rel.MailboxMoveCapability).includes("inbound")) {
    add(
      "target",
      "org.targetRelationship",
      "blocking",
      `the target relationship ${name} does not allow inbound moves (MailboxMoveEnabled ${String(rel.MailboxMoveEnabled)}, MailboxMoveCapability ${str(rel.MailboxMoveCapability) || "None"})`,
      `Set-OrganizationRelationship -Identity "${name}" -MailboxMoveEnabled $true -MailboxMoveCapability Inbound`,
    );
  }
  if (rel.Enabled !== true)
    add(
      "target",
      "org.targetRelationship.enabled",
      "warning",
      `the target relationship ${name} is disabled (Enabled false)`,
      `Set-OrganizationRelationship -Identity "${name}" -Enabled $true`,
    );
}

function sourceRelationshipCheck(
  ctx: OrgCheckContext,
  source: SourceFacts,
  targetTenantId: string,
  appId: string,
  add: Add,
): void {
  const rel = source.relationships.find((r) => lower(r.OAuthApplicationId) === appId.toLowerCase());
  if (!rel) {
    add(
      "source",
      "org.sourceRelationship",
      "blocking",
      `the source tenant has no organization relationship with OAuthApplicationId ${appId}`,
      `Create it: the stack's source OrganizationRelationship, or New-OrganizationRelationship -DomainNames ${targetTenantId} -Enabled $true -MailboxMoveEnabled $true -MailboxMoveCapability RemoteOutbound -OAuthApplicationId ${appId} -MailboxMovePublishedScopes <scope group>`,
    );
    return;
  }
  const name = str(rel.Identity) || str(rel.Name);
  const set = (what: string) => `Set-OrganizationRelationship -Identity "${name}" ${what}`;
  if (rel.MailboxMoveEnabled !== true || !capabilities(rel.MailboxMoveCapability).includes("remoteoutbound")) {
    add(
      "source",
      "org.sourceRelationship",
      "blocking",
      `the source relationship ${name} does not allow outbound moves (MailboxMoveEnabled ${String(rel.MailboxMoveEnabled)}, MailboxMoveCapability ${str(rel.MailboxMoveCapability) || "None"})`,
      set("-MailboxMoveEnabled $true -MailboxMoveCapability RemoteOutbound"),
    );
  }
  if (!hasPartner(rel, targetTenantId)) {
    add(
      "source",
      "org.sourceRelationship.domainNames",
      "blocking",
      `the source relationship ${name} does not name the target tenant id ${targetTenantId} in DomainNames`,
      set(`-DomainNames ${targetTenantId}`),
    );
  }
  if (rel.Enabled !== true)
    add(
      "source",
      "org.sourceRelationship.enabled",
      "warning",
      `the source relationship ${name} is disabled (Enabled false)`,
      set("-Enabled $true"),
    );
  const scopes = list(rel.MailboxMovePublishedScopes);
  const group = source.scopeGroup;
  const ids = group
    ? [
        group.Name,
        group.Identity,
        group.Alias,
        group.Guid,
        group.DistinguishedName,
        group.PrimarySmtpAddress,
        group.ExternalDirectoryObjectId,
      ]
        .map(lower)
        .filter(Boolean)
    : [];
  if (ctx.scopeGroup) ids.push(ctx.scopeGroup.toLowerCase());
  if (scopes.length === 0) {
    add(
      "source",
      "org.sourceRelationship.scope",
      "blocking",
      `the source relationship ${name} publishes no scope (MailboxMovePublishedScopes is empty), so no mailbox may move`,
      set(`-MailboxMovePublishedScopes "${ctx.scopeGroup ?? "<scope group>"}"`),
    );
  } else if (ctx.scopeGroup && !scopes.some((s) => ids.includes(s.toLowerCase()))) {
    add(
      "source",
      "org.sourceRelationship.scope",
      "blocking",
      `the source relationship ${name} publishes ${scopes.join(", ")}, not the scope group ${ctx.scopeGroup}`,
      set(`-MailboxMovePublishedScopes "${ctx.scopeGroup}"`),
    );
  } else if (scopes.length > 1) {
    add(
      "source",
      "org.sourceRelationship.scope",
      "warning",
      `the source relationship ${name} publishes ${scopes.length} scopes; Exchange has refused more than one (MailboxMigrationScopeOverLimitException)`,
      set(`-MailboxMovePublishedScopes "${ctx.scopeGroup ?? scopes[0]}"`),
    );
  }
}
