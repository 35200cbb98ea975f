// How SourceMailboxes keeps a wave's records in the state (providers/recordTable.ts): as a table
// that expands back to exactly the records, or, when it would not, as the plain list; state written before
// the table (a plain list) diffs the same as the table of the same records.

import { isTable, tableRecords, storeTable, TABLE_FROM_ROWS } from "../providers/recordTable";
import { sourceMailboxesImpl, type SourceMailbox } from "../providers/sourceMailboxes";

const DN = "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=";

function record(i: number, extra: Partial<SourceMailbox> = {}): SourceMailbox {
  const alias = `user${String(i).padStart(5, "0")}`;
  return {
    sourceAddress: `${alias}@fabrikam.com`,
    targetPrimary: `${alias}@contoso.com`,
    state: "ready",
    blockers: [],
    primarySmtpAddress: `${alias}@fabrikam.com`,
    name: alias,
    alias,
    displayName: `Generated User ${i}`,
    firstName: "Generated",
    lastName: `User ${i}`,
    recipientTypeDetails: "UserMailbox",
    exchangeGuid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    archiveGuid: "",
    x500Addresses: [`x500:${DN}${i.toString(16).padStart(32, "0")}-${alias}`],
    ...extra,
  };
}

const wave = (n: number) => Array.from({ length: n }, (_, i) => record(i + 1));

describe("SourceMailboxes records in the state", () => {
  test("a wave is kept as a table that expands back to the same records, in order", () => {
    const records = wave(TABLE_FROM_ROWS);
    records[7] = record(8, {
      state: "blocked",
      blockers: ["is on litigation hold"],
      archiveGuid: "11111111-2222-4333-8444-555555555555",
      x500Addresses: [`x500:${DN}abc-user00008`, "x500:/o=Fabrikam/ou=First Administrative Group/cn=Recipients/cn=old"],
    });
    const stored = storeTable(records);
    expect(isTable(stored)).toBe(true);
    expect(tableRecords(stored)).toEqual(records);
    if (!isTable(stored)) return;
    // What every record shares is kept once; the DN's prefix too, except on the address that lacks it.
    expect(stored.same).toEqual({ recipientTypeDetails: "UserMailbox", firstName: "Generated" });
    // A mailbox's alias is its name here, and its primary address the declared one: kept once.
    expect(stored.copies).toEqual({ primarySmtpAddress: "sourceAddress", alias: "name" });
    // The target address keeps the source's local part in the one target domain, and the name is that local
    // part: each kept as its rule, not in the rows.
    expect(stored.derived).toEqual({ targetPrimary: ["sourceAddress", "contoso.com"], name: ["sourceAddress", null] });
    expect(stored.fields).not.toContain("targetPrimary");
    expect(stored.x500Prefix).toBe(`x500:${DN}`);
    const x500 = stored.fields.indexOf("x500Addresses");
    expect(stored.rows[7][x500]).toEqual(["abc-user00008", records[7].x500Addresses[1]]);
  });

  test("a rule that one record breaks is not used: that property stays in the rows, and the records come back", () => {
    const records = wave(TABLE_FROM_ROWS);
    // One target address in another domain, one name that is not the local part, one local part changed.
    records[3] = record(4, { targetPrimary: "user00004@contoso.co.uk" });
    records[5] = record(6, { name: "Six", alias: "Six" });
    records[9] = record(10, { targetPrimary: "renamed@contoso.com" });
    const stored = storeTable(records);
    expect(isTable(stored)).toBe(true);
    if (!isTable(stored)) return;
    expect(stored.derived ?? {}).toEqual({});
    expect(stored.fields).toEqual(expect.arrayContaining(["targetPrimary", "name"]));
    expect(tableRecords(stored)).toEqual(records);
  });

  test("a table from before the rules existed (no derived) still expands", () => {
    const records = wave(TABLE_FROM_ROWS);
    const stored = storeTable(records);
    if (!isTable(stored)) throw new Error("expected a table");
    const { derived, ...rest } = stored;
    expect(derived).toBeDefined();
    // The same table written without rules: the derived properties back in the rows.
    const fields = [...rest.fields, ...Object.keys(derived!)];
    const expanded = tableRecords(stored) as Record<string, unknown>[];
    const before = {
      ...rest,
      fields,
      rows: expanded.map((r, i) => [...rest.rows[i], ...Object.keys(derived!).map((k) => r[k])]),
    };
    expect(tableRecords(before)).toEqual(records);
  });

  test("a table takes well under two thirds of the list's bytes for a generated wave", () => {
    const records = wave(2000);
    const list = JSON.stringify(records).length;
    const table = JSON.stringify(storeTable(records)).length;
    expect(table / list).toBeLessThan(0.6);
  });

  test("records of different shapes, or too few, stay a plain list", () => {
    const records = wave(TABLE_FROM_ROWS);
    const odd = { ...records[2], legacyExchangeDN: "x" } as unknown as SourceMailbox;
    const mixed = [...records.slice(0, 2), odd, ...records.slice(3)];
    expect(storeTable(mixed)).toBe(mixed);
    // A pilot wave stays the list, which `pulumi preview --diff` shows value by value under its names.
    const pilot = wave(TABLE_FROM_ROWS - 1);
    expect(storeTable(pilot)).toBe(pilot);
    expect(isTable(storeTable(wave(TABLE_FROM_ROWS)))).toBe(true);
  });

  test("an address that would not come back exactly keeps the wave a plain list", () => {
    const records = wave(TABLE_FROM_ROWS);
    // The prefix followed by an address that itself starts with "x500:" cannot be told apart once cut.
    records[1] = record(2, { x500Addresses: [`x500:${DN}x500:odd`, `x500:${DN}b`] });
    const stored = storeTable(records);
    expect(tableRecords(stored)).toEqual(records);
    expect(stored).toBe(records);
  });

  test("a property that equals another in all but one record is kept in every row", () => {
    const records = wave(TABLE_FROM_ROWS);
    records[4] = { ...records[4], alias: "someone-else" };
    const stored = storeTable(records);
    expect(isTable(stored) && stored.copies).toEqual({ primarySmtpAddress: "sourceAddress" });
    expect(tableRecords(stored)).toEqual(records);
  });

  test("a stored value that is neither form comes back as it is", () => {
    expect(tableRecords(undefined)).toBeUndefined();
    expect(tableRecords({ rows: [] })).toEqual({ rows: [] });
  });

  test("state from before the table (the plain list) diffs the same; a changed value is still a change", async () => {
    const records = wave(TABLE_FROM_ROWS);
    const base = {
      wave: "wave-1",
      users: records.map((r) => ({ sourceAddress: r.sourceAddress, targetPrimary: r.targetPrimary })),
      targetDomains: ["contoso.com"],
      targetDeliveryDomain: "contoso.onmicrosoft.com",
      summary: { ready: TABLE_FROM_ROWS, blocked: 0, moved: 0 },
    };
    const diff = (olds: unknown, news: unknown) =>
      sourceMailboxesImpl.diff!("source-mailboxes/wave-1", olds as never, news as never);
    const news = { ...base, users: storeTable(base.users), mailboxes: storeTable(records) };
    expect(isTable(news.mailboxes) && isTable(news.users)).toBe(true);
    expect(await diff({ ...base, mailboxes: records }, news)).toEqual({ changes: false });
    const renamed = base.users.map((u, i) => (i === 9 ? { ...u, targetPrimary: "other@contoso.com" } : u));
    expect(await diff({ ...base, users: renamed, mailboxes: records }, news)).toMatchObject({ diffs: ["users"] });
    const changed = records.map((r, i) => (i === 3 ? { ...r, displayName: "Renamed" } : r));
    expect(await diff({ ...base, mailboxes: changed }, news)).toMatchObject({ changes: true, diffs: ["mailboxes"] });
    // A completed move (ready -> moved, every value kept) is not a change, in either form.
    const moved = storeTable(records.map((r, i) => (i === 0 ? { ...r, state: "moved" as const } : r)));
    expect(await diff({ ...base, mailboxes: records }, { ...base, mailboxes: moved })).toEqual({ changes: false });
  });
});
