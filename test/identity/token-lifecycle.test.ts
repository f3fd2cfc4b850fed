import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { testLogger } from '../helpers/logger.js';
import { syncDatabase } from '../../src/db/migrate.js';
import { identityMigrations } from '../../src/identity/migrations.js';
import { IdentityService, type AuthRequest } from '../../src/identity/service.js';
import type { DatabaseHandle } from '../../src/db/database.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function password(name: string, pw: string, project?: string): AuthRequest {
  return {
    methods: ['password'],
    password: { user: { name, domain: { name: 'Default' } }, password: pw },
    ...(project ? { scope: { project: { name: project, domain: { id: 'default' } } } } : {}),
  };
}

for (const target of await databaseTargets()) {
  describe(`tokens (${target.name})`, () => {
    let handle: DatabaseHandle & { dispose(): Promise<void> };
    let identity: IdentityService;
    const make = (opts: { expiration?: number; refresh?: number } = {}) => new IdentityService({
      db: handle.db, logger: testLogger, tokenExpirationSeconds: opts.expiration ?? 3600, region: 'RegionOne',
      revocationRefreshSeconds: opts.refresh, passwordHashCost: { N: 1024, r: 8, p: 1 },
    });

    before(async () => {
      handle = await target.open();
      await syncDatabase(handle.db, [identityMigrations]);
      identity = make();
      await identity.bootstrap({ adminPassword: 'admin-pw', demoPassword: 'demo-pw' });
    });
    after(() => handle.dispose());

    test('a project-scoped token carries user, project, implied roles and times', async () => {
      const before = Date.now();
      const issued = await identity.authenticate(password('admin', 'admin-pw', 'admin'));
      const auth = await identity.validateToken(issued.id);
      assert.ok(auth);
      assert.equal(auth.userName, 'admin');
      assert.equal(auth.projectName, 'admin');
      assert.equal(auth.userDomainId, 'default');
      assert.equal(auth.projectDomainId, 'default');
      assert.deepEqual([...auth.roles].sort(), ['admin', 'member', 'reader']);
      assert.equal(auth.isAdminProject, true);
      const expires = Date.parse(auth.expiresAt) - Date.parse(auth.issuedAt);
      assert.ok(Math.abs(expires - 3600_000) < 1000);
      assert.ok(Date.parse(auth.issuedAt) >= before - 1);
      assert.equal(issued.payload.auditIds.length, 1);
      assert.match(issued.payload.auditIds[0]!, /^[A-Za-z0-9_-]{22}$/);
      // validated again: the same frozen context, so callers cannot alter what others see
      const again = await identity.validateToken(issued.id);
      assert.equal(again, auth);
      assert.ok(Object.isFrozen(auth) && Object.isFrozen(auth.roles));
    });

    test('demo is not an admin-project member', async () => {
      const issued = await identity.authenticate(password('demo', 'demo-pw', 'demo'));
      const auth = (await identity.validateToken(issued.id))!;
      assert.deepEqual([...auth.roles].sort(), ['member', 'reader']);
      assert.equal(auth.isAdminProject, false);
      await assert.rejects(identity.authenticate(password('demo', 'demo-pw', 'admin')), { status: 401 });
    });

    test('unscoped tokens have no project and no roles', async () => {
      const issued = await identity.authenticate(password('demo', 'demo-pw'));
      const auth = (await identity.validateToken(issued.id))!;
      assert.equal(auth.projectId, '');
      assert.deepEqual(auth.roles, []);
    });

    test('a token rescoped from an unscoped one keeps its expiry and audit chain', async () => {
      const unscoped = await identity.authenticate(password('demo', 'demo-pw'));
      const scoped = await identity.authenticate({ methods: ['token'], token: { id: unscoped.id }, scope: { project: { name: 'demo', domain: { name: 'Default' } } } });
      assert.equal(scoped.payload.project?.name, 'demo');
      assert.equal(scoped.payload.expiresAt, unscoped.payload.expiresAt);
      assert.deepEqual(scoped.payload.auditIds.slice(1), unscoped.payload.auditIds);
      assert.deepEqual(scoped.payload.methods, ['token', 'password']);
      await assert.rejects(identity.authenticate({ methods: ['token'], token: { id: 'garbage' } }), { status: 401 });
    });

    test('wrong passwords, unknown users and unknown projects are 401', async () => {
      await assert.rejects(identity.authenticate(password('admin', 'wrong')), { status: 401 });
      await assert.rejects(identity.authenticate(password('nobody', 'admin-pw')), { status: 401 });
      await assert.rejects(identity.authenticate(password('admin', 'admin-pw', 'no-such-project')), { status: 401 });
      await assert.rejects(identity.authenticate({ methods: ['totp'] }), { status: 401 });
    });

    test('tampered, foreign and malformed tokens do not validate', async () => {
      const issued = await identity.authenticate(password('demo', 'demo-pw', 'demo'));
      const [kid, body, sig] = issued.id.split('.');
      const forged = JSON.parse(Buffer.from(body!, 'base64url').toString());
      forged.r.push(['x', 'admin']);
      assert.equal(await identity.validateToken(`${kid}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${sig}`), null);
      assert.equal(await identity.validateToken(`${issued.id.slice(0, -2)}AA`), null);
      assert.equal(await identity.validateToken(`k9.${body}.${sig}`), null);
      assert.equal(await identity.validateToken(''), null);
      assert.equal(await identity.validateToken('not-a-token'), null);
    });

    test('tokens expire', async () => {
      // A second of life: long enough to be seen valid on a loaded machine, short enough to wait out.
      const shortLived = make({ expiration: 1 });
      const issued = await shortLived.authenticate(password('demo', 'demo-pw', 'demo'));
      assert.ok(await shortLived.validateToken(issued.id));
      const deadline = Date.now() + 10_000;
      while (Date.now() < issued.payload.expiresAt && Date.now() < deadline) await sleep(50);
      assert.equal(await shortLived.validateToken(issued.id), null);
    });

    test('a restarted service (new instance, same database) still validates tokens', async () => {
      const issued = await identity.authenticate(password('demo', 'demo-pw', 'demo'));
      const restarted = make();
      assert.equal((await restarted.validateToken(issued.id))?.userName, 'demo');
    });

    test('a revoked token stops validating here at once and in another process after a refresh', async () => {
      const other = make({ refresh: 0.05 });
      const issued = await identity.authenticate(password('demo', 'demo-pw', 'demo'));
      assert.ok(await other.validateToken(issued.id));
      const sibling = await identity.authenticate(password('demo', 'demo-pw', 'demo'));
      await identity.revokeToken(issued.payload);
      assert.equal(await identity.validateToken(issued.id), null);
      await sleep(100);
      assert.equal(await other.validateToken(issued.id), null);
      assert.ok(await identity.validateToken(sibling.id), 'revoking one token leaves the others');
    });

    test('changing a password, unassigning a role and deleting a user revoke tokens', async () => {
      const store = identity.store;
      const user = await store.createUser({ name: 'erin', domainId: 'default', password: 'pw-1' });
      const project = await store.createProject({ name: 'erins', domainId: 'default' });
      const member = (await store.findRoleByName('member'))!;
      await store.grant(user.id, project.id, member.id);

      const t1 = await identity.authenticate(password('erin', 'pw-1', 'erins'));
      await assert.rejects(identity.changePassword(user.id, 'wrong', 'pw-2'), { status: 401 });
      assert.ok(await identity.validateToken(t1.id));
      await identity.changePassword(user.id, 'pw-1', 'pw-2');
      assert.equal(await identity.validateToken(t1.id), null);
      await assert.rejects(identity.authenticate(password('erin', 'pw-1')), { status: 401 });

      await sleep(5);
      const t2 = await identity.authenticate(password('erin', 'pw-2', 'erins'));
      assert.ok(await identity.validateToken(t2.id));
      await identity.revokeGrant(user.id, project.id, member.id);
      assert.equal(await identity.validateToken(t2.id), null);
      await assert.rejects(identity.authenticate(password('erin', 'pw-2', 'erins')), { status: 401 });

      await sleep(5);
      const t3 = await identity.authenticate(password('erin', 'pw-2'));
      assert.ok(await identity.validateToken(t3.id));
      await identity.deleteUser(user.id);
      assert.equal(await identity.validateToken(t3.id), null);
    });

    test('disabling a user or a project refuses new tokens and revokes old ones', async () => {
      const store = identity.store;
      const user = await store.createUser({ name: 'frank', domainId: 'default', password: 'pw' });
      const project = await store.createProject({ name: 'franks', domainId: 'default' });
      await store.grant(user.id, project.id, (await store.findRoleByName('reader'))!.id);
      const t1 = await identity.authenticate(password('frank', 'pw', 'franks'));
      await identity.updateProject(project.id, { enabled: false });
      assert.equal(await identity.validateToken(t1.id), null);
      await assert.rejects(identity.authenticate(password('frank', 'pw', 'franks')), { status: 401 });
      const t2 = await identity.authenticate(password('frank', 'pw'));
      await identity.updateUser(user.id, { enabled: false });
      assert.equal(await identity.validateToken(t2.id), null);
      await assert.rejects(identity.authenticate(password('frank', 'pw')), { status: 401 });
    });

    test('a user with a default project gets a token scoped to it', async () => {
      const store = identity.store;
      const project = await store.createProject({ name: 'gails', domainId: 'default' });
      const user = await store.createUser({ name: 'gail', domainId: 'default', password: 'pw', defaultProjectId: project.id });
      await store.grant(user.id, project.id, (await store.findRoleByName('member'))!.id);
      const issued = await identity.authenticate(password('gail', 'pw'));
      assert.equal(issued.payload.project?.id, project.id);
    });
  });
}
