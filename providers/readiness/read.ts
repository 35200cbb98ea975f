// The network side of the readiness check: one bulk read per tenant for the whole wave. The engine calls
// check one resource at a time, so nothing here is per user: a handful of listings (1,000 objects a page)
// and single-object reads, run concurrently within the tenant layer's per-tenant Exchange gate. Follow-up
// listings happen only when a declared address is not where a staged user is expected (a finished move).

import { kindOf, message } from "../exchangeFailure";
import { log, stackConfig, tenantFor } from "../context";
import type { TenantClient } from "../tenant";
import type { TenantRole } from "../tenant/settings";
import { subscribedSkus } from "../licenceAssignment/converge";
import { sharedListing, sharedRead, SOURCE_MAILBOX_LISTING } from "../tenant/sharedListing";
import { byAddress, type Listed, type ReadinessUser, type SourceFacts, type TargetFacts } from "./model";
import { graphCall } from "../tenant/graph";
import { GROUP_SELECT } from "../organizationRelationship/scopes";

const TARGET_MAILUSER_SELECT = [
  "Name",
  "Alias",
  "Guid",
  "ExternalDirectoryObjectId",
  "UserPrincipalName",
  "PrimarySmtpAddress",
  "EmailAddresses",
  "RecipientTypeDetails",
  "ExchangeGuid",
  "ArchiveGuid",
  "ExternalEmailAddress",
  "PersistedCapabilities",
  "RecoverableItemsQuota",
  "IsDirSynced",
];
const OTHER_SELECT = ["Name", "Guid", "PrimarySmtpAddress", "EmailAddresses", "RecipientTypeDetails", "ExchangeGuid"];
const RELATIONSHIP_SELECT = [
  "Name",
  "Identity",
  "DomainNames",
  "Enabled",
  "MailboxMoveEnabled",
  "MailboxMoveCapability",
  "MailboxMovePublishedScopes",
  "OAuthApplicationId",
];
const MEMBER_SELECT = ["Name", "Guid", "PrimarySmtpAddress", "ExternalDirectoryObjectId"];
const ENDPOINT_SELECT = ["Identity", "EndpointType", "RemoteServer", "RemoteTenant", "ApplicationId"];
const APP_SELECT = ["id", "appId", "signInAudience", "web", "requiredResourceAccess"];
const SP_SELECT = ["id", "appId", "appOwnerOrganizationId"];

/**
 * The tenant client of a role, or undefined when this stack does not administer that tenant (split
 * administration: `manage` names the other one, or the tenant is not configured at all).
 */
export function clientFor(role: TenantRole): TenantClient | undefined {
  const manage = stackConfig("manage");
  if (manage === "source" || manage === "target") {
    if (manage !== role) return undefined;
  }
  try {
    return tenantFor(role);
  } catch (e) {
    if (e instanceof Error && e.name === "ConfigError" && !stackConfig(`${role}TenantId`)) return undefined;
    throw e;
  }
}

function exo(
  client: TenantClient,
  what: string,
  cmdlet: string,
  params: Record<string, unknown>,
  select: string[],
  missingIsEmpty = false,
): Promise<Listed[]> {
  // Every wave's Readiness reads the same: one answer per command while nothing was written to the tenant.
  return listed(
    client,
    what,
    cmdlet,
    () => sharedRead<Listed>(client, cmdlet, params, select, { untilWrite: true }),
    missingIsEmpty,
  );
}

async function listed(
  client: TenantClient,
  what: string,
  cmdlet: string,
  read: () => Promise<Listed[]>,
  missingIsEmpty = false,
): Promise<Listed[]> {
  try {
    return await read();
  } catch (e) {
    if (missingIsEmpty && kindOf(e) === "NotFound") return [];
    throw new Error(
      `Readiness: reading ${what} (${cmdlet}) in the ${client.settings.role} tenant ${client.settings.tenantId}: ${message(e)}`,
    );
  }
}

async function graphGet(client: TenantClient, what: string, path: string, select: string[]): Promise<Listed | null> {
  const g = await client.graph();
  try {
    return (await graphCall(`Reading ${what} in the ${client.settings.role} tenant ${client.settings.tenantId}`, () =>
      g.api(path).select(select).get(),
    )) as Listed;
  } catch (e) {
    if ((e as { status?: number }).status === 404) return null;
    throw e;
  }
}

const one = async (p: Promise<Listed[]>): Promise<Listed | null> => (await p)[0] ?? null;

export async function readSource(
  client: TenantClient,
  users: ReadinessUser[],
  appId?: string,
  scopeGroup?: string,
): Promise<SourceFacts> {
  const [mailboxes, config, relationships, group, members, servicePrincipal, skus] = await Promise.all([
    // The same listing SourceMailboxes read earlier in this command, when it is young enough.
    listed(client, "the mailboxes", "Get-Mailbox", () =>
      sharedListing<Listed>(client, "Get-Mailbox", SOURCE_MAILBOX_LISTING),
    ),
    exo(client, "the organisation's holds", "Get-OrganizationConfig", {}, ["InPlaceHolds"]),
    exo(client, "the organization relationships", "Get-OrganizationRelationship", {}, RELATIONSHIP_SELECT),
    scopeGroup
      ? one(
          exo(
            client,
            `the scope group ${scopeGroup}`,
            "Get-DistributionGroup",
            { Identity: scopeGroup },
            GROUP_SELECT,
            true,
          ),
        )
      : Promise.resolve(null),
    scopeGroup
      ? exo(
          client,
          `the members of ${scopeGroup}`,
          "Get-DistributionGroupMember",
          { Identity: scopeGroup, ResultSize: "Unlimited" },
          MEMBER_SELECT,
          true,
        )
      : Promise.resolve([]),
    appId
      ? graphGet(client, `the service principal of app ${appId}`, `/servicePrincipals(appId='${appId}')`, SP_SELECT)
      : Promise.resolve(undefined),
    subscribedSkus(client),
  ]);
  const index = byAddress(mailboxes);
  // A declared address that is no mailbox: a finished move leaves a MailUser behind (or it is wrong).
  const mailUsers = users.some((u) => !index.has(u.source))
    ? await exo(
        client,
        "the mail users",
        "Get-Recipient",
        { RecipientTypeDetails: ["MailUser"], ResultSize: "Unlimited" },
        OTHER_SELECT,
      )
    : [];
  const orgHolds = (config[0]?.InPlaceHolds as unknown[] | undefined)?.map(String) ?? [];
  return {
    tenantId: client.settings.tenantId,
    mailboxes,
    mailUsers,
    orgHolds,
    relationships,
    scopeGroup: group,
    scopeMembers: members,
    servicePrincipal,
    skus,
  };
}

export async function readTarget(
  client: TenantClient,
  users: ReadinessUser[],
  appId?: string,
  endpointName?: string,
): Promise<TargetFacts> {
  const [mailUsers, domains, relationships, endpoint, app, skus] = await Promise.all([
    exo(client, "the mail users", "Get-MailUser", { ResultSize: "Unlimited" }, TARGET_MAILUSER_SELECT),
    exo(client, "the accepted domains", "Get-AcceptedDomain", {}, ["DomainName"]),
    exo(client, "the organization relationships", "Get-OrganizationRelationship", {}, RELATIONSHIP_SELECT),
    endpointName
      ? one(
          exo(
            client,
            `the migration endpoint ${endpointName}`,
            "Get-MigrationEndpoint",
            { Identity: endpointName },
            ENDPOINT_SELECT,
            true,
          ),
        )
      : Promise.resolve(undefined),
    appId
      ? graphGet(client, `the app registration ${appId}`, `/applications(appId='${appId}')`, APP_SELECT)
      : Promise.resolve(undefined),
    subscribedSkus(client),
  ]);
  const index = byAddress(mailUsers);
  // A declared target that is no MailUser: a finished move made it a mailbox (or another object holds it).
  const mailboxes = users.some((u) => !index.has(u.target))
    ? await exo(
        client,
        "the mailboxes",
        "Get-Recipient",
        { RecipientTypeDetails: ["UserMailbox", "SharedMailbox"], ResultSize: "Unlimited" },
        OTHER_SELECT,
      )
    : [];
  const acceptedDomains = domains.map((d) => String(d.DomainName ?? "").toLowerCase()).filter(Boolean);
  return {
    tenantId: client.settings.tenantId,
    remoteServer: client.settings.cloud.migrationRemoteServer,
    mailUsers,
    mailboxes,
    acceptedDomains,
    relationships,
    endpoint,
    app,
    skus,
  };
}

/** Both tenants' facts, each only when this stack administers it. */
export async function readFacts(
  users: ReadinessUser[],
  appId?: string,
  endpointName?: string,
  scopeGroup?: string,
): Promise<{ source?: SourceFacts; target?: TargetFacts; sourceDomain: string }> {
  const source = clientFor("source");
  const target = clientFor("target");
  if (!source && !target)
    throw new Error("Readiness: this stack administers neither tenant (no tenant configuration reached the provider).");
  if (!source || !target)
    log.info(
      `Readiness: this stack administers only the ${source ? "source" : "target"} tenant; the other side's checks run in the partner stack.`,
    );
  const [s, t] = await Promise.all([
    source ? readSource(source, users, appId, scopeGroup) : Promise.resolve(undefined),
    target ? readTarget(target, users, appId, endpointName) : Promise.resolve(undefined),
  ]);
  return { source: s, target: t, sourceDomain: source?.settings.domain ?? stackConfig("sourceDomain") ?? "" };
}
