// Clearing a target MailUser's previous-mailbox information through the REAL Pulumi CLI against the emulator:
// raulr's target MailUser once was a mailbox (the seed), so the wave's readiness blocks him (user.previousMailbox)
// with the opt-in as its fix; a name that is not a user of the wave stops the program, naming the key; naming him
// under waves.wave-1.clearPreviousMailboxInfo shows the clear as its own step in the preview and writes nothing;
// up runs Set-User -PermanentlyClearPreviousMailboxInfo once and readiness lets him move; taking him out of the
// list deletes only the record. Needs `npx tsc -p tsconfig.json` first (the program and the provider host load dist/).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { useEmulator } from "./support/emulator";
import { CliStack, changesOf, emulatorConfig, resourceNamed, ROOT } from "../harness/pulumiCli";
import { findTenant, type Rec, type TenantState } from "../emulator/model";
import { expandFindings } from "../providers/readiness";

jest.setTimeout(600_000);

const SANDBOX = parse(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.sandbox.yaml"), "utf8")) as {
  config: Record<string, unknown>;
};
const USERS = ["alexw@fabrikam.com", "raulr@fabrikam.com"];
const KEY = "xtmm:waves.wave-1.clearPreviousMailboxInfo";

const emulator = useEmulator();
const REPORTS = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-cli-previous-mailbox-"));
let stack: CliStack;

const tenant = (role: "source" | "target"): TenantState =>
  findTenant(emulator().state, emulator().tenants[role].tenantId)!;
const raul = (): Rec =>
  [...tenant("target").exchange.recipients.values()]
    .map((s) => s.obj)
    .find((o) => String(o.PrimarySmtpAddress).toLowerCase() === "raulr@contoso.com")!;
const setUsers = (mark: number) =>
  emulator()
    .requests.slice(mark)
    .filter((r) => r.cmdlet === "Set-User").length;
const raulFindings = async () =>
  expandFindings(resourceNamed(await stack.export(), "readiness/wave-1")!.outputs as Rec)
    .filter((f) => f.user === "raulr@contoso.com")
    .map((f) => f.check);

beforeAll(async () => {
  const { config, secrets } = emulatorConfig(emulator());
  stack = await CliStack.create(emulator(), {
    stack: "previous-mailbox",
    config: {
      ...SANDBOX.config,
      ...config,
      "xtmm:waves": { "wave-1": { users: USERS } },
      "xtmm:readinessReportDir": REPORTS,
    },
    secrets,
  });
});
afterAll(() => {
  stack?.dispose();
  fs.rmSync(REPORTS, { recursive: true, force: true });
});

test("up stages the wave; readiness blocks raulr for his previous mailbox, with the opt-in as the fix", async () => {
  await stack.up();
  expect(raul().ExchangeGuid).not.toBe("00000000-0000-0000-0000-000000000000");
  expect(await raulFindings()).toEqual(["user.previousMailbox"]);
  const finding = expandFindings(resourceNamed(await stack.export(), "readiness/wave-1")!.outputs as Rec).find(
    (f) => f.check === "user.previousMailbox",
  )!;
  expect(finding.fix).toContain("clearPreviousMailboxInfo");
  expect(raul().__previousMailbox).toBeDefined();
});

test("a name that is not a user of the wave stops the preview, naming the key", async () => {
  await stack.setConfig(`${KEY}[0]`, "meganb@fabrikam.com", { path: true });
  const r = await stack.run(["preview"]);
  expect(r.code).not.toBe(0);
  expect(r.stdout + r.stderr).toContain(`${KEY}[0]: "meganb@fabrikam.com" is not a user of this wave`);
  await stack.ok(["config", "rm", "--path", KEY]);
});

test("named under clearPreviousMailboxInfo: the preview shows the clear as its own step and writes nothing; up clears it once", async () => {
  await stack.setConfig(`${KEY}[0]`, "raulr@fabrikam.com", { path: true });
  let mark = emulator().requests.length;
  const plan = changesOf(await stack.previewJson());
  expect(plan).toContain("create previous-mailbox/raulr@contoso.com");
  expect(plan.filter((c) => c.startsWith("create"))).toEqual(["create previous-mailbox/raulr@contoso.com"]);
  expect(setUsers(mark)).toBe(0);
  expect(raul().__previousMailbox).toBeDefined();

  mark = emulator().requests.length;
  await stack.up();
  expect(setUsers(mark)).toBe(1);
  expect(raul().__previousMailbox).toBeUndefined();
  expect(resourceNamed(await stack.export(), "previous-mailbox/raulr@contoso.com")!.outputs).toMatchObject({
    cleared: true,
    previousRecipientTypeDetails: "UserMailbox",
  });
  expect(await raulFindings()).toEqual([]);
  mark = emulator().requests.length;
  await stack.ok(["preview", "--expect-no-changes"]);
  expect(setUsers(mark)).toBe(0);
});

test("taken out of the list, only the record goes", async () => {
  await stack.ok(["config", "rm", "--path", KEY]);
  const mark = emulator().requests.length;
  const out = await stack.up();
  expect(out.stdout).toContain("cleared for good");
  expect(setUsers(mark)).toBe(0);
  expect(resourceNamed(await stack.export(), "previous-mailbox/raulr@contoso.com")).toBeUndefined();
  expect(raul().__previousMailbox).toBeUndefined();
  await stack.ok(["destroy", "--yes"]);
});
