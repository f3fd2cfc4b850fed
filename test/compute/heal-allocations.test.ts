/**
 * The audit the all-in-one runs at start, after recovery: allocations and
 * ports whose server is gone are removed, a settled server without an
 * allocation gets one from its flavor, and consistent servers are untouched.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { makeOrphans, type Orphans } from '../helpers/orphans.js';
import { allocationsOf, portsOf } from './fixtures.js';

/** Provider → resources, without the providers' generations (other consumers' changes bump them). */
function resourcesOf(allocs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(allocs).map(([rp, a]) => [rp, (a as { resources: unknown }).resources]));
}

describe('the allocation and port audit at start', () => {
  let statePath: string;
  let cloud: TestCloud;
  let o: Orphans;
  let healthyBefore: unknown;

  before(async () => {
    statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-heal-start-'));
    cloud = await startTestCloud({}, { statePath });
    o = await makeOrphans(cloud);
    healthyBefore = resourcesOf(await allocationsOf(cloud, o.healthy));
    await cloud.close();
    cloud = await startTestCloud({}, { statePath });
  });

  after(async () => {
    await cloud?.close();
    fs.rmSync(statePath, { recursive: true, force: true });
  });

  test('an allocation whose consumer is no server is removed', async () => {
    assert.deepEqual(await allocationsOf(cloud, o.orphanConsumer), {});
    const usages = (await cloud.request('GET', `/placement/resource_providers/${o.provider}/usages`)).json.usages;
    assert.equal(usages.VCPU, 2, 'only the two servers\' vCPUs are in use');
  });

  test('ports bound to a server that does not exist are released: deleted when compute made them, unbound when a user did', async () => {
    assert.equal((await cloud.request('GET', `/network/v2.0/ports/${o.computePort}`)).status, 404);
    const mine = (await cloud.request('GET', `/network/v2.0/ports/${o.userPort}`)).json.port;
    assert.equal(mine.device_id, '');
    assert.equal(mine.device_owner, '');
  });

  test('an ACTIVE server without an allocation gets one from its flavor on its host; consistent servers are untouched', async () => {
    const allocs = await allocationsOf(cloud, o.unallocated) as Record<string, { resources: Record<string, number> }>;
    assert.deepEqual(Object.keys(allocs), [o.provider]);
    assert.deepEqual(allocs[o.provider].resources, { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 });
    assert.deepEqual(resourcesOf(await allocationsOf(cloud, o.healthy)), healthyBefore);
    assert.equal((await portsOf(cloud, o.healthy)).length, 1);
    assert.equal((await portsOf(cloud, o.unallocated)).length, 1);
  });
});
