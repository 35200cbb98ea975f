// The Exchange surface's behaviour for the objects a cross-tenant migration needs: relationships keyed by
// tenant id, scoping groups and their membership, staged MailUsers (stamping, duplicates, soft delete and
// the purge blockers), migration endpoints (consent, propagation, PSCredential over REST vs PowerShell),
// paging, and a batch that moves a mailbox.

import { crossTenantEndpoint, relatedPair, stagedMailUser } from "./support/movablePair";
import { DirectHarness, EXCHANGE_ADMIN_WID } from "../emulator/exchange/testing";
import { consentInSource, registerMigrationApp } from "../emulator/exchange/fixtures";
import { PAGING_EXPIRED } from "../emulator/exchange/envelope";

const text = (r: { json: any }) => String(r.json.error.details?.[0]?.message ?? "").split("|")[2];
const kinds = (h: DirectHarness) => h.takeViolations().map((v) => v.kind);

async function hydrated(h: DirectHarness) {
  expect((await h.invoke("target", "Enable-OrganizationCustomization", {})).status).toBe(200);
}

describe("organisation relationships", () => {
  test("keyed by the partner tenant id; DomainNames replace or add; no-op Set warns; overlapping domains are refused", async () => {
    const h = new DirectHarness();
    await hydrated(h);
    const src = h.tenant("source").tenantId;
    const created = await h.invoke("target", "New-OrganizationRelationship", {
      Name: "Fabrikam",
      DomainNames: [src],
      MailboxMoveEnabled: true,
      MailboxMoveCapability: "Inbound",
      OAuthApplicationId: "11111111-2222-4333-8444-555555555555",
    });
    expect(created.status).toBe(200);
    expect(created.json.value[0].DomainNames).toEqual([src]);
    const listed = (await h.invoke("target", "Get-OrganizationRelationship", {})).json.value;
    expect(listed.find((r: any) => r.DomainNames.includes(src)).MailboxMoveCapability).toBe("Inbound");
    const noop = await h.invoke("target", "Set-OrganizationRelationship", {
      Identity: "Fabrikam",
      MailboxMoveEnabled: true,
    });
    expect(noop.json.value).toEqual([]);
    expect(noop.json["@adminapi.warnings"]).toEqual([
      "The command completed successfully but no settings of 'Fabrikam' have been modified.",
    ]);
    await h.invoke("target", "Set-OrganizationRelationship", {
      Identity: "Fabrikam",
      DomainNames: { "@odata.type": "#Exchange.GenericHashTable", Add: ["fabrikam.onmicrosoft.com"] },
    });
    expect(
      (await h.invoke("target", "Get-OrganizationRelationship", { Identity: "Fabrikam" })).json.value[0].DomainNames,
    ).toEqual([src, "fabrikam.onmicrosoft.com"]);
    const clash = await h.invoke("target", "New-OrganizationRelationship", { Name: "Again", DomainNames: [src] });
    expect(clash.status).toBe(400);
    const dup = await h.invoke("target", "New-OrganizationRelationship", {
      Name: "Fabrikam",
      DomainNames: ["x.example"],
    });
    expect(text(dup)).toContain("already exists");
    const bad = await h.invoke("target", "Set-OrganizationRelationship", {
      Identity: "Fabrikam",
      MailboxMoveCapability: "Sideways",
    });
    expect(bad.json.error.innererror.internalexception.message).toContain(
      "Inbound, Outbound, RemoteInbound, RemoteOutbound",
    );
    expect(kinds(h)).toEqual(["bad-value"]);
    expect(
      (await h.invoke("target", "Remove-OrganizationRelationship", { Identity: "Fabrikam", Confirm: false })).status,
    ).toBe(200);
    expect((await h.invoke("target", "Get-OrganizationRelationship", { Identity: "Fabrikam" })).status).toBe(404);
  });

  test("a published scope that is not a mail-enabled security group is dropped with Microsoft's warning", async () => {
    const h = new DirectHarness();
    const tgt = h.tenant("target").tenantId;
    await h.invoke("source", "New-DistributionGroup", { Name: "Migration Scope", Type: "Security" });
    const r = await h.invoke("source", "New-OrganizationRelationship", {
      Name: "Contoso",
      DomainNames: [tgt],
      MailboxMoveEnabled: true,
      MailboxMoveCapability: "RemoteOutbound",
      MailboxMovePublishedScopes: ["All Staff"],
    });
    expect(r.status).toBe(200);
    expect(r.json["@adminapi.warnings"]).toEqual([
      "Access scope specified 'All Staff' is not a security group. This scope will not be added to the organization relationship.",
    ]);
    expect(r.json.value[0].MailboxMovePublishedScopes).toEqual([]);
    await h.invoke("source", "Set-OrganizationRelationship", {
      Identity: "Contoso",
      MailboxMovePublishedScopes: ["Migration Scope"],
    });
    expect(
      (await h.invoke("source", "Get-OrganizationRelationship", { Identity: "Contoso" })).json.value[0]
        .MailboxMovePublishedScopes,
    ).toEqual(["Migration Scope"]);
  });
});

describe("groups and membership", () => {
  test("-Type Security makes a MailUniversalSecurityGroup; app-only membership changes need the bypass switch", async () => {
    const h = new DirectHarness();
    const g = await h.invoke("source", "New-DistributionGroup", {
      Name: "Movers",
      Type: "Security",
      PrimarySmtpAddress: "movers@fabrikam.com",
    });
    expect(g.json.value[0].RecipientTypeDetails).toBe("MailUniversalSecurityGroup");
    expect(
      h.tenant("source").directory.groups.get(g.json.value[0].ExternalDirectoryObjectId)!.obj.securityEnabled,
    ).toBe(true);
    const denied = await h.invoke("source", "Add-DistributionGroupMember", { Identity: "Movers", Member: "adelev" });
    expect(denied.status).toBe(400);
    expect(text(denied)).toContain("This operation can only be performed by a manager of the group");
    expect(
      (
        await h.invoke("source", "Add-DistributionGroupMember", {
          Identity: "Movers",
          Member: "adelev",
          BypassSecurityGroupManagerCheck: true,
        })
      ).status,
    ).toBe(200);
    const twice = await h.invoke("source", "Add-DistributionGroupMember", {
      Identity: "Movers",
      Member: "adelev",
      BypassSecurityGroupManagerCheck: true,
    });
    expect(text(twice)).toBe('The recipient "adelev" is already a member of the group.');
    const notMember = await h.invoke("source", "Remove-DistributionGroupMember", {
      Identity: "Movers",
      Member: "alexw",
      BypassSecurityGroupManagerCheck: true,
    });
    expect(text(notMember)).toBe('The recipient "alexw" isn\'t a member of the group.');
    const missing = await h.invoke("source", "Add-DistributionGroupMember", {
      Identity: "Movers",
      Member: "nobody",
      BypassSecurityGroupManagerCheck: true,
    });
    expect(text(missing)).toBe(
      'Couldn\'t find object "nobody". Please make sure that it was spelled correctly or specify a different object.',
    );
    await h.invoke("source", "Update-DistributionGroupMember", {
      Identity: "Movers",
      Members: ["alexw", "leeg"],
      BypassSecurityGroupManagerCheck: true,
      Confirm: false,
    });
    const members = (await h.invoke("source", "Get-DistributionGroupMember", { Identity: "Movers" })).json.value
      .map((m: any) => m.Name)
      .sort();
    expect(members).toEqual(["alexw", "leeg"]);
  });

  test("a delegated caller who manages the group needs no bypass", async () => {
    const h = new DirectHarness();
    const admin = {
      idtyp: "user" as const,
      roles: [],
      upn: "admin@fabrikam.onmicrosoft.com",
      wids: [EXCHANGE_ADMIN_WID],
    };
    const g = await h.invoke("source", "New-DistributionGroup", { Name: "Mine", Type: "Security" }, { claims: admin });
    expect(g.json.value[0].ManagedBy).toEqual(["admin"]);
    expect(
      (await h.invoke("source", "Add-DistributionGroupMember", { Identity: "Mine", Member: "leeg" }, { claims: admin }))
        .status,
    ).toBe(200);
  });
});

describe("staged MailUsers", () => {
  test("New-MailUser takes no ExchangeGuid; Set-MailUser stamps it, the archive GUID and addresses", async () => {
    const h = new DirectHarness();
    const refused = await h.invoke("target", "New-MailUser", {
      Name: "adele",
      ExternalEmailAddress: "adelev@fabrikam.com",
      ExchangeGuid: "6f1c1f1e-0f5a-4c55-9a66-1f1c1f1e0f5a",
    });
    expect(refused.status).toBe(400);
    expect(kinds(h)).toEqual(["unknown-parameter"]);
    const created = await h.invoke("target", "New-MailUser", {
      Name: "adele",
      MicrosoftOnlineServicesID: "adele@contoso.com",
      Password: "Pa55-w0rd!x",
      ExternalEmailAddress: "adelev@fabrikam.com",
    });
    expect(created.status).toBe(200);
    const mu = created.json.value[0];
    expect(mu.EmailAddresses).toEqual(["SMTP:adele@contoso.com", "smtp:adele@contoso.onmicrosoft.com"]);
    expect(mu.ExternalEmailAddress).toBe("SMTP:adelev@fabrikam.com");
    expect(JSON.stringify(created.json)).not.toContain("Pa55-w0rd!x");
    const src = (await h.invoke("source", "Get-Mailbox", { Identity: "adelev@fabrikam.com" })).json.value[0];
    const set = await h.invoke("target", "Set-MailUser", {
      Identity: "adele",
      ExchangeGuid: src.ExchangeGuid,
      ArchiveGuid: src.ArchiveGuid,
      EmailAddresses: [
        "SMTP:adele@contoso.com",
        "smtp:adele@contoso.mail.onmicrosoft.com",
        `x500:${src.LegacyExchangeDN}`,
      ],
    });
    expect(set.status).toBe(200);
    expect(set.json.value).toEqual([]);
    const after = (await h.invoke("target", "Get-MailUser", { Identity: "adele@contoso.com" })).json.value[0];
    expect(after.ExchangeGuid).toBe(src.ExchangeGuid);
    expect(after.ArchiveGuid).toBe(src.ArchiveGuid);
    expect(after.EmailAddresses).toContain(`x500:${src.LegacyExchangeDN}`);
  });

  test("an address in use → the exact proxy-address error; a foreign SMTP domain is refused", async () => {
    const h = new DirectHarness();
    await h.invoke("target", "New-MailUser", {
      Name: "a",
      ExternalEmailAddress: "a@fabrikam.com",
      PrimarySmtpAddress: "a@contoso.com",
    });
    const dup = await h.invoke("target", "New-MailUser", {
      Name: "b",
      ExternalEmailAddress: "b@fabrikam.com",
      PrimarySmtpAddress: "a@contoso.com",
    });
    expect(text(dup)).toBe(
      'The proxy address "SMTP:a@contoso.com" is already being used by the proxy addresses or LegacyExchangeDN. Please choose another proxy address.',
    );
    const foreign = await h.invoke("target", "Set-MailUser", {
      Identity: "a",
      EmailAddresses: { "@odata.type": "#Exchange.GenericHashTable", Add: ["smtp:a@fabrikam.com"] },
    });
    expect(foreign.status).toBe(400);
  });

  test("replication: a new MailUser is NotFound (404 by default, 400 by knob) until it replicates", async () => {
    for (const status of [404, 400] as const) {
      const h = new DirectHarness({ faults: { replicationMs: 30_000 }, exchange: { notFoundStatus: status } });
      await h.invoke("target", "New-MailUser", { Name: "late", ExternalEmailAddress: "late@fabrikam.com" });
      const r = await h.invoke("target", "Get-MailUser", { Identity: "late" });
      expect(r.status).toBe(status);
      expect(r.json.error.code).toBe(status === 404 ? "NotFound" : "BadRequest");
      expect(r.json.error.details[0].message).toMatch(
        /^Ex6F9304\|Microsoft\.Exchange\.Configuration\.Tasks\.ManagementObjectNotFoundException\|The operation couldn't be performed because object 'late' couldn't be found on '[A-Z0-9]+\.[A-Z0-9]+\.PROD\.OUTLOOK\.COM'\.$/,
      );
      h.advance(30_000);
      expect((await h.invoke("target", "Get-MailUser", { Identity: "late" })).status).toBe(200);
    }
  });

  test("removal soft-deletes; purging is blocked by the Entra user and by holds, with Microsoft's texts", async () => {
    const h = new DirectHarness();
    const t = h.tenant("target");
    await h.invoke("target", "New-MailUser", { Name: "held", ExternalEmailAddress: "held@fabrikam.com" });
    await h.invoke("target", "New-MailUser", { Name: "plain", ExternalEmailAddress: "plain@fabrikam.com" });
    const blocked = await h.invoke("target", "Remove-MailUser", {
      Identity: "plain",
      PermanentlyDelete: true,
      Confirm: false,
    });
    expect(text(blocked)).toBe(
      "This mail enabled user cannot be permanently deleted since there is a user associated with this mail enabled user in Azure Active Directory. You will first need to delete the user in Azure Active Directory.",
    );
    await h.invoke("target", "Set-MailUser", { Identity: "held", EnableLitigationHoldForMigration: true });
    for (const id of ["held", "plain"])
      expect((await h.invoke("target", "Remove-MailUser", { Identity: id, Confirm: false })).status).toBe(200);
    expect((await h.invoke("target", "Get-MailUser", { Identity: "plain" })).status).toBe(404);
    const soft = (await h.invoke("target", "Get-MailUser", { SoftDeletedMailUser: true })).json.value
      .map((m: any) => m.Name)
      .sort();
    expect(soft).toEqual(["held", "plain"]);
    const holdBlocked = await h.invoke("target", "Remove-MailUser", {
      Identity: "held",
      PermanentlyDelete: true,
      Confirm: false,
    });
    expect(text(holdBlocked)).toBe(
      "Unable to permanently delete mail enabled user. The mail enabled user has litigation hold or In-Place hold applied on it. Please remove the hold before trying to delete",
    );
    expect(
      (await h.invoke("target", "Remove-MailUser", { Identity: "plain", PermanentlyDelete: true, Confirm: false }))
        .status,
    ).toBe(200);
    expect(
      (await h.invoke("target", "Get-MailUser", { SoftDeletedMailUser: true })).json.value.map((m: any) => m.Name),
    ).toEqual(["held"]);
    // Deleting the Entra user (as Graph does) soft-deletes the MailUser behind it.
    await h.invoke("target", "New-MailUser", { Name: "synced", ExternalEmailAddress: "synced@fabrikam.com" });
    const id = (await h.invoke("target", "Get-MailUser", { Identity: "synced" })).json.value[0]
      .ExternalDirectoryObjectId;
    const u = t.directory.users.get(id)!;
    t.directory.users.delete(id);
    t.directory.deletedItems.set(id, { obj: { ...u.obj, "@odata.type": "#microsoft.graph.user" }, meta: u.meta });
    expect((await h.invoke("target", "Get-MailUser", { Identity: "synced" })).status).toBe(404);
    expect((await h.invoke("target", "Get-MailUser", { Identity: "synced", SoftDeletedMailUser: true })).status).toBe(
      200,
    );
  });
});

describe("migration endpoints", () => {
  const endpointParams = (appId: string) => ({
    Name: "FabrikamEndpoint",
    ExchangeRemoteMove: true,
    RemoteServer: "outlook.office.com",
    RemoteTenant: "fabrikam.onmicrosoft.com",
    ApplicationId: appId,
  });

  test("over REST a PSCredential is a 500 cast error; the opt-in knob accepts it", async () => {
    const h = new DirectHarness();
    await hydrated(h);
    const app = registerMigrationApp(h.tenant("target"), h.clock);
    consentInSource(h.tenant("source"), app.appId, h.clock - 60_000);
    const rest = await h.invoke("target", "New-MigrationEndpoint", {
      ...endpointParams(app.appId),
      Credentials: { UserName: app.appId, Password: app.secret },
    });
    expect(rest.status).toBe(500);
    expect(rest.json.error.message).toBe(
      "Unable to cast object of type 'Newtonsoft.Json.Linq.JObject' to type 'System.String'.",
    );
    expect(rest.raw.toString()).not.toContain(app.secret);
    const k = new DirectHarness({ exchange: { acceptRestCredentials: true } });
    await hydrated(k);
    const app2 = registerMigrationApp(k.tenant("target"), k.clock);
    consentInSource(k.tenant("source"), app2.appId, k.clock - 60_000);
    expect(
      (
        await k.invoke("target", "New-MigrationEndpoint", {
          ...endpointParams(app2.appId),
          Credentials: { UserName: app2.appId, Password: app2.secret },
        })
      ).status,
    ).toBe(200);
  });

  test("over the PowerShell route: refused without consent, refused while consent propagates, created after", async () => {
    const h = new DirectHarness({ faults: { consentPropagationMs: 60_000 } });
    await hydrated(h);
    const app = registerMigrationApp(h.tenant("target"), h.clock);
    const params = { ...endpointParams(app.appId), Credentials: { UserName: app.appId, Password: app.secret } };
    const noConsent = await h.invoke("target", "New-MigrationEndpoint", params, { route: "pwsh" });
    expect(noConsent.status).toBe(400);
    expect(text(noConsent)).toContain(
      `AADSTS700016: Application with identifier '${app.appId}' was not found in the directory 'fabrikam.onmicrosoft.com'`,
    );
    consentInSource(h.tenant("source"), app.appId, h.clock);
    const fresh = await h.invoke("target", "New-MigrationEndpoint", params, { route: "pwsh" });
    expect(text(fresh)).toContain("Access is denied.");
    const wrongSecret = await h.invoke(
      "target",
      "New-MigrationEndpoint",
      { ...params, Credentials: { UserName: app.appId, Password: "nope" } },
      { route: "pwsh" },
    );
    expect(text(wrongSecret)).toContain("AADSTS7000215: Invalid client secret provided.");
    const self = await h.invoke(
      "target",
      "New-MigrationEndpoint",
      { ...params, RemoteTenant: "contoso.onmicrosoft.com" },
      { route: "pwsh" },
    );
    expect(text(self)).toBe("ASSERT: The resource tenant and the accessing tenant cannot be equal.");
    h.advance(60_000);
    const ok = await h.invoke("target", "New-MigrationEndpoint", params, { route: "pwsh" });
    expect(ok.status).toBe(200);
    expect(ok.json.value[0]).toMatchObject({
      EndpointType: "ExchangeRemoteMove",
      RemoteTenant: "fabrikam.onmicrosoft.com",
      ApplicationId: app.appId,
      RemoteServer: "outlook.office.com",
    });
    expect(ok.raw.toString()).not.toContain(app.secret);
    const listed = (await h.invoke("target", "Get-MigrationEndpoint", {})).json.value;
    expect(listed.map((e: any) => e.Identity)).toEqual(["FabrikamEndpoint"]);
    const test = await h.invoke("target", "Test-MigrationServerAvailability", { Endpoint: "FabrikamEndpoint" });
    expect(test.json.value[0].Result).toBe("Success");
  });

  test("a dehydrated target refuses New-MigrationEndpoint", async () => {
    const h = new DirectHarness();
    const r = await h.invoke("target", "New-MigrationEndpoint", {
      Name: "x",
      ExchangeRemoteMove: true,
      RemoteServer: "outlook.office.com",
    });
    expect(text(r)).toContain("you first need to run the command: Enable-OrganizationCustomization.");
  });
});

describe("paging", () => {
  const headers = { prefer: "odata.maxpagesize=5" };

  test("maxpagesize pages with a nextLink; the identical body continues; another body or an old token gets the expiry error", async () => {
    const h = new DirectHarness();
    const first = await h.invoke("source", "Get-Mailbox", {}, { headers, select: "Name" });
    expect(first.json.value).toHaveLength(5);
    expect(first.json["@adminapi.warnings"]).toEqual([
      "There are more results available than are currently displayed. To view them, increase the value for the ResultSize parameter.",
    ]);
    const link = new URL(first.json["@odata.nextLink"]);
    expect(first.json["@odata.nextLink"]).toMatch(/\?\$select=Name&\$skiptoken=[0-9a-f]+$/);
    const query = link.search.slice(1);
    const body = JSON.stringify({ CmdletInput: { CmdletName: "Get-Mailbox", Parameters: {} } });
    const second = await h.invoke(
      "source",
      "Get-Mailbox",
      {},
      { headers, query: query.replace(/^\$select=Name&/, ""), select: "Name", body },
    );
    expect(second.status).toBe(200);
    expect(second.json.value[0].Name).not.toBe(first.json.value[0].Name);
    const third = await h.invoke(
      "source",
      "Get-Mailbox",
      { ResultSize: "Unlimited" },
      { headers, query: new URL(second.json["@odata.nextLink"]).search.slice(1) },
    );
    expect(third.status).toBe(400);
    expect(third.raw.toString()).toContain(
      `"internalexception":{"message":"${PAGING_EXPIRED}","type":"System.Exception","stacktrace":""}`,
    );
    const again = await h.invoke("source", "Get-Mailbox", {}, { headers });
    h.advance(5 * 60_000 + 1);
    const late = await h.invoke(
      "source",
      "Get-Mailbox",
      {},
      { headers, query: new URL(again.json["@odata.nextLink"]).search.slice(1) },
    );
    expect(late.status).toBe(400);
    expect(late.json.error.innererror.internalexception.message).toBe(PAGING_EXPIRED);
  });

  test("the knob makes every continuation fail (a client's live observation); ResultSize truncates with the warning", async () => {
    const h = new DirectHarness({ exchange: { failContinuations: true } });
    const first = await h.invoke("source", "Get-Mailbox", {}, { headers });
    const next = await h.invoke(
      "source",
      "Get-Mailbox",
      {},
      { headers, query: new URL(first.json["@odata.nextLink"]).search.slice(1) },
    );
    expect(next.status).toBe(400);
    const capped = await h.invoke("source", "Get-Mailbox", { ResultSize: 3 });
    expect(capped.json.value).toHaveLength(3);
    expect(capped.json["@odata.nextLink"]).toBeUndefined();
    expect(capped.json["@adminapi.warnings"]).toHaveLength(1);
  });
});

describe("a migration batch", () => {
  test("moves a staged user: the target MailUser becomes a mailbox, the source mailbox a MailUser pointing at it", async () => {
    const h = new DirectHarness();
    const src = h.tenant("source");
    const tgt = h.tenant("target");
    await hydrated(h);
    const app = registerMigrationApp(tgt, h.clock);
    consentInSource(src, app.appId, h.clock - 60_000);
    await relatedPair(h, app, ["meganb"]);
    const staged: Record<string, any>[] = [];
    for (const alias of ["meganb", "leeg"])
      staged.push(await stagedMailUser(h, alias, { licensed: true, deliveryDomain: "contoso.mail.onmicrosoft.com" }));
    const mbx = staged[0];
    const ep = await crossTenantEndpoint(h, app);
    expect(ep.status).toBe(200);
    const csv = Buffer.from("EmailAddress\nmeganb@contoso.com\nleeg@contoso.com\n").toString("base64");
    const batch = await h.invoke("target", "New-MigrationBatch", {
      Name: "Wave1",
      SourceEndpoint: "Fabrikam",
      TargetDeliveryDomain: "contoso.mail.onmicrosoft.com",
      CSVData: csv,
    });
    expect(batch.status).toBe(200);
    expect(batch.json.value[0].Status).toBe("Stopped");
    await h.invoke("target", "Start-MigrationBatch", { Identity: "Wave1" });
    expect((await h.invoke("target", "Get-MigrationBatch", { Identity: "Wave1" })).json.value[0].Status).toBe(
      "Syncing",
    );
    h.advance(2_000);
    const synced = (await h.invoke("target", "Get-MigrationBatch", { Identity: "Wave1" })).json.value[0];
    expect(synced.Status).toBe("SyncedwithErrors");
    const users = (await h.invoke("target", "Get-MigrationUser", { BatchId: "Wave1" })).json.value;
    const lee = users.find((u: any) => u.EmailAddress === "leeg@contoso.com");
    expect(lee.Status).toBe("Failed");
    expect(lee.ErrorSummary).toMatch(/^MailboxNotInCrossTenantMigrationScopeException: /);
    expect(users.find((u: any) => u.EmailAddress === "meganb@contoso.com").Status).toBe("Synced");
    await h.invoke("target", "Complete-MigrationBatch", { Identity: "Wave1", Confirm: false });
    h.advance(2_000);
    expect((await h.invoke("target", "Get-MigrationBatch", { Identity: "Wave1" })).json.value[0].Status).toBe(
      "CompletedWithErrors",
    );
    const moved = (await h.invoke("target", "Get-Mailbox", { Identity: "meganb@contoso.com" })).json.value[0];
    expect(moved.RecipientTypeDetails).toBe("UserMailbox");
    expect(moved.ExchangeGuid).toBe(mbx.ExchangeGuid);
    const left = (await h.invoke("source", "Get-MailUser", { Identity: "meganb" })).json.value[0];
    expect(left.ExternalEmailAddress).toBe("SMTP:meganb@contoso.mail.onmicrosoft.com");
    expect((await h.invoke("source", "Get-Mailbox", { Identity: "meganb" })).status).toBe(404);
    const stats = (await h.invoke("target", "Get-MigrationUserStatistics", { Identity: "meganb@contoso.com" })).json
      .value[0];
    expect(stats.PercentageComplete).toBe(100);
    expect(
      (await h.invoke("target", "Remove-MigrationEndpoint", { Identity: "Fabrikam", Confirm: false })).status,
    ).toBe(400);
  });
});
