/**
 * The cloud as separate processes, each from a kilonova.conf of its role:
 * `kilonova api`, `conductor`, `scheduler` (sharing PostgreSQL) and two
 * `kilonova compute --host cN` (fake driver, no database: theirs is
 * unusable), meeting over RabbitMQ in a virtual host of the test's own. The
 * compute services register and report through the conductor, servers boot
 * onto them and are deleted, and every process exits 0 on SIGTERM.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childEnv, spawnKilonova } from '../helpers/cloud.js';
import { bootThroughApis, deleteThroughApis } from '../helpers/boot-through-apis.js';
import { startServiceCloud } from '../helpers/service-cloud.js';
import { assertCloudConsistent } from '../helpers/cloud-consistency.js';
import { rabbitSkipReason } from '../bus/broker.js';
import { postgresAvailable } from '../helpers/databases.js';

const skip = (await rabbitSkipReason())
  ?? (!(await postgresAvailable()) && process.env.CI !== 'true' ? 'PostgreSQL does not answer (the service processes share it)' : undefined);

describe('kilonova api, conductor, scheduler and compute as separate processes', { skip, timeout: 120_000 }, () => {
  test('computes register through the conductor, servers boot onto them and are deleted, every process stops on SIGTERM', async () => {
    const cloud = await startServiceCloud({ computes: 2 });
    let codes: Record<string, number | null> | undefined;
    try {
      const services = await cloud.request('GET', '/compute/v2.1/os-services?binary=nova-compute');
      assert.equal(services.status, 200);
      assert.deepEqual(services.json.services.map((s: any) => [s.host, s.state, s.status]).sort(), [['c1', 'up', 'enabled'], ['c2', 'up', 'enabled']]);
      const others = await cloud.request('GET', '/compute/v2.1/os-services');
      for (const binary of ['nova-conductor', 'nova-scheduler']) {
        assert.ok(others.json.services.some((s: any) => s.binary === binary && s.host === 'controller' && s.state === 'up'), `${binary} up in ${JSON.stringify(others.json.services)}`);
      }
      const hypervisors = await cloud.request('GET', '/compute/v2.1/os-hypervisors');
      assert.deepEqual(hypervisors.json.hypervisors.map((h: any) => h.hypervisor_hostname).sort(), ['c1', 'c2']);

      const servers = await Promise.all([1, 2, 3, 4].map((i) => bootThroughApis(cloud, `svc-${i}`, 60_000)));
      const hosts = await Promise.all(servers.map(async (s) => (await cloud.request('GET', `/compute/v2.1/servers/${s.id}`)).json.server['OS-EXT-SRV-ATTR:host']));
      for (const h of hosts) assert.ok(h === 'c1' || h === 'c2', `placed on ${h}`);
      assert.equal((await assertCloudConsistent(cloud)).allocations.size, 4);
      // A compute process's lines name its host once: log tools read a second "host" key as one or the other.
      const built = ['c1', 'c2'].flatMap((name) => cloud.processes.get(name)!.stderr().split('\n').filter((l) => l.includes('"instance built"')));
      assert.equal(built.length, 4, built.join('\n'));
      for (const line of built) assert.equal(line.split('"host":').length - 1, 1, line);
      await Promise.all(servers.map((s) => deleteThroughApis(cloud, s.id, 60_000)));
      assert.equal((await assertCloudConsistent(cloud)).servers.length, 0);
    } finally {
      const tails = [...cloud.processes].map(([name, p]) => `${name}: ${p.stderr().slice(-2000)}`).join('\n---\n');
      codes = await cloud.close();
      assert.deepEqual(Object.values(codes), Object.keys(codes).map(() => 0), tails);
    }
    assert.deepEqual(Object.keys(codes).sort(), ['api', 'c1', 'c2', 'conductor', 'scheduler']);
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
