// The Exchange surface of the emulator, called in process: seed, envelope, authentication, strict
// binding against Microsoft's reference, and the error bodies captured from Microsoft, byte for byte.

import graphReference from "../emulator/reference/graph-v1-subset.json";
import { DirectHarness, GLOBAL_ADMIN_WID } from "../emulator/exchange/testing";
import { ZERO_GUID } from "../domain/ids";
import { ODATA_JSON } from "../emulator/exchange/envelope";

const kinds = (h: DirectHarness) => h.takeViolations().map((v) => v.kind);

describe("seed", () => {
  const h = new DirectHarness();
  const source = h.tenant("source");
  const target = h.tenant("target");
  const mailboxes = [...source.exchange.recipients.values()]
    .map((s) => s.obj)
    .filter((o) => o.RecipientType === "UserMailbox");

  test("the source is a hydrated organisation with a dozen realistic mailboxes; the target is dehydrated", () => {
    expect(source.exchange.organizationConfig.IsDehydrated).toBe(false);
    expect(target.exchange.organizationConfig.IsDehydrated).toBe(true);
    expect(mailboxes.length).toBeGreaterThanOrEqual(12);
    expect(mailboxes.filter((m) => m.RecipientTypeDetails === "SharedMailbox").length).toBe(2);
    for (const m of mailboxes) {
      expect(m.LegacyExchangeDN).toMatch(
        /^\/o=ExchangeLabs\/ou=Exchange Administrative Group \(FYDIBOHF23SPDLT\)\/cn=Recipients\/cn=[0-9a-f]{32}-[a-z0-9.]+$/,
      );
      expect((m.EmailAddresses as string[]).filter((p) => p.startsWith("SMTP:"))).toEqual([
        `SMTP:${m.PrimarySmtpAddress}`,
      ]);
      if (m.ArchiveStatus === "None") expect(m.ArchiveGuid).toBe(ZERO_GUID);
      else expect(m.ArchiveGuid).not.toBe(ZERO_GUID);
    }
    const grady = mailboxes.find((m) => m.Alias === "gradya")!;
    expect(grady.AutoExpandingArchiveEnabled).toBe(true);
    expect((grady.MailboxLocations as string[]).filter((l) => l.includes(";AuxArchive;")).length).toBe(3);
    expect(mailboxes.find((m) => m.Alias === "diegos")!.LitigationHoldEnabled).toBe(true);
    expect((mailboxes.find((m) => m.Alias === "lidiah")!.InPlaceHolds as string[]).length).toBe(1);
    expect(
      (mailboxes.find((m) => m.Alias === "isaiahl")!.EmailAddresses as string[]).filter((p) => /^x500:/i.test(p))
        .length,
    ).toBe(2);
  });

  test("every mailbox has its Entra user, in Graph's shape and nothing else", () => {
    const allowed = new Set((graphReference as any).schemas["microsoft.graph.user"].allPropertyNames as string[]);
    for (const m of mailboxes) {
      const u = source.directory.users.get(String(m.ExternalDirectoryObjectId));
      expect(u).toBeDefined();
      expect(u!.obj.userPrincipalName).toBe(m.UserPrincipalName);
      for (const k of Object.keys(u!.obj)) expect(allowed.has(k)).toBe(true);
    }
  });

  test("accepted domains: initial, custom and the .mail.onmicrosoft.com domain", () => {
    expect(target.exchange.acceptedDomains.map((d) => d.DomainName).sort()).toEqual([
      "contoso.com",
      "contoso.mail.onmicrosoft.com",
      "contoso.onmicrosoft.com",
    ]);
    expect(target.exchange.acceptedDomains.find((d) => d.InitialDomain)!.DomainName).toBe("contoso.onmicrosoft.com");
  });

  // How fast is the bench's business (`npm run bench` seeds its tenant the same way); a wall-clock bound here
  // failed whenever the machine was busy (3.6 s against 3 s with other suites running).
  test("10,000 extra mailboxes seed", () => {
    const big = new DirectHarness({ mailboxes: 10_000 });
    expect(big.tenant("source").exchange.recipients.size).toBeGreaterThan(10_012);
  });
});

describe("envelope and routes", () => {
  test("success: exact content type, OData headers, context, warnings and annotations; $select trims", async () => {
    const h = new DirectHarness();
    const r = await h.invoke(
      "source",
      "Get-Mailbox",
      { Identity: "adelev" },
      { select: "Name,ExchangeGuid,EmailAddresses" },
    );
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe(ODATA_JSON);
    expect(r.headers["odata-version"]).toBe("4.0");
    expect(r.headers["request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(r.json)).toEqual([
      "@odata.context",
      "adminapi.warnings@odata.type",
      "@adminapi.warnings",
      "value",
    ]);
    expect(r.json["@odata.context"]).toBe(
      `https://127.0.0.1:9443/exchange/adminapi/beta/${h.tenant("source").tenantId}/$metadata#Collection(Exchange.GenericHashTable)`,
    );
    expect(r.json.value).toHaveLength(1);
    expect(Object.keys(r.json.value[0])).toEqual([
      "Name",
      "ExchangeGuid@odata.type",
      "ExchangeGuid@data.type",
      "ExchangeGuid",
      "EmailAddresses@odata.type",
      "EmailAddresses",
    ]);
    expect(r.json.value[0]["EmailAddresses@odata.type"]).toBe("#Collection(String)");
  });

  test("the tenant segment may be the GUID or a domain; cmdlet names are case-insensitive", async () => {
    const h = new DirectHarness();
    const r = await h.invoke("source", "get-organizationconfig", {}, { tenantSegment: "fabrikam.onmicrosoft.com" });
    expect(r.status).toBe(200);
    expect(r.json.value[0].Name).toBe("fabrikam.onmicrosoft.com");
  });

  test("InvokeCommand answers only under beta and only to POST; EXOModuleFile lists the cmdlets", async () => {
    const h = new DirectHarness();
    const id = h.tenant("source").tenantId;
    expect((await h.raw("POST", `/adminapi/v1.0/${id}/InvokeCommand`, "{}")).status).toBe(405);
    expect((await h.raw("GET", `/adminapi/beta/${id}/InvokeCommand`, "")).status).toBe(405);
    const m = await h.raw("GET", `/adminapi/v1.0/${id}/EXOModuleFile?Version=3.9.0`, "", {
      headers: { commandname: "*" },
    });
    expect(m.status).toBe(200);
    const list = String(m.json.value[0].exportedCmdlets).split(",");
    expect(list).toHaveLength(41);
    expect(list).toContain("New-MigrationEndpoint");
    expect((await h.raw("POST", `/adminapi/beta/${id}/Nope`, "{}")).status).toBe(404);
    expect(kinds(h)).toEqual(["unknown-exchange-path"]);
  });
});

describe("authentication and authorisation", () => {
  test("no token → 401 with WWW-Authenticate", async () => {
    const h = new DirectHarness();
    const r = await h.invoke("source", "Get-OrganizationConfig", {}, { claims: null });
    expect(r.status).toBe(401);
    expect(r.headers["www-authenticate"]).toMatch(/^Bearer /);
  });

  test("a token of another tenant → 401", async () => {
    const h = new DirectHarness();
    const r = await h.invoke("source", "Get-OrganizationConfig", {}, { claims: { tid: h.tenant("target").tenantId } });
    expect(r.status).toBe(401);
  });

  test("app-only without Exchange.ManageAsApp → 401; with it but no directory role → 403 of NUL bytes", async () => {
    const h = new DirectHarness();
    expect((await h.invoke("source", "Get-OrganizationConfig", {}, { claims: { roles: [] } })).status).toBe(401);
    const r = await h.invoke(
      "source",
      "Get-OrganizationConfig",
      {},
      { claims: { wids: [] }, headers: { "accept-encoding": "gzip, deflate" } },
    );
    expect(r.status).toBe(403);
    expect(r.raw.length).toBeGreaterThan(0);
    expect(r.raw.every((b) => b === 0)).toBe(true);
    expect(r.headers["x-exceptiontype"]).toBe("CmdletAccessDeniedException");
    expect(r.headers["content-encoding"]).toBe("gzip");
    const identity = await h.invoke(
      "source",
      "Get-OrganizationConfig",
      {},
      { claims: { wids: [] }, headers: { "accept-encoding": "identity" } },
    );
    expect(identity.headers["content-encoding"]).toBeUndefined();
  });

  test("Global Administrator works app-only and delegated; a delegated user without an admin role gets 403", async () => {
    const h = new DirectHarness();
    expect(
      (await h.invoke("source", "Get-OrganizationConfig", {}, { claims: { wids: [GLOBAL_ADMIN_WID] } })).status,
    ).toBe(200);
    const user = { idtyp: "user" as const, roles: [], scp: "Exchange.Manage", upn: "admin@fabrikam.onmicrosoft.com" };
    expect(
      (await h.invoke("source", "Get-OrganizationConfig", {}, { claims: { ...user, wids: [GLOBAL_ADMIN_WID] } }))
        .status,
    ).toBe(200);
    expect((await h.invoke("source", "Get-OrganizationConfig", {}, { claims: { ...user, wids: [] } })).status).toBe(
      403,
    );
  });
});

describe("binding strictly from Microsoft's reference", () => {
  test("unknown cmdlet → 403 NUL body and a violation", async () => {
    const h = new DirectHarness();
    const r = await h.invoke("source", "Get-EXOMailbox", {});
    expect(r.status).toBe(403);
    expect(r.raw.every((b) => b === 0)).toBe(true);
    expect(kinds(h)).toEqual(["unknown-cmdlet"]);
  });

  test("unknown parameter → the live 400 body a client recorded, byte for byte", async () => {
    const h = new DirectHarness();
    const r = await h.invoke("source", "Get-Mailbox", { BogusParameter: 1 });
    expect(r.status).toBe(400);
    expect(r.raw.toString("utf8")).toBe(
      '{"error":{"code":"BadRequest","message":"Invalid Operation","details":[{"code":"Client","target":"","message":"|Microsoft.Exchange.AdminApi.CommandInvocation.AmbiguousParameterSetException|Parameter set cannot be resolved using the specified named parameters. Invalid cmdlet parameters specified. BogusParameter"}],"innererror":{"message":"Invalid Operation","type":"Microsoft.Exchange.Admin.OData.Core.ODataServiceException","stacktrace":"","internalexception":{"message":"Parameter set cannot be resolved using the specified named parameters. Invalid cmdlet parameters specified. BogusParameter","type":"Microsoft.Exchange.AdminApi.CommandInvocation.AmbiguousParameterSetException","stacktrace":""}}}}',
    );
    expect(kinds(h)).toEqual(["unknown-parameter"]);
  });

  test("a parameter that exists only on premises is refused the same way", async () => {
    const h = new DirectHarness();
    const r = await h.invoke("source", "Get-Mailbox", { DomainController: "dc1" });
    expect(r.status).toBe(400);
    expect(r.json.error.innererror.internalexception.type).toBe(
      "Microsoft.Exchange.AdminApi.CommandInvocation.AmbiguousParameterSetException",
    );
    expect(kinds(h)).toEqual(["not-in-exchange-online"]);
  });

  test("a value outside acceptedValues → the live invalid-enum shape (no details, warnings inside error)", async () => {
    const h = new DirectHarness();
    const r = await h.invoke("source", "New-DistributionGroup", { Name: "x", Type: "Nonsense" });
    expect(r.status).toBe(400);
    expect(Object.keys(r.json.error)).toEqual([
      "code",
      "message",
      "innererror",
      "adminapi.warnings@odata.type",
      "@adminapi.warnings",
    ]);
    const inner = r.json.error.innererror.internalexception;
    expect(inner.type).toBe("Microsoft.Exchange.AdminApi.CommandInvocation.ParameterTransformationException");
    expect(inner.message).toMatch(
      /^Cannot process argument transformation on parameter 'Type'\. Cannot convert value "Nonsense" to type ".*"\. Error: "Unable to match the identifier name Nonsense to a valid enumerator name\. Specify one of the following enumerator names and try again: Distribution, Security"$/,
    );
    expect(kinds(h)).toEqual(["bad-value"]);
  });

  test("GUIDs are validated; untagged hashtables are refused; tagged ones add and remove", async () => {
    const h = new DirectHarness();
    await h.invoke("target", "New-MailUser", { Name: "u1", ExternalEmailAddress: "u1@fabrikam.com" });
    expect(
      (await h.invoke("target", "Set-MailUser", { Identity: "u1", ExchangeGuid: "not-a-guid" })).json.error.innererror
        .internalexception.message,
    ).toContain('"Guid should contain 32 digits with 4 dashes');
    const untagged = await h.invoke("target", "Set-MailUser", {
      Identity: "u1",
      EmailAddresses: { Add: ["x500:/o=x"] },
    });
    expect(untagged.status).toBe(400);
    expect(untagged.json.error.innererror.internalexception.type).toMatch(/ParameterTransformationException$/);
    expect(kinds(h)).toEqual(["bad-value", "untagged-hashtable"]);
    const tagged = await h.invoke("target", "Set-MailUser", {
      Identity: "u1",
      EmailAddresses: {
        "@odata.type": "#Exchange.GenericHashTable",
        add: ["X500:/o=ExchangeLabs/cn=a", "smtp:u1@contoso.mail.onmicrosoft.com"],
      },
    });
    expect(tagged.status).toBe(200);
    const again = await h.invoke("target", "Set-MailUser", {
      Identity: "u1",
      EmailAddresses: {
        "@odata.type": "#Exchange.GenericHashTable",
        Add: ["x500:/o=exchangelabs/cn=A"],
        Remove: ["SMTP:u1@contoso.mail.onmicrosoft.com"],
      },
    });
    expect(again.status).toBe(200);
    const mu = (await h.invoke("target", "Get-MailUser", { Identity: "u1" })).json.value[0];
    expect(mu.EmailAddresses.filter((p: string) => /^x500:/i.test(p))).toHaveLength(1);
    expect(mu.EmailAddresses.some((p: string) => /mail\.onmicrosoft/.test(p))).toBe(false);
  });

  test("missing mandatory parameters and impossible parameter combinations are refused", async () => {
    const h = new DirectHarness();
    const missing = await h.invoke("source", "Set-MailUser", { DisplayName: "x" });
    expect(missing.status).toBe(400);
    expect(missing.json.error.innererror.internalexception.message).toBe(
      "Cannot process command because of one or more missing mandatory parameters: Identity.",
    );
    const mixed = await h.invoke("source", "Get-MigrationUser", {
      MailboxGuid: "6f1c1f1e-0f5a-4c55-9a66-1f1c1f1e0f5a",
      EmailAddress: "a@b.c",
    });
    expect(mixed.json.error.details[0].message).toBe(
      "|Microsoft.Exchange.AdminApi.CommandInvocation.AmbiguousParameterSetException|Parameter set cannot be resolved using the specified named parameters.",
    );
    expect(kinds(h)).toEqual(["missing-required-parameter", "no-parameter-set"]);
  });

  test("Byte[] takes base64 or a number array; SecureString takes any string and never echoes it", async () => {
    const h = new DirectHarness();
    const csv = [...Buffer.from("EmailAddress\nnobody@contoso.com\n")];
    const b = await h.invoke("target", "New-MigrationBatch", { Name: "Bytes", CSVData: csv });
    expect(b.status).toBe(200);
    expect(b.json.value[0].TotalCount).toBe(1);
    const bad = await h.invoke("target", "New-MigrationBatch", { Name: "Bad", CSVData: [300] });
    expect(bad.status).toBe(400);
    const pw = await h.invoke("target", "New-MailUser", { Name: "p", Password: { secret: "hunter2-xyz" } });
    expect(pw.status).toBe(400);
    expect(pw.raw.toString()).not.toContain("hunter2-xyz");
    expect(kinds(h)).toEqual([]);
  });

  test('switches take true or "true"; common parameters are accepted', async () => {
    const h = new DirectHarness();
    const r = await h.invoke("source", "Get-Mailbox", {
      Archive: "true",
      ErrorAction: "Stop",
      WarningAction: "SilentlyContinue",
    });
    expect(r.status).toBe(200);
    expect(r.json.value.every((m: any) => m.ArchiveGuid !== ZERO_GUID)).toBe(true);
    expect(r.json.value.length).toBeGreaterThanOrEqual(5);
  });
});

describe("dehydrated tenant", () => {
  test("customisation cmdlets are refused until Enable-OrganizationCustomization; running it twice says it is not required", async () => {
    const h = new DirectHarness();
    const before = await h.invoke("target", "New-OrganizationRelationship", {
      Name: "src",
      DomainNames: [h.tenant("source").tenantId],
    });
    expect(before.status).toBe(400);
    expect(before.json.error.details[0].message.split("|")[2]).toBe(
      "The command you tried to run isn't currently allowed in your organization. To run this command, you first need to run the command: Enable-OrganizationCustomization.",
    );
    expect((await h.invoke("target", "New-DistributionGroup", { Name: "g" })).status).toBe(400);
    const enable = await h.invoke("target", "Enable-OrganizationCustomization", {});
    expect(enable.status).toBe(200);
    expect(enable.json.value).toEqual([]);
    expect((await h.invoke("target", "Get-OrganizationConfig", {})).json.value[0].IsDehydrated).toBe(false);
    const twice = await h.invoke("target", "Enable-OrganizationCustomization", {});
    expect(twice.status).toBe(400);
    expect(twice.json.error.message).toBe("Error executing cmdlet");
    expect(twice.json.error.details[0].message.split("|")[2]).toBe(
      "This operation is not required. Organization is already enabled for customization.",
    );
    expect(
      (
        await h.invoke("target", "New-OrganizationRelationship", {
          Name: "src",
          DomainNames: [h.tenant("source").tenantId],
        })
      ).status,
    ).toBe(200);
  });
});
