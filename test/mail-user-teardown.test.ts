// Tearing staged MailUsers down through the real provider host: without purge the object is soft-deleted
// and its leftover blocks re-staging with a clear error; with purgeOnDelete the Entra user is hard-deleted
// and the MailUser purged, so the same addresses stage again. Both refusals seen in real tenants
// are reproduced by the emulator and answered: an organisation-wide retention hold
// (`orgHoldOnNewMailUsers`), a litigation hold, and an Entra user that reaches deleted items late.

import { emulatorTenantSettings, useEmulator, tenantOf } from "./support/emulator";
import { Engine, type DeclaredResource } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import type { ProviderHost } from "../harness/providerHost";
import { createTenantClient } from "../providers/tenant";
import { ENTRA_BLOCK, HOLD_BLOCK } from "../providers/mailUser/teardown";
import { softDelete } from "../emulator/exchange/cmdlets/mailusers";
import {
  cmdlets,
  declareMailUser,
  exchangeCalls,
  graphCalls,
  mailUserArgs,
  targetObjects,
  theObject,
  writes,
} from "./support/mailUsers";

const emulator = useEmulator();
const providerHost = useProviderHost(emulator, {
  env: { XTMM_VISIBILITY_TIMEOUT_SECONDS: "8", XTMM_READ_COALESCE_MS: "20" },
});
let host: ProviderHost;
beforeAll(() => {
  host = providerHost();
});
afterEach(() => {
  emulator().options.exchange.orgHoldOnNewMailUsers = false;
});

const targetExchange = () =>
  createTenantClient(emulatorTenantSettings(emulator(), "target"), { exchange: { baseDelayMs: 5, maxDelayMs: 20 } })
    .exchange;
const mark = () => emulator().requests.length;
const staged = async (
  alias: string,
  purgeOnDelete: boolean,
): Promise<{ engine: Engine; user: DeclaredResource; guid: string; entraId: string }> => {
  const engine = new Engine(host);
  const user = await declareMailUser(mailUserArgs(emulator(), alias, { purgeOnDelete }));
  const { state } = await engine.up(user);
  return {
    engine,
    user,
    guid: String(state.outputs.identity),
    entraId: String(state.outputs.externalDirectoryObjectId),
  };
};
/** Where the object and its Entra user are now. */
function whereabouts(guid: string, entraId: string) {
  const t = tenantOf(emulator(), "target");
  return {
    live: t.exchange.recipients.has(guid),
    softDeleted: t.exchange.softDeletedRecipients.has(guid),
    entraUser: t.directory.users.has(entraId),
    entraDeleted: t.directory.deletedItems.has(entraId),
  };
}
/** Exchange writes and Graph calls in order, with their statuses. */
const sequence = (since: number) =>
  emulator()
    .requests.slice(since)
    .filter((r) => (r.surface === "exchange" && r.cmdlet && !/^Get-/.test(r.cmdlet)) || r.surface === "graph")
    .map(
      (r) =>
        `${r.surface === "graph" ? `${r.method} ${r.path.replace(/\/[0-9a-f-]{36}$/, "/{id}")}` : r.cmdlet} ${r.status}`,
    );

describe("without purge", () => {
  test("destroy soft-deletes; the leftover blocks staging the same addresses again, named with the fix", async () => {
    const { engine, user, guid, entraId } = await staged("adelev", false);
    const since = mark();
    await engine.destroy(user);
    expect(cmdlets(writes(exchangeCalls(emulator(), since)))).toEqual(["Remove-MailUser"]);
    expect(graphCalls(emulator(), since)).toEqual([]);
    expect(whereabouts(guid, entraId)).toEqual({
      live: false,
      softDeleted: true,
      entraUser: false,
      entraDeleted: true,
    });

    const again = new Engine(host);
    const before = mark();
    const err = await again.up(user).catch((e) => e);
    expect(err.message).toMatch(
      new RegExp(
        `cannot stage it: 'adelev' \\(soft-deleted MailUser, Guid ${guid}, ExchangeGuid [0-9a-f-]+\\) holds adelev@contoso.com`,
      ),
    );
    expect(err.message).toMatch(/A soft-deleted MailUser keeps its addresses for 30 days: purge it/);
    expect(writes(exchangeCalls(emulator(), before))).toEqual([]);
    await targetExchange().invoke("Remove-MailUser", { Identity: guid, PermanentlyDelete: true, Confirm: false });
  });

  test("a held user's destroy calls nothing; an object already removed by hand is success", async () => {
    const engine = new Engine(host);
    const held = await declareMailUser(mailUserArgs(emulator(), "diegos", { blockers: ["litigation hold"] }));
    await engine.up(held);
    const since = mark();
    await engine.destroy(held);
    expect(mark()).toBe(since);
    const { engine: e2, user, guid } = await staged("leeg", false);
    await targetExchange().invoke("Remove-MailUser", { Identity: guid, Confirm: false });
    const before = mark();
    await e2.destroy(user);
    expect(writes(exchangeCalls(emulator(), before))).toEqual([]);
    await targetExchange().invoke("Remove-MailUser", { Identity: guid, PermanentlyDelete: true, Confirm: false });
  });
});

describe("with purgeOnDelete", () => {
  test("destroy hard-deletes the Entra user and purges the MailUser; the same addresses stage again", async () => {
    const { engine, user, guid, entraId } = await staged("meganb", true);
    const since = mark();
    await engine.destroy(user);
    expect(sequence(since)).toEqual([
      "Remove-MailUser 200",
      "DELETE /v1.0/directory/deletedItems/{id} 204",
      "Remove-MailUser 200",
    ]);
    expect(whereabouts(guid, entraId)).toEqual({
      live: false,
      softDeleted: false,
      entraUser: false,
      entraDeleted: false,
    });
    expect(targetObjects(emulator(), "meganb@contoso.com")).toEqual({ live: [], soft: [] });
    const again = await staged("meganb", true);
    expect(again.guid).not.toBe(guid);
    await again.engine.destroy(again.user);
    expect(whereabouts(again.guid, again.entraId)).toEqual({
      live: false,
      softDeleted: false,
      entraUser: false,
      entraDeleted: false,
    });
  });

  test("Exchange's two refusals, reproduced: an Entra user behind the MailUser, and a hold", async () => {
    const ex = targetExchange();
    emulator().options.exchange.orgHoldOnNewMailUsers = true;
    await ex.invoke("New-MailUser", { Name: "probe", ExternalEmailAddress: "probe@example.org" });
    const entra = await ex
      .invoke("Remove-MailUser", { Identity: "probe", PermanentlyDelete: true, Confirm: false })
      .catch((e) => e);
    expect(entra.message).toMatch(ENTRA_BLOCK);
    await ex.invoke("Remove-MailUser", { Identity: "probe", Confirm: false });
    const hold = await ex
      .invoke("Remove-MailUser", { Identity: "probe", PermanentlyDelete: true, Confirm: false })
      .catch((e) => e);
    expect(hold.message).toMatch(HOLD_BLOCK);
    await ex.invoke("Set-MailUser", { Identity: "probe", ExcludeFromAllHolds: true });
    await ex.invoke("Remove-MailUser", { Identity: "probe", PermanentlyDelete: true, Confirm: false });
  });

  test("an organisation-wide retention hold: the purge is refused, the soft-deleted object is excluded from holds, the purge succeeds", async () => {
    emulator().options.exchange.orgHoldOnNewMailUsers = true;
    const { engine, user, guid, entraId } = await staged("henriettam", true);
    expect((theObject(emulator(), "henriettam@contoso.com").InPlaceHolds as string[]).length).toBe(1);
    const since = mark();
    await engine.destroy(user);
    expect(sequence(since)).toEqual([
      "Remove-MailUser 200",
      "DELETE /v1.0/directory/deletedItems/{id} 204",
      "Remove-MailUser 400",
      "Set-MailUser 200",
      "Remove-MailUser 200",
    ]);
    expect(whereabouts(guid, entraId)).toEqual({
      live: false,
      softDeleted: false,
      entraUser: false,
      entraDeleted: false,
    });
  });

  test("a litigation hold is removed while the object is live; the delay hold it leaves is released at purge", async () => {
    const { engine, user, guid, entraId } = await staged("lidiah", true);
    await targetExchange().invoke("Set-MailUser", { Identity: guid, EnableLitigationHoldForMigration: true });
    const since = mark();
    await engine.destroy(user);
    expect(sequence(since)).toEqual([
      "Set-MailUser 200",
      "Remove-MailUser 200",
      "DELETE /v1.0/directory/deletedItems/{id} 204",
      "Remove-MailUser 400",
      "Set-MailUser 200",
      "Remove-MailUser 200",
    ]);
    expect(whereabouts(guid, entraId)).toEqual({
      live: false,
      softDeleted: false,
      entraUser: false,
      entraDeleted: false,
    });
  });

  test("an Entra user that reaches deleted items late: the purge is refused, waited out, and retried", async () => {
    const { engine, user, guid, entraId } = await staged("johannal", true);
    const t = tenantOf(emulator(), "target");
    // Exchange has soft-deleted the MailUser; Entra has not caught up yet.
    softDelete(t, t.exchange.recipients.get(guid)!, Date.now());
    const late = setTimeout(() => {
      const u = t.directory.users.get(entraId)!;
      t.directory.users.delete(entraId);
      t.directory.deletedItems.set(entraId, {
        obj: { ...u.obj, "@odata.type": "#microsoft.graph.user", deletedDateTime: new Date().toISOString() },
        meta: u.meta,
      });
    }, 1500);
    const since = mark();
    try {
      await engine.destroy(user);
    } finally {
      clearTimeout(late);
    }
    const seq = sequence(since);
    expect(seq.slice(0, 2)).toEqual(["DELETE /v1.0/directory/deletedItems/{id} 404", "Remove-MailUser 400"]);
    expect(seq.slice(-2)).toEqual(["DELETE /v1.0/directory/deletedItems/{id} 204", "Remove-MailUser 200"]);
    expect(whereabouts(guid, entraId)).toEqual({
      live: false,
      softDeleted: false,
      entraUser: false,
      entraDeleted: false,
    });
  });
});
