// Get-MoveRequest and Get-MoveRequestStatistics in the emulator: a started batch's users get one move request
// each, named by "MigrationService:<batch>", that follows the migration user (InProgress, Synced, Failed,
// Completed) with its percentage and bytes; a failed move carries its exception type and Microsoft's text
// (the licence one verbatim), a user failed by the moveFailures knob the knob's; Start-MigrationBatch retries
// the failed ones; the binder holds both cmdlets to the reference (-BatchName with -Identity, on-premises
// -MoveRequestQueue, a -Status that is not a RequestStatus).

import { DirectHarness } from "../emulator/exchange/testing";
import { consentInSource, licenseForMigration, registerMigrationApp } from "../emulator/exchange/fixtures";
import { crossTenantEndpoint, stagedMailUser } from "./support/movablePair";

const PHASE = 2_000;
const BATCH = "MigrationService:Wave1";

/** A target with a cross-tenant endpoint and `aliases` staged as the MailUser resource stages them; `licensed` get the licence. */
async function staged(h: DirectHarness, aliases: string[], licensed: string[]): Promise<void> {
  const src = h.tenant("source");
  const tgt = h.tenant("target");
  await h.invoke("target", "Enable-OrganizationCustomization", {});
  const app = registerMigrationApp(tgt, h.clock);
  consentInSource(src, app.appId, h.clock - 60_000);
  for (const alias of aliases)
    await stagedMailUser(h, alias, {
      licensed: licensed.includes(alias),
      deliveryDomain: "contoso.mail.onmicrosoft.com",
    });
  const ep = await crossTenantEndpoint(h, app);
  expect(ep.status).toBe(200);
  const csv = ["EmailAddress", ...aliases.map((a) => `${a}@contoso.com`)].join("\n");
  const batch = await h.invoke("target", "New-MigrationBatch", {
    Name: "Wave1",
    SourceEndpoint: "Fabrikam",
    TargetDeliveryDomain: "contoso.mail.onmicrosoft.com",
    CSVData: Buffer.from(csv).toString("base64"),
  });
  expect(batch.status).toBe(200);
}

const moves = async (h: DirectHarness, params: Record<string, unknown> = { BatchName: BATCH }) =>
  (await h.invoke("target", "Get-MoveRequest", params)).json.value as Record<string, unknown>[];
const stats = async (h: DirectHarness, identity: string, extra: Record<string, unknown> = {}) => {
  const r = await h.invoke("target", "Get-MoveRequestStatistics", { Identity: identity, ...extra });
  expect(r.status).toBe(200);
  return r.json.value[0] as Record<string, unknown>;
};

test("a started batch's users get move requests that follow them to completion, with percentage and bytes", async () => {
  const h = new DirectHarness({ exchange: { migrationPhaseMs: PHASE, enforceMigrationScope: false } });
  await staged(h, ["meganb", "leeg"], ["meganb", "leeg"]);
  // A batch that never started has no move requests.
  expect(await moves(h)).toEqual([]);
  await h.invoke("target", "Start-MigrationBatch", { Identity: "Wave1" });
  h.advance(PHASE / 2);
  const listed = await moves(h);
  expect(listed.map((m) => [m.DisplayName ?? m.Name, m.Status, m.BatchName])).toEqual([
    [expect.any(String), "InProgress", BATCH],
    [expect.any(String), "InProgress", BATCH],
  ]);
  // -Flags CrossTenant (the guide's filter) and -Status narrow the list; another batch name finds nothing.
  expect(await moves(h, { Flags: "CrossTenant" })).toHaveLength(2);
  expect(await moves(h, { Status: "Failed" })).toEqual([]);
  expect(await moves(h, { BatchName: "MigrationService:Other" })).toEqual([]);
  // One identity per statistics call: the SMTP address (Microsoft's example) or the ExchangeGuid.
  const half = await stats(h, "meganb@contoso.com");
  expect(half).toMatchObject({ Status: "InProgress", StatusDetail: "CopyingMessages", FailureType: null });
  expect(half.PercentComplete as number).toBeGreaterThan(10);
  expect(half.PercentComplete as number).toBeLessThan(95);
  expect(half.BytesTransferred).toMatch(/^\d+ MB \([\d,]+ bytes\)$/);
  const byGuid = await stats(h, String(listed[0].ExchangeGuid));
  expect(byGuid.ExchangeGuid).toBe(listed[0].ExchangeGuid);
  h.advance(PHASE);
  expect((await stats(h, "leeg@contoso.com")).Status).toBe("Synced");
  await h.invoke("target", "Complete-MigrationBatch", { Identity: "Wave1", Confirm: false });
  h.advance(PHASE);
  const done = await stats(h, "meganb@contoso.com", { IncludeReport: true });
  expect(done).toMatchObject({
    Status: "Completed",
    PercentComplete: 100,
    BytesTransferred: "540 MB (566,231,040 bytes)",
  });
  expect(String(done.Report)).toContain("Completed");
  expect(h.takeViolations()).toEqual([]);
});

test("a failed move names its exception and Microsoft's text; the knob fails a chosen user; a retry moves them once fixed", async () => {
  const h = new DirectHarness({ exchange: { migrationPhaseMs: PHASE, enforceMigrationScope: false } });
  await staged(h, ["meganb", "leeg", "alexw"], ["meganb", "alexw"]);
  const why =
    "Target user 'alexw' already has a primary mailbox. --> Target user 'alexw' already has a primary mailbox.";
  h.options.exchange.moveFailures = { "alexw@contoso.com": { type: "MigrationPermanentException", text: why } };
  await h.invoke("target", "Start-MigrationBatch", { Identity: "Wave1" });
  h.advance(PHASE);
  const batch = (await h.invoke("target", "Get-MigrationBatch", { Identity: "Wave1" })).json.value[0];
  expect(batch).toMatchObject({ Status: "SyncedwithErrors", FailedCount: 2, SyncedCount: 1 });
  expect((await moves(h, { BatchName: BATCH, Status: "Failed" })).map((m) => m.Name).sort()).toEqual(["alexw", "leeg"]);
  const unlicensed = await stats(h, "leeg@contoso.com");
  expect(unlicensed).toMatchObject({
    Status: "Failed",
    StatusDetail: "FailedOther",
    FailureType: "CrossTenantMigrationWithoutLicensePermanentException",
  });
  expect(unlicensed.Message).toMatch(
    /^Error: CrossTenantMigrationWithoutLicensePermanentException: No license was found for the source recipient, '[0-9a-f-]{36}', or the target recipient, '[0-9a-f-]{36}'\. A Cross-tenant User Data Migration license is required to move a mailbox between tenants\.$/,
  );
  expect(await stats(h, "alexw@contoso.com")).toMatchObject({
    FailureType: "MigrationPermanentException",
    Message: `Error: MigrationPermanentException: ${why}`,
  });
  // Fix one cause (the licence), leave the other; Start-MigrationBatch retries both failed users.
  const leeg = (await h.invoke("target", "Get-MailUser", { Identity: "leeg" })).json.value[0];
  licenseForMigration(h.tenant("target"), leeg.ExternalDirectoryObjectId);
  await h.invoke("target", "Start-MigrationBatch", { Identity: "Wave1" });
  // The batch shows Starting until the next request (batchStartingMs 0), then the retried moves run again.
  expect((await stats(h, "leeg@contoso.com")).Status).toBe("InProgress");
  h.advance(PHASE);
  h.advance(PHASE);
  expect((await stats(h, "leeg@contoso.com")).Status).toBe("Synced");
  expect((await stats(h, "alexw@contoso.com")).Status).toBe("Failed");
  h.options.exchange.moveFailures = {};
  await h.invoke("target", "Start-MigrationBatch", { Identity: "Wave1" });
  h.advance(PHASE);
  h.advance(PHASE);
  expect((await moves(h)).map((m) => m.Status)).toEqual(["Synced", "Synced", "Synced"]);
  expect(h.takeViolations()).toEqual([]);
});

test("the knob's AutoSuspended is what a synced move shows; a stopped batch's moves are Suspended", async () => {
  const h = new DirectHarness({
    exchange: { migrationPhaseMs: PHASE, enforceMigrationScope: false, syncedMoveStatus: "AutoSuspended" },
  });
  await staged(h, ["meganb", "leeg"], ["meganb", "leeg"]);
  await h.invoke("target", "Start-MigrationBatch", { Identity: "Wave1" });
  h.advance(PHASE);
  expect((await moves(h)).map((m) => m.Status)).toEqual(["AutoSuspended", "AutoSuspended"]);
  const h2 = new DirectHarness({ exchange: { migrationPhaseMs: PHASE, enforceMigrationScope: false } });
  await staged(h2, ["meganb"], ["meganb"]);
  await h2.invoke("target", "Start-MigrationBatch", { Identity: "Wave1" });
  h2.advance(PHASE / 4);
  await h2.invoke("target", "Stop-MigrationBatch", { Identity: "Wave1", Confirm: false });
  h2.advance(1);
  expect(await moves(h2, { Suspend: true })).toHaveLength(1);
  expect((await stats(h2, "meganb@contoso.com")).Status).toBe("Suspended");
});

test("strict against the reference: -BatchName with -Identity, on-premises parameters, bad -Status; unknown identity is not found", async () => {
  const h = new DirectHarness({ exchange: { migrationPhaseMs: PHASE, enforceMigrationScope: false } });
  await staged(h, ["meganb"], ["meganb"]);
  await h.invoke("target", "Start-MigrationBatch", { Identity: "Wave1" });
  h.advance(1);
  const both = await h.invoke("target", "Get-MoveRequest", { Identity: "meganb", BatchName: BATCH });
  expect(both.status).toBe(400);
  expect(h.takeViolations().map((v) => v.kind)).toEqual(["no-parameter-set"]);
  const queue = await h.invoke("target", "Get-MoveRequestStatistics", { MoveRequestQueue: "DB01" });
  expect(queue.status).toBe(400);
  expect(h.takeViolations().map((v) => v.kind)).toEqual(["not-in-exchange-online"]);
  const status = await h.invoke("target", "Get-MoveRequest", { Status: "Sideways" });
  expect(status.status).toBe(400);
  expect(h.takeViolations().map((v) => v.kind)).toEqual(["bad-value"]);
  const missing = await h.invoke("target", "Get-MoveRequestStatistics", { Identity: "nobody@contoso.com" });
  expect(missing.status).toBe(404);
  expect((await h.invoke("target", "Get-MoveRequest", { Identity: "meganb" })).json.value[0].Status).toBe("InProgress");
  expect(h.takeViolations()).toEqual([]);
});
