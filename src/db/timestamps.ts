/** Row timestamps, apart from schema-helpers.ts so that code without a database (a compute host) can take them without loading Kysely. */

/** Timestamps are ISO-8601 UTC text on both dialects, so they compare and sort the same. */
export function nowIso(): string {
  return new Date().toISOString();
}

let lastIncreasingMs = 0;

/**
 * nowIso, but strictly increasing within the process, for rows whose
 * created_at decides an order (a network's subnets, which IP allocation tries
 * in creation order) even when two are made within one millisecond. Only for
 * rare writes: each call within a millisecond moves the clock on by one.
 */
export function increasingNowIso(): string {
  lastIncreasingMs = Math.max(Date.now(), lastIncreasingMs + 1);
  return new Date(lastIncreasingMs).toISOString();
}
