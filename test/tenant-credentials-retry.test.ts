// Token acquisition under the sign-in surface's passing failures, with the real MSAL against the emulator:
// a 429 or a 503 (AADSTS90033) from the token endpoint, a lost token response and a failed OpenID discovery
// are tried again, bounded, waiting Entra's Retry-After when it names one; a refusal of the credentials
// (AADSTS7000215) or of the tenant (AADSTS90002) fails at once. Each case aims one targeted fault at one
// request, so nothing here depends on dice.

import { emulatorTenantSettings, useEmulator } from "./support/emulator";
import { tokenProvider, transientSignIn, type SignInRetry } from "../providers/tenant/credentials";
import { CredentialError } from "../providers/tenant/errors";
import type { TargetedFault } from "../emulator/options";

const emu = useEmulator();
const GRAPH = "https://graph.microsoft.com";
const TOKEN = /\/oauth2\/v2\.0\/token$/;
const DISCOVERY = /\/v2\.0\/\.well-known\/openid-configuration$/;

/** A fresh provider (no MSAL cache) for the source operator; sleeps are recorded, not slept. */
function provider(over: { clientSecret?: string; tenantId?: string } = {}, retry: SignInRetry = {}) {
  const t = emu().tenants.source;
  const slept: number[] = [];
  const settings = emulatorTenantSettings(emu(), "source", {
    credential: { kind: "clientSecret", clientId: t.clientId, clientSecret: over.clientSecret ?? t.clientSecret },
    ...(over.tenantId ? { tenantId: over.tenantId } : {}),
  });
  const tokens = tokenProvider(settings, undefined, {
    sleep: async (ms) => void slept.push(ms),
    random: () => 0.5,
    ...retry,
  });
  return { tokens, slept };
}

/** The login requests of one case, as [path kind, status, fault]. */
function loginSince(mark: number): Array<[string, number, string | null]> {
  return emu()
    .requests.slice(mark)
    .filter((r) => r.surface === "login")
    .map((r) => [
      TOKEN.test(r.path) ? "token" : DISCOVERY.test(r.path) ? "discovery" : r.path,
      r.status,
      r.fault ?? null,
    ]);
}

async function afterOne(fault: TargetedFault, retry: SignInRetry = {}) {
  const { tokens, slept } = provider({}, retry);
  const mark = emu().requests.length;
  emu().inject(fault);
  const token = await tokens.getToken(GRAPH);
  return { token, slept, calls: loginSince(mark) };
}

test("a 429 from the token endpoint is waited out as Entra's Retry-After asks, then the token comes", async () => {
  emu().setFaults({ retryAfterSeconds: 2 });
  try {
    const { token, slept, calls } = await afterOne({
      surface: "login",
      method: "POST",
      path: TOKEN,
      fault: "throttle",
    });
    expect(token.split(".")).toHaveLength(3);
    expect(slept).toEqual([2000]);
    // MSAL would replay the 429 from its own memory for a minute; the retry reaches Entra again.
    expect(calls.filter(([k]) => k === "token")).toEqual([
      ["token", 429, "throttle"],
      ["token", 200, null],
    ]);
  } finally {
    emu().setFaults({ retryAfterSeconds: 1 });
  }
});

test("a 503 (AADSTS90033, please try again) is tried again", async () => {
  const { slept, calls } = await afterOne({ surface: "login", method: "POST", path: TOKEN, fault: "unavailable" });
  expect(slept).toEqual([1000]);
  expect(calls.filter(([k]) => k === "token")).toEqual([
    ["token", 503, "unavailable"],
    ["token", 200, null],
  ]);
});

test("a lost token response is asked for again (a token request changes nothing)", async () => {
  const { slept, calls } = await afterOne({ surface: "login", method: "POST", path: TOKEN, fault: "lost" });
  // No Retry-After arrived: the first backoff step.
  expect(slept).toEqual([750]);
  expect(calls.filter(([k]) => k === "token").map(([, , f]) => f)).toEqual(["lost", null]);
});

test("an OpenID discovery that failed for a passing reason is done again", async () => {
  const { calls } = await afterOne({ surface: "login", method: "GET", path: DISCOVERY, fault: "unavailable" });
  expect(calls.filter(([k]) => k === "discovery")).toEqual([
    ["discovery", 503, "unavailable"],
    ["discovery", 200, null],
  ]);
  expect(calls.filter(([k]) => k === "token")).toEqual([["token", 200, null]]);
});

test("the retries are bounded: a storm longer than them fails with Entra's reason and the attempts made", async () => {
  const { tokens, slept } = provider({}, { maxAttempts: 3 });
  emu().inject({ surface: "login", method: "POST", path: TOKEN, fault: "unavailable", times: 3 });
  const err = await tokens.getToken(GRAPH).catch((e) => e);
  expect(err).toBeInstanceOf(CredentialError);
  expect(err.message).toMatch(
    /AADSTS90033: A transient error has occurred\. Please try again\..*\(gave up after 3 attempts\)$/,
  );
  expect(slept).toHaveLength(2);
  // The fault was used up by exactly these three: the next call signs in.
  expect((await tokens.getToken(GRAPH)).split(".")).toHaveLength(3);
});

test("a wrong secret (AADSTS7000215) is not tried again", async () => {
  const wrong = "Wr0ng~Secret.Value-456";
  const { tokens, slept } = provider({ clientSecret: wrong });
  const mark = emu().requests.length;
  const err = await tokens.getToken(GRAPH).catch((e) => e);
  expect(err).toBeInstanceOf(CredentialError);
  expect(err.message).toMatch(/AADSTS7000215/);
  expect(err.message).not.toContain(wrong);
  expect(slept).toEqual([]);
  expect(loginSince(mark).filter(([k]) => k === "token")).toHaveLength(1);
});

test("a tenant that does not exist fails discovery at once, not after retries", async () => {
  const { tokens, slept } = provider({ tenantId: "9f0e4c1a-0000-4000-8000-000000000000" });
  const err = await tokens.getToken(GRAPH).catch((e) => e);
  expect(err).toBeInstanceOf(CredentialError);
  expect(slept).toEqual([]);
});

test("what counts as passing, by MSAL's error shapes", () => {
  const server = (errorCode: string, errorMessage: string, status?: number) =>
    Object.assign(new Error(errorMessage), { name: "ServerError", errorCode, errorMessage, status });
  expect(
    transientSignIn(server("temporarily_unavailable", "AADSTS90033: A transient error has occurred.", 503), false),
  ).toBe(true);
  // MSAL's replay from its throttle memory carries the codes, not the status.
  expect(transientSignIn(server("90033", "AADSTS90033: A transient error has occurred."), false)).toBe(true);
  expect(transientSignIn(server("invalid_client", "AADSTS7000215: Invalid client secret provided.", 401), false)).toBe(
    false,
  );
  expect(transientSignIn(server("server_error", "AADSTS50000: There was an error issuing a token.", 500), false)).toBe(
    true,
  );
  expect(transientSignIn(Object.assign(new Error("x"), { errorCode: "network_error" }), false)).toBe(true);
  expect(transientSignIn(Object.assign(new Error("x"), { errorCode: "endpoints_resolution_error" }), true)).toBe(true);
  expect(transientSignIn(Object.assign(new Error("x"), { errorCode: "endpoints_resolution_error" }), false)).toBe(
    false,
  );
  expect(
    transientSignIn(
      Object.assign(new Error("x"), { name: "InteractionRequiredAuthError", errorCode: "invalid_grant" }),
      false,
    ),
  ).toBe(false);
});
