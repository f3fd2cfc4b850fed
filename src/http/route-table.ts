/**
 * Every route the HTTP server holds, as registered: method, full URL (with the
 * service prefix) and the route's own config. Tools that must cover every
 * endpoint (the generated hostile-input suite, API listings) read this rather
 * than a hand-kept list that drifts from the code.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';

export interface RouteEntry {
  method: string;
  url: string;
  /** The route's config (e.g. `public` for routes that need no token). */
  config: Record<string, unknown>;
}

const tables = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Starts recording; call on the root instance before any service registers routes. */
export function recordRoutes(app: FastifyInstance): void {
  const table: RouteEntry[] = [];
  tables.set(app, table);
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      table.push({ method, url: route.url, config: (route.config ?? {}) as Record<string, unknown> });
    }
  });
}

/** The routes recorded on this server, in registration order. */
export function routeTable(app: FastifyInstance): readonly RouteEntry[] {
  return tables.get(app) ?? [];
}
