/**
 * /os-keypairs: per-user key pairs. 2.2 adds the key type (and 201/204
 * statuses), 2.10 lets an admin act for another user_id, 2.35 pages the list,
 * 2.92 requires the public key (no generation) and allows @ and . in names.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as keypairs from '../keypairs.js';
import type { ComputeApiDeps } from './deps.js';
import { effectiveLimits } from '../quota.js';
import { checkName, nonNegativeIntQuery, queryParam, rejectUnknownQuery, validateInput } from './schemas/flavors.js';
import {
  KEYPAIR_INDEX_QUERY, KEYPAIR_ITEM_QUERY, keypairCreateV21, keypairCreateV210, keypairCreateV22, keypairCreateV292, type KeypairCreateBody,
} from './schemas/keypairs.js';
import { linkBase, nextLinks } from './views/flavors.js';
import { keypairCreated, keypairIndexItem, keypairShow } from './views/keypairs.js';

const POLICY = 'os_compute_api:os-keypairs:';

type NameParams = { name: string };

export function registerKeypairRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { db, policy, conf } = deps;
  const versionPrefix = app.prefix;

  /** The user acted on: ?user_id= from 2.10 (the policy decides who may), else the caller. */
  function targetUser(request: FastifyRequest, known: readonly string[]): string {
    if (request.apiVersion.atLeast('2.75')) rejectUnknownQuery(request, known);
    const asked = request.apiVersion.atLeast('2.10') ? queryParam(request, 'user_id') : undefined;
    return asked || request.auth.userId;
  }

  app.get('/os-keypairs', async (request) => {
    const v = request.apiVersion;
    const userId = targetUser(request, KEYPAIR_INDEX_QUERY);
    policy.authorize(`${POLICY}index`, { user_id: userId }, request.auth);
    const paged = v.atLeast('2.35');
    const limit = paged ? Math.min(nonNegativeIntQuery(request, 'limit') ?? conf.api.max_limit, conf.api.max_limit) : undefined;
    const rows = await keypairs.listKeyPairs(db, userId, { limit, marker: paged ? queryParam(request, 'marker') : undefined });
    const out: Record<string, unknown> = { keypairs: rows.map((k) => keypairIndexItem(k, v.atLeast('2.2'))) };
    if (paged) {
      const links = nextLinks(request, linkBase(request, versionPrefix), 'os-keypairs', rows.length, rows.at(-1)?.name, conf.api.max_limit);
      if (links.length > 0) out.keypairs_links = links;
    }
    return out;
  });

  app.post('/os-keypairs', async (request, reply) => {
    const v = request.apiVersion;
    const schema = v.atLeast('2.92') ? keypairCreateV292 : v.atLeast('2.10') ? keypairCreateV210 : v.atLeast('2.2') ? keypairCreateV22 : keypairCreateV21;
    const { keypair: params } = validateInput<KeypairCreateBody>(request, schema, request.body);
    checkName('name', params.name);
    const userId = (v.atLeast('2.10') ? params.user_id : undefined) || request.auth.userId;
    policy.authorize(`${POLICY}create`, { user_id: userId }, request.auth);
    const req = { userId, name: params.name.trim(), type: params.type ?? 'ssh', quota: (await effectiveLimits(db, conf.quota, request.auth.projectId, userId)).user.key_pairs } as const;
    let body;
    if (params.public_key !== undefined) {
      body = keypairCreated(await keypairs.importKeyPair(db, req, params.public_key), v.atLeast('2.2'));
    } else {
      const { keypair, privateKey } = await keypairs.createKeyPair(db, req);
      body = keypairCreated(keypair, v.atLeast('2.2'), privateKey);
    }
    return reply.code(v.atLeast('2.2') ? 201 : 200).send(body);
  });

  app.get<{ Params: NameParams }>('/os-keypairs/:name', async (request) => {
    const userId = targetUser(request, KEYPAIR_ITEM_QUERY);
    policy.authorize(`${POLICY}show`, { user_id: userId }, request.auth);
    return keypairShow(await keypairs.getKeyPair(db, userId, request.params.name), request.apiVersion.atLeast('2.2'));
  });

  app.delete<{ Params: NameParams }>('/os-keypairs/:name', async (request, reply) => {
    const userId = targetUser(request, KEYPAIR_ITEM_QUERY);
    policy.authorize(`${POLICY}delete`, { user_id: userId }, request.auth);
    await keypairs.deleteKeyPair(db, userId, request.params.name);
    return reply.code(request.apiVersion.atLeast('2.2') ? 204 : 202).send();
  });
}
