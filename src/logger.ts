import type { Logger } from 'pino';

/**
 * A child logger with these bindings, less those its parent already binds to
 * the same value: pino writes a child's binding again even when the parent has
 * it, and log tools read a key written twice as one or the other. A process's
 * logger binds its host; the services and agents in it bind theirs too.
 */
export function childLogger(parent: Logger, bindings: Record<string, unknown>): Logger {
  const bound = parent.bindings();
  return parent.child(Object.fromEntries(Object.entries(bindings).filter(([key, value]) => bound[key] !== value)));
}
