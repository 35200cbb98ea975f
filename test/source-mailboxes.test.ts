// SourceMailboxes through the real dynamic-provider host against the emulated pair (fabrikam → contoso,
// 1,500 generated source mailboxes): bad input refused offline, the seeded source's values at preview
// (archives, shared mailboxes, x500s, holds), blockers reported by name, calls counted for waves of 50 and
// 1,500 users, preview and refresh without writes, and a user whose move completed keeping its values.
// Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import { tenantOf, useEmulator } from "./support/emulator";
import type { ProviderHost } from "../harness/providerHost";
import {
  CheckFailedError,
  Engine,
  declareResource,
  emulatorStackConfig,
  withUnknowns,
  type DeclaredResource,
} from "../harness/engine";
import { useProviderHost, withProviderHost } from "./support/providerHost";
import { SourceMailboxes, sourceMailboxesImpl, type SourceMailbox } from "../providers/sourceMailboxes";
import { tableRecords } from "../providers/recordTable";
import { planUsers, type PlannedUser } from "../providers/staging/plan";
import type { Rec } from "../emulator/model";

const emulator = useEmulator({ mailboxes: 1500 });
const providerHost = useProviderHost(emulator);
let host: ProviderHost;
beforeAll(() => {
  host = providerHost();
});

const mailbox = (alias: string): Rec =>
  [...tenantOf(emulator(), "source").exchange.recipients.values()].map((s) => s.obj).find((o) => o.Alias === alias)!;
const exchangeCalls = (since: number) =>
  emulator()
    .requests.slice(since)
    .filter((r) => r.surface === "exchange");
const writes = (since: number) => exchangeCalls(since).filter((r) => r.cmdlet && !/^Get-/i.test(r.cmdlet));

const plan = (sources: string[]): PlannedUser[] => {
  const { users, failures } = planUsers(
    sources.map((source) => ({ source })),
    { "fabrikam.com": "contoso.com", "fabrikam.onmicrosoft.com": "contoso.com" },
  );
  expect(failures).toEqual([]);
  return users;
};
const generated = (n: number) =>
  Array.from({ length: n }, (_, i) => `user${String(i + 1).padStart(5, "0")}@fabrikam.com`);
const wave = (name: string, users: PlannedUser[], over: Record<string, unknown> = {}) =>
  declareResource(
    () =>
      new SourceMailboxes(`source-mailboxes/${name}`, {
        wave: name,
        users,
        targetDomains: ["contoso.com"],
        targetDeliveryDomain: "contoso.onmicrosoft.com",
        ...over,
      }),
  );
const failuresOf = async (engine: Engine, r: DeclaredResource): Promise<Record<string, string>> => {
  const err = await engine.preview(r).catch((e) => e);
  expect(err).toBeInstanceOf(CheckFailedError);
  return Object.fromEntries((err as CheckFailedError).failures.map((f) => [f.property, f.reason]));
};

describe("check refuses bad input before any call", () => {
  test("malformed addresses, duplicates, a domain the target does not own, an unknown input", async () => {
    const engine = new Engine(host);
    const mark = emulator().requests.length;
    const users = plan(["adelev@fabrikam.com", "alexw@fabrikam.com", "diegos@fabrikam.com"]);
    users[1] = { ...users[1], sourceAddress: "alexw.fabrikam.com" };
    users[2] = { ...users[2], targetPrimary: "adelev@contoso.com", userPrincipalName: "d@contoso.org" };
    const r = await wave("bad", users);
    const failures = await failuresOf(engine, { ...r, inputs: { ...r.inputs, extra: 1 } });
    expect(Object.keys(failures).sort()).toEqual([
      "extra",
      "users[1].sourceAddress",
      "users[2].targetPrimary",
      "users[2].userPrincipalName",
    ]);
    expect(failures["users[1].sourceAddress"]).toMatch(/"alexw.fabrikam.com" has no "@"/);
    expect(failures["users[2].targetPrimary"]).toMatch(/is also users\[0\].targetPrimary/);
    expect(failures["users[2].userPrincipalName"]).toMatch(/contoso.org, which is neither a target domain/);
    expect(emulator().requests.length).toBe(mark);
  });

  test("a wave over Microsoft's batch limit", async () => {
    const mark = emulator().requests.length;
    const users = Array.from({ length: 2001 }, (_, i) => ({
      sourceAddress: `u${i}@fabrikam.com`,
      targetPrimary: `u${i}@contoso.com`,
      userPrincipalName: `u${i}@contoso.com`,
      alias: `u${i}`,
    }));
    const failures = await failuresOf(new Engine(host), await wave("big", users));
    expect(failures).toEqual({
      users:
        "has 2001 users; Microsoft allows at most 2000 mailboxes per migration batch, so split the wave into waves of at most 2000 users, " +
        "or let this wave move in several batches of at most 2000 (split: true)",
    });
    expect(emulator().requests.length).toBe(mark);
  });

  test("maxUsers: 0 lets a wave move in several batches; another limit is enforced; a bad one is refused", async () => {
    const mark = emulator().requests.length;
    const users = Array.from({ length: 2001 }, (_, i) => ({
      sourceAddress: `u${i}@fabrikam.com`,
      targetPrimary: `u${i}@contoso.com`,
      userPrincipalName: `u${i}@contoso.com`,
      alias: `u${i}`,
    }));
    // Unknown target domains keep the check offline: only the size rule runs, and 2,001 users pass it.
    const step = await new Engine(host).preview(
      withUnknowns(await wave("big", users, { maxUsers: 0 }), "targetDomains"),
    );
    expect(step.op).toBe("create");
    expect(step.inputs.maxUsers).toBe(0);
    expect(await failuresOf(new Engine(host), await wave("small", users.slice(0, 4), { maxUsers: 3 }))).toEqual({
      users: "has 4 users, more than the 3 this wave allows (maxUsers)",
    });
    expect(await failuresOf(new Engine(host), await wave("bad", users.slice(0, 1), { maxUsers: -1 }))).toEqual({
      maxUsers: "must be a whole number of users (0 = no limit), not -1",
    });
    expect(emulator().requests.length).toBe(mark);
  });

  test("unknown values pass at preview and are not sent anywhere", async () => {
    const mark = emulator().requests.length;
    const step = await new Engine(host).preview(
      withUnknowns(await wave("w", plan(["adelev@fabrikam.com"])), "targetDomains"),
    );
    expect(step.op).toBe("create");
    expect(step.inputs.mailboxes).toBeUndefined();
    expect(emulator().requests.length).toBe(mark);
  });

  test("a target domain that is not an accepted domain of the target, named after one read", async () => {
    const users = plan(["adelev@fabrikam.com"]);
    const failures = await failuresOf(
      new Engine(host),
      await wave("w", users, { targetDomains: ["contoso.com", "contoso.org"], targetDeliveryDomain: "contoso.net" }),
    );
    expect(failures["targetDomains[1]"]).toMatch(
      /^contoso.org is not an accepted domain of the target tenant \(accepted: contoso.onmicrosoft.com, contoso.com, contoso.mail.onmicrosoft.com\)/,
    );
    expect(failures.targetDeliveryDomain).toMatch(
      /^contoso.net is not an accepted domain .*use the target's initial domain, e.g. contoso.onmicrosoft.com/,
    );
  });
});

describe("the seeded source", () => {
  const SEEDED = ["adelev", "alexw", "isaiahl", "gradya", "info", "reception", "diegos", "lidiah"].map(
    (a) => `${a}@fabrikam.com`,
  );
  let engine: Engine;
  let r: DeclaredResource;
  beforeAll(() => {
    engine = new Engine(host);
  });
  let found: SourceMailbox[];

  test("preview shows every value a MailUser will be stamped with, and blocked users by name, without a write", async () => {
    r = await wave("wave-1", plan(SEEDED));
    const mark = emulator().requests.length;
    const step = await engine.preview(r);
    expect(step.op).toBe("create");
    expect(writes(mark)).toEqual([]);
    found = tableRecords(step.inputs.mailboxes) as SourceMailbox[];
    expect(found.map((m) => m.sourceAddress)).toEqual(SEEDED);
    const adele = mailbox("adelev");
    expect(found[0]).toEqual({
      sourceAddress: "adelev@fabrikam.com",
      targetPrimary: "adelev@contoso.com",
      state: "ready",
      blockers: [],
      primarySmtpAddress: "adelev@fabrikam.com",
      name: "adelev",
      alias: "adelev",
      displayName: "Adele Vance",
      firstName: "Adele",
      lastName: "Vance",
      recipientTypeDetails: "UserMailbox",
      exchangeGuid: adele.ExchangeGuid,
      archiveGuid: adele.ArchiveGuid,
      x500Addresses: [`x500:${adele.LegacyExchangeDN}`],
    });
    expect(adele.ArchiveGuid).not.toBe("00000000-0000-0000-0000-000000000000");
    // No archive: an empty ArchiveGuid; earlier moves' x500s follow the LegacyExchangeDN, upper-case prefix made secondary.
    expect(found[1]).toMatchObject({
      archiveGuid: "",
      x500Addresses: [
        `x500:${mailbox("alexw").LegacyExchangeDN}`,
        ...(mailbox("alexw").EmailAddresses as string[]).filter((p) => /^x500:/i.test(p)),
      ],
    });
    const isaiah = (mailbox("isaiahl").EmailAddresses as string[]).filter((p) => /^x500:/i.test(p));
    expect(isaiah).toHaveLength(2);
    expect(found[2].x500Addresses).toEqual([
      `x500:${mailbox("isaiahl").LegacyExchangeDN}`,
      ...isaiah.map((p) => `x500:${p.slice(5)}`),
    ]);
    expect(found[3]).toMatchObject({ state: "ready", archiveGuid: mailbox("gradya").ArchiveGuid });
    expect(found[4]).toMatchObject({
      state: "ready",
      recipientTypeDetails: "SharedMailbox",
      archiveGuid: "",
      firstName: "",
      lastName: "",
      displayName: "Info",
    });
    expect(found[5]).toMatchObject({
      state: "ready",
      recipientTypeDetails: "SharedMailbox",
      archiveGuid: mailbox("reception").ArchiveGuid,
    });
    expect(found[6]).toMatchObject({
      state: "blocked",
      blockers: [expect.stringMatching(/^litigation hold is enabled/)],
    });
    expect(found[7]).toMatchObject({
      state: "blocked",
      blockers: [expect.stringMatching(/^in-place hold mbxa3c2f4b1e5d94f0c8a7b6e5d4c3b2a19:1 applies/)],
    });
    expect(step.inputs.summary).toEqual({ ready: 6, blocked: 2, moved: 0 });
    await host.waitForOutput(
      "Wave wave-1: diegos@fabrikam.com cannot move and will not be staged: litigation hold is enabled",
    );
    await host.waitForOutput("Wave wave-1: lidiah@fabrikam.com cannot move and will not be staged: in-place hold");
  });

  test("up records them without a write; a second preview, up and refresh change nothing", async () => {
    let mark = emulator().requests.length;
    const { op, state } = await engine.up(r);
    expect(op).toBe("create");
    expect(state.id).toBe("source-mailboxes/wave-1");
    expect(tableRecords(state.outputs.mailboxes)).toEqual(found);
    expect(state.outputs.summary).toEqual({ ready: 6, blocked: 2, moved: 0 });
    expect(writes(mark)).toEqual([]);
    mark = emulator().requests.length;
    expect((await engine.preview(r)).op).toBe("same");
    // The names come from the records: the recipients are not listed again for the unchanged wave (the
    // mailboxes are, two pages of the 1,500 generated ones and the seeded ones).
    const cmdlets = new Set(exchangeCalls(mark).map((c) => c.cmdlet));
    expect([...cmdlets].sort()).toEqual(["Get-AcceptedDomain", "Get-Mailbox"]);
    expect((await engine.up(r)).op).toBe("same");
    mark = emulator().requests.length;
    expect((await engine.refresh(r)).op).toBe("same");
    expect(emulator().requests.length).toBe(mark);
  });

  test("records written with the LegacyExchangeDN on its own as well (before it was dropped) compare the same", async () => {
    const outputs = (await engine.up(r)).state.outputs as Rec; // already up: same
    const older = (found as unknown as Rec[]).map((m) => ({
      ...m,
      legacyExchangeDN: String((m.x500Addresses as string[])[0] ?? "").replace(/^x500:/, ""),
    }));
    expect(older[0].legacyExchangeDN).toBe(mailbox("adelev").LegacyExchangeDN);
    const diff = (olds: Rec, news: Rec) =>
      sourceMailboxesImpl.diff!("source-mailboxes/wave-1", olds as never, news as never);
    expect(await diff({ ...outputs, mailboxes: older }, outputs)).toEqual({ changes: false });
    // A changed x500 address is still a change.
    const moved = older.map((m, i) => (i === 0 ? { ...m, x500Addresses: ["x500:/o=Other/cn=x"] } : m));
    expect(await diff({ ...outputs, mailboxes: moved }, outputs)).toMatchObject({
      changes: true,
      diffs: ["mailboxes"],
    });
  });

  test("a user whose move completed keeps every value; the stack shows no change", async () => {
    // What the move does to the source (migration-engine.ts complete()): the mailbox becomes a MailUser.
    const adele = mailbox("adelev");
    for (const k of ["Database", "ArchiveStatus", "ArchiveState", "ArchiveDatabase", "LitigationHoldDate"])
      delete adele[k];
    Object.assign(adele, {
      RecipientType: "MailUser",
      RecipientTypeDetails: "MailUser",
      ExternalEmailAddress: "SMTP:adelev@contoso.onmicrosoft.com",
      MailboxLocations: [],
      MailboxMoveStatus: "Completed",
      DisplayName: "Adele (moved)",
    });
    const step = await engine.preview(r);
    expect(step.op).toBe("same");
    const after = tableRecords(step.inputs.mailboxes) as SourceMailbox[];
    expect(after[0]).toEqual({ ...found[0], state: "moved" });
    expect(after.slice(1)).toEqual(found.slice(1));
    expect(step.inputs.summary).toEqual({ ready: 5, blocked: 2, moved: 1 });
    const mark = emulator().requests.length;
    expect((await engine.up(r)).op).toBe("same");
    expect(writes(mark)).toEqual([]);
  });

  test("a hold released and a user added: an update in place, still without a write", async () => {
    mailbox("lidiah").InPlaceHolds = [];
    r = await wave("wave-1", plan([...SEEDED, "meganb@fabrikam.com"]));
    const mark = emulator().requests.length;
    const { op, state, diff } = await engine.up(r);
    expect(op).toBe("update");
    expect(diff!.replaces).toEqual([]);
    expect((tableRecords(state.outputs.mailboxes) as SourceMailbox[])[7]).toMatchObject({
      state: "ready",
      blockers: [],
    });
    expect(state.outputs.summary).toEqual({ ready: 7, blocked: 1, moved: 1 });
    expect(writes(mark)).toEqual([]);
  });

  test("destroy calls nothing", async () => {
    const mark = emulator().requests.length;
    await engine.destroy(r);
    expect(emulator().requests.length).toBe(mark);
  });
});

describe("blocked users, reported by name", () => {
  test("not found, not a mailbox, already being moved, 13 auxiliary archives; two addresses of one mailbox is an error", async () => {
    const henrietta = mailbox("henriettam");
    henrietta.MailboxMoveStatus = "InProgress";
    henrietta.MailboxMoveBatchName = "Onboarding";
    const lee = mailbox("leeg");
    lee.MailboxLocations = [
      ...(lee.MailboxLocations as string[]),
      ...Array.from({ length: 13 }, (_, i) => `1;aux-${i};AuxArchive;fabrikam.onmicrosoft.com;x`),
    ];
    try {
      const engine = new Engine(host);
      const users = plan([
        "ghost@fabrikam.com",
        "allstaff@fabrikam.com",
        "henriettam@fabrikam.com",
        "leeg@fabrikam.com",
        "johannal@fabrikam.com",
      ]);
      const step = await engine.preview(await wave("blocked", users));
      const m = tableRecords(step.inputs.mailboxes) as SourceMailbox[];
      expect(m.map((x) => [x.sourceAddress, x.state, x.blockers])).toEqual([
        [
          "ghost@fabrikam.com",
          "blocked",
          ["not found: no recipient in the source tenant has the address ghost@fabrikam.com"],
        ],
        [
          "allstaff@fabrikam.com",
          "blocked",
          [expect.stringMatching(/^it is a MailUniversalDistributionGroup, not a user or shared mailbox/)],
        ],
        [
          "henriettam@fabrikam.com",
          "blocked",
          [
            "it is already being moved (MailboxMoveStatus InProgress, batch Onboarding); finish or remove that move first",
          ],
        ],
        ["leeg@fabrikam.com", "blocked", ["it has 13 auxiliary archives; at most 12 can move"]],
        ["johannal@fabrikam.com", "ready", []],
      ]);
      await host.waitForOutput(
        "Wave blocked: henriettam@fabrikam.com cannot move and will not be staged: it is already being moved",
      );
      await host.waitForOutput("Wave blocked: ghost@fabrikam.com cannot move and will not be staged: not found");

      const twice = [
        ...plan(["johannal@fabrikam.com"]),
        {
          sourceAddress: "johannal@fabrikam.onmicrosoft.com",
          targetPrimary: "jl@contoso.com",
          userPrincipalName: "jl@contoso.com",
          alias: "jl",
        },
      ];
      const failures = await failuresOf(engine, await wave("twice", twice));
      expect(failures).toEqual({
        "users[1].sourceAddress":
          "johannal@fabrikam.onmicrosoft.com is the same source mailbox (johannal) as users[0].sourceAddress johannal@fabrikam.com; list each mailbox once",
      });
    } finally {
      henrietta.MailboxMoveStatus = "None";
      henrietta.MailboxMoveBatchName = "";
      lee.MailboxLocations = (lee.MailboxLocations as string[]).filter((l) => !l.includes(";aux-"));
    }
  });
});

describe("scale", () => {
  test("reading the source costs a few paged calls, the same for 50 and 1,500 users", async () => {
    const counts: Record<number, string[]> = {};
    for (const n of [50, 500, 1500]) {
      const mark = emulator().requests.length;
      const started = Date.now();
      const step = await new Engine(host).preview(await wave(`scale-${n}`, plan(generated(n))));
      const calls = exchangeCalls(mark);
      counts[n] = calls.map((c) => c.cmdlet ?? "?");
      expect((tableRecords(step.inputs.mailboxes) as SourceMailbox[]).filter((m) => m.state === "ready")).toHaveLength(
        n,
      );
      expect(calls.every((c) => c.status === 200)).toBe(true);
      console.log(
        `source mailboxes: ${n} users read with ${calls.length} Exchange calls in ${Date.now() - started} ms (${counts[n].join(", ")})`,
      );
    }
    // 1,513 mailboxes and 1,514 recipients: two pages each, plus Get-AcceptedDomain on the target.
    expect(counts[1500]).toHaveLength(5);
    expect(counts[50]).toEqual(counts[1500]);
    expect(counts[500]).toEqual(counts[1500]);
  });
});

describe("split administration", () => {
  test("a stack that administers only the source reads the source and leaves the accepted domains to the target stack", async () => {
    const sourceOnly = Object.fromEntries(
      Object.entries(emulatorStackConfig(emulator())).filter(([k]) => !/^(xtmm:)?target/.test(k)),
    );
    await withProviderHost(emulator(), { stackConfig: sourceOnly }, async (own) => {
      const mark = emulator().requests.length;
      // contoso.org is no accepted domain of the target, but only the target stack can know that.
      const users = [
        {
          sourceAddress: "johannal@fabrikam.com",
          targetPrimary: "johannal@contoso.org",
          userPrincipalName: "johannal@contoso.org",
          alias: "johannal",
        },
      ];
      const step = await new Engine(own).preview(await wave("split", users, { targetDomains: ["contoso.org"] }));
      expect((tableRecords(step.inputs.mailboxes) as SourceMailbox[])[0]).toMatchObject({
        state: "ready",
        exchangeGuid: mailbox("johannal").ExchangeGuid,
      });
      expect([...new Set(exchangeCalls(mark).map((c) => c.cmdlet))]).toEqual(["Get-Mailbox", "Get-Recipient"]);
      await own.waitForOutput("the target tenant is not configured in this stack");
    });
  });
});
