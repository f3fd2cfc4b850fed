/**
 * The Keystone v3 resources beyond users, projects and roles, over HTTP on
 * both dialects: domains, groups, grants and role assignments, the stored
 * catalog, policy blobs, credentials, trusts and application credentials.
 */
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
const V3 = '/identity/v3';

type Res = { statusCode: number; headers: Record<string, unknown>; json(): any; body: string };

function assertFault(res: Res, status: number, pattern?: RegExp): void {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json();
  assert.equal(body.error.code, status);
  assert.equal(typeof body.error.title, 'string');
  if (pattern) assert.match(body.error.message, pattern);
}

for (const target of await databaseTargets()) {
  describe(`identity resources (${target.name})`, () => {
    let handle: DatabaseHandle & { dispose(): Promise<void> };
    let app: FastifyInstance;
    let identity: IdentityService;
    let admin: string;
    let demo: string;
    let demoUserId: string;
    let demoProjectId: string;
    let memberRoleId: string;
    let readerRoleId: string;

    const call = async (method: string, url: string, token?: string, payload?: unknown): Promise<Res> =>
      app.inject({ method: method as 'GET', url: `${V3}${url}`, headers: token ? { 'x-auth-token': token } : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
    const password = (user: object, pw: string, scope?: object) =>
      ({ auth: { identity: { methods: ['password'], password: { user: { ...user, password: pw } } }, ...(scope ? { scope } : {}) } });
    const issue = (body: unknown) => call('POST', '/auth/tokens', undefined, body);
    const tokenOf = (res: Res) => {
      assert.equal(res.statusCode, 201, res.body);
      return res.headers['x-subject-token'] as string;
    };

    before(async () => {
      handle = await target.open();
      await syncDatabase(handle.db, [identityMigrations]);
      identity = new IdentityService({
        db: handle.db, logger: testLogger, tokenExpirationSeconds: 3600, region: 'RegionOne', passwordHashCost: { N: 1024, r: 8, p: 1 },
      });
      await identity.bootstrap({ adminPassword: 'admin-pw', demoPassword: 'demo-pw' });
      app = createHttpServer({ logger: testLogger });
      await app.register(identityApi, { prefix: '/identity', identity });
      await app.ready();
      identity.setPublicEndpoint(BASE);
      admin = tokenOf(await issue(password({ name: 'admin', domain: { id: 'default' } }, 'admin-pw', { project: { name: 'admin', domain: { id: 'default' } } })));
      const d = await issue(password({ name: 'demo', domain: { id: 'default' } }, 'demo-pw', { project: { name: 'demo', domain: { id: 'default' } } }));
      demo = tokenOf(d);
      demoUserId = d.json().token.user.id;
      demoProjectId = d.json().token.project.id;
      const roles = (await call('GET', '/roles', admin)).json().roles as Array<{ id: string; name: string }>;
      memberRoleId = roles.find((r) => r.name === 'member')!.id;
      readerRoleId = roles.find((r) => r.name === 'reader')!.id;
    });
    after(async () => {
      await app.close();
      await handle.dispose();
    });

    describe('domains', () => {
      test('create, update, show; delete is refused until disabled, then cascades to projects, users and groups', async () => {
        const created = await call('POST', '/domains', admin, { domain: { name: 'd-cascade', description: 'first' } });
        assert.equal(created.statusCode, 201, created.body);
        const domain = created.json().domain;
        assert.equal(domain.enabled, true);
        assert.equal(domain.description, 'first');
        assert.equal(domain.links.self, `${BASE}${V3}/domains/${domain.id}`);

        const project = (await call('POST', '/projects', admin, { project: { name: 'p', domain_id: domain.id } })).json().project;
        const user = (await call('POST', '/users', admin, { user: { name: 'u', domain_id: domain.id, password: 'pw-1' } })).json().user;
        const group = (await call('POST', '/groups', admin, { group: { name: 'g', domain_id: domain.id } })).json().group;

        assertFault(await call('DELETE', `/domains/${domain.id}`, admin), 403, /disable it first/);
        const updated = await call('PATCH', `/domains/${domain.id}`, admin, { domain: { name: 'd-cascade-2', description: 'second', enabled: false } });
        assert.equal(updated.statusCode, 200, updated.body);
        assert.deepEqual([updated.json().domain.name, updated.json().domain.description, updated.json().domain.enabled], ['d-cascade-2', 'second', false]);
        assert.equal((await call('GET', `/domains/${domain.id}`, admin)).json().domain.name, 'd-cascade-2');

        assert.equal((await call('DELETE', `/domains/${domain.id}`, admin)).statusCode, 204);
        assertFault(await call('GET', `/domains/${domain.id}`, admin), 404);
        assertFault(await call('GET', `/projects/${project.id}`, admin), 404);
        assertFault(await call('GET', `/users/${user.id}`, admin), 404);
        assertFault(await call('GET', `/groups/${group.id}`, admin), 404);
      });

      test('a disabled domain is listed with the enabled filter only when asked for', async () => {
        const off = (await call('POST', '/domains', admin, { domain: { name: 'd-off', enabled: false } })).json().domain;
        assert.equal(off.description, '');
        const enabled = (await call('GET', '/domains?enabled=true', admin)).json().domains.map((d: any) => d.id);
        assert.ok(enabled.includes('default'));
        assert.ok(!enabled.includes(off.id));
        const byName = (await call('GET', '/domains?name=d-off', admin)).json().domains;
        assert.deepEqual(byName.map((d: any) => d.id), [off.id]);
      });

      test('the default domain can be neither disabled nor deleted', async () => {
        assertFault(await call('PATCH', '/domains/default', admin, { domain: { enabled: false } }), 403);
        assertFault(await call('DELETE', '/domains/default', admin), 403);
        assert.equal((await call('GET', '/domains/default', admin)).json().domain.enabled, true);
      });

      test('a duplicate name is 409, a bad body 400 in Keystone words, a member 403', async () => {
        await call('POST', '/domains', admin, { domain: { name: 'd-dup' } });
        assertFault(await call('POST', '/domains', admin, { domain: { name: 'd-dup' } }), 409);
        assertFault(await call('POST', '/domains', admin, { domain: { name: 5 } }), 400, /^Invalid input for field 'name': 5 is not of type 'string'$/);
        assertFault(await call('POST', '/domains', admin, { domain: { description: 'x' } }), 400, /'name' is a required property/);
        assertFault(await call('POST', '/domains', admin, { nodomain: {} }), 400, /Expecting to find domain in request body/);
        assertFault(await call('PATCH', '/domains/default', admin, { domain: {} }), 400, /does not have enough properties/);
        assertFault(await call('POST', '/domains', demo, { domain: { name: 'by-member' } }), 403);
        assertFault(await call('GET', '/domains/nope', admin), 404);
      });
    });

    describe('project hierarchy and tags', () => {
      test('a child project shows its parent, is found by parent_id, and its parent cannot go before it', async () => {
        const parent = (await call('POST', '/projects', admin, { project: { name: 'h-parent' } })).json().project;
        assert.equal(parent.parent_id, 'default');
        const created = await call('POST', '/projects', admin, { project: { name: 'h-child', parent_id: parent.id } });
        assert.equal(created.statusCode, 201, created.body);
        const child = created.json().project;
        assert.deepEqual([child.parent_id, child.domain_id], [parent.id, 'default']);
        assert.deepEqual((await call('GET', `/projects?parent_id=${parent.id}`, admin)).json().projects.map((p: any) => p.id), [child.id]);
        const top = (await call('GET', '/projects?parent_id=default', admin)).json().projects.map((p: any) => p.id);
        assert.ok(top.includes(parent.id) && !top.includes(child.id));
        assertFault(await call('POST', '/projects', admin, { project: { name: 'h-orphan', parent_id: 'noproject' } }), 404);
        assertFault(await call('DELETE', `/projects/${parent.id}`, admin), 403);
        assert.equal((await call('DELETE', `/projects/${child.id}`, admin)).statusCode, 204);
        assert.equal((await call('DELETE', `/projects/${parent.id}`, admin)).statusCode, 204);
      });

      test('tags: one added, checked, all replaced, one deleted, all deleted', async () => {
        const project = (await call('POST', '/projects', admin, { project: { name: 't-proj' } })).json().project;
        const base = `/projects/${project.id}/tags`;
        assert.equal((await call('PUT', `${base}/first`, admin, {})).statusCode, 201);
        assert.equal((await call('HEAD', `${base}/first`, admin)).statusCode, 204);
        const replaced = await call('PUT', base, admin, { tags: ['a', 'b', 'c'] });
        assert.equal(replaced.statusCode, 200, replaced.body);
        assert.deepEqual(replaced.json().tags, ['a', 'b', 'c']);
        assert.deepEqual((await call('GET', base, admin)).json().tags, ['a', 'b', 'c']);
        assert.equal((await call('DELETE', `${base}/a`, admin)).statusCode, 204);
        assertFault(await call('GET', `${base}/a`, admin), 404);
        assertFault(await call('GET', `${base}/first`, admin), 404);
        assert.equal((await call('DELETE', base, admin)).statusCode, 204);
        assert.deepEqual((await call('GET', base, admin)).json().tags, []);
        assertFault(await call('PUT', base, admin, { tags: ['with,comma'] }), 400, /tags\/0/);
        assertFault(await call('PUT', base, admin, { tags: 'a' }), 400);
        assertFault(await call('PUT', `${base}/x`, demo, {}), 403);
        assertFault(await call('GET', '/projects/noproject/tags', admin), 404);
      });
    });

    describe('groups', () => {
      test('create, update keeps the other fields, members added, checked, listed both ways and removed', async () => {
        const created = await call('POST', '/groups', admin, { group: { name: 'g1', description: 'd1' } });
        assert.equal(created.statusCode, 201, created.body);
        const group = created.json().group;
        assert.equal(group.domain_id, 'default');
        const renamed = (await call('PATCH', `/groups/${group.id}`, admin, { group: { name: 'g1-renamed' } })).json().group;
        assert.deepEqual([renamed.name, renamed.description, renamed.domain_id], ['g1-renamed', 'd1', 'default']);

        assert.equal((await call('PUT', `/groups/${group.id}/users/${demoUserId}`, admin)).statusCode, 204);
        assert.equal((await call('PUT', `/groups/${group.id}/users/${demoUserId}`, admin)).statusCode, 204, 'adding twice is fine');
        assert.equal((await call('HEAD', `/groups/${group.id}/users/${demoUserId}`, admin)).statusCode, 204);
        const users = (await call('GET', `/groups/${group.id}/users`, admin)).json().users;
        assert.deepEqual(users.map((u: any) => u.id), [demoUserId]);
        const ofUser = (await call('GET', `/users/${demoUserId}/groups`, demo)).json().groups;
        assert.deepEqual(ofUser.map((g: any) => [g.id, g.membership_expires_at]), [[group.id, null]]);

        assert.equal((await call('DELETE', `/groups/${group.id}/users/${demoUserId}`, admin)).statusCode, 204);
        assertFault(await call('GET', `/groups/${group.id}/users/${demoUserId}`, admin), 404);
        assertFault(await call('DELETE', `/groups/${group.id}/users/${demoUserId}`, admin), 404);
        assert.equal((await call('DELETE', `/groups/${group.id}`, admin)).statusCode, 204);
        assertFault(await call('GET', `/groups/${group.id}`, admin), 404);
      });

      test('409 on a duplicate name in a domain, 404 for an unknown domain or user, 403 for a member', async () => {
        await call('POST', '/groups', admin, { group: { name: 'g-dup' } });
        assertFault(await call('POST', '/groups', admin, { group: { name: 'g-dup' } }), 409);
        assertFault(await call('POST', '/groups', admin, { group: { name: 'g-x', domain_id: 'nodomain' } }), 404);
        const g = (await call('POST', '/groups', admin, { group: { name: 'g-y' } })).json().group;
        assertFault(await call('PUT', `/groups/${g.id}/users/nouser`, admin), 404);
        assertFault(await call('GET', '/groups', demo), 403);
        assertFault(await call('PUT', `/groups/${g.id}/users/${demoUserId}`, demo), 403);
        assertFault(await call('GET', `/users/${demoUserId}/groups`, admin.slice(0, -2) + 'xx'), 401);
      });
    });

    describe('grants and role assignments', () => {
      test('a group role on a project reaches its members\' tokens, and its revocation ends those tokens', async () => {
        const project = (await call('POST', '/projects', admin, { project: { name: 'grp-proj' } })).json().project;
        const user = (await call('POST', '/users', admin, { user: { name: 'grp-user', password: 'pw-grp' } })).json().user;
        const group = (await call('POST', '/groups', admin, { group: { name: 'grp' } })).json().group;
        assert.equal((await call('PUT', `/projects/${project.id}/groups/${group.id}/roles/${readerRoleId}`, admin)).statusCode, 204);
        assert.deepEqual((await call('GET', `/projects/${project.id}/groups/${group.id}/roles`, admin)).json().roles.map((r: any) => r.id), [readerRoleId]);
        assert.equal((await call('HEAD', `/projects/${project.id}/groups/${group.id}/roles/${readerRoleId}`, admin)).statusCode, 204);

        const scope = { project: { id: project.id } };
        assert.equal((await issue(password({ id: user.id }, 'pw-grp', scope))).statusCode, 401, 'not yet a member');
        await call('PUT', `/groups/${group.id}/users/${user.id}`, admin);
        const issued = await issue(password({ id: user.id }, 'pw-grp', scope));
        assert.deepEqual(issued.json().token.roles.map((r: any) => r.id), [readerRoleId]);
        const token = tokenOf(issued);

        const effective = (await call('GET', `/role_assignments?effective&user.id=${user.id}`, admin)).json().role_assignments;
        assert.equal(effective.length, 1);
        assert.deepEqual(effective[0].scope, { project: { id: project.id } });
        assert.equal(effective[0].links.membership, `${BASE}${V3}/groups/${group.id}/users/${user.id}`);
        const direct = (await call('GET', `/role_assignments?group.id=${group.id}`, admin)).json().role_assignments;
        assert.deepEqual(direct.map((a: any) => [a.group.id, a.role.id]), [[group.id, readerRoleId]]);
        assertFault(await call('GET', `/role_assignments?effective&group.id=${group.id}`, admin), 400);

        assert.equal((await call('DELETE', `/projects/${project.id}/groups/${group.id}/roles/${readerRoleId}`, admin)).statusCode, 204);
        assertFault(await call('GET', '/auth/tokens', admin).then(() => call('GET', `/users/${user.id}`, token)), 401);
        assertFault(await call('DELETE', `/projects/${project.id}/groups/${group.id}/roles/${readerRoleId}`, admin), 404);
      });

      test('user and group roles on domains and on the system: grant, list, check, revoke', async () => {
        const group = (await call('POST', '/groups', admin, { group: { name: 'dom-grp' } })).json().group;
        for (const base of [`/domains/default/users/${demoUserId}/roles`, `/domains/default/groups/${group.id}/roles`,
          `/system/users/${demoUserId}/roles`, `/system/groups/${group.id}/roles`]) {
          assert.equal((await call('PUT', `${base}/${memberRoleId}`, admin)).statusCode, 204, base);
          assert.deepEqual((await call('GET', base, admin)).json().roles.map((r: any) => r.id), [memberRoleId], base);
          assert.equal((await call('HEAD', `${base}/${memberRoleId}`, admin)).statusCode, 204, base);
          assertFault(await call('PUT', `${base}/${memberRoleId}`, demo), 403);
          assert.equal((await call('DELETE', `${base}/${memberRoleId}`, admin)).statusCode, 204, base);
          assertFault(await call('GET', `${base}/${memberRoleId}`, admin), 404);
        }
        assertFault(await call('PUT', `/domains/nodomain/users/${demoUserId}/roles/${memberRoleId}`, admin), 404);
        assertFault(await call('PUT', `/domains/default/groups/nogroup/roles/${memberRoleId}`, admin), 404);
        assertFault(await call('PUT', `/domains/default/users/${demoUserId}/roles/norole`, admin), 404);
      });

      test('a user role on a domain shows in role_assignments with names and in /auth/domains', async () => {
        await call('PUT', `/domains/default/users/${demoUserId}/roles/${readerRoleId}`, admin);
        const listed = (await call('GET', `/role_assignments?scope.domain.id=default&user.id=${demoUserId}&include_names`, admin)).json().role_assignments;
        assert.equal(listed.length, 1);
        assert.deepEqual(listed[0].scope, { domain: { id: 'default', name: 'Default' } });
        assert.equal(listed[0].user.name, 'demo');
        assert.equal(listed[0].role.name, 'reader');
        assert.equal(listed[0].links.assignment, `${BASE}${V3}/domains/default/users/${demoUserId}/roles/${readerRoleId}`);
        const mine = (await call('GET', '/auth/domains', demo)).json().domains;
        assert.deepEqual(mine.map((d: any) => d.id), ['default']);
        await call('DELETE', `/domains/default/users/${demoUserId}/roles/${readerRoleId}`, admin);
        assert.deepEqual((await call('GET', '/auth/domains', demo)).json().domains, []);
      });

      test('deleting a user, a group or a role leaves no memberships, grants or credentials behind', async () => {
        const role = (await call('POST', '/roles', admin, { role: { name: 'cascade-role' } })).json().role;
        const group = (await call('POST', '/groups', admin, { group: { name: 'cascade-grp' } })).json().group;
        const user = (await call('POST', '/users', admin, { user: { name: 'cascade-user' } })).json().user;
        await call('PUT', `/groups/${group.id}/users/${user.id}`, admin);
        await call('PUT', `/domains/default/users/${user.id}/roles/${role.id}`, admin);
        await call('PUT', `/projects/${demoProjectId}/groups/${group.id}/roles/${role.id}`, admin);
        await call('POST', '/credentials', admin, { credential: { user_id: user.id, type: 'totp', blob: 'seed' } });
        const rows = async (table: string) => (await handle.db.selectFrom(table as never).selectAll().execute()) as Array<Record<string, unknown>>;

        assert.equal((await call('DELETE', `/users/${user.id}`, admin)).statusCode, 204);
        assert.ok(!(await rows('identity_group_members')).some((r) => r.user_id === user.id));
        assert.ok(!(await rows('identity_grants')).some((r) => r.actor_id === user.id));
        assert.ok(!(await rows('identity_credentials')).some((r) => r.user_id === user.id));

        assert.equal((await call('DELETE', `/roles/${role.id}`, admin)).statusCode, 204);
        assert.ok(!(await rows('identity_grants')).some((r) => r.role_id === role.id));
        await call('PUT', `/projects/${demoProjectId}/groups/${group.id}/roles/${memberRoleId}`, admin);
        assert.equal((await call('DELETE', `/groups/${group.id}`, admin)).statusCode, 204);
        assert.ok(!(await rows('identity_grants')).some((r) => r.actor_id === group.id));
      });

      test('effective assignments add implied roles with their prior role', async () => {
        const listed = (await call('GET', `/role_assignments?effective&scope.project.id=${demoProjectId}&user.id=${demoUserId}`, admin)).json().role_assignments;
        const byRole = new Map(listed.map((a: any) => [a.role.id, a]));
        assert.deepEqual([...byRole.keys()].sort(), [memberRoleId, readerRoleId].sort());
        assert.equal((byRole.get(readerRoleId) as any).links.prior_role, `${BASE}${V3}/roles/${memberRoleId}`);
      });
    });

    describe('implied roles', () => {
      test('a rule is created, checked, shown, listed, takes effect in tokens, and is deleted', async () => {
        const prior = (await call('POST', '/roles', admin, { role: { name: 'imp-prior' } })).json().role;
        const implied = (await call('POST', '/roles', admin, { role: { name: 'imp-implied' } })).json().role;
        const path = `/roles/${prior.id}/implies/${implied.id}`;
        const created = await call('PUT', path, admin);
        assert.equal(created.statusCode, 201, created.body);
        assert.deepEqual([created.json().role_inference.prior_role.id, created.json().role_inference.implies.id], [prior.id, implied.id]);
        assert.equal((await call('HEAD', path, admin)).statusCode, 204);
        const shown = (await call('GET', path, admin)).json().role_inference;
        assert.deepEqual(Object.keys(shown.implies).sort(), ['id', 'links', 'name']);
        assert.deepEqual((await call('GET', `/roles/${prior.id}/implies`, admin)).json().role_inference.implies.map((r: any) => r.id), [implied.id]);
        const all = (await call('GET', '/role_inferences', admin)).json().role_inferences;
        assert.ok(all.some((r: any) => r.prior_role.id === prior.id && r.implies.length === 1 && r.implies[0].id === implied.id));

        const user = (await call('POST', '/users', admin, { user: { name: 'imp-user', password: 'pw-imp' } })).json().user;
        await call('PUT', `/projects/${demoProjectId}/users/${user.id}/roles/${prior.id}`, admin);
        const token = (await issue(password({ id: user.id }, 'pw-imp', { project: { id: demoProjectId } }))).json().token;
        assert.deepEqual(token.roles.map((r: any) => r.id).sort(), [prior.id, implied.id].sort());

        assert.equal((await call('DELETE', path, admin)).statusCode, 204);
        assertFault(await call('GET', path, admin), 404);
        assertFault(await call('DELETE', path, admin), 404);
      });

      test('admin cannot be implied, a role cannot imply itself, a member may not make rules', async () => {
        const roles = (await call('GET', '/roles', admin)).json().roles as Array<{ id: string; name: string }>;
        const adminRole = roles.find((r) => r.name === 'admin')!;
        assertFault(await call('PUT', `/roles/${memberRoleId}/implies/${adminRole.id}`, admin), 403);
        assertFault(await call('PUT', `/roles/${memberRoleId}/implies/${memberRoleId}`, admin), 400);
        assertFault(await call('PUT', `/roles/${memberRoleId}/implies/norole`, admin), 404);
        assertFault(await call('PUT', `/roles/${memberRoleId}/implies/${readerRoleId}`, demo), 403);
        assertFault(await call('GET', '/role_inferences', demo), 403);
      });
    });

    describe('services, endpoints and regions', () => {
      test('a service with an endpoint joins the catalog of new tokens; disabling or deleting it takes it out', async () => {
        const region = await call('POST', '/regions', admin, { region: { id: 'RegionTwo', description: 'second' } });
        assert.equal(region.statusCode, 201, region.body);
        assert.deepEqual(region.json().region.parent_region_id, null);
        const svc = await call('POST', '/services', admin, { service: { type: 'volumev3', name: 'cinder', description: 'Block' } });
        assert.equal(svc.statusCode, 201, svc.body);
        const service = svc.json().service;
        assert.deepEqual([service.type, service.name, service.enabled, service.description], ['volumev3', 'cinder', true, 'Block']);
        const ep = await call('POST', '/endpoints', admin, { endpoint: { service_id: service.id, interface: 'public', url: 'http://vol.example/v3', region: 'RegionTwo' } });
        assert.equal(ep.statusCode, 201, ep.body);
        const endpoint = ep.json().endpoint;
        assert.deepEqual([endpoint.region_id, endpoint.region, endpoint.enabled], ['RegionTwo', 'RegionTwo', true]);

        const catalogOf = async () => (await call('GET', '/auth/catalog', demo)).json().catalog as any[];
        const entry = (await catalogOf()).find((s) => s.id === service.id);
        assert.deepEqual(entry.endpoints.map((e: any) => [e.url, e.region_id, e.interface]), [['http://vol.example/v3', 'RegionTwo', 'public']]);
        const fromToken = (await issue(password({ id: demoUserId }, 'demo-pw', { project: { id: demoProjectId } }))).json().token.catalog;
        assert.ok(fromToken.some((s: any) => s.id === service.id));

        const filtered = (await call('GET', `/endpoints?service_id=${service.id}&interface=public`, admin)).json().endpoints;
        assert.deepEqual(filtered.map((e: any) => e.id), [endpoint.id]);
        const patched = (await call('PATCH', `/endpoints/${endpoint.id}`, admin, { endpoint: { url: 'http://vol2.example/v3' } })).json().endpoint;
        assert.equal(patched.url, 'http://vol2.example/v3');
        await call('PATCH', `/services/${service.id}`, admin, { service: { enabled: false } });
        assert.ok(!(await catalogOf()).some((s) => s.id === service.id));

        assertFault(await call('DELETE', '/regions/RegionTwo', admin), 409);
        assert.equal((await call('DELETE', `/services/${service.id}`, admin)).statusCode, 204);
        assertFault(await call('GET', `/endpoints/${endpoint.id}`, admin), 404, /Could not find endpoint/);
        assert.equal((await call('DELETE', '/regions/RegionTwo', admin)).statusCode, 204);
      });

      test('the built-in services and their region cannot be changed or deleted', async () => {
        const builtin = (await call('GET', '/services?type=compute', admin)).json().services[0];
        assert.equal(builtin.name, 'nova');
        assertFault(await call('DELETE', `/services/${builtin.id}`, admin), 403);
        assertFault(await call('PATCH', `/services/${builtin.id}`, admin, { service: { enabled: false } }), 403);
        const ep = (await call('GET', `/endpoints?service_id=${builtin.id}`, admin)).json().endpoints[0];
        assertFault(await call('DELETE', `/endpoints/${ep.id}`, admin), 403);
        assertFault(await call('DELETE', '/regions/RegionOne', admin), 403);
        assert.equal((await call('GET', '/regions/RegionOne', demo)).statusCode, 200, 'anyone may read regions');
      });

      test('bodies are checked: enabled must be a boolean, the interface one of three, the service and region must exist', async () => {
        const service = (await call('POST', '/services', admin, { service: { type: 'x-test' } })).json().service;
        assertFault(await call('POST', '/endpoints', admin, { endpoint: { service_id: service.id, interface: 'public', url: 'http://x.example', enabled: 'False' } }), 400, /enabled/);
        assertFault(await call('POST', '/endpoints', admin, { endpoint: { service_id: service.id, interface: 'sideways', url: 'http://x.example' } }), 400, /interface/);
        assertFault(await call('POST', '/endpoints', admin, { endpoint: { service_id: 'nosvc', interface: 'public', url: 'http://x.example' } }), 400, /service_id/);
        assertFault(await call('POST', '/endpoints', admin, { endpoint: { service_id: service.id, interface: 'public', url: 'http://x.example', region_id: 'noregion' } }), 400, /region_id/);
        // The legacy `region` makes a missing region, as Keystone does; a bad service_id makes none.
        assertFault(await call('POST', '/endpoints', admin, { endpoint: { service_id: 'nosvc', interface: 'public', url: 'http://x.example', region: 'r-legacy-orphan' } }), 400, /service_id/);
        assert.equal((await call('GET', '/regions/r-legacy-orphan', admin)).statusCode, 404);
        const legacy = await call('POST', '/endpoints', admin, { endpoint: { service_id: service.id, interface: 'public', url: 'http://x.example', region: 'r-legacy' } });
        assert.equal(legacy.statusCode, 201);
        assert.equal(legacy.json().endpoint.region_id, 'r-legacy');
        assert.equal((await call('GET', '/regions/r-legacy', admin)).json().region.id, 'r-legacy');
        assertFault(await call('POST', '/services', admin, { service: { name: 'no-type' } }), 400);
        assertFault(await call('POST', '/regions', admin, { region: { parent_region_id: 'noregion' } }), 404);
        await call('PUT', '/regions/r-dup', admin, { region: {} });
        assertFault(await call('PUT', '/regions/r-dup', admin, { region: {} }), 409);
        assertFault(await call('POST', '/services', demo, { service: { type: 'x' } }), 403);
        assertFault(await call('GET', '/endpoints', demo), 403);
      });
    });

    describe('policies and credentials', () => {
      test('policy blobs: create, update, show, list, delete; admin only', async () => {
        const created = await call('POST', '/policies', admin, { policy: { blob: '{"a": 1}', type: 'application/json' } });
        assert.equal(created.statusCode, 201, created.body);
        const p = created.json().policy;
        assert.deepEqual([p.blob, p.type], ['{"a": 1}', 'application/json']);
        assert.equal((await call('PATCH', `/policies/${p.id}`, admin, { policy: { type: 'other' } })).json().policy.type, 'other');
        const shown = (await call('GET', `/policies/${p.id}`, admin)).json().policy;
        assert.deepEqual([shown.blob, shown.type], ['{"a": 1}', 'other']);
        assert.ok((await call('GET', '/policies', admin)).json().policies.some((x: any) => x.id === p.id));
        assertFault(await call('POST', '/policies', admin, { policy: { blob: 'b' } }), 400);
        assertFault(await call('GET', '/policies', demo), 403);
        assert.equal((await call('DELETE', `/policies/${p.id}`, admin)).statusCode, 204);
        assertFault(await call('GET', `/policies/${p.id}`, admin), 404);
      });

      test('an ec2 credential is named by its access key, keeps its blob text, and belongs to its user', async () => {
        const blob = '{"access": "AK1", "secret": "S1"}';
        const created = await call('POST', '/credentials', demo, { credential: { user_id: demoUserId, project_id: demoProjectId, type: 'ec2', blob } });
        assert.equal(created.statusCode, 201, created.body);
        const cred = created.json().credential;
        assert.match(cred.id, /^[0-9a-f]{64}$/);
        assert.equal(cred.blob, blob);
        assertFault(await call('POST', '/credentials', demo, { credential: { user_id: demoUserId, project_id: demoProjectId, type: 'ec2', blob } }), 409);
        assertFault(await call('POST', '/credentials', demo, { credential: { user_id: demoUserId, type: 'ec2', blob } }), 400, /project_id/);
        assertFault(await call('POST', '/credentials', demo, { credential: { user_id: demoUserId, project_id: demoProjectId, type: 'ec2', blob: 'not json' } }), 400);

        const updated = (await call('PATCH', `/credentials/${cred.id}`, demo, { credential: { blob: '{"access": "AK2", "secret": "S2"}' } })).json().credential;
        assert.equal(JSON.parse(updated.blob).access, 'AK2');
        assert.equal(updated.id, cred.id);

        const adminUser = (await call('GET', '/users?name=admin', admin)).json().users[0];
        const other = (await call('POST', '/credentials', admin, { credential: { user_id: adminUser.id, type: 'totp', blob: 'seed' } })).json().credential;
        assertFault(await call('GET', `/credentials/${other.id}`, demo), 403);
        assertFault(await call('POST', '/credentials', demo, { credential: { user_id: adminUser.id, type: 'totp', blob: 'x' } }), 403);
        const seenByDemo = (await call('GET', '/credentials', demo)).json().credentials.map((c: any) => c.id);
        assert.deepEqual(seenByDemo, [cred.id]);
        const seenByAdmin = (await call('GET', '/credentials', admin)).json().credentials.map((c: any) => c.id);
        assert.ok(seenByAdmin.includes(cred.id) && seenByAdmin.includes(other.id));

        assert.equal((await call('DELETE', `/credentials/${cred.id}`, demo)).statusCode, 204);
        assertFault(await call('GET', `/credentials/${cred.id}`, admin), 404);
      });
    });

    describe('EC2 credentials (OS-EC2)', () => {
      test('a key pair is made for the user on a project, shown, listed, and deleted; another user sees none of it', async () => {
        const base = `/users/${demoUserId}/credentials/OS-EC2`;
        const created = await call('POST', base, demo, { tenant_id: demoProjectId });
        assert.equal(created.statusCode, 201, created.body);
        const cred = created.json().credential;
        assert.deepEqual([cred.user_id, cred.tenant_id, cred.trust_id], [demoUserId, demoProjectId, null]);
        assert.match(cred.access, /^[0-9a-f]{32}$/);
        assert.match(cred.secret, /^[0-9a-f]{32}$/);
        const shown = (await call('GET', `${base}/${cred.access}`, demo)).json().credential;
        assert.deepEqual([shown.access, shown.secret, shown.user_id, shown.tenant_id], [cred.access, cred.secret, demoUserId, demoProjectId]);
        assert.ok((await call('GET', base, demo)).json().credentials.some((c: any) => c.access === cred.access));
        assert.ok((await call('GET', '/credentials?type=ec2', demo)).json().credentials.some((c: any) => JSON.parse(c.blob).access === cred.access));

        const adminUserId = (await call('GET', '/users?name=admin', admin)).json().users[0].id;
        assertFault(await call('GET', `/users/${adminUserId}/credentials/OS-EC2`, demo), 403);
        assertFault(await call('GET', `/users/${adminUserId}/credentials/OS-EC2/${cred.access}`, admin), 404);
        assertFault(await call('POST', base, demo, {}), 400, /tenant_id/);
        assertFault(await call('POST', base, demo, { tenant_id: 'noproject' }), 404);

        assert.equal((await call('DELETE', `${base}/${cred.access}`, demo)).statusCode, 204);
        assertFault(await call('GET', `${base}/${cred.access}`, demo), 404);
      });
    });

    describe('trusts', () => {
      test('the trustor delegates a role it holds; trustor and trustee see it, others do not', async () => {
        const adminUserId = (await call('GET', '/users?name=admin', admin)).json().users[0].id;
        const body = {
          trust: {
            trustor_user_id: demoUserId, trustee_user_id: adminUserId, project_id: demoProjectId, impersonation: true,
            roles: [{ name: 'member' }], expires_at: '2099-01-02T04:04:05.5+01:00',
          },
        };
        const created = await call('POST', '/OS-TRUST/trusts', demo, body);
        assert.equal(created.statusCode, 201, created.body);
        const trust = created.json().trust;
        assert.deepEqual([trust.trustor_user_id, trust.trustee_user_id, trust.impersonation], [demoUserId, adminUserId, true]);
        assert.equal(trust.expires_at, '2099-01-02T03:04:05.500000Z', 'converted to UTC, printed with microseconds');
        assert.deepEqual(trust.roles.map((r: any) => r.id), [memberRoleId]);

        assert.equal((await call('GET', `/OS-TRUST/trusts/${trust.id}`, admin)).statusCode, 200, 'the trustee');
        assert.deepEqual((await call('GET', `/OS-TRUST/trusts?trustor_user_id=${demoUserId}`, demo)).json().trusts.map((t: any) => t.id), [trust.id]);
        assert.deepEqual((await call('GET', `/OS-TRUST/trusts/${trust.id}/roles`, demo)).json().roles.map((r: any) => r.id), [memberRoleId]);
        assert.equal((await call('HEAD', `/OS-TRUST/trusts/${trust.id}/roles/${memberRoleId}`, demo)).statusCode, 200);
        assertFault(await call('GET', `/OS-TRUST/trusts/${trust.id}/roles/${readerRoleId}`, demo), 404);
        assertFault(await call('GET', '/OS-TRUST/trusts', demo), 403, undefined);

        const outsider = (await call('POST', '/users', admin, { user: { name: 'outsider', password: 'pw-out', default_project_id: demoProjectId } })).json().user;
        await call('PUT', `/projects/${demoProjectId}/users/${outsider.id}/roles/${readerRoleId}`, admin);
        const outsiderToken = tokenOf(await issue(password({ id: outsider.id }, 'pw-out', { project: { id: demoProjectId } })));
        assertFault(await call('GET', `/OS-TRUST/trusts/${trust.id}`, outsiderToken), 403);
        assertFault(await call('DELETE', `/OS-TRUST/trusts/${trust.id}`, outsiderToken), 403);

        assert.equal((await call('DELETE', `/OS-TRUST/trusts/${trust.id}`, demo)).statusCode, 204);
        assertFault(await call('GET', `/OS-TRUST/trusts/${trust.id}`, demo), 404);
      });

      test('refused: another user as trustor (403), a role the trustor lacks (404), a past expiry or bad body (400)', async () => {
        const adminUserId = (await call('GET', '/users?name=admin', admin)).json().users[0].id;
        const base = { trustor_user_id: demoUserId, trustee_user_id: adminUserId, project_id: demoProjectId, impersonation: false, roles: [{ id: memberRoleId }] };
        assertFault(await call('POST', '/OS-TRUST/trusts', admin, { trust: base }), 403);
        assertFault(await call('POST', '/OS-TRUST/trusts', demo, { trust: { ...base, roles: [{ name: 'admin' }] } }), 404);
        assertFault(await call('POST', '/OS-TRUST/trusts', demo, { trust: { ...base, expires_at: '2001-01-01T00:00:00Z' } }), 400);
        assertFault(await call('POST', '/OS-TRUST/trusts', demo, { trust: { ...base, expires_at: 'bad.123Z' } }), 400, /Timestamp not in expected format/);
        assertFault(await call('POST', '/OS-TRUST/trusts', demo, { trust: { ...base, impersonation: 'yes' } }), 400, /impersonation/);
        assertFault(await call('POST', '/OS-TRUST/trusts', demo, { trust: { ...base, remaining_uses: 2 ** 40 } }), 400);
        assertFault(await call('POST', '/OS-TRUST/trusts', demo, { trust: { ...base, trustee_user_id: 'nobody' } }), 404);
      });
    });

    describe('application credentials', () => {
      test('the secret is shown once, authenticates to the project with the chosen roles, and stops working on delete', async () => {
        const created = await call('POST', `/users/${demoUserId}/application_credentials`, demo,
          { application_credential: { name: 'ci', description: 'for CI', roles: [{ name: 'reader' }] } });
        assert.equal(created.statusCode, 201, created.body);
        const cred = created.json().application_credential;
        assert.equal(typeof cred.secret, 'string');
        assert.ok(cred.secret.length >= 64);
        assert.deepEqual([cred.project_id, cred.unrestricted, cred.expires_at], [demoProjectId, false, null]);
        assert.deepEqual(cred.roles.map((r: any) => r.id), [readerRoleId]);

        const shown = (await call('GET', `/users/${demoUserId}/application_credentials/${cred.id}`, demo)).json().application_credential;
        assert.equal(shown.secret, undefined, 'the secret is never shown again');
        const stored = await handle.db.selectFrom('identity_application_credentials' as never).selectAll().execute() as Array<{ secret_hash: string }>;
        assert.ok(stored.every((r) => !r.secret_hash.includes(cred.secret)));
        assert.deepEqual((await call('GET', `/users/${demoUserId}/application_credentials?name=ci`, demo)).json().application_credentials.map((c: any) => c.id), [cred.id]);

        const auth = (ref: object, secret: string) => issue({ auth: { identity: { methods: ['application_credential'], application_credential: { ...ref, secret } } } });
        const byId = await auth({ id: cred.id }, cred.secret);
        assert.equal(byId.statusCode, 201, byId.body);
        const token = byId.json().token;
        assert.deepEqual(token.methods, ['application_credential']);
        assert.equal(token.project.id, demoProjectId);
        assert.deepEqual(token.roles.map((r: any) => r.id), [readerRoleId]);
        assert.deepEqual(token.application_credential, { id: cred.id, name: 'ci', restricted: true });
        const byName = await auth({ name: 'ci', user: { name: 'demo', domain: { id: 'default' } } }, cred.secret);
        assert.equal(byName.statusCode, 201, byName.body);
        assertFault(await auth({ id: cred.id }, 'wrong'), 401);

        const appToken = byId.headers['x-subject-token'] as string;
        assert.equal((await call('GET', `/users/${demoUserId}`, appToken)).statusCode, 200);
        assertFault(await call('POST', `/users/${demoUserId}/application_credentials`, appToken, { application_credential: { name: 'nested' } }), 403);
        const adminUserId = (await call('GET', '/users?name=admin', admin)).json().users[0].id;
        assertFault(await call('POST', '/OS-TRUST/trusts', appToken, { trust: { trustor_user_id: demoUserId, trustee_user_id: adminUserId, impersonation: false } }), 403);
        const rescoped = await issue({ auth: { identity: { methods: ['token'], token: { id: appToken } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } });
        assertFault(rescoped, 403, /application credential/);

        assert.equal((await call('DELETE', `/users/${demoUserId}/application_credentials/${cred.id}`, demo)).statusCode, 204);
        assertFault(await call('GET', `/users/${demoUserId}`, appToken), 401);
        assertFault(await auth({ id: cred.id }, cred.secret), 401);
        assertFault(await call('GET', `/users/${demoUserId}/application_credentials/${cred.id}`, demo), 404);
      });

      test('refused: for another user (403), a role the token lacks (404), a duplicate name (409), a bad body (400)', async () => {
        const adminUserId = (await call('GET', '/users?name=admin', admin)).json().users[0].id;
        assertFault(await call('POST', `/users/${adminUserId}/application_credentials`, demo, { application_credential: { name: 'x' } }), 403);
        assertFault(await call('GET', `/users/${adminUserId}/application_credentials`, demo), 403);
        assertFault(await call('POST', `/users/${demoUserId}/application_credentials`, demo, { application_credential: { name: 'y', roles: [{ name: 'admin' }] } }), 404);
        // A role granted after the token was issued may be named: what counts is what the user holds now.
        const fresh = (await call('POST', '/roles', admin, { role: { name: 'granted-later' } })).json().role;
        await call('PUT', `/projects/${demoProjectId}/users/${demoUserId}/roles/${fresh.id}`, admin);
        const later = await call('POST', `/users/${demoUserId}/application_credentials`, demo, { application_credential: { name: 'later', roles: [{ id: fresh.id }] } });
        assert.equal(later.statusCode, 201, later.body);
        assert.deepEqual(later.json().application_credential.roles.map((r: any) => r.id), [fresh.id]);
        // Keystone answers with the naive UTC time it was given, microseconds kept (Tempest compares them).
        const first = await call('POST', `/users/${demoUserId}/application_credentials`, demo, { application_credential: { name: 'dup', expires_at: '2099-01-01T00:00:00.123456' } });
        assert.equal(first.json().application_credential.expires_at, '2099-01-01T00:00:00.123456');
        assertFault(await call('POST', `/users/${demoUserId}/application_credentials`, demo, { application_credential: { name: 'dup' } }), 409);
        assertFault(await call('POST', `/users/${demoUserId}/application_credentials`, demo, { application_credential: { name: '' } }), 400, /name/);
        assertFault(await call('POST', `/users/${demoUserId}/application_credentials`, demo, { application_credential: { name: 'z', unrestricted: 'yes' } }), 400);
        assert.equal((await call('GET', `/users/${demoUserId}/application_credentials`, admin)).statusCode, 200, 'an admin may list');
      });
    });
  });
}
