// A refresh of many MailUsers whose reads reach the provider host one at a time, as the real engine hands them
// over for a large stack (between its checkpoint writes): after the first READS_BEFORE_LISTING lookups, one
// listing answers the rest of the refresh (providers/mailUser/reader.ts), as the host does when the CLI starts it
// for one command. With the listing turned off (XTMM_READ_LISTING_MAX_AGE_MS=0, what the other tests' long-lived
// hosts use) every read is its own lookup. Needs `npx tsc -p tsconfig.json` first (the host loads dist/).

import { useEmulator } from "./support/emulator";
import { Engine, type DeclaredResource } from "../harness/engine";
import type { ProviderHost } from "../harness/providerHost";
import { useProviderHosts } from "./support/providerHost";
import { READS_BEFORE_LISTING } from "../providers/mailUser/reader";
import { declareMailUser, exchangeCalls, mailUserArgs, writes } from "./support/mailUsers";

const USERS = 60;
const emulator = useEmulator({ mailboxes: USERS });
const startHost = useProviderHosts(emulator);
let users: DeclaredResource[];

async function hostWith(env: Record<string, string>): Promise<ProviderHost> {
  return startHost({ env: { XTMM_VISIBILITY_TIMEOUT_SECONDS: "10", XTMM_READ_COALESCE_MS: "10", ...env } });
}

/** Refreshes every user one after another (each read answered before the next is sent); the Exchange calls it made. */
async function refreshOneByOne(engine: Engine): Promise<ReturnType<typeof exchangeCalls>> {
  const since = emulator().requests.length;
  for (const u of users) expect((await engine.refresh(u)).op).toBe("same");
  return exchangeCalls(emulator(), since);
}

beforeAll(async () => {
  users = [];
  for (let i = 1; i <= USERS; i++)
    users.push(await declareMailUser(mailUserArgs(emulator(), `user${String(i).padStart(5, "0")}`)));
});

test("one lookup a read while the listing is off; with it, the first reads and then one listing for the rest", async () => {
  const off = new Engine(await hostWith({ XTMM_READ_LISTING_MAX_AGE_MS: "0" }));
  await Promise.all(users.map((u) => off.up(u)));
  const each = await refreshOneByOne(off);
  expect(writes(each)).toEqual([]);
  expect(each).toHaveLength(USERS);

  // A new host, as the CLI starts one per command, refreshing the same state.
  const on = new Engine(await hostWith({ XTMM_READ_LISTING_MAX_AGE_MS: "600000" }));
  for (const u of users) on.states.set(on.urn(u), off.states.get(off.urn(u))!);
  const listed = await refreshOneByOne(on);
  expect(writes(listed)).toEqual([]);
  // The first reads one Get-Recipient each, then one listing (one page for this tenant) answers the other 40.
  expect(listed.map((c) => c.cmdlet)).toEqual(Array(READS_BEFORE_LISTING + 1).fill("Get-Recipient"));
});
