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

const BASE = 'http://cloud.example:8774';

function passwordAuth(user: Record<string, unknown>, password: string, scope?: unknown): unknown {
  return { auth: { identity: { methods: ['password'], password: { user: { ...user, password } } }, ...(scope ? { scope } : {}) } };
}

function assertIdentityError(res: { statusCode: number; json(): any }, status: number): void {
  assert.equal(res.statusCode, status);
  const body = res.json();
  assert.equal(body.error.code, status);
  assert.equal(typeof body.error.message, 'string');
  assert.equal(typeof body.error.title, 'string');
}

const [sqlite] = await databaseTargets();

describe('identity HTTP API', () => {
  let handle: DatabaseHandle & { dispose(): Promise<void> };
  let app: FastifyInstance;
  let identity: IdentityService;
  let adminToken: string;
  let demoToken: string;
  let demoUserId: string;
  let demoProjectId: string;
  let adminUserId: string;

  const issue = async (body: unknown) => app.inject({ method: 'POST', url: '/identity/v3/auth/tokens', payload: body as object });
  const as = (token: string) => ({ 'x-auth-token': token });

  before(async () => {
    handle = await sqlite!.open();
    await syncDatabase(handle.db, [identityMigrations]);
    identity = new IdentityService({
      db: handle.db, logger: testLogger, tokenExpirationSeconds: 3600, region: 'RegionOne',
      passwordHashCost: { N: 1024, r: 8, p: 1 },
    });
    await identity.bootstrap({ adminPassword: 'admin-pw', demoPassword: 'demo-pw' });
    app = createHttpServer({ logger: testLogger });
    await app.register(identityApi, { prefix: '/identity', identity });
    await app.ready();
    identity.setPublicEndpoint(BASE);

    const a = await issue(passwordAuth({ name: 'admin', domain: { name: 'Default' } }, 'admin-pw', { project: { name: 'admin', domain: { name: 'Default' } } }));
    adminToken = a.headers['x-subject-token'] as string;
    adminUserId = a.json().token.user.id;
    const d = await issue(passwordAuth({ name: 'demo', domain: { id: 'default' } }, 'demo-pw', { project: { name: 'demo', domain: { id: 'default' } } }));
    demoToken = d.headers['x-subject-token'] as string;
    demoUserId = d.json().token.user.id;
    demoProjectId = d.json().token.project.id;
  });
  after(async () => {
    await app.close();
    await handle.dispose();
  });

  describe('version discovery', () => {
    test('GET / answers 300 with the v3 version for keystoneauth', async () => {
      const res = await app.inject({ method: 'GET', url: '/identity' });
      assert.equal(res.statusCode, 300);
      const values = res.json().versions.values;
      assert.equal(values.length, 1);
      assert.equal(values[0].id, 'v3.14');
      assert.equal(values[0].status, 'stable');
      assert.deepEqual(values[0].links, [{ rel: 'self', href: `${BASE}/identity/v3/` }]);
      assert.deepEqual(values[0]['media-types'], [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }]);
    });

    test('GET /v3 answers the version document without a token', async () => {
      const res = await app.inject({ method: 'GET', url: '/identity/v3' });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().version.links[0].href, `${BASE}/identity/v3/`);
      const slash = await app.inject({ method: 'GET', url: '/identity/v3/' });
      assert.equal(slash.statusCode, 200);
    });
  });

  describe('POST /v3/auth/tokens', () => {
    test('password by name and domain name, project scope: the full token body', async () => {
      const res = await issue(passwordAuth({ name: 'admin', domain: { name: 'Default' } }, 'admin-pw', { project: { name: 'admin', domain: { name: 'Default' } } }));
      assert.equal(res.statusCode, 201);
      assert.match(String(res.headers['x-subject-token']), /^[A-Za-z0-9_.-]+$/);
      const t = res.json().token;
      assert.deepEqual(t.methods, ['password']);
      assert.equal(t.user.name, 'admin');
      assert.deepEqual(t.user.domain, { id: 'default', name: 'Default' });
      assert.equal(t.user.password_expires_at, null);
      assert.equal(t.project.name, 'admin');
      assert.deepEqual(t.project.domain, { id: 'default', name: 'Default' });
      assert.equal(t.is_domain, false);
      assert.deepEqual(t.roles.map((r: any) => r.name).sort(), ['admin', 'member', 'reader']);
      for (const r of t.roles) assert.match(r.id, /^[0-9a-f]{32}$/);
      assert.match(t.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      assert.match(t.issued_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      assert.equal(t.audit_ids.length, 1);
    });

    test('the catalog has every service with public, internal and admin endpoints', async () => {
      const res = await issue(passwordAuth({ name: 'demo', domain: { id: 'default' } }, 'demo-pw', { project: { name: 'demo', domain: { id: 'default' } } }));
      const catalog = res.json().token.catalog as any[];
      const byType = new Map(catalog.map((s) => [s.type, s]));
      assert.deepEqual([...byType.keys()].sort(), ['compute', 'identity', 'image', 'network', 'placement']);
      assert.equal(byType.get('identity').name, 'keystone');
      assert.equal(byType.get('compute').name, 'nova');
      assert.equal(byType.get('image').name, 'glance');
      assert.equal(byType.get('network').name, 'neutron');
      assert.equal(byType.get('placement').name, 'placement');
      const urls: Record<string, string> = {
        identity: `${BASE}/identity`, compute: `${BASE}/compute/v2.1`, image: `${BASE}/image`,
        network: `${BASE}/network`, placement: `${BASE}/placement`,
      };
      for (const s of catalog) {
        assert.match(s.id, /^[0-9a-f]{32}$/);
        assert.deepEqual(s.endpoints.map((e: any) => e.interface).sort(), ['admin', 'internal', 'public']);
        for (const e of s.endpoints) {
          assert.equal(e.url, urls[s.type]);
          assert.equal(e.region, 'RegionOne');
          assert.equal(e.region_id, 'RegionOne');
          assert.match(e.id, /^[0-9a-f]{32}$/);
        }
      }
    });

    test('password by user id, project by id', async () => {
      const res = await issue(passwordAuth({ id: demoUserId }, 'demo-pw', { project: { id: demoProjectId } }));
      assert.equal(res.statusCode, 201);
      assert.equal(res.json().token.project.id, demoProjectId);
    });

    test('unscoped: no project, roles or catalog', async () => {
      const res = await issue(passwordAuth({ name: 'demo', domain: { name: 'Default' } }, 'demo-pw'));
      assert.equal(res.statusCode, 201);
      const t = res.json().token;
      assert.equal(t.project, undefined);
      assert.equal(t.roles, undefined);
      assert.equal(t.catalog, undefined);
      // ...and it can be exchanged for a scoped one with the token method
      const rescoped = await issue({ auth: { identity: { methods: ['token'], token: { id: res.headers['x-subject-token'] } }, scope: { project: { id: demoProjectId } } } });
      assert.equal(rescoped.statusCode, 201);
      assert.deepEqual(rescoped.json().token.methods, ['token', 'password']);
      assert.equal(rescoped.json().token.project.id, demoProjectId);
    });

    test('?nocatalog leaves the catalog out', async () => {
      const res = await app.inject({ method: 'POST', url: '/identity/v3/auth/tokens?nocatalog', payload: passwordAuth({ id: demoUserId }, 'demo-pw', { project: { id: demoProjectId } }) as object });
      assert.equal(res.statusCode, 201);
      assert.equal(res.json().token.catalog, undefined);
    });

    test('wrong password, unknown user, foreign project: 401 in the identity error style', async () => {
      const wrong = await issue(passwordAuth({ name: 'admin', domain: { name: 'Default' } }, 'nope'));
      assertIdentityError(wrong, 401);
      assert.equal(wrong.headers['x-subject-token'], undefined);
      assertIdentityError(await issue(passwordAuth({ name: 'ghost', domain: { name: 'Default' } }, 'x')), 401);
      assertIdentityError(await issue(passwordAuth({ name: 'admin', domain: { name: 'Nowhere' } }, 'admin-pw')), 401);
      assertIdentityError(await issue(passwordAuth({ id: demoUserId }, 'demo-pw', { project: { name: 'admin', domain: { id: 'default' } } })), 401);
      assertIdentityError(await issue(passwordAuth({ id: demoUserId }, 'demo-pw', { project: { id: 'no-such-project' } })), 401);
      assertIdentityError(await issue({ auth: { identity: { methods: ['token'], token: { id: 'bogus' } } } }), 401);
    });

    const malformed: Array<[string, unknown]> = [
      ['no auth', {}],
      ['auth is a string', { auth: 'x' }],
      ['no identity', { auth: {} }],
      ['methods missing', { auth: { identity: {} } }],
      ['methods not a list', { auth: { identity: { methods: 'password' } } }],
      ['methods empty', { auth: { identity: { methods: [] } } }],
      ['password block missing', { auth: { identity: { methods: ['password'] } } }],
      ['user missing', { auth: { identity: { methods: ['password'], password: {} } } }],
      ['user name without domain', { auth: { identity: { methods: ['password'], password: { user: { name: 'admin', password: 'x' } } } } }],
      ['user name wrong type', { auth: { identity: { methods: ['password'], password: { user: { name: 42, domain: { id: 'default' }, password: 'x' } } } } }],
      ['password wrong type', { auth: { identity: { methods: ['password'], password: { user: { id: 'x', password: 42 } } } } }],
      ['token id missing', { auth: { identity: { methods: ['token'], token: {} } } }],
      ['scope not an object', { auth: { identity: { methods: ['password'], password: { user: { id: 'x', password: 'y' } } }, scope: 5 } }],
      ['project scope without domain', { auth: { identity: { methods: ['password'], password: { user: { id: 'x', password: 'y' } } }, scope: { project: { name: 'demo' } } } }],
      ['domain scope', { auth: { identity: { methods: ['password'], password: { user: { id: 'x', password: 'y' } } }, scope: { domain: { id: 'default' } } } }],
      ['a list', []],
    ];
    for (const [what, body] of malformed) {
      test(`malformed body (${what}) is 400`, async () => {
        assertIdentityError(await issue(body), 400);
      });
    }

    test('invalid JSON is 400', async () => {
      const res = await app.inject({ method: 'POST', url: '/identity/v3/auth/tokens', headers: { 'content-type': 'application/json' }, payload: '{"auth": ' });
      assertIdentityError(res, 400);
    });
  });

  describe('token validation and revocation', () => {
    test('GET /v3/auth/tokens validates the subject token', async () => {
      const res = await app.inject({ method: 'GET', url: '/identity/v3/auth/tokens', headers: { ...as(adminToken), 'x-subject-token': demoToken } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['x-subject-token'], demoToken);
      assert.equal(res.json().token.user.name, 'demo');
      assert.ok(Array.isArray(res.json().token.catalog));
      const nocat = await app.inject({ method: 'GET', url: '/identity/v3/auth/tokens?nocatalog', headers: { ...as(adminToken), 'x-subject-token': demoToken } });
      assert.equal(nocat.json().token.catalog, undefined);
    });

    test('HEAD checks a token; a user may check its own but not another user\'s', async () => {
      const own = await app.inject({ method: 'HEAD', url: '/identity/v3/auth/tokens', headers: { ...as(demoToken), 'x-subject-token': demoToken } });
      assert.equal(own.statusCode, 200);
      const other = await app.inject({ method: 'GET', url: '/identity/v3/auth/tokens', headers: { ...as(demoToken), 'x-subject-token': adminToken } });
      assertIdentityError(other, 403);
    });

    test('an invalid subject is 404, a missing one 400, a missing X-Auth-Token 401', async () => {
      assertIdentityError(await app.inject({ method: 'GET', url: '/identity/v3/auth/tokens', headers: { ...as(adminToken), 'x-subject-token': 'k1.bad.bad' } }), 404);
      assertIdentityError(await app.inject({ method: 'GET', url: '/identity/v3/auth/tokens', headers: as(adminToken) }), 400);
      const noAuth = await app.inject({ method: 'GET', url: '/identity/v3/auth/tokens', headers: { 'x-subject-token': demoToken } });
      assertIdentityError(noAuth, 401);
      assert.match(String(noAuth.headers['www-authenticate']), /Keystone uri=/);
    });

    test('DELETE revokes: the token no longer validates or authenticates', async () => {
      const t = (await issue(passwordAuth({ id: demoUserId }, 'demo-pw', { project: { id: demoProjectId } }))).headers['x-subject-token'] as string;
      const del = await app.inject({ method: 'DELETE', url: '/identity/v3/auth/tokens', headers: { ...as(t), 'x-subject-token': t } });
      assert.equal(del.statusCode, 204);
      assertIdentityError(await app.inject({ method: 'GET', url: '/identity/v3/auth/tokens', headers: { ...as(adminToken), 'x-subject-token': t } }), 404);
      assertIdentityError(await app.inject({ method: 'GET', url: '/identity/v3/auth/projects', headers: as(t) }), 401);
    });

    test('GET /v3/auth/catalog and /v3/auth/projects', async () => {
      const cat = await app.inject({ method: 'GET', url: '/identity/v3/auth/catalog', headers: as(demoToken) });
      assert.equal(cat.statusCode, 200);
      assert.equal(cat.json().catalog.length, 5);
      const projects = await app.inject({ method: 'GET', url: '/identity/v3/auth/projects', headers: as(demoToken) });
      assert.deepEqual(projects.json().projects.map((p: any) => p.name), ['demo']);
      const unscoped = (await issue(passwordAuth({ id: demoUserId }, 'demo-pw'))).headers['x-subject-token'] as string;
      assertIdentityError(await app.inject({ method: 'GET', url: '/identity/v3/auth/catalog', headers: as(unscoped) }), 403);
      const fromUnscoped = await app.inject({ method: 'GET', url: '/identity/v3/auth/projects', headers: as(unscoped) });
      assert.deepEqual(fromUnscoped.json().projects.map((p: any) => p.name), ['demo']);
    });
  });

  describe('projects, users, roles and grants', () => {
    test('admin lists projects (with a name filter); demo may not', async () => {
      const all = await app.inject({ method: 'GET', url: '/identity/v3/projects', headers: as(adminToken) });
      assert.equal(all.statusCode, 200);
      assert.deepEqual(all.json().projects.map((p: any) => p.name), ['admin', 'demo', 'service']);
      assert.equal(all.json().links.self, `${BASE}/identity/v3/projects`);
      const one = await app.inject({ method: 'GET', url: '/identity/v3/projects?name=demo', headers: as(adminToken) });
      assert.deepEqual(one.json().projects.map((p: any) => p.id), [demoProjectId]);
      assertIdentityError(await app.inject({ method: 'GET', url: '/identity/v3/projects', headers: as(demoToken) }), 403);
    });

    test('a user reads its own project and itself, not others', async () => {
      const own = await app.inject({ method: 'GET', url: `/identity/v3/projects/${demoProjectId}`, headers: as(demoToken) });
      assert.equal(own.statusCode, 200);
      assert.equal(own.json().project.name, 'demo');
      assert.equal(own.json().project.domain_id, 'default');
      assert.equal(own.json().project.links.self, `${BASE}/identity/v3/projects/${demoProjectId}`);
      const adminProjectId = (await identity.store.findProject('admin', 'default'))!.id;
      assertIdentityError(await app.inject({ method: 'GET', url: `/identity/v3/projects/${adminProjectId}`, headers: as(demoToken) }), 403);
      assertIdentityError(await app.inject({ method: 'GET', url: '/identity/v3/projects/nope', headers: as(demoToken) }), 403);
      assertIdentityError(await app.inject({ method: 'GET', url: '/identity/v3/projects/nope', headers: as(adminToken) }), 404);

      const me = await app.inject({ method: 'GET', url: `/identity/v3/users/${demoUserId}`, headers: as(demoToken) });
      assert.equal(me.statusCode, 200);
      assert.equal(me.json().user.name, 'demo');
      assert.equal(me.json().user.password, undefined);
      assertIdentityError(await app.inject({ method: 'GET', url: `/identity/v3/users/${adminUserId}`, headers: as(demoToken) }), 403);
      assertIdentityError(await app.inject({ method: 'GET', url: '/identity/v3/users', headers: as(demoToken) }), 403);
      const mine = await app.inject({ method: 'GET', url: `/identity/v3/users/${demoUserId}/projects`, headers: as(demoToken) });
      assert.deepEqual(mine.json().projects.map((p: any) => p.name), ['demo']);
      assertIdentityError(await app.inject({ method: 'GET', url: `/identity/v3/users/${adminUserId}/projects`, headers: as(demoToken) }), 403);
    });

    test('admin creates a project, a user and a role, grants it, and the user can log in', async () => {
      const p = await app.inject({ method: 'POST', url: '/identity/v3/projects', headers: as(adminToken), payload: { project: { name: 'team', description: 'the team', domain_id: 'default', enabled: true } } });
      assert.equal(p.statusCode, 201);
      const project = p.json().project;
      assert.equal(project.parent_id, 'default');
      assert.equal(project.is_domain, false);
      const dup = await app.inject({ method: 'POST', url: '/identity/v3/projects', headers: as(adminToken), payload: { project: { name: 'team' } } });
      assertIdentityError(dup, 409);

      const u = await app.inject({ method: 'POST', url: '/identity/v3/users', headers: as(adminToken), payload: { user: { name: 'zoe', password: 'zoe-pw', email: 'zoe@example.org', default_project_id: project.id } } });
      assert.equal(u.statusCode, 201);
      const user = u.json().user;
      assert.equal(user.email, 'zoe@example.org');
      assert.equal(user.default_project_id, project.id);
      assert.equal(user.domain_id, 'default');
      assert.equal(user.password, undefined);

      const r = await app.inject({ method: 'POST', url: '/identity/v3/roles', headers: as(adminToken), payload: { role: { name: 'auditor' } } });
      assert.equal(r.statusCode, 201);
      const role = r.json().role;
      const listed = await app.inject({ method: 'GET', url: '/identity/v3/roles?name=auditor', headers: as(adminToken) });
      assert.deepEqual(listed.json().roles.map((x: any) => x.id), [role.id]);

      const grantUrl = `/identity/v3/projects/${project.id}/users/${user.id}/roles/${role.id}`;
      assert.equal((await app.inject({ method: 'HEAD', url: grantUrl, headers: as(adminToken) })).statusCode, 404);
      assertIdentityError(await app.inject({ method: 'GET', url: grantUrl, headers: as(adminToken) }), 404);
      assert.equal((await app.inject({ method: 'PUT', url: grantUrl, headers: as(adminToken) })).statusCode, 204);
      assert.equal((await app.inject({ method: 'HEAD', url: grantUrl, headers: as(adminToken) })).statusCode, 204);
      assertIdentityError(await app.inject({ method: 'PUT', url: grantUrl, headers: as(demoToken) }), 403);
      const memberId = (await identity.store.findRoleByName('member'))!.id;
      assert.equal((await app.inject({ method: 'PUT', url: `/identity/v3/projects/${project.id}/users/${user.id}/roles/${memberId}`, headers: as(adminToken) })).statusCode, 204);
      assertIdentityError(await app.inject({ method: 'PUT', url: `/identity/v3/projects/${project.id}/users/${user.id}/roles/nope`, headers: as(adminToken) }), 404);

      const login = await issue(passwordAuth({ name: 'zoe', domain: { name: 'Default' } }, 'zoe-pw'));
      assert.equal(login.statusCode, 201);
      assert.equal(login.json().token.project.id, project.id, 'scoped to the default project');
      assert.deepEqual(login.json().token.roles.map((x: any) => x.name).sort(), ['auditor', 'member', 'reader']);

      const assignments = await app.inject({ method: 'GET', url: `/identity/v3/role_assignments?user.id=${user.id}&include_names`, headers: as(adminToken) });
      assert.equal(assignments.statusCode, 200);
      const ra = assignments.json().role_assignments;
      assert.equal(ra.length, 2);
      for (const a of ra) {
        assert.equal(a.user.name, 'zoe');
        assert.deepEqual(a.user.domain, { id: 'default', name: 'Default' });
        assert.equal(a.scope.project.name, 'team');
        assert.equal(typeof a.role.name, 'string');
        assert.match(a.links.assignment, /\/v3\/projects\/.+\/users\/.+\/roles\//);
      }
      const byProject = await app.inject({ method: 'GET', url: `/identity/v3/role_assignments?scope.project.id=${demoProjectId}`, headers: as(adminToken) });
      assert.deepEqual(byProject.json().role_assignments.map((a: any) => a.user.id), [demoUserId]);
      assert.equal(byProject.json().role_assignments[0].role.name, undefined);
      const effective = await app.inject({ method: 'GET', url: `/identity/v3/role_assignments?scope.project.id=${demoProjectId}&effective`, headers: as(adminToken) });
      assert.equal(effective.json().role_assignments.length, 2, 'member implies reader');
      assertIdentityError(await app.inject({ method: 'GET', url: '/identity/v3/role_assignments', headers: as(demoToken) }), 403);

      const patched = await app.inject({ method: 'PATCH', url: `/identity/v3/users/${user.id}`, headers: as(adminToken), payload: { user: { description: 'auditor of things' } } });
      assert.equal(patched.statusCode, 200);
      assert.equal(patched.json().user.description, 'auditor of things');
      assert.equal(patched.json().user.email, 'zoe@example.org');

      // the user changes its own password (no token needed, the original proves it)
      const wrongOriginal = await app.inject({ method: 'POST', url: `/identity/v3/users/${user.id}/password`, payload: { user: { original_password: 'bad', password: 'new-pw' } } });
      assertIdentityError(wrongOriginal, 401);
      const changed = await app.inject({ method: 'POST', url: `/identity/v3/users/${user.id}/password`, payload: { user: { original_password: 'zoe-pw', password: 'new-pw' } } });
      assert.equal(changed.statusCode, 204);
      assert.equal((await issue(passwordAuth({ id: user.id }, 'new-pw'))).statusCode, 201);
      assertIdentityError(await issue(passwordAuth({ id: user.id }, 'zoe-pw')), 401);
      assertIdentityError(await app.inject({ method: 'POST', url: `/identity/v3/users/${user.id}/password`, payload: { user: { password: 'x' } } }), 400);

      assert.equal((await app.inject({ method: 'DELETE', url: grantUrl, headers: as(adminToken) })).statusCode, 204);
      assertIdentityError(await app.inject({ method: 'DELETE', url: grantUrl, headers: as(adminToken) }), 404);
      assert.equal((await app.inject({ method: 'DELETE', url: `/identity/v3/roles/${role.id}`, headers: as(adminToken) })).statusCode, 204);
      assert.equal((await app.inject({ method: 'DELETE', url: `/identity/v3/users/${user.id}`, headers: as(adminToken) })).statusCode, 204);
      assertIdentityError(await app.inject({ method: 'DELETE', url: `/identity/v3/users/${user.id}`, headers: as(adminToken) }), 404);
      const projPatch = await app.inject({ method: 'PATCH', url: `/identity/v3/projects/${project.id}`, headers: as(adminToken), payload: { project: { description: 'renamed', tags: ['x'] } } });
      assert.equal(projPatch.json().project.description, 'renamed');
      assert.deepEqual(projPatch.json().project.tags, ['x']);
      assert.equal((await app.inject({ method: 'DELETE', url: `/identity/v3/projects/${project.id}`, headers: as(adminToken) })).statusCode, 204);
      assertIdentityError(await app.inject({ method: 'GET', url: `/identity/v3/projects/${project.id}`, headers: as(adminToken) }), 404);
    });

    test('demo may not create, update or delete', async () => {
      assertIdentityError(await app.inject({ method: 'POST', url: '/identity/v3/projects', headers: as(demoToken), payload: { project: { name: 'x' } } }), 403);
      assertIdentityError(await app.inject({ method: 'POST', url: '/identity/v3/users', headers: as(demoToken), payload: { user: { name: 'x' } } }), 403);
      assertIdentityError(await app.inject({ method: 'PATCH', url: `/identity/v3/users/${demoUserId}`, headers: as(demoToken), payload: { user: { name: 'x' } } }), 403);
      assertIdentityError(await app.inject({ method: 'DELETE', url: `/identity/v3/projects/${demoProjectId}`, headers: as(demoToken) }), 403);
      assertIdentityError(await app.inject({ method: 'GET', url: '/identity/v3/roles', headers: as(demoToken) }), 403);
    });

    const badBodies: Array<[string, string, string, unknown]> = [
      ['project without wrapper', 'POST', '/identity/v3/projects', { name: 'x' }],
      ['project name wrong type', 'POST', '/identity/v3/projects', { project: { name: 5 } }],
      ['project name empty', 'POST', '/identity/v3/projects', { project: { name: '' } }],
      ['project enabled wrong type', 'POST', '/identity/v3/projects', { project: { name: 'x', enabled: 'yes' } }],
      ['project tags not a list', 'POST', '/identity/v3/projects', { project: { name: 'x', tags: 'a' } }],
      ['user missing name', 'POST', '/identity/v3/users', { user: {} }],
      ['user password wrong type', 'POST', '/identity/v3/users', { user: { name: 'x', password: 1 } }],
      ['role is a list', 'POST', '/identity/v3/roles', { role: [] }],
      ['user patch wrong type', 'PATCH', '/identity/v3/users/whatever', { user: { enabled: 'no' } }],
    ];
    for (const [what, method, url, body] of badBodies) {
      test(`bad body (${what}) is 400`, async () => {
        assertIdentityError(await app.inject({ method: method as 'POST', url, headers: as(adminToken), payload: body as object }), 400);
      });
    }

    test('unknown ids are 404, unknown domains on create are 404', async () => {
      assertIdentityError(await app.inject({ method: 'GET', url: '/identity/v3/users/nope', headers: as(adminToken) }), 404);
      assertIdentityError(await app.inject({ method: 'GET', url: '/identity/v3/roles/nope', headers: as(adminToken) }), 404);
      assertIdentityError(await app.inject({ method: 'PATCH', url: '/identity/v3/projects/nope', headers: as(adminToken), payload: { project: { name: 'x' } } }), 404);
      assertIdentityError(await app.inject({ method: 'POST', url: '/identity/v3/users', headers: as(adminToken), payload: { user: { name: 'x', domain_id: 'nodomain' } } }), 404);
      assertIdentityError(await app.inject({ method: 'GET', url: '/identity/v3/no/such/path', headers: as(adminToken) }), 404);
    });
  });

  describe('domains, services, endpoints', () => {
    test('domains list and show', async () => {
      const list = await app.inject({ method: 'GET', url: '/identity/v3/domains', headers: as(adminToken) });
      assert.deepEqual(list.json().domains.map((d: any) => d.id), ['default']);
      const show = await app.inject({ method: 'GET', url: '/identity/v3/domains/default', headers: as(demoToken) });
      assert.equal(show.json().domain.name, 'Default');
      assertIdentityError(await app.inject({ method: 'GET', url: '/identity/v3/domains', headers: as(demoToken) }), 403);
    });

    test('services and endpoints come from the catalog', async () => {
      const services = (await app.inject({ method: 'GET', url: '/identity/v3/services', headers: as(adminToken) })).json().services;
      assert.equal(services.length, 5);
      const compute = services.find((s: any) => s.type === 'compute');
      assert.equal(compute.name, 'nova');
      const endpoints = (await app.inject({ method: 'GET', url: `/identity/v3/endpoints?service_id=${compute.id}&interface=public`, headers: as(adminToken) })).json().endpoints;
      assert.equal(endpoints.length, 1);
      assert.equal(endpoints[0].url, `${BASE}/compute/v2.1`);
      assert.equal((await app.inject({ method: 'GET', url: '/identity/v3/endpoints', headers: as(adminToken) })).json().endpoints.length, 15);
      assertIdentityError(await app.inject({ method: 'GET', url: '/identity/v3/services', headers: as(demoToken) }), 403);
      assertIdentityError(await app.inject({ method: 'GET', url: '/identity/v3/services/nope', headers: as(adminToken) }), 404);
    });
  });
});
