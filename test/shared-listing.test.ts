// One whole-tenant listing per command for the resources that both read it (SourceMailboxes, Readiness):
// answered once while young, read again when old or after a failure, never shared across different selects.

import type { TenantClient } from "../providers/tenant";
import { sharedListing, SOURCE_MAILBOX_LISTING } from "../providers/tenant/sharedListing";

function fakeClient(answer: (n: number) => Promise<unknown[]>) {
  const calls: { cmdlet: string; params: unknown; select?: string[] }[] = [];
  const client = {
    exchange: {
      invoke: async (cmdlet: string, params: unknown, opts: { select?: string[] }) => {
        calls.push({ cmdlet, params, select: opts.select });
        return { value: await answer(calls.length), warnings: [] };
      },
    },
  } as unknown as TenantClient;
  return { client, calls };
}

const withAge = async <T>(ms: string | undefined, f: () => Promise<T>): Promise<T> => {
  const before = process.env.XTMM_READ_LISTING_MAX_AGE_MS;
  if (ms === undefined) delete process.env.XTMM_READ_LISTING_MAX_AGE_MS;
  else process.env.XTMM_READ_LISTING_MAX_AGE_MS = ms;
  try {
    return await f();
  } finally {
    if (before === undefined) delete process.env.XTMM_READ_LISTING_MAX_AGE_MS;
    else process.env.XTMM_READ_LISTING_MAX_AGE_MS = before;
  }
};

test("two readers in one command share one listing, asked for with every property either needs", async () => {
  const { client, calls } = fakeClient(async (n) => [{ Name: `page-${n}` }]);
  const [a, b] = await withAge(undefined, () =>
    Promise.all([
      sharedListing(client, "Get-Mailbox", SOURCE_MAILBOX_LISTING),
      sharedListing(client, "Get-Mailbox", SOURCE_MAILBOX_LISTING),
    ]),
  );
  const later = await withAge(undefined, () => sharedListing(client, "Get-Mailbox", SOURCE_MAILBOX_LISTING));
  expect(calls).toHaveLength(1);
  expect(calls[0]).toEqual({
    cmdlet: "Get-Mailbox",
    params: { ResultSize: "Unlimited" },
    select: [...SOURCE_MAILBOX_LISTING],
  });
  expect(a).toEqual([{ Name: "page-1" }]);
  expect(b).toBe(a);
  expect(later).toBe(a);
});

test("a listing older than the maximum age is read again; 0 reads every time", async () => {
  const { client, calls } = fakeClient(async (n) => [{ n }]);
  let now = 1_000;
  const clock = () => now;
  await withAge("5000", async () => {
    await sharedListing(client, "Get-Mailbox", ["Name"], clock);
    now += 5_000;
    await sharedListing(client, "Get-Mailbox", ["Name"], clock);
    expect(calls).toHaveLength(1);
    now += 1;
    expect(await sharedListing(client, "Get-Mailbox", ["Name"], clock)).toEqual([{ n: 2 }]);
  });
  await withAge("0", async () => {
    await sharedListing(client, "Get-Mailbox", ["Name"], clock);
    await sharedListing(client, "Get-Mailbox", ["Name"], clock);
  });
  expect(calls).toHaveLength(4);
});

test("a failed listing is not kept: the next reader asks again", async () => {
  const { client, calls } = fakeClient(async (n) => {
    if (n === 1) throw new Error("HTTP 503");
    return [{ n }];
  });
  await withAge(undefined, async () => {
    await expect(sharedListing(client, "Get-Mailbox", ["Name"])).rejects.toThrow("HTTP 503");
    expect(await sharedListing(client, "Get-Mailbox", ["Name"])).toEqual([{ n: 2 }]);
  });
  expect(calls).toHaveLength(2);
});

test("another select, cmdlet or tenant client is another listing (the order of the properties is not)", async () => {
  const one = fakeClient(async () => []);
  const other = fakeClient(async () => []);
  await withAge(undefined, async () => {
    await sharedListing(one.client, "Get-Mailbox", ["Name", "Alias"]);
    await sharedListing(one.client, "Get-Mailbox", ["Alias", "Name"]);
    await sharedListing(one.client, "Get-Mailbox", ["Name"]);
    await sharedListing(one.client, "Get-Recipient", ["Name"]);
    await sharedListing(other.client, "Get-Mailbox", ["Name"]);
  });
  expect(one.calls.map((c) => `${c.cmdlet} ${c.select?.join(",")}`)).toEqual([
    "Get-Mailbox Name,Alias",
    "Get-Mailbox Name",
    "Get-Recipient Name",
  ]);
  expect(other.calls).toHaveLength(1);
});
