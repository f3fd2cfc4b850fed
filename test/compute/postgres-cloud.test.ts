/**
 * The whole cloud on PostgreSQL ([database] connection = postgresql://...):
 * a server boots with a port, lists, and deletes cleanly. Runs whenever
 * PostgreSQL answers (required with CI=true), each run in a database of its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PG_URL, postgresAvailable } from '../helpers/databases.js';
import { startTestCloudOn } from '../helpers/cloud.js';
import { allocationsOf, bootActive, portsOf, privateNetworkId, uploadImage } from './fixtures.js';

const available = await postgresAvailable();
if (!available && process.env.CI === 'true') throw new Error(`PostgreSQL does not answer at ${PG_URL}, and CI requires it`);

test('the all-in-one runs on PostgreSQL', { skip: available ? false : `PostgreSQL does not answer at ${PG_URL}` }, async () => {
  const cloud = await startTestCloudOn('postgres');
  try {
    assert.equal(cloud.database.dialect, 'postgres');
    const image = await uploadImage(cloud);
    const net = await privateNetworkId(cloud);
    const servers = await Promise.all([1, 2, 3].map((i) => bootActive(cloud, { name: `pg-${i}`, imageRef: image, flavorRef: '1', networks: [{ uuid: net }] })));
    const addrs = servers.map((s) => s.addresses.private[0].addr);
    assert.equal(new Set(addrs).size, 3);
    const list = await cloud.request('GET', '/compute/v2.1/servers/detail');
    assert.equal(list.json.servers.length, 3);
    for (const s of servers) {
      assert.equal((await cloud.request('DELETE', `/compute/v2.1/servers/${s.id}`)).status, 204);
      await cloud.waitForServer(s.id, 'DELETED');
      assert.deepEqual(await portsOf(cloud, s.id), []);
      assert.deepEqual(await allocationsOf(cloud, s.id), {});
    }
  } finally {
    await cloud.close();
  }
});
