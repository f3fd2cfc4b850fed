/**
 * [DEFAULT] instance_build_timeout, as Nova's _check_instance_build_time: a
 * server its host holds in BUILD longer than that goes to ERROR with a fault.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { uploadImage, V237 } from './fixtures.js';

// Long past the timeout, short enough for the cloud's stop to wait it out.
const SPAWN_MS = 6000;
const HUNG_SPAWN = { fake_driver: { spawn_delay_ms: String(SPAWN_MS) } };

async function bootHung(cloud: TestCloud, name: string): Promise<string> {
  const image = await uploadImage(cloud);
  const res = await cloud.request('POST', '/compute/v2.1/servers', {
    who: 'demo', headers: V237, body: { server: { name, imageRef: image, flavorRef: '1', networks: 'none' } },
  });
  assert.equal(res.status, 202, JSON.stringify(res.json));
  const id = res.json.server.id as string;
  await cloud.waitForServer(id, 'BUILD', 'demo');
  return id;
}

describe('instance_build_timeout', () => {
  const clouds: TestCloud[] = [];
  after(async () => { for (const c of clouds) await c.close(); });

  test('a build its host holds past the timeout goes to ERROR with a fault', { timeout: 30_000 }, async () => {
    const cloud = await startTestCloud({ ...HUNG_SPAWN, DEFAULT: { instance_build_timeout: '1', report_interval: '1' } });
    clouds.push(cloud);
    const id = await bootHung(cloud, 'hung');
    const server = await cloud.waitForServer(id, 'ERROR', 'demo', 15_000);
    assert.equal(server['OS-EXT-STS:task_state'], null);
    assert.equal(server.fault.message, 'Instance build timed out. Set to error state.');
  });
});
