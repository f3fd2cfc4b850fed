/** The network API on a fresh bootstrapped service, and how the tests call it as one of the test users. */
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { authHeaders, staticTokens, type TEST_AUTH } from '../helpers/auth.js';
import type { DatabaseTarget } from '../helpers/databases.js';
import { testLogger } from '../helpers/logger.js';
import { ApiError } from '../../src/errors.js';
import { createHttpServer } from '../../src/http/server.js';
import { networkApi } from '../../src/network/api/routes.js';
import type { NetworkServiceOptions } from '../../src/network/service.js';
import { openNetworkService, type NetworkFixture } from './fixtures.js';

export type Who = keyof typeof TEST_AUTH;

export interface ApiResult { status: number; body: any; headers: Record<string, unknown> }

export interface NetworkApiFixture {
  fx: NetworkFixture;
  app: FastifyInstance;
  /** A request under /network (`url` starts with /v2.0 or is a discovery path); `who` null sends no token. */
  call(who: Who | null, method: string, url: string, payload?: unknown): Promise<ApiResult>;
  close(): Promise<void>;
}

export async function startNetworkApi(
  target: DatabaseTarget, adminProjectId: string, opts: Partial<NetworkServiceOptions> = {},
): Promise<NetworkApiFixture> {
  const fx = await openNetworkService(target, opts);
  await fx.svc.bootstrap({ adminProjectId });
  const app = createHttpServer({ logger: testLogger });
  await app.register(networkApi, { prefix: '/network', network: fx.svc, tokens: staticTokens });
  await app.ready();
  const call = async (who: Who | null, method: string, url: string, payload?: unknown) => {
    const res = await app.inject({
      method: method as 'GET', url: `/network${url}`,
      headers: { ...(who ? authHeaders(who) : {}), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
      payload: payload === undefined ? undefined : typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers };
  };
  return {
    fx, app, call,
    close: async () => {
      await app.close();
      await fx.dispose();
    },
  };
}

/** The body of an answer that has this status. */
export async function answered(p: Promise<ApiResult>, status: number): Promise<any> {
  const res = await p;
  assert.equal(res.status, status, JSON.stringify(res.body));
  return res.body;
}

/** A NeutronError of this status (and type, when given); its message. */
export async function neutronFault(p: Promise<ApiResult>, status: number, type?: string): Promise<string> {
  const res = await p;
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(typeof res.body.NeutronError.message, 'string');
  assert.equal(res.body.NeutronError.detail, '');
  if (type) assert.equal(res.body.NeutronError.type, type, JSON.stringify(res.body));
  return res.body.NeutronError.message;
}

/** A store call that fails with an ApiError of this status and Neutron type. */
export async function rejectsWithType(p: Promise<unknown>, status: number, type: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    assert.equal(err.status, status);
    assert.equal(err.type, type);
    return true;
  });
}
