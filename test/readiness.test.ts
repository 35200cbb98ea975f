// Readiness through the real dynamic-provider host against an emulated pair that the real program prepared
// (CrossTenantMigration: app, consents, endpoint, both relationships, scope group, a staged wave). Each of
// Microsoft's checks that issue 7 names gets its scenario: a mailbox on hold, an in-place hold, a missing x500,
// an unlicensed user, a user outside the scope group; plus an organisation finding that stops the whole wave,
// findings pending while this run still stages users, a recoverable-items quota warning, the report file, and
// the bulk read (calls do not grow with the wave). Preview writes nothing to either tenant.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { useEmulator, tenantOf } from "./support/emulator";
import { Engine, declareResource, withUnknowns, type DeclaredResource } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import { ProgramRunner } from "../harness/programRunner";
import { CrossTenantMigration } from "../components/crossTenantMigration";
import { planUsers } from "../providers/staging/plan";
import { Readiness, expandFindings, type Finding } from "../providers/readiness";
import { licenseForMigration } from "../emulator/exchange/fixtures";
import { type Rec, type TenantState } from "../emulator/model";
import { FAKE_PWSH } from "../emulator/fakePwsh";
// diegos is on litigation hold and lidiah on a retention policy: the wave holds them (no MailUser, not in scope).
const WAVE = ["adelev", "alexw", "meganb", "isaiahl", "diegos", "lidiah"];
const STAGED = ["adelev", "alexw", "meganb", "isaiahl"];
const REPORT_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-readiness-"));

const emulator = useEmulator({ mailboxes: 40 });
const providerHost = useProviderHost(emulator, { config: { pwshPath: FAKE_PWSH } });
const recipient = (t: TenantState, address: string): Rec =>
  [...t.exchange.recipients.values()]
    .map((s) => s.obj)
    .find((o) => ((o.EmailAddresses as string[]) ?? []).some((p) => p.toLowerCase() === `smtp:${address}`))!;
/** Requests that change a tenant: Exchange cmdlets other than Get-*, Graph calls other than GET. */
const writesSince = (mark: number) =>
  emulator()
    .requests.slice(mark)
    .filter(
      (r) =>
        (r.surface === "exchange" && r.cmdlet !== undefined && !/^Get-/i.test(r.cmdlet)) ||
        (r.surface === "graph" && r.method !== "GET"),
    );
const pair = (alias: string) => ({ source: `${alias}@fabrikam.com`, target: `${alias}@contoso.com` });

let engine: Engine;
let org: { appId: string; scopeGroup: string; endpointName: string };

function program() {
  const e = emulator();
  const { users } = planUsers(
    WAVE.map((a) => ({ source: `${a}@fabrikam.com` })),
    { "fabrikam.com": "contoso.com" },
  );
  new CrossTenantMigration("pair", {
    source: { tenantId: e.tenants.source.tenantId, domain: e.tenants.source.domain },
    target: { tenantId: e.tenants.target.tenantId, domain: e.tenants.target.domain },
    waves: [{ name: "wave-1", users }],
    targetDomains: ["contoso.com"],
    purgeStagedUsersOnDestroy: true,
    readinessReportDir: REPORT_DIR,
  });
}

function readiness(users = WAVE.map(pair), over: Record<string, unknown> = {}): Promise<DeclaredResource> {
  return declareResource(
    () =>
      new Readiness("readiness/wave-1", {
        wave: "wave-1",
        users,
        ...org,
        targetDeliveryDomain: "contoso.onmicrosoft.com",
        reportPath: path.join(REPORT_DIR, "test-wave-1.md"),
        refreshToken: "staged",
        ...over,
      }),
  );
}

type Checked = {
  findings: Finding[];
  blockedUsers: string[];
  summary: Record<string, number>;
  notChecked: { check: string }[];
  reportFile: string;
  licences: Record<string, unknown>;
};
const checked = async (r: DeclaredResource): Promise<Checked> => {
  const inputs = (await engine.preview(r)).inputs;
  return { ...inputs, findings: expandFindings(inputs) } as unknown as Checked;
};
const checksOf = (c: Checked, alias: string) =>
  c.findings
    .filter((f) => f.user === `${alias}@contoso.com`)
    .map((f) => `${f.severity} ${f.check}`)
    .sort();

beforeAll(async () => {
  const runner = new ProgramRunner(new Engine(providerHost()));
  await runner.up(program);
  const out = (name: string) => [...runner.engine.states.values()].find((s) => s.name === name)!.outputs;
  org = {
    appId: String(out("migration-app").appId),
    scopeGroup: String(out("scoping-group").identity),
    endpointName: String(out("migration-endpoint").identity),
  };
  engine = new Engine(providerHost());
}, 60_000);

afterAll(() => fs.rmSync(REPORT_DIR, { recursive: true, force: true }));

test("preview of a freshly staged wave: the holds and the missing licences, each with its fix; nothing written", async () => {
  const mark = emulator().requests.length;
  const c = await checked(await readiness());
  expect(writesSince(mark)).toEqual([]);
  // The program prepared the organisation as Microsoft's validator wants it.
  expect(c.findings.filter((f) => f.user === null)).toEqual([]);
  expect(c.notChecked).toEqual([]);
  expect(checksOf(c, "diegos")).toEqual([
    "blocking user.hold.litigation",
    "blocking user.licence",
    "blocking user.scope",
  ]);
  expect(checksOf(c, "lidiah")).toEqual(["blocking user.hold.inPlace", "blocking user.licence", "blocking user.scope"]);
  // Nobody holds the Cross Tenant User Data Migration licence yet: the target has 10 units, the source none.
  for (const a of STAGED) expect(checksOf(c, a)).toEqual(["blocking user.licence"]);
  expect(c.licences).toMatchObject({
    needed: 6,
    source: { found: false },
    target: { found: true, available: 10, skuPartNumber: "Cross_tenant_user_data_migration" },
  });
  const hold = c.findings.find((f) => f.check === "user.hold.litigation")!;
  expect(hold).toMatchObject({
    tenant: "source",
    pending: false,
    fix: expect.stringContaining("Set-Mailbox -Identity diegos@fabrikam.com -LitigationHoldEnabled $false"),
  });
  expect(c.findings.find((f) => f.user === "adelev@contoso.com")!.fix).toMatch(
    /^Assign it to the staged MailUser .*Set-MgUserLicense -UserId adelev@contoso.com/,
  );
  expect(c.summary).toEqual({ users: 6, ready: 0, blocked: 6, pending: 0, moved: 0, warnings: 0 });
});

test("licensed users become ready; an unlicensed one stays blocked by name; the report has a row per user", async () => {
  for (const a of STAGED.filter((x) => x !== "meganb"))
    licenseForMigration(
      tenantOf(emulator(), "target"),
      String(recipient(tenantOf(emulator(), "target"), `${a}@contoso.com`).ExternalDirectoryObjectId),
    );
  const r = await readiness();
  const { state } = await engine.up(r);
  expect(state.id).toBe("readiness/wave-1");
  const out = state.outputs as unknown as Checked;
  // In the wave's order, so the batch component's input is stable.
  expect(out.blockedUsers).toEqual(["meganb@contoso.com", "diegos@contoso.com", "lidiah@contoso.com"]);
  expect(checksOf(out, "meganb")).toEqual(["blocking user.licence"]);
  expect(out.summary).toMatchObject({ ready: 3, blocked: 3 });
  const md = fs.readFileSync(out.reportFile, "utf8");
  expect(md).toMatch(/\| meganb@fabrikam.com \| meganb@contoso.com \| \*\*blocked\*\* \| user.licence \|/);
  expect(md).toMatch(/\| adelev@fabrikam.com \| adelev@contoso.com \| ready \|/);
  expect(md).toContain("Set-Mailbox -Identity diegos@fabrikam.com -LitigationHoldEnabled $false");
  // Nothing changed: the next plan is empty.
  const again = await engine.preview(r);
  expect(again.op).toBe("same");
});

test("a missing x500 on a staged MailUser blocks that user, with the Set-MailUser that repairs it", async () => {
  const alex = recipient(tenantOf(emulator(), "target"), "alexw@contoso.com");
  const dn = String(recipient(tenantOf(emulator(), "source"), "alexw@fabrikam.com").LegacyExchangeDN);
  const before = alex.EmailAddresses as string[];
  alex.EmailAddresses = before.filter((p) => p.toLowerCase() !== `x500:${dn.toLowerCase()}`);
  try {
    const step = await engine.preview(await readiness());
    expect(step.op).toBe("update");
    const c = step.inputs as unknown as Checked;
    expect(checksOf(c, "alexw")).toEqual(["blocking user.x500.legacyExchangeDN"]);
    expect(c.findings.find((f) => f.check === "user.x500.legacyExchangeDN")!.fix).toBe(
      `Set-MailUser -Identity alexw@contoso.com -EmailAddresses @{add="x500:${dn}"}`,
    );
    expect(c.blockedUsers).toContain("alexw@contoso.com");
  } finally {
    alex.EmailAddresses = before;
  }
});

test("a user taken out of the scope group is blocked: MailboxNotInCrossTenantMigrationScopeException ahead of time", async () => {
  const group = [...tenantOf(emulator(), "source").exchange.recipients.values()]
    .map((s) => s.obj)
    .find((o) => o.Guid === org.scopeGroup)!;
  const isaiah = String(recipient(tenantOf(emulator(), "source"), "isaiahl@fabrikam.com").Guid);
  const members = group.__members as string[];
  group.__members = members.filter((g) => g !== isaiah);
  try {
    const c = await checked(await readiness());
    expect(checksOf(c, "isaiahl")).toEqual(["blocking user.scope"]);
    expect(c.findings.find((f) => f.check === "user.scope" && f.user === "isaiahl@contoso.com")!.fix).toMatch(
      /Add-DistributionGroupMember -Identity \S+ -Member isaiahl@fabrikam.com/,
    );
  } finally {
    group.__members = members;
  }
});

test("an organisation finding stops the whole wave; a quota that may not fit is a warning", async () => {
  const rel = [...tenantOf(emulator(), "target").exchange.organizationRelationships.values()][0].obj;
  const megan = recipient(tenantOf(emulator(), "source"), "adelev@fabrikam.com");
  rel.MailboxMoveEnabled = false;
  megan.RecoverableItemsQuota = "100 GB (107,374,182,400 bytes)";
  try {
    const c = await checked(await readiness());
    expect(c.findings.filter((f) => f.user === null).map((f) => `${f.severity} ${f.check}`)).toEqual([
      "blocking org.targetRelationship",
    ]);
    expect(c.blockedUsers).toHaveLength(6);
    expect(checksOf(c, "adelev")).toEqual(["warning user.recoverableItemsQuota"]);
    expect(c.summary).toMatchObject({ blocked: 6, warnings: 1 });
  } finally {
    rel.MailboxMoveEnabled = true;
    megan.RecoverableItemsQuota = "30 GB (32,212,254,720 bytes)";
  }
});

test("while this run still stages users (refreshToken unknown) their findings are pending and block nobody", async () => {
  const users = [...WAVE.map(pair), pair("henriettam")];
  const c = await checked(withUnknowns(await readiness(users), "refreshToken"));
  expect(c.findings.filter((f) => f.user === "henriettam@contoso.com").map((f) => [f.check, f.pending])).toEqual([
    ["user.scope", true],
    ["user.target.found", true],
    ["user.licence", true],
  ]);
  // Holds belong to the source mailbox: nothing this run does lifts them.
  expect(c.blockedUsers).toEqual(["diegos@contoso.com", "lidiah@contoso.com"]);
  expect(c.summary).toMatchObject({ ready: 3, pending: 2, blocked: 2 });
  // The app and endpoint made in the same run: their checks wait for up, and nobody is ready before that.
  const early = await checked(withUnknowns(await readiness(), "appId", "endpointName", "refreshToken"));
  expect(early.notChecked.map((n) => n.check)).toEqual([
    "org.app",
    "org.endpoint",
    "org.sourceServicePrincipal",
    "org.sourceRelationship",
  ]);
  expect(early.summary).toMatchObject({ ready: 0, blocked: 2, pending: 4 });
});

test("the check reads in bulk: the same calls for 6 users as for 46", async () => {
  const count = async (users: { source: string; target: string }[]) => {
    const mark = emulator().requests.length;
    await checked(await readiness(users));
    return emulator()
      .requests.slice(mark)
      .filter((r) => r.surface !== "login")
      .map((r) => (r.surface === "exchange" ? r.cmdlet : `${r.method} ${r.path.replace(/[0-9a-f-]{36}/g, "{id}")}`))
      .sort();
  };
  const small = await count(WAVE.map(pair));
  const generated = Array.from({ length: 40 }, (_, i) => pair(`user${String(i + 1).padStart(5, "0")}`));
  const big = await count([...WAVE.map(pair), ...generated]);
  expect(big).toEqual(small);
  expect(small).toEqual([
    "GET /v1.0/applications(appId='{id}')",
    "GET /v1.0/servicePrincipals(appId='{id}')",
    "GET /v1.0/subscribedSkus",
    "GET /v1.0/subscribedSkus",
    "Get-AcceptedDomain",
    "Get-DistributionGroup",
    "Get-DistributionGroupMember",
    "Get-MailUser",
    "Get-Mailbox",
    "Get-MigrationEndpoint",
    "Get-OrganizationConfig",
    "Get-OrganizationRelationship",
    "Get-OrganizationRelationship",
    "Get-Recipient",
  ]);
});

test("the report goes to readiness/<stack>-<wave>.md unless told otherwise", async () => {
  const r = await declareResource(() => new Readiness("readiness/wave-2", { wave: "wave-2", users: [], ...org }));
  expect(r.inputs.reportPath).toBe("readiness/test-wave-2.md");
});

test("destroy writes nothing in either tenant", async () => {
  const mark = emulator().requests.length;
  await engine.destroy(await readiness());
  expect(emulator().requests.length).toBe(mark);
});
