/**
 * Awaits every promise, and only then fails with the first failure: kernel
 * changes run side by side never leave one still running behind the caller's
 * back (its catch may invalidate what it knows, or retry at once).
 */
export async function settled<T extends readonly unknown[]>(...promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(promises);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
