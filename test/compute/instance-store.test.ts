/** The compute data layer on every database dialect: instance rows, state guards, soft delete, listing, quota counting. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { databaseTargets } from '../helpers/databases.js';
import { syncDatabase } from '../../src/db/migrate.js';
import { computeMigrations } from '../../src/compute/db/migrations.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import { getInstanceRow, getMetadata, markInstanceDeleted, updateInstance, addInstanceFault, InstanceNotFound } from '../../src/compute/instance-store.js';
import { listInstancePage, latestFaults } from '../../src/compute/instance-list.js';
import { countProjectUsage, allowedInstances, allowedInstancesFor, effectiveLimits, setClassLimits, setLimits } from '../../src/compute/quota.js';
import { loadConfig } from '../../src/conf/loader.js';
import { insertNewInstances, noNewInstanceRecords, type NewInstanceRecords } from '../../src/compute/new-instance-records.js';
import { QuotaExceeded } from '../../src/errors.js';

const targets = await databaseTargets();

function instanceValues(uuid: string, over: Partial<Record<string, unknown>> = {}) {
  const n = (over.display_name as string) ?? `vm-${uuid.slice(0, 4)}`;
  return {
    uuid, project_id: 'p1', user_id: 'u1', display_name: n, display_description: null, hostname: n,
    host: 'h1', node: 'h1', launched_on: 'h1', availability_zone: 'nova', vm_state: 'active', task_state: null, power_state: 1,
    image_ref: 'img', flavor: JSON.stringify({ flavorid: '1', name: 'm1.tiny' }), vcpus: 1, memory_mb: 512, root_gb: 1, ephemeral_gb: 0,
    key_name: null, key_data: null, user_data: null, config_drive: '', access_ip_v4: null, access_ip_v6: null, locked: 0, locked_reason: null,
    launch_index: 0, reservation_id: 'r-1', root_device_name: null, progress: 0, network_info: '[]', security_groups: '["default"]',
    created_at: new Date().toISOString(), updated_at: null, launched_at: null, terminated_at: null, deleted_at: null, deleted: 0,
    ...over,
  } as never;
}

async function insertInstance(db: ComputeDb, over: Partial<Record<string, unknown>> = {}): Promise<string> {
  const uuid = randomUUID();
  await db.insertInto('instances').values(instanceValues(uuid, over)).execute();
  return uuid;
}

for (const target of targets) {
  describe(`compute data layer on ${target.name}`, () => {
    let handle: Awaited<ReturnType<typeof target.open>>;
    let db: ComputeDb;

    before(async () => {
      handle = await target.open();
      db = handle.db as ComputeDb;
      await syncDatabase(db, [computeMigrations]);
    });
    after(async () => handle?.dispose());

    test('an update guarded by the expected task_state applies only when it still holds', async () => {
      const uuid = await insertInstance(db, { task_state: 'spawning' });
      assert.equal(await updateInstance(db, uuid, { task_state: null, vm_state: 'active' }, ['spawning']), true);
      assert.equal(await updateInstance(db, uuid, { task_state: 'deleting' }, ['spawning']), false);
      assert.equal(await updateInstance(db, uuid, { task_state: 'deleting' }, [null]), true);
      assert.equal((await getInstanceRow(db, uuid)).task_state, 'deleting');
    });

    test('soft delete hides the server, removes its metadata and frees its quota', async () => {
      const uuid = await insertInstance(db, { project_id: 'quota-p' });
      await db.insertInto('instance_metadata').values({ instance_uuid: uuid, key: 'k', value: 'v' }).execute();
      assert.deepEqual((await getMetadata(db, [uuid])).get(uuid), { k: 'v' });
      assert.deepEqual(await countProjectUsage(db, 'quota-p'), { instances: 1, cores: 1, ram: 512 });
      await markInstanceDeleted(db, uuid);
      await assert.rejects(getInstanceRow(db, uuid), InstanceNotFound);
      assert.deepEqual(await countProjectUsage(db, 'quota-p'), { instances: 0, cores: 0, ram: 0 });
      const row = await db.selectFrom('instances').selectAll().where('uuid', '=', uuid).executeTakeFirstOrThrow();
      assert.equal(row.deleted, row.id);
      assert.equal(row.vm_state, 'deleted');
      assert.equal((await db.selectFrom('instance_metadata').selectAll().where('instance_uuid', '=', uuid).execute()).length, 0);
      assert.equal(await updateInstance(db, uuid, { task_state: null }), false);
    });

    test('a create reads its usage and every limit layer at once: the class, then the project, then the user', async () => {
      const quota = { ...loadConfig({ env: {} }).quota, instances: 10, cores: 20, ram: 51200 };
      const project = `layers-${target.name}`;
      await setClassLimits(db, 'default', { instances: 8, metadata_items: 5 });
      await setLimits(db, project, null, { instances: 6 });
      for (let i = 0; i < 3; i++) await insertInstance(db, { project_id: project, user_id: 'u1' });
      await insertInstance(db, { project_id: project, user_id: 'u2', vcpus: 4 });
      await insertInstance(db, { project_id: project, user_id: 'u2', deleted: 99 });

      // 4 of the project's 6: room for 2; the class's metadata_items and the configuration's cores come through.
      const plain = await allowedInstancesFor(db, quota, project, 'u1', { cores: 1, ram: 512 }, 1, 5);
      assert.equal(plain.count, 2);
      assert.equal(plain.limits.userOverrides, false);
      assert.deepEqual([plain.limits.project.instances, plain.limits.project.metadata_items, plain.limits.project.cores], [6, 5, 20]);
      assert.deepEqual(await effectiveLimits(db, quota, project, 'u1'), plain.limits);

      // u2 has 4 cores in use (its deleted server counts for nothing) against its own 6: room for two 1-core servers.
      await setLimits(db, project, 'u2', { cores: 6 });
      const user = await allowedInstancesFor(db, quota, project, 'u2', { cores: 1, ram: 512 }, 1, 5);
      assert.equal(user.limits.userOverrides, true);
      assert.deepEqual([user.limits.user.cores, user.limits.user.instances, user.limits.project.cores], [6, 6, 20]);
      assert.equal(user.count, 2);
      await assert.rejects(allowedInstancesFor(db, quota, project, 'u2', { cores: 3, ram: 512 }, 1, 1), /Quota exceeded for cores: Requested 3, but already used 4 of 6 cores/);
      await setClassLimits(db, 'default', { instances: -1, metadata_items: -1 });
    });

    test('a create of many servers writes their records in parts that each bind few enough parameters, in order', async () => {
      const project = `batch-${target.name}`;
      const records: NewInstanceRecords = noNewInstanceRecords();
      const uuids = Array.from({ length: 7 }, () => randomUUID());
      uuids.forEach((uuid, i) => {
        records.instances.push(instanceValues(uuid, { project_id: project, display_name: `b${i}`, launch_index: i }));
        if (i % 2 === 0) records.metadata.push({ instance_uuid: uuid, key: 'k', value: String(i) }, { instance_uuid: uuid, key: 'j', value: 'x' });
        records.blockDevices.push({
          uuid: randomUUID(), instance_uuid: uuid, source_type: 'image', destination_type: 'local', boot_index: 0, device_name: '/dev/vda',
          image_id: 'img', volume_id: null, volume_size: null, delete_on_termination: 1, guest_format: null, disk_bus: null,
          device_type: 'disk', created_at: new Date().toISOString(), deleted: 0,
        });
        records.requestSpecs.push({ instance_uuid: uuid, spec: '{}' });
        records.actions.push({ action: 'create', instance_uuid: uuid, request_id: 'req-batch', user_id: 'u1', project_id: project, start_time: new Date().toISOString(), finish_time: null, message: null, updated_at: null });
      });
      // About 70 parameters a server: at most two servers a part.
      const rows = await insertNewInstances(db, records, 150);
      assert.deepEqual(rows.map((r) => r.uuid), uuids);
      assert.deepEqual(rows.map((r) => r.display_name), uuids.map((_, i) => `b${i}`));
      const counted = async (table: 'block_device_mapping' | 'request_specs' | 'instance_actions' | 'instance_metadata') =>
        Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('instance_uuid', 'in', uuids).executeTakeFirstOrThrow()).n);
      assert.deepEqual([await counted('block_device_mapping'), await counted('request_specs'), await counted('instance_actions'), await counted('instance_metadata')], [7, 7, 7, 8]);
      assert.deepEqual((await getMetadata(db, [uuids[4]])).get(uuids[4]), { k: '4', j: 'x' });

      // 480 servers bind more parameters than SQLite takes in one statement (32766): written all the same.
      const many: NewInstanceRecords = noNewInstanceRecords();
      for (let i = 0; i < 480; i++) {
        const uuid = randomUUID();
        many.instances.push(instanceValues(uuid, { project_id: `${project}-many`, launch_index: i }));
        many.blockDevices.push({ ...records.blockDevices[0], uuid: randomUUID(), instance_uuid: uuid });
        many.requestSpecs.push({ instance_uuid: uuid, spec: '{}' });
        many.actions.push({ ...records.actions[0], instance_uuid: uuid });
      }
      assert.equal((await insertNewInstances(db, many)).length, 480);
      assert.equal((await countProjectUsage(db, `${project}-many`)).instances, 480);
    });

    test('listing pages by marker over (created_at, id) without gaps or repeats', async () => {
      const project = `list-${target.name}`;
      const t0 = Date.parse('2026-01-01T00:00:00Z');
      const made: string[] = [];
      for (let i = 0; i < 7; i++) {
        // Two servers share each timestamp, so the id tie-break matters.
        made.push(await insertInstance(db, { project_id: project, display_name: `s${i}`, created_at: new Date(t0 + Math.floor(i / 2) * 1000).toISOString() }));
      }
      const seen: string[] = [];
      let marker: string | undefined;
      for (let page = 0; page < 10; page++) {
        const res = await listInstancePage(db, { projectId: project, limit: 3, marker, maxLimit: 1000 });
        seen.push(...res.rows.map((r) => r.uuid));
        if (!res.more) break;
        marker = res.rows.at(-1)!.uuid;
      }
      assert.deepEqual(seen, [...made].reverse());
      const asc = await listInstancePage(db, { projectId: project, sortKeys: ['display_name'], sortDirs: ['asc'], maxLimit: 1000 });
      assert.deepEqual(asc.rows.map((r) => r.display_name), ['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
    });

    test('the latest fault of each server is returned', async () => {
      const uuid = await insertInstance(db, { vm_state: 'error' });
      await addInstanceFault(db, uuid, { code: 500, message: 'first' });
      await addInstanceFault(db, uuid, { code: 500, message: 'second' });
      assert.equal((await latestFaults(db, [uuid])).get(uuid)?.message, 'second');
    });

    test('quota: max_count shrinks to what fits, below min_count is refused with the resource named', () => {
      const limits = { instances: 10, cores: 4, ram: -1, key_pairs: 100, metadata_items: 128 };
      assert.equal(allowedInstances(limits, { instances: 0, cores: 0, ram: 0 }, { cores: 1, ram: 512 }, 1, 10), 4);
      assert.throws(() => allowedInstances(limits, { instances: 0, cores: 3, ram: 0 }, { cores: 2, ram: 512 }, 1, 1),
        (e: unknown) => e instanceof QuotaExceeded && /cores: Requested 2, but already used 3 of 4 cores/.test(e.message));
    });
  });
}
