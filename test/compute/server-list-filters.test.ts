/**
 * Every documented filter and sort key of GET /servers, per microversion:
 * which ones a member may use (2.83 and 2.90 add some; the rest are dropped
 * silently, as Nova drops them), which are refused (400), and that each
 * filters.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { functionalSuite, startFunctionalCloud, type FunctionalCloud } from '../helpers/functional-cloud.js';
import { generateEd25519KeyPair } from '../../src/compute/ssh-keys.js';
import { bootActive, uploadImage, computeVersion as at } from './fixtures.js';

describe(...functionalSuite('server list filters and sort keys'), () => {
  let cloud: FunctionalCloud;
  const ids: Record<string, string> = {};
  before(async () => {
    cloud = await startFunctionalCloud({ DEFAULT: { reclaim_instance_interval: '3600' } });
    const image = await uploadImage(cloud);
    const kp = await cloud.request('POST', '/compute/v2.1/os-keypairs', { who: 'demo', body: { keypair: { name: 'deploy', public_key: generateEd25519KeyPair().publicKey } } });
    assert.equal(kp.status, 200, JSON.stringify(kp.json));
    const boot = async (name: string, extra: Record<string, unknown> = {}, who: 'admin' | 'demo' = 'demo') => {
      ids[name] = (await bootActive(cloud, { name, imageRef: image, flavorRef: '1', networks: 'none', ...extra }, who, at('2.90'))).id;
    };
    await boot('keyed', { key_name: 'deploy', hostname: 'keyed-host', config_drive: true });
    await boot('plain', { availability_zone: 'nova' });
    await boot('stopped');
    await boot('gone');
    await boot('erased');
    await boot('admins', {}, 'admin');
    assert.equal((await cloud.request('POST', `/compute/v2.1/servers/${ids.stopped}/action`, { who: 'demo', body: { 'os-stop': null } })).status, 202);
    await cloud.waitForServer(ids.stopped, 'SHUTOFF', 'demo');
    assert.equal((await cloud.request('DELETE', `/compute/v2.1/servers/${ids.gone}`, { who: 'demo' })).status, 204);
    await cloud.waitForServer(ids.gone, 'SOFT_DELETED', 'demo');
    assert.equal((await cloud.request('DELETE', `/compute/v2.1/servers/${ids.erased}`, { who: 'demo' })).status, 204);
    await cloud.waitForServer(ids.erased, 'SOFT_DELETED', 'demo');
    assert.equal((await cloud.request('POST', `/compute/v2.1/servers/${ids.erased}/action`, { who: 'demo', body: { forceDelete: null } })).status, 202);
    const deadline = Date.now() + 15_000;
    while ((await cloud.request('GET', `/compute/v2.1/servers/${ids.erased}`, { who: 'demo' })).status !== 404) {
      assert.ok(Date.now() < deadline, 'erased server still there');
      await new Promise((r) => setImmediate(r));
    }
  });
  after(async () => cloud?.close());

  const list = async (query: string, v: string, who: 'admin' | 'demo' = 'demo') => {
    const res = await cloud.request('GET', `/compute/v2.1/servers?${query}`, { who, headers: at(v) });
    assert.equal(res.status, 200, `${query} at ${v}: ${JSON.stringify(res.json)}`);
    return (res.json.servers as Array<{ id: string; name: string }>).map((s) => s.name).sort();
  };
  const status = async (query: string, v: string, who: 'admin' | 'demo' = 'demo') =>
    (await cloud.request('GET', `/compute/v2.1/servers?${query}`, { who, headers: at(v) }));

  const MINE = ['keyed', 'plain', 'stopped'];

  test('soft-deleted servers are hidden, and an admin may ask for them with soft_deleted', async () => {
    assert.deepEqual(await list('', '2.1'), MINE);
    assert.ok((await list('all_tenants=1&soft_deleted=true', '2.1', 'admin')).includes('gone'));
    // A member's soft_deleted is one of the filters dropped for them.
    assert.deepEqual(await list('soft_deleted=true', '2.1'), MINE);
  });

  test('an admin lists deleted servers with deleted=true or status=DELETED; a member\'s deleted is dropped', async () => {
    assert.deepEqual(await list('all_tenants=1&deleted=true', '2.1', 'admin'), ['erased', 'gone']);
    assert.deepEqual(await list('all_tenants=1&deleted=true&soft_deleted=false', '2.1', 'admin'), ['erased']);
    assert.deepEqual(await list('all_tenants=1&status=DELETED', '2.1', 'admin'), ['erased']);
    assert.deepEqual(await list('deleted=true', '2.1'), MINE);
    const detail = await cloud.request('GET', '/compute/v2.1/servers/detail?all_tenants=1&deleted=true', { headers: at('2.96') });
    const erased = detail.json.servers.find((s: any) => s.id === ids.erased);
    assert.equal(erased.status, 'DELETED');
  });

  test('changes-since shows what was deleted since then too, unless an admin says deleted=false', async () => {
    assert.deepEqual(await list('changes-since=2000-01-01T00:00:00Z', '2.1'), ['erased', 'gone', ...MINE].sort());
    // A member's deleted is dropped, so it changes nothing.
    assert.deepEqual(await list('changes-since=2000-01-01T00:00:00Z&deleted=false', '2.1'), ['erased', 'gone', ...MINE].sort());
    assert.deepEqual(await list('all_tenants=1&changes-since=2000-01-01T00:00:00Z&deleted=false', '2.1', 'admin'), [...MINE, 'admins'].sort());
    assert.deepEqual(await list('changes-since=2999-01-01T00:00:00Z', '2.1'), []);
  });

  test('2.83 gives members key_name, config_drive, availability_zone, vm_state, task_state, power_state and more', async () => {
    for (const q of ['key_name=deploy', 'config_drive=True', 'vm_state=stopped', 'power_state=4', 'availability_zone=nova']) {
      assert.deepEqual(await list(q, '2.82'), MINE, `${q} is dropped at 2.82`);
    }
    assert.deepEqual(await list('key_name=deploy', '2.83'), ['keyed']);
    assert.deepEqual(await list('config_drive=True', '2.83'), ['keyed']);
    assert.deepEqual(await list('vm_state=stopped', '2.83'), ['stopped']);
    assert.deepEqual(await list('power_state=4', '2.83'), ['stopped']);
    assert.deepEqual(await list('task_state=None&vm_state=active', '2.83'), ['keyed', 'plain']);
    assert.deepEqual(await list('progress=0', '2.83'), MINE);
    assert.deepEqual(await list(`created_at=^${new Date().getUTCFullYear()}`, '2.83'), MINE);
    assert.deepEqual(await list('launched_at=^1999', '2.83'), []);
  });

  test('2.90 gives members the hostname filter, a regular expression', async () => {
    assert.deepEqual(await list('hostname=keyed', '2.89'), MINE);
    assert.deepEqual(await list('hostname=^keyed-h', '2.90'), ['keyed']);
    assert.deepEqual(await list('hostname=nomatch', '2.90'), []);
  });

  test('host, node and uuid stay an admin\'s: dropped for a member at every version', async () => {
    assert.deepEqual(await list('host=nowhere', '2.96'), MINE);
    assert.deepEqual(await list('node=nowhere', '2.96'), MINE);
    assert.deepEqual(await list('all_tenants=1&host=nowhere', '2.96', 'admin'), []);
    assert.deepEqual(await list(`all_tenants=1&uuid=${ids.plain}`, '2.1', 'admin'), ['plain']);
    assert.deepEqual(await list(`uuid=${ids.plain}`, '2.96'), MINE);
    const host = (await cloud.request('GET', `/compute/v2.1/servers/${ids.keyed}`)).json.server['OS-EXT-SRV-ATTR:host'];
    assert.equal((await list(`all_tenants=1&host=${host}`, '2.1', 'admin')).length, 4);
  });

  test('status takes several values; an unknown one is a 400 from 2.38 and matches nothing before', async () => {
    assert.deepEqual(await list('status=ACTIVE&status=SHUTOFF', '2.1'), MINE);
    assert.deepEqual(await list('status=shutoff', '2.1'), ['stopped']);
    assert.deepEqual(await list('status=bogus', '2.37'), []);
    const bad = await status('status=bogus', '2.38');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.badRequest.message, 'Invalid status value');
    // Deleted servers are an admin's to list.
    assert.equal((await status('status=DELETED', '2.1')).status, 403);
  });

  test('name, description, ip and ip6 filter as regular expressions; a bad expression is a 400', async () => {
    assert.deepEqual(await list('name=^(keyed|plain)$', '2.1'), ['keyed', 'plain']);
    assert.deepEqual(await list('name=eye', '2.1'), ['keyed']);
    assert.deepEqual(await list('ip=^10\\.', '2.5'), []);
    assert.deepEqual(await list('ip6=fd00', '2.5'), []);
    const bad = await status('name=(unclosed', '2.1');
    assert.equal(bad.status, 400);
    assert.match(bad.json.badRequest.message, /name/);
    assert.deepEqual(await list('all_tenants=1&description=^nothing$', '2.19', 'admin'), []);
  });

  test('changes-before (2.66) bounds the update time from above', async () => {
    assert.deepEqual(await list('changes-before=2000-01-01T00:00:00Z', '2.66'), []);
    assert.deepEqual(await list('changes-before=2999-01-01T00:00:00Z', '2.66'), ['erased', 'gone', ...MINE].sort());
    const crossed = await status('changes-since=2020-01-01T00:00:00Z&changes-before=2010-01-01T00:00:00Z', '2.66');
    assert.equal(crossed.status, 400);
  });

  test('an unknown parameter is dropped before 2.75 and a 400 from it', async () => {
    assert.deepEqual(await list('flavour=1', '2.74'), MINE);
    const res = await status('flavour=1', '2.75');
    assert.equal(res.status, 400);
    assert.match(res.json.badRequest.message, /Additional properties are not allowed \('flavour' was unexpected\)/);
  });

  test('joined-table filters are a 400 for an admin and dropped for a member', async () => {
    const res = await status('metadata=x', '2.1', 'admin');
    assert.equal(res.status, 400);
    assert.equal(res.json.badRequest.message, 'Invalid filter field: metadata.');
    assert.deepEqual(await list('metadata=x', '2.1'), MINE);
  });

  test('sort keys: Nova\'s list sorts, retired ones are ignored until 2.75 refuses them, unknown ones are a 400', async () => {
    assert.deepEqual((await cloud.request('GET', '/compute/v2.1/servers?sort_key=display_name&sort_dir=asc', { who: 'demo' })).json.servers.map((s: any) => s.name), MINE);
    assert.deepEqual((await cloud.request('GET', '/compute/v2.1/servers?sort_key=hostname&sort_dir=desc', { who: 'demo' })).json.servers.map((s: any) => s.name), ['stopped', 'plain', 'keyed']);
    assert.deepEqual(await list('sort_key=vcpus', '2.74'), MINE);
    assert.equal((await status('sort_key=vcpus', '2.75')).status, 400);
    assert.equal((await status('sort_key=locked', '2.72')).status, 200);
    assert.equal((await status('sort_key=locked', '2.73')).status, 200);
    assert.equal((await status('sort_key=password', '2.1')).status, 400);
    for (const key of ['access_ip_v4', 'availability_zone', 'config_drive', 'kernel_id', 'launch_index', 'locked_by', 'power_state', 'progress', 'root_device_name', 'task_state', 'terminated_at', 'user_id', 'uuid', 'vm_state']) {
      assert.equal((await status(`sort_key=${key}`, '2.96')).status, 200, key);
    }
  });

  test('sorting by host or node is an admin\'s (403 for a member)', async () => {
    const res = await status('sort_key=host', '2.1');
    assert.equal(res.status, 403);
    assert.match(res.json.forbidden.message, /Only administrators can sort servers by host/);
    assert.equal((await status('sort_key=node', '2.1', 'admin')).status, 200);
  });

  test('all_tenants and locked take only boolean words', async () => {
    assert.equal((await status('all_tenants=maybe', '2.1', 'admin')).status, 400);
    assert.equal((await status('locked=maybe', '2.73')).status, 400);
    assert.deepEqual(await list('locked=false', '2.73'), MINE);
    assert.deepEqual(await list('locked=true', '2.73'), []);
  });
});
