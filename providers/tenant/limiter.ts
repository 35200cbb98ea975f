// Exchange Online limits are per tenant and unpublished, and the Pulumi host runs every resource's RPCs
// in one process concurrently. So one gate per tenant, shared by every client of that tenant (REST and
// PowerShell alike) in the process.

export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** Highest number of tasks seen running at once; tests read it. */
  peak = 0;
  constructor(readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    this.peak = Math.max(this.peak, this.active);
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` never dips and a newcomer cannot jump the queue.
      if (next) next();
      else this.active--;
    }
  }

  get inFlight(): number {
    return this.active;
  }
}

const byTenant = new Map<string, Limiter>();

/**
 * The process-wide gate for a tenant. The first caller's limit wins: every client of one stack reads the
 * same `exchangeConcurrency`, and changing a gate under waiting tasks would break its accounting.
 */
export function tenantLimiter(tenantId: string, limit: number): Limiter {
  const key = tenantId.toLowerCase();
  let l = byTenant.get(key);
  if (!l) {
    l = new Limiter(Math.max(1, Math.floor(limit)));
    byTenant.set(key, l);
  }
  return l;
}

/** Tests start each case with fresh gates. */
export function resetTenantLimiters(): void {
  byTenant.clear();
}
