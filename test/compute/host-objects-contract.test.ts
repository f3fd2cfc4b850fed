/**
 * The ComputeHostStore contract: what a compute host may rely on, whichever
 * implementation it is given. One suite, run for every implementation on
 * every database dialect: the local store, and the conductor's (each
 * operation a call of the conductor's object API, served by a ConductorManager
 * over a local store) on every bus transport that runs here. Every argument
 * and result must come through JSON unchanged, as it does over RPC.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { databaseTargets } from '../helpers/databases.js';
import { syncDatabase } from '../../src/db/migrate.js';
import { computeMigrations } from '../../src/compute/db/migrations.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import type { ComputeHostStore, ComputeNodeValues } from '../../src/compute/host-objects/port.js';
import { DatabaseComputeHostStore } from '../../src/compute/host-objects/database.js';
import { createMigration } from '../../src/compute/migration-store.js';
import { actionEvents, getAction } from '../../src/compute/instance-action-store.js';
import { INTERRUPTED_DETAILS } from '../../src/compute/interrupted-action.js';
import { internalContext, type RequestContext } from '../../src/bus/context.js';
import { authorizeConsole, validateConsoleToken } from '../../src/console/auth-tokens.js';
import { RpcClient, RpcServer } from '../../src/bus/rpc.js';
import { ConductorComputeHostStore, conductorObjectRpcClient } from '../../src/compute/host-objects/conductor.js';
import { ConductorManager } from '../../src/conductor/manager.js';
import { CONDUCTOR_OBJECT_RPC_API } from '../../src/conductor/object-rpc-methods.js';
import { transportsUnderTest, type TransportUnderTest } from '../bus/transports-under-test.js';
import { testLogger } from '../helpers/logger.js';

/** An implementation under test, serving the records of `db`. */
interface StoreImplementation {
  name: string;
  /** Set when this implementation cannot run here: the reason. */
  skip?: string;
  open(db: ComputeDb): Promise<{ store: ComputeHostStore; close(): Promise<void> }>;
}

/** A conductor serving the records of `db` on the transport, and a compute host's store that calls it. */
async function servedByConductor(t: TransportUnderTest, db: ComputeDb): Promise<{ store: ComputeHostStore; close(): Promise<void> }> {
  await t.setup();
  const transport = await t.open();
  const server = new RpcServer(transport, CONDUCTOR_OBJECT_RPC_API.topic, new ConductorManager(new DatabaseComputeHostStore(db)).endpoint(), testLogger);
  await server.start();
  const rpc = new RpcClient(transport, 10_000);
  return {
    store: new ConductorComputeHostStore(conductorObjectRpcClient(rpc)),
    close: async () => {
      await rpc.close();
      await server.stop();
      await transport.close();
      await t.teardown();
    },
  };
}

const implementations: StoreImplementation[] = [
  { name: 'local', open: async (db) => ({ store: new DatabaseComputeHostStore(db), close: async () => undefined }) },
  ...(await transportsUnderTest()).map((t): StoreImplementation => ({
    name: `conductor over ${t.name}://`, skip: t.skip, open: (db) => servedByConductor(t, db),
  })),
];

/** Fails an operation whose argument or result would not survive the trip through JSON. */
function jsonChecked(store: ComputeHostStore): ComputeHostStore {
  const same = (what: string, v: unknown) => {
    if (v === undefined) return;
    assert.deepStrictEqual(JSON.parse(JSON.stringify(v)), v, `${what} does not survive JSON`);
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      const member = Reflect.get(target, prop, receiver) as unknown;
      if (typeof member !== 'function') return member;
      return async (...args: unknown[]) => {
        args.forEach((a, i) => same(`${String(prop)} argument ${i}`, a));
        const out = await (member as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        same(`${String(prop)} result`, out);
        return out;
      };
    },
  });
}

const FLAVOR = {
  id: 1, flavorid: '1', name: 'm1.tiny', memory_mb: 512, vcpus: 1, root_gb: 1, ephemeral_gb: 0, swap: 0,
  rxtx_factor: 1, is_public: true, disabled: false, description: null, extra_specs: {},
};

async function insertInstance(db: ComputeDb, over: Record<string, unknown> = {}): Promise<string> {
  const uuid = (over.uuid as string) ?? randomUUID();
  await db.insertInto('instances').values({
    project_id: 'p1', user_id: 'u1', display_name: 'vm', display_description: null, hostname: 'vm',
    host: 'h1', node: 'h1', launched_on: 'h1', availability_zone: 'nova', vm_state: 'active', task_state: null, power_state: 1,
    image_ref: 'img', flavor: JSON.stringify(FLAVOR), vcpus: 1, memory_mb: 512, root_gb: 1, ephemeral_gb: 0,
    key_name: null, key_data: null, user_data: null, config_drive: '', access_ip_v4: null, access_ip_v6: null, locked: 0, locked_reason: null,
    launch_index: 0, reservation_id: 'r-1', root_device_name: '/dev/vda', progress: 0, network_info: '[]', security_groups: '["default"]',
    created_at: new Date().toISOString(), updated_at: null, launched_at: null, terminated_at: null, deleted_at: null, deleted: 0,
    ...over, uuid,
  } as never).execute();
  return uuid;
}

async function insertAction(db: ComputeDb, uuid: string, requestId: string, action = 'reboot'): Promise<void> {
  await db.insertInto('instance_actions').values({
    action, instance_uuid: uuid, request_id: requestId, user_id: 'u1', project_id: 'p1',
    start_time: new Date().toISOString(), finish_time: null, message: null, updated_at: null,
  }).execute();
}

function nodeValues(over: Partial<ComputeNodeValues> = {}): ComputeNodeValues {
  return {
    hypervisor_type: 'fake', hypervisor_version: 1000, vcpus: 8, memory_mb: 8192, local_gb: 100,
    vcpus_used: 0, memory_mb_used: 512, local_gb_used: 0, running_vms: 0, cpu_info: '{}', host_ip: '10.0.0.1',
    disk_available_least: 100, cpu_allocation_ratio: 16, ram_allocation_ratio: 1.5, disk_allocation_ratio: 1, ...over,
  };
}

const ctxOf = (requestId: string): RequestContext => ({ ...internalContext(requestId), userId: 'u1', projectId: 'p1' });

const targets = await databaseTargets();

for (const target of targets) {
  for (const impl of implementations) {
    describe(`ComputeHostStore (${impl.name}) on ${target.name}`, { skip: impl.skip }, () => {
      let handle: Awaited<ReturnType<typeof target.open>>;
      let db: ComputeDb;
      let opened: Awaited<ReturnType<StoreImplementation['open']>>;
      let store: ComputeHostStore;

      before(async () => {
        handle = await target.open();
        db = handle.db as ComputeDb;
        await syncDatabase(db, [computeMigrations]);
        opened = await impl.open(db);
        store = jsonChecked(opened.store);
      });
      after(async () => {
        await opened?.close();
        await handle?.dispose();
      });

      describe('instance', () => {
        test('getInstance gives the server with its metadata, system metadata, network info and old flavor', async () => {
          const vifs = [{ id: 'port-1', address: 'fa:16:3e:00:00:01', network: { id: 'net', label: 'private', subnets: [] } }];
          const uuid = await insertInstance(db, { network_info: JSON.stringify(vifs), old_flavor: JSON.stringify({ ...FLAVOR, name: 'm1.old' }) });
          await db.insertInto('instance_metadata').values({ instance_uuid: uuid, key: 'k', value: 'v' }).execute();
          await store.setSystemMetadata(uuid, { shelved_host: 'h1' });
          const record = await store.getInstance(uuid);
          assert.ok(record);
          assert.equal(record.instance.uuid, uuid);
          assert.deepEqual(record.instance.metadata, { k: 'v' });
          assert.deepEqual(record.instance.flavor, FLAVOR);
          assert.deepEqual(record.networkInfo, vifs);
          assert.equal(record.oldFlavor?.name, 'm1.old');
          assert.deepEqual(record.systemMetadata, { shelved_host: 'h1' });
          assert.equal(record.deleted, false);
        });

        test('getInstance answers null for an unknown server, and an unreadable network info as none', async () => {
          assert.equal(await store.getInstance(randomUUID()), null);
          const uuid = await insertInstance(db, { network_info: 'not json' });
          assert.deepEqual((await store.getInstance(uuid))?.networkInfo, []);
        });

        test('a destroyed server is gone, and read only with readDeleted, marked deleted', async () => {
          const uuid = await insertInstance(db);
          await store.destroyInstance(uuid);
          assert.equal(await store.getInstance(uuid), null);
          const record = await store.getInstance(uuid, { readDeleted: true });
          assert.equal(record?.deleted, true);
          assert.equal(record?.instance.vm_state, 'deleted');
        });

        test('saveInstance applies while the task state is one expected, and answers false (changing nothing) when not', async () => {
          const uuid = await insertInstance(db, { task_state: 'spawning' });
          assert.equal(await store.saveInstance(uuid, { task_state: null, vm_state: 'active', power_state: 1 }, ['spawning']), true);
          assert.equal(await store.saveInstance(uuid, { task_state: 'deleting', vm_state: 'error' }, ['spawning']), false);
          assert.equal((await store.getInstance(uuid))?.instance.vm_state, 'active');
          assert.equal(await store.saveInstance(uuid, { task_state: 'rebooting' }, [null]), true);
          assert.equal(await store.saveInstance(uuid, { task_state: 'powering-off' }, [null, 'spawning']), false);
          assert.equal(await store.saveInstance(uuid, { task_state: null }, [null, 'rebooting']), true);
          assert.equal(await store.saveInstance(uuid, { display_name: 'renamed' }), true);
          assert.equal((await store.getInstance(uuid))?.instance.display_name, 'renamed');
        });

        test('saveInstance answers false for a server deleted meanwhile', async () => {
          const uuid = await insertInstance(db);
          await store.destroyInstance(uuid);
          assert.equal(await store.saveInstance(uuid, { vm_state: 'error' }), false);
          assert.equal(await store.saveInstance(uuid, { vm_state: 'error' }, [null]), false);
        });

        test('listInstancesOnHost lists the live servers of the host, by state, idle and soft-delete time', async () => {
          const host = `list-${randomUUID().slice(0, 8)}`;
          const active = await insertInstance(db, { host });
          const busy = await insertInstance(db, { host, task_state: 'rebooting' });
          const shelved = await insertInstance(db, { host, vm_state: 'shelved' });
          const oldSoft = await insertInstance(db, { host, vm_state: 'soft-delete', deleted_at: '2020-01-01T00:00:00.000Z' });
          await insertInstance(db, { host, vm_state: 'soft-delete', deleted_at: '2030-01-01T00:00:00.000Z' });
          const gone = await insertInstance(db, { host });
          await store.destroyInstance(gone);
          await insertInstance(db, { host: 'elsewhere' });
          await db.insertInto('instance_metadata').values({ instance_uuid: active, key: 'role', value: 'web' }).execute();

          const all = await store.listInstancesOnHost(host);
          assert.equal(all.length, 5);
          assert.ok(!all.some((i) => i.uuid === gone));
          assert.deepEqual(all.find((i) => i.uuid === active)?.metadata, { role: 'web' });
          const idle = await store.listInstancesOnHost(host, { idle: true });
          assert.ok(!idle.some((i) => i.uuid === busy));
          assert.equal(idle.length, 4);
          assert.deepEqual((await store.listInstancesOnHost(host, { vmState: 'shelved' })).map((i) => i.uuid), [shelved]);
          const due = await store.listInstancesOnHost(host, { vmState: 'soft-delete', idle: true, deletedAtOrBefore: '2025-01-01T00:00:00.000Z' });
          assert.deepEqual(due.map((i) => i.uuid), [oldSoft]);
        });

        test('addInstanceFault records the fault (message cut to 255) and marks the server changed', async () => {
          const uuid = await insertInstance(db);
          await store.addInstanceFault(uuid, { code: 500, message: 'x'.repeat(300), host: 'h1' });
          const faults = await db.selectFrom('instance_faults').selectAll().where('instance_uuid', '=', uuid).execute();
          assert.equal(faults.length, 1);
          assert.equal(faults[0].code, 500);
          assert.equal(faults[0].message.length, 255);
          assert.equal(faults[0].host, 'h1');
          const row = await db.selectFrom('instances').select(['updated_at']).where('uuid', '=', uuid).executeTakeFirstOrThrow();
          assert.ok(row.updated_at);
        });

        test('system metadata: set keys leave the others, removed keys go', async () => {
          const uuid = await insertInstance(db);
          await store.setSystemMetadata(uuid, { a: '1', b: '2' });
          await store.setSystemMetadata(uuid, { b: '3' });
          assert.deepEqual((await store.getInstance(uuid))?.systemMetadata, { a: '1', b: '3' });
          await store.removeSystemMetadata(uuid, ['a', 'missing']);
          assert.deepEqual((await store.getInstance(uuid))?.systemMetadata, { b: '3' });
        });
      });

      describe('instance actions and events', () => {
        test('startAction and finishAction record the action of the request', async () => {
          const uuid = await insertInstance(db);
          const ctx = ctxOf(`req-${randomUUID()}`);
          await store.startAction(ctx, uuid, 'shelveOffload');
          const started = await getAction(db, uuid, ctx.requestId);
          assert.equal(started?.action, 'shelveOffload');
          assert.equal(started?.project_id, 'p1');
          assert.equal(started?.finish_time, null);
          await store.finishAction(ctx, uuid);
          assert.ok((await getAction(db, uuid, ctx.requestId))?.finish_time);
        });

        test('an event is recorded on the action of its request, and its end (an error marks the action)', async () => {
          const uuid = await insertInstance(db);
          const ctx = ctxOf(`req-${randomUUID()}`);
          await insertAction(db, uuid, ctx.requestId);
          const ok = await store.startActionEvent(ctx, uuid, 'compute_reboot_instance', 'h1');
          assert.ok(ok);
          await store.finishActionEvent(ok, 'Success', null, false);
          const failed = await store.startActionEvent(ctx, uuid, 'compute_stop_instance', 'h1');
          assert.ok(failed);
          await store.finishActionEvent(failed, 'Error', 'SpawnFailed', false);
          const action = await getAction(db, uuid, ctx.requestId);
          const events = await actionEvents(db, action!.id);
          assert.deepEqual(events.map((e) => [e.event, e.result, e.details, e.host]), [
            ['compute_reboot_instance', 'Success', null, 'h1'], ['compute_stop_instance', 'Error', 'SpawnFailed', 'h1'],
          ]);
          assert.ok(events.every((e) => e.finish_time));
          assert.equal(action?.message, 'Error');
          assert.equal(action?.finish_time, null);
        });

        test('finishing an event with finishAction ends the action too', async () => {
          const uuid = await insertInstance(db);
          const ctx = ctxOf(`req-${randomUUID()}`);
          await insertAction(db, uuid, ctx.requestId);
          const ref = await store.startActionEvent(ctx, uuid, 'compute_terminate_instance', 'h1');
          await store.finishActionEvent(ref!, 'Success', null, true);
          const action = await getAction(db, uuid, ctx.requestId);
          assert.ok(action?.finish_time);
          assert.equal(action?.message, null);
        });

        test('saveInstanceWithEvent starts an event, then finishes it with the action, each only when its save applied', async () => {
          const uuid = await insertInstance(db);
          const ctx = ctxOf(`req-${randomUUID()}`);
          await insertAction(db, uuid, ctx.requestId, 'create');
          const start = { start: { event: 'compute__do_build_and_run_instance', host: 'h1' } };
          assert.deepEqual(await store.saveInstanceWithEvent(ctx, uuid, { task_state: 'spawning' }, ['deleting'], start), { saved: false, event: null });
          const started = await store.saveInstanceWithEvent(ctx, uuid, { task_state: 'spawning' }, [null], start);
          assert.equal(started.saved, true);
          assert.ok(started.event);
          const action = await getAction(db, uuid, ctx.requestId);
          assert.deepEqual((await actionEvents(db, action!.id)).map((e) => [e.event, e.host, e.result]), [['compute__do_build_and_run_instance', 'h1', null]]);

          const finish = { finish: { ref: started.event, result: 'Success' as const, details: null, finishAction: true } };
          assert.equal((await store.saveInstanceWithEvent(ctx, uuid, { task_state: null, vm_state: 'active' }, ['block_device_mapping'], finish)).saved, false);
          assert.equal((await getAction(db, uuid, ctx.requestId))?.finish_time, null);
          assert.deepEqual(await store.saveInstanceWithEvent(ctx, uuid, { task_state: null, vm_state: 'active' }, ['spawning'], finish), { saved: true, event: started.event });
          assert.equal((await store.getInstance(uuid))?.instance.vm_state, 'active');
          assert.ok((await getAction(db, uuid, ctx.requestId))?.finish_time);
          assert.deepEqual((await actionEvents(db, action!.id)).map((e) => e.result), ['Success']);
          // A request that recorded no action on the server: saved, no event.
          assert.deepEqual(await store.saveInstanceWithEvent(ctxOf(`req-${randomUUID()}`), uuid, { task_state: null }, undefined, start), { saved: true, event: null });
          // Neither step: a plain save.
          assert.deepEqual(await store.saveInstanceWithEvent(ctx, uuid, { display_name: 'renamed' }, undefined, {}), { saved: true, event: null });
        });

        test('saveInstanceWithEvent with a guard applies only to a server in that vm_state on that host', async () => {
          const uuid = await insertInstance(db, { vm_state: 'building' });
          const ctx = ctxOf(`req-${randomUUID()}`);
          await insertAction(db, uuid, ctx.requestId, 'create');
          const start = { start: { event: 'compute__do_build_and_run_instance', host: 'h1' } };
          assert.deepEqual(await store.saveInstanceWithEvent(ctx, uuid, { task_state: 'spawning' }, [null], start, { vmState: 'building', host: 'h2' }), { saved: false, event: null });
          assert.deepEqual(await store.saveInstanceWithEvent(ctx, uuid, { task_state: 'spawning' }, [null], start, { vmState: 'active', host: 'h1' }), { saved: false, event: null });
          assert.equal((await store.getInstance(uuid))?.instance.task_state, null);
          const started = await store.saveInstanceWithEvent(ctx, uuid, { task_state: 'spawning' }, [null], start, { vmState: 'building', host: 'h1' });
          assert.equal(started.saved, true);
          assert.ok(started.event);
        });

        test('startActionEvent answers null when the request recorded no action on the server', async () => {
          const uuid = await insertInstance(db);
          assert.equal(await store.startActionEvent(ctxOf(`req-${randomUUID()}`), uuid, 'compute_reboot_instance', 'h1'), null);
        });

        test('findInterruptedAction finds the newest unfinished action with its request, or a fresh request', async () => {
          const uuid = await insertInstance(db);
          const none = await store.findInterruptedAction(uuid);
          assert.equal(none.action, null);
          assert.ok(none.ctx.requestId);
          await insertAction(db, uuid, 'req-old', 'stop');
          await store.finishAction(ctxOf('req-old'), uuid);
          await insertAction(db, uuid, 'req-cut', 'reboot');
          const found = await store.findInterruptedAction(uuid);
          assert.equal(found.action, 'reboot');
          assert.equal(found.ctx.requestId, 'req-cut');
          assert.equal(found.ctx.projectId, 'p1');
        });

        test('failInterruptedEvents ends the open events as errors; with none open, records the fallback as failed', async () => {
          const uuid = await insertInstance(db);
          const ctx = ctxOf(`req-${randomUUID()}`);
          await insertAction(db, uuid, ctx.requestId, 'create');
          await store.startActionEvent(ctx, uuid, 'compute__do_build_and_run_instance', 'h1');
          await store.failInterruptedEvents(ctx, uuid, { event: 'unused', host: 'h1' });
          const action = await getAction(db, uuid, ctx.requestId);
          let events = await actionEvents(db, action!.id);
          assert.deepEqual(events.map((e) => [e.event, e.result, e.details]), [['compute__do_build_and_run_instance', 'Error', INTERRUPTED_DETAILS]]);
          assert.equal(action?.message, 'Error');

          const other = ctxOf(`req-${randomUUID()}`);
          await insertAction(db, uuid, other.requestId, 'create');
          await store.failInterruptedEvents(other, uuid, { event: 'conductor_schedule_and_build_instances', host: 'h1' });
          events = await actionEvents(db, (await getAction(db, uuid, other.requestId))!.id);
          assert.deepEqual(events.map((e) => [e.event, e.result, e.details]), [['conductor_schedule_and_build_instances', 'Error', INTERRUPTED_DETAILS]]);
        });
      });

      describe('migrations', () => {
        const newMigration = (uuid: string, over: Partial<Parameters<typeof createMigration>[1]> = {}) => createMigration(db, {
          instanceUuid: uuid, sourceCompute: 'src', sourceNode: 'src', oldFlavorId: 1, newFlavorId: 2,
          migrationType: 'resize', userId: 'u1', projectId: 'p1', destCompute: 'dst', ...over,
        });

        test('getMigration gives the record, null when unknown', async () => {
          const m = await newMigration(await insertInstance(db));
          assert.equal((await store.getMigration(m.uuid))?.status, 'pre-migrating');
          assert.equal(await store.getMigration(randomUUID()), null);
        });

        test('saveMigration applies while the status is one expected, and answers false (changing nothing) when not', async () => {
          const m = await newMigration(await insertInstance(db));
          assert.equal(await store.saveMigration(m.uuid, { status: 'finished', dest_node: 'dst-node' }), true);
          assert.equal(await store.saveMigration(m.uuid, { status: 'confirming' }, ['finished']), true);
          assert.equal(await store.saveMigration(m.uuid, { status: 'reverting' }, ['finished']), false);
          const saved = await store.getMigration(m.uuid);
          assert.equal(saved?.status, 'confirming');
          assert.equal(saved?.dest_node, 'dst-node');
          assert.equal(await store.saveMigration(randomUUID(), { status: 'error' }), false);
        });

        test('listUnconfirmedMigrations lists finished resizes on this destination older than the window', async () => {
          const dest = `dst-${randomUUID().slice(0, 8)}`;
          const old = await newMigration(await insertInstance(db), { destCompute: dest, status: 'finished' });
          await db.updateTable('migrations').set({ updated_at: '2020-01-01T00:00:00.000Z' }).where('uuid', '=', old.uuid).execute();
          const fresh = await newMigration(await insertInstance(db), { destCompute: dest });
          await store.saveMigration(fresh.uuid, { status: 'finished' });
          const confirmed = await newMigration(await insertInstance(db), { destCompute: dest, status: 'confirmed' });
          await db.updateTable('migrations').set({ updated_at: '2020-01-01T00:00:00.000Z' }).where('uuid', '=', confirmed.uuid).execute();
          assert.deepEqual((await store.listUnconfirmedMigrations(dest, 3600)).map((m) => m.uuid), [old.uuid]);
        });

        test('listInProgressLiveMigrations lists the server\'s live migrations under way', async () => {
          const uuid = await insertInstance(db);
          const running = await newMigration(uuid, { migrationType: 'live-migration', status: 'running' });
          await newMigration(uuid, { migrationType: 'live-migration', status: 'completed' });
          await newMigration(uuid, { migrationType: 'resize', status: 'running' });
          assert.deepEqual((await store.listInProgressLiveMigrations(uuid)).map((m) => m.uuid), [running.uuid]);
        });

        test('listEvacuationsFrom lists the evacuations away from the host its start has to clean', async () => {
          const source = `src-${randomUUID().slice(0, 8)}`;
          const done = await newMigration(await insertInstance(db), { migrationType: 'evacuation', status: 'done', sourceCompute: source });
          const accepted = await newMigration(await insertInstance(db), { migrationType: 'evacuation', status: 'accepted', sourceCompute: source });
          await newMigration(await insertInstance(db), { migrationType: 'evacuation', status: 'completed', sourceCompute: source });
          await newMigration(await insertInstance(db), { migrationType: 'resize', status: 'done', sourceCompute: source });
          assert.deepEqual((await store.listEvacuationsFrom(source)).map((m) => m.uuid).sort(), [done.uuid, accepted.uuid].sort());
        });
      });

      describe('instance groups', () => {
        async function insertGroup(policy: string, rules: Record<string, unknown>, members: string[]): Promise<string> {
          const uuid = randomUUID();
          await db.insertInto('instance_groups').values({
            uuid, name: 'g', project_id: 'p1', user_id: 'u1', policy, rules: JSON.stringify(rules), created_at: new Date().toISOString(),
          }).execute();
          const { id } = await db.selectFrom('instance_groups').select('id').where('uuid', '=', uuid).executeTakeFirstOrThrow();
          await db.insertInto('instance_group_member').values(members.map((m) => ({ group_id: id, instance_uuid: m }))).execute();
          return uuid;
        }

        test('getGroupPlacement gives the policy, rules and the hosts of the other live members', async () => {
          const [h1, h2] = [`g1-${randomUUID().slice(0, 8)}`, `g2-${randomUUID().slice(0, 8)}`];
          const building = await insertInstance(db, { host: h1 });
          const members = [building, await insertInstance(db, { host: h1 }), await insertInstance(db, { host: h1 }), await insertInstance(db, { host: h2 })];
          const gone = await insertInstance(db, { host: h2 });
          const unplaced = await insertInstance(db, { host: null });
          const group = await insertGroup('anti-affinity', { max_server_per_host: 2 }, [...members, gone, unplaced]);
          await store.destroyInstance(gone);
          assert.deepEqual(await store.getGroupPlacement(group, building), {
            uuid: group, policy: 'anti-affinity', rules: { max_server_per_host: 2 }, hosts: { [h1]: 2, [h2]: 1 },
          });
        });

        test('getGroupPlacement of a group without rules or other members; null for an unknown group', async () => {
          const only = await insertInstance(db);
          const group = await insertGroup('affinity', {}, [only]);
          assert.deepEqual(await store.getGroupPlacement(group, only), { uuid: group, policy: 'affinity', rules: {}, hosts: {} });
          assert.equal(await store.getGroupPlacement(randomUUID(), only), null);
        });
      });

      describe('compute nodes', () => {
        test('a node is created, read by host and name, saved, and listed by host', async () => {
          const host = `node-${randomUUID().slice(0, 8)}`;
          assert.equal(await store.getComputeNode(host, host), null);
          const created = await store.createComputeNode(host, host, nodeValues());
          assert.equal(created.host, host);
          assert.equal(created.hypervisor_hostname, host);
          assert.equal(created.deleted, 0);
          assert.equal((await store.getComputeNode(host, host))?.uuid, created.uuid);
          assert.equal(await store.saveComputeNode(created.uuid, nodeValues({ vcpus_used: 3, running_vms: 2, cpu_allocation_ratio: 4 })), true);
          const saved = await store.getComputeNode(host, host);
          assert.equal(saved?.vcpus_used, 3);
          assert.equal(saved?.cpu_allocation_ratio, 4);
          assert.deepEqual((await store.listComputeNodes(host)).map((n) => n.uuid), [created.uuid]);
          assert.deepEqual(await store.listComputeNodes(`${host}-none`), []);
        });

        test('saveComputeNode answers false for a node that is gone', async () => {
          assert.equal(await store.saveComputeNode(randomUUID(), nodeValues()), false);
        });

        test('getNodeUsage sums what the live servers of the node take', async () => {
          const host = `usage-${randomUUID().slice(0, 8)}`;
          assert.deepEqual(await store.getNodeUsage(host, host), { instances: 0, vcpus: 0, memory_mb: 0, local_gb: 0 });
          await insertInstance(db, { host, node: host, vcpus: 2, memory_mb: 1024, root_gb: 10, ephemeral_gb: 5 });
          await insertInstance(db, { host, node: host, vcpus: 1, memory_mb: 512, root_gb: 1, ephemeral_gb: 0 });
          await insertInstance(db, { host, node: 'other-node', vcpus: 8 });
          await store.destroyInstance(await insertInstance(db, { host, node: host, vcpus: 16 }));
          assert.deepEqual(await store.getNodeUsage(host, host), { instances: 2, vcpus: 3, memory_mb: 1536, local_gb: 16 });
        });
      });

      describe('console tokens', () => {
        test('deleteConsoleTokens ends the console URLs of that server only', async () => {
          const moved = await insertInstance(db);
          const stays = await insertInstance(db);
          const info = (instanceUuid: string) => ({
            instanceUuid, consoleType: 'novnc', host: '127.0.0.1', port: 5900, internalAccessPath: null, accessUrlBase: 'http://proxy/vnc_auto.html',
          });
          const movedToken = await authorizeConsole(db, info(moved), 600);
          const staysToken = await authorizeConsole(db, info(stays), 600);
          await store.deleteConsoleTokens(moved);
          assert.equal(await validateConsoleToken(db, movedToken), null);
          assert.equal((await validateConsoleToken(db, staysToken))?.instanceUuid, stays);
        });
      });

      describe('services', () => {
        test('registerService makes one record per host and binary; reportServiceUp counts the heartbeats', async () => {
          const host = `svc-${randomUUID().slice(0, 8)}`;
          await store.registerService(host, 'nova-compute', 'compute');
          await store.registerService(host, 'nova-compute', 'compute');
          const rows = () => db.selectFrom('services').selectAll().where('host', '=', host).where('deleted', '=', 0).execute();
          assert.equal((await rows()).length, 1);
          assert.ok((await rows())[0].last_seen_up);
          await store.reportServiceUp(host, ['nova-compute']);
          await store.reportServiceUp(host, ['nova-compute']);
          assert.equal((await rows())[0].report_count, 2);
          await store.reportServiceUp(host, ['nova-scheduler']);
          assert.equal((await rows())[0].report_count, 2);
        });
      });
    });
  }
}
