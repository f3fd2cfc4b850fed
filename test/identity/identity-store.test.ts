import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { testLogger } from '../helpers/logger.js';
import { syncDatabase } from '../../src/db/migrate.js';
import { identityMigrations } from '../../src/identity/migrations.js';
import { IdentityService } from '../../src/identity/service.js';
import { Conflict, NotFound } from '../../src/errors.js';
import type { DatabaseHandle } from '../../src/db/database.js';

for (const target of await databaseTargets()) {
  describe(`identity data layer (${target.name})`, () => {
    let handle: DatabaseHandle & { dispose(): Promise<void> };
    let identity: IdentityService;

    before(async () => {
      handle = await target.open();
      await syncDatabase(handle.db, [identityMigrations]);
      identity = new IdentityService({ db: handle.db, logger: testLogger, tokenExpirationSeconds: 3600, region: 'RegionOne', passwordHashCost: { N: 1024, r: 8, p: 1 } });
    });
    after(() => handle.dispose());

    test('bootstrap creates the defaults and generates passwords only the first time', async () => {
      const first = await identity.bootstrap({});
      assert.equal(typeof first.generated.admin, 'string');
      assert.equal(typeof first.generated.demo, 'string');
      assert.match(first.generated.admin!, /^[A-Za-z0-9_-]{16,}$/);
      const again = await identity.bootstrap({});
      assert.deepEqual(again.generated, {});

      const store = identity.store;
      assert.equal((await store.getDomain('default'))?.name, 'Default');
      assert.deepEqual((await store.listProjects()).map((p) => p.name), ['admin', 'demo', 'service']);
      assert.deepEqual((await store.listRoles()).map((r) => r.name), ['admin', 'member', 'reader']);
      assert.deepEqual((await store.listUsers()).map((u) => u.name), ['admin', 'demo']);
      const admin = (await store.findUser('admin', 'default'))!;
      const adminProject = (await store.findProject('admin', 'default'))!;
      const effective = await store.effectiveRoles(admin.id, adminProject.id);
      assert.deepEqual(effective.map((r) => r.name).sort(), ['admin', 'member', 'reader']);
      const demo = (await store.findUser('demo', 'default'))!;
      const demoProject = (await store.findProject('demo', 'default'))!;
      assert.deepEqual((await store.effectiveRoles(demo.id, demoProject.id)).map((r) => r.name).sort(), ['member', 'reader']);
      assert.deepEqual(await store.effectiveRoles(demo.id, adminProject.id), []);
      // the generated password is the one stored
      await identity.authenticate({ methods: ['password'], password: { user: { id: admin.id }, password: first.generated.admin! } });
    });

    test('a configured password that differs replaces the stored one', async () => {
      await identity.bootstrap({ adminPassword: 'first-pw' });
      const ok = await identity.authenticate({ methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' } }, password: 'first-pw' } });
      assert.equal(ok.payload.user.name, 'admin');
      const result = await identity.bootstrap({ adminPassword: 'first-pw' });
      assert.deepEqual(result.generated, {});
      await assert.rejects(identity.authenticate({ methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' } }, password: 'other' } }), { status: 401 });
    });

    test('projects: create, find, update, unique names per domain, delete', async () => {
      const store = identity.store;
      const p = await store.createProject({ name: 'p-one', domainId: 'default', description: 'd', tags: ['a'], extra: { color: 'blue' } });
      assert.equal(p.enabled, true);
      assert.deepEqual(p.tags, ['a']);
      assert.equal(p.extra.color, 'blue');
      assert.equal((await store.findProject('p-one', 'default'))?.id, p.id);
      await assert.rejects(store.createProject({ name: 'p-one', domainId: 'default' }), Conflict);
      await assert.rejects(store.createProject({ name: 'p-x', domainId: 'nodomain' }), NotFound);
      const updated = await store.updateProject(p.id, { description: 'new', enabled: false });
      assert.equal(updated.description, 'new');
      assert.equal(updated.enabled, false);
      assert.deepEqual(updated.tags, ['a']);
      assert.deepEqual((await store.listProjects({ name: 'p-one' })).map((x) => x.id), [p.id]);
      assert.deepEqual(await store.listProjects({ name: 'nothing' }), []);
      await assert.rejects(store.updateProject('missing', { name: 'x' }), NotFound);
      assert.equal(await store.deleteProject(p.id), true);
      assert.equal(await store.deleteProject(p.id), false);
      assert.equal(await store.getProject(p.id), undefined);
    });

    test('users: create with hashed password, conflict on duplicate name, update keeps extra', async () => {
      const store = identity.store;
      const u = await store.createUser({ name: 'alice', domainId: 'default', password: 'pw', extra: { email: 'a@example.org' } });
      const withHash = await store.getUserWithHash({ id: u.id });
      assert.match(withHash!.hash!, /^scrypt\$/);
      assert.ok(!withHash!.hash!.includes('pw$'));
      await assert.rejects(store.createUser({ name: 'alice', domainId: 'default' }), Conflict);
      const updated = await store.updateUser(u.id, { extra: { description: 'hi' } });
      assert.deepEqual(updated.extra, { email: 'a@example.org', description: 'hi' });
      assert.equal(updated.name, 'alice');
    });

    test('grants: idempotent, listed, and removed with the user or the project', async () => {
      const store = identity.store;
      const user = await store.createUser({ name: 'bob', domainId: 'default' });
      const project = await store.createProject({ name: 'bobs', domainId: 'default' });
      const member = (await store.findRoleByName('member'))!;
      await store.grant(user.id, project.id, member.id);
      await store.grant(user.id, project.id, member.id);
      assert.equal(await store.hasGrant(user.id, project.id, member.id), true);
      assert.equal((await store.listAssignments({ userId: user.id })).length, 1);
      assert.deepEqual((await store.listProjectsForUser(user.id)).map((p) => p.name), ['bobs']);
      assert.equal(await store.revokeGrant(user.id, project.id, member.id), true);
      assert.equal(await store.revokeGrant(user.id, project.id, member.id), false);
      await store.grant(user.id, project.id, member.id);
      await store.deleteProject(project.id);
      assert.deepEqual(await store.listAssignments({ userId: user.id }), []);
      const p2 = await store.createProject({ name: 'bobs2', domainId: 'default' });
      await store.grant(user.id, p2.id, member.id);
      assert.equal(await store.deleteUser(user.id), true);
      assert.deepEqual(await store.listAssignments({ projectId: p2.id }), []);
    });

    test('roles: implied roles expand, deleting a role removes its grants and implications', async () => {
      const store = identity.store;
      const top = await store.createRole({ name: 'top' });
      const mid = await store.createRole({ name: 'mid' });
      const low = await store.createRole({ name: 'low' });
      await store.addImpliedRole(top.id, mid.id);
      await store.addImpliedRole(mid.id, low.id);
      await store.addImpliedRole(low.id, top.id); // a cycle must not loop
      const user = await store.createUser({ name: 'carol', domainId: 'default' });
      const project = await store.createProject({ name: 'carols', domainId: 'default' });
      await store.grant(user.id, project.id, top.id);
      assert.deepEqual((await store.effectiveRoles(user.id, project.id)).map((r) => r.name).sort(), ['low', 'mid', 'top']);
      await assert.rejects(store.createRole({ name: 'top' }), Conflict);
      assert.equal(await store.deleteRole(top.id), true);
      assert.deepEqual(await store.effectiveRoles(user.id, project.id), []);
      assert.equal((await store.listImpliedRoles()).some((i) => i.priorRoleId === top.id || i.impliedRoleId === top.id), false);
    });
  });
}
