/**
 * evacuate between two fake hosts: refused while the server's compute
 * service is up; once an administrator forces it down (os-services 2.11),
 * the server is rebuilt on the other host (stopped stays stopped), its
 * migration (evacuation) done and its allocation on both hosts until the
 * source's compute service starts again and cleans up. Nova's 400 / 403 /
 * 404 / 409 and each microversion's body.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import { allocationsOf, bootActive, portsOf, privateNetworkId, uploadImage, V237, computeVersion as mv } from './fixtures.js';

async function idle(cloud: TestCloud, id: string): Promise<any> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const s = (await cloud.request('GET', `/compute/v2.1/servers/${id}`)).json.server;
    if (s['OS-EXT-STS:task_state'] === null) return s;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`server ${id} still busy`);
}

describe('evacuate', () => {
  let cloud: TestCloud;
  let image: string;
  let statePath: string;
  let hosts: string[];
  before(async () => {
    // A state path of the test's own, so the cloud can be restarted on it.
    statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-evacuate-'));
    cloud = await startTestCloud({}, { statePath, fakeHosts: 2 });
    hosts = cloud.hosts.map((h) => h.host);
    image = await uploadImage(cloud);
  });
  after(async () => {
    await cloud?.close();
    fs.rmSync(statePath, { recursive: true, force: true });
  });

  const act = (id: string, body: unknown, version = '2.14', who: 'admin' | 'demo' = 'admin') =>
    cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { who, body, headers: mv(version) });
  const bootOn = (name: string, host: string, networks: unknown = 'none') =>
    bootActive(cloud, { name, imageRef: image, flavorRef: '1', networks, availability_zone: `nova:${host}` }, 'admin', V237);
  const forceDown = (host: string, down: boolean) =>
    cloud.request('PUT', '/compute/v2.1/os-services/force-down', { body: { host, binary: 'nova-compute', forced_down: down }, headers: mv('2.11') });
  const migrationsOf = (id: string) => (cloud.database.db as ComputeDb).selectFrom('migrations').selectAll().where('instance_uuid', '=', id).orderBy('id').execute();
  const providerOf = async (host: string) => (await cloud.request('GET', `/placement/resource_providers?name=${host}`)).json.resource_providers[0].uuid as string;

  test('while the source compute service is up evacuate is a 400 and nothing changes; bad input, policy and state', async () => {
    const [a, b] = hosts;
    const server = await bootOn('evac-up', a);
    const up = await act(server.id, { evacuate: {} });
    assert.equal(up.status, 400, JSON.stringify(up.json));
    assert.match(up.json.badRequest.message, /still in use/);
    assert.equal((await idle(cloud, server.id))['OS-EXT-SRV-ATTR:host'], a);
    assert.deepEqual(await migrationsOf(server.id), []);

    assert.equal((await act(server.id, { evacuate: {} }, '2.13')).status, 400);
    assert.equal((await act(server.id, { evacuate: { onSharedStorage: 'maybe' } }, '2.1')).status, 400);
    assert.equal((await act(server.id, { evacuate: { onSharedStorage: false } }, '2.14')).status, 400);
    assert.equal((await act(server.id, { evacuate: { force: true } }, '2.29')).status, 400);
    assert.equal((await act(server.id, { evacuate: { host: b, force: true } }, '2.68')).status, 400);
    assert.equal((await act(server.id, { evacuate: { host: 'no such host' } })).status, 400);
    assert.equal((await act(server.id, { evacuate: { host: 'nowhere' } })).status, 404);
    assert.equal((await act(server.id, { evacuate: { host: a } })).status, 400);
    assert.equal((await act(server.id, { evacuate: {} }, '2.14', 'demo')).status, 404);
    const theirs = await bootActive(cloud, { name: 'evac-member', imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);
    assert.equal((await act(theirs.id, { evacuate: {} }, '2.14', 'demo')).status, 403);
  });

  test('with the source forced down the server is rebuilt on the other host; stopped stays stopped; the source cleans up when it starts again', async () => {
    const [a, b] = hosts;
    const active = await bootOn('evac-active', a, [{ uuid: await privateNetworkId(cloud) }]);
    const stopped = await bootOn('evac-stopped', a);
    const paused = await bootOn('evac-paused', a);
    assert.equal((await act(stopped.id, { 'os-stop': null }, '2.1')).status, 202);
    await cloud.waitForServer(stopped.id, 'SHUTOFF');
    assert.equal((await act(paused.id, { pause: null }, '2.1')).status, 202);
    await cloud.waitForServer(paused.id, 'PAUSED');

    const down = await forceDown(a, true);
    assert.equal(down.status, 200, JSON.stringify(down.json));
    const services = (await cloud.request('GET', `/compute/v2.1/os-services?host=${a}&binary=nova-compute`, { headers: mv('2.11') })).json.services;
    assert.equal(services[0].state, 'down');

    assert.equal((await act(paused.id, { evacuate: {} })).status, 409);
    const pre214 = await act(active.id, { evacuate: { onSharedStorage: false } }, '2.1');
    assert.equal(pre214.status, 200, JSON.stringify(pre214.json));
    assert.equal(typeof pre214.json.adminPass, 'string');
    const evacuated = await idle(cloud, active.id);
    assert.equal(evacuated.status, 'ACTIVE');
    assert.equal(evacuated['OS-EXT-SRV-ATTR:host'], b, JSON.stringify(evacuated.fault ?? evacuated));
    // Seen idle on its new host, the server has its evacuation's event finished already (one save ends both).
    const rid = pre214.headers.get('x-compute-request-id');
    const action = (await cloud.request('GET', `/compute/v2.1/servers/${active.id}/os-instance-actions/${rid}`, { headers: mv('2.1') })).json.instanceAction;
    assert.equal(action.action, 'evacuate');
    assert.deepEqual(action.events.map((e: any) => `${e.event}:${e.result}`), ['compute_rebuild_instance:Success']);
    const [m] = await migrationsOf(active.id);
    assert.equal(m.migration_type, 'evacuation');
    assert.equal(m.status, 'done');
    assert.equal(m.source_compute, a);
    assert.equal(m.dest_compute, b);
    const [port] = await portsOf(cloud, active.id);
    assert.equal(port['binding:host_id'], b, 'the port follows the server');
    // As Nova: the server holds both hosts until the source comes back.
    assert.deepEqual(Object.keys(await allocationsOf(cloud, active.id)).sort(), [await providerOf(a), await providerOf(b)].sort());

    const res = await act(stopped.id, { evacuate: { host: b } }, '2.29');
    assert.equal(res.status, 200);
    assert.equal(res.json, undefined);
    const rebuilt = await idle(cloud, stopped.id);
    assert.equal(rebuilt.status, 'SHUTOFF');
    assert.equal(rebuilt['OS-EXT-SRV-ATTR:host'], b);
    const onB = await cloud.hosts[1].fakeDriver!.listInstances();
    assert.ok(onB.includes(active.id) && onB.includes(stopped.id));

    // The source starts again: its evacuated guests and their allocations there go.
    await cloud.close();
    cloud = await startTestCloud({}, { statePath, fakeHosts: 2 });
    const onA = await cloud.hosts[0].fakeDriver!.listInstances();
    assert.ok(!onA.includes(active.id) && !onA.includes(stopped.id));
    assert.ok(onA.includes(paused.id));
    assert.deepEqual(Object.keys(await allocationsOf(cloud, active.id)), [await providerOf(b)]);
    assert.equal((await migrationsOf(active.id))[0].status, 'completed');
    assert.equal((await forceDown(a, false)).status, 200);
  });
});
