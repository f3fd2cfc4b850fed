/**
 * The spine of the system: POST /servers → ComputeAPI → conductor → scheduler
 * (placement) → ComputeManager → fake driver, and the delete that undoes it.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { functionalSuite, inProcessOnly, startFunctionalCloud, type FunctionalCloud, type NotificationLog } from '../helpers/functional-cloud.js';
import { allocationsOf, bootActive, createServer, portsOf, privateNetworkId, uploadImage, V237 } from './fixtures.js';

describe(...functionalSuite('server boot flow'), () => {
  let cloud: FunctionalCloud;
  let image: string;
  let net: string;
  let notifications: NotificationLog;

  before(async () => {
    cloud = await startFunctionalCloud();
    image = await uploadImage(cloud);
    net = await privateNetworkId(cloud);
    notifications = await cloud.collectNotifications();
  });
  after(async () => cloud?.close());

  test('a server with a network port boots to ACTIVE with an address, a port and an allocation', async () => {
    const create = await createServer(cloud, { name: 'web-1', imageRef: image, flavorRef: '1', networks: [{ uuid: net }] });
    assert.equal(create.status, 202);
    assert.match(create.headers.get('x-compute-request-id') ?? '', /^req-[0-9a-f-]{36}$/);
    assert.equal(create.headers.get('x-openstack-request-id'), create.headers.get('x-compute-request-id'));
    assert.ok(create.json.server.adminPass);
    const id = create.json.server.id;
    const server = await cloud.waitForServer(id, 'ACTIVE');
    assert.equal(server['OS-EXT-STS:vm_state'], 'active');
    assert.equal(server['OS-EXT-STS:task_state'], null);
    assert.equal(server['OS-EXT-STS:power_state'], 1);
    assert.ok(server['OS-SRV-USG:launched_at']);
    const addrs = server.addresses.private;
    assert.equal(addrs.length, 1);
    assert.match(addrs[0].addr, /^10\.0\.\d+\.\d+$/);

    const ports = await portsOf(cloud, id);
    assert.equal(ports.length, 1);
    assert.equal(ports[0].fixed_ips[0].ip_address, addrs[0].addr);
    assert.equal(ports[0].mac_address, addrs[0]['OS-EXT-IPS-MAC:mac_addr']);

    const allocs = await allocationsOf(cloud, id);
    const [resources] = Object.values(allocs).map((a: any) => a.resources);
    assert.deepEqual(resources, { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 });

    // Every step is recorded as an action event under the request id.
    const requestId = create.headers.get('x-compute-request-id');
    const action = await cloud.request('GET', `/compute/v2.1/servers/${id}/os-instance-actions/${requestId}`);
    assert.equal(action.status, 200);
    assert.equal(action.json.instanceAction.action, 'create');
    const events = action.json.instanceAction.events.map((e: any) => `${e.event}:${e.result}`);
    assert.ok(events.includes('conductor_schedule_and_build_instances:Success'), events.join());
    assert.ok(events.includes('compute__do_build_and_run_instance:Success'), events.join());

    assert.deepEqual(await notifications.eventTypesOf(requestId, 2), ['instance.create.start', 'instance.create.end']);
  });

  test('delete frees the port, the allocation and the quota', async () => {
    const server = await bootActive(cloud, { name: 'doomed', imageRef: image, flavorRef: '2', networks: [{ uuid: net }] });
    const before = await cloud.request('GET', '/compute/v2.1/limits');
    const del = await cloud.request('DELETE', `/compute/v2.1/servers/${server.id}`);
    assert.equal(del.status, 204);
    await cloud.waitForServer(server.id, 'DELETED');
    assert.deepEqual(await portsOf(cloud, server.id), []);
    assert.deepEqual(await allocationsOf(cloud, server.id), {});
    const after = await cloud.request('GET', '/compute/v2.1/limits');
    assert.equal(after.json.limits.absolute.totalInstancesUsed, before.json.limits.absolute.totalInstancesUsed - 1);
    assert.equal(after.json.limits.absolute.totalRAMUsed, before.json.limits.absolute.totalRAMUsed - 2048);
    const list = await cloud.request('GET', '/compute/v2.1/servers');
    assert.ok(!list.json.servers.some((s: any) => s.id === server.id));
  });

  test('min_count/max_count create several servers named name-N with one reservation id', async () => {
    const res = await createServer(cloud, { name: 'batch', imageRef: image, flavorRef: '1', min_count: 3, max_count: 3, return_reservation_id: true, networks: 'none' }, { headers: V237 });
    assert.equal(res.status, 202);
    const rid = res.json.reservation_id;
    assert.match(rid, /^r-/);
    const list = await cloud.request('GET', `/compute/v2.1/servers/detail?reservation_id=${rid}`);
    assert.equal(list.json.servers.length, 3);
    assert.deepEqual(list.json.servers.map((s: any) => s.name).sort(), ['batch-1', 'batch-2', 'batch-3']);
    for (const s of list.json.servers) {
      const active = await cloud.waitForServer(s.id, 'ACTIVE');
      assert.deepEqual(active.addresses, {});
    }
  });

  test('a spawn failure ends in ERROR with a fault, and leaves no port or allocation behind', inProcessOnly('injects the failure into the fake driver'), async () => {
    cloud.allInOne!.fakeDriver!.failNextSpawns(1, 'injected hypervisor failure');
    const res = await createServer(cloud, { name: 'broken', imageRef: image, flavorRef: '1', networks: [{ uuid: net }] });
    assert.equal(res.status, 202);
    const server = await cloud.waitForServer(res.json.server.id, 'ERROR');
    assert.equal(server['OS-EXT-STS:task_state'], null);
    assert.equal(server.fault.code, 500);
    assert.match(server.fault.message, /injected hypervisor failure/);
    assert.doesNotMatch(server.fault.message, /at .*\.js/);
    assert.deepEqual(await portsOf(cloud, server.id), []);
    assert.deepEqual(await allocationsOf(cloud, server.id), {});
    const errs = notifications.received.filter((n) => n.event_type === 'instance.create.error' && n.payload['nova_object.data'].uuid === server.id);
    assert.equal(errs.length, 1);
    // An ERROR server can be deleted, and then it is gone.
    assert.equal((await cloud.request('DELETE', `/compute/v2.1/servers/${server.id}`)).status, 204);
    await cloud.waitForServer(server.id, 'DELETED');
  });

  test('no host with room: ERROR with the NoValidHost fault, nothing claimed', async () => {
    const flavor = await cloud.request('POST', '/compute/v2.1/flavors', { body: { flavor: { name: 'huge', ram: 1048576 * 4, vcpus: 1, disk: 1 } } });
    assert.equal(flavor.status, 200, JSON.stringify(flavor.json));
    const res = await createServer(cloud, { name: 'too-big', imageRef: image, flavorRef: flavor.json.flavor.id, networks: 'none' }, { headers: V237 });
    assert.equal(res.status, 202);
    const server = await cloud.waitForServer(res.json.server.id, 'ERROR');
    assert.match(server.fault.message, /No valid host was found/);
    assert.deepEqual(await allocationsOf(cloud, server.id), {});
  });

  test('power actions change the state the fake hypervisor reports', async () => {
    const server = await bootActive(cloud, { name: 'power', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    const act = (body: unknown) => cloud.request('POST', `/compute/v2.1/servers/${server.id}/action`, { body });
    assert.equal((await act({ 'os-stop': null })).status, 202);
    const stopped = await cloud.waitForServer(server.id, 'SHUTOFF');
    assert.equal(stopped['OS-EXT-STS:power_state'], 4);
    assert.equal((await act({ 'os-stop': null })).status, 409);
    assert.equal((await act({ 'os-start': null })).status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE');
    assert.equal((await act({ pause: null })).status, 202);
    assert.equal((await cloud.waitForServer(server.id, 'PAUSED'))['OS-EXT-STS:power_state'], 3);
    assert.equal((await act({ unpause: null })).status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE');
    assert.equal((await act({ suspend: null })).status, 202);
    assert.equal((await cloud.waitForServer(server.id, 'SUSPENDED'))['OS-EXT-STS:power_state'], 7);
    assert.equal((await act({ resume: null })).status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE');
    assert.equal((await act({ reboot: { type: 'HARD' } })).status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE');
    assert.equal((await act({ reboot: { type: 'SIDEWAYS' } })).status, 400);
    assert.equal((await act({ 'os-frobnicate': null })).status, 404);
    // The fake driver's call log is readable only where the driver runs in this process.
    if (cloud.allInOne) {
      const calls = cloud.allInOne.fakeDriver!.calls.filter((c) => c.uuid === server.id).map((c) => c.method);
      assert.deepEqual(calls, ['spawn', 'powerOff', 'powerOn', 'pause', 'unpause', 'suspend', 'resume', 'reboot:HARD']);
    }
  });

  test('server update renames and metadata round-trips', async () => {
    const server = await bootActive(cloud, { name: 'meta', imageRef: image, flavorRef: '1', networks: 'none', metadata: { role: 'db' } }, 'admin', V237);
    const up = await cloud.request('PUT', `/compute/v2.1/servers/${server.id}`, { body: { server: { name: 'meta-renamed' } } });
    assert.equal(up.status, 200);
    assert.equal(up.json.server.name, 'meta-renamed');
    const base = `/compute/v2.1/servers/${server.id}/metadata`;
    assert.deepEqual((await cloud.request('GET', base)).json, { metadata: { role: 'db' } });
    assert.deepEqual((await cloud.request('POST', base, { body: { metadata: { tier: 'gold' } } })).json, { metadata: { role: 'db', tier: 'gold' } });
    assert.deepEqual((await cloud.request('PUT', `${base}/tier`, { body: { meta: { tier: 'silver' } } })).json, { meta: { tier: 'silver' } });
    assert.equal((await cloud.request('PUT', `${base}/tier`, { body: { meta: { other: 'x' } } })).status, 400);
    assert.deepEqual((await cloud.request('GET', `${base}/tier`)).json, { meta: { tier: 'silver' } });
    assert.equal((await cloud.request('DELETE', `${base}/tier`)).status, 204);
    assert.equal((await cloud.request('GET', `${base}/tier`)).status, 404);
    assert.deepEqual((await cloud.request('PUT', base, { body: { metadata: {} } })).json, { metadata: {} });
    assert.equal((await cloud.request('POST', base, { body: { metadata: { k: 5 } } })).status, 400);
  });

  test('console output comes from the guest on its host, tailed by length', async () => {
    const server = await bootActive(cloud, { name: 'console', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    const act = (body: unknown, who: 'admin' | 'demo' = 'admin') => cloud.request('POST', `/compute/v2.1/servers/${server.id}/action`, { body, who });
    assert.equal((await act({ reboot: { type: 'SOFT' } })).status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE');
    const all = await act({ 'os-getConsoleOutput': {} });
    assert.equal(all.status, 200);
    assert.match(all.json.output, /fake guest instance-[0-9a-f]{8} \(console\) booted\nsoft reboot\n$/);
    assert.match(all.json.output.split('\n')[1], /^1 vCPUs, \d+ MiB RAM, \d+ GiB disk$/);
    // Nova's tail counts the piece after the final newline: length 2 is the last line and its newline.
    const last = await act({ 'os-getConsoleOutput': { length: 2 } });
    assert.equal(last.json.output, 'soft reboot\n');
    assert.equal((await act({ 'os-getConsoleOutput': { length: 3 } })).json.output.split('\n').length, 3);
    assert.equal((await act({ 'os-getConsoleOutput': { length: 0 } })).json.output, '');
    assert.equal((await act({ 'os-getConsoleOutput': { length: -1 } })).json.output, all.json.output);
    assert.equal((await act({ 'os-getConsoleOutput': { length: 'many' } })).status, 400);
    assert.equal((await act({ 'os-getConsoleOutput': {} }, 'demo')).status, 404);
  });
});
