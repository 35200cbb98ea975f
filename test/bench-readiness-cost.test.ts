// How the bench turns the emulator's request log into a readiness check's cost (scripts/benchReadiness.ts):
// only requests after the mark count, each by tenant (the tenant id in the Exchange path) and cmdlet; the
// per-user reads are told apart from the bulk reads; the latency bound takes the busier tenant's calls at the
// per-tenant concurrency plus one latency for Graph.

import type { Emulator } from "../emulator";
import type { RequestRecord } from "../emulator/server";
import { readinessCost } from "../scripts/benchReadiness";

const SOURCE = "11111111-1111-4111-8111-111111111111";
const TARGET = "22222222-2222-4222-8222-222222222222";
const exo = (tenant: string, cmdlet: string): RequestRecord => ({
  surface: "exchange",
  method: "POST",
  path: `/adminapi/beta/${tenant}/InvokeCommand`,
  cmdlet,
  status: 200,
  at: 0,
});
const graph = (path: string): RequestRecord => ({ surface: "graph", method: "GET", path, status: 200, at: 0 });
const fakeEmulator = (requests: RequestRecord[]) =>
  ({ requests, tenants: { source: { tenantId: SOURCE }, target: { tenantId: TARGET } } }) as unknown as Emulator;

test("counts only what follows the mark, per tenant and cmdlet, and separates the per-user reads", () => {
  const before = [exo(SOURCE, "Get-MailboxStatistics"), exo(TARGET, "New-MailUser")];
  const check = [
    exo(SOURCE, "Get-Mailbox"),
    ...Array.from({ length: 6 }, () => exo(SOURCE, "Get-MailboxStatistics")),
    exo(SOURCE, "Get-MailboxFolderStatistics"),
    exo(SOURCE, "Export-MailboxDiagnosticLogs"),
    exo(TARGET, "Get-MailUser"),
    ...Array.from({ length: 6 }, () => exo(TARGET, "Get-User")),
    graph("/v1.0/subscribedSkus"),
  ];
  const cost = readinessCost(fakeEmulator([...before, ...check]), before.length, 900, 100, 2);
  expect(cost.exchangeCalls.source).toBe(9);
  expect(cost.exchangeCalls.target).toBe(7);
  expect(cost.exchangeCalls.sourceByCmdlet).toEqual({
    "Get-Mailbox": 1,
    "Get-MailboxStatistics": 6,
    "Get-MailboxFolderStatistics": 1,
    "Export-MailboxDiagnosticLogs": 1,
  });
  expect(cost.perUserCalls).toBe(14);
  expect(cost.perUserByCmdlet).toEqual({
    "Get-MailboxStatistics": 6,
    "Get-MailboxFolderStatistics": 1,
    "Export-MailboxDiagnosticLogs": 1,
    "Get-User": 6,
  });
  expect(cost.graphCalls).toBe(1);
  // Export-MailboxDiagnosticLogs only reads: not a write, though its verb is not Get- or Test-.
  expect(cost.writes).toBe(0);
  // max(9, 7) x 100 ms / 2 + 100 ms for Graph.
  expect(cost.lowerBoundMs).toBe(550);
  expect(cost.ratioToLowerBound).toBe(+(900 / 550).toFixed(3));
});

test("a repeat with bulk reads only has no per-user calls, and no Graph latency without Graph calls", () => {
  const cost = readinessCost(fakeEmulator([exo(SOURCE, "Get-Mailbox"), exo(TARGET, "Get-MailUser")]), 0, 10, 100, 2);
  expect(cost.perUserCalls).toBe(0);
  expect(cost.perUserByCmdlet).toEqual({});
  expect(cost.lowerBoundMs).toBe(50);
});
