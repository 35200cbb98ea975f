// LicenceAssignment through the real dynamic-provider host against the emulated pair, whose TARGET holds 10
// Cross Tenant User Data Migration licences and whose source holds none. Offline checks; the SKU found by
// its service plan at preview (no writes); a MailUser without its ExchangeGuid refused by name before any
// write; stamped MailUsers licensed (Exchange then shows ExchangeT2TMbxMove, which readiness reads); a
// licence someone else gave is left alone; a lost answer still recorded; too few units refused at check;
// a user dropped from the list loses only our licence; destroy takes back only ours.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import { emulatorTenantSettings, useEmulator, tenantOf } from "./support/emulator";
import { CheckFailedError, Engine, declareResource, type DeclaredResource } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import { createTenantClient } from "../providers/tenant";
import { LicenceAssignment, licenceAssignmentImpl, type LicenceAssignmentArgs } from "../providers/licenceAssignment";
import { configureRuntime } from "../providers/context";
import { emulatorStackConfig } from "../emulator/stackConfig";
import { declareMailUser, mailUserArgs, theObject } from "./support/mailUsers";
import { licenseForMigration } from "../emulator/exchange/fixtures";
import type { Rec } from "../emulator/model";

const SKU = "946ce899-873d-44bb-9d8b-671870cbfdbf";
const STAGED = ["adelev", "alexw", "meganb", "johannal"];

const emulator = useEmulator({ mailboxes: 0 });
const providerHost = useProviderHost(emulator, { env: { XTMM_VISIBILITY_TIMEOUT_SECONDS: "10" } });
let engine: Engine;

const mark = () => emulator().requests.length;
/** Tenant writes since a mark: Graph calls other than GET, Exchange cmdlets other than Get-*. */
const writes = (since: number) =>
  emulator()
    .requests.slice(since)
    .filter(
      (r) =>
        (r.surface === "graph" && r.method !== "GET") ||
        (r.surface === "exchange" && r.cmdlet && !/^Get-/i.test(r.cmdlet)),
    )
    .map((r) => (r.surface === "graph" ? `${r.method} ${r.path.replace(/[0-9a-f-]{36}/g, "{id}")}` : String(r.cmdlet)));
const userOf = (alias: string): Rec =>
  tenantOf(emulator(), "target").directory.users.get(
    String(theObject(emulator(), `${alias}@contoso.com`).ExternalDirectoryObjectId),
  )!.obj;
const licensed = (alias: string) => ((userOf(alias).assignedLicenses as Rec[]) ?? []).some((l) => l.skuId === SKU);
const t2tSku = () => tenantOf(emulator(), "target").directory.subscribedSkus.find((s) => s.skuId === SKU)!;
const declare = (args: Partial<LicenceAssignmentArgs>): Promise<DeclaredResource> =>
  declareResource(
    () =>
      new LicenceAssignment("licences/wave-1", {
        wave: "wave-1",
        tenant: "target",
        users: STAGED.map((a) => `${a}@contoso.com`),
        usageLocation: "US",
        ...args,
      }),
  );

beforeAll(async () => {
  engine = new Engine(providerHost());
  // Three users staged (ExchangeGuid stamped) by the MailUser resource; johannal only created, not stamped.
  const staging = new Engine(providerHost());
  for (const a of STAGED.slice(0, 3)) await staging.up(await declareMailUser(mailUserArgs(emulator(), a)));
  const exchange = createTenantClient(emulatorTenantSettings(emulator(), "target")).exchange;
  await exchange.invoke("New-MailUser", {
    Name: "johannal",
    Alias: "johannal",
    PrimarySmtpAddress: "johannal@contoso.com",
    ExternalEmailAddress: "johannal@fabrikam.com",
    MicrosoftOnlineServicesID: "johannal@contoso.com",
    Password: "Emu-Passw0rd-for-tests",
  });
}, 60_000);

test("bad inputs are refused before any call", async () => {
  const before = mark();
  const err: CheckFailedError = await engine
    .preview(
      await declare({
        tenant: "both" as "source",
        users: ["adele", "a@contoso.com", "a@contoso.com"],
        skuId: "T2T",
        usageLocation: "us",
      }),
    )
    .catch((e) => e);
  expect(err).toBeInstanceOf(CheckFailedError);
  expect(err.failures.map((f) => f.property).sort()).toEqual([
    "skuId",
    "tenant",
    "usageLocation",
    "users[0]",
    "users[2]",
  ]);
  expect(mark()).toBe(before);
});

test("the source tenant has no such licence: check says so and points at the target", async () => {
  const err: CheckFailedError = await engine
    .preview(await declare({ tenant: "source", users: ["adelev@fabrikam.com"] }))
    .catch((e) => e);
  expect(err.failures).toEqual([
    {
      property: "tenant",
      reason: expect.stringMatching(
        /^the source tenant has no Cross Tenant User Data Migration licence .* \(tenant: target\)$/,
      ),
    },
  ]);
});

test("a MailUser whose ExchangeGuid is not stamped is refused by name, and nothing is assigned", async () => {
  const r = await declare({});
  const before = mark();
  const plan = await engine.preview(r);
  // Preview knows the SKU (found by its service plan) and writes nothing.
  expect(plan.inputs).toMatchObject({ skuId: SKU, skuPartNumber: "Cross_tenant_user_data_migration" });
  expect(writes(before)).toEqual([]);
  const err: Error = await engine.up(r).catch((e) => e);
  expect(err.message).toMatch(
    /refusing to license johannal@contoso.com: the target MailUser has no ExchangeGuid yet.*nothing was assigned/,
  );
  expect(writes(before)).toEqual([]);
  expect(STAGED.some(licensed)).toBe(false);
});

test("stamped MailUsers are licensed; one licensed by someone else is left alone; Exchange shows the licence", async () => {
  licenseForMigration(tenantOf(emulator(), "target"), String(userOf("meganb").id));
  const users = STAGED.slice(0, 3).map((a) => `${a}@contoso.com`);
  const r = await declare({ users });
  const before = mark();
  const { state } = await engine.up(r);
  expect(state.id).toBe("licences/target/wave-1");
  expect(state.outputs).toMatchObject({
    assigned: [
      { address: "adelev@contoso.com", userId: String(userOf("adelev").id) },
      { address: "alexw@contoso.com", userId: String(userOf("alexw").id) },
    ],
    alreadyLicensed: ["meganb@contoso.com"],
    skuId: SKU,
  });
  // Per user: its usage location (Microsoft requires one), then the licence; meganb costs nothing.
  expect(writes(before).sort()).toEqual([
    "PATCH /v1.0/users/{id}",
    "PATCH /v1.0/users/{id}",
    "POST /v1.0/users/{id}/assignLicense",
    "POST /v1.0/users/{id}/assignLicense",
  ]);
  for (const a of ["adelev", "alexw"])
    expect(theObject(emulator(), `${a}@contoso.com`).PersistedCapabilities).toContain("ExchangeT2TMbxMove");
  expect(t2tSku().consumedUnits).toBe(2);
  expect(state.outputs.available).toBe(8);
  // A second up changes and writes nothing.
  const again = mark();
  expect((await engine.preview(r)).op).toBe("same");
  expect(writes(again)).toEqual([]);
});

test("a lost answer to assignLicense is still recorded as ours", async () => {
  // isaiahl: staged now, added to the wave; the emulator applies the POST and drops the answer.
  await new Engine(providerHost()).up(await declareMailUser(mailUserArgs(emulator(), "isaiahl")));
  emulator().inject({ surface: "graph", method: "POST", path: /assignLicense$/, fault: "lost" });
  const { state } = await engine.up(
    await declare({ users: ["adelev", "alexw", "meganb", "isaiahl"].map((a) => `${a}@contoso.com`) }),
  );
  expect((state.outputs.assigned as Rec[]).map((a) => a.address)).toEqual([
    "adelev@contoso.com",
    "alexw@contoso.com",
    "isaiahl@contoso.com",
  ]);
  expect(licensed("isaiahl")).toBe(true);
});

test("more users than units left: preview warns with the numbers; Microsoft refuses the excess by name", async () => {
  const sku = t2tSku();
  const units = sku.prepaidUnits as Rec;
  const enabled = units.enabled;
  units.enabled = sku.consumedUnits;
  try {
    await new Engine(providerHost()).up(await declareMailUser(mailUserArgs(emulator(), "leeg")));
    const r = await declare({ users: ["adelev", "alexw", "meganb", "isaiahl", "leeg"].map((a) => `${a}@contoso.com`) });
    expect((await engine.preview(r)).op).toBe("update");
    expect(providerHost().output()).toContain(
      "LicenceAssignment wave-1: 1 user(s) without the licence, but the target tenant has 0 of 3 Cross_tenant_user_data_migration left",
    );
    const err: Error = await engine.up(r).catch((e) => e);
    expect(err.message).toMatch(/1 user\(s\) failed: leeg@contoso.com: .*does not have any available licenses/);
    expect(licensed("leeg")).toBe(false);
  } finally {
    units.enabled = enabled;
  }
});

test("a user Microsoft cannot license fails by name; the others' assignments are recorded (partial failure)", async () => {
  // Through the host: the failure names the user and the fix. gradya has no usage location.
  await new Engine(providerHost()).up(await declareMailUser(mailUserArgs(emulator(), "gradya")));
  const users = ["adelev", "alexw", "meganb", "isaiahl", "gradya"].map((a) => `${a}@contoso.com`);
  const err: Error = await engine.up(await declare({ users, usageLocation: undefined })).catch((e) => e);
  expect(err.message).toMatch(
    /1 user\(s\) failed: gradya@contoso.com: gradya@contoso.com \(user [0-9a-f-]{36}\) has no usage location, which Microsoft requires before a licence; set usageLocation/,
  );
  expect(licensed("gradya")).toBe(false);
  // In process, to see what the engine records: henriettam (who has a usage location) is licensed and
  // comes back in the error's properties beside the ones assigned before, so destroy still finds her.
  await new Engine(providerHost()).up(await declareMailUser(mailUserArgs(emulator(), "henriettam")));
  userOf("henriettam").usageLocation = "DE";
  configureRuntime((key) => emulatorStackConfig(emulator())[`xtmm:${key}`]);
  const olds = engine.state(await declare({}))!.outputs as never;
  const news = { ...(olds as Rec), users: [...users, "henriettam@contoso.com"], usageLocation: undefined } as never;
  const partial = (await licenceAssignmentImpl.update("licences/target/wave-1", olds, news).catch((e) => e)) as Error &
    Rec;
  expect(partial).toMatchObject({
    id: "licences/target/wave-1",
    reasons: [expect.stringMatching(/^gradya@contoso.com: .*usage location/)],
  });
  expect(((partial.properties as Rec).assigned as Rec[]).map((a) => a.address)).toEqual([
    "adelev@contoso.com",
    "alexw@contoso.com",
    "isaiahl@contoso.com",
    "henriettam@contoso.com",
  ]);
  expect(licensed("henriettam")).toBe(true);
  // Converging from what was recorded takes hers back again, as the next up would.
  await licenceAssignmentImpl.update("licences/target/wave-1", partial.properties as never, olds);
  expect(licensed("henriettam")).toBe(false);
});

test("a user dropped from the list loses our licence; destroy takes back only ours", async () => {
  const r = await declare({ users: ["adelev", "meganb", "isaiahl"].map((a) => `${a}@contoso.com`) });
  const before = mark();
  const { state } = await engine.up(r);
  expect(writes(before)).toEqual(["POST /v1.0/users/{id}/assignLicense"]);
  expect(licensed("alexw")).toBe(false);
  expect((state.outputs.assigned as Rec[]).map((a) => a.address)).toEqual([
    "adelev@contoso.com",
    "isaiahl@contoso.com",
  ]);
  await engine.destroy(r);
  expect(["adelev", "isaiahl"].map(licensed)).toEqual([false, false]);
  // Someone else's licence stays, and Exchange still shows it.
  expect(licensed("meganb")).toBe(true);
  expect(theObject(emulator(), "meganb@contoso.com").PersistedCapabilities).toContain("ExchangeT2TMbxMove");
  expect(theObject(emulator(), "adelev@contoso.com").PersistedCapabilities).not.toContain("ExchangeT2TMbxMove");
});
