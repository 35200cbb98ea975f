// The pure staging plan: domain mapping, defaults, offline wave validation, x500 derivation; and the pure
// assessment of source listings (blockers, moved users keeping their values). Table-driven.

import { addressProblem, aliasProblem } from "../domain/addresses";
import { BATCH_LIMIT, planUsers, validateWave, x500Addresses, type PlannedUser } from "../providers/staging/plan";
import {
  assess,
  blockersOf,
  indexByAddress,
  needsRecipients,
  type SourceMailbox,
} from "../providers/sourceMailboxes/assess";

const MAP = { "dev.contoso.com": "contoso.com", "fabrikam.com": "contoso.com" };
const OPTS = { targetDomains: ["contoso.com"], targetDeliveryDomain: "contoso.onmicrosoft.com" };
const user = (local: string, over: Partial<PlannedUser> = {}): PlannedUser => ({
  sourceAddress: `${local}@fabrikam.com`,
  targetPrimary: `${local}@contoso.com`,
  userPrincipalName: `${local}@contoso.com`,
  alias: local,
  ...over,
});

describe("planUsers", () => {
  test.each([
    [
      "maps the source domain and derives upn and alias",
      { source: "Adele.Vance@Dev.Contoso.com" },
      {
        sourceAddress: "adele.vance@dev.contoso.com",
        targetPrimary: "adele.vance@contoso.com",
        userPrincipalName: "adele.vance@contoso.com",
        alias: "adele.vance",
      },
    ],
    [
      "keeps a given target primary; upn and alias follow it",
      { source: "a@fabrikam.com", targetPrimary: "Adele@Contoso.com" },
      {
        sourceAddress: "a@fabrikam.com",
        targetPrimary: "adele@contoso.com",
        userPrincipalName: "adele@contoso.com",
        alias: "adele",
      },
    ],
    [
      "keeps given upn, alias and names",
      {
        source: "a@fabrikam.com",
        upn: "A.V@contoso.com",
        alias: "AVance",
        displayName: " Adele V ",
        firstName: "Adele",
        lastName: "Vance",
      },
      {
        sourceAddress: "a@fabrikam.com",
        targetPrimary: "a@contoso.com",
        userPrincipalName: "a.v@contoso.com",
        alias: "AVance",
        displayName: "Adele V",
        firstName: "Adele",
        lastName: "Vance",
      },
    ],
    [
      "blank optional fields fall back to defaults",
      { source: "b@fabrikam.com", targetPrimary: " ", alias: "" },
      {
        sourceAddress: "b@fabrikam.com",
        targetPrimary: "b@contoso.com",
        userPrincipalName: "b@contoso.com",
        alias: "b",
      },
    ],
  ])("%s", (_name, declared, expected) => {
    const { users, failures } = planUsers([declared], MAP);
    expect(failures).toEqual([]);
    expect(users).toEqual([expected]);
  });

  test.each([
    ["no source", [{ source: "" }], "users[0].source", /is missing; give the source mailbox's SMTP address/],
    [
      "an unmapped domain",
      [{ source: "a@fabrikam.com" }, { source: "x@elsewhere.org" }],
      "users[1].targetPrimary",
      /domainMap has no entry for the source domain "elsewhere.org" of x@elsewhere.org \(mapped: dev.contoso.com, fabrikam.com\); give targetPrimary or add "elsewhere.org: <target domain>" to domainMap/,
    ],
  ])("%s fails with the property and the fix", (_name, declared, property, reason) => {
    const { failures } = planUsers(declared, MAP);
    expect(failures).toHaveLength(1);
    expect(failures[0].property).toBe(property);
    expect(failures[0].reason).toMatch(reason);
  });

  test("an empty map names itself", () => {
    expect(planUsers([{ source: "a@fabrikam.com" }], {}).failures[0].reason).toMatch(/\(domainMap is empty\)/);
  });
});

describe("address syntax", () => {
  test.each([
    ["adele@contoso.com", undefined],
    ["adele.vance+x@mail.contoso.co.uk", undefined],
    ["adele", /has no "@"/],
    ["@contoso.com", /invalid part before "@"/],
    ["a..b@contoso.com", /invalid part before "@"/],
    [".a@contoso.com", /invalid part before "@"/],
    ["a b@contoso.com", /invalid part before "@"/],
    ["a@contoso", /is not a domain name/],
    ["a@-contoso.com", /is not a domain name/],
    ["a@b@contoso.com", /invalid part before "@"/],
    ["", /is empty/],
  ])("%s", (value, problem) => {
    const why = addressProblem(value);
    if (problem === undefined) expect(why).toBeUndefined();
    else expect(why).toMatch(problem);
  });

  test.each([
    ["jdoe", true],
    ["j.doe", true],
    ["j..doe", false],
    ["j doe", false],
    ["x".repeat(65), false],
  ])("alias %s", (alias, ok) => {
    expect(aliasProblem(alias) === undefined).toBe(ok);
  });
});

describe("validateWave", () => {
  test("a good wave has no failures", () => {
    expect(validateWave([user("a"), user("b", { userPrincipalName: "b@contoso.onmicrosoft.com" })], OPTS)).toEqual([]);
  });

  test.each([
    ["malformed source", [user("a", { sourceAddress: "a.fabrikam.com" })], "users[0].sourceAddress", /has no "@"/],
    [
      "malformed target primary",
      [user("a", { targetPrimary: "a@contoso" })],
      "users[0].targetPrimary",
      /not a domain name/,
    ],
    [
      "malformed upn",
      [user("a", { userPrincipalName: "a@@contoso.com" })],
      "users[0].userPrincipalName",
      /invalid part before "@"/,
    ],
    ["bad alias", [user("a", { alias: "a b" })], "users[0].alias", /is not an Exchange alias/],
    [
      "target domain not owned",
      [user("a", { targetPrimary: "a@fabrikam.com" })],
      "users[0].targetPrimary",
      /a@fabrikam.com is in fabrikam.com, which is not a target domain \(targetDomains: contoso.com\); use a target domain or add it to targetDomains/,
    ],
    [
      "upn domain not owned",
      [user("a", { userPrincipalName: "a@other.com" })],
      "users[0].userPrincipalName",
      /neither a target domain \(contoso.com\) nor the delivery domain contoso.onmicrosoft.com/,
    ],
    [
      "source in a target domain",
      [user("a", { sourceAddress: "a@contoso.com" })],
      "users[0].sourceAddress",
      /source and target domains to differ/,
    ],
    [
      "duplicate source",
      [user("a"), user("b", { sourceAddress: "A@fabrikam.com" })],
      "users[1].sourceAddress",
      /"A@fabrikam.com" is also users\[0\].sourceAddress; each source mailbox may appear once in a wave/,
    ],
    [
      "duplicate target primary",
      [user("a"), user("b", { targetPrimary: "a@contoso.com" })],
      "users[1].targetPrimary",
      /is also users\[0\].targetPrimary; each targetPrimary must be unique/,
    ],
    [
      "duplicate upn",
      [user("a"), user("b", { userPrincipalName: "a@contoso.com" })],
      "users[1].userPrincipalName",
      /is also users\[0\].userPrincipalName/,
    ],
    [
      "duplicate alias (case-insensitive)",
      [user("a"), user("b", { alias: "A" })],
      "users[1].alias",
      /is also users\[0\].alias/,
    ],
  ])("%s", (_name, users, property, reason) => {
    const failures = validateWave(users, OPTS);
    expect(failures.map((f) => f.property)).toEqual([property]);
    expect(failures[0].reason).toMatch(reason);
  });

  test("options are checked too", () => {
    const failures = validateWave([user("a")], { targetDomains: ["contoso"], targetDeliveryDomain: "" });
    expect(failures.map((f) => f.property)).toEqual(["targetDomains[0]", "targetDeliveryDomain"]);
    expect(
      validateWave([user("a")], { targetDomains: [], targetDeliveryDomain: "contoso.onmicrosoft.com" }).map(
        (f) => f.property,
      ),
    ).toEqual(["targetDomains"]);
  });

  test(`more than ${BATCH_LIMIT} users is refused; ${BATCH_LIMIT} is fine`, () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => user(`u${i}`));
    expect(validateWave(many(BATCH_LIMIT), OPTS)).toEqual([]);
    const failures = validateWave(many(BATCH_LIMIT + 1), OPTS);
    expect(failures).toEqual([
      {
        property: "users",
        reason:
          `has ${BATCH_LIMIT + 1} users; Microsoft allows at most ${BATCH_LIMIT} mailboxes per migration batch, so split the wave into waves of at most ` +
          `${BATCH_LIMIT} users, or let this wave move in several batches of at most ${BATCH_LIMIT} (split: true)`,
      },
    ]);
  });

  test("maxUsers: 0 is no limit (a wave moved in several batches); another number is its limit", () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => user(`u${i}`));
    expect(validateWave(many(BATCH_LIMIT + 100), { ...OPTS, maxUsers: 0 })).toEqual([]);
    expect(validateWave(many(3), { ...OPTS, maxUsers: 2 })).toEqual([
      { property: "users", reason: "has 3 users, more than the 2 this wave allows (maxUsers)" },
    ]);
  });
});

describe("x500Addresses", () => {
  const DN = "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=abc-adele";
  test.each([
    ["LegacyExchangeDN alone", DN, ["SMTP:a@fabrikam.com", "smtp:a@fabrikam.onmicrosoft.com"], [`x500:${DN}`]],
    [
      "DN first, then every x500, prefix made secondary",
      DN,
      ["X500:/o=First Organization/cn=a", "SMTP:a@fabrikam.com", "x500:/o=Old/cn=a"],
      [`x500:${DN}`, "x500:/o=First Organization/cn=a", "x500:/o=Old/cn=a"],
    ],
    [
      "duplicates of the DN and of each other dropped",
      DN,
      [`x500:${DN.toUpperCase()}`, "x500:/o=Old/cn=a", "X500:/o=old/cn=A"],
      [`x500:${DN}`, "x500:/o=Old/cn=a"],
    ],
    ["no DN", "", ["x500:/o=Old/cn=a"], ["x500:/o=Old/cn=a"]],
  ])("%s", (_name, dn, proxies, expected) => {
    expect(x500Addresses(dn, proxies)).toEqual(expected);
  });
});

describe("blockers and assessment", () => {
  const mbx = (over: Record<string, unknown> = {}) => ({
    Name: "adelev",
    Alias: "adelev",
    DisplayName: "Adele Vance",
    PrimarySmtpAddress: "adelev@fabrikam.com",
    EmailAddresses: ["SMTP:adelev@fabrikam.com", "smtp:adelev@fabrikam.onmicrosoft.com"],
    RecipientTypeDetails: "UserMailbox",
    ExchangeGuid: "11111111-1111-4111-8111-111111111111",
    ArchiveGuid: "00000000-0000-0000-0000-000000000000",
    LegacyExchangeDN: "/o=ExchangeLabs/cn=adelev",
    MailboxLocations: [],
    LitigationHoldEnabled: false,
    InPlaceHolds: [],
    MailboxMoveStatus: "None",
    ...over,
  });

  test.each([
    ["a plain mailbox", {}, []],
    ["a shared mailbox", { RecipientTypeDetails: "SharedMailbox" }, []],
    ["an org-policy exclusion is not a hold", { InPlaceHolds: ["-mbxabc:1"] }, []],
    ["a finished earlier move", { MailboxMoveStatus: "Completed" }, []],
    ["litigation hold", { LitigationHoldEnabled: true }, [/litigation hold is enabled/]],
    ["in-place hold", { InPlaceHolds: ["mbxa3c2:1"] }, [/in-place hold mbxa3c2:1 applies/]],
    ["12 aux archives", { MailboxLocations: Array(12).fill("1;g;AuxArchive;d;g") }, []],
    [
      "13 aux archives",
      { MailboxLocations: Array(13).fill("1;g;AuxArchive;d;g") },
      [/it has 13 auxiliary archives; at most 12 can move/],
    ],
    [
      "being moved",
      { MailboxMoveStatus: "InProgress", MailboxMoveBatchName: "b1" },
      [/already being moved \(MailboxMoveStatus InProgress, batch b1\)/],
    ],
    ["a room", { RecipientTypeDetails: "RoomMailbox" }, [/it is a RoomMailbox, not a user or shared mailbox/]],
    ["two at once", { LitigationHoldEnabled: true, DelayHoldApplied: true }, [/litigation hold/, /delay hold/]],
  ])("%s", (_name, over, expected) => {
    const got = blockersOf(mbx(over));
    expect(got).toHaveLength(expected.length);
    expected.forEach((re, i) => expect(got[i]).toMatch(re));
  });

  test("a user moved since the last check keeps its recorded values; one never recorded reads them from the MailUser", () => {
    const [a, b] = [user("adelev"), user("alexw")];
    const before = assess(
      [a],
      { mailboxes: [mbx()], recipients: [{ ...mbx(), FirstName: "Adele", LastName: "Vance" }] },
      [],
    ).mailboxes;
    expect(before[0]).toMatchObject({
      state: "ready",
      exchangeGuid: "11111111-1111-4111-8111-111111111111",
      firstName: "Adele",
      x500Addresses: ["x500:/o=ExchangeLabs/cn=adelev"],
    });
    const movedA = { ...mbx(), RecipientTypeDetails: "MailUser", LegacyExchangeDN: undefined, DisplayName: "changed" };
    const movedB = {
      ...mbx({ Name: "alexw", PrimarySmtpAddress: "alexw@fabrikam.com", EmailAddresses: ["SMTP:alexw@fabrikam.com"] }),
      RecipientTypeDetails: "MailUser",
    };
    const after = assess([a, b], { mailboxes: [], recipients: [movedA, movedB] }, before as SourceMailbox[]).mailboxes;
    expect(after[0]).toEqual({ ...before[0], state: "moved" });
    expect(after[1]).toMatchObject({ state: "moved", recipientTypeDetails: "MailUser", blockers: [] });
  });

  test("a wave read before needs no recipient listing for names its records still give; a rename or another mailbox does", () => {
    const a = user("adelev");
    const index = indexByAddress([mbx()]);
    expect(needsRecipients([a], index, [])).toBe(true);
    const first = assess(
      [a],
      { mailboxes: [mbx()], recipients: [{ ...mbx(), FirstName: "Adele", LastName: "Vance" }] },
      [],
    ).mailboxes as SourceMailbox[];
    expect(needsRecipients([a], index, first)).toBe(false);
    // Without the listing, the names are the record's.
    const again = assess([a], { mailboxes: [mbx()] }, first).mailboxes;
    expect(again).toEqual(first);
    // Renamed in the source (the display name shows it), another mailbox behind the address, or a display name
    // the plan sets (the record's is then not the source's): listed again.
    expect(needsRecipients([a], indexByAddress([mbx({ DisplayName: "Adele Smith" })]), first)).toBe(true);
    expect(
      needsRecipients([a], indexByAddress([mbx({ ExchangeGuid: "22222222-2222-4222-8222-222222222222" })]), first),
    ).toBe(true);
    expect(needsRecipients([user("adelev", { displayName: "Adele" })], index, first)).toBe(true);
    // A user new to the wave needs it, and then every user takes the fresh names.
    const b = user("alexw");
    expect(needsRecipients([a, b], index, first)).toBe(true);
    const fresh = assess(
      [a],
      { mailboxes: [mbx()], recipients: [{ ...mbx(), FirstName: "Adele", LastName: "Vance-Smith" }] },
      first,
    ).mailboxes;
    expect(fresh[0].lastName).toBe("Vance-Smith");
  });

  test("an address no recipient has, and two addresses of one mailbox", () => {
    const users = [user("adelev"), user("ghost"), user("a2", { sourceAddress: "adelev@fabrikam.onmicrosoft.com" })];
    const { mailboxes, sameMailbox } = assess(users, { mailboxes: [mbx()], recipients: [] }, []);
    expect(mailboxes[1]).toMatchObject({
      state: "blocked",
      blockers: ["not found: no recipient in the source tenant has the address ghost@fabrikam.com"],
      exchangeGuid: "",
    });
    expect(sameMailbox).toEqual([{ index: 2, first: 0, name: "adelev" }]);
  });
});
