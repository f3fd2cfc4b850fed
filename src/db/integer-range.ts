/**
 * The range of the `integer` columns every dialect shares. PostgreSQL stores
 * them in 32 bits and refuses a wider value as an error, where SQLite would
 * take it: input is checked against this range before it reaches SQL, so both
 * dialects answer alike.
 */
export const INT32_MAX = 2 ** 31 - 1;
export const INT32_MIN = -(2 ** 31);

export function fitsInt32(n: number): boolean {
  return Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX;
}

/** `n` moved into the 32-bit range: for filters where anything beyond the range would match the same rows as its edge. */
export function clampInt32(n: number): number {
  return Math.min(Math.max(n, INT32_MIN), INT32_MAX);
}
