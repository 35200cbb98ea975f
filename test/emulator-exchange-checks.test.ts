// The emulator's answers to the cmdlets Microsoft's cross-tenant validator reads beyond Get-Mailbox:
// Get-MailboxStatistics (TotalDeletedItemSize as Exchange's size text), Get-MailboxFolderStatistics of an
// archive's Recoverable Items (SubstrateHolds), Export-MailboxDiagnosticLogs HoldTracking (the log text the
// validator matches), Get-User's previous-mailbox information and Set-User -PermanentlyClearPreviousMailboxInfo.
// Called in process; strict against Microsoft's reference like every other cmdlet.

import { DirectHarness } from "../emulator/exchange/testing";
import { sizeInBytes } from "../providers/tenant/exchangeWire";
import { byteQuantified } from "../emulator/exchange/mailboxContent";
import { SEEDED_ORG_RETENTION_HOLD } from "../emulator/exchange/seed";
import type { Rec } from "../emulator/model";

const kinds = (h: DirectHarness) => h.takeViolations().map((v) => v.kind);
const mailbox = (h: DirectHarness, alias: string): Rec =>
  [...h.tenant("source").exchange.recipients.values()].map((s) => s.obj).find((o) => o.Alias === alias)!;

describe("sizes", () => {
  test("Exchange's size text, which the client's parser reads back to the byte", () => {
    expect(byteQuantified(1_288_490_188)).toBe("1.2 GB (1,288,490,188 bytes)");
    expect(byteQuantified(108_063_890_884)).toBe("100.64 GB (108,063,890,884 bytes)");
    expect(byteQuantified(0)).toBe("0 B (0 bytes)");
    expect(byteQuantified(350_000)).toBe("341.8 KB (350,000 bytes)");
    for (const n of [0, 1, 350_000, 1_288_490_188, 48_318_382_080]) expect(sizeInBytes(byteQuantified(n))).toBe(n);
  });
});

describe("Get-MailboxStatistics", () => {
  const h = new DirectHarness();

  test("TotalDeletedItemSize of the primary; a seeded mailbox over the MailUser default quota", async () => {
    const r = await h.invoke("source", "Get-MailboxStatistics", { Identity: "pradeepg@fabrikam.com" });
    expect(r.status).toBe(200);
    const s = r.json.value[0];
    expect(s.TotalDeletedItemSize).toBe("45 GB (48,318,382,080 bytes)");
    expect(sizeInBytes(s.TotalDeletedItemSize)).toBeGreaterThan(30 * 1024 ** 3);
    expect(s.IsArchiveMailbox).toBe(false);
    expect(s.MailboxGuid).toBe(mailbox(h, "pradeepg").ExchangeGuid);
    expect(s.TotalItemSize).toMatch(/^[\d.]+ [KMGT]?B \([\d,]+ bytes\)$/);
    // An ordinary mailbox stays well under it, and answers the same twice.
    const other = (await h.invoke("source", "Get-MailboxStatistics", { Identity: "adelev" })).json.value[0];
    expect(sizeInBytes(other.TotalDeletedItemSize)).toBeLessThan(1024 ** 3);
    expect((await h.invoke("source", "Get-MailboxStatistics", { Identity: "adelev" })).json.value[0]).toEqual(other);
    expect(kinds(h)).toEqual([]);
  });

  test("-Archive reads the archive; a mailbox without one is refused; a MailUser is not found", async () => {
    const a = await h.invoke("source", "Get-MailboxStatistics", { Identity: "adelev", Archive: true });
    expect(a.json.value[0]).toMatchObject({ IsArchiveMailbox: true, MailboxGuid: mailbox(h, "adelev").ArchiveGuid });
    const none = await h.invoke("source", "Get-MailboxStatistics", { Identity: "leeg", Archive: true });
    expect(none.status).toBe(400);
    expect(JSON.stringify(none.json)).toContain("has no archive");
    const mu = await h.invoke("target", "Get-MailboxStatistics", { Identity: "raulr@contoso.com" });
    expect(mu.status).toBe(404);
  });

  test("strict: -Database is on-premises only", async () => {
    const r = await h.invoke("source", "Get-MailboxStatistics", { Database: "DB01" });
    expect(r.status).toBe(400);
    expect(kinds(h)).toEqual(["not-in-exchange-online"]);
  });
});

describe("Get-MailboxFolderStatistics -FolderScope RecoverableItems", () => {
  const h = new DirectHarness();

  test("the archive by its GUID (as the validator asks) lists the Recoverable Items folders, SubstrateHolds included", async () => {
    const nestor = mailbox(h, "nestorw");
    const r = await h.invoke("source", "Get-MailboxFolderStatistics", {
      Identity: nestor.ArchiveGuid,
      FolderScope: "RecoverableItems",
    });
    expect(r.status).toBe(200);
    const rows = r.json.value as Rec[];
    expect(rows.map((f) => [f.Name, f.FolderPath, f.FolderType])).toEqual([
      ["Recoverable Items", "/Recoverable Items", "RecoverableItemsRoot"],
      ["Deletions", "/Deletions", "RecoverableItemsDeletions"],
      ["DiscoveryHolds", "/DiscoveryHolds", "RecoverableItemsDiscoveryHolds"],
      ["Purges", "/Purges", "RecoverableItemsPurges"],
      ["Versions", "/Versions", "RecoverableItemsVersions"],
      ["SubstrateHolds", "/SubstrateHolds", "RecoverableItemsSubstrateHolds"],
    ]);
    const sh = rows.find((f) => f.Name === "SubstrateHolds")!;
    expect(sh).toMatchObject({ ItemsInFolder: 12, FolderSize: "4.01 MB (4,200,000 bytes)" });
    expect(sh.ContentMailboxGuid).toBe(nestor.ArchiveGuid);
    // The root's own size is zero; with its subfolders it is their sum.
    const root = rows[0];
    const sum = rows.slice(1).reduce((n, f) => n + sizeInBytes(f.FolderSize)!, 0);
    expect(sizeInBytes(root.FolderAndSubfolderSize)).toBe(sum);
    // -Archive with the mailbox's address answers the same rows.
    const viaSwitch = await h.invoke("source", "Get-MailboxFolderStatistics", {
      Identity: "nestorw@fabrikam.com",
      Archive: true,
      FolderScope: "RecoverableItems",
    });
    expect(viaSwitch.json.value).toEqual(rows);
    expect(kinds(h)).toEqual([]);
  });

  test("an ordinary archive has an empty SubstrateHolds; the primary's scope is its own mailbox", async () => {
    const adele = mailbox(h, "adelev");
    const archive = await h.invoke("source", "Get-MailboxFolderStatistics", {
      Identity: adele.ArchiveGuid,
      FolderScope: "RecoverableItems",
    });
    expect(archive.json.value.find((f: Rec) => f.Name === "SubstrateHolds")).toMatchObject({
      ItemsInFolder: 0,
      FolderSize: "0 B (0 bytes)",
    });
    const primary = await h.invoke("source", "Get-MailboxFolderStatistics", {
      Identity: "adelev",
      FolderScope: "Inbox",
    });
    expect(primary.json.value.map((f: Rec) => f.FolderType)).toEqual(["Inbox"]);
    expect(primary.json.value[0].ContentMailboxGuid).toBe(adele.ExchangeGuid);
  });

  test("the Audits and Calendar Logging folders are a knob", async () => {
    const k = new DirectHarness({ exchange: { recoverableItemsAuditFolders: true } });
    const r = await k.invoke("source", "Get-MailboxFolderStatistics", {
      Identity: "adelev",
      FolderScope: "RecoverableItems",
    });
    expect(r.json.value.map((f: Rec) => f.FolderPath)).toContain("/Calendar Logging");
  });

  test("strict: -AuditLog is on-premises only; a FolderScope outside the enum is refused", async () => {
    expect(
      (await h.invoke("source", "Get-MailboxFolderStatistics", { Identity: "adelev", AuditLog: true })).status,
    ).toBe(400);
    expect(
      (await h.invoke("source", "Get-MailboxFolderStatistics", { Identity: "adelev", FolderScope: "Substrate" }))
        .status,
    ).toBe(400);
    expect(kinds(h)).toEqual(["not-in-exchange-online", "bad-value"]);
  });
});

describe("Export-MailboxDiagnosticLogs -ComponentName HoldTracking", () => {
  const log = async (h: DirectHarness, who: string) => {
    const r = await h.invoke("source", "Export-MailboxDiagnosticLogs", {
      Identity: who,
      ComponentName: "HoldTracking",
    });
    expect(r.status).toBe(200);
    return String(r.json.value[0].MailboxLog);
  };

  test("the log text matches the validator's pattern for a mailbox under an organisation-wide retention policy", async () => {
    const h = new DirectHarness();
    const text = await log(h, "pattif@fabrikam.com");
    // CrossTenantMailboxMigrationValidation.ps1: $MailboxLog -like '*"hid":"mbx*","ht":4*'
    expect(text).toMatch(/"hid":"mbx[^"]*","ht":4/);
    const entries = JSON.parse(text);
    expect(Object.keys(entries[0])).toEqual(["ed", "hid", "ht", "lsd", "osd"]);
    expect(entries[0]).toMatchObject({ ed: "0001-01-01T00:00:00.0000000", hid: SEEDED_ORG_RETENTION_HOLD, ht: 4 });
    expect(await log(h, "adelev")).toBe("[]");
    expect(kinds(h)).toEqual([]);
  });

  test("the organisation's policies apply to every mailbox except one that is excluded", async () => {
    const h = new DirectHarness();
    const policy = "mbx11112222333344445555666677778888:1";
    h.tenant("source").exchange.organizationConfig.InPlaceHolds = [policy];
    mailbox(h, "leeg").InPlaceHolds = [`-${policy.split(":")[0]}`];
    expect(JSON.parse(await log(h, "adelev")).map((e: Rec) => e.hid)).toEqual([policy]);
    expect(await log(h, "leeg")).toBe("[]");
  });

  test("a disabled account (a shared mailbox) has no log: empty by default, an error or the log by knob", async () => {
    const policy = "mbx11112222333344445555666677778888:1";
    const run = async (mode: "emptyLog" | "error" | "available") => {
      const h = new DirectHarness({ exchange: { holdTrackingOfDisabledAccounts: mode } });
      h.tenant("source").exchange.organizationConfig.InPlaceHolds = [policy];
      return h.invoke("source", "Export-MailboxDiagnosticLogs", { Identity: "info", ComponentName: "HoldTracking" });
    };
    expect((await run("emptyLog")).json.value[0].MailboxLog).toBe("[]");
    expect((await run("error")).status).toBe(400);
    expect((await run("available")).json.value[0].MailboxLog).toContain(policy);
  });

  test("strict: -Archive is on-premises only; ComponentName is mandatory", async () => {
    const h = new DirectHarness();
    expect(
      (
        await h.invoke("source", "Export-MailboxDiagnosticLogs", {
          Identity: "adelev",
          ComponentName: "HoldTracking",
          Archive: true,
        })
      ).status,
    ).toBe(400);
    expect((await h.invoke("source", "Export-MailboxDiagnosticLogs", { Identity: "adelev" })).status).toBe(400);
    expect(kinds(h)).toEqual(["not-in-exchange-online", "missing-required-parameter"]);
  });
});

describe("Get-User and Set-User -PermanentlyClearPreviousMailboxInfo", () => {
  test("a target MailUser that once was a mailbox shows it; the clear removes it for good", async () => {
    const h = new DirectHarness();
    const before = (await h.invoke("target", "Get-User", { Identity: "raulr@contoso.com" })).json.value[0];
    expect(before).toMatchObject({
      RecipientType: "MailUser",
      RecipientTypeDetails: "MailUser",
      PreviousRecipientTypeDetails: "UserMailbox",
    });
    expect(before.PreviousExchangeGuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(before.PreviousExchangeGuid).not.toBe("00000000-0000-0000-0000-000000000000");
    const clear = await h.invoke("target", "Set-User", {
      Identity: "raulr@contoso.com",
      PermanentlyClearPreviousMailboxInfo: true,
      Confirm: false,
    });
    expect(clear.status).toBe(200);
    const after = (await h.invoke("target", "Get-User", { Identity: "raulr@contoso.com" })).json.value[0];
    expect(after).toMatchObject({
      PreviousRecipientTypeDetails: "None",
      PreviousExchangeGuid: "00000000-0000-0000-0000-000000000000",
      PreviousDatabase: null,
    });
    // Nothing left to clear: Exchange's no-op warning.
    const again = await h.invoke("target", "Set-User", {
      Identity: "raulr@contoso.com",
      PermanentlyClearPreviousMailboxInfo: true,
      Confirm: false,
    });
    expect(JSON.stringify(again.json)).toContain("no settings of 'raulr' have been modified");
    expect(h.takeViolations()).toEqual([]);
  });

  test("refused for a user with a mailbox, and (knob, default) without -Confirm:$false", async () => {
    const h = new DirectHarness();
    const mbx = await h.invoke("source", "Set-User", {
      Identity: "adelev",
      PermanentlyClearPreviousMailboxInfo: true,
      Confirm: false,
    });
    expect(mbx.status).toBe(400);
    expect(JSON.stringify(mbx.json)).toContain("the user has a mailbox");
    const noConfirm = await h.invoke("target", "Set-User", {
      Identity: "raulr@contoso.com",
      PermanentlyClearPreviousMailboxInfo: true,
    });
    expect(noConfirm.status).toBe(400);
    expect(
      (await h.invoke("target", "Get-User", { Identity: "raulr" })).json.value[0].PreviousRecipientTypeDetails,
    ).toBe("UserMailbox");
    const lenient = new DirectHarness({ exchange: { clearPreviousMailboxNeedsConfirmFalse: false } });
    expect(
      (await lenient.invoke("target", "Set-User", { Identity: "raulr", PermanentlyClearPreviousMailboxInfo: true }))
        .status,
    ).toBe(200);
  });

  test("Get-User lists mailboxes, MailUsers and plain Entra users; filters by type; knobs hide what is unconfirmed", async () => {
    const h = new DirectHarness();
    const all = (await h.invoke("source", "Get-User", { ResultSize: "Unlimited" })).json.value as Rec[];
    expect(all.find((u) => u.Name === "adelev")).toMatchObject({
      RecipientType: "UserMailbox",
      PreviousRecipientTypeDetails: "None",
    });
    const mailUsers = (await h.invoke("target", "Get-User", { RecipientTypeDetails: ["MailUser"] })).json
      .value as Rec[];
    expect(mailUsers.map((u) => u.Name)).toEqual(["raulr"]);
    const filtered = await h.invoke("target", "Get-User", { Filter: "PreviousRecipientTypeDetails -eq 'UserMailbox'" });
    expect(filtered.json.value.map((u: Rec) => u.Name)).toEqual(["raulr"]);
    const k = new DirectHarness({ exchange: { noPreviousRecipientTypeDetails: null, showPreviousMailboxIds: false } });
    const adele = (await k.invoke("source", "Get-User", { Identity: "adelev" })).json.value[0];
    expect(adele.PreviousRecipientTypeDetails).toBeNull();
    expect("PreviousExchangeGuid" in adele).toBe(false);
    expect(h.takeViolations()).toEqual([]);
  });

  test("strict: Set-User -UserPrincipalName is on-premises only; Get-User -Credential too", async () => {
    const h = new DirectHarness();
    expect(
      (await h.invoke("target", "Set-User", { Identity: "raulr", UserPrincipalName: "x@contoso.com" })).status,
    ).toBe(400);
    expect((await h.invoke("target", "Get-User", { Credential: "x" })).status).toBe(400);
    expect(kinds(h)).toEqual(["not-in-exchange-online", "not-in-exchange-online"]);
  });
});
