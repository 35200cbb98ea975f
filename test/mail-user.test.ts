// MailUser through the real dynamic-provider host against the emulated tenant pair (300 generated source
// mailboxes): offline checks; a staged user costs two Exchange writes; a second up and a refresh write
// nothing; drift (an x500 removed, a wrong ExchangeGuid) shows on refresh and one Set-MailUser repairs
// it; adoption; a target address held by another object is refused by name; a held user writes nothing
// until its blockers clear; a moved user (now a mailbox) shows no diff and survives destroy; 300 users
// refreshed together cost a handful of calls. Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import { emulatorTenantSettings, useEmulator, tenantOf } from "./support/emulator";
import { CheckFailedError, Engine, withUnknowns, type DeclaredResource } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import type { ProviderHost } from "../harness/providerHost";
import { createTenantClient, hashtable } from "../providers/tenant";
import { resourceOptions } from "../providers/dynamic";
import { MAIL_USER_SPEC } from "../providers/mailUser";
import {
  cmdlets,
  completeMove,
  declareMailUser,
  exchangeCalls,
  graphCalls,
  mailUserArgs,
  sourceMailbox,
  theObject,
  withInputs,
  writes,
} from "./support/mailUsers";
import { expectNoSecrets } from "./support/secrets";

const emulator = useEmulator({ mailboxes: 300 });
const providerHost = useProviderHost(emulator, {
  env: { XTMM_VISIBILITY_TIMEOUT_SECONDS: "10", XTMM_READ_COALESCE_MS: "30" },
});
let host: ProviderHost;
beforeAll(() => {
  host = providerHost();
});

const targetExchange = () =>
  createTenantClient(emulatorTenantSettings(emulator(), "target"), { exchange: { baseDelayMs: 5, maxDelayMs: 20 } })
    .exchange;
const mark = () => emulator().requests.length;

/** One at a time: declaring sets Pulumi's global mocks. */
async function declareAll(aliases: string[]): Promise<DeclaredResource[]> {
  const out: DeclaredResource[] = [];
  for (const a of aliases) out.push(await declareMailUser(mailUserArgs(emulator(), a)));
  return out;
}

describe("check", () => {
  test("rejects bad inputs before any call; unknown values pass", async () => {
    const engine = new Engine(host);
    const before = mark();
    const bad = await declareMailUser(
      mailUserArgs(emulator(), "adelev", {
        targetPrimary: "adele",
        exchangeGuid: "not-a-guid",
        x500Addresses: ["smtp:adelev@fabrikam.com"],
        alias: "two words",
        externalEmailAddress: "adelev@contoso.com",
      }),
    );
    const err: CheckFailedError = await engine.preview(withInputs(bad, { owner: "me" })).catch((e) => e);
    expect(err).toBeInstanceOf(CheckFailedError);
    expect(err.failures.map((f) => f.property).sort()).toEqual([
      "alias",
      "exchangeGuid",
      "owner",
      "targetPrimary",
      "x500Addresses",
    ]);
    expect(err.failures.find((f) => f.property === "x500Addresses")!.reason).toMatch(
      /every entry must be an x500 proxy/,
    );
    const same = await declareMailUser(
      mailUserArgs(emulator(), "adelev", { externalEmailAddress: "adelev@contoso.com" }),
    );
    expect((await engine.preview(same).catch((e) => e)).failures[0].reason).toMatch(
      /source and target domains must differ/,
    );
    // A held user whose source was not found has nothing but its target address.
    const lost = await declareMailUser({
      ...mailUserArgs(emulator(), "adelev"),
      sourceAddress: "gone@fabrikam.com",
      name: "",
      displayName: "",
      externalEmailAddress: "",
      exchangeGuid: "",
      x500Addresses: [],
      blockers: ["not found in the source tenant"],
    });
    expect((await engine.preview(lost)).op).toBe("create");
    const good = await declareMailUser(mailUserArgs(emulator(), "adelev"));
    expect((await engine.preview(withUnknowns(good, "exchangeGuid", "x500Addresses", "blockers"))).op).toBe("create");
    expect(mark()).toBe(before);
  });

  test("the password is declared a secret output", () => {
    expect(resourceOptions(MAIL_USER_SPEC)?.additionalSecretOutputs).toContain("password");
  });
});

describe("lifecycle of one staged user", () => {
  let engine: Engine;
  let user: DeclaredResource;
  beforeAll(async () => {
    engine = new Engine(host);
    user = await declareMailUser(mailUserArgs(emulator(), "isaiahl"));
  });

  test("up stages it with exactly two Exchange writes: New-MailUser, then one Set-MailUser", async () => {
    const src = sourceMailbox(emulator(), "isaiahl");
    expect((await engine.preview(user)).op).toBe("create");
    const since = mark();
    const { state } = await engine.up(user);
    expect(cmdlets(writes(exchangeCalls(emulator(), since)))).toEqual(["New-MailUser", "Set-MailUser"]);
    const o = theObject(emulator(), "isaiahl@contoso.com");
    expect(o).toMatchObject({
      RecipientTypeDetails: "MailUser",
      ExchangeGuid: src.ExchangeGuid,
      ArchiveGuid: src.ArchiveGuid,
      ExternalEmailAddress: "SMTP:isaiahl@fabrikam.com",
      PrimarySmtpAddress: "isaiahl@contoso.com",
    });
    const proxies = (o.EmailAddresses as string[]).map((p) => p.toLowerCase());
    expect(proxies).toContain(`x500:${String(src.LegacyExchangeDN).toLowerCase()}`);
    for (const x of (src.EmailAddresses as string[]).filter((p) => /^x500:/i.test(p)))
      expect(proxies).toContain(x.toLowerCase());
    expect(proxies).toContain("smtp:isaiahl@contoso.onmicrosoft.com");
    // No SMTP proxy in a domain the target does not own, and never a licence.
    expect(
      proxies.filter(
        (p) => p.startsWith("smtp:") && !/@contoso\.(com|onmicrosoft\.com|mail\.onmicrosoft\.com)$/.test(p),
      ),
    ).toEqual([]);
    const entra = tenantOf(emulator(), "target").directory.users.get(String(o.ExternalDirectoryObjectId))!.obj;
    expect(entra).toMatchObject({
      userPrincipalName: "isaiahl@contoso.com",
      givenName: "Isaiah",
      surname: "Langer",
      assignedLicenses: [],
    });
    expect(state.id).toBe(String(o.Guid).toLowerCase());
    expect(state.outputs).toMatchObject({
      staged: true,
      held: false,
      migrated: false,
      adopted: false,
      exchangeGuid: src.ExchangeGuid,
      recipientTypeDetails: "MailUser",
    });
    expect(state.outputs.x500Addresses).toHaveLength(3);
    expect(String(state.outputs.password)).toMatch(/^(?=.*[A-Z])(?=.*[a-z])(?=.*\d)(?=.*[^A-Za-z0-9]).{20}$/);
    expectNoSecrets(host.output(), [String(state.outputs.password)], "the provider host's console");
  });

  test("a second preview and up call nothing; refresh only reads and finds no drift", async () => {
    const since = mark();
    expect((await engine.preview(user)).op).toBe("same");
    expect((await engine.up(user)).op).toBe("same");
    expect(mark()).toBe(since);
    const refreshed = await engine.refresh(user);
    expect(refreshed.op).toBe("same");
    expect(writes(exchangeCalls(emulator(), since))).toEqual([]);
    expect(refreshed.state!.outputs.password).toBe(engine.state(user)!.outputs.password);
  });

  test("an x500 removed and a wrong ExchangeGuid show on refresh; up repairs both with one Set-MailUser", async () => {
    const src = sourceMailbox(emulator(), "isaiahl");
    const o = theObject(emulator(), "isaiahl@contoso.com");
    const dn = `x500:${String(src.LegacyExchangeDN)}`.toLowerCase();
    o.EmailAddresses = (o.EmailAddresses as string[]).filter((p) => p.toLowerCase() !== dn);
    o.ExchangeGuid = "0b0b0b0b-1111-4222-8333-444444444444";
    const refreshed = await engine.refresh(user);
    expect(refreshed.op).toBe("drift");
    expect(refreshed.state!.outputs.exchangeGuid).toBe("0b0b0b0b-1111-4222-8333-444444444444");
    expect(refreshed.state!.outputs.x500Addresses).toHaveLength(2);
    expect((await engine.preview(user)).op).toBe("update");
    const since = mark();
    expect((await engine.up(user)).op).toBe("update");
    expect(cmdlets(writes(exchangeCalls(emulator(), since)))).toEqual(["Set-MailUser"]);
    expect(o.ExchangeGuid).toBe(src.ExchangeGuid);
    expect((o.EmailAddresses as string[]).map((p) => p.toLowerCase())).toContain(dn);
    expect((await engine.refresh(user)).op).toBe("same");
  });

  test("a new display name converges in place with one Set-MailUser", async () => {
    user = withInputs(user, { displayName: "Isaiah Langer (Contoso)" });
    const since = mark();
    expect((await engine.up(user)).op).toBe("update");
    expect(cmdlets(writes(exchangeCalls(emulator(), since)))).toEqual(["Set-MailUser"]);
    expect(theObject(emulator(), "isaiahl@contoso.com").DisplayName).toBe("Isaiah Langer (Contoso)");
  });

  test("a new address, alias, name, UPN and first name converge in place (one Set-MailUser, one Graph PATCH), never a replacement", async () => {
    const o = theObject(emulator(), "isaiahl@contoso.com");
    user = withInputs(user, {
      targetPrimary: "isaiah.langer@contoso.com",
      userPrincipalName: "isaiah.langer@contoso.com",
      alias: "isaiah.langer",
      name: "isaiah.langer",
      firstName: "Zay",
      deliveryAddress: "isaiah.langer@contoso.onmicrosoft.com",
    });
    const plan = await engine.preview(user);
    expect(plan.op).toBe("update");
    const since = mark();
    const { state } = await engine.up(user);
    expect(cmdlets(writes(exchangeCalls(emulator(), since)))).toEqual(["Set-MailUser"]);
    expect(graphCalls(emulator(), since).map((c) => `${c.method} ${c.status}`)).toEqual(["PATCH 204"]);
    expect(theObject(emulator(), "isaiah.langer@contoso.com")).toBe(o);
    expect(o).toMatchObject({
      Alias: "isaiah.langer",
      Name: "isaiah.langer",
      PrimarySmtpAddress: "isaiah.langer@contoso.com",
    });
    expect(tenantOf(emulator(), "target").directory.users.get(String(o.ExternalDirectoryObjectId))!.obj).toMatchObject({
      userPrincipalName: "isaiah.langer@contoso.com",
      givenName: "Zay",
    });
    expect(state.id).toBe(String(o.Guid).toLowerCase());
    expect((state.outputs.emailAddresses as string[])[0]).toBe("SMTP:isaiah.langer@contoso.com");
    expect((await engine.refresh(user)).op).toBe("same");
  });

  test("destroy removes the MailUser (Exchange soft-deletes it with its Entra user)", async () => {
    const o = theObject(emulator(), "isaiah.langer@contoso.com");
    const since = mark();
    await engine.destroy(user);
    expect(cmdlets(writes(exchangeCalls(emulator(), since)))).toEqual(["Remove-MailUser"]);
    const t = tenantOf(emulator(), "target");
    expect(t.exchange.recipients.has(String(o.Guid).toLowerCase())).toBe(false);
    expect(t.exchange.softDeletedRecipients.has(String(o.Guid).toLowerCase())).toBe(true);
    expect(t.directory.users.has(String(o.ExternalDirectoryObjectId))).toBe(false);
  });
});

describe("objects that already hold the user's names", () => {
  test("a MailUser that already carries the ExchangeGuid is adopted, converged with one Set-MailUser, and left by destroy", async () => {
    const src = sourceMailbox(emulator(), "alexw");
    const ex = targetExchange();
    await ex.invoke("New-MailUser", {
      Name: "Alex Wilber",
      Alias: "alexw",
      ExternalEmailAddress: "alexw@fabrikam.com",
      PrimarySmtpAddress: "alexw@contoso.com",
      MicrosoftOnlineServicesID: "alexw@contoso.com",
      Password: "Pre-existing-1!",
    });
    await ex.invoke("Set-MailUser", {
      Identity: "alexw@contoso.com",
      ExchangeGuid: src.ExchangeGuid,
      EmailAddresses: hashtable({ add: [`x500:${src.LegacyExchangeDN}`] }),
    });
    const engine = new Engine(host);
    const user = await declareMailUser(mailUserArgs(emulator(), "alexw", { name: "Alex Wilber" }));
    const since = mark();
    const { state } = await engine.up(user);
    expect(cmdlets(writes(exchangeCalls(emulator(), since)))).toEqual(["Set-MailUser"]);
    expect(state.outputs).toMatchObject({
      adopted: true,
      staged: true,
      password: null,
      exchangeGuid: src.ExchangeGuid,
    });
    expect(state.outputs.x500Addresses).toHaveLength(2);
    expect((await engine.up(user)).op).toBe("same");
    const before = mark();
    await engine.destroy(user);
    expect(writes(exchangeCalls(emulator(), before))).toEqual([]);
    expect(theObject(emulator(), "alexw@contoso.com").ExchangeGuid).toBe(src.ExchangeGuid);
    await ex.invoke("Remove-MailUser", { Identity: "alexw@contoso.com", Confirm: false });
  });

  test("another MailUser holding the target address is refused, named, and nothing is written", async () => {
    const ex = targetExchange();
    await ex.invoke("New-MailUser", {
      Name: "Someone Else",
      Alias: "someone",
      ExternalEmailAddress: "someone@example.org",
      PrimarySmtpAddress: "leeg@contoso.com",
    });
    const other = theObject(emulator(), "leeg@contoso.com");
    const engine = new Engine(host);
    const user = await declareMailUser(mailUserArgs(emulator(), "leeg"));
    const since = mark();
    const err = await engine.up(user).catch((e) => e);
    expect(err.message).toContain(
      `MailUser leeg@contoso.com: cannot stage it: 'Someone Else' (MailUser, Guid ${other.Guid}) holds leeg@contoso.com`,
    );
    expect(err.message).toMatch(/Only a MailUser carrying ExchangeGuid .* is adopted/);
    expect(writes(exchangeCalls(emulator(), since))).toEqual([]);
    await ex.invoke("Remove-MailUser", { Identity: String(other.Guid), Confirm: false });
  });

  test("a group holding the address (outside the bulk MailUser listing) is named once Exchange refuses New-MailUser", async () => {
    const ex = targetExchange();
    await ex.invoke("Enable-OrganizationCustomization", {}, { idempotent: true }).catch(() => undefined);
    await ex.invoke("New-DistributionGroup", {
      Name: "Megan's Team",
      Alias: "meganb",
      PrimarySmtpAddress: "meganb@contoso.com",
    });
    const engine = new Engine(host);
    // Three users created together: their lookups are answered by one listing of MailUsers and mailboxes.
    const [megan, ...others] = await declareAll(["meganb", "lidiah", "henriettam"]);
    const since = mark();
    const results = await Promise.allSettled([megan, ...others].map((u) => engine.up(u)));
    const err = (results[0] as PromiseRejectedResult).reason;
    expect(err.message).toMatch(
      /MailUser meganb@contoso.com: cannot stage it: 'Megan's Team' \(MailUniversalDistributionGroup, Guid [0-9a-f-]+\) holds meganb@contoso.com, meganb/,
    );
    expect(results.slice(1).map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
    const calls = exchangeCalls(emulator(), since);
    expect(calls.filter((c) => c.cmdlet === "Get-Recipient").length).toBeGreaterThanOrEqual(1);
    expect(cmdlets(writes(calls)).sort()).toEqual([
      "New-MailUser",
      "New-MailUser",
      "New-MailUser",
      "Set-MailUser",
      "Set-MailUser",
    ]);
    expect(writes(calls).filter((c) => c.status >= 400)).toHaveLength(1);
    for (const u of others) await engine.destroy(u);
    await ex.invoke("Remove-DistributionGroup", {
      Identity: "meganb@contoso.com",
      BypassSecurityGroupManagerCheck: true,
      Confirm: false,
    });
  });
});

describe("held users", () => {
  test("a held user writes nothing; when its blockers clear, it is replaced by a staged one", async () => {
    const engine = new Engine(host);
    let user = await declareMailUser(
      mailUserArgs(emulator(), "diegos", { blockers: ["litigation hold on the source mailbox"] }),
    );
    const since = mark();
    const { state } = await engine.up(user);
    expect(state.id).toBe("held:diegos@contoso.com");
    expect(state.outputs).toMatchObject({ held: true, staged: false, identity: "", password: null });
    expect((await engine.refresh(user)).op).toBe("same");
    expect((await engine.up(user)).op).toBe("same");
    expect(mark()).toBe(since);
    user = withInputs(user, { blockers: [] });
    const plan = await engine.preview(user);
    expect(plan.op).toBe("replace");
    expect(plan.diff).toMatchObject({ replaces: ["blockers"], deleteBeforeReplace: true });
    const staged = await engine.up(user);
    expect(staged.state.outputs).toMatchObject({ held: false, staged: true });
    expect(cmdlets(writes(exchangeCalls(emulator(), since)))).toEqual(["New-MailUser", "Set-MailUser"]);
    await engine.destroy(user);
  });
});

describe("after the move", () => {
  test("the mailbox reports migrated, shows no diff, is never written, and destroy leaves it with a warning", async () => {
    const engine = new Engine(host);
    const user = await declareMailUser(mailUserArgs(emulator(), "johannal"));
    await engine.up(user);
    completeMove(emulator(), "johannal@contoso.com");
    const since = mark();
    const refreshed = await engine.refresh(user);
    expect(refreshed.op).toBe("same");
    expect(refreshed.state!.outputs).toMatchObject({
      migrated: true,
      staged: false,
      recipientTypeDetails: "UserMailbox",
      exchangeGuid: sourceMailbox(emulator(), "johannal").ExchangeGuid,
    });
    expect((await engine.up(withInputs(user, { displayName: "Johanna L." }))).op).toBe("same");
    await engine.destroy(user);
    expect(writes(exchangeCalls(emulator(), since))).toEqual([]);
    expect(theObject(emulator(), "johannal@contoso.com").RecipientTypeDetails).toBe("UserMailbox");
    await host.waitForOutput(
      "MailUser johannal@contoso.com has moved ('johannal' is a UserMailbox holding the user's mail): left in place, not deleted.",
    );
  });
});

describe("a wave of 300", () => {
  test("300 concurrent creates write 600 times; 300 concurrent refreshes cost a handful of reads", async () => {
    const engine = new Engine(host);
    const aliases = Array.from({ length: 300 }, (_, i) => `user${String(i + 1).padStart(5, "0")}`);
    const users = await declareAll(aliases);
    let since = mark();
    let started = Date.now();
    await Promise.all(users.map((u) => engine.up(u)));
    const created = exchangeCalls(emulator(), since);
    const createMs = Date.now() - started;
    expect(writes(created)).toHaveLength(600);
    for (const a of aliases) theObject(emulator(), `${a}@contoso.com`);
    const createReads = created.length - 600;

    since = mark();
    started = Date.now();
    const refreshed = await Promise.all(users.map((u) => engine.refresh(u)));
    const refresh = exchangeCalls(emulator(), since);
    expect(refreshed.every((r) => r.op === "same")).toBe(true);
    expect(writes(refresh)).toEqual([]);
    console.log(
      `mail users: 300 creates took ${created.length} Exchange calls (600 writes, ${createReads} reads) in ${createMs} ms; 300 refreshes took ${refresh.length} calls in ${Date.now() - started} ms`,
    );
    expect(refresh.length).toBeLessThanOrEqual(10);
    expect(createReads).toBeLessThanOrEqual(10);

    since = mark();
    await Promise.all(users.map((u) => engine.destroy(u)));
    const removed = exchangeCalls(emulator(), since);
    expect(writes(removed)).toHaveLength(300);
    expect(removed.length - 300).toBeLessThanOrEqual(10);
  });
});
