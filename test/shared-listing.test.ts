// One whole-tenant listing per command for the resources that both read it (SourceMailboxes, Readiness):
// answered once while young, read again when old or after a failure, never shared across different selects.

import type { TenantClient } from "../providers/tenant";
import { sharedListing, sharedRead, SOURCE_MAILBOX_LISTING } from "../providers/tenant/sharedListing";
import { asWrite, isReadCmdlet, noteWrite, writesSoFar } from "../providers/tenant/writeClock";

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

describe("reads shared until a write (each wave's Readiness)", () => {
  const tenant = `tenant-${Math.random()}`;
  function tenantClient(answer: (n: number) => Promise<unknown[]>) {
    const fake = fakeClient(answer);
    (fake.client as unknown as { settings: { tenantId: string } }).settings = { tenantId: tenant };
    return fake;
  }

  test("the same read is answered once while nothing is written, and read again after a write", async () => {
    const { client, calls } = tenantClient(async (n) => [{ n }]);
    const read = () =>
      sharedRead(client, "Get-DistributionGroupMember", { Identity: "scope", ResultSize: "Unlimited" }, ["Name"], {
        untilWrite: true,
      });
    await withAge(undefined, async () => {
      expect(await read()).toEqual([{ n: 1 }]);
      expect(await read()).toEqual([{ n: 1 }]);
      // Other parameters are another read.
      await sharedRead(
        client,
        "Get-DistributionGroupMember",
        { ResultSize: "Unlimited", Identity: "other" },
        ["Name"],
        {
          untilWrite: true,
        },
      );
      expect(calls).toHaveLength(2);
      noteWrite(tenant);
      expect(await read()).toEqual([{ n: 3 }]);
      // A write to another tenant changes nothing here.
      noteWrite(`${tenant}-other`);
      expect(await read()).toEqual([{ n: 3 }]);
    });
    expect(calls).toHaveLength(3);
  });

  test("a read that overlapped a write is not kept: the write is counted when sent and when answered", async () => {
    const { client, calls } = tenantClient(async (n) => [{ n }]);
    let finishWrite!: () => void;
    const write = asWrite(tenant, () => new Promise<void>((r) => (finishWrite = r)));
    const read = () => sharedRead(client, "Get-MailUser", { ResultSize: "Unlimited" }, ["Name"], { untilWrite: true });
    await withAge(undefined, async () => {
      await read(); // while the write is in flight
      finishWrite();
      await write;
      await read();
      await read();
    });
    expect(calls).toHaveLength(2);
  });

  test("Exchange and PowerShell writes are counted; reads are not", () => {
    expect(isReadCmdlet("Get-MailUser")).toBe(true);
    expect(isReadCmdlet("Test-MigrationServerAvailability")).toBe(true);
    expect(isReadCmdlet("Set-MailUser")).toBe(false);
    expect(isReadCmdlet("Add-DistributionGroupMember")).toBe(false);
    const before = writesSoFar(tenant);
    noteWrite(tenant);
    expect(writesSoFar(tenant)).toBe(before + 1);
  });
});
