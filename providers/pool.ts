// Work over many items with a bounded number in flight: per-user reads and writes stay within what a tenant
// takes at once (its Exchange concurrency, or a resource's own width), and one failure does not abandon the rest.

/** Runs `fn` over `items`, at most `width` at a time; every item runs, and the failures come back in the order they failed. */
export async function eachBounded<T>(
  items: readonly T[],
  width: number,
  fn: (item: T) => Promise<void>,
): Promise<{ item: T; error: unknown }[]> {
  const failed: { item: T; error: unknown }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (error) {
        failed.push({ item, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
  return failed;
}

/** As eachBounded, then the first failure is thrown once the others have settled. */
export async function allBounded<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  const failed = await eachBounded(items, width, fn);
  if (failed.length) throw failed[0].error;
}
