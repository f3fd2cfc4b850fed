/**
 * The fake driver's live migration between two fake hosts: the destination
 * prepares a paused copy, the source's copy takes action_delay_ms (cut short
 * by a forced completion), then the guest runs only on the destination; an
 * abort leaves it running on the source and the destination rolls back.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { FakeDriver } from '../../src/virt/fake/driver.js';
import { LiveMigrationAborted, PowerState, type DriverInstance } from '../../src/virt/driver.js';
import type { Flavor } from '../../src/objects/flavor.js';

const flavor: Flavor = {
  id: 1, flavorid: '1', name: 'm1.tiny', memory_mb: 512, vcpus: 1, root_gb: 1, ephemeral_gb: 0, swap: 0,
  rxtx_factor: 1, is_public: true, disabled: false, description: null, extra_specs: {},
};

function instance(): DriverInstance {
  return {
    uuid: randomUUID(), name: 'instance-lm', hostname: 'lm', displayName: 'lm', projectId: 'p', userId: 'u', availabilityZone: null, launchIndex: 0,
    createdAt: new Date().toISOString(), flavor, userData: null, keyName: null, keyData: null, metadata: {}, configDrive: false,
    image: { id: randomUUID(), name: 'cirros', disk_format: 'qcow2', container_format: 'bare', size: 1, min_disk: 0, min_ram: 0, properties: {} },
  };
}

async function pair(actionDelayMs = 0): Promise<[FakeDriver, FakeDriver]> {
  const a = new FakeDriver({ vcpus: 8, memoryMb: 8192, localGb: 100, actionDelayMs });
  const b = new FakeDriver({ vcpus: 8, memoryMb: 8192, localGb: 100, actionDelayMs });
  await a.initHost('a');
  await b.initHost('b');
  return [a, b];
}

const never = new Promise<void>(() => undefined);

describe('fake live migration', () => {
  test('pre, copy and post move the running guest from the source to the destination', async () => {
    const [a, b] = await pair();
    const inst = instance();
    await a.spawn({ instance: inst, networkInfo: [], blockDeviceInfo: { rootDeviceName: '/dev/vda', devices: [] } });
    await b.preLiveMigration(inst, []);
    assert.equal((await b.getInfo(inst)).state, PowerState.PAUSED);
    await a.liveMigration(inst, 'b', { signal: new AbortController().signal, completeNow: never });
    assert.deepEqual(await a.listInstances(), []);
    await b.postLiveMigrationAtDestination(inst, [], { powerState: PowerState.RUNNING });
    assert.equal((await b.getInfo(inst)).state, PowerState.RUNNING);
    assert.ok(b.calls.some((c) => c.method === 'postLiveMigrationAtDestination' && c.uuid === inst.uuid));
  });

  test('an abort during the copy keeps the guest on the source; the destination rolls back its copy', async () => {
    const [a, b] = await pair(60_000);
    const inst = instance();
    await a.spawn({ instance: inst, networkInfo: [], blockDeviceInfo: { rootDeviceName: '/dev/vda', devices: [] } });
    await b.preLiveMigration(inst, []);
    const abort = new AbortController();
    const copy = a.liveMigration(inst, 'b', { signal: abort.signal, completeNow: never });
    abort.abort();
    await assert.rejects(copy, LiveMigrationAborted);
    assert.equal((await a.getInfo(inst)).state, PowerState.RUNNING);
    await b.rollbackLiveMigrationAtDestination(inst, []);
    assert.deepEqual(await b.listInstances(), []);
  });

  test('a forced completion ends a long copy at once', async () => {
    const [a, b] = await pair(60_000);
    const inst = instance();
    await a.spawn({ instance: inst, networkInfo: [], blockDeviceInfo: { rootDeviceName: '/dev/vda', devices: [] } });
    await b.preLiveMigration(inst, []);
    let complete!: () => void;
    const completeNow = new Promise<void>((r) => { complete = r; });
    const copy = a.liveMigration(inst, 'b', { signal: new AbortController().signal, completeNow });
    complete();
    await copy;
    assert.deepEqual(await a.listInstances(), []);
  });
});
