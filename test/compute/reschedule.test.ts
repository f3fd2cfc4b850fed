/**
 * Two compute hosts on one bus: a build that fails on the first host goes to
 * the alternate through the conductor; when every host fails, ERROR.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { testLogger } from '../helpers/logger.js';
import { loadConfig } from '../../src/conf/loader.js';
import { FakeDriver } from '../../src/virt/fake/driver.js';
import { ComputeManager } from '../../src/compute/manager.js';
import { computeTopic } from '../../src/compute/rpcapi.js';
import { DatabaseComputeHostStore } from '../../src/compute/host-objects/database.js';
import { RpcServer } from '../../src/bus/rpc.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import { allocationsOf, createServer, uploadImage, V237 } from './fixtures.js';

describe('rescheduling to an alternate host', () => {
  let cloud: TestCloud;
  let image: string;
  let node2: FakeDriver;
  let manager2: ComputeManager;
  let server2: RpcServer;

  before(async () => {
    cloud = await startTestCloud();
    image = await uploadImage(cloud);
    const db = cloud.database.db as ComputeDb;
    // A smaller second host, so the weighers prefer the all-in-one's own host first.
    node2 = new FakeDriver({ vcpus: 64, memoryMb: 65536, localGb: 1000 });
    const conf = loadConfig({ env: {}, overrides: { DEFAULT: { host: 'node2', state_path: cloud.statePath } } });
    manager2 = new ComputeManager({
      host: 'node2', store: new DatabaseComputeHostStore(db), driver: node2, network: cloud.services.network, placement: cloud.services.placement,
      conductor: cloud.services.conductor, notifier: cloud.services.notifier, conf, logger: testLogger,
    });
    await manager2.initHost();
    server2 = new RpcServer(cloud.transport, computeTopic('node2'), manager2.endpoint(), testLogger);
    await server2.start();
    await manager2.registerService();
  });

  after(async () => {
    await server2?.stop();
    await manager2?.stop();
    await cloud?.close();
  });

  test('both hosts are hypervisors', async () => {
    const res = await cloud.request('GET', '/compute/v2.1/os-hypervisors');
    assert.equal(res.json.hypervisors.length, 2);
  });

  test('a spawn that fails on the first host succeeds on the alternate', async () => {
    cloud.fakeDriver!.failNextSpawns(1, 'first host broke');
    const res = await createServer(cloud, { name: 'resched', imageRef: image, flavorRef: '1', networks: 'auto' }, { headers: V237 });
    assert.equal(res.status, 202);
    const id = res.json.server.id;
    const server = await cloud.waitForServer(id, 'ACTIVE');
    assert.equal(server['OS-EXT-SRV-ATTR:host'], 'node2');
    assert.deepEqual(await node2.listInstances(), [id]);
    assert.deepEqual(await cloud.fakeDriver!.listInstances(), []);
    // The allocation moved with it: exactly one provider, node2's.
    const allocs = await allocationsOf(cloud, id);
    const providers = Object.keys(allocs);
    assert.equal(providers.length, 1);
    const rp = await cloud.request('GET', `/placement/resource_providers/${providers[0]}`);
    assert.equal(rp.json.name, 'node2');
    // The failed attempt is on record, and its port was released: one port, on the server now.
    const action = await cloud.request('GET', `/compute/v2.1/servers/${id}/os-instance-actions/${res.headers.get('x-compute-request-id')}`);
    const builds = action.json.instanceAction.events.filter((e: any) => e.event === 'compute__do_build_and_run_instance').map((e: any) => e.result);
    assert.deepEqual(builds.sort(), ['Error', 'Success']);
    const ports = await cloud.request('GET', `/network/v2.0/ports?device_id=${id}`);
    assert.equal(ports.json.ports.length, 1);
    assert.equal(ports.json.ports[0]['binding:host_id'], 'node2');

    assert.equal((await cloud.request('DELETE', `/compute/v2.1/servers/${id}`)).status, 204);
    await cloud.waitForServer(id, 'DELETED');
    assert.deepEqual(await node2.listInstances(), []);
  });

  test('when every host fails, the server ends in ERROR having tried them all', async () => {
    cloud.fakeDriver!.failNextSpawns(1, 'first host broke');
    node2.failNextSpawns(1, 'second host broke');
    const res = await createServer(cloud, { name: 'doomed', imageRef: image, flavorRef: '1', networks: 'none' }, { headers: V237 });
    const server = await cloud.waitForServer(res.json.server.id, 'ERROR');
    assert.match(server.fault.message, /second host broke|Exceeded maximum number of retries/);
    assert.deepEqual(await allocationsOf(cloud, server.id), {});
    assert.equal(node2.calls.filter((c) => c.uuid === server.id && c.method === 'spawn').length, 1);
    assert.equal(cloud.fakeDriver!.calls.filter((c) => c.uuid === server.id && c.method === 'spawn').length, 1);
    assert.equal((await cloud.request('DELETE', `/compute/v2.1/servers/${server.id}`)).status, 204);
    await cloud.waitForServer(server.id, 'DELETED');
  });

  test('deleting a compute service removes its node from the hypervisors and its provider from placement', async () => {
    const services = await cloud.request('GET', '/compute/v2.1/os-services?binary=nova-compute&host=node2', { headers: { 'openstack-api-version': 'compute 2.53' } });
    const [svc] = services.json.services;
    const hyp = await cloud.request('GET', '/compute/v2.1/os-hypervisors?hypervisor_hostname_pattern=node2', { headers: { 'openstack-api-version': 'compute 2.53' } });
    const rpUuid = hyp.json.hypervisors[0].id;
    assert.equal((await cloud.request('GET', `/placement/resource_providers/${rpUuid}`)).status, 200);
    await server2.stop();
    await manager2.stop();
    const del = await cloud.request('DELETE', `/compute/v2.1/os-services/${svc.id}`, { headers: { 'openstack-api-version': 'compute 2.53' } });
    assert.equal(del.status, 204);
    assert.equal((await cloud.request('GET', `/placement/resource_providers/${rpUuid}`)).status, 404);
    assert.equal((await cloud.request('GET', '/compute/v2.1/os-hypervisors')).json.hypervisors.length, 1);
  });
});
