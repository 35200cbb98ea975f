// MigrationApp under the faults Microsoft's services produce and with apps that already exist: a lost
// answer after the app (or its secret) was created, a new app not yet visible to reads, a storm of 429s, an
// administrator's own app adopted by appId (with and without its service principal), and an operator
// identity that lacks the Graph permission. Through the real provider host, against the emulator.

import { useEmulator, tenantOf } from "./support/emulator";
import type { ProviderHost } from "../harness/providerHost";
import { useProviderHost, withProviderHost } from "./support/providerHost";
import { Engine, declareResource } from "../harness/engine";
import { MigrationApp, type MigrationAppArgs } from "../providers/migrationApp";
import type { Rec, Stored } from "../emulator/model";
import {
  EXCHANGE_ONLINE,
  MICROSOFT_GRAPH,
  USER_READ,
  adminGraph,
  applicationById,
  applications,
  directorySnapshot,
  keyIdsOf,
  registerByHand,
  seededMailboxMigrationRoleId,
  servicePrincipalsOf,
  signIn,
  taggedApplications,
} from "./support/migrationAppDirectory";

const emulator = useEmulator();

let host: ProviderHost;
const seenSecrets = new Set<string>();
const declare = (name: string, args: Partial<MigrationAppArgs> = {}) =>
  declareResource(() => new MigrationApp(name, { displayName: "Cross-tenant mailbox migration", ...args }));

const providerHost = useProviderHost(emulator, { secrets: () => seenSecrets });
beforeAll(() => {
  host = providerHost();
});

afterAll(() => {
  expect(seenSecrets.size).toBeGreaterThan(0);
});

afterEach(() => emulator().setFaults({ replicationMs: 0 }));

/** Creates, checks the one app and its working secret, destroys, and checks the directory is as before. */
async function roundTrip(name: string, during: () => void) {
  const before = directorySnapshot(emulator());
  const mark = emulator().requests.length;
  const engine = new Engine(host);
  const r = await declare(name);
  during();
  const { state } = await engine.up(r);
  const o = state.outputs as Rec;
  seenSecrets.add(String(o.clientSecret));
  const tagged = taggedApplications(emulator(), `xtmm/test/${name}`);
  expect(tagged.map((a) => a.id)).toEqual([state.id]);
  expect(servicePrincipalsOf(emulator(), String(o.appId))).toHaveLength(1);
  expect(keyIdsOf(tagged[0])).toEqual([o.secretKeyId]);
  expect(await signIn(emulator(), String(o.appId), String(o.clientSecret))).toEqual({ ok: true });
  emulator().setFaults({ replicationMs: 0 });
  expect((await engine.up(r)).op).toBe("same");
  await engine.destroy(r);
  expect(directorySnapshot(emulator())).toEqual(before);
  return emulator()
    .requests.slice(mark)
    .filter((x) => x.surface === "graph");
}

test("a lost answer after the app was created makes no second app: it is found by its tag", async () => {
  const calls = await roundTrip("lost-create", () =>
    emulator().inject({ surface: "graph", method: "POST", path: /\/applications$/, fault: "lost" }),
  );
  const creates = calls.filter((c) => c.method === "POST" && /\/applications$/.test(c.path));
  expect(creates).toHaveLength(1);
  expect(creates[0].fault).toBe("lost");
  await host.waitForOutput("the answer was lost; looking for the application by its tag");
});

test("an up after a failed one finds the app created by the failed attempt", async () => {
  const before = directorySnapshot(emulator());
  const engine = new Engine(host);
  const r = await declare("second-attempt");
  // The app is created, then its service principal cannot be (1 try + graph-client's 6 retries, all 503):
  // the first up fails half way.
  emulator().inject({ surface: "graph", method: "POST", path: /\/servicePrincipals$/, fault: "unavailable", times: 7 });
  await expect(engine.up(r)).rejects.toThrow(/service principal/);
  expect(taggedApplications(emulator(), "xtmm/test/second-attempt")).toHaveLength(1);
  const { state } = await engine.up(r);
  seenSecrets.add(String(state.outputs.clientSecret));
  expect(taggedApplications(emulator(), "xtmm/test/second-attempt").map((a) => a.id)).toEqual([state.id]);
  await host.waitForOutput(`found application ${state.outputs.appId} created earlier for "xtmm/test/second-attempt"`);
  await engine.destroy(r);
  expect(directorySnapshot(emulator())).toEqual(before);
});

test("an app whose create was never recorded (a killed up): the next create retires the secret it had added, not one added by hand", async () => {
  const before = directorySnapshot(emulator());
  const r = await declare("killed-up");
  const first = await new Engine(host).up(r);
  seenSecrets.add(String(first.state.outputs.clientSecret));
  const id = String(first.state.id);
  const byHand = await (
    await adminGraph(emulator())
  )
    .api(`/applications/${id}/addPassword`)
    .post({ passwordCredential: { displayName: "administrator's own" } });
  seenSecrets.add(String(byHand.secretText));
  // A fresh engine has no state: the create the engine never heard back from runs again.
  const engine = new Engine(host);
  const { state } = await engine.up(r);
  seenSecrets.add(String(state.outputs.clientSecret));
  expect(state.id).toBe(id);
  expect(state.outputs.retiringSecretKeyIds).toEqual([first.state.outputs.secretKeyId]);
  expect(keyIdsOf(applicationById(emulator(), id)).sort()).toEqual(
    [first.state.outputs.secretKeyId, String(byHand.keyId).toLowerCase(), state.outputs.secretKeyId].sort(),
  );
  await host.waitForOutput(
    `client secret(s) ${first.state.outputs.secretKeyId} were added by an earlier run that was interrupted`,
  );
  await engine.destroy(r);
  expect(directorySnapshot(emulator())).toEqual(before);
});

test("a lost answer to addPassword leaves no orphan secret", async () => {
  const calls = await roundTrip("lost-secret", () =>
    emulator().inject({ surface: "graph", method: "POST", path: /\/addPassword$/, fault: "lost" }),
  );
  expect(calls.filter((c) => c.path.endsWith("/addPassword"))).toHaveLength(2);
  expect(calls.filter((c) => c.path.endsWith("/removePassword"))).toHaveLength(1);
});

test("lost answers to addPassword twice in a row: each useless secret is removed, a third is kept, no orphan stays", async () => {
  const calls = await roundTrip("lost-secret-twice", () =>
    emulator().inject({ surface: "graph", method: "POST", path: /\/addPassword$/, fault: "lost", times: 2 }),
  );
  const adds = calls.filter((c) => c.path.endsWith("/addPassword"));
  expect(adds.map((c) => c.fault ?? null)).toEqual(["lost", "lost", null]);
  // One removal per lost answer, each made after reading the app back (never a blind resend).
  const first = calls.findIndex((c) => c.path.endsWith("/addPassword"));
  const order = calls
    .slice(first)
    .filter(
      (c) =>
        /\/(addPassword|removePassword)$/.test(c.path) ||
        (c.method === "GET" && /^\/v1\.0\/applications\/[^/?]+$/.test(c.path)),
    );
  const what = (c: { method: string; path: string }) => (c.method === "GET" ? "read the app" : c.path.split("/").pop());
  expect(order.slice(0, 7).map(what)).toEqual([
    "addPassword",
    "read the app",
    "removePassword",
    "addPassword",
    "read the app",
    "removePassword",
    "addPassword",
  ]);
});

test("a new app and service principal not yet visible to reads are waited for", async () => {
  const calls = await roundTrip("slow-replication", () => emulator().setFaults({ replicationMs: 1_500 }));
  expect(calls.some((c) => c.method === "GET" && c.status === 404)).toBe(true);
});

test("a storm of 429s is waited out (graph-client's RetryHandler honours Retry-After)", async () => {
  const calls = await roundTrip("throttled", () =>
    emulator().inject({ surface: "graph", fault: "throttle", times: 4 }),
  );
  expect(calls.filter((c) => c.status === 429)).toHaveLength(4);
});

describe("adoption by appId", () => {
  test("an administrator's app with its service principal (consent clicked earlier) is adopted; destroy keeps what was not ours", async () => {
    const mine = await registerByHand(emulator(), "Migration (made in the portal)", { servicePrincipal: true });
    seenSecrets.add(mine.secret);
    const before = directorySnapshot(emulator());
    const spBefore = servicePrincipalsOf(emulator(), mine.appId).map((sp) => sp.id);
    const engine = new Engine(host);
    const r = await declare("adopted-app", { adoptAppId: mine.appId });
    const { state } = await engine.up(r);
    const o = state.outputs as Rec;
    seenSecrets.add(String(o.clientSecret));
    expect(state.id).toBe(mine.id);
    expect(o).toMatchObject({
      adopted: true,
      createdServicePrincipal: false,
      servicePrincipalId: spBefore[0],
      appId: mine.appId,
      hasUserRead: false,
    });
    const app = applicationById(emulator(), mine.id)!;
    expect(app).toMatchObject({
      displayName: "Cross-tenant mailbox migration",
      signInAudience: "AzureADMultipleOrgs",
      web: { redirectUris: ["https://office.com"] },
      requiredResourceAccess: [
        {
          resourceAppId: EXCHANGE_ONLINE,
          resourceAccess: [{ id: seededMailboxMigrationRoleId(emulator()), type: "Role" }],
        },
      ],
    });
    // An adopted app is not tagged: its key is its appId.
    expect(app.tags).toEqual([]);
    expect(keyIdsOf(app)).toEqual([mine.keyId, String(o.secretKeyId)].sort());
    expect(applications(emulator())).toHaveLength(before.applications.length);

    expect((await engine.up(r)).op).toBe("same");
    await engine.destroy(r);
    expect(directorySnapshot(emulator())).toEqual(before);
    expect(applicationById(emulator(), mine.id)).toMatchObject({
      signInAudience: "AzureADMyOrg",
      web: { redirectUris: ["https://localhost/callback"] },
      requiredResourceAccess: [{ resourceAppId: MICROSOFT_GRAPH, resourceAccess: [{ id: USER_READ, type: "Scope" }] }],
    });
    expect(await signIn(emulator(), mine.appId, mine.secret)).toEqual({ ok: true });
    expect(await signIn(emulator(), mine.appId, String(o.clientSecret))).toMatchObject({ ok: false, code: 7000215 });
  });

  test("an adopted app without a service principal gets one, and destroy removes only that", async () => {
    const mine = await registerByHand(emulator(), "Migration without SP", { servicePrincipal: false });
    seenSecrets.add(mine.secret);
    const before = directorySnapshot(emulator());
    const engine = new Engine(host);
    const r = await declare("adopted-no-sp", { adoptAppId: mine.appId });
    const { state } = await engine.up(r);
    seenSecrets.add(String(state.outputs.clientSecret));
    expect(state.outputs).toMatchObject({ adopted: true, createdServicePrincipal: true });
    expect(servicePrincipalsOf(emulator(), mine.appId)).toHaveLength(1);
    await engine.destroy(r);
    expect(directorySnapshot(emulator())).toEqual(before);
  });

  test("an appId that is not in the tenant fails naming adoptAppId and the fix", async () => {
    const r = await declare("adopt-missing", { adoptAppId: "11111111-2222-3333-4444-555555555555" });
    await expect(new Engine(host).up(r)).rejects.toThrow(
      /11111111-2222-3333-4444-555555555555 \(adoptAppId\).*no application with this appId.*Check adoptAppId/,
    );
  });
});

test("a missing Graph permission is named in the failure", async () => {
  const t = tenantOf(emulator(), "target");
  const APPLICATION_RW = "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9";
  const removed: Array<[string, Stored]> = [];
  for (const [k, a] of t.directory.appRoleAssignments) {
    if (a.obj.principalId === t.operator.servicePrincipalId && String(a.obj.appRoleId) === APPLICATION_RW)
      removed.push([k, a]);
  }
  expect(removed).toHaveLength(1);
  for (const [k] of removed) t.directory.appRoleAssignments.delete(k);
  // A fresh host signs in afresh, so its token lacks the role.
  try {
    await withProviderHost(emulator(), {}, async (other) => {
      const err = await new Engine(other).up(await declare("no-permission")).catch((e) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(/Graph answered 403.*lacks the application permission Application\.ReadWrite\.All/);
    });
  } finally {
    for (const [k, a] of removed) t.directory.appRoleAssignments.set(k, a);
  }
  expect(taggedApplications(emulator(), "xtmm/test/no-permission")).toEqual([]);
});
