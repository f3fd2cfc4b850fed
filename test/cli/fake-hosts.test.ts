/**
 * [fake_driver] hosts: the all-in-one runs several fake compute hosts, each
 * registered as its own nova-compute service with its own compute node,
 * resource provider, RPC topic and fake hypervisor state directory.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestCloud, runFailingStart, type TestCloud } from '../helpers/cloud.js';
import { bootActive, createServer, uploadImage, V237 } from '../compute/fixtures.js';

describe('an all-in-one with two fake compute hosts', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await startTestCloud({
      filter_scheduler: { enabled_filters: 'ComputeFilter,AvailabilityZoneFilter,ComputeCapabilitiesFilter,SameHostFilter,DifferentHostFilter' },
    }, { fakeHosts: 2 });
  });
  after(async () => cloud?.close());

  test('the second host is <host>-2, and each is a nova-compute service, a hypervisor and a resource provider', async () => {
    const [first, second] = cloud.hosts.map((h) => h.host);
    assert.equal(cloud.hosts.length, 2);
    assert.equal(second, `${first}-2`);
    const services = (await cloud.request('GET', '/compute/v2.1/os-services?binary=nova-compute')).json.services;
    assert.deepEqual(services.map((s: any) => s.host).sort(), [first, second].sort());
    assert.ok(services.every((s: any) => s.state === 'up'), JSON.stringify(services));
    const hypervisors = (await cloud.request('GET', '/compute/v2.1/os-hypervisors/detail')).json.hypervisors;
    assert.deepEqual(hypervisors.map((h: any) => h.service.host).sort(), [first, second].sort());
    const providers = (await cloud.request('GET', '/placement/resource_providers')).json.resource_providers;
    assert.deepEqual(providers.map((p: any) => p.name).sort(), [first, second].sort());
    for (const p of providers) {
      const inv = await cloud.request('GET', `/placement/resource_providers/${p.uuid}/inventories`);
      assert.ok(inv.json.inventories.VCPU.total > 0);
    }
  });

  test('servers forced onto each host run in that host\'s own fake hypervisor, whose guests persist under its own directory', async () => {
    const image = await uploadImage(cloud);
    const placed: Record<string, string> = {};
    for (const h of cloud.hosts) {
      const s = await bootActive(cloud, { name: `on-${h.host}`, imageRef: image, flavorRef: '1', networks: 'none', availability_zone: `nova:${h.host}` }, 'admin', V237);
      const shown = (await cloud.request('GET', `/compute/v2.1/servers/${s.id}`)).json.server;
      assert.equal(shown['OS-EXT-SRV-ATTR:host'], h.host);
      placed[h.host] = s.id;
    }
    for (const h of cloud.hosts) {
      const guests = await h.fakeDriver!.listInstances();
      assert.ok(guests.includes(placed[h.host]));
      for (const [other, id] of Object.entries(placed)) if (other !== h.host) assert.ok(!guests.includes(id));
      await h.fakeDriver!.cleanupHost();
      assert.ok(fs.existsSync(path.join(cloud.statePath, 'fake-hypervisor', h.host, `${placed[h.host]}.json`)));
    }
  });

  test('the different_host and same_host hints place a server away from, or beside, the named one', async () => {
    const image = await uploadImage(cloud, 'hints');
    const first = await bootActive(cloud, { name: 'first', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    const hostOf = async (id: string) => (await cloud.request('GET', `/compute/v2.1/servers/${id}`)).json.server['OS-EXT-SRV-ATTR:host'];
    const firstHost = await hostOf(first.id);
    const hinted = async (name: string, hints: Record<string, unknown>) => {
      const res = await createServer(cloud, { name, imageRef: image, flavorRef: '1', networks: 'none' }, { headers: V237, extra: { 'os:scheduler_hints': hints } });
      assert.equal(res.status, 202, JSON.stringify(res.json));
      return cloud.waitForServer(res.json.server.id, 'ACTIVE');
    };
    const away = await hinted('away', { different_host: [first.id] });
    assert.notEqual(await hostOf(away.id), firstHost);
    const beside = await hinted('beside', { same_host: first.id });
    assert.equal(await hostOf(beside.id), firstHost);
  });
});

test('more than one host needs the fake driver: with libvirt the start fails with one clear line', async () => {
  const { code, stderr } = await runFailingStart({ env: { KILONOVA_DEFAULT__COMPUTE_DRIVER: 'libvirt.LibvirtDriver', KILONOVA_LIBVIRT__CONNECTION_URI: 'test:///default' }, args: ['--fake-hosts', '2'] });
  assert.equal(code, 1);
  assert.match(stderr, /only the fake driver/);
});
