/**
 * os-networks, os-tenant-networks, os-simple-tenant-usage, os-migrations,
 * os-hosts and os-instance-usage-audit-log against a whole cloud.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { bootActive, uploadImage, V237, computeVersion as at } from '../compute/fixtures.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
const V = '/compute/v2.1';

describe('admin and network proxies', () => {
  let cloud: TestCloud;
  let server: any;
  let db: ComputeDb;
  let host: string;

  before(async () => {
    cloud = await startTestCloud();
    db = cloud.database.db as ComputeDb;
    const image = await uploadImage(cloud);
    server = await bootActive(cloud, { name: 'usage-vm', imageRef: image, flavorRef: '1', networks: 'auto' }, 'demo', V237);
    host = (await cloud.request('GET', `${V}/servers/${server.id}`)).json.server['OS-EXT-SRV-ATTR:host'];
  });
  after(async () => cloud?.close());

  describe('os-networks and os-tenant-networks', () => {
    test("lists show the shared network with Nova's nova-network fields empty; admin sees the admin fields", async () => {
      const demo = await cloud.request('GET', `${V}/os-networks`, { who: 'demo' });
      assert.equal(demo.status, 200);
      const net = demo.json.networks.find((n: any) => n.label === 'private');
      assert.ok(net);
      assert.equal(net.cidr, null);
      assert.equal(net.project_id, undefined);
      const admin = await cloud.request('GET', `${V}/os-networks`);
      const adminNet = admin.json.networks.find((n: any) => n.id === net.id);
      assert.ok(Object.hasOwn(adminNet, 'project_id'));
      assert.equal(adminNet.mtu, null);
      const show = await cloud.request('GET', `${V}/os-networks/${net.id}`, { who: 'demo' });
      assert.equal(show.status, 200);
      assert.equal(show.json.network.label, 'private');
      const tenant = await cloud.request('GET', `${V}/os-tenant-networks`, { who: 'demo' });
      assert.deepEqual(tenant.json.networks.find((n: any) => n.id === net.id), { id: net.id, cidr: 'None', label: 'private' });
      const tshow = await cloud.request('GET', `${V}/os-tenant-networks/${net.id}`, { who: 'demo' });
      assert.deepEqual(tshow.json, { network: { id: net.id, cidr: 'None', label: 'private' } });
    });

    test("an unknown network, or another project's private one, is 404", async () => {
      const missing = await cloud.request('GET', `${V}/os-networks/${randomUUID()}`);
      assert.equal(missing.status, 404);
      assert.equal(missing.json.itemNotFound.message, 'Network not found');
      const created = await cloud.request('POST', '/network/v2.0/networks', { body: { network: { name: 'admins-only' } } });
      assert.equal(created.status, 201);
      const id = created.json.network.id;
      assert.equal((await cloud.request('GET', `${V}/os-tenant-networks/${id}`, { who: 'demo' })).status, 404);
      assert.ok(!(await cloud.request('GET', `${V}/os-tenant-networks`, { who: 'demo' })).json.networks.some((n: any) => n.id === id));
      assert.equal((await cloud.request('GET', `${V}/os-tenant-networks/${id}`)).status, 200);
    });

    test('the nova-network writes are 410 Gone; reads are 404 from 2.36', async () => {
      for (const [method, path] of [['POST', '/os-networks'], ['POST', '/os-networks/add'], ['DELETE', `/os-networks/${randomUUID()}`], ['POST', '/os-tenant-networks'], ['DELETE', `/os-tenant-networks/${randomUUID()}`]] as const) {
        const res = await cloud.request(method, `${V}${path}`, { body: method === 'POST' ? { network: { label: 'x' } } : undefined });
        assert.equal(res.status, 410, `${method} ${path}`);
      }
      assert.equal((await cloud.request('GET', `${V}/os-networks`, { headers: at('2.35') })).status, 200);
      assert.equal((await cloud.request('GET', `${V}/os-networks`, { headers: at('2.36') })).status, 404);
      assert.equal((await cloud.request('GET', `${V}/os-tenant-networks`, { headers: at('2.36') })).status, 404);
    });
  });

  describe('os-simple-tenant-usage', () => {
    const period = () => {
      const start = new Date(Date.now() - 3600_000).toISOString().slice(0, 19);
      const end = new Date(Date.now() + 3600_000).toISOString().slice(0, 19);
      return `start=${start}&end=${end}`;
    };

    test('index sums per project; detailed=1 adds the server usages', async () => {
      const res = await cloud.request('GET', `${V}/os-simple-tenant-usage?${period()}`);
      assert.equal(res.status, 200);
      const mine = res.json.tenant_usages.find((u: any) => u.tenant_id === server.tenant_id);
      assert.ok(mine);
      assert.equal(mine.server_usages, undefined);
      assert.ok(mine.total_hours > 0);
      assert.match(mine.start, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
      const detailed = await cloud.request('GET', `${V}/os-simple-tenant-usage?${period()}&detailed=1`);
      const usage = detailed.json.tenant_usages.find((u: any) => u.tenant_id === server.tenant_id);
      const su = usage.server_usages.find((s: any) => s.instance_id === server.id);
      assert.equal(su.name, 'usage-vm');
      assert.equal(su.state, 'active');
      assert.equal(su.ended_at, null);
      assert.equal(su.vcpus, 1);
      assert.equal(typeof su.flavor, 'string');
      assert.equal(typeof su.uptime, 'number');
    });

    test('an empty tenant id (a trailing slash) is a 404, not the index', async () => {
      const res = await cloud.request('GET', `${V}/os-simple-tenant-usage/?${period()}`);
      assert.equal(res.status, 404, JSON.stringify(res.json));
      assert.ok(res.json.itemNotFound);
    });

    test('show is one project with its server usages; another project is denied', async () => {
      const res = await cloud.request('GET', `${V}/os-simple-tenant-usage/${server.tenant_id}?${period()}`);
      assert.equal(res.status, 200);
      assert.equal(res.json.tenant_usage.tenant_id, server.tenant_id);
      assert.ok(res.json.tenant_usage.server_usages.some((s: any) => s.instance_id === server.id));
      const empty = await cloud.request('GET', `${V}/os-simple-tenant-usage/nobody?${period()}`);
      assert.deepEqual(empty.json, { tenant_usage: {} });
      const list = await cloud.request('GET', `${V}/os-simple-tenant-usage`, { who: 'demo' });
      assert.equal(list.status, 403);
      const adminProject = (await cloud.request('GET', `${V}/os-simple-tenant-usage?${period()}&detailed=1`)).json.tenant_usages
        .map((u: any) => u.tenant_id).find((t: string) => t !== server.tenant_id) ?? 'someone-else';
      const other = await cloud.request('GET', `${V}/os-simple-tenant-usage/${adminProject}`, { who: 'demo' });
      assert.equal(other.status, 403);
    });

    test('a period ending before it starts, or a bad time, is 400', async () => {
      const backwards = await cloud.request('GET', `${V}/os-simple-tenant-usage?start=2020-01-02T00:00:00&end=2020-01-01T00:00:00`);
      assert.equal(backwards.status, 400);
      assert.match(backwards.json.badRequest.message, /start time cannot occur after the end time/);
      const bad = await cloud.request('GET', `${V}/os-simple-tenant-usage?start=yesterday`);
      assert.equal(bad.status, 400);
      const outside = await cloud.request('GET', `${V}/os-simple-tenant-usage?start=2000-01-01T00:00:00&end=2000-01-02T00:00:00`);
      assert.deepEqual(outside.json, { tenant_usages: [] });
    });

    test('2.40 pages by limit and marker with a next link; before 2.40 there are no links', async () => {
      const first = await cloud.request('GET', `${V}/os-simple-tenant-usage?${period()}&detailed=1&limit=1`, { headers: at('2.40') });
      assert.equal(first.status, 200);
      const servers = first.json.tenant_usages.flatMap((u: any) => u.server_usages);
      assert.equal(servers.length, 1);
      assert.match(first.json.tenant_usages_links[0].href, new RegExp(`marker=${servers[0].instance_id}`));
      const old = await cloud.request('GET', `${V}/os-simple-tenant-usage?${period()}&limit=1`, { headers: at('2.39') });
      assert.equal(old.json.tenant_usages_links, undefined);
      const badMarker = await cloud.request('GET', `${V}/os-simple-tenant-usage?${period()}&marker=${randomUUID()}`, { headers: at('2.40') });
      assert.equal(badMarker.status, 400);
      const extra = await cloud.request('GET', `${V}/os-simple-tenant-usage?${period()}&foo=1`, { headers: at('2.75') });
      assert.equal(extra.status, 400);
      const badLimit = await cloud.request('GET', `${V}/os-simple-tenant-usage?limit=x`, { headers: at('2.40') });
      assert.equal(badLimit.status, 400);
    });
  });

  describe('os-migrations', () => {
    let mig: { uuid: string; id: number };
    before(async () => {
      const now = new Date().toISOString();
      const uuid = randomUUID();
      const row = await db.insertInto('migrations').values({
        uuid, instance_uuid: server.id, source_compute: host, dest_compute: host, source_node: host, dest_node: host, dest_host: '192.0.2.1',
        old_instance_type_id: 1, new_instance_type_id: 2, status: 'finished', migration_type: 'resize', hidden: 0,
        memory_total: null, memory_processed: null, memory_remaining: null, disk_total: null, disk_processed: null, disk_remaining: null,
        cross_cell_move: 0, user_id: 'u1', project_id: server.tenant_id, created_at: now, updated_at: now, deleted_at: null, deleted: 0,
      }).returning('id').executeTakeFirstOrThrow();
      mig = { uuid, id: Number(row.id) };
      await db.insertInto('migrations').values({
        uuid: randomUUID(), instance_uuid: server.id, source_compute: host, dest_compute: 'other', source_node: host, dest_node: 'other', dest_host: null,
        old_instance_type_id: 1, new_instance_type_id: 1, status: 'running', migration_type: 'live-migration', hidden: 0,
        memory_total: null, memory_processed: null, memory_remaining: null, disk_total: null, disk_processed: null, disk_remaining: null,
        cross_cell_move: 0, user_id: 'u1', project_id: server.tenant_id, created_at: new Date(Date.now() + 1000).toISOString(), updated_at: null, deleted_at: null, deleted: 0,
      }).execute();
    });

    test('2.1 has the base shape only', async () => {
      const res = await cloud.request('GET', `${V}/os-migrations`);
      assert.equal(res.status, 200);
      const m = res.json.migrations.find((x: any) => x.id === mig.id);
      assert.deepEqual(Object.keys(m).sort(), ['created_at', 'dest_compute', 'dest_host', 'dest_node', 'id', 'instance_uuid', 'new_instance_type_id',
        'old_instance_type_id', 'source_compute', 'source_node', 'status', 'updated_at']);
      assert.match(m.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });

    test('2.23 adds migration_type and links for a running live migration; 2.59 uuid; 2.80 user and project', async () => {
      const v223 = (await cloud.request('GET', `${V}/os-migrations`, { headers: at('2.23') })).json.migrations;
      const live = v223.find((x: any) => x.migration_type === 'live-migration');
      assert.equal(live.links.length, 2);
      assert.equal(v223.find((x: any) => x.id === mig.id).links, undefined);
      assert.equal(live.uuid, undefined);
      const v259 = (await cloud.request('GET', `${V}/os-migrations`, { headers: at('2.59') })).json.migrations;
      assert.equal(v259.find((x: any) => x.id === mig.id).uuid, mig.uuid);
      assert.equal(v259[0].user_id, undefined);
      const v279 = (await cloud.request('GET', `${V}/os-migrations`, { headers: at('2.79') })).json.migrations;
      assert.equal(v279.find((x: any) => x.id === mig.id).project_id, undefined);
      const v280 = await cloud.request('GET', `${V}/os-migrations`, { headers: at('2.80') });
      assert.equal(v280.status, 200);
      assert.equal(v280.json.migrations.find((x: any) => x.id === mig.id).project_id, server.tenant_id);
      assert.equal(v280.json.migrations.find((x: any) => x.id === mig.id).user_id, 'u1');
    });

    test('2.80 filters by user_id and project_id; 2.79 refuses them as unknown parameters', async () => {
      const ids = async (query: string) => {
        const res = await cloud.request('GET', `${V}/os-migrations?${query}`, { headers: at('2.80') });
        assert.equal(res.status, 200, JSON.stringify(res.json));
        return res.json.migrations.map((m: any) => m.id);
      };
      assert.ok((await ids('user_id=u1')).includes(mig.id));
      assert.deepEqual(await ids('user_id=someone-else'), []);
      assert.ok((await ids(`project_id=${server.tenant_id}`)).includes(mig.id));
      assert.deepEqual(await ids('project_id=another-project'), []);
      const old = await cloud.request('GET', `${V}/os-migrations?user_id=u1`, { headers: at('2.79') });
      assert.equal(old.status, 400);
      assert.match(old.json.badRequest.message, /'user_id' was unexpected/);
    });

    test('filters, paging from 2.59, and query errors', async () => {
      const byType = await cloud.request('GET', `${V}/os-migrations?migration_type=resize`);
      assert.deepEqual(byType.json.migrations.map((m: any) => m.id), [mig.id]);
      const byStatus = await cloud.request('GET', `${V}/os-migrations?status=nothing`);
      assert.deepEqual(byStatus.json.migrations, []);
      const page = await cloud.request('GET', `${V}/os-migrations?limit=1`, { headers: at('2.59') });
      assert.equal(page.json.migrations.length, 1);
      assert.equal(page.json.migrations[0].migration_type, 'live-migration');
      assert.match(page.json.migrations_links[0].href, /marker=/);
      const next = await cloud.request('GET', `${V}/os-migrations?limit=1&marker=${page.json.migrations[0].uuid}`, { headers: at('2.59') });
      assert.deepEqual(next.json.migrations.map((m: any) => m.id), [mig.id]);
      assert.equal((await cloud.request('GET', `${V}/os-migrations?marker=${randomUUID()}`, { headers: at('2.59') })).status, 400);
      assert.equal((await cloud.request('GET', `${V}/os-migrations?foo=1`, { headers: at('2.59') })).status, 400);
      assert.equal((await cloud.request('GET', `${V}/os-migrations?foo=1`)).status, 200);
      assert.equal((await cloud.request('GET', `${V}/os-migrations?changes-before=2020-01-01T00:00:00Z`, { headers: at('2.65') })).status, 400);
      const since = await cloud.request('GET', `${V}/os-migrations?changes-since=2999-01-01T00:00:00Z`, { headers: at('2.59') });
      assert.deepEqual(since.json.migrations, []);
      const order = await cloud.request('GET', `${V}/os-migrations?changes-since=2020-01-02T00:00:00Z&changes-before=2020-01-01T00:00:00Z`, { headers: at('2.66') });
      assert.equal(order.status, 400);
      assert.equal((await cloud.request('GET', `${V}/os-migrations?changes-since=nope`, { headers: at('2.59') })).status, 400);
    });

    test('a project member (not manager) may not list migrations', async () => {
      const demo = await cloud.request('GET', `${V}/os-migrations`, { who: 'demo' });
      assert.equal(demo.status, 403);
      assert.match(demo.json.forbidden.message, /os-migrations:index/);
    });
  });

  describe('os-hosts', () => {
    test("index lists the services' hosts with their zones; zone filters", async () => {
      const res = await cloud.request('GET', `${V}/os-hosts`);
      assert.equal(res.status, 200);
      assert.ok(res.json.hosts.some((h: any) => h.host_name === host && h.service === 'compute' && h.zone === 'nova'));
      assert.ok(res.json.hosts.some((h: any) => h.service === 'scheduler' && h.zone === 'internal'));
      const nova = await cloud.request('GET', `${V}/os-hosts?zone=nova`);
      assert.ok(nova.json.hosts.every((h: any) => h.zone === 'nova'));
      assert.deepEqual((await cloud.request('GET', `${V}/os-hosts?zone=nowhere`)).json, { hosts: [] });
    });

    test("show gives total, used now, used max and per project resources", async () => {
      const res = await cloud.request('GET', `${V}/os-hosts/${host}`);
      assert.equal(res.status, 200);
      const projects = res.json.host.map((r: any) => r.resource.project);
      assert.deepEqual(projects.slice(0, 3), ['(total)', '(used_now)', '(used_max)']);
      assert.ok(projects.includes(server.tenant_id));
      assert.equal((await cloud.request('GET', `${V}/os-hosts/no-such-host`)).status, 404);
    });

    test('update and power actions: 400 on a bad body, 404 on an unknown host, 501 otherwise', async () => {
      const bad = await cloud.request('PUT', `${V}/os-hosts/${host}`, { body: { status: 'maybe' } });
      assert.equal(bad.status, 400);
      assert.equal((await cloud.request('PUT', `${V}/os-hosts/${host}`, { body: {} })).status, 400);
      assert.equal((await cloud.request('PUT', `${V}/os-hosts/nowhere`, { body: { status: 'enable' } })).status, 404);
      const update = await cloud.request('PUT', `${V}/os-hosts/${host}`, { body: { status: 'enable' } });
      assert.equal(update.status, 501);
      assert.equal(update.json.notImplemented.code, 501);
      for (const action of ['reboot', 'shutdown', 'startup']) {
        assert.equal((await cloud.request('GET', `${V}/os-hosts/${host}/${action}`)).status, 501, action);
        assert.equal((await cloud.request('GET', `${V}/os-hosts/nowhere/${action}`)).status, 404, action);
      }
    });

    test('admin only, and gone from 2.43', async () => {
      assert.equal((await cloud.request('GET', `${V}/os-hosts`, { who: 'demo' })).status, 403);
      assert.equal((await cloud.request('GET', `${V}/os-hosts/${host}`, { who: 'demo' })).status, 403);
      assert.equal((await cloud.request('GET', `${V}/os-hosts`, { headers: at('2.42') })).status, 200);
      assert.equal((await cloud.request('GET', `${V}/os-hosts`, { headers: at('2.43') })).status, 404);
    });
  });

  describe('os-instance-usage-audit-log', () => {
    test('index reports the last completed month with every compute host not run', async () => {
      const res = await cloud.request('GET', `${V}/os-instance_usage_audit_log`);
      assert.equal(res.status, 200);
      const log = res.json.instance_usage_audit_logs;
      assert.match(log.period_beginning, /^\d{4}-\d\d-01 00:00:00$/);
      assert.equal(log.num_hosts, 1);
      assert.deepEqual(log.hosts_not_run, [host]);
      assert.equal(log.overall_status, '0 of 1 hosts done. 0 errors.');
      assert.deepEqual(log.log, {});
    });

    test('show takes the time before which the period ended; a bad one is 400; members are refused', async () => {
      const res = await cloud.request('GET', `${V}/os-instance_usage_audit_log/${encodeURIComponent('2020-03-15 10:00:00')}`);
      assert.equal(res.status, 200);
      assert.equal(res.json.instance_usage_audit_log.period_beginning, '2020-02-01 00:00:00');
      assert.equal(res.json.instance_usage_audit_log.period_ending, '2020-03-01 00:00:00');
      const bad = await cloud.request('GET', `${V}/os-instance_usage_audit_log/not-a-time`);
      assert.equal(bad.status, 400);
      assert.equal((await cloud.request('GET', `${V}/os-instance_usage_audit_log`, { who: 'demo' })).status, 403);
      // Nova's path has underscores; the hyphenated spelling is no resource.
      assert.equal((await cloud.request('GET', `${V}/os-instance-usage-audit-log`)).status, 404);
    });
  });
});
