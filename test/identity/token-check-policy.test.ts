import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { databaseTargets } from '../helpers/databases.js';
import { testLogger } from '../helpers/logger.js';
import { createHttpServer } from '../../src/http/server.js';
import { syncDatabase } from '../../src/db/migrate.js';
import { identityMigrations } from '../../src/identity/migrations.js';
import { IdentityService } from '../../src/identity/service.js';
import { identityApi } from '../../src/identity/api/routes.js';
import type { DatabaseHandle } from '../../src/db/database.js';

const [sqlite] = await databaseTargets();

describe('identity policy: who may check and validate another user\'s token', () => {
  let handle: DatabaseHandle & { dispose(): Promise<void> };
  let app: FastifyInstance;
  const tokens: Record<'admin' | 'demo' | 'service', string> = { admin: '', demo: '', service: '' };

  const issue = async (user: string, password: string, project: string) => {
    const res = await app.inject({ method: 'POST', url: '/identity/v3/auth/tokens', payload: { auth: {
      identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } },
      scope: { project: { name: project, domain: { id: 'default' } } },
    } } });
    assert.equal(res.statusCode, 201, res.body);
    return res.headers['x-subject-token'] as string;
  };
  const asAdmin = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => {
    const res = await app.inject({ method, url: `/identity/v3${url}`, headers: { 'x-auth-token': tokens.admin }, payload });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.body ? res.json() : undefined;
  };
  const onToken = (method: 'GET' | 'HEAD', as: keyof typeof tokens, subject: keyof typeof tokens) =>
    app.inject({ method, url: '/identity/v3/auth/tokens', headers: { 'x-auth-token': tokens[as], 'x-subject-token': tokens[subject] } });

  before(async () => {
    handle = await sqlite!.open();
    await syncDatabase(handle.db, [identityMigrations]);
    const identity = new IdentityService({
      db: handle.db, logger: testLogger, tokenExpirationSeconds: 3600, region: 'RegionOne', passwordHashCost: { N: 1024, r: 8, p: 1 },
    });
    await identity.bootstrap({ adminPassword: 'admin-pw', demoPassword: 'demo-pw' });
    app = createHttpServer({ logger: testLogger });
    await app.register(identityApi, { prefix: '/identity', identity });
    await app.ready();
    tokens.admin = await issue('admin', 'admin-pw', 'admin');
    tokens.demo = await issue('demo', 'demo-pw', 'demo');
    // A service user as a deployment makes one: the service role on the service project.
    const role = (await asAdmin('POST', '/roles', { role: { name: 'service' } })).role;
    const user = (await asAdmin('POST', '/users', { user: { name: 'nova', password: 'svc-pw', domain_id: 'default' } })).user;
    const project = (await asAdmin('GET', '/projects?name=service')).projects[0];
    await asAdmin('PUT', `/projects/${project.id}/users/${user.id}/roles/${role.id}`);
    tokens.service = await issue('nova', 'svc-pw', 'service');
  });
  after(async () => {
    await app.close();
    await handle.dispose();
  });

  test('the service role may validate another user\'s token but not check it', async () => {
    assert.equal((await onToken('GET', 'service', 'demo')).statusCode, 200);
    assert.equal((await onToken('HEAD', 'service', 'demo')).statusCode, 403);
  });

  test('an admin may validate and check, the subject its own token, another member neither', async () => {
    assert.equal((await onToken('GET', 'admin', 'demo')).statusCode, 200);
    assert.equal((await onToken('HEAD', 'admin', 'demo')).statusCode, 200);
    assert.equal((await onToken('HEAD', 'demo', 'demo')).statusCode, 200);
    assert.equal((await onToken('GET', 'demo', 'service')).statusCode, 403);
    assert.equal((await onToken('HEAD', 'demo', 'service')).statusCode, 403);
  });
});
