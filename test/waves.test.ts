// Reading the migration waves from the stack configuration and CSV files (config/waves.ts): the CSV
// reader on the shapes spreadsheets write, defaults from the domain map and the target domain, and every
// mistake refused before any resource exists, named by stack key path or by CSV file and line, with the fix.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parseCsv, readStaging } from "../config/waves";

const readWaves = (config: pulumi.Config, dir: string) => readStaging(config, dir).waves;
import { readMoveConfig } from "../config/moveConfig";
import { StackConfigError } from "../config/stackConfig";

const FIXTURES = path.join(__dirname, "fixtures");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "xtmm-waves-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A pulumi.Config over exactly these stack keys (structured values as the CLI hands them over: JSON text). */
function config(keys: Record<string, unknown>): pulumi.Config {
  const all: Record<string, string> = { "xtmm:targetDomain": "contoso.onmicrosoft.com" };
  for (const [k, v] of Object.entries(keys)) {
    if (v === undefined) delete all[`xtmm:${k}`];
    else all[`xtmm:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  }
  pulumi.runtime.setAllConfig(all);
  return new pulumi.Config("xtmm");
}

function csv(name: string, text: string): string {
  fs.writeFileSync(path.join(tmp, name), text);
  return name;
}

/** The StackConfigError's message (the test fails when no such error is thrown). */
function problem(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(StackConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a StackConfigError");
}

const DOMAINS = {
  targetDomains: ["contoso.com", "contoso.onmicrosoft.com"],
  domainMap: { "fabrikam.com": "contoso.com" },
};

describe("parseCsv", () => {
  test.each([
    [
      "LF",
      "a,b\n1,2\n",
      [
        ["a", "b"],
        ["1", "2"],
      ],
    ],
    [
      "CRLF, no final break",
      "a,b\r\n1,2",
      [
        ["a", "b"],
        ["1", "2"],
      ],
    ],
    [
      "byte-order mark",
      "\ufeffa,b\r\n1,2\r\n",
      [
        ["a", "b"],
        ["1", "2"],
      ],
    ],
    [
      "quoted comma and doubled quote",
      'a,b\n"x, ""y""",z\n',
      [
        ["a", "b"],
        ['x, "y"', "z"],
      ],
    ],
    [
      "empty fields kept",
      "a,b,c\n,,\n1,,3\n",
      [
        ["a", "b", "c"],
        ["", "", ""],
        ["1", "", "3"],
      ],
    ],
    ["blank lines skipped", "a\n\n\r\n1\n\n", [["a"], ["1"]]],
    ["unquoted values trimmed", " a , b \n", [["a", "b"]]],
    ["lone CR line ends", "a\r1\r", [["a"], ["1"]]],
  ])("%s", (_, text, fields) => {
    expect(parseCsv(text).map((r) => r.fields)).toEqual(fields);
  });

  test("records keep the line they start on, across quoted line breaks", () => {
    const records = parseCsv('h1,h2\r\n"two\r\nlines",x\r\n\r\nlast,y\r\n');
    expect(records.map((r) => [r.line, r.fields])).toEqual([
      [1, ["h1", "h2"]],
      [2, ["two\r\nlines", "x"]],
      [5, ["last", "y"]],
    ]);
  });

  test.each([
    ['a\n"open,b\n', /line 2: a quoted field is never closed/],
    ['a\n"x"y,b\n', /line 2: unexpected "y" after a closing quote/],
    ['a\nx"y,b\n', /line 2: a double quote inside an unquoted field/],
  ])("refuses %j naming the line", (text, message) => {
    expect(() => parseCsv(text)).toThrow(message);
  });
});

describe("readStaging", () => {
  test("no waves: nothing staged; defaults from targetDomain", () => {
    expect(readStaging(config({}), tmp)).toEqual({
      waves: [],
      targetDomains: ["contoso.onmicrosoft.com"],
      targetDeliveryDomain: "contoso.onmicrosoft.com",
      purgeStagedUsersOnDestroy: false,
    });
  });

  test("users from the stack and from a CSV (BOM, CRLF, quotes), filled from the domain map", () => {
    const c = config({
      ...DOMAINS,
      purgeStagedUsersOnDestroy: "true",
      waves: {
        "wave-1": { csv: "waves/wave-1.csv" },
        "wave-2": {
          users: [
            "LeeG@Fabrikam.com",
            { source: "meganb@fabrikam.com", targetPrimary: "megan@contoso.com", displayName: "Megan B." },
          ],
        },
      },
    });
    const s = readStaging(c, FIXTURES);
    expect(s.purgeStagedUsersOnDestroy).toBe(true);
    expect(s.targetDeliveryDomain).toBe("contoso.onmicrosoft.com");
    expect(s.waves.map((w) => w.name)).toEqual(["wave-1", "wave-2"]);
    expect(s.waves[0].users).toEqual([
      {
        sourceAddress: "adelev@fabrikam.com",
        targetPrimary: "adelev@contoso.com",
        userPrincipalName: "adelev@contoso.com",
        alias: "adelev",
      },
      {
        sourceAddress: "alexw@fabrikam.com",
        targetPrimary: "alex.wilber@contoso.com",
        userPrincipalName: "alex.wilber@contoso.com",
        alias: "awilber",
        displayName: 'Wilber, Alex ("AW")',
        firstName: "Alex",
        lastName: "Wilber",
      },
      {
        sourceAddress: "henriettam@fabrikam.com",
        targetPrimary: "henriettam@contoso.com",
        userPrincipalName: "henrietta@contoso.onmicrosoft.com",
        alias: "henriettam",
      },
      {
        sourceAddress: "info@fabrikam.com",
        targetPrimary: "info@contoso.com",
        userPrincipalName: "info@contoso.com",
        alias: "info",
      },
    ]);
    expect(s.waves[1].users).toEqual([
      {
        sourceAddress: "leeg@fabrikam.com",
        targetPrimary: "leeg@contoso.com",
        userPrincipalName: "leeg@contoso.com",
        alias: "leeg",
      },
      {
        sourceAddress: "meganb@fabrikam.com",
        targetPrimary: "megan@contoso.com",
        userPrincipalName: "megan@contoso.com",
        alias: "megan",
        displayName: "Megan B.",
      },
    ]);
    expect(readWaves(c, FIXTURES)).toEqual(s.waves);
  });

  test("targetDeliveryDomain is configurable", () => {
    const s = readStaging(config({ ...DOMAINS, targetDeliveryDomain: "contoso.mail.onmicrosoft.com" }), tmp);
    expect(s.targetDeliveryDomain).toBe("contoso.mail.onmicrosoft.com");
  });

  test("a user without a target and without a domain map entry: the key path and the fix", () => {
    const msg = problem(() =>
      readWaves(
        config({ targetDomains: ["contoso.com"], waves: { w1: { users: ["a@fabrikam.com", "b@other.org"] } } }),
        tmp,
      ),
    );
    expect(msg).toMatch(
      /- xtmm:waves\.w1\.users\[0\]\.targetPrimary: is not given and domainMap has no entry for the source domain "fabrikam\.com"/,
    );
    expect(msg).toMatch(/xtmm:waves\.w1\.users\[1\]\.targetPrimary: .*add "other\.org: <target domain>" to domainMap/);
  });

  test("malformed addresses, a foreign target domain, duplicates: each named, all at once", () => {
    const msg = problem(() =>
      readWaves(
        config({
          ...DOMAINS,
          waves: {
            w1: {
              users: [
                "adelev@fabrikam.com",
                { source: "not-an-address", targetPrimary: "x@contoso.com" },
                { source: "alexw@fabrikam.com", targetPrimary: "alexw@elsewhere.com" },
                { source: "ADELEV@fabrikam.com", targetPrimary: "adele2@contoso.com" },
              ],
            },
          },
        }),
        tmp,
      ),
    );
    expect(msg).toMatch(/The migration waves have \d+ problems/);
    expect(msg).toMatch(/xtmm:waves\.w1\.users\[1\]\.source: "not-an-address" has no "@"/);
    expect(msg).toMatch(
      /xtmm:waves\.w1\.users\[2\]\.targetPrimary: alexw@elsewhere\.com is in elsewhere\.com, which is not a target domain/,
    );
    expect(msg).toMatch(
      /xtmm:waves\.w1\.users\[3\]\.source: "adelev@fabrikam\.com" is also xtmm:waves\.w1\.users\[0\]\.source/,
    );
  });

  test("CSV problems are named by file and line", () => {
    const msg = problem(() =>
      readWaves(config({ ...DOMAINS, waves: { w1: { csv: "waves/duplicate-alias.csv" } } }), FIXTURES),
    );
    expect(msg).toBe(
      'waves/duplicate-alias.csv line 3 (alias): "leeg" is also waves/duplicate-alias.csv line 2 (alias); each alias must be unique in a wave, so remove or change one',
    );
    const bad = csv("bad.csv", 'source\n\nok@fabrikam.com\n"broken@fabrikam.com\n');
    expect(problem(() => readWaves(config({ ...DOMAINS, waves: { w1: { csv: bad } } }), tmp))).toMatch(
      /^bad\.csv line 4: a quoted field is never closed/,
    );
    const header = csv("header.csv", "mail,alias\nx@fabrikam.com,x\n");
    expect(problem(() => readWaves(config({ ...DOMAINS, waves: { w1: { csv: header } } }), tmp))).toMatch(
      /^header\.csv line 1: the header row must name the columns, source,targetPrimary,upn,.*; unknown column\(s\): mail/,
    );
    const wide = csv("wide.csv", "source,alias\nx@fabrikam.com,x,extra\ny@fabrikam.com,y,,\n");
    expect(problem(() => readWaves(config({ ...DOMAINS, waves: { w1: { csv: wide } } }), tmp))).toBe(
      "wide.csv line 2: 3 fields but the header names 2; quote fields that contain commas",
    );
  });

  test("a missing CSV file names the key, the resolved path and where paths start", () => {
    const msg = problem(() => readWaves(config({ ...DOMAINS, waves: { w1: { csv: "nope.csv" } } }), tmp));
    expect(msg).toBe(
      `xtmm:waves.w1.csv: ${path.join(tmp, "nope.csv")} does not exist; give a path relative to the project directory (${tmp})`,
    );
  });

  test("a user in two waves is refused (one tenant, one resource per user)", () => {
    const msg = problem(() =>
      readWaves(
        config({
          ...DOMAINS,
          waves: { w1: { users: ["leeg@fabrikam.com"] }, w2: { users: [{ source: "x@fabrikam.com", alias: "leeg" }] } },
        }),
        tmp,
      ),
    );
    expect(msg).toBe(
      'xtmm:waves.w2.users[0].alias: "leeg" is also declared in xtmm:waves.w1.users[0].alias; a user belongs to one wave, so remove one of them',
    );
  });

  test("more than 2,000 users in a wave: refused by default, naming the key and both ways out; split: true allows it", () => {
    const users = Array.from({ length: 2001 }, (_, i) => `user${i}@fabrikam.com`);
    expect(problem(() => readWaves(config({ ...DOMAINS, waves: { big: { users } } }), tmp))).toBe(
      "xtmm:waves.big: has 2001 users; Microsoft allows at most 2000 mailboxes per migration batch. Split it into waves of at most 2000, " +
        "or let it move in several batches: pulumi config set --path 'waves.big.split' true",
    );
    const [big] = readWaves(
      config({
        ...DOMAINS,
        waves: { big: { users: [...users, ...users.map((u) => u.replace("user", "more"))], split: true } },
      }),
      tmp,
    );
    expect([big.users.length, big.split, big.batch]).toEqual([4002, true, undefined]);
  });

  test("a wave's batch: absent means none; {} is created but not started; start, complete and completeAfter as declared", () => {
    const waves = readWaves(
      config({
        ...DOMAINS,
        waves: {
          none: { users: ["a@fabrikam.com"] },
          made: { users: ["b@fabrikam.com"], batch: {} },
          done: { users: ["c@fabrikam.com"], batch: { start: true, complete: true } },
          later: {
            users: ["d@fabrikam.com"],
            batch: { start: true, completeAfter: "2026-12-05T18:00:00+01:00" },
            split: false,
          },
        },
      }),
      tmp,
    );
    expect(waves.map((w) => [w.name, w.batch ?? null, w.split ?? false])).toEqual([
      ["none", null, false],
      ["made", { start: false, complete: false, completeAfter: "" }, false],
      ["done", { start: true, complete: true, completeAfter: "" }, false],
      ["later", { start: true, complete: false, completeAfter: "2026-12-05T18:00:00+01:00" }, false],
    ]);
  });

  test("batch and split mistakes are named by key, all at once", () => {
    const msg = problem(() =>
      readWaves(
        config({
          ...DOMAINS,
          waves: {
            w1: { users: ["a@fabrikam.com"], batch: { complete: true, completeAfter: "friday", go: 1 } },
            w2: { users: ["b@fabrikam.com"], batch: true, split: "yes" },
            w3: { users: ["c@fabrikam.com"], batch: { start: "true" } },
          },
        }),
        tmp,
      ),
    );
    expect(msg).toMatch(/^The migration waves have 6 problems:/);
    expect(msg).toContain("xtmm:waves.w1.batch.go is not a batch setting (start, complete, completeAfter); remove it");
    expect(msg).toContain(
      "xtmm:waves.w1.batch.completeAfter must be an ISO date-time with a zone, e.g. 2026-12-05T18:00:00Z",
    );
    expect(msg).toContain("xtmm:waves.w1.batch.complete needs xtmm:waves.w1.batch.start: true");
    expect(msg).toContain("xtmm:waves.w2.split must be true or false");
    expect(msg).toContain("xtmm:waves.w2.batch must be an object { start?: true|false");
    expect(msg).toContain('xtmm:waves.w3.batch.start must be true or false (a YAML boolean, not "true")');
  });

  test.each([
    [{ waves: { "bad name!": { users: [] } } }, /xtmm:waves\.bad name!: the wave name must be letters/],
    [{ waves: { w1: { user: ["a@fabrikam.com"] } } }, /xtmm:waves\.w1 must be \{ users: \[\.\.\.\] \} and\/or \{ csv:/],
    [
      { waves: { w1: { users: [{ source: "a@fabrikam.com", mail: "x" }] } } },
      /xtmm:waves\.w1\.users\[0\]\.mail is not a user field/,
    ],
    [
      { waves: { w1: { users: [{ source: "a@fabrikam.com", alias: 7 }] } } },
      /xtmm:waves\.w1\.users\[0\]\.alias must be a string/,
    ],
    [{ waves: "wave-1" }, /xtmm:waves is not structured configuration/],
    [{ waves: [] }, /xtmm:waves must be an object of waves/],
    [
      { domainMap: { "fabrikam.com": "not a domain" } },
      /xtmm:domainMap\["fabrikam\.com"\]: "not a domain" is not a domain name/,
    ],
    [{ targetDomains: ["contoso.com", 5] }, /xtmm:targetDomains must be a list of domain names/],
    [{ targetDomains: ["contoso..com"] }, /xtmm:targetDomains\[0\]: "contoso\.\.com" is not a domain name/],
    [{ targetDeliveryDomain: "nope" }, /xtmm:targetDeliveryDomain: "nope" is not a domain name/],
    [
      { targetDomain: undefined, targetDomains: undefined },
      /xtmm:targetDomains: is empty; list the target tenant's accepted domains/,
    ],
    [
      { targetDomain: undefined },
      /xtmm:targetDeliveryDomain is not set and neither is xtmm:targetDomain, its default; set the target tenant's initial domain/,
    ],
    [{ purgeStagedUsersOnDestroy: "yes" }, /xtmm:purgeStagedUsersOnDestroy must be true or false/],
  ])("refuses %j", (keys, message) => {
    expect(problem(() => readStaging(config({ ...DOMAINS, ...keys }), tmp))).toMatch(message);
  });
});

describe("readMoveConfig", () => {
  test("defaults: no licence assigned, completed batches kept, reports under readiness/", () => {
    expect(readMoveConfig(config({}))).toEqual({
      licences: { assign: "none" },
      removeCompletedBatchesOnDestroy: false,
      readinessReportDir: "readiness",
    });
  });

  test("licences on either side, with a usage location; the flag and the report directory", () => {
    const s = readMoveConfig(
      config({
        licences: { assign: "target", usageLocation: "us" },
        removeCompletedBatchesOnDestroy: "true",
        readinessReportDir: "/tmp/reports",
      }),
    );
    expect(s).toEqual({
      licences: { assign: "target", usageLocation: "US" },
      removeCompletedBatchesOnDestroy: true,
      readinessReportDir: "/tmp/reports",
    });
    expect(readMoveConfig(config({ licences: { assign: "source" } })).licences).toEqual({ assign: "source" });
  });

  test.each([
    [
      { licences: { assign: "both" } },
      /^xtmm:licences\.assign: "both" is not none, source or target\..*pulumi config set --path 'licences\.assign' target$/,
    ],
    [
      { licences: { assign: "target", usageLocation: "USA" } },
      /^xtmm:licences\.usageLocation: must be a two-letter country code/,
    ],
    [
      { licences: { assign: "target", sku: "x" } },
      /^xtmm:licences\.sku is not a licence setting \(assign, usageLocation\); remove it$/,
    ],
    [{ licences: "target" }, /^xtmm:licences is not structured configuration/],
    [{ licences: ["target"] }, /^xtmm:licences must be an object \{ assign: none \| source \| target/],
    [{ removeCompletedBatchesOnDestroy: "later" }, /^xtmm:removeCompletedBatchesOnDestroy must be true or false/],
  ])("refuses %j", (keys, message) => {
    expect(problem(() => readMoveConfig(config(keys)))).toMatch(message);
  });
});
