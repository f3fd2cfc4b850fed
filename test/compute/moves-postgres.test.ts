/**
 * Cold migration, live migration and evacuation between two fake hosts on
 * PostgreSQL (the migration records, their status filters and the
 * allocation moves on the other dialect). Runs whenever PostgreSQL answers
 * (required with CI=true).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PG_URL, postgresAvailable } from '../helpers/databases.js';
import { startTestCloudOn } from '../helpers/cloud.js';
import { allocationsOf, bootActive, uploadImage, V237, computeVersion as mv } from './fixtures.js';

const available = await postgresAvailable();
if (!available && process.env.CI === 'true') throw new Error(`PostgreSQL does not answer at ${PG_URL}, and CI requires it`);

test('servers move between two hosts on PostgreSQL', { skip: available ? false : `PostgreSQL does not answer at ${PG_URL}` }, async () => {
  const cloud = await startTestCloudOn('postgres', {}, { fakeHosts: 2 });
  try {
    assert.equal(cloud.database.dialect, 'postgres');
    const image = await uploadImage(cloud);
    const server = await bootActive(cloud, { name: 'pg-move', imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);
    const hostOf = async () => (await cloud.request('GET', `/compute/v2.1/servers/${server.id}`)).json.server['OS-EXT-SRV-ATTR:host'] as string;
    const act = (body: unknown, version: string) => cloud.request('POST', `/compute/v2.1/servers/${server.id}/action`, { body, headers: mv(version) });
    const idle = async () => {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const s = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}`)).json.server;
        if (s['OS-EXT-STS:task_state'] === null) return s;
        await new Promise((r) => setTimeout(r, 5));
      }
      throw new Error('server still busy');
    };
    const first = await hostOf();

    assert.equal((await act({ migrate: null }, '2.1')).status, 202);
    await cloud.waitForServer(server.id, 'VERIFY_RESIZE', 'demo');
    assert.equal((await act({ confirmResize: null }, '2.1')).status, 204);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
    const second = await hostOf();
    assert.notEqual(second, first);

    assert.equal((await act({ 'os-migrateLive': { host: null, block_migration: 'auto' } }, '2.25')).status, 202);
    const back = await idle();
    assert.equal(back['OS-EXT-SRV-ATTR:host'], first);
    assert.equal(back.status, 'ACTIVE');

    const down = await cloud.request('PUT', '/compute/v2.1/os-services/force-down', { body: { host: first, binary: 'nova-compute', forced_down: true }, headers: mv('2.11') });
    assert.equal(down.status, 200);
    assert.equal((await act({ evacuate: {} }, '2.14')).status, 200);
    const evacuated = await idle();
    assert.equal(evacuated['OS-EXT-SRV-ATTR:host'], second);

    const migrations = (await cloud.request('GET', `/compute/v2.1/os-migrations?instance_uuid=${server.id}`, { headers: mv('2.23') })).json.migrations;
    assert.deepEqual(migrations.map((m: any) => [m.migration_type, m.status]).sort(), [['evacuation', 'done'], ['live-migration', 'completed'], ['migration', 'confirmed']]);
    assert.equal(Object.keys(await allocationsOf(cloud, server.id)).length, 2);
  } finally {
    await cloud.close();
  }
});
