// The emulator's live test move: Test-MigrationServerAvailability -Endpoint -TestMailbox <target MailUser>.
// A user a move would take answers Success; one outside the source's migration scope answers Result Failed with
// the MigrationServerConnectionFailedException -> MRSRemotePermanentException shape (not an error); a seeded
// failure (liveTestFailures) answers its text; a name that is no MailUser answers the ManagementObjectNotFound
// shape; an unknown endpoint is the cmdlet's error. Which route accepts -TestMailbox beside -Endpoint is the
// endpointTestMailboxRoutes knob: Microsoft's reference does not list the pair, so "none" keeps strictly to it.

import { DirectHarness } from "../emulator/exchange/testing";
import { consentInSource, registerMigrationApp } from "../emulator/exchange/fixtures";
import { crossTenantEndpoint, relatedPair, stagedMailUser } from "./support/movablePair";
import type { ExchangeKnobs } from "../emulator/exchange/knobs";

/** meganb in the published scope, leeg staged but not in it; both licensed, both stamped. */
async function pair(exchange: Partial<ExchangeKnobs> = {}): Promise<DirectHarness> {
  const h = new DirectHarness({ exchange });
  const src = h.tenant("source");
  const tgt = h.tenant("target");
  await h.invoke("target", "Enable-OrganizationCustomization", {});
  const app = registerMigrationApp(tgt, h.clock);
  consentInSource(src, app.appId, h.clock - 60_000);
  await relatedPair(h, app, ["meganb"]);
  for (const alias of ["meganb", "leeg"]) await stagedMailUser(h, alias, { licensed: true });
  const ep = await crossTenantEndpoint(h, app);
  expect(ep.status).toBe(200);
  return h;
}

const live = (h: DirectHarness, mailbox: string, route: "rest" | "pwsh" = "rest") =>
  h.invoke("target", "Test-MigrationServerAvailability", { Endpoint: "Fabrikam", TestMailbox: mailbox }, { route });

test("a user a move would take passes; one outside the migration scope fails as a result object, not an error", async () => {
  const h = await pair();
  const ok = await live(h, "meganb@contoso.com");
  expect(ok.status).toBe(200);
  expect(ok.json.value[0]).toMatchObject({ Result: "Success", SupportsCutover: false, ErrorDetail: null });
  const out = await live(h, "leeg@contoso.com");
  expect(out.status).toBe(200);
  const r = out.json.value[0];
  expect(r.Result).toBe("Failed");
  expect(r.Message).toBe("The connection to the server 'outlook.office.com' could not be completed.");
  expect(r.ErrorDetail).toMatch(
    /^Microsoft\.Exchange\.Migration\.MigrationServerConnectionFailedException: .* ---> Microsoft\.Exchange\.MailboxReplicationService\.MRSRemotePermanentException: MailboxNotInCrossTenantMigrationScopeException: /,
  );
  expect(h.takeViolations()).toEqual([]);
});

test("a source address (no such MailUser) fails with the not-found shape; an unknown endpoint is the cmdlet's error", async () => {
  const h = await pair();
  const r = (await live(h, "meganb@fabrikam.com")).json.value[0];
  expect(r.Result).toBe("Failed");
  expect(r.Message).toContain("couldn't be found");
  expect(r.ErrorDetail).toMatch(/ManagementObjectNotFoundException/);
  const unknown = await h.invoke("target", "Test-MigrationServerAvailability", {
    Endpoint: "Nope",
    TestMailbox: "meganb@contoso.com",
  });
  expect(unknown.status).toBe(404);
});

test("a seeded failure answers its text, for a user who would otherwise pass", async () => {
  const h = await pair({ liveTestFailures: { "meganb@contoso.com": "The source mailbox is over its quota." } });
  const r = (await live(h, "meganb@contoso.com")).json.value[0];
  expect(r.Result).toBe("Failed");
  expect(r.ErrorDetail).toMatch(
    /---> Microsoft\.Exchange\.MailboxReplicationService\.MRSRemotePermanentException: The source mailbox is over its quota\.$/,
  );
});

test.each([
  ["both", 200, 200],
  ["rest", 200, 400],
  ["pwsh", 400, 200],
  ["none", 400, 400],
] as const)("endpointTestMailboxRoutes %s: admin API %i, PowerShell %i", async (routes, rest, pwsh) => {
  const h = await pair({ endpointTestMailboxRoutes: routes });
  const a = await live(h, "meganb@contoso.com", "rest");
  const b = await live(h, "meganb@contoso.com", "pwsh");
  expect([a.status, b.status]).toEqual([rest, pwsh]);
  for (const r of [a, b].filter((x) => x.status === 400))
    expect(JSON.stringify(r.json)).toContain("Parameter set cannot be resolved");
  // -Endpoint alone stays what the reference allows, on every route.
  const alone = await h.invoke("target", "Test-MigrationServerAvailability", { Endpoint: "Fabrikam" });
  expect(alone.json.value[0].Result).toBe("Success");
});
