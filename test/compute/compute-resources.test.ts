/**
 * The compute resources through the whole cloud: quota sets enforced by
 * POST /servers, server groups enforced by the scheduler (one host here),
 * tags given at create and used as list filters, instance action times.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { functionalSuite, startFunctionalCloud, type FunctionalCloud } from '../helpers/functional-cloud.js';
import { bootActive, createServer, uploadImage } from './fixtures.js';

const V = (v: string) => ({ 'openstack-api-version': `compute ${v}` });

async function waitForStatus(cloud: FunctionalCloud, id: string, wanted: string[]): Promise<any> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await cloud.request('GET', `/compute/v2.1/servers/${id}`);
    if (res.status === 200 && wanted.includes(res.json.server.status)) return res.json.server;
    if (Date.now() > deadline) throw new Error(`server ${id} not in ${wanted.join('/')}: ${JSON.stringify(res.json)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe(...functionalSuite('compute resources through the cloud'), () => {
  let cloud: FunctionalCloud;
  let image: string;
  let demoProject: string;

  before(async () => {
    cloud = await startFunctionalCloud();
    image = await uploadImage(cloud);
    const projects = await cloud.request('GET', '/identity/v3/projects?name=demo');
    demoProject = projects.json.projects[0].id;
  });
  after(async () => cloud?.close());

  const boot = (name: string, extra: Record<string, unknown> = {}, opts: { who?: 'admin' | 'demo'; version?: string; hints?: Record<string, unknown> } = {}) =>
    createServer(cloud, { name, imageRef: image, flavorRef: '1', networks: 'none', ...extra }, {
      who: opts.who ?? 'admin', headers: V(opts.version ?? '2.37'), extra: opts.hints ? { 'os:scheduler_hints': opts.hints } : {},
    });

  test('a project quota set is what POST /servers enforces and /limits shows', async () => {
    const set = await cloud.request('PUT', `/compute/v2.1/os-quota-sets/${demoProject}`, { body: { quota_set: { instances: 1 } } });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    try {
      const limits = await cloud.request('GET', '/compute/v2.1/limits', { who: 'demo' });
      assert.equal(limits.json.limits.absolute.maxTotalInstances, 1);
      const first = await bootActive(cloud, { name: 'q1', imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V('2.37'));
      const second = await boot('q2', {}, { who: 'demo' });
      assert.equal(second.status, 403);
      assert.equal(second.json.forbidden.message, 'Quota exceeded for instances: Requested 1, but already used 1 of 1 instances');
      await cloud.request('DELETE', `/compute/v2.1/servers/${first.id}`, { who: 'demo' });
      await cloud.waitForServer(first.id, 'DELETED', 'demo');
    } finally {
      await cloud.request('DELETE', `/compute/v2.1/os-quota-sets/${demoProject}`);
    }
  });

  test('metadata_items set for a project bounds create and the metadata API', async () => {
    const adminProject = (await cloud.request('GET', '/identity/v3/projects?name=admin')).json.projects[0].id;
    await cloud.request('PUT', `/compute/v2.1/os-quota-sets/${adminProject}`, { body: { quota_set: { metadata_items: 1 } } });
    try {
      const over = await boot('md', { metadata: { a: '1', b: '2' } });
      assert.equal(over.status, 403);
      assert.match(over.json.forbidden.message, /^Quota exceeded for metadata_items/);
      const s = await bootActive(cloud, { name: 'md1', imageRef: image, flavorRef: '1', networks: 'none', metadata: { a: '1' } }, 'admin', V('2.37'));
      const more = await cloud.request('POST', `/compute/v2.1/servers/${s.id}/metadata`, { body: { metadata: { b: '2' } } });
      assert.equal(more.status, 403);
    } finally {
      await cloud.request('DELETE', `/compute/v2.1/os-quota-sets/${adminProject}`);
    }
  });

  test('anti-affinity: a second member on the only host fails with NoValidHost, and ERROR', async () => {
    const group = (await cloud.request('POST', '/compute/v2.1/os-server-groups', { body: { server_group: { name: 'anti', policies: ['anti-affinity'] } } })).json.server_group;
    const first = await boot('anti-1', {}, { hints: { group: group.id } });
    assert.equal(first.status, 202, JSON.stringify(first.json));
    await cloud.waitForServer(first.json.server.id, 'ACTIVE');
    const second = await boot('anti-2', {}, { hints: { group: group.id } });
    assert.equal(second.status, 202);
    const failed = await waitForStatus(cloud, second.json.server.id, ['ERROR', 'ACTIVE']);
    assert.equal(failed.status, 'ERROR');
    assert.match(failed.fault.message, /No valid host was found/);
    const shown = (await cloud.request('GET', `/compute/v2.1/os-server-groups/${group.id}`)).json.server_group;
    assert.deepEqual([...shown.members].sort(), [first.json.server.id, second.json.server.id].sort());
    // 2.71 shows a server's group in its own view, not in lists.
    const v271 = (await cloud.request('GET', `/compute/v2.1/servers/${first.json.server.id}`, { headers: V('2.71') })).json.server;
    assert.deepEqual(v271.server_groups, [group.id]);
    assert.equal((await cloud.request('GET', `/compute/v2.1/servers/${first.json.server.id}`, { headers: V('2.70') })).json.server.server_groups, undefined);
    const listed = (await cloud.request('GET', '/compute/v2.1/servers/detail?name=^anti-1$', { headers: V('2.71') })).json.servers;
    assert.equal(listed[0].server_groups, undefined);
    // A deleted member leaves the group.
    await cloud.request('DELETE', `/compute/v2.1/servers/${second.json.server.id}`);
    await cloud.waitForServer(second.json.server.id, 'DELETED');
    assert.deepEqual((await cloud.request('GET', `/compute/v2.1/os-server-groups/${group.id}`)).json.server_group.members, [first.json.server.id]);
  });

  test('anti-affinity with max_server_per_host 2 (2.64) takes two on one host, not three', async () => {
    const group = (await cloud.request('POST', '/compute/v2.1/os-server-groups', {
      headers: V('2.64'), body: { server_group: { name: 'anti2', policy: 'anti-affinity', rules: { max_server_per_host: 2 } } },
    })).json.server_group;
    for (const n of ['m1', 'm2']) {
      const res = await boot(n, {}, { hints: { group: group.id } });
      await cloud.waitForServer(res.json.server.id, 'ACTIVE');
    }
    const third = await boot('m3', {}, { hints: { group: group.id } });
    assert.equal((await waitForStatus(cloud, third.json.server.id, ['ERROR', 'ACTIVE'])).status, 'ERROR');
  });

  for (const policy of ['affinity', 'soft-affinity', 'soft-anti-affinity']) {
    test(`${policy}: two members both run, on the same (only) host`, async () => {
      const group = (await cloud.request('POST', '/compute/v2.1/os-server-groups', { headers: V('2.15'), body: { server_group: { name: policy, policies: [policy] } } })).json.server_group;
      const hosts: string[] = [];
      for (const n of ['a', 'b']) {
        const res = await boot(`${policy}-${n}`, {}, { hints: { group: group.id } });
        assert.equal(res.status, 202, JSON.stringify(res.json));
        const s = await cloud.waitForServer(res.json.server.id, 'ACTIVE');
        hosts.push(s.hostId);
      }
      assert.equal(hosts[0], hosts[1]);
      assert.equal((await cloud.request('GET', `/compute/v2.1/os-server-groups/${group.id}`)).json.server_group.members.length, 2);
    });
  }

  test('the group hint: an unknown group is 400, a malformed one too, and server_group_members is enforced', async () => {
    const unknown = await boot('x', {}, { hints: { group: '00000000-0000-4000-8000-000000000000' } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.badRequest.message, 'Instance group 00000000-0000-4000-8000-000000000000 could not be found.');
    assert.equal((await boot('x', {}, { hints: { group: 'nope' } })).status, 400);
    const projects = await cloud.request('GET', '/identity/v3/projects?name=admin');
    const adminProject = projects.json.projects[0].id;
    await cloud.request('PUT', `/compute/v2.1/os-quota-sets/${adminProject}`, { body: { quota_set: { server_group_members: 1 } } });
    try {
      const group = (await cloud.request('POST', '/compute/v2.1/os-server-groups', { body: { server_group: { name: 'small', policies: ['affinity'] } } })).json.server_group;
      assert.equal((await boot('s1', {}, { hints: { group: group.id } })).status, 202);
      const over = await boot('s2', {}, { hints: { group: group.id } });
      assert.equal(over.status, 403);
      assert.equal(over.json.forbidden.message, 'Quota exceeded, too many servers in group');
    } finally {
      await cloud.request('DELETE', `/compute/v2.1/os-quota-sets/${adminProject}`);
    }
  });

  test('tags given at create (2.52) are stored, shown from 2.26, and filter the list', async () => {
    const a = await boot('tag-a', { tags: ['red', 'big'] }, { version: '2.52' });
    assert.equal(a.status, 202, JSON.stringify(a.json));
    const b = await boot('tag-b', { tags: ['red'] }, { version: '2.52' });
    const c = await boot('tag-c', {}, { version: '2.52' });
    const ids = { a: a.json.server.id, b: b.json.server.id, c: c.json.server.id };
    const shown = (await cloud.request('GET', `/compute/v2.1/servers/${ids.a}`, { headers: V('2.26') })).json.server;
    assert.deepEqual(shown.tags, ['big', 'red']);
    assert.equal((await cloud.request('GET', `/compute/v2.1/servers/${ids.a}`, { headers: V('2.25') })).json.server.tags, undefined);
    const names = async (q: string) => (await cloud.request('GET', `/compute/v2.1/servers/detail?name=^tag-&${q}`, { headers: V('2.26') })).json.servers.map((s: any) => s.name).sort();
    assert.deepEqual(await names('tags=red,big'), ['tag-a']);
    assert.deepEqual(await names('tags-any=big,red'), ['tag-a', 'tag-b']);
    assert.deepEqual(await names('not-tags=red,big'), ['tag-b', 'tag-c']);
    assert.deepEqual(await names('not-tags-any=big,red'), ['tag-c']);
    const listed = (await cloud.request('GET', '/compute/v2.1/servers/detail?tags=red,big', { headers: V('2.26') })).json.servers;
    assert.deepEqual(listed[0].tags, ['big', 'red']);
    // A tag change shows in the (cached) list view at once.
    await cloud.waitForServer(ids.a, 'ACTIVE');
    await cloud.request('PUT', `/compute/v2.1/servers/${ids.a}/tags/green`, { headers: V('2.26') });
    const again = (await cloud.request('GET', '/compute/v2.1/servers/detail?tags=green', { headers: V('2.26') })).json.servers;
    assert.deepEqual(again[0].tags, ['big', 'green', 'red']);
  });

  test('diagnostics from the fake driver: plausible figures in the 2.48 form', async () => {
    const s = await bootActive(cloud, { name: 'diag', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V('2.37'));
    const res = await cloud.request('GET', `/compute/v2.1/servers/${s.id}/diagnostics`, { headers: V('2.48') });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.state, 'running');
    assert.equal(res.json.num_cpus, 1);
    assert.equal(res.json.memory_details.maximum, 512);
    assert.equal(res.json.cpu_details.length, 1);
    assert.equal((await cloud.request('GET', `/compute/v2.1/servers/${s.id}/diagnostics`, { who: 'demo' })).status, 404);
  });

  test('instance actions and events carry Nova\'s naive microsecond times; servers keep the Z format', async () => {
    const s = await bootActive(cloud, { name: 'times', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V('2.37'));
    assert.match(s.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const list = await cloud.request('GET', `/compute/v2.1/servers/${s.id}/os-instance-actions`, { headers: V('2.58') });
    const action = list.json.instanceActions[0];
    const naive = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;
    assert.match(action.start_time, naive);
    assert.match(action.updated_at, naive);
    const one = await cloud.request('GET', `/compute/v2.1/servers/${s.id}/os-instance-actions/${action.request_id}`, { headers: V('2.58') });
    assert.ok(one.json.instanceAction.events.length > 0);
    for (const e of one.json.instanceAction.events) {
      assert.match(e.start_time, naive);
      assert.match(e.finish_time, naive);
    }
  });
});
