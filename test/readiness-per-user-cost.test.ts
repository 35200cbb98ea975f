// What the per-user checks of readiness cost for a 200-user wave that the real program staged and licensed, in
// Exchange calls counted by the emulator: the first check reads each user once (at most three source calls and
// one target call, fewer where a part does not apply: no archive, no organisation-wide policy), within the tenant's concurrency; a preview of the
// unchanged wave afterwards makes none of them. Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { useEmulator } from "./support/emulator";
import { Engine } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import { ProgramRunner } from "../harness/programRunner";
import { CrossTenantMigration } from "../components/crossTenantMigration";
import { planUsers } from "../providers/staging/plan";
import { findTenant, type Rec } from "../emulator/model";
import { FAKE_PWSH } from "../emulator/fakePwsh";

jest.setTimeout(600_000);

const USERS = 200;
const PER_USER = ["Get-MailboxFolderStatistics", "Get-MailboxStatistics", "Export-MailboxDiagnosticLogs", "Get-User"];
const REPORT_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-per-user-cost-"));
const aliases = Array.from({ length: USERS }, (_, i) => `user${String(i + 1).padStart(5, "0")}`);

const emulator = useEmulator({ mailboxes: USERS });
const providerHost = useProviderHost(emulator, { config: { pwshPath: FAKE_PWSH, exchangeConcurrency: "4" } });

function program() {
  const e = emulator();
  const { users } = planUsers(
    aliases.map((a) => ({ source: `${a}@fabrikam.com` })),
    { "fabrikam.com": "contoso.com" },
  );
  new CrossTenantMigration("pair", {
    source: { tenantId: e.tenants.source.tenantId, domain: e.tenants.source.domain },
    target: { tenantId: e.tenants.target.tenantId, domain: e.tenants.target.domain },
    waves: [{ name: "wave-1", users }],
    targetDomains: ["contoso.com"],
    purgeStagedUsersOnDestroy: true,
    licences: { assign: "target", usageLocation: "US" },
    readinessReportDir: REPORT_DIR,
  });
}

const count = (mark: number) => {
  const out: Record<string, number> = {};
  for (const r of emulator().requests.slice(mark))
    if (r.surface === "exchange" && r.cmdlet && PER_USER.includes(r.cmdlet)) out[r.cmdlet] = (out[r.cmdlet] ?? 0) + 1;
  return out;
};

afterAll(() => fs.rmSync(REPORT_DIR, { recursive: true, force: true }));

test(`${USERS} ready users: the first check reads each once, a preview of the unchanged wave reads none`, async () => {
  const target = findTenant(emulator().state, emulator().tenants.target.tenantId)!;
  const sku = target.directory.subscribedSkus.find((s) => /cross.?tenant/i.test(String(s.skuPartNumber)))!;
  (sku.prepaidUnits as Rec).enabled = USERS + 10;
  const runner = new ProgramRunner(new Engine(providerHost()));
  const mark = emulator().requests.length;
  await runner.up(program);
  const first = count(mark);
  const readiness = [...runner.engine.states.values()].find((s) => s.name === "readiness/wave-1")!.outputs;
  expect(readiness.summary).toMatchObject({ users: USERS, ready: USERS, blocked: 0 });
  // Generated users: every fifth has an archive. The up checks once (the engine calls check at up only). The
  // seeded organisation has no organisation-wide retention policy, so no HoldTracking log is read.
  expect(first).toEqual({
    "Get-MailboxFolderStatistics": USERS / 5,
    "Get-MailboxStatistics": USERS,
    "Get-User": USERS,
  });
  const again = emulator().requests.length;
  const preview = await runner.preview(program);
  expect(preview.steps.filter((s) => s.op !== "same")).toEqual([]);
  expect(count(again)).toEqual({});
  const calls = emulator()
    .requests.slice(again)
    .filter((r) => r.surface === "exchange").length;
  console.log(
    `readiness of ${USERS} ready users: first check ${JSON.stringify(first)}; preview of the unchanged wave: 0 per-user calls, ${calls} Exchange calls in all`,
  );
});
