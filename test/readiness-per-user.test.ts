// The pure rules of readiness's per-user reads: which answers the next check may reuse (same basis, found
// nothing, young enough), how a HoldTracking log is read (only organisation-wide holds that have not ended, where
// Microsoft's validator also flags ended ones), the bound on concurrent reads, which users are read at all, and the
// findings with Microsoft's fixes (the hybrid path for a DirSynced MailUser, the 100 GB ceiling).

import { activeOrgHolds, runBounded } from "../providers/readiness/perUserRead";
import { bases, reusable, REUSE_DAYS, type Part } from "../providers/readiness/perUser";
import {
  perUserFindings,
  perUserNotChecked,
  perUserSubjects,
  quotaWarning,
} from "../providers/readiness/perUserChecks";
import { evaluate, type Finding, type Listed } from "../providers/readiness/model";

const GB = (n: number) => `${n} GB (${(n * 1024 ** 3).toLocaleString("en-US")} bytes)`;
const src: Listed = {
  Guid: "aaaaaaaa-0000-4000-8000-000000000001",
  ExchangeGuid: "44444444-4444-4444-8444-444444444444",
  ArchiveGuid: "55555555-5555-4555-8555-555555555555",
  RecipientTypeDetails: "UserMailbox",
  InPlaceHolds: [],
  RecoverableItemsQuota: GB(100),
};
const tgt: Listed = { Guid: "bbbbbbbb-0000-4000-8000-000000000001", RecoverableItemsQuota: GB(30), IsDirSynced: false };
const user = { source: "adele@fabrikam.com", target: "adele@contoso.com" };

describe("reuse", () => {
  const b = bases(src, tgt, ["mbxP:1"]);
  const part = <T>(value: T, on = "2026-12-01", basis = b.substrateHolds!): Part<T> => ({ basis, on, value });

  test("each part depends on what its answer depends on; a shared mailbox, or an organisation without policies, has no HoldTracking part", () => {
    expect(b).toEqual({
      substrateHolds: "archive:55555555-5555-4555-8555-555555555555",
      deletedItems: "mailbox:44444444-4444-4444-8444-444444444444",
      holdTracking: "mailbox:44444444-4444-4444-8444-444444444444;org:mbxp:1;own:",
      previousMailbox: "mailuser:bbbbbbbb-0000-4000-8000-000000000001",
    });
    expect(bases({ ...src, RecipientTypeDetails: "SharedMailbox" }, tgt, ["mbxP:1"]).holdTracking).toBeUndefined();
    // No organisation-wide policy, no log to read.
    expect(bases(src, tgt, []).holdTracking).toBeUndefined();
    expect(
      bases({ ...src, ArchiveGuid: "00000000-0000-0000-0000-000000000000" }, tgt, []).substrateHolds,
    ).toBeUndefined();
    expect(bases(src, tgt, ["mbxB:1", "mbxA:1"]).holdTracking).toContain("org:mbxa:1,mbxb:1");
  });

  test("a clean answer is reused while its basis holds and for at most REUSE_DAYS; a finding never", () => {
    const clean = part({ items: 0, bytes: 0 });
    expect(reusable(clean, "substrateHolds", b.substrateHolds!, "2026-12-04")).toBe(clean);
    expect(reusable(clean, "substrateHolds", "archive:other", "2026-12-04")).toBeUndefined();
    expect(
      reusable(clean, "substrateHolds", b.substrateHolds!, `2026-12-${String(1 + REUSE_DAYS + 1).padStart(2, "0")}`),
    ).toBeUndefined();
    expect(reusable(clean, "substrateHolds", b.substrateHolds!, "2026-11-30")).toBeUndefined();
    expect(reusable(part({ items: 3, bytes: 9 }), "substrateHolds", b.substrateHolds!, "2026-12-04")).toBeUndefined();
    const dumpster = part({ bytes: 40 * 1024 ** 3, text: GB(40) }, "2026-12-01", b.deletedItems!);
    // Clean only against the quota it is compared with now.
    expect(reusable(dumpster, "deletedItems", b.deletedItems!, "2026-12-02", 100 * 1024 ** 3)).toBe(dumpster);
    expect(reusable(dumpster, "deletedItems", b.deletedItems!, "2026-12-02", 30 * 1024 ** 3)).toBeUndefined();
    const unavailable = part({ available: false, holds: [] }, "2026-12-01", b.holdTracking!);
    expect(reusable(unavailable, "holdTracking", b.holdTracking!, "2026-12-02")).toBeUndefined();
  });
});

test("a HoldTracking log: organisation-wide (ht 4, mbx…) holds that have not ended; anything unreadable is no log", () => {
  const log = JSON.stringify([
    { ed: "0001-01-01T00:00:00.0000000", hid: "mbxaaa:1", ht: 4, lsd: "x", osd: "x" },
    { ed: "2026-01-01T00:00:00.0000000Z", hid: "mbxended:1", ht: 4, lsd: "x", osd: "x" },
    { ed: "0001-01-01T00:00:00.0000000", hid: "skpteams:1", ht: 4, lsd: "x", osd: "x" },
    { ed: "0001-01-01T00:00:00.0000000", hid: "mbxbbb:1", ht: 5, lsd: "x", osd: "x" },
  ]);
  expect(activeOrgHolds(log)).toEqual({ available: true, holds: ["mbxaaa:1"] });
  expect(activeOrgHolds("[]")).toEqual({ available: true, holds: [] });
  expect(activeOrgHolds("not json")).toEqual({ available: false, holds: [] });
  expect(activeOrgHolds(undefined)).toEqual({ available: false, holds: [] });
});

test("reads run at most `limit` at a time, all of them, and a failure surfaces after the rest", async () => {
  let active = 0;
  let peak = 0;
  const done: number[] = [];
  const tasks = Array.from({ length: 25 }, (_, i) => async () => {
    active++;
    peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, 2));
    active--;
    if (i === 3) throw new Error("boom");
    done.push(i);
  });
  await expect(runBounded(tasks, 4)).rejects.toThrow("boom");
  expect(peak).toBe(4);
  expect(done).toHaveLength(24);
});

test("only users the bulk checks leave ready or pending are read; the organisation's retention list does not count", () => {
  const users = ["a", "b", "c", "d"].map((x) => ({ source: `${x}@fabrikam.com`, target: `${x}@contoso.com` }));
  const f = (user: string, check: string, pending = false): Finding => ({
    check,
    severity: "blocking",
    tenant: "source",
    user,
    pending,
    message: "",
    fix: "",
  });
  const e = evaluate(
    users,
    new Set(["d@contoso.com"]),
    [
      f("a@contoso.com", "user.licence"),
      f("b@contoso.com", "user.hold.organization"),
      f("c@contoso.com", "user.scope", true),
    ],
    [],
    { needed: 0, source: null, target: null },
  );
  expect(perUserSubjects(e).map((u) => u.target)).toEqual(["b@contoso.com", "c@contoso.com"]);
  const org = evaluate(users, new Set(), [{ ...f("x", "org.endpoint"), user: null }], [], {
    needed: 0,
    source: null,
    target: null,
  });
  expect(perUserSubjects(org)).toEqual([]);
});

describe("findings", () => {
  const rec = (deleted: number) => ({
    ...user,
    deletedItems: { basis: "b", on: "2026-12-01", value: { bytes: deleted * 1024 ** 3, text: GB(deleted) } },
  });

  test("a dumpster above the MailUser's quota: EnableLitigationHoldForMigration; DirSynced: msExchELCMailboxFlags; above 100 GB: purge first", () => {
    const [cloud] = perUserFindings(user, rec(45), src, tgt, false);
    expect(cloud).toMatchObject({ check: "user.deletedItemSize", severity: "blocking", tenant: "target" });
    expect(cloud.fix).toMatch(/^Set-MailUser -Identity adele@contoso.com -EnableLitigationHoldForMigration/);
    const [hybrid] = perUserFindings(user, rec(45), src, { ...tgt, IsDirSynced: true }, false);
    expect(hybrid.fix).toContain("msExchELCMailboxFlags");
    const [huge] = perUserFindings(user, rec(120), src, tgt, false);
    expect(huge.fix).toMatch(/^The source's Recoverable Items are above 100 GB/);
    expect(perUserFindings(user, rec(20), src, tgt, false)).toEqual([]);
    // An Unlimited quota has no byte count: nothing to compare, no finding.
    expect(perUserFindings(user, rec(200), src, { ...tgt, RecoverableItemsQuota: "Unlimited" }, false)).toEqual([]);
  });

  test("the quota warning: measured and above, none (the blocking finding says it); measured and below, the room left", () => {
    expect(quotaWarning(user, src, tgt, { bytes: 45 * 1024 ** 3, text: GB(45) })).toBeUndefined();
    expect(quotaWarning(user, src, tgt, { bytes: 2 * 1024 ** 3, text: GB(2) })!.message).toContain(`hold ${GB(2)} now`);
    expect(quotaWarning(user, src, tgt, undefined)!.fix).toContain(
      "Get-MailboxStatistics -Identity adele@fabrikam.com",
    );
    expect(quotaWarning(user, { ...src, RecoverableItemsQuota: GB(30) }, tgt, undefined)).toBeUndefined();
  });

  test("previous-mailbox information is pending while this run may still clear it; SubstrateHolds never is", () => {
    const r = {
      ...user,
      previousMailbox: { basis: "b", on: "2026-12-01", value: { type: "UserMailbox" } },
      substrateHolds: { basis: "b", on: "2026-12-01", value: { items: 2, bytes: 10 } },
    };
    const found = perUserFindings(user, r, src, tgt, true);
    expect(found.map((x) => [x.check, x.pending])).toEqual([
      ["user.substrateHolds", false],
      ["user.previousMailbox", true],
    ]);
  });

  test("a stack that sees one tenant says which per-user checks run in the other stack", () => {
    expect(perUserNotChecked(true, true)).toEqual([]);
    expect(perUserNotChecked(true, false).map((n) => n.check)).toEqual([
      "user.deletedItemSize",
      "user.previousMailbox",
    ]);
    expect(perUserNotChecked(false, true).map((n) => n.check)).toEqual([
      "user.deletedItemSize",
      "user.substrateHolds",
      "user.hold.organization",
    ]);
  });
});
