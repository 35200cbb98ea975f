// The order Microsoft's process needs, as the resource graph the program hands the engine: the dependencies
// the SDK sends with each registration (explicit dependsOn plus every resource an input came from). The engine
// creates along these edges and destroys against them, so each edge below is an ordering guarantee for `up`
// and, reversed, for `destroy`.

import { APP_ID, baseConfig, CONSENTED_AT, runIndex, type ProgramRun } from "./support/programMocks";

const STAGING = {
  "xtmm:waves": {
    "wave-1": { users: ["alexw@fabrikam.com", "diegos@fabrikam.com"], batch: { start: true } },
    "wave-2": { users: [{ source: "meganb@fabrikam.com", targetPrimary: "megan.bowen@contoso.com" }] },
  },
  "xtmm:domainMap": { "fabrikam.com": "contoso.com" },
  "xtmm:targetDomains": ["contoso.com"],
  "xtmm:licences": { assign: "target", usageLocation: "US" },
};
const MAILUSERS = ["mailuser/alexw@contoso.com", "mailuser/diegos@contoso.com", "mailuser/megan.bowen@contoso.com"];

let run: ProgramRun;
beforeAll(async () => {
  run = await runIndex(baseConfig(STAGING));
  if (run.error) throw run.error;
});

test("organization customization comes before any relationship and any customization cmdlet", () => {
  expect(run.dependsOn("relationship/target", "organization-customization/target")).toBe(true);
  expect(run.dependsOn("relationship/source", "organization-customization/source")).toBe(true);
  expect(run.dependsOn("scoping-group", "organization-customization/source")).toBe(true);
  expect(run.dependsOn("migration-endpoint", "organization-customization/target")).toBe(true);
});

test("app -> consent in both tenants -> migration endpoint -> retirement of old secrets", () => {
  expect(run.dependsOn("consent/target", "migration-app")).toBe(true);
  expect(run.dependsOn("consent/source", "migration-app")).toBe(true);
  expect(run.dependsOn("migration-endpoint", "consent/target")).toBe(true);
  // The edge that points back across the tenant components: the endpoint waits on the source consent.
  expect(run.dependsOn("migration-endpoint", "consent/source")).toBe(true);
  expect(run.byName("migration-endpoint").inputs.consentedAt).toBe(CONSENTED_AT);
  expect(run.dependsOn("migration-app/secret-retirement", "migration-endpoint")).toBe(true);
  expect(run.byName("migration-app/secret-retirement").inputs).toMatchObject({
    keepSecretKeyId: "88888888-8888-4888-8888-888888888888",
    retireSecretKeyIds: [],
  });
  // And not the other way round: no consent waits for the endpoint.
  expect(run.dependsOn("consent/source", "migration-endpoint")).toBe(false);
});

test("the scoping group, filled from the waves, comes before the source relationship that publishes it", () => {
  expect(run.dependsOn("relationship/source", "scoping-group")).toBe(true);
  expect(run.dependsOn("relationship/source", "consent/source")).toBe(true);
  expect(run.byName("relationship/source").inputs).toMatchObject({
    oauthApplicationId: APP_ID,
    publishedScopes: ["migration-to-contoso"],
  });
  // Members are the sources of every wave that may move; Diego (litigation hold) is held, so not in scope.
  expect(run.byName("scoping-group").inputs.members).toEqual(["alexw@fabrikam.com", "meganb@fabrikam.com"]);
  expect(run.dependsOn("scoping-group", "source-mailboxes/wave-1")).toBe(true);
  expect(run.dependsOn("scoping-group", "source-mailboxes/wave-2")).toBe(true);
});

test("every wave is staged after the migration endpoint, from its own source read", () => {
  for (const m of MAILUSERS) {
    expect([m, run.dependsOn(m, "migration-endpoint")]).toEqual([m, true]);
    expect([m, run.dependsOn(m, "consent/source")]).toEqual([m, true]);
  }
  expect(run.dependsOn("mailuser/alexw@contoso.com", "source-mailboxes/wave-1")).toBe(true);
  expect(run.dependsOn("mailuser/megan.bowen@contoso.com", "source-mailboxes/wave-2")).toBe(true);
  expect(run.dependsOn("mailuser/megan.bowen@contoso.com", "source-mailboxes/wave-1")).toBe(false);
});

test("licences come after the stamped MailUsers, readiness after everything it checks, the batch after readiness", () => {
  // A licence on a MailUser without its ExchangeGuid provisions a new mailbox: the MailUsers go first.
  for (const m of ["mailuser/alexw@contoso.com", "mailuser/diegos@contoso.com"])
    expect([m, run.dependsOn("licences/wave-1", m)]).toEqual([m, true]);
  expect(run.dependsOn("licences/wave-2", "mailuser/megan.bowen@contoso.com")).toBe(true);
  expect(run.dependsOn("licences/wave-2", "mailuser/alexw@contoso.com")).toBe(false);
  for (const on of [
    "licences/wave-1",
    "mailuser/alexw@contoso.com",
    "scoping-group",
    "relationship/source",
    "relationship/target",
    "migration-endpoint",
    "consent/source",
  ]) {
    expect([on, run.dependsOn("readiness/wave-1", on)]).toEqual([on, true]);
  }
  for (const on of ["readiness/wave-1", "licences/wave-1", "mailuser/alexw@contoso.com", "migration-endpoint"])
    expect([on, run.dependsOn("batch/wave-1", on)]).toEqual([on, true]);
  // wave-2 declares no batch; its readiness is its own.
  expect(run.resources.some((r) => r.name === "batch/wave-2")).toBe(false);
  expect(run.dependsOn("readiness/wave-2", "mailuser/alexw@contoso.com")).toBe(false);
  expect(run.byName("batch/wave-1").inputs.targetAddresses).toEqual(["alexw@contoso.com"]);
});

test("the graph has no cycle, and destroy (its reverse) removes staged users first and the app last", () => {
  const custom = run.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/")).map((r) => r.name);
  // Kahn's algorithm on "x depends on y": what the engine's destroy does, dependants before dependencies.
  const order: string[] = [];
  const remaining = new Set(custom);
  while (remaining.size > 0) {
    const free = [...remaining].filter(
      (x) => ![...remaining].some((y) => y !== x && run.byName(y).dependsOn.includes(x)),
    );
    expect(free.length).toBeGreaterThan(0);
    for (const f of free) {
      order.push(f);
      remaining.delete(f);
    }
  }
  const at = (name: string) => order.indexOf(name);
  for (const m of MAILUSERS) expect(at(m)).toBeLessThan(at("migration-endpoint"));
  // The batch goes before the endpoint it names and the users it moves; licences are taken back before the MailUsers go.
  expect(at("batch/wave-1")).toBeLessThan(at("migration-endpoint"));
  expect(at("batch/wave-1")).toBeLessThan(at("mailuser/alexw@contoso.com"));
  expect(at("batch/wave-1")).toBeLessThan(at("readiness/wave-1"));
  expect(at("licences/wave-1")).toBeLessThan(at("mailuser/alexw@contoso.com"));
  expect(at("migration-app/secret-retirement")).toBeLessThan(at("migration-endpoint"));
  expect(at("migration-endpoint")).toBeLessThan(at("consent/source"));
  expect(at("relationship/source")).toBeLessThan(at("scoping-group"));
  expect(at("consent/source")).toBeLessThan(at("migration-app"));
  expect(at("consent/target")).toBeLessThan(at("migration-app"));
});

test("names read like a change plan", () => {
  for (const r of run.resources) {
    expect(r.name).toMatch(/^(pair|source|target|wave-\d|[a-z-]+(\/[a-z0-9.@-]+)?)$/);
  }
});
