/**
 * os-security-groups, os-security-group-rules, /servers/{id}/os-security-groups
 * and add/removeSecurityGroup: Nova's proxy over the network service's groups.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { bootActive, uploadImage, V237, computeVersion as at } from '../compute/fixtures.js';
const SG = '/compute/v2.1/os-security-groups';
const RULES = '/compute/v2.1/os-security-group-rules';

describe('security groups proxy', () => {
  let cloud: TestCloud;
  let server: any;
  let portless: any;

  before(async () => {
    cloud = await startTestCloud();
    const image = await uploadImage(cloud);
    server = await bootActive(cloud, { name: 'sg-vm', imageRef: image, flavorRef: '1', networks: 'auto' }, 'demo', V237);
    portless = await bootActive(cloud, { name: 'no-net', imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);
  });
  after(async () => cloud?.close());

  test("a project's list holds its default group, made on demand, with Nova's rule shape", async () => {
    const list = await cloud.request('GET', SG, { who: 'demo' });
    assert.equal(list.status, 200);
    assert.equal(list.json.security_groups.length, 1);
    const def = list.json.security_groups[0];
    assert.deepEqual(Object.keys(def).sort(), ['description', 'id', 'name', 'rules', 'tenant_id']);
    assert.equal(def.name, 'default');
    // Only the ingress rules show, each naming the default group as its remote.
    assert.equal(def.rules.length, 2);
    for (const r of def.rules) {
      assert.deepEqual(r.group, { name: 'default', tenant_id: def.tenant_id });
      assert.deepEqual(r.ip_range, {});
      assert.equal(r.parent_group_id, def.id);
      assert.equal(r.ip_protocol, null);
    }
    const again = await cloud.request('GET', SG, { who: 'demo' });
    assert.equal(again.json.security_groups[0].id, def.id);
  });

  test('create, show, update, delete a group; rules with cidr and with a group', async () => {
    const created = await cloud.request('POST', SG, { who: 'demo', body: { security_group: { name: 'web', description: 'web servers' } } });
    assert.equal(created.status, 200);
    const g = created.json.security_group;
    assert.equal(g.name, 'web');
    assert.deepEqual(g.rules, []);

    const tcp = await cloud.request('POST', RULES, { who: 'demo', body: { security_group_rule: { parent_group_id: g.id, ip_protocol: 'tcp', from_port: 22, to_port: 22, cidr: '10.0.0.0/24' } } });
    assert.equal(tcp.status, 200, JSON.stringify(tcp.json));
    assert.deepEqual(tcp.json.security_group_rule, {
      id: tcp.json.security_group_rule.id, parent_group_id: g.id, ip_protocol: 'tcp', from_port: 22, to_port: 22, group: {}, ip_range: { cidr: '10.0.0.0/24' },
    });
    const icmp = await cloud.request('POST', RULES, { who: 'demo', body: { security_group_rule: { parent_group_id: g.id, ip_protocol: 'icmp', from_port: -1, to_port: -1 } } });
    assert.equal(icmp.status, 200);
    assert.equal(icmp.json.security_group_rule.from_port, -1);
    assert.deepEqual(icmp.json.security_group_rule.ip_range, { cidr: '0.0.0.0/0' });
    const byGroup = await cloud.request('POST', RULES, { who: 'demo', body: { security_group_rule: { parent_group_id: g.id, ip_protocol: 'udp', group_id: g.id } } });
    assert.equal(byGroup.status, 200);
    assert.equal(byGroup.json.security_group_rule.from_port, 1);
    assert.equal(byGroup.json.security_group_rule.to_port, 65535);
    assert.deepEqual(byGroup.json.security_group_rule.group, { name: 'web', tenant_id: g.tenant_id });

    const dup = await cloud.request('POST', RULES, { who: 'demo', body: { security_group_rule: { parent_group_id: g.id, ip_protocol: 'tcp', from_port: 22, to_port: 22, cidr: '10.0.0.0/24' } } });
    assert.equal(dup.status, 400);
    assert.match(dup.json.badRequest.message, /This rule already exists/);

    const shown = await cloud.request('GET', `${SG}/${g.id}`, { who: 'demo' });
    assert.equal(shown.status, 200);
    assert.equal(shown.json.security_group.rules.length, 3);

    const updated = await cloud.request('PUT', `${SG}/${g.id}`, { who: 'demo', body: { security_group: { name: 'web2', description: 'renamed' } } });
    assert.equal(updated.status, 200);
    assert.equal(updated.json.security_group.name, 'web2');
    assert.equal(updated.json.security_group.description, 'renamed');

    const delRule = await cloud.request('DELETE', `${RULES}/${tcp.json.security_group_rule.id}`, { who: 'demo' });
    assert.equal(delRule.status, 202);
    assert.equal((await cloud.request('GET', `${SG}/${g.id}`, { who: 'demo' })).json.security_group.rules.length, 2);
    assert.equal((await cloud.request('DELETE', `${RULES}/${tcp.json.security_group_rule.id}`, { who: 'demo' })).status, 404);

    const del = await cloud.request('DELETE', `${SG}/${g.id}`, { who: 'demo' });
    assert.equal(del.status, 202);
    assert.equal((await cloud.request('GET', `${SG}/${g.id}`, { who: 'demo' })).status, 404);
  });

  test("rule requests Nova refuses: bad ports, protocol, cidr, missing parameters, unknown parent", async () => {
    const g = (await cloud.request('POST', SG, { who: 'demo', body: { security_group: { name: 'rules-bad', description: '' } } })).json.security_group;
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ parent_group_id: g.id, ip_protocol: 'tcp', from_port: 80, to_port: 22 }, 400, /Former value cannot be greater/],
      [{ parent_group_id: g.id, ip_protocol: 'tcp', from_port: 0, to_port: 22 }, 400, /between 1-65535/],
      [{ parent_group_id: g.id, ip_protocol: 'icmp', from_port: 300, to_port: 0 }, 400, /type:code must be valid/],
      [{ parent_group_id: g.id, ip_protocol: 'gre', from_port: 1, to_port: 2 }, 400, /Invalid IP protocol gre/],
      [{ parent_group_id: g.id, ip_protocol: 'tcp', from_port: 'a', to_port: 2 }, 400, /must be integers/],
      [{ parent_group_id: g.id, ip_protocol: 'tcp', from_port: 1, to_port: 2, cidr: '10.0.0.0/33' }, 400, /not a valid IP network/],
      [{ parent_group_id: g.id, ip_protocol: 'tcp', from_port: 1, to_port: 2, cidr: '10.0.0.0/0' }, 400, /Bad prefix/],
      [{ parent_group_id: g.id }, 400, /Not enough parameters/],
      [{ parent_group_id: 'not-a-uuid', ip_protocol: 'tcp', from_port: 1, to_port: 2 }, 400, /should be uuid/],
      [{ parent_group_id: '00000000-0000-0000-0000-000000000000', ip_protocol: 'tcp', from_port: 1, to_port: 2 }, 404, /not found/],
      [{ parent_group_id: g.id, ip_protocol: 'tcp', group_id: '00000000-0000-0000-0000-000000000000' }, 404, /not found/],
    ];
    for (const [rule, status, message] of cases) {
      const res = await cloud.request('POST', RULES, { who: 'demo', body: { security_group_rule: rule } });
      assert.equal(res.status, status, JSON.stringify(rule));
      assert.match(Object.values(res.json as Record<string, { message: string }>)[0]!.message, message, JSON.stringify(rule));
    }
    const noBody = await cloud.request('POST', RULES, { who: 'demo', body: {} });
    assert.equal(noBody.status, 400);
  });

  test('group bodies are checked: missing name, over-long description, wrong types; bad ids are 400', async () => {
    for (const body of [{}, { security_group: { description: 'x' } }, { security_group: { name: 'x', description: 'd'.repeat(256) } }, { security_group: { name: 1, description: '' } }, { security_group: 'x' }]) {
      const res = await cloud.request('POST', SG, { who: 'demo', body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.json.badRequest.code, 400);
    }
    assert.equal((await cloud.request('GET', `${SG}/toString`, { who: 'demo' })).status, 400);
    assert.equal((await cloud.request('GET', `${SG}/00000000-0000-0000-0000-000000000000`, { who: 'demo' })).status, 404);
    const badLimit = await cloud.request('GET', `${SG}?limit=-1`, { who: 'demo' });
    assert.equal(badLimit.status, 400);
  });

  test("another project's group is not found; admin sees it with all_tenants only", async () => {
    const demoGroup = (await cloud.request('POST', SG, { who: 'demo', body: { security_group: { name: 'private-g', description: '' } } })).json.security_group;
    const adminShow = await cloud.request('GET', `${SG}/${demoGroup.id}`);
    assert.equal(adminShow.status, 200);
    const adminList = await cloud.request('GET', SG);
    assert.ok(!adminList.json.security_groups.some((g: any) => g.id === demoGroup.id));
    const all = await cloud.request('GET', `${SG}?all_tenants=1`);
    assert.ok(all.json.security_groups.some((g: any) => g.id === demoGroup.id));
    const demoAll = await cloud.request('GET', `${SG}?all_tenants=1`, { who: 'demo' });
    assert.ok(demoAll.json.security_groups.every((g: any) => g.tenant_id === demoGroup.tenant_id));
    const adminGroup = (await cloud.request('POST', SG, { body: { security_group: { name: 'admins-g', description: '' } } })).json.security_group;
    for (const [method, path, body] of [
      ['GET', `${SG}/${adminGroup.id}`, undefined],
      ['PUT', `${SG}/${adminGroup.id}`, { security_group: { name: 'x', description: 'y' } }],
      ['DELETE', `${SG}/${adminGroup.id}`, undefined],
      ['POST', RULES, { security_group_rule: { parent_group_id: adminGroup.id, ip_protocol: 'tcp', from_port: 1, to_port: 2 } }],
    ] as const) {
      const res = await cloud.request(method, path, { who: 'demo', body });
      assert.equal(res.status, 404, `${method} ${path}`);
    }
  });

  test('the default group cannot be deleted by its project', async () => {
    const def = (await cloud.request('GET', SG, { who: 'demo' })).json.security_groups.find((g: any) => g.name === 'default');
    const res = await cloud.request('DELETE', `${SG}/${def.id}`, { who: 'demo' });
    assert.equal(res.status, 400);
  });

  test('addSecurityGroup / removeSecurityGroup go through the ports and show in the server', async () => {
    const base = `/compute/v2.1/servers/${server.id}`;
    const groups = async () => (await cloud.request('GET', `${base}/os-security-groups`, { who: 'demo' })).json.security_groups.map((g: any) => g.name);
    assert.deepEqual(await groups(), ['default']);
    await cloud.request('POST', SG, { who: 'demo', body: { security_group: { name: 'extra', description: '' } } });
    const add = await cloud.request('POST', `${base}/action`, { who: 'demo', body: { addSecurityGroup: { name: 'extra' } } });
    assert.equal(add.status, 202, JSON.stringify(add.json));
    assert.deepEqual(await groups(), ['default', 'extra']);
    const view = await cloud.request('GET', base, { who: 'demo' });
    assert.deepEqual(view.json.server.security_groups.map((g: any) => g.name).sort(), ['default', 'extra']);
    // The group in use cannot be deleted.
    const extra = (await cloud.request('GET', SG, { who: 'demo' })).json.security_groups.find((g: any) => g.name === 'extra');
    assert.equal((await cloud.request('DELETE', `${SG}/${extra.id}`, { who: 'demo' })).status, 400);

    const remove = await cloud.request('POST', `${base}/action`, { who: 'demo', body: { removeSecurityGroup: { name: 'default' } } });
    assert.equal(remove.status, 202);
    assert.deepEqual(await groups(), ['extra']);
    assert.deepEqual((await cloud.request('GET', base, { who: 'demo' })).json.server.security_groups, [{ name: 'extra' }]);
    const again = await cloud.request('POST', `${base}/action`, { who: 'demo', body: { removeSecurityGroup: { name: 'default' } } });
    assert.equal(again.status, 404);
    assert.match(again.json.itemNotFound.message, /not associated with the instance/);
  });

  test('the actions refuse bad bodies, unknown groups, servers without ports and other projects', async () => {
    const base = `/compute/v2.1/servers/${server.id}/action`;
    const bad: Array<[unknown, string]> = [
      [{ addSecurityGroup: null }, 'Missing parameter dict'],
      [{ addSecurityGroup: {} }, 'Security group not specified'],
      [{ addSecurityGroup: { name: ' ' } }, 'Security group name cannot be empty'],
    ];
    for (const [body, message] of bad) {
      const res = await cloud.request('POST', base, { who: 'demo', body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.json.badRequest.message, message);
    }
    const typed = await cloud.request('POST', base, { who: 'demo', body: { addSecurityGroup: { name: 7 } } });
    assert.equal(typed.status, 400);
    const unknown = await cloud.request('POST', base, { who: 'demo', body: { addSecurityGroup: { name: 'nope' } } });
    assert.equal(unknown.status, 404);
    assert.match(unknown.json.itemNotFound.message, /Security group nope is not found for project/);
    const noPorts = await cloud.request('POST', `/compute/v2.1/servers/${portless.id}/action`, { who: 'demo', body: { addSecurityGroup: { name: 'default' } } });
    assert.equal(noPorts.status, 404);
    assert.deepEqual((await cloud.request('GET', `/compute/v2.1/servers/${portless.id}/os-security-groups`, { who: 'demo' })).json, { security_groups: [] });

    const adminImage = await uploadImage(cloud, 'admins-img');
    const adminServer = await bootActive(cloud, { name: 'adm', imageRef: adminImage, flavorRef: '1', networks: 'auto' }, 'admin', V237);
    const other = await cloud.request('POST', `/compute/v2.1/servers/${adminServer.id}/action`, { who: 'demo', body: { addSecurityGroup: { name: 'default' } } });
    assert.equal(other.status, 404);
    assert.equal((await cloud.request('GET', `/compute/v2.1/servers/${adminServer.id}/os-security-groups`, { who: 'demo' })).status, 404);
    // Admin acts on another project's server with its own project's groups, as Nova does.
    const adminAdd = await cloud.request('POST', `/compute/v2.1/servers/${server.id}/action`, { body: { addSecurityGroup: { name: 'default' } } });
    assert.equal(adminAdd.status, 202);
  });

  test('from 2.36 the group proxies are gone; the server list of groups stays', async () => {
    assert.equal((await cloud.request('GET', SG, { who: 'demo', headers: at('2.35') })).status, 200);
    assert.equal((await cloud.request('GET', SG, { who: 'demo', headers: at('2.36') })).status, 404);
    assert.equal((await cloud.request('POST', SG, { who: 'demo', headers: at('2.36'), body: { security_group: { name: 'late', description: '' } } })).status, 404);
    assert.equal((await cloud.request('POST', RULES, { who: 'demo', headers: at('2.36'), body: { security_group_rule: {} } })).status, 404);
    const names = (await cloud.request('GET', SG, { who: 'demo' })).json.security_groups.map((g: any) => g.name);
    assert.ok(!names.includes('late'));
    assert.equal((await cloud.request('GET', `/compute/v2.1/servers/${server.id}/os-security-groups`, { who: 'demo', headers: at('2.79') })).status, 200);
  });
  test('create naming a group that does not exist (or is another project\'s) is 400 and makes no server', async () => {
    const image = await uploadImage(cloud, 'sg-create-img');
    const before = (await cloud.request('GET', '/compute/v2.1/servers', { who: 'demo' })).json.servers.length;
    const adminGroup = (await cloud.request('POST', SG, { body: { security_group: { name: 'admins-only', description: '' } } })).json.security_group;
    for (const name of ['does_not_exist', adminGroup.id]) {
      const res = await cloud.request('POST', '/compute/v2.1/servers', { who: 'demo', body: { server: { name: 'sg-bad', imageRef: image, flavorRef: '1', networks: 'none', security_groups: [{ name }] } }, headers: V237 });
      assert.equal(res.status, 400, JSON.stringify(res.json));
      assert.equal(res.json.badRequest.message, `Unable to find security_group with name or id '${name}'`);
    }
    assert.equal((await cloud.request('GET', '/compute/v2.1/servers', { who: 'demo' })).json.servers.length, before);
  });

  test('a server left in no group shows no security_groups key, as Nova', async () => {
    const image = await uploadImage(cloud, 'sg-none-img');
    const vm = await bootActive(cloud, { name: 'sg-none', imageRef: image, flavorRef: '1', networks: 'auto' }, 'demo', V237);
    const remove = await cloud.request('POST', `/compute/v2.1/servers/${vm.id}/action`, { who: 'demo', body: { removeSecurityGroup: { name: 'default' } } });
    assert.equal(remove.status, 202);
    const shown = (await cloud.request('GET', `/compute/v2.1/servers/${vm.id}`, { who: 'demo' })).json.server;
    assert.equal(Object.hasOwn(shown, 'security_groups'), false);
  });
});
