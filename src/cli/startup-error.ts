/** A start that cannot go on for a reason the operator can fix: `kilonova` prints its message alone and exits 1. */
export class StartupError extends Error {}
