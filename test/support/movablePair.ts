// What the emulator tests of moves set up by calling the cmdlets directly, as the stack's resources would: the
// two relationships with a published scope group, MailUsers staged and stamped from their source mailboxes, and
// the cross-tenant migration endpoint. Shared by the batch, move-request and live-test tests.

import type { DirectHarness } from "../../emulator/exchange/testing";
import { licenseForMigration, type MigrationApp } from "../../emulator/exchange/fixtures";

/** Both relationships for `app`, the source's published scope a security group "Scope" holding `members`. */
export async function relatedPair(h: DirectHarness, app: MigrationApp, members: string[]): Promise<void> {
  await h.invoke("target", "New-OrganizationRelationship", {
    Name: "Fabrikam",
    DomainNames: [h.tenant("source").tenantId],
    MailboxMoveEnabled: true,
    MailboxMoveCapability: "Inbound",
    OAuthApplicationId: app.appId,
  });
  await h.invoke("source", "New-DistributionGroup", { Name: "Scope", Type: "Security" });
  for (const member of members)
    await h.invoke("source", "Add-DistributionGroupMember", {
      Identity: "Scope",
      Member: member,
      BypassSecurityGroupManagerCheck: true,
    });
  await h.invoke("source", "New-OrganizationRelationship", {
    Name: "Contoso",
    DomainNames: [h.tenant("target").tenantId],
    MailboxMoveEnabled: true,
    MailboxMoveCapability: "RemoteOutbound",
    OAuthApplicationId: app.appId,
    MailboxMovePublishedScopes: ["Scope"],
  });
}

/**
 * A target MailUser `<alias>@contoso.com` stamped from the source mailbox as the MailUser resource stamps it
 * (ExchangeGuid, ArchiveGuid, the LegacyExchangeDN as x500, and the delivery address when given); licensed for
 * the move when asked. Returns the source mailbox.
 */
export async function stagedMailUser(
  h: DirectHarness,
  alias: string,
  opts: { licensed?: boolean; deliveryDomain?: string } = {},
): Promise<Record<string, any>> {
  const m = (await h.invoke("source", "Get-Mailbox", { Identity: alias })).json.value[0];
  await h.invoke("target", "New-MailUser", {
    Name: m.Alias,
    MicrosoftOnlineServicesID: `${m.Alias}@contoso.com`,
    Password: "x-Pa55word",
    ExternalEmailAddress: m.PrimarySmtpAddress,
  });
  await h.invoke("target", "Set-MailUser", {
    Identity: m.Alias,
    ExchangeGuid: m.ExchangeGuid,
    ArchiveGuid: m.ArchiveGuid,
    EmailAddresses: {
      "@odata.type": "#Exchange.GenericHashTable",
      Add: [`x500:${m.LegacyExchangeDN}`, ...(opts.deliveryDomain ? [`smtp:${m.Alias}@${opts.deliveryDomain}`] : [])],
    },
  });
  if (opts.licensed) {
    const mu = (await h.invoke("target", "Get-MailUser", { Identity: m.Alias })).json.value[0];
    licenseForMigration(h.tenant("target"), mu.ExternalDirectoryObjectId);
  }
  return m;
}

/** The target's cross-tenant endpoint "Fabrikam" for `app` (through PowerShell, as New-MigrationEndpoint needs). */
export async function crossTenantEndpoint(h: DirectHarness, app: MigrationApp): Promise<{ status: number }> {
  return h.invoke(
    "target",
    "New-MigrationEndpoint",
    {
      Name: "Fabrikam",
      ExchangeRemoteMove: true,
      RemoteServer: "outlook.office.com",
      RemoteTenant: h.tenant("source").tenantId,
      ApplicationId: app.appId,
      Credentials: { UserName: app.appId, Password: app.secret },
    },
    { route: "pwsh" },
  );
}
