// The offline rules of retrying failed users and of watching moves: the stack key
// waves.<wave>.batch.retryFailed (any text; bad values and a batch not started are named by key), the
// MigrationBatch input's check and diff (a new value is an in-place update, the same value or none from older
// state is no change), when the retry calls Start-MigrationBatch and when it refuses, which moves the batches
// output lists, and the next step named for each documented failure.

import { parseBatch } from "../config/moveConfig";
import { checkInputs, diffBatch, withDefaults, type Inputs, type Outputs } from "../providers/migrationBatch/inputs";
import { retryFailedUsers, retryRequested } from "../providers/migrationBatch/retry";
import { nextStep } from "../providers/migrationBatch/nextStep";
import { readMoves } from "../providers/migrationBatch/moves";
import { movesView } from "../components/waveBatches";
import type { TenantClient } from "../providers/tenant";
import type { MigrationBatchMove } from "../providers/migrationBatch";

const AT = "xtmm:waves.w1.batch";

describe("waves.<wave>.batch.retryFailed", () => {
  test("any text (or number) is carried; absent or empty adds no key", () => {
    const problems: string[] = [];
    expect(parseBatch({ start: true, retryFailed: "2026-12-04" }, AT, problems)).toEqual({
      start: true,
      complete: false,
      completeAfter: "",
      retryFailed: "2026-12-04",
    });
    expect(parseBatch({ start: true, retryFailed: 3 }, AT, problems)?.retryFailed).toBe("3");
    expect(parseBatch({ start: true, retryFailed: "" }, AT, problems)).toEqual({
      start: true,
      complete: false,
      completeAfter: "",
    });
    expect(problems).toEqual([]);
  });

  test("a switch, an object or blanks are refused by key with an example; so is a batch not started", () => {
    for (const bad of [true, { when: "now" }, "   "]) {
      const problems: string[] = [];
      expect(parseBatch({ start: true, retryFailed: bad }, AT, problems)).toBeUndefined();
      expect(problems).toEqual([
        expect.stringMatching(
          /^xtmm:waves\.w1\.batch\.retryFailed must be a text you change for each retry \(e\.g\. the date\), not .*: pulumi config set --path 'waves\.w1\.batch\.retryFailed'/,
        ),
      ]);
    }
    const problems: string[] = [];
    expect(parseBatch({ retryFailed: "x" }, AT, problems)).toBeUndefined();
    expect(problems).toEqual([
      "xtmm:waves.w1.batch.retryFailed needs xtmm:waves.w1.batch.start: true; only a started batch has failed moves to retry",
    ]);
  });
});

const inputs = (over: Partial<Inputs> = {}): Inputs =>
  withDefaults({
    name: "w1",
    targetAddresses: ["a@contoso.com"],
    sourceEndpoint: "ep",
    targetDeliveryDomain: "contoso.onmicrosoft.com",
    start: true,
    ...over,
  }) as Inputs;
const recorded = (over: Partial<Outputs> = {}): Outputs =>
  ({ ...inputs(), status: "SyncedwithErrors", startedAt: "2026-12-04T10:00:00.000Z", ...over }) as Outputs;

describe("the MigrationBatch input", () => {
  test("check: a text; needs start: true", () => {
    expect(checkInputs({}, inputs({ retryFailed: "x" }))).toEqual([]);
    expect(checkInputs({}, { ...inputs(), retryFailed: 7 })).toEqual([
      { property: "retryFailed", reason: "must be a text you change for each retry (e.g. the date), not 7" },
    ]);
    expect(checkInputs({}, inputs({ start: false, retryFailed: "x" }))).toEqual([
      { property: "retryFailed", reason: "needs start: true; only a started batch has failed moves to retry" },
    ]);
  });

  test("diff: a new value updates in place; the same value, or none in older state, is no change", () => {
    expect(diffBatch(recorded(), inputs({ retryFailed: "first" }))).toEqual({ changes: true, replaces: [] });
    expect(diffBatch(recorded({ retryFailed: "first" }), inputs({ retryFailed: "first" }))).toEqual({ changes: false });
    const old = recorded();
    delete (old as Partial<Outputs>).retryFailed;
    expect(diffBatch(old, inputs())).toEqual({ changes: false });
    expect(retryRequested(old, inputs())).toBe(false);
    expect(retryRequested(recorded({ retryFailed: "first" }), inputs({ retryFailed: "second" }))).toBe(true);
    // Taking the value away asks for nothing (it is recorded, nothing is retried).
    expect(retryRequested(recorded({ retryFailed: "first" }), inputs())).toBe(false);
  });
});

/** A client whose Exchange records the cmdlets it is asked for. */
function recordingClient(): { client: TenantClient; sent: string[] } {
  const sent: string[] = [];
  const client = {
    settings: { domain: "contoso.onmicrosoft.com" },
    exchange: {
      invoke: async (cmdlet: string) => {
        sent.push(cmdlet);
        return { value: [] };
      },
    },
  } as unknown as TenantClient;
  return { client, sent };
}

describe("the retry", () => {
  test("Start-MigrationBatch for a batch with failed users in a status Microsoft retries", async () => {
    for (const Status of ["SyncedwithErrors", "CompletedWithErrors", "Failed"]) {
      const { client, sent } = recordingClient();
      await retryFailedUsers(client, { Name: "w1", Status, FailedCount: 2 }, "w1");
      expect(sent).toEqual(["Start-MigrationBatch"]);
    }
  });

  test("nothing failed: nothing sent; a batch completing or stopping: refused, so the next up asks again", async () => {
    const { client, sent } = recordingClient();
    await retryFailedUsers(client, { Name: "w1", Status: "Synced", FailedCount: 0 }, "w1");
    for (const Status of ["Completing", "Stopping", "Stopped"])
      await expect(retryFailedUsers(client, { Name: "w1", Status, FailedCount: 1 }, "w1")).rejects.toThrow(
        new RegExp(`^Migration batch 'w1' is ${Status}, so its 1 failed user\\(s\\) can't be retried now`),
      );
    expect(sent).toEqual([]);
  });
});

const move = (status: string): MigrationBatchMove => ({
  address: `${status.toLowerCase()}@contoso.com`,
  status,
  statusDetail: null,
  percent: null,
  bytesTransferred: null,
  failure: null,
  next: null,
});

test("the batches output lists the moves while one is open or failed, none once all are synced or completed", () => {
  expect(movesView(undefined)).toBeUndefined();
  expect(movesView([move("Synced"), move("Completed"), move("AutoSuspended")])).toBeUndefined();
  const open = [move("Synced"), move("InProgress")];
  expect(movesView(open)).toEqual(open);
  expect(movesView([move("Completed"), move("Failed")])).toHaveLength(2);
});

test("the next step names the fix Microsoft gives for each documented failure, else the report", () => {
  const at = "a@contoso.com";
  expect(nextStep("Error: CrossTenantMigrationWithoutLicensePermanentException: No license", at)).toMatch(
    /^assign the Cross Tenant User Data Migration licence .*retryFailed/,
  );
  expect(nextStep("MailboxNotInCrossTenantMigrationScopeException: x", at)).toMatch(/scope group/);
  expect(nextStep("MissingExchangeGuidException: x", at)).toMatch(/restamps it/);
  expect(nextStep("NotAcceptedDomainException: x", at)).toMatch(/Set-MailUser -EmailAddresses/);
  expect(nextStep("MigrationPermanentException: Target user 'a' already has a primary mailbox.", at)).toMatch(
    /^the target is already a mailbox/,
  );
  expect(nextStep("AuxArchiveNotFoundInTargetRecipientException", at)).toMatch(/remove the user from the batch/);
  expect(nextStep("SomethingNewException: ?", at)).toBe(
    "read the move's report (Get-MoveRequestStatistics -Identity a@contoso.com -IncludeReport), fix the cause, then retry the batch's failed users: set waves.<wave>.batch.retryFailed to a new value (e.g. today's date) and run pulumi up",
  );
});

test("reading moves: one listing, statistics for failed moves first within the limit, the user's reason for the rest", async () => {
  const sent: [string, unknown][] = [];
  const rows = [
    { Name: "a", ExchangeGuid: "00000000-0000-4000-8000-00000000000a", Status: "InProgress" },
    { Name: "b", ExchangeGuid: "00000000-0000-4000-8000-00000000000b", Status: "Failed" },
    { Name: "c", ExchangeGuid: "00000000-0000-4000-8000-00000000000c", Status: "Failed" },
    { Name: "d", ExchangeGuid: "00000000-0000-4000-8000-00000000000d", Status: "Completed" },
  ];
  const client = {
    settings: { domain: "contoso.onmicrosoft.com", exchangeConcurrency: 2 },
    exchange: {
      invoke: async (cmdlet: string, params: Record<string, unknown>) => {
        sent.push([cmdlet, params]);
        if (cmdlet === "Get-MoveRequest") return { value: rows };
        return {
          value: [
            {
              Status: "Failed",
              StatusDetail: "FailedOther",
              PercentComplete: 10,
              BytesTransferred: "54 MB (56,623,104 bytes)",
              FailureType: "MissingExchangeGuidException",
              Message: "Error: MissingExchangeGuidException: no guid",
            },
          ],
        };
      },
    },
  } as unknown as TenantClient;
  const users = ["a", "b", "c", "d", "e"].map((x) => ({
    address: `${x}@contoso.com`,
    mailboxGuid: `00000000-0000-4000-8000-00000000000${x}`,
    error: x === "c" ? "CrossTenantMigrationWithoutLicensePermanentException: No license" : "",
  }));
  const moves = await readMoves(client, "w1", users, { limit: 1 });
  expect(sent).toEqual([
    ["Get-MoveRequest", { BatchName: "MigrationService:w1", ResultSize: "Unlimited" }],
    ["Get-MoveRequestStatistics", { Identity: "00000000-0000-4000-8000-00000000000b" }],
  ]);
  // e has no move request (not started by the move service): no entry.
  expect(moves.map((m) => [m.address, m.status, m.percent])).toEqual([
    ["a@contoso.com", "InProgress", null],
    ["b@contoso.com", "Failed", 10],
    ["c@contoso.com", "Failed", null],
    ["d@contoso.com", "Completed", 100],
  ]);
  expect(moves[1]).toMatchObject({
    failure: "Error: MissingExchangeGuidException: no guid",
    next: expect.stringMatching(/restamps it/),
  });
  expect(moves[2]).toMatchObject({
    failure: "CrossTenantMigrationWithoutLicensePermanentException: No license",
    next: expect.stringMatching(/^assign the Cross Tenant User Data Migration licence/),
  });
});
