// MailUser staging under the faults the emulator plays (through the real provider host): 429 storms and
// 503s, a lost answer after New-MailUser (the object was made; the answer never came), a lost answer after
// Set-MailUser, a new object that replicates slowly, and a run interrupted between the two writes. Every
// case ends with each user staged exactly once.

import { emulatorTenantSettings, useEmulator } from "./support/emulator";
import { Engine, type DeclaredResource } from "../harness/engine";
import { useProviderHost } from "./support/providerHost";
import type { ProviderHost } from "../harness/providerHost";
import { createTenantClient } from "../providers/tenant";
import { NO_FAULTS } from "../emulator/options";
import { declareMailUser, exchangeCalls, mailUserArgs, sourceMailbox, targetObjects } from "./support/mailUsers";

const emulator = useEmulator({ mailboxes: 60 });
const providerHost = useProviderHost(emulator, {
  env: { XTMM_VISIBILITY_TIMEOUT_SECONDS: "10", XTMM_READ_COALESCE_MS: "20" },
});
let host: ProviderHost;
beforeAll(() => {
  host = providerHost();
});
afterEach(() => {
  emulator().setFaults({ ...NO_FAULTS });
});

const mark = () => emulator().requests.length;
let next = 1;
/** Fresh generated users for each case. */
const aliases = (n: number) => Array.from({ length: n }, () => `user${String(next++).padStart(5, "0")}`);

async function declareAll(list: string[]): Promise<DeclaredResource[]> {
  const out: DeclaredResource[] = [];
  for (const a of list) out.push(await declareMailUser(mailUserArgs(emulator(), a)));
  return out;
}

/** Exactly one live object per user, stamped, and nothing soft-deleted left behind by a retry. */
function expectStagedOnce(list: string[]): void {
  for (const a of list) {
    const { live, soft } = targetObjects(emulator(), `${a}@contoso.com`);
    expect({ alias: a, live: live.length, soft: soft.length }).toEqual({ alias: a, live: 1, soft: 0 });
    expect(live[0].obj.ExchangeGuid).toBe(sourceMailbox(emulator(), a).ExchangeGuid);
  }
}

const newMailUsers = (since: number) => exchangeCalls(emulator(), since).filter((c) => c.cmdlet === "New-MailUser");

async function stageAll(list: string[]): Promise<{ engine: Engine; users: DeclaredResource[] }> {
  const engine = new Engine(host);
  const users = await declareAll(list);
  const results = await Promise.allSettled(users.map((u) => engine.up(u)));
  const failed = results
    .filter((r): r is PromiseRejectedResult => r.status === "rejected")
    .map((r) => String(r.reason?.message ?? r.reason));
  expect(failed).toEqual([]);
  return { engine, users };
}

async function destroyAll(engine: Engine, users: DeclaredResource[]): Promise<void> {
  emulator().setFaults({ ...NO_FAULTS });
  await Promise.all(users.map((u) => engine.destroy(u)));
}

test("a 429 storm with 503s among it: each of 20 users staged exactly once", async () => {
  emulator().setFaults({
    throttleRate: 0.3,
    unavailableRate: 0.08,
    retryAfterSeconds: 0,
    surfaces: ["exchange"],
    seed: 11,
  });
  const list = aliases(20);
  const since = mark();
  const { engine, users } = await stageAll(list);
  const calls = exchangeCalls(emulator(), since);
  const creates = newMailUsers(since);
  console.log(
    `mail users under a 429/503 storm: ${calls.filter((c) => c.status === 429).length} × 429, ${calls.filter((c) => c.status === 503).length} × 503 in ${calls.length} calls`,
  );
  expect(calls.filter((c) => c.status === 429).length).toBeGreaterThan(5);
  expect(calls.filter((c) => c.status === 503).length).toBeGreaterThan(0);
  // Refused attempts were never applied; exactly one New-MailUser per user went through.
  expect(creates.filter((c) => c.status === 200)).toHaveLength(20);
  expectStagedOnce(list);
  expect((await Promise.all(users.map((u) => engine.refresh(u)))).every((r) => r.op === "same")).toBe(true);
  await destroyAll(engine, users);
});

test("lost answers after New-MailUser: the object is looked up, never made twice, and keeps its password", async () => {
  emulator().inject({ surface: "exchange", cmdlet: "New-MailUser", fault: "lost", times: 4 });
  const list = aliases(6);
  const since = mark();
  const { engine, users } = await stageAll(list);
  expect(newMailUsers(since)).toHaveLength(6);
  expect(newMailUsers(since).filter((c) => c.fault === "lost")).toHaveLength(4);
  expectStagedOnce(list);
  for (const u of users) expect(String(engine.state(u)!.outputs.password)).toHaveLength(20);
  await destroyAll(engine, users);
});

test("lost answers after Set-MailUser are resent; the stamp lands once", async () => {
  emulator().inject({ surface: "exchange", cmdlet: "Set-MailUser", fault: "lost", times: 2 });
  const list = aliases(3);
  const since = mark();
  const { engine, users } = await stageAll(list);
  const sets = exchangeCalls(emulator(), since).filter((c) => c.cmdlet === "Set-MailUser");
  expect(sets).toHaveLength(5);
  expect(newMailUsers(since)).toHaveLength(3);
  expectStagedOnce(list);
  await destroyAll(engine, users);
});

test("a new MailUser that replicates slowly is waited for, bounded, before it is stamped", async () => {
  emulator().setFaults({ replicationMs: 1500 });
  const list = aliases(4);
  const since = mark();
  const started = Date.now();
  const { engine, users } = await stageAll(list);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  const sets = exchangeCalls(emulator(), since).filter((c) => c.cmdlet === "Set-MailUser");
  expect(sets.filter((c) => c.status === 404).length).toBeGreaterThan(0);
  expect(sets.filter((c) => c.status === 200)).toHaveLength(4);
  expect(newMailUsers(since)).toHaveLength(4);
  expectStagedOnce(list);
  await destroyAll(engine, users);
});

test("a lost New-MailUser answer while the object still replicates: found once it shows, not made twice", async () => {
  emulator().setFaults({ replicationMs: 1200 });
  emulator().inject({ surface: "exchange", cmdlet: "New-MailUser", fault: "lost", times: 2 });
  const list = aliases(2);
  const since = mark();
  const { engine, users } = await stageAll(list);
  expect(newMailUsers(since)).toHaveLength(2);
  expectStagedOnce(list);
  await destroyAll(engine, users);
});

test("a run stopped between New-MailUser and Set-MailUser: the next up finishes that object", async () => {
  const [alias] = aliases(1);
  const args = mailUserArgs(emulator(), alias);
  const exchange = createTenantClient(emulatorTenantSettings(emulator(), "target")).exchange;
  await exchange.invoke("New-MailUser", {
    Name: args.name,
    Alias: args.alias,
    DisplayName: args.displayName,
    PrimarySmtpAddress: args.targetPrimary,
    ExternalEmailAddress: args.externalEmailAddress,
    MicrosoftOnlineServicesID: args.userPrincipalName,
    Password: "Interrupted-Run-1!",
  });
  const engine = new Engine(host);
  const user = await declareMailUser(args);
  const since = mark();
  const { state } = await engine.up(user);
  expect(
    exchangeCalls(emulator(), since)
      .filter((c) => c.cmdlet && !/^Get-/.test(c.cmdlet))
      .map((c) => c.cmdlet),
  ).toEqual(["Set-MailUser"]);
  expect(state.outputs).toMatchObject({ adopted: false, staged: true, password: null });
  expectStagedOnce([alias]);
  await destroyAll(engine, [user]);
});
