/**
 * The cloud as separate processes, each from a kilonova.conf of its role:
 * `kilonova api`, `conductor`, `scheduler` (sharing PostgreSQL) and two
 * `kilonova compute --host cN` (fake driver, no database: theirs is
 * unusable), meeting over RabbitMQ in a virtual host of the test's own. The
 * compute services register and report through the conductor, servers boot
 * onto them and are deleted, and every process exits 0 on SIGTERM.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { ADMIN_PASSWORD, DEMO_PASSWORD, childEnv, makeClient, spawnKilonova, type KilonovaProcess } from '../helpers/cloud.js';
import { bootThroughApis, deleteThroughApis } from '../helpers/boot-through-apis.js';
import { createTestVhost, rabbitSkipReason, type TestVhost } from '../bus/broker.js';
import { createPostgresDatabase, postgresAvailable } from '../helpers/databases.js';

const skip = (await rabbitSkipReason())
  ?? (!(await postgresAvailable()) && process.env.CI !== 'true' ? 'PostgreSQL does not answer (the service processes share it)' : undefined);

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

function ini(sections: Record<string, Record<string, string | number>>): string {
  return Object.entries(sections).map(([name, opts]) => `[${name}]\n${Object.entries(opts).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`).join('\n');
}

const READY = (role: string) => new RegExp(`Kilonova ${role} ready (?:at (http://\\S+) )?`);

describe('kilonova api, conductor, scheduler and compute as separate processes', { skip, timeout: 120_000 }, () => {
  let vhost: TestVhost;
  let db: { url: string; drop(): Promise<void> };
  let dir: string;
  before(async () => {
    vhost = await createTestVhost();
    db = await createPostgresDatabase('kn_services');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-services-'));
  });
  after(async () => {
    await vhost?.remove();
    await db?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('computes register through the conductor, servers boot onto them and are deleted, every process stops on SIGTERM', async () => {
    const port = await freePort();
    const apiUrl = `http://127.0.0.1:${port}`;
    const serviceUser = { auth_url: `${apiUrl}/identity`, username: 'admin', password: ADMIN_PASSWORD, project_name: 'admin' };
    const controller = {
      DEFAULT: { transport_url: vhost.url, host: 'controller', state_path: path.join(dir, 'controller'), osapi_compute_listen: '127.0.0.1', osapi_compute_listen_port: port, report_interval: 1 },
      database: { connection: db.url },
      identity: { admin_password: ADMIN_PASSWORD, demo_password: DEMO_PASSWORD },
      quota: { instances: -1, cores: -1, ram: -1 },
      vnc: { novncproxy_host: '127.0.0.1', novncproxy_port: 0 },
      serial_console: { serialproxy_host: '127.0.0.1', serialproxy_port: 0 },
      placement: serviceUser,
    };
    const compute = (host: string) => ({
      DEFAULT: { transport_url: vhost.url, state_path: path.join(dir, host), compute_driver: 'fake.FakeDriver', report_interval: 1 },
      // Unusable on purpose: a compute process that opened it would fail to start.
      database: { connection: 'postgresql://nobody@127.0.0.1:1/nowhere' },
      glance: serviceUser, neutron: serviceUser, placement: serviceUser,
    });
    fs.writeFileSync(path.join(dir, 'controller.conf'), ini(controller));
    fs.writeFileSync(path.join(dir, 'compute.conf'), ini(compute('unused')).replace(/state_path = .*\n/, ''));
    const procs: KilonovaProcess[] = [];
    const start = async (args: string[], role: string, statePath?: string) => {
      const conf = role === 'compute' ? 'compute.conf' : 'controller.conf';
      const extra = statePath ? ['--state-path', statePath] : [];
      const p = await spawnKilonova([...args, '--config-file', path.join(dir, conf), ...extra], { cwd: dir, env: childEnv(), ready: READY(role), readyTimeoutMs: 60_000 });
      procs.push(p);
      return p;
    };
    try {
      const api = await start(['api'], 'api');
      assert.equal(api.ready[1], apiUrl);
      await Promise.all([start(['conductor'], 'conductor'), start(['scheduler'], 'scheduler')]);
      await Promise.all(['c1', 'c2'].map((h) => start(['compute', '--host', h], 'compute', path.join(dir, h))));
      const cloud = makeClient(apiUrl, { admin: ADMIN_PASSWORD, demo: DEMO_PASSWORD });

      const services = await cloud.request('GET', '/compute/v2.1/os-services?binary=nova-compute');
      assert.equal(services.status, 200);
      assert.deepEqual(services.json.services.map((s: any) => [s.host, s.state, s.status]).sort(), [['c1', 'up', 'enabled'], ['c2', 'up', 'enabled']]);
      const others = await cloud.request('GET', '/compute/v2.1/os-services');
      for (const binary of ['nova-conductor', 'nova-scheduler']) {
        assert.ok(others.json.services.some((s: any) => s.binary === binary && s.host === 'controller' && s.state === 'up'), `${binary} up in ${JSON.stringify(others.json.services)}`);
      }
      // The resource trackers report to placement over HTTP: the hypervisors appear once their compute nodes exist.
      const deadline = Date.now() + 30_000;
      let hypervisors: string[] = [];
      while (Date.now() < deadline) {
        const res = await cloud.request('GET', '/compute/v2.1/os-hypervisors');
        hypervisors = res.json.hypervisors.map((h: any) => h.hypervisor_hostname).sort();
        if (hypervisors.length === 2) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(hypervisors, ['c1', 'c2']);

      const servers = await Promise.all([1, 2, 3, 4].map((i) => bootThroughApis(cloud, `svc-${i}`, 60_000)));
      const hosts = await Promise.all(servers.map(async (s) => (await cloud.request('GET', `/compute/v2.1/servers/${s.id}`)).json.server['OS-EXT-SRV-ATTR:host']));
      for (const h of hosts) assert.ok(h === 'c1' || h === 'c2', `placed on ${h}`);
      await Promise.all(servers.map((s) => deleteThroughApis(cloud, s.id, 60_000)));
    } finally {
      // Computes first, then the controller's services, as an operator would take them down.
      const codes = [];
      for (const p of procs.reverse()) codes.push(await p.stop('SIGTERM'));
      assert.deepEqual(codes, procs.map(() => 0), procs.map((p) => p.stderr().slice(-2000)).join('\n---\n'));
    }
  });
});

// No broker needed: the refusal comes before the bus is opened.
describe('kilonova conductor with transport_url memory://', { timeout: 60_000 }, () => {
  test('a service command refuses memory:// with one line', async () => {
    const statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-memory-'));
    try {
      const run = spawnKilonova(['conductor', '--state-path', statePath], { cwd: statePath, env: childEnv({ KILONOVA_DEFAULT__TRANSPORT_URL: 'memory://' }), ready: /ready/ });
      await assert.rejects(run, (err: Error) => {
        assert.match(err.message, /exited \(1\)/);
        assert.match(err.message, /kilonova: kilonova conductor runs as a separate process and needs a shared bus: set \[DEFAULT\] transport_url to rabbit:/);
        assert.doesNotMatch(err.message, /\n\s+at /, 'no stack trace');
        return true;
      });
    } finally {
      fs.rmSync(statePath, { recursive: true, force: true });
    }
  });

  test('kilonova compute without auth_url in [glance], [neutron], [placement] names the sections in one line', async () => {
    const statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-compute-'));
    try {
      const run = spawnKilonova(['compute', '--host', 'c9', '--state-path', statePath], {
        cwd: statePath, env: childEnv({ KILONOVA_DEFAULT__TRANSPORT_URL: 'rabbit://guest:guest@127.0.0.1:1/', KILONOVA_GLANCE__AUTH_URL: 'http://127.0.0.1:1/identity' }), ready: /ready/,
      });
      await assert.rejects(run, (err: Error) => {
        assert.match(err.message, /kilonova: kilonova compute reaches image, network and placement over HTTP: set auth_url \(and the service user\) in \[neutron\], \[placement\]/);
        assert.doesNotMatch(err.message, /\n\s+at /, 'no stack trace');
        return true;
      });
    } finally {
      fs.rmSync(statePath, { recursive: true, force: true });
    }
  });
});
