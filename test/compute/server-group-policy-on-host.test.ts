/**
 * A compute host re-checks its server group's hard policy before it builds
 * (Nova's _validate_instance_group_policy): a member forced by an
 * administrator onto a host that breaks affinity or anti-affinity (forced
 * hosts skip the scheduler's filters, as in Nova) ends in ERROR with the
 * reason, holding no allocation and no port; one the scheduler sent there
 * without its group filters goes to the alternate. Soft policies and
 * max_server_per_host (2.64) allow what they allow. Run with the hosts'
 * records read locally and through the conductor.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { allocationsOf, computeVersion, createServer, portsOf, privateNetworkId, uploadImage, V237 } from './fixtures.js';

for (const useLocal of [true, false]) {
  describe(`server group policy re-checked on the compute host (records ${useLocal ? 'local' : 'through the conductor'})`, () => {
    let cloud: TestCloud;
    let image: string;
    let network: string;
    let hosts: string[];

    before(async () => {
      cloud = await startTestCloud({ conductor: { use_local: useLocal } }, { fakeHosts: 2 });
      hosts = cloud.hosts.map((h) => h.host);
      image = await uploadImage(cloud);
      network = await privateNetworkId(cloud);
    });
    after(async () => cloud?.close());

    async function createGroup(policy: string, rules?: Record<string, number>): Promise<string> {
      const res = await cloud.request('POST', '/compute/v2.1/os-server-groups', {
        headers: computeVersion('2.64'), body: { server_group: { name: `g-${policy}`, policy, ...(rules ? { rules } : {}) } },
      });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      return res.json.server_group.id as string;
    }

    /** Boots a member of the group (on `host` when given, as an administrator may); its id and request id. */
    async function bootMember(name: string, group: string, host?: string): Promise<{ id: string; requestId: string }> {
      const res = await createServer(cloud, {
        name, imageRef: image, flavorRef: '1', networks: [{ uuid: network }], ...(host ? { availability_zone: `nova:${host}` } : {}),
      }, { headers: V237, extra: { 'os:scheduler_hints': { group } } });
      assert.equal(res.status, 202, JSON.stringify(res.json));
      return { id: res.json.server.id, requestId: res.headers.get('x-compute-request-id')! };
    }

    async function buildEvents(id: string, requestId: string): Promise<Array<{ result: string; details?: string; host?: string }>> {
      const res = await cloud.request('GET', `/compute/v2.1/servers/${id}/os-instance-actions/${requestId}`, { headers: computeVersion('2.84') });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      return res.json.instanceAction.events.filter((e: any) => e.event === 'compute__do_build_and_run_instance');
    }

    async function waitForError(id: string): Promise<any> {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const server = (await cloud.request('GET', `/compute/v2.1/servers/${id}`)).json.server;
        if (server.status === 'ERROR') return server;
        assert.notEqual(server.status, 'ACTIVE', `server ${id} became ACTIVE against its group's policy`);
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`server ${id} never went to ERROR`);
    }

    async function assertRefusedOnHost(id: string, requestId: string, host: string, reason: string): Promise<void> {
      const server = await waitForError(id);
      assert.equal(server.fault.code, 500);
      assert.equal(server.fault.message, `Build of instance ${id} aborted: ${reason}`);
      const events = await buildEvents(id, requestId);
      assert.deepEqual(events.map((e) => [e.result, e.details, e.host]), [['Error', 'GroupAffinityViolation', host]]);
      // Nothing of the build stays: no allocation, no port, no guest on the host.
      assert.deepEqual(await allocationsOf(cloud, id), {});
      assert.deepEqual(await portsOf(cloud, id), []);
      assert.ok(!(await cloud.hosts.find((h) => h.host === host)!.fakeDriver!.listInstances()).includes(id));
    }

    const forcedViolations = [
      { policy: 'anti-affinity', where: 'the host of another', otherHost: false, reason: 'Anti-affinity instance group policy was violated.' },
      { policy: 'affinity', where: 'another host than the others', otherHost: true, reason: 'Affinity instance group policy was violated.' },
    ];
    for (const { policy, where, otherHost, reason } of forcedViolations) {
      test(`${policy}: a member forced onto ${where} ends in ERROR with the reason, releasing what it held`, async () => {
        const [a, b] = hosts;
        const group = await createGroup(policy);
        const first = await bootMember(`${policy}-1`, group, a);
        assert.equal((await cloud.waitForServer(first.id, 'ACTIVE'))['OS-EXT-SRV-ATTR:host'], a);
        const forcedOn = otherHost ? b : a;
        const second = await bootMember(`${policy}-2`, group, forcedOn);
        await assertRefusedOnHost(second.id, second.requestId, forcedOn, reason);
      });
    }

    test('anti-affinity with max_server_per_host=2 lets a second member on the same host, not a third', async () => {
      const [a] = hosts;
      const group = await createGroup('anti-affinity', { max_server_per_host: 2 });
      for (const name of ['max-1', 'max-2']) {
        const member = await bootMember(name, group, a);
        assert.equal((await cloud.waitForServer(member.id, 'ACTIVE'))['OS-EXT-SRV-ATTR:host'], a);
      }
      const third = await bootMember('max-3', group, a);
      await assertRefusedOnHost(third.id, third.requestId, a, 'Anti-affinity instance group policy was violated.');
    });

    test('soft policies are not checked on the host: forced members of soft-anti-affinity share a host', async () => {
      const [a] = hosts;
      const group = await createGroup('soft-anti-affinity');
      for (const name of ['soft-1', 'soft-2']) {
        const member = await bootMember(name, group, a);
        assert.equal((await cloud.waitForServer(member.id, 'ACTIVE'))['OS-EXT-SRV-ATTR:host'], a);
      }
    });
  });
}

describe('a violation found on the host reschedules to the alternate', () => {
  let cloud: TestCloud;
  let image: string;
  let network: string;
  let hosts: string[];

  before(async () => {
    // Without the group filters the scheduler places as two racing requests could: the host is the last check.
    const filters = ['ComputeFilter', 'AvailabilityZoneFilter', 'ComputeCapabilitiesFilter'];
    cloud = await startTestCloud({ filter_scheduler: { enabled_filters: filters.join(',') } }, { fakeHosts: 2 });
    hosts = cloud.hosts.map((h) => h.host);
    image = await uploadImage(cloud);
    network = await privateNetworkId(cloud);
  });
  after(async () => cloud?.close());

  test('affinity: the host the weighers prefer (the emptier) refuses, and the member is built beside the other on the alternate', async () => {
    const [a, b] = hosts;
    const created = await cloud.request('POST', '/compute/v2.1/os-server-groups', {
      headers: computeVersion('2.64'), body: { server_group: { name: 'aff-resched', policy: 'affinity' } },
    });
    const group = created.json.server_group.id as string;
    const boot = (name: string, extra: Record<string, unknown>) =>
      createServer(cloud, { name, imageRef: image, flavorRef: '1', networks: [{ uuid: network }], ...extra }, { headers: V237, extra: { 'os:scheduler_hints': { group } } });
    const first = await boot('resched-1', { availability_zone: `nova:${a}` });
    await cloud.waitForServer(first.json.server.id, 'ACTIVE');

    const second = await boot('resched-2', {});
    assert.equal(second.status, 202, JSON.stringify(second.json));
    const id = second.json.server.id as string;
    const server = await cloud.waitForServer(id, 'ACTIVE');
    assert.equal(server['OS-EXT-SRV-ATTR:host'], a);
    const action = await cloud.request('GET', `/compute/v2.1/servers/${id}/os-instance-actions/${second.headers.get('x-compute-request-id')}`, { headers: computeVersion('2.84') });
    const builds = action.json.instanceAction.events.filter((e: any) => e.event === 'compute__do_build_and_run_instance');
    const on = (host: string) => builds.filter((e: any) => e.host === host).map((e: any) => [e.result, e.details]);
    assert.deepEqual(on(b), [['Error', 'GroupAffinityViolation']]);
    assert.deepEqual(on(a), [['Success', null]]);
    // The refused attempt left nothing on b: one port, bound to a; the allocation on a only.
    const ports = await portsOf(cloud, id);
    assert.deepEqual(ports.map((p) => p['binding:host_id']), [a]);
    const providers = Object.keys(await allocationsOf(cloud, id));
    assert.equal(providers.length, 1);
    assert.equal((await cloud.request('GET', `/placement/resource_providers/${providers[0]}`)).json.name, a);
    assert.deepEqual(await cloud.hosts.find((h) => h.host === b)!.fakeDriver!.listInstances(), []);
  });
});
