// How a Readiness keeps its findings in the state: per-user findings that differ only in the user's addresses
// are kept once as a group, and every reader (the program's batches, status, the provider's diff) gets back
// exactly the list the check made, in its order. State from before the groups reads and diffs the same.

import { expandFindings, storeFindings } from "../providers/readiness/storedFindings";
import { readinessImpl, type Finding } from "../providers/readiness";
import { openFindings } from "../scripts/status";
import { isTable, storeTable, tableRecords } from "../providers/recordTable";

const users = ["adelev", "meganb", "leeg", "alexw"].map((a) => ({
  source: `${a}@fabrikam.com`,
  target: `${a}@contoso.com`,
}));

const licence = (u: { source: string; target: string }): Finding => ({
  check: "user.licence",
  severity: "blocking",
  tenant: "target",
  user: u.target,
  pending: false,
  message: `${u.target} (source ${u.source}): neither the source mailbox nor the target MailUser has the licence`,
  fix: `Set-MgUserLicense -UserId ${u.target} -AddLicenses @{SkuId="946ce899-873d-44bb-9d8b-671870cbfdbf"}`,
});

const org: Finding = {
  check: "org.licences",
  severity: "warning",
  tenant: "source",
  user: null,
  pending: false,
  message: "4 user(s) of the wave need a licence, 0 can be assigned",
  fix: "Buy at least 4 more",
};

const hold = (u: { target: string }, gb: number): Finding => ({
  check: "user.recoverableItems",
  severity: "warning",
  tenant: "source",
  user: u.target,
  pending: false,
  message: `${u.target}: ${gb} GB in Recoverable Items`,
  fix: "Raise the quota",
});

// The check's order: organisation first, then each user's findings in turn.
const all: Finding[] = [
  org,
  licence(users[0]),
  hold(users[0], 90),
  licence(users[1]),
  licence(users[2]),
  hold(users[2], 95),
  licence(users[3]),
];

test("findings that differ only in the user's addresses are kept once, and expand to the check's list in order", () => {
  const stored = storeFindings(all, users);
  expect(stored.userFindings).toHaveLength(1);
  const [group] = stored.userFindings;
  expect(group.message).toBe(
    "{user} (source {source}): neither the source mailbox nor the target MailUser has the licence",
  );
  expect(group.users).toEqual(users.map((u) => u.target));
  // The two holds name different sizes, so they stay as they are, as does the organisation's.
  expect(stored.findings).toEqual([org, hold(users[0], 90), hold(users[2], 95)]);
  expect(expandFindings({ ...stored, users })).toEqual(all);
});

test("a finding seen once, or whose text already holds a placeholder, is kept as it is", () => {
  const odd = { ...licence(users[1]), message: "{user} is literally in this text" };
  const oddToo = { ...licence(users[2]), message: "{user} is literally in this text" };
  const stored = storeFindings([org, licence(users[0]), odd, oddToo], users);
  expect(stored.userFindings).toEqual([]);
  expect(stored.findings).toEqual([org, licence(users[0]), odd, oddToo]);
});

test("a wave of 2,000 unlicensed users keeps a small fraction of the text", () => {
  const many = Array.from({ length: 2000 }, (_, i) => ({
    source: `user${i}@fabrikam.com`,
    target: `user${i}@contoso.com`,
  }));
  const findings = many.map(licence);
  const stored = storeFindings(findings, many);
  const plain = JSON.stringify(findings).length;
  const kept = JSON.stringify(stored).length;
  expect(kept / plain).toBeLessThan(0.2);
  expect(expandFindings({ ...stored, users: many })).toEqual(findings);
});

test("a record from before the groups (findings only) expands to its findings", () => {
  expect(expandFindings({ findings: all, users })).toEqual(all);
  expect(expandFindings({ findings: all, userFindings: null, users })).toEqual(all);
  expect(expandFindings({})).toEqual([]);
});

test("the provider's diff compares the findings, not how they are kept: old state plans no change", async () => {
  const base = { wave: "wave-1", users, summary: { users: 4 }, blockedUsers: users.map((u) => u.target) };
  const olds = { ...base, findings: all };
  const news = { ...base, ...storeFindings(all, users) };
  expect(await readinessImpl.diff!("readiness/wave-1", olds as never, news as never)).toEqual({ changes: false });
  const fewer = { ...base, ...storeFindings(all.slice(0, -1), users) };
  expect(await readinessImpl.diff!("readiness/wave-1", olds as never, fewer as never)).toMatchObject({
    changes: true,
    diffs: ["findings"],
  });
});

test("status lists grouped findings as the check made them", () => {
  const outputs = { wave: "wave-1", users, ...storeFindings(all, users) };
  const listed = openFindings([
    {
      urn: "urn:pulumi:s::p::pulumi-nodejs:dynamic/xtmm:Readiness::readiness/wave-1",
      type: "pulumi-nodejs:dynamic/xtmm:Readiness",
      outputs,
    },
  ]);
  expect(listed.filter((f) => f.check === "user.licence").map((f) => f.text)).toEqual(
    users.map((u) => licence(u).message),
  );
  expect(listed).toHaveLength(all.length);
});

describe("a large wave's users, kept as a table (providers/recordTable.ts)", () => {
  const many = Array.from({ length: 150 }, (_, i) => ({
    source: `user${i}@fabrikam.com`,
    target: `user${i}@contoso.com`,
  }));
  const findings = many.map(licence);

  test("the table holds each user's source address once and gives back the pairs; findings expand through it", () => {
    const table = storeTable(many);
    expect(isTable(table)).toBe(true);
    if (!isTable(table)) return;
    expect(table.rows[7]).toEqual(["user7@fabrikam.com"]);
    expect(tableRecords(table)).toEqual(many);
    expect(JSON.stringify(table).length / JSON.stringify(many).length).toBeLessThan(0.5);
    expect(expandFindings({ ...storeFindings(findings, many), users: table })).toEqual(findings);
  });

  test("the diff compares the users, not how they are kept: a list in state from before plans no change", async () => {
    const base = { wave: "wave-1", summary: { users: many.length }, ...storeFindings(findings, many) };
    const olds = { ...base, users: many };
    const news = { ...base, users: storeTable(many) };
    expect(await readinessImpl.diff!("readiness/wave-1", olds as never, news as never)).toEqual({ changes: false });
    const other = many.map((u, i) => (i === 42 ? { ...u, source: "someone@fabrikam.com" } : u));
    const changed = { ...base, users: storeTable(other) };
    // The users differ, and so do the findings that name the source address.
    expect(await readinessImpl.diff!("readiness/wave-1", news as never, changed as never)).toMatchObject({
      changes: true,
      diffs: ["users", "findings"],
    });
  });
});
