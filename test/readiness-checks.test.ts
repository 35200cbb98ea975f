// The readiness checks as pure functions, table-driven: one well-prepared pair (every check passes), then
// one change per row and the finding it must produce (check id, severity, which tenant the fix is for, and
// the fix's command). Also: organisation checks, holds, the licence SKU matched by service plan, verdicts
// (organisation findings block everyone, pending findings block nobody) and the Markdown report.

import { assessWave, type AssessInput } from "../providers/readiness/assess";
import { evaluate, sizeBytes, type Listed, type SourceFacts, type TargetFacts } from "../providers/readiness/model";
import { holdsOf } from "../providers/readiness/holds";
import { renderReport } from "../providers/readiness/report";
import { hasMoveCapability, licencePool, type SubscribedSku } from "../providers/licenceAssignment/sku";

const SRC_TENANT = "11111111-1111-4111-8111-111111111111";
const TGT_TENANT = "22222222-2222-4222-8222-222222222222";
const APP = "33333333-3333-4333-8333-333333333333";
const EXG = "44444444-4444-4444-8444-444444444444";
const ARC = "55555555-5555-4555-8555-555555555555";
const DN = "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=abc-adele";
const OLD_X500 = "X500:/o=First Organization/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=adele";
const GB = (n: number) => `${n} GB (${(n * 1024 ** 3).toLocaleString("en-US")} bytes)`;
const T2T: SubscribedSku = {
  skuId: "946ce899-873d-44bb-9d8b-671870cbfdbf",
  skuPartNumber: "Cross_tenant_user_data_migration",
  capabilityStatus: "Enabled",
  consumedUnits: 2,
  prepaidUnits: { enabled: 10 },
  servicePlans: [{ servicePlanName: "EXCHANGEONLINE_T2TMBXMOVE" }, { servicePlanName: "SHAREPOINTONLINE_T2TODMOVE" }],
};
const EXO: SubscribedSku = {
  skuId: "19ec0d23-8335-4cbd-94ac-6050e30712fa",
  skuPartNumber: "EXCHANGEENTERPRISE",
  consumedUnits: 1,
  prepaidUnits: { enabled: 25 },
  servicePlans: [{ servicePlanName: "EXCHANGE_S_ENTERPRISE" }],
};

const mailbox = (): Listed => ({
  Name: "adele",
  Alias: "adele",
  Guid: "aaaaaaaa-0000-4000-8000-000000000001",
  ExternalDirectoryObjectId: "aaaaaaaa-0000-4000-8000-0000000000e1",
  UserPrincipalName: "adele@fabrikam.com",
  PrimarySmtpAddress: "adele@fabrikam.com",
  EmailAddresses: ["SMTP:adele@fabrikam.com", "smtp:adele@fabrikam.onmicrosoft.com", OLD_X500],
  RecipientTypeDetails: "UserMailbox",
  ExchangeGuid: EXG,
  ArchiveGuid: ARC,
  LegacyExchangeDN: DN,
  MailboxLocations: [`1;${EXG};Primary;fabrikam.onmicrosoft.com;x`, `1;${ARC};MainArchive;fabrikam.onmicrosoft.com;y`],
  LitigationHoldEnabled: false,
  InPlaceHolds: [],
  DelayHoldApplied: false,
  DelayReleaseHoldApplied: false,
  ComplianceTagHoldApplied: false,
  PersistedCapabilities: ["BPOS_S_Enterprise", "ExchangeT2TMbxMove"],
  RecoverableItemsQuota: GB(30),
  MailboxMoveStatus: "None",
  MailboxMoveBatchName: "",
});
const mailUser = (): Listed => ({
  Name: "adele",
  Alias: "adele",
  Guid: "bbbbbbbb-0000-4000-8000-000000000001",
  ExternalDirectoryObjectId: "bbbbbbbb-0000-4000-8000-0000000000e1",
  UserPrincipalName: "adele@contoso.com",
  PrimarySmtpAddress: "adele@contoso.com",
  EmailAddresses: ["SMTP:adele@contoso.com", "smtp:adele@contoso.onmicrosoft.com", `x500:${DN}`, OLD_X500],
  RecipientTypeDetails: "MailUser",
  ExchangeGuid: EXG,
  ArchiveGuid: ARC,
  ExternalEmailAddress: "SMTP:adele@fabrikam.com",
  PersistedCapabilities: [],
  RecoverableItemsQuota: GB(30),
  IsDirSynced: false,
});
const group = (): Listed => ({
  Name: "migration-to-contoso",
  Identity: "migration-to-contoso",
  PrimarySmtpAddress: "migration-to-contoso@fabrikam.com",
  Guid: "cccccccc-0000-4000-8000-000000000001",
  RecipientTypeDetails: "MailUniversalSecurityGroup",
});

function source(over: Partial<SourceFacts> = {}): SourceFacts {
  return {
    tenantId: SRC_TENANT,
    mailboxes: [mailbox()],
    mailUsers: [],
    orgHolds: [],
    relationships: [
      {
        Name: "to-contoso",
        Identity: "to-contoso",
        DomainNames: [TGT_TENANT],
        Enabled: true,
        MailboxMoveEnabled: true,
        MailboxMoveCapability: "RemoteOutbound",
        MailboxMovePublishedScopes: ["migration-to-contoso"],
        OAuthApplicationId: APP,
      },
    ],
    scopeGroup: group(),
    scopeMembers: [
      { Name: "adele", Guid: "aaaaaaaa-0000-4000-8000-000000000001", PrimarySmtpAddress: "adele@fabrikam.com" },
    ],
    servicePrincipal: { id: "sp", appId: APP, appOwnerOrganizationId: TGT_TENANT },
    skus: [EXO],
    ...over,
  };
}
function target(over: Partial<TargetFacts> = {}): TargetFacts {
  return {
    tenantId: TGT_TENANT,
    remoteServer: "outlook.office.com",
    mailUsers: [mailUser()],
    mailboxes: [],
    acceptedDomains: ["contoso.com", "contoso.onmicrosoft.com", "contoso.mail.onmicrosoft.com"],
    relationships: [
      {
        Name: "from-fabrikam",
        Identity: "from-fabrikam",
        DomainNames: [SRC_TENANT],
        Enabled: true,
        MailboxMoveEnabled: true,
        MailboxMoveCapability: "Inbound",
      },
    ],
    endpoint: {
      Identity: "migration-from-fabrikam",
      EndpointType: "ExchangeRemoteMove",
      RemoteServer: "outlook.office.com",
      RemoteTenant: "fabrikam.onmicrosoft.com",
      ApplicationId: APP,
    },
    app: {
      id: "app",
      appId: APP,
      signInAudience: "AzureADMultipleOrgs",
      web: { redirectUris: ["https://office.com"] },
      requiredResourceAccess: [{ resourceAppId: "00000002-0000-0ff1-ce00-000000000000", resourceAccess: [] }],
    },
    skus: [EXO, T2T],
    ...over,
  };
}
const input = (over: Partial<AssessInput> = {}): AssessInput => ({
  users: [{ source: "adele@fabrikam.com", target: "adele@contoso.com" }],
  appId: APP,
  endpointName: "migration-from-fabrikam",
  scopeGroup: "migration-to-contoso",
  targetDeliveryDomain: "contoso.onmicrosoft.com",
  sourceDomain: "fabrikam.onmicrosoft.com",
  pending: false,
  source: source(),
  target: target(),
  ...over,
});
const withMailbox = (change: (m: Listed) => void) => {
  const m = mailbox();
  change(m);
  return { source: source({ mailboxes: [m] }) };
};
const withMailUser = (change: (m: Listed) => void) => {
  const m = mailUser();
  change(m);
  return { target: target({ mailUsers: [m] }) };
};

test("a well-prepared pair has no findings and the user is ready", () => {
  const e = assessWave(input());
  expect(e.findings).toEqual([]);
  expect(e.summary).toEqual({ users: 1, ready: 1, blocked: 0, pending: 0, moved: 0, warnings: 0 });
  expect(e.blockedUsers).toEqual([]);
  expect(e.licences.needed).toBe(0);
});

// [case, change, check id, severity, tenant, fix pattern]
const USER_CASES: Array<[string, Partial<AssessInput>, string, "blocking" | "warning", "source" | "target", RegExp]> = [
  [
    "source not found",
    withMailbox(
      (m) => ((m.PrimarySmtpAddress = "other@fabrikam.com"), (m.EmailAddresses = ["SMTP:other@fabrikam.com"])),
    ),
    "user.source.found",
    "blocking",
    "source",
    /Correct the source address/,
  ],
  [
    "a mail user as source",
    withMailbox(
      (m) => ((m.RecipientTypeDetails = "MailUser"), (m.ExchangeGuid = "00000000-0000-0000-0000-000000000000")),
    ),
    "user.source.type",
    "blocking",
    "source",
    /Remove the user/,
  ],
  [
    "13 auxiliary archives",
    withMailbox((m) => (m.MailboxLocations = Array.from({ length: 13 }, (_, i) => `1;g${i};AuxArchive;x;y`))),
    "user.auxArchives",
    "blocking",
    "source",
    /12/,
  ],
  [
    "litigation hold",
    withMailbox((m) => (m.LitigationHoldEnabled = true)),
    "user.hold.litigation",
    "blocking",
    "source",
    /Set-Mailbox -Identity adele@fabrikam.com -LitigationHoldEnabled \$false/,
  ],
  [
    "delay hold",
    withMailbox((m) => (m.DelayHoldApplied = true)),
    "user.hold.delay",
    "blocking",
    "source",
    /-RemoveDelayHoldApplied/,
  ],
  [
    "delay release hold",
    withMailbox((m) => (m.DelayReleaseHoldApplied = true)),
    "user.hold.delayRelease",
    "blocking",
    "source",
    /-RemoveDelayReleaseHoldApplied/,
  ],
  [
    "retention label hold",
    withMailbox((m) => (m.ComplianceTagHoldApplied = true)),
    "user.hold.complianceTag",
    "blocking",
    "source",
    /-RemoveComplianceTagHoldApplied/,
  ],
  [
    "retention policy hold",
    withMailbox((m) => (m.InPlaceHolds = ["mbxa3c2f4b1e5d94f0c8a7b6e5d4c3b2a19:1"])),
    "user.hold.inPlace",
    "blocking",
    "source",
    /-AddExchangeLocationException adele@fabrikam.com/,
  ],
  [
    "eDiscovery case hold",
    withMailbox((m) => (m.InPlaceHolds = ["UniH7d6c5b4a-1111-2222-3333-444455556666"])),
    "user.hold.inPlace",
    "blocking",
    "source",
    /eDiscovery case hold/,
  ],
  [
    "legacy in-place hold",
    withMailbox((m) => (m.InPlaceHolds = ["c0ba3ce811b6432a8751430937152491"])),
    "user.hold.inPlace",
    "blocking",
    "source",
    /In-Place Hold/,
  ],
  [
    "organisation-wide policy",
    { source: source({ orgHolds: ["mbx9f8e7d6c5b4a39281716151413121110:2"] }) },
    "user.hold.organization",
    "blocking",
    "source",
    /organisation-wide policy/,
  ],
  [
    "a move under way",
    withMailbox((m) => ((m.MailboxMoveStatus = "InProgress"), (m.MailboxMoveBatchName = "old"))),
    "user.source.moving",
    "blocking",
    "source",
    /Complete or remove that move/,
  ],
  [
    "outside the scope group",
    { source: source({ scopeMembers: [] }) },
    "user.scope",
    "blocking",
    "source",
    /Add-DistributionGroupMember -Identity migration-to-contoso@fabrikam.com -Member adele@fabrikam.com/,
  ],
  [
    "unlicensed",
    withMailbox((m) => (m.PersistedCapabilities = ["BPOS_S_Enterprise"])),
    "user.licence",
    "blocking",
    "target",
    /Set-MgUserLicense -UserId adele@contoso.com -AddLicenses @\{SkuId="946ce899/,
  ],
  [
    "target not staged",
    { target: target({ mailUsers: [] }) },
    "user.target.found",
    "blocking",
    "target",
    /mailuser\/adele@contoso.com/,
  ],
  [
    "target is a mailbox",
    {
      target: target({
        mailUsers: [],
        mailboxes: [
          { ...mailUser(), RecipientTypeDetails: "UserMailbox", ExchangeGuid: "99999999-9999-4999-8999-999999999999" },
        ],
      }),
    },
    "user.target.type",
    "blocking",
    "target",
    /Free the address/,
  ],
  [
    "ExchangeGuid missing",
    withMailUser((m) => (m.ExchangeGuid = "00000000-0000-0000-0000-000000000000")),
    "user.exchangeGuid",
    "blocking",
    "target",
    new RegExp(`Set-MailUser -Identity adele@contoso.com -ExchangeGuid ${EXG}`),
  ],
  [
    "ArchiveGuid missing",
    withMailUser((m) => (m.ArchiveGuid = "00000000-0000-0000-0000-000000000000")),
    "user.archiveGuid",
    "blocking",
    "target",
    new RegExp(`-ArchiveGuid ${ARC}`),
  ],
  [
    "archive on the target only",
    { ...withMailbox((m) => (m.ArchiveGuid = "00000000-0000-0000-0000-000000000000")) },
    "user.archiveGuid",
    "warning",
    "target",
    /archive will not be moved/,
  ],
  [
    "LegacyExchangeDN x500 missing",
    withMailUser((m) => (m.EmailAddresses = (m.EmailAddresses as string[]).filter((p) => !p.includes("abc-adele")))),
    "user.x500.legacyExchangeDN",
    "blocking",
    "target",
    /@\{add="x500:\/o=ExchangeLabs/,
  ],
  [
    "an older x500 missing",
    withMailUser((m) => (m.EmailAddresses = (m.EmailAddresses as string[]).filter((p) => p !== OLD_X500))),
    "user.x500.proxies",
    "warning",
    "target",
    /@\{add="x500:\/o=First Organization/,
  ],
  [
    "primary outside accepted domains",
    withMailUser(
      (m) => (
        (m.PrimarySmtpAddress = "adele@contoso.org"),
        (m.EmailAddresses = [
          "SMTP:adele@contoso.org",
          "smtp:adele@contoso.com",
          "smtp:adele@contoso.onmicrosoft.com",
          `x500:${DN}`,
          OLD_X500,
        ])
      ),
    ),
    "user.acceptedDomain.primary",
    "blocking",
    "target",
    /-PrimarySmtpAddress adele@contoso.com/,
  ],
  [
    "a source proxy on the target",
    withMailUser(
      (m) => (m.EmailAddresses = [...(m.EmailAddresses as string[]), "smtp:adele@fabrikam.onmicrosoft.com"]),
    ),
    "user.acceptedDomain.proxies",
    "blocking",
    "target",
    /@\{remove="smtp:adele@fabrikam.onmicrosoft.com"\}/,
  ],
  [
    "external address elsewhere",
    withMailUser((m) => (m.ExternalEmailAddress = "SMTP:adele@gmail.com")),
    "user.externalAddress",
    "blocking",
    "target",
    /-ExternalEmailAddress adele@fabrikam.com/,
  ],
  [
    "external address a secondary",
    withMailUser((m) => (m.ExternalEmailAddress = "SMTP:adele@fabrikam.onmicrosoft.com")),
    "user.externalAddress",
    "warning",
    "target",
    /-ExternalEmailAddress adele@fabrikam.com/,
  ],
  [
    "no delivery-domain address",
    withMailUser(
      (m) => (m.EmailAddresses = (m.EmailAddresses as string[]).filter((p) => !p.endsWith("contoso.onmicrosoft.com"))),
    ),
    "user.deliveryAddress",
    "blocking",
    "target",
    /@\{add="smtp:adele@contoso.onmicrosoft.com"\}/,
  ],
  [
    "recoverable items may not fit",
    withMailbox((m) => (m.RecoverableItemsQuota = GB(100))),
    "user.recoverableItemsQuota",
    "warning",
    "target",
    /Get-MailboxStatistics -Identity adele@fabrikam.com/,
  ],
  [
    "a DirSynced MailUser",
    withMailUser((m) => ((m.IsDirSynced = true), (m.ExchangeGuid = ""))),
    "user.exchangeGuid",
    "blocking",
    "target",
    /DirSynced: .* on premises/,
  ],
];

test.each(USER_CASES)("%s", (_name, change, check, severity, tenant, fix) => {
  const e = assessWave(input(change));
  const f = e.findings.filter((x) => x.check === check);
  expect(f).toHaveLength(1);
  expect(f[0]).toMatchObject({ severity, tenant, user: "adele@contoso.com", pending: false });
  expect(f[0].fix).toMatch(fix);
  expect(f[0].message).toMatch(/^adele@contoso.com \(source adele@fabrikam.com\): /);
  expect(e.blockedUsers).toEqual(severity === "blocking" ? ["adele@contoso.com"] : []);
  expect(e.summary.warnings).toBe(e.findings.filter((x) => x.severity === "warning").length);
});

// [case, change, check id, severity]
const ORG_CASES: Array<[string, Partial<AssessInput>, string, "blocking" | "warning"]> = [
  ["no app", { target: target({ app: null }) }, "org.app", "blocking"],
  [
    "redirect with a trailing slash",
    { target: target({ app: { ...target().app!, web: { redirectUris: ["https://office.com/"] } } }) },
    "org.app.redirectUri",
    "warning",
  ],
  [
    "app without Exchange permissions",
    { target: target({ app: { ...target().app!, requiredResourceAccess: [] } }) },
    "org.app.exchangePermission",
    "blocking",
  ],
  [
    "single-tenant app",
    { target: target({ app: { ...target().app!, signInAudience: "AzureADMyOrg" } }) },
    "org.app.multiTenant",
    "blocking",
  ],
  ["no endpoint", { target: target({ endpoint: null }) }, "org.endpoint", "blocking"],
  [
    "endpoint for another app",
    { target: target({ endpoint: { ...target().endpoint!, ApplicationId: EXG } }) },
    "org.endpoint",
    "blocking",
  ],
  [
    "no consent in the source",
    { source: source({ servicePrincipal: null }) },
    "org.sourceServicePrincipal",
    "blocking",
  ],
  [
    "consented app from elsewhere",
    { source: source({ servicePrincipal: { id: "sp", appId: APP, appOwnerOrganizationId: SRC_TENANT } }) },
    "org.sourceServicePrincipal",
    "blocking",
  ],
  ["no target relationship", { target: target({ relationships: [] }) }, "org.targetRelationship", "blocking"],
  [
    "target relationship outbound only",
    { target: target({ relationships: [{ ...target().relationships[0], MailboxMoveCapability: "RemoteOutbound" }] }) },
    "org.targetRelationship",
    "blocking",
  ],
  [
    "target relationship disabled",
    { target: target({ relationships: [{ ...target().relationships[0], Enabled: false }] }) },
    "org.targetRelationship.enabled",
    "warning",
  ],
  ["no source relationship", { source: source({ relationships: [] }) }, "org.sourceRelationship", "blocking"],
  [
    "source relationship moves off",
    { source: source({ relationships: [{ ...source().relationships[0], MailboxMoveEnabled: false }] }) },
    "org.sourceRelationship",
    "blocking",
  ],
  [
    "source relationship to another tenant",
    { source: source({ relationships: [{ ...source().relationships[0], DomainNames: [SRC_TENANT] }] }) },
    "org.sourceRelationship.domainNames",
    "blocking",
  ],
  [
    "no published scope",
    { source: source({ relationships: [{ ...source().relationships[0], MailboxMovePublishedScopes: [] }] }) },
    "org.sourceRelationship.scope",
    "blocking",
  ],
  [
    "another group published",
    {
      source: source({ relationships: [{ ...source().relationships[0], MailboxMovePublishedScopes: ["All Staff"] }] }),
    },
    "org.sourceRelationship.scope",
    "blocking",
  ],
  ["scope group missing", { source: source({ scopeGroup: null, scopeMembers: [] }) }, "org.scopeGroup", "blocking"],
  [
    "scope group not security",
    { source: source({ scopeGroup: { ...group(), RecipientTypeDetails: "MailUniversalDistributionGroup" } }) },
    "org.scopeGroup",
    "blocking",
  ],
];

test.each(ORG_CASES)("organisation: %s", (_name, change, check, severity) => {
  const e = assessWave(input(change));
  const f = e.findings.find((x) => x.check === check);
  expect(f).toMatchObject({ severity, user: null, pending: false });
  expect(f!.fix.length).toBeGreaterThan(10);
  // An organisation finding that blocks, blocks everyone; a warning blocks nobody.
  if (severity === "blocking") expect(e.summary).toMatchObject({ blocked: 1, ready: 0 });
  else expect(e.summary).toMatchObject({ blocked: 0, ready: 1 });
});

test("pending: what this run may fix blocks nobody; source-mailbox facts still block", () => {
  const unstaged = assessWave(input({ pending: true, target: target({ mailUsers: [] }) }));
  expect(unstaged.findings.map((f) => [f.check, f.pending])).toEqual([["user.target.found", true]]);
  expect(unstaged.summary).toMatchObject({ pending: 1, blocked: 0 });
  const held = assessWave(input({ pending: true, ...withMailbox((m) => (m.LitigationHoldEnabled = true)) }));
  expect(held.findings.find((f) => f.check === "user.hold.litigation")!.pending).toBe(false);
  expect(held.blockedUsers).toEqual(["adele@contoso.com"]);
  // A user held for its source is deliberately not staged: no second finding about the missing MailUser.
  const heldUnstaged = assessWave(
    input({ ...withMailbox((m) => (m.LitigationHoldEnabled = true)), target: target({ mailUsers: [] }) }),
  );
  expect(heldUnstaged.findings.map((f) => f.check)).toEqual(["user.hold.litigation"]);
  // Inputs known only at up: the checks that need them are listed, not guessed.
  const noApp = assessWave(input({ appId: undefined }));
  expect(noApp.notChecked.map((n) => n.check)).toEqual([
    "org.app",
    "org.endpoint",
    "org.sourceServicePrincipal",
    "org.sourceRelationship",
  ]);
  expect(noApp.summary).toMatchObject({ pending: 1, ready: 0 });
});

test("a finished move: nothing to check, nothing to batch", () => {
  const movedSource = { ...mailbox(), RecipientTypeDetails: "MailUser" };
  const e = assessWave(
    input({
      source: source({ mailboxes: [], mailUsers: [movedSource] }),
      target: target({ mailUsers: [], mailboxes: [{ ...mailUser(), RecipientTypeDetails: "UserMailbox" }] }),
    }),
  );
  expect(e.findings).toEqual([]);
  expect(e.movedUsers).toEqual(["adele@contoso.com"]);
  expect(e.summary).toMatchObject({ moved: 1, ready: 0 });
});

test("licences: needed against available, licence seen on either side", () => {
  const unlicensed = withMailbox((m) => (m.PersistedCapabilities = []));
  expect(assessWave(input(unlicensed)).licences).toMatchObject({
    needed: 1,
    source: { found: false },
    target: { found: true, available: 8 },
  });
  // The licence on the target MailUser is as good as on the source mailbox.
  const onTarget = { ...unlicensed, ...withMailUser((m) => (m.PersistedCapabilities = ["EXCHANGET2TMBXMOVE"])) };
  expect(assessWave(input(onTarget)).findings).toEqual([]);
  // No units anywhere: the organisation warning says how many to buy.
  const none = assessWave(input({ ...unlicensed, target: target({ skus: [EXO] }) }));
  expect(none.findings.find((f) => f.check === "org.licences")).toMatchObject({
    severity: "warning",
    message: expect.stringMatching(/^1 user\(s\) .* 0 can be assigned/),
  });
  expect(none.findings.find((f) => f.check === "user.licence")!.fix).toMatch(/^Buy /);
  // Units in the source: the fix is made there, on the user who already has a mailbox.
  const inSource = assessWave(
    input({ source: source({ mailboxes: [{ ...mailbox(), PersistedCapabilities: [] }], skus: [EXO, T2T] }) }),
  ).findings[0];
  expect(inSource).toMatchObject({
    check: "user.licence",
    tenant: "source",
    fix: expect.stringMatching(/^Assign it in the source: Set-MgUserLicense -UserId adele@fabrikam.com /),
  });
  // A shared mailbox: Microsoft's validator skips it, so it is a warning.
  const shared = assessWave(
    input(withMailbox((m) => ((m.PersistedCapabilities = []), (m.RecipientTypeDetails = "SharedMailbox")))),
  );
  expect(shared.findings.map((f) => [f.check, f.severity])).toEqual([["user.licence", "warning"]]);
});

test.each([
  [
    "matched by service plan, whatever the part number",
    [EXO, { ...T2T, skuPartNumber: "CSP_CROSSTENANTUSERDATAMIGRATION" }],
    { found: true, skuPartNumber: "CSP_CROSSTENANTUSERDATAMIGRATION", available: 8 },
  ],
  [
    "the OneDrive plan alone does not count",
    [{ ...T2T, servicePlans: [{ servicePlanName: "SHAREPOINTONLINE_T2TODMOVE" }] }],
    { found: false, note: expect.stringMatching(/no EXCHANGEONLINE_T2TMBXMOVE service plan/) },
  ],
  [
    "the SKU with most units left is used",
    [
      { ...T2T, consumedUnits: 10 },
      { ...T2T, skuId: "aaaaaaaa-1111-4111-8111-111111111111", prepaidUnits: { enabled: 5 }, consumedUnits: 0 },
    ],
    { found: true, skuId: "aaaaaaaa-1111-4111-8111-111111111111", available: 5 },
  ],
  [
    "a suspended subscription has no units",
    [{ ...T2T, capabilityStatus: "Suspended" }],
    { found: true, enabled: 0, available: 0 },
  ],
  ["none at all", [EXO], { found: false, available: 0 }],
])("licence pool: %s", (_name, skus, expected) => {
  expect(licencePool(skus as SubscribedSku[])).toMatchObject(expected);
});

test("capabilities and sizes as Exchange writes them", () => {
  expect(hasMoveCapability(["BPOS_S_Enterprise", "EXCHANGET2TMBXMOVE"])).toBe(true);
  expect(hasMoveCapability("ExchangeT2TMbxMove")).toBe(true);
  expect(hasMoveCapability(null)).toBe(false);
  expect(sizeBytes(GB(30))).toBe(30 * 1024 ** 3);
  expect(sizeBytes("Unlimited")).toBeUndefined();
  // An exclusion from an organisation-wide policy is not a hold.
  expect(
    holdsOf(
      { InPlaceHolds: ["-mbx9f8e7d6c5b4a39281716151413121110"] },
      ["mbx9f8e7d6c5b4a39281716151413121110:2"],
      "a@b.c",
    ),
  ).toEqual([]);
  expect(holdsOf({ InPlaceHolds: ["grp123"] }, ["grp456:1"], "a@b.c")).toEqual([]);
});

test("verdicts: an organisation finding blocks everyone not yet moved", () => {
  const users = [
    { source: "a@f.com", target: "a@c.com" },
    { source: "b@f.com", target: "b@c.com" },
  ];
  const org = {
    check: "org.endpoint",
    severity: "blocking" as const,
    tenant: "target" as const,
    user: null,
    pending: false,
    message: "m",
    fix: "f",
  };
  const e = evaluate(users, new Set(["b@c.com"]), [org], [], { needed: 0, source: null, target: null });
  expect(e.users.map((u) => u.state)).toEqual(["blocked", "moved"]);
  expect(
    evaluate(users, new Set(), [{ ...org, pending: true }], [], { needed: 0, source: null, target: null }).summary,
  ).toMatchObject({ pending: 2, blocked: 0 });
});

test("the report: summary, licences, organisation, a row per user, every fix; cells cannot break the table", () => {
  const e = assessWave(
    input({
      ...withMailUser((m) => (m.ExchangeGuid = "")),
      target: target({ mailUsers: [{ ...mailUser(), ExchangeGuid: "" }], relationships: [] }),
    }),
  );
  const md = renderReport({ wave: "wave-1", checkedAt: "2026-09-01T10:00:00.000Z" }, e);
  expect(md).toMatch(/^# Readiness of wave wave-1/);
  expect(md).toContain("| Users | Ready | Blocked | Pending | Moved | Warnings |");
  expect(md).toContain("| 1 | 0 | 1 | 0 | 0 | 0 |");
  expect(md).toMatch(
    /\| target \| Cross_tenant_user_data_migration \(946ce899-873d-44bb-9d8b-671870cbfdbf\) \| 10 \| 2 \| 8 \|/,
  );
  expect(md).toMatch(/\| \*\*blocking\*\* \| target \| org.targetRelationship \|/);
  expect(md).toMatch(/\| adele@fabrikam.com \| adele@contoso.com \| \*\*blocked\*\* \| user.exchangeGuid \|/);
  expect(md).toContain(`Set-MailUser -Identity adele@contoso.com -ExchangeGuid ${EXG}`);
  expect(md).toContain("Get-MailboxStatistics");
  // Every table row has the same number of cells as its header (a "|" in a value is escaped).
  const withPipe = assessWave(input({ target: target({ endpoint: { ...target().endpoint!, RemoteServer: "a|b" } }) }));
  for (const block of renderReport({ wave: "w", checkedAt: "t" }, withPipe).split("\n\n")) {
    const rows = block.split("\n").filter((l) => l.startsWith("| "));
    const cells = (l: string) => l.replace(/\\\|/g, "").split("|").length;
    if (rows.length) expect(new Set(rows.map(cells)).size).toBe(1);
  }
});

test("split administration: a stack that sees one tenant checks its side and lists the rest", () => {
  const sourceOnly = assessWave(input({ target: undefined, ...withMailbox((m) => (m.LitigationHoldEnabled = true)) }));
  expect(sourceOnly.findings.map((f) => f.check)).toEqual(["user.hold.litigation"]);
  expect(sourceOnly.notChecked.map((n) => [n.check, n.pending])).toEqual([
    ["target", false],
    ["user.licence", false],
  ]);
  expect(sourceOnly.licences).toMatchObject({ source: { found: false }, target: null });
  const targetOnly = assessWave(input({ source: undefined }));
  // Without the source, the target's values cannot be compared with it: only the target's own facts count.
  expect(targetOnly.findings).toEqual([]);
  expect(targetOnly.notChecked.map((n) => n.check)).toEqual(["source", "user.licence"]);
  expect(targetOnly.summary).toMatchObject({ ready: 1 });
});

test("split administration, target side: a MailUser without ExchangeGuid is still found", () => {
  const e = assessWave(
    input({ source: undefined, ...withMailUser((m) => (m.ExchangeGuid = "00000000-0000-0000-0000-000000000000")) }),
  );
  expect(e.findings.map((f) => [f.check, f.severity])).toEqual([["user.exchangeGuid", "blocking"]]);
});
