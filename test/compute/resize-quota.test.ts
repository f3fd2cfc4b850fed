/**
 * A resize to a bigger flavor is charged the difference in cores and RAM
 * against the server owner's quota, as Nova's _check_quota_for_upsize: over
 * quota is a 403 naming the resource, and nothing about the server changes.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import { bootActive, uploadImage, V237 } from './fixtures.js';

describe('resize quota', () => {
  let cloud: TestCloud;
  let image: string;
  let demoProject: string;
  before(async () => {
    cloud = await startTestCloud({ DEFAULT: { allow_resize_to_same_host: 'true' } });
    image = await uploadImage(cloud);
    demoProject = (await cloud.request('GET', '/identity/v3/projects?name=demo')).json.projects[0].id;
  });
  after(async () => cloud?.close());

  const setQuota = async (project: string, quota: Record<string, number>) => {
    const res = await cloud.request('PUT', `/compute/v2.1/os-quota-sets/${project}`, { body: { quota_set: quota } });
    assert.equal(res.status, 200, JSON.stringify(res.json));
  };
  const resize = (id: string, flavorRef: string) => cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { who: 'demo', body: { resize: { flavorRef } } });

  test('a resize up past the RAM or cores quota is 403 with the resource named, and the server is untouched', async () => {
    const server = await bootActive(cloud, { name: 'q-grow', imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);
    await setQuota(demoProject, { ram: 1024, cores: -1 });
    const overRam = await resize(server.id, '2');
    assert.equal(overRam.status, 403, JSON.stringify(overRam.json));
    assert.match(overRam.json.forbidden.message, /^Quota exceeded for ram: Requested 1536, but already used 512 of 1024 ram$/);

    await setQuota(demoProject, { ram: -1, cores: 1 });
    const overCores = await resize(server.id, '3');
    assert.equal(overCores.status, 403, JSON.stringify(overCores.json));
    assert.match(overCores.json.forbidden.message, /^Quota exceeded for cores: Requested 1, but already used 1 of 1 cores$/);

    const shown = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}`, { who: 'demo' })).json.server;
    assert.deepEqual([shown.status, shown['OS-EXT-STS:task_state'], shown.flavor.id], ['ACTIVE', null, '1']);
    const migrations = await (cloud.database.db as ComputeDb).selectFrom('migrations').select('id').where('instance_uuid', '=', server.id).execute();
    assert.deepEqual(migrations, []);
  });

  test('a resize that fits, or that grows nothing the quota limits, goes ahead', async () => {
    await setQuota(demoProject, { ram: -1, cores: -1 });
    const server = await bootActive(cloud, { name: 'q-fits', imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);
    // Flavor 2 adds RAM only: a cores limit already reached (2 of 2) does not stop it.
    await setQuota(demoProject, { ram: -1, cores: 2 });
    const res = await resize(server.id, '2');
    assert.equal(res.status, 202, JSON.stringify(res.json));
    await cloud.waitForServer(server.id, 'VERIFY_RESIZE', 'demo');
  });
});
