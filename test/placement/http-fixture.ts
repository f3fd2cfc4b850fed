/** The placement API alone on a root server, for app.inject tests. */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createHttpServer } from '../../src/http/server.js';
import { placementApi } from '../../src/placement/api/routes.js';
import { authHeaders, staticTokens } from '../helpers/auth.js';
import { testLogger } from '../helpers/logger.js';
import type { DatabaseTarget } from '../helpers/databases.js';
import { openPlacement, type PlacementFixture } from './fixture.js';

export interface PlacementHttp extends PlacementFixture {
  app: FastifyInstance;
  /** app.inject as admin at the given microversion (default: latest). */
  call(method: string, url: string, opts?: { body?: unknown; version?: string | null; who?: 'admin' | 'demo' | 'reader'; raw?: string }): Promise<LightMyRequestResponse>;
}

export async function openPlacementHttp(target: DatabaseTarget): Promise<PlacementHttp> {
  const fx = await openPlacement(target);
  const app = createHttpServer({ logger: testLogger });
  await app.register(placementApi, { prefix: '/placement', placement: fx.placement, tokens: staticTokens });
  await app.ready();
  return {
    ...fx,
    app,
    call(method, url, opts = {}) {
      const headers: Record<string, string> = { ...authHeaders(opts.who ?? 'admin') };
      if (opts.version !== null) headers['openstack-api-version'] = `placement ${opts.version ?? 'latest'}`;
      const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
      if (payload !== undefined) headers['content-type'] = 'application/json';
      return app.inject({ method: method as 'GET', url: `/placement${url}`, headers, payload });
    },
    async dispose() {
      await app.close();
      await fx.dispose();
    },
  };
}

/** The one error of a placement error body. */
export function placementError(body: string): { status: number; title: string; detail: string; code: string; request_id: string } {
  const parsed = JSON.parse(body) as { errors: { status: number; title: string; detail: string; code: string; request_id: string }[] };
  if (!Array.isArray(parsed.errors) || parsed.errors.length !== 1) throw new Error(`not a placement error body: ${body}`);
  return parsed.errors[0]!;
}
