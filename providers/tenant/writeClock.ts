// How many writes this process has sent to each tenant. A read that several resources of one command share
// (tenant/sharedListing.ts) is kept only while no write has gone to its tenant since it was asked for: a
// preview, or an `up` that changes nothing, writes nothing, so its waves share one answer, while an `up` that
// stages users reads the tenant again after each change. A write counts when it is sent and again when it is
// answered, so a read that overlapped one (and may or may not show it) is not kept either.

const clocks = new Map<string, number>();

/** Exchange cmdlets that change nothing (the same rule the retry policy uses for idempotence). */
export const isReadCmdlet = (cmdlet: string): boolean => /^(Get|Test)-/i.test(cmdlet);

export function noteWrite(tenantId: string): void {
  clocks.set(tenantId, (clocks.get(tenantId) ?? 0) + 1);
}

export function writesSoFar(tenantId: string): number {
  return clocks.get(tenantId) ?? 0;
}

/** `send()` counted as a write before it goes and once it is answered (or fails). */
export async function asWrite<T>(tenantId: string, send: () => Promise<T>): Promise<T> {
  noteWrite(tenantId);
  try {
    return await send();
  } finally {
    noteWrite(tenantId);
  }
}
