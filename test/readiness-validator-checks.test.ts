// The validator's per-user checks through the real dynamic-provider host, against an emulated pair that the real
// program prepared and staged (CrossTenantMigration with the target licensing the wave): items in an archive's
// SubstrateHolds, a dumpster above the target MailUser's quota, an organisation-wide hold in the HoldTracking log,
// previous-mailbox information on the target; each blocks its user with the fix Microsoft documents. The reads are
// per user, and a second check of an unchanged wave repeats only those that found something. Then the opt-in clear
// of previous-mailbox information: its own step in the preview, irreversible, never on an object with a mailbox.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { useEmulator } from "./support/emulator";
import { Engine, declareResource } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import { ProgramRunner } from "../harness/programRunner";
import { CrossTenantMigration } from "../components/crossTenantMigration";
import { planUsers } from "../providers/staging/plan";
import { expandFindings, type Finding } from "../providers/readiness";
import { PreviousMailboxCleanup } from "../providers/previousMailboxCleanup";
import { findTenant, type Rec, type TenantState } from "../emulator/model";
import { ARCHIVE_CONTENT_KEY, HOLD_TRACKING_KEY } from "../emulator/exchange/mailboxContent";
import { SEEDED_ORG_RETENTION_HOLD } from "../emulator/exchange/seed";
import { FAKE_PWSH } from "../emulator/fakePwsh";
import { readStaging } from "../config/waves";
import { StackConfigError } from "../config/stackConfig";

const WAVE = ["adelev", "alexw", "nestorw", "pradeepg", "pattif", "raulr"];
const PER_USER = ["Get-MailboxFolderStatistics", "Get-MailboxStatistics", "Export-MailboxDiagnosticLogs", "Get-User"];
const REPORT_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-validator-"));

const emulator = useEmulator({ mailboxes: 0 });
const providerHost = useProviderHost(emulator, { config: { pwshPath: FAKE_PWSH } });
const tenant = (role: "source" | "target"): TenantState =>
  findTenant(emulator().state, emulator().tenants[role].tenantId)!;
const recipient = (t: TenantState, address: string): Rec =>
  [...t.exchange.recipients.values()]
    .map((s) => s.obj)
    .find((o) => ((o.EmailAddresses as string[]) ?? []).some((p) => p.toLowerCase() === `smtp:${address}`))!;
/** Exchange calls since `mark`, as "<cmdlet> <tenant>". */
const callsSince = (mark: number) =>
  emulator()
    .requests.slice(mark)
    .filter((r) => r.surface === "exchange" && r.cmdlet !== undefined)
    .map((r) => String(r.cmdlet));
const perUserCalls = (mark: number) =>
  callsSince(mark)
    .filter((c) => PER_USER.includes(c))
    .sort();

function program(clear: string[] = []) {
  return () => {
    const e = emulator();
    const { users } = planUsers(
      WAVE.map((a) => ({ source: `${a}@fabrikam.com` })),
      { "fabrikam.com": "contoso.com" },
    );
    new CrossTenantMigration("pair", {
      source: { tenantId: e.tenants.source.tenantId, domain: e.tenants.source.domain },
      target: { tenantId: e.tenants.target.tenantId, domain: e.tenants.target.domain },
      waves: [{ name: "wave-1", users, ...(clear.length ? { clearPreviousMailboxInfo: clear } : {}) }],
      targetDomains: ["contoso.com"],
      purgeStagedUsersOnDestroy: true,
      licences: { assign: "target", usageLocation: "US" },
      readinessReportDir: REPORT_DIR,
    });
  };
}

type Checked = { findings: Finding[]; blockedUsers: string[]; summary: Record<string, number>; userChecks: Rec[] };
let runner: ProgramRunner;
const readinessState = (): Checked => {
  const outputs = [...runner.engine.states.values()].find((s) => s.name === "readiness/wave-1")!.outputs;
  return { ...outputs, findings: expandFindings(outputs) } as unknown as Checked;
};
const checksOf = (c: Checked, alias: string) =>
  c.findings
    .filter((f) => f.user === `${alias}@contoso.com`)
    .map((f) => `${f.severity} ${f.check}`)
    .sort();

/**
 * The source organisation has one organisation-wide retention policy, from which every wave user but pattif is
 * excluded (as an ExchangeLocationException shows: "-<policy>" in the mailbox's InPlaceHolds). Only while such a
 * policy exists are the HoldTracking logs read.
 */
const POLICY = SEEDED_ORG_RETENTION_HOLD;
const exclude = (alias: string, policy = POLICY) => {
  const m = recipient(tenant("source"), `${alias}@fabrikam.com`);
  m.InPlaceHolds = [...((m.InPlaceHolds as string[]) ?? []), `-${policy.split(":")[0]}`];
};

beforeAll(async () => {
  tenant("source").exchange.organizationConfig.InPlaceHolds = [POLICY];
  for (const a of WAVE) if (a !== "pattif") exclude(a);
  runner = new ProgramRunner(new Engine(providerHost()));
  await runner.up(program());
}, 120_000);

afterAll(() => fs.rmSync(REPORT_DIR, { recursive: true, force: true }));

test("each check of the validator that reads per user blocks the seeded user that trips it, with Microsoft's fix", () => {
  const c = readinessState();
  expect(checksOf(c, "adelev")).toEqual([]);
  expect(checksOf(c, "alexw")).toEqual([]);
  expect(checksOf(c, "nestorw")).toEqual(["blocking user.substrateHolds"]);
  // Measured and above the quota: the blocking finding replaces the warning that it might be.
  expect(checksOf(c, "pradeepg")).toEqual(["blocking user.deletedItemSize"]);
  expect(checksOf(c, "pattif")).toEqual(["blocking user.hold.organization"]);
  expect(checksOf(c, "raulr")).toEqual(["blocking user.previousMailbox"]);
  const find = (check: string) => c.findings.find((f) => f.check === check)!;
  const archive = String(recipient(tenant("source"), "nestorw@fabrikam.com").ArchiveGuid);
  expect(find("user.substrateHolds")).toMatchObject({
    tenant: "source",
    pending: false,
    message: expect.stringContaining("SubstrateHolds folder holds 12 item(s)"),
    fix: expect.stringContaining(`MFCMapi`),
  });
  expect(find("user.substrateHolds").fix).toContain(
    `Get-MailboxFolderStatistics ${archive} -FolderScope RecoverableItems`,
  );
  expect(find("user.deletedItemSize")).toMatchObject({
    tenant: "target",
    message: expect.stringContaining("45 GB (48,318,382,080 bytes)"),
    fix: expect.stringContaining("Set-MailUser -Identity pradeepg@contoso.com -EnableLitigationHoldForMigration"),
  });
  expect(find("user.hold.organization").message).toContain("HoldTracking log: mbx0c4e5f6a7b8c49d0a1b2c3d4e5f60718:1");
  expect(find("user.hold.organization").fix).toContain("-AddExchangeLocationException pattif@fabrikam.com");
  expect(find("user.previousMailbox")).toMatchObject({
    tenant: "target",
    message: expect.stringContaining("PreviousRecipientTypeDetails UserMailbox"),
    fix: expect.stringContaining("clearPreviousMailboxInfo"),
  });
  expect([...c.blockedUsers].sort()).toEqual(
    ["nestorw", "pradeepg", "pattif", "raulr"].map((a) => `${a}@contoso.com`).sort(),
  );
  // What the reads found is kept with what it depended on.
  const adele = c.userChecks.find((r) => r.target === "adelev@contoso.com")!;
  expect(adele).toMatchObject({
    substrateHolds: {
      basis: `archive:${String(recipient(tenant("source"), "adelev@fabrikam.com").ArchiveGuid)}`,
      value: { items: 0 },
    },
    holdTracking: { value: { available: true, holds: [] } },
    previousMailbox: { value: { type: null } },
  });
});

test("a preview of the unchanged wave reads again only what found something; nothing is written", async () => {
  const mark = emulator().requests.length;
  const preview = await runner.preview(program());
  expect(preview.steps.filter((s) => s.op !== "same")).toEqual([]);
  expect(perUserCalls(mark)).toEqual([
    "Export-MailboxDiagnosticLogs", // pattif's hold
    "Get-MailboxFolderStatistics", // nestorw's archive
    "Get-MailboxStatistics", // pradeepg's dumpster
    "Get-User", // raulr's previous mailbox
  ]);
  expect(callsSince(mark).filter((c) => !/^(Get-|Export-MailboxDiagnosticLogs$)/.test(c))).toEqual([]);
});

test("a fix shows at the next check: the SubstrateHolds emptied; the hold ended and the policy excludes her", async () => {
  const nestor = recipient(tenant("source"), "nestorw@fabrikam.com");
  const patti = recipient(tenant("source"), "pattif@fabrikam.com");
  const substrate = nestor[ARCHIVE_CONTENT_KEY];
  const log = patti[HOLD_TRACKING_KEY] as Rec[];
  nestor[ARCHIVE_CONTENT_KEY] = { recoverable: { SubstrateHolds: { items: 0, bytes: 0 } } };
  // The log keeps an ended entry: the validator's pattern still matches it, but it no longer holds the mailbox.
  patti[HOLD_TRACKING_KEY] = [{ ...log[0], ed: "2026-11-01T00:00:00.0000000Z" }];
  exclude("pattif");
  try {
    await runner.up(program());
    const c = readinessState();
    expect(checksOf(c, "nestorw")).toEqual([]);
    expect(checksOf(c, "pattif")).toEqual([]);
    // Now clean, they are reused: another preview reads only pradeepg's and raulr's again.
    const mark = emulator().requests.length;
    await runner.preview(program());
    expect(perUserCalls(mark)).toEqual(["Get-MailboxStatistics", "Get-User"]);
  } finally {
    nestor[ARCHIVE_CONTENT_KEY] = substrate;
    patti[HOLD_TRACKING_KEY] = log;
    patti.InPlaceHolds = [];
  }
});

test("a new organisation-wide policy is a new basis: every log is read again, and an excluded mailbox is not held", async () => {
  const org = tenant("source").exchange.organizationConfig;
  const alex = recipient(tenant("source"), "alexw@fabrikam.com");
  const policy = "mbx99998888777766665555444433332222:1";
  const before = alex.InPlaceHolds;
  org.InPlaceHolds = [POLICY, policy];
  exclude("alexw", policy);
  try {
    const mark = emulator().requests.length;
    const preview = await runner.preview(program());
    expect(preview.steps.map((s) => s.name)).toContain("readiness/wave-1");
    const logs = emulator()
      .requests.slice(mark)
      .filter((r) => r.cmdlet === "Export-MailboxDiagnosticLogs");
    // Every user of the wave: the bulk checks block none of them (the organisation's list alone blocks nobody
    // before the log is read), and each is a user mailbox whose basis now names the new policy.
    expect(logs.length).toBe(WAVE.length);
    await runner.up(program());
    const c = readinessState();
    expect(checksOf(c, "adelev")).toEqual(["blocking user.hold.organization"]);
    expect(c.findings.find((f) => f.user === "adelev@contoso.com")!.message).toContain(`HoldTracking log: ${policy}`);
    expect(checksOf(c, "alexw")).toEqual([]);
  } finally {
    org.InPlaceHolds = [POLICY];
    alex.InPlaceHolds = before;
    await runner.up(program());
  }
});

test("without an organisation-wide policy no log is read: no log can hold one", async () => {
  const org = tenant("source").exchange.organizationConfig;
  org.InPlaceHolds = [];
  try {
    const mark = emulator().requests.length;
    await runner.preview(program());
    expect(perUserCalls(mark).filter((c) => c === "Export-MailboxDiagnosticLogs")).toEqual([]);
  } finally {
    org.InPlaceHolds = [POLICY];
  }
});

describe("clearing previous-mailbox information (waves.<wave>.clearPreviousMailboxInfo)", () => {
  test("the stack file may name only the wave's own users, by source or target address", () => {
    const keys = {
      "xtmm:targetDomain": "contoso.onmicrosoft.com",
      "xtmm:domainMap": JSON.stringify({ "fabrikam.com": "contoso.com" }),
      "xtmm:targetDomains": JSON.stringify(["contoso.com"]),
      "xtmm:waves": JSON.stringify({
        "wave-1": {
          users: ["raulr@fabrikam.com", "adelev@fabrikam.com"],
          clearPreviousMailboxInfo: ["raulr@fabrikam.com", "adelev@contoso.com"],
        },
      }),
    };
    pulumi.runtime.setAllConfig(keys);
    const ok = readStaging(new pulumi.Config("xtmm"), REPORT_DIR).waves[0];
    expect(ok.clearPreviousMailboxInfo).toEqual(["raulr@contoso.com", "adelev@contoso.com"]);
    pulumi.runtime.setAllConfig({
      ...keys,
      "xtmm:waves": JSON.stringify({
        "wave-1": { users: ["raulr@fabrikam.com"], clearPreviousMailboxInfo: ["meganb@fabrikam.com"] },
      }),
    });
    expect(() => readStaging(new pulumi.Config("xtmm"), REPORT_DIR)).toThrow(StackConfigError);
    expect(() => readStaging(new pulumi.Config("xtmm"), REPORT_DIR)).toThrow(
      /xtmm:waves\.wave-1\.clearPreviousMailboxInfo\[0\]: "meganb@fabrikam.com" is not a user of this wave/,
    );
    pulumi.runtime.setAllConfig({
      ...keys,
      "xtmm:waves": JSON.stringify({
        "wave-1": { users: ["raulr@fabrikam.com"], clearPreviousMailboxInfo: "raulr@fabrikam.com" },
      }),
    });
    expect(() => readStaging(new pulumi.Config("xtmm"), REPORT_DIR)).toThrow(/clearPreviousMailboxInfo must be a list/);
  });

  test("preview shows the clear as its own step and writes nothing; up clears it and readiness lets the user move", async () => {
    const mark = emulator().requests.length;
    const preview = await runner.preview(program(["raulr@contoso.com"]));
    const steps = preview.steps.filter((s) => s.op !== "same");
    expect(steps.map((s) => [s.op, s.name])).toEqual([
      ["create", "previous-mailbox/raulr@contoso.com"],
      // Readiness waits for the clear: raulr's finding is pending until up has run it.
      ["update", "readiness/wave-1"],
    ]);
    expect(steps[0].type).toBe("pulumi-nodejs:dynamic/xtmm:PreviousMailboxCleanup");
    expect(callsSince(mark).filter((c) => c === "Set-User")).toEqual([]);
    // The target still shows it.
    expect(recipient(tenant("target"), "raulr@contoso.com").__previousMailbox).toBeDefined();

    const upMark = emulator().requests.length;
    await runner.up(program(["raulr@contoso.com"]));
    expect(callsSince(upMark).filter((c) => c === "Set-User")).toEqual(["Set-User"]);
    expect(recipient(tenant("target"), "raulr@contoso.com").__previousMailbox).toBeUndefined();
    const cleanup = [...runner.engine.states.values()].find((s) => s.name === "previous-mailbox/raulr@contoso.com")!;
    expect(cleanup.outputs).toMatchObject({
      target: "raulr@contoso.com",
      cleared: true,
      previousRecipientTypeDetails: "UserMailbox",
    });
    // Readiness ran after the clear, in the same up.
    expect(checksOf(readinessState(), "raulr")).toEqual([]);
    // Run again: nothing to do, nothing written.
    const again = emulator().requests.length;
    await runner.up(program(["raulr@contoso.com"]));
    expect(callsSince(again).filter((c) => c === "Set-User")).toEqual([]);
  });

  test("never on an object that holds a mailbox; deleting the record changes nothing", async () => {
    const engine = new Engine(providerHost());
    const admin = `admin@${tenant("target").initialDomain}`;
    const r = await declareResource(() => new PreviousMailboxCleanup("previous-mailbox/admin", { target: admin }));
    const mark = emulator().requests.length;
    await expect(engine.up(r)).rejects.toThrow(/refusing to clear the previous-mailbox information of a UserMailbox/);
    expect(callsSince(mark)).toEqual(["Get-User"]);
    // Taking raulr's record out of the stack file leaves the tenant as it is.
    const before = emulator().requests.length;
    await runner.up(program());
    expect(callsSince(before).filter((c) => !/^(Get-|Export-)/.test(c))).toEqual([]);
    expect([...runner.engine.states.values()].some((s) => s.name === "previous-mailbox/raulr@contoso.com")).toBe(false);
  });
});
