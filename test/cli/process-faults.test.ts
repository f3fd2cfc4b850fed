/**
 * Faults of the cloud as separate processes over RabbitMQ and PostgreSQL,
 * handled as Nova handles them: a host whose spawns fail hands the build to
 * an alternate, up to [scheduler] max_attempts; a compute process killed with
 * SIGKILL mid-build sets what it was building to ERROR when it starts again
 * (init_host), while boots go to the hosts that are up; the conductor or the
 * scheduler killed and started again: calls to it time out with a clear
 * error, and nothing is left in BUILD. Each ends with the cloud consistent.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServiceCloud, type ServiceCloud } from '../helpers/service-cloud.js';
import { assertCloudConsistent, waitUntilSettled } from '../helpers/cloud-consistency.js';
import { rabbitSkipReason } from '../bus/broker.js';
import { postgresAvailable } from '../helpers/databases.js';
import { allocationsOf, createServer, portsOf, privateNetworkId, uploadImage, V237 } from '../compute/fixtures.js';
import { interruptedBuildMessage } from '../../src/compute/tasks/init-instance.js';

const skip = (await rabbitSkipReason())
  ?? (!(await postgresAvailable()) && process.env.CI !== 'true' ? 'PostgreSQL does not answer (the service processes share it)' : undefined);

const GIB = 1024;
const RPC_TIMEOUT_S = 5;

interface Booter {
  /** POST /servers as demo (admin when it names a host); the created server's id. */
  create(name: string, extra?: Record<string, unknown>): Promise<string>;
}

async function booter(cloud: ServiceCloud): Promise<Booter> {
  const image = await uploadImage(cloud);
  const network = await privateNetworkId(cloud);
  return {
    async create(name, extra = {}) {
      const who = String(extra.availability_zone ?? '').includes(':') ? 'admin' : 'demo';
      const res = await createServer(cloud, { name, imageRef: image, flavorRef: '1', networks: [{ uuid: network }], ...extra }, { who, headers: V237 });
      assert.equal(res.status, 202, JSON.stringify(res.json));
      return res.json.server.id as string;
    },
  };
}

async function hostOf(cloud: ServiceCloud, id: string): Promise<string | null> {
  return (await cloud.request('GET', `/compute/v2.1/servers/${id}`)).json.server['OS-EXT-SRV-ATTR:host'];
}

/** The names of the resource providers a server's allocations are on. */
async function allocationHosts(cloud: ServiceCloud, id: string): Promise<string[]> {
  const names: string[] = [];
  for (const rp of Object.keys(await allocationsOf(cloud, id))) names.push((await cloud.request('GET', `/placement/resource_providers/${rp}`)).json.name);
  return names.sort();
}

/** Each host's build attempt and its result, once every attempt has one (an event finishes just after the state it led to is saved). */
async function buildResults(cloud: ServiceCloud, id: string): Promise<Array<[string, string]>> {
  const actions = await cloud.request('GET', `/compute/v2.1/servers/${id}/os-instance-actions`);
  const create = actions.json.instanceActions.find((a: any) => a.action === 'create');
  return until(`the build events of ${id} finished`, 10_000, async () => {
    const detail = await cloud.request('GET', `/compute/v2.1/servers/${id}/os-instance-actions/${create.request_id}`, { headers: { 'openstack-api-version': 'compute 2.62' } });
    const builds = detail.json.instanceAction.events.filter((e: any) => e.event === 'compute__do_build_and_run_instance');
    if (builds.some((e: any) => !e.result)) return undefined;
    return builds.map((e: any) => [e.host, e.result] as [string, string]).sort();
  });
}

/** Polls until probe gives a value; `what` (a function: read at the deadline) says what was awaited. */
async function until<T>(what: string | (() => string), timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The cloud's process logs, for a failure report. */
function tails(cloud: ServiceCloud): string {
  return [...cloud.processes].map(([name, p]) => `--- ${name}:\n${p.stderr().slice(-3000)}`).join('\n');
}

describe('a build that fails on one host, across processes', { skip, timeout: 240_000 }, () => {
  let cloud: ServiceCloud;
  let boot: Booter;
  before(async () => {
    // The RAM weigher ranks c1 (largest), c2, c3; c1 and c2 fail every spawn. Two attempts per build.
    cloud = await startServiceCloud({
      computes: 3,
      controller: { scheduler: { max_attempts: 2 } },
      process: {
        c1: { fake_driver: { fail_spawn: 'true', memory_mb: 4096 * GIB } },
        c2: { fake_driver: { fail_spawn: 'true', memory_mb: 2048 * GIB } },
        c3: { fake_driver: { memory_mb: 1024 * GIB } },
      },
    });
    boot = await booter(cloud);
  });
  after(async () => {
    await cloud?.close();
  });

  test('after max_attempts hosts failed the server is ERROR with the fault, holding nothing, though a third host would have worked', async () => {
    const id = await boot.create('doomed');
    const [server] = await waitUntilSettled(cloud, { ids: [id], timeoutMs: 60_000 });
    assert.equal(server.status, 'ERROR');
    assert.match(server.fault.message, /fake_driver\.fail_spawn/);
    assert.equal(server['OS-EXT-SRV-ATTR:host'], null);
    assert.deepEqual(await buildResults(cloud, id), [['c1', 'Error'], ['c2', 'Error']], 'c1 then its one alternate, c2; never c3');
    assert.deepEqual(await allocationsOf(cloud, id), {});
    assert.deepEqual(await portsOf(cloud, id), []);
    await assertCloudConsistent(cloud);
  });

  test('a build that fails on its first host is rescheduled to the alternate, its allocation moved there', async () => {
    // A zone of c1 and c3: c1 first (it fails), c3 its alternate.
    const agg = await cloud.request('POST', '/compute/v2.1/os-aggregates', { body: { aggregate: { name: 'mixed', availability_zone: 'az-mixed' } } });
    assert.equal(agg.status, 200, JSON.stringify(agg.json));
    for (const host of ['c1', 'c3']) {
      assert.equal((await cloud.request('POST', `/compute/v2.1/os-aggregates/${agg.json.aggregate.id}/action`, { body: { add_host: { host } } })).status, 200);
    }
    const id = await boot.create('rescheduled', { availability_zone: 'az-mixed' });
    const [server] = await waitUntilSettled(cloud, { ids: [id], timeoutMs: 60_000 });
    assert.equal(server.status, 'ACTIVE', JSON.stringify(server.fault));
    assert.equal(server['OS-EXT-SRV-ATTR:host'], 'c3');
    assert.deepEqual(await buildResults(cloud, id), [['c1', 'Error'], ['c3', 'Success']]);
    assert.deepEqual(await allocationHosts(cloud, id), ['c3']);
    const ports = await portsOf(cloud, id);
    assert.deepEqual(ports.map((p) => p['binding:host_id']), ['c3']);
    await assertCloudConsistent(cloud);
  });
});

describe('compute, conductor and scheduler processes killed and started again', { skip, timeout: 300_000 }, () => {
  let cloud: ServiceCloud;
  let boot: Booter;
  before(async () => {
    cloud = await startServiceCloud({
      computes: 2,
      // Short enough for the test to see calls time out and a killed host go down; long enough for
      // a compute host's calls to the conductor on a loaded two-core machine.
      controller: { DEFAULT: { rpc_response_timeout: RPC_TIMEOUT_S, service_down_time: 10 } },
      compute: { DEFAULT: { rpc_response_timeout: 2 * RPC_TIMEOUT_S } },
      process: {
        // c1, which the RAM weigher prefers, spawns for ten minutes: a kill finds its builds mid-spawn.
        c1: { fake_driver: { spawn_delay_ms: 600_000, memory_mb: 2048 * GIB } },
      },
    });
    boot = await booter(cloud);
  });
  after(async () => {
    await cloud?.close();
  });

  test('a compute killed mid-build: boots go to the host that is up; restarted, it sets its interrupted builds to ERROR and releases them', async () => {
    const spawning = await Promise.all([0, 1, 2].map((i) => boot.create(`on-c1-${i}`, { availability_zone: 'nova:c1' })));
    let states: any[] = [];
    await until(() => `three servers spawning on c1; they are ${states.map((s) => `${s.status}/${s['OS-EXT-STS:task_state']} on ${s['OS-EXT-SRV-ATTR:host']} ${JSON.stringify(s.fault ?? '')}`).join(', ')}`, 60_000, async () => {
      states = await Promise.all(spawning.map(async (id) => (await cloud.request('GET', `/compute/v2.1/servers/${id}`)).json.server));
      return states.every((s) => s['OS-EXT-STS:task_state'] === 'spawning' && s['OS-EXT-SRV-ATTR:host'] === 'c1') ? true : undefined;
    });
    for (const id of spawning) assert.equal((await portsOf(cloud, id)).length, 1);
    await cloud.kill('c1');

    await until('c1 reported down', 30_000, async () => {
      const svc = (await cloud.request('GET', '/compute/v2.1/os-services?binary=nova-compute&host=c1')).json.services[0];
      return svc.state === 'down' ? true : undefined;
    });
    // The weighers would pick c1; the scheduler's ComputeFilter skips it while it is down.
    const meanwhile = await boot.create('while-c1-down');
    const [elsewhere] = await waitUntilSettled(cloud, { ids: [meanwhile], timeoutMs: 60_000 });
    assert.equal(elsewhere.status, 'ACTIVE', JSON.stringify(elsewhere.fault));
    assert.equal(elsewhere['OS-EXT-SRV-ATTR:host'], 'c2');
    // Nova's build timeout is the host's own periodic task: with the host gone, its builds wait for it.
    for (const id of spawning) assert.equal((await cloud.request('GET', `/compute/v2.1/servers/${id}`)).json.server.status, 'BUILD');

    await cloud.start('c1', { fake_driver: { spawn_delay_ms: 0 } });
    const recovered = await waitUntilSettled(cloud, { ids: spawning, timeoutMs: 60_000 });
    for (const s of recovered) {
      assert.equal(s.status, 'ERROR');
      assert.equal(s.fault.message, interruptedBuildMessage(s.id));
      assert.equal(s['OS-EXT-SRV-ATTR:host'], null);
      assert.deepEqual(await allocationsOf(cloud, s.id), {});
      assert.deepEqual(await portsOf(cloud, s.id), []);
    }
    // The host is back in service: a boot sent to it now runs there.
    const after = await boot.create('on-c1-again', { availability_zone: 'nova:c1' });
    const [again] = await waitUntilSettled(cloud, { ids: [after], timeoutMs: 60_000 });
    assert.equal(again.status, 'ACTIVE', JSON.stringify(again.fault));
    assert.equal(await hostOf(cloud, after), 'c1');
    await assertCloudConsistent(cloud);
  });

  test('the scheduler killed: the conductor\'s call times out and the server is ERROR with that error; restarted, boots succeed', async () => {
    await cloud.kill('scheduler');
    const started = Date.now();
    const orphan = await boot.create('no-scheduler');
    const [failed] = await waitUntilSettled(cloud, { ids: [orphan], timeoutMs: 30_000 });
    assert.equal(failed.status, 'ERROR', tails(cloud));
    assert.equal(failed.fault.message, 'Timed out waiting for the scheduler.');
    assert.ok(Date.now() - started >= RPC_TIMEOUT_S * 1000, 'not before rpc_response_timeout');

    await cloud.start('scheduler');
    const id = await boot.create('after-scheduler-restart');
    const [server] = await waitUntilSettled(cloud, { ids: [id], timeoutMs: 60_000 });
    assert.equal(server.status, 'ACTIVE', JSON.stringify(server.fault));
    // The request the dead scheduler never answered was not answered late either: no allocation for the ERROR server.
    assert.deepEqual(await allocationsOf(cloud, orphan), {});
    await assertCloudConsistent(cloud);
  });

  test('the conductor killed with boots in flight: each ends ACTIVE or ERROR, and after its restart boots succeed', async () => {
    const inFlight = await Promise.all([0, 1, 2, 3].map((i) => boot.create(`racing-conductor-${i}`)));
    await cloud.kill('conductor');
    const whileDown = await boot.create('while-conductor-down');
    // The compute hosts reach their records through the conductor: their calls time out, each with one clear line.
    const c2 = cloud.processes.get('c2')!;
    await until('a compute host\'s call to the conductor timing out', 30_000, async () =>
      c2.stderr().split('\n').find((l) => /Timed out waiting for a reply to \w+ on conductor/.test(l)));
    await cloud.start('conductor');
    const settled = await waitUntilSettled(cloud, { ids: [...inFlight, whileDown], timeoutMs: 60_000 });
    for (const s of settled) assert.ok(s.status === 'ACTIVE' || (s.status === 'ERROR' && s.fault?.message), `${s.name}: ${s.status} ${JSON.stringify(s.fault)}`);
    console.log(`# conductor killed: ${settled.map((s) => `${s.name} ${s.status}${s.fault ? ` (${s.fault.message})` : ''}`).join('; ')}`);
    // Its build_instances waited in the conductor's queue: the restarted conductor builds it, it is not written off.
    const queued = settled.find((s) => s.id === whileDown);
    assert.equal(queued?.status, 'ACTIVE', JSON.stringify(queued?.fault));

    const id = await boot.create('after-conductor-restart');
    const [server] = await waitUntilSettled(cloud, { ids: [id], timeoutMs: 60_000 });
    assert.equal(server.status, 'ACTIVE', `${JSON.stringify(server.fault)}\n${tails(cloud)}`);
    await assertCloudConsistent(cloud);
  });
});
