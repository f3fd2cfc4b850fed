/** /network/v2.0/security-groups and security-group-rules: Neutron's core security group calls. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';

const SG = '/network/v2.0/security-groups';
const RULES = '/network/v2.0/security-group-rules';

describe('network security groups', () => {
  let cloud: TestCloud;
  before(async () => { cloud = await startTestCloud(); });
  after(async () => cloud?.close());

  test("a project's first list makes its default group with Neutron's four rules", async () => {
    const res = await cloud.request('GET', SG, { who: 'demo' });
    assert.equal(res.status, 200);
    assert.equal(res.json.security_groups.length, 1);
    const def = res.json.security_groups[0];
    assert.equal(def.name, 'default');
    assert.equal(def.stateful, true);
    assert.equal(def.security_group_rules.length, 4);
    const ingress = def.security_group_rules.filter((r: any) => r.direction === 'ingress');
    assert.deepEqual(ingress.map((r: any) => r.remote_group_id), [def.id, def.id]);
    assert.deepEqual(ingress.map((r: any) => r.ethertype).sort(), ['IPv4', 'IPv6']);
  });

  test('create (201), show, add a rule, delete the rule and the group (204)', async () => {
    const created = await cloud.request('POST', SG, { who: 'demo', body: { security_group: { name: 'web', description: 'd' } } });
    assert.equal(created.status, 201);
    const g = created.json.security_group;
    assert.deepEqual(g.security_group_rules.map((r: any) => `${r.direction}/${r.ethertype}`).sort(), ['egress/IPv4', 'egress/IPv6']);
    const rule = await cloud.request('POST', RULES, { who: 'demo', body: { security_group_rule: { security_group_id: g.id, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_ip_prefix: '0.0.0.0/0' } } });
    assert.equal(rule.status, 201, JSON.stringify(rule.json));
    assert.equal(rule.json.security_group_rule.port_range_min, 80);
    const dup = await cloud.request('POST', RULES, { who: 'demo', body: { security_group_rule: { security_group_id: g.id, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_ip_prefix: '0.0.0.0/0' } } });
    assert.equal(dup.status, 409);
    assert.equal(dup.json.NeutronError.type, 'SecurityGroupRuleExists');
    const shown = await cloud.request('GET', `${RULES}/${rule.json.security_group_rule.id}`, { who: 'demo' });
    assert.equal(shown.status, 200);
    assert.equal((await cloud.request('GET', `${SG}/${g.id}`, { who: 'demo' })).json.security_group.security_group_rules.length, 3);
    assert.equal((await cloud.request('DELETE', `${RULES}/${rule.json.security_group_rule.id}`, { who: 'demo' })).status, 204);
    assert.equal((await cloud.request('DELETE', `${SG}/${g.id}`, { who: 'demo' })).status, 204);
    const gone = await cloud.request('GET', `${SG}/${g.id}`, { who: 'demo' });
    assert.equal(gone.status, 404);
    assert.equal(gone.json.NeutronError.type, 'SecurityGroupNotFound');
  });

  test("deleting a group deletes other groups' rules that name it as their remote group", async () => {
    const create = async (name: string) => (await cloud.request('POST', SG, { who: 'demo', body: { security_group: { name } } })).json.security_group;
    const [web, peer] = [await create('web-peer'), await create('peer')];
    const rule = await cloud.request('POST', RULES, { who: 'demo', body: { security_group_rule: { security_group_id: web.id, direction: 'ingress', protocol: 'tcp', remote_group_id: peer.id } } });
    assert.equal(rule.status, 201, JSON.stringify(rule.json));
    assert.equal((await cloud.request('DELETE', `${SG}/${peer.id}`, { who: 'demo' })).status, 204);
    assert.equal((await cloud.request('GET', `${RULES}/${rule.json.security_group_rule.id}`, { who: 'demo' })).status, 404);
    const left = (await cloud.request('GET', `${SG}/${web.id}`, { who: 'demo' })).json.security_group.security_group_rules;
    assert.deepEqual(left.map((r: any) => r.direction).sort(), ['egress', 'egress']);
  });

  test('bad rules are 400 in NeutronError form', async () => {
    const g = (await cloud.request('POST', SG, { who: 'demo', body: { security_group: { name: 'bad-rules' } } })).json.security_group;
    for (const rule of [
      { security_group_id: g.id, direction: 'sideways' },
      { security_group_id: g.id, direction: 'ingress', protocol: 'tcp', port_range_min: 90, port_range_max: 80 },
      { security_group_id: g.id, direction: 'ingress', port_range_min: 80, port_range_max: 80 },
      { security_group_id: g.id, direction: 'ingress', protocol: 'nonsense' },
      { security_group_id: g.id, direction: 'ingress', remote_ip_prefix: '10.0.0.0/8', remote_group_id: g.id },
      { security_group_id: g.id, direction: 'ingress', ethertype: 'IPv6', remote_ip_prefix: '10.0.0.0/8' },
      { security_group_id: g.id, direction: 'ingress', remote_ip_prefix: '10.0.0.300/8' },
      { security_group_id: g.id, direction: 'ingress', port_range_min: 70000, protocol: 'tcp' },
    ]) {
      const res = await cloud.request('POST', RULES, { who: 'demo', body: { security_group_rule: rule } });
      assert.equal(res.status, 400, JSON.stringify(rule));
      assert.equal(typeof res.json.NeutronError.message, 'string');
    }
  });

  test("port ranges are checked as Neutron checks them, with its messages: ports for port protocols, ICMP type and code, nothing for others", async () => {
    const g = (await cloud.request('POST', SG, { who: 'demo', body: { security_group: { name: 'ranges' } } })).json.security_group;
    const refused = async (protocol: string | null, min: number | null, max: number | null) => {
      const res = await cloud.request('POST', RULES, { who: 'demo', body: { security_group_rule: {
        security_group_id: g.id, direction: 'ingress', protocol, port_range_min: min, port_range_max: max } } });
      assert.equal(res.status, 400, JSON.stringify([protocol, min, max, res.json]));
      return [res.json.NeutronError.type, res.json.NeutronError.message];
    };
    assert.deepEqual(await refused('tcp', -16, 80), ['SecurityGroupInvalidPortValue', 'Invalid value for port -16']);
    assert.deepEqual(await refused('tcp', 80, 65536), ['SecurityGroupInvalidPortValue', 'Invalid value for port 65536']);
    assert.deepEqual(await refused('tcp', 0, 80), ['SecurityGroupInvalidPortValue', 'Invalid value for port 0']);
    const range = ['SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max'];
    assert.deepEqual(await refused('tcp', 80, 79), range);
    assert.deepEqual(await refused('udp', null, 6), range);
    assert.deepEqual(await refused('icmp', 1, 256), ['SecurityGroupInvalidIcmpValue', 'Invalid value for ICMP code (port_range_max) 256. It must be 0 to 255.']);
    assert.deepEqual(await refused('icmp', 300, 1), ['SecurityGroupInvalidIcmpValue', 'Invalid value for ICMP type (port_range_min) 300. It must be 0 to 255.']);
    assert.deepEqual(await refused('icmp', null, 6), ['SecurityGroupMissingIcmpType', 'ICMP code (port-range-max) 6 is provided but ICMP type (port-range-min) is missing.']);
    assert.deepEqual(await refused('gre', 1, 2), ['SecurityGroupInvalidProtocolForPort',
      'Ports cannot be specified for protocol 47. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.']);
    for (const [protocol, min, max] of [['tcp', 1, 65535], ['6', 22, 22], ['icmp', 8, 0], ['icmp', 8, null], ['gre', null, null]] as const) {
      const res = await cloud.request('POST', RULES, { who: 'demo', body: { security_group_rule: {
        security_group_id: g.id, direction: 'ingress', protocol, port_range_min: min, port_range_max: max } } });
      assert.equal(res.status, 201, JSON.stringify([protocol, min, max, res.json]));
    }
  });

  test("another project's group is not found; admin sees every project's", async () => {
    const mine = (await cloud.request('POST', SG, { who: 'demo', body: { security_group: { name: 'demos' } } })).json.security_group;
    const admins = (await cloud.request('POST', SG, { body: { security_group: { name: 'admins' } } })).json.security_group;
    assert.equal((await cloud.request('GET', `${SG}/${admins.id}`, { who: 'demo' })).status, 404);
    assert.equal((await cloud.request('DELETE', `${SG}/${admins.id}`, { who: 'demo' })).status, 404);
    const rule = await cloud.request('POST', RULES, { who: 'demo', body: { security_group_rule: { security_group_id: admins.id, direction: 'ingress' } } });
    assert.equal(rule.status, 404);
    const all = await cloud.request('GET', SG);
    assert.ok(all.json.security_groups.some((g: any) => g.id === mine.id));
    const demoList = await cloud.request('GET', SG, { who: 'demo' });
    assert.ok(!demoList.json.security_groups.some((g: any) => g.id === admins.id));
    const otherOwner = await cloud.request('POST', SG, { who: 'demo', body: { security_group: { name: 'x', project_id: 'someone-else' } } });
    assert.equal(otherOwner.status, 400);
  });

  test('the default group cannot be deleted by its project, nor a second one made', async () => {
    const def = (await cloud.request('GET', `${SG}?name=default`, { who: 'demo' })).json.security_groups[0];
    const del = await cloud.request('DELETE', `${SG}/${def.id}`, { who: 'demo' });
    assert.equal(del.status, 409);
    const again = await cloud.request('POST', SG, { who: 'demo', body: { security_group: { name: 'default' } } });
    assert.equal(again.status, 409);
  });
  test('a group is renamed by PUT; the default group keeps its name (409)', async () => {
    const g = (await cloud.request('POST', SG, { who: 'demo', body: { security_group: { name: 'before' } } })).json.security_group;
    const put = await cloud.request('PUT', `${SG}/${g.id}`, { who: 'demo', body: { security_group: { name: 'after', description: 'new' } } });
    assert.equal(put.status, 200, JSON.stringify(put.json));
    assert.equal(put.json.security_group.name, 'after');
    assert.equal((await cloud.request('GET', `${SG}/${g.id}`, { who: 'demo' })).json.security_group.description, 'new');
    assert.equal((await cloud.request('PUT', `${SG}/${g.id}`, { who: 'demo', body: { security_group: { id: 'x' } } })).status, 400);
    const def = (await cloud.request('GET', `${SG}?name=default`, { who: 'demo' })).json.security_groups[0];
    const renamed = await cloud.request('PUT', `${SG}/${def.id}`, { who: 'demo', body: { security_group: { name: 'other' } } });
    assert.equal(renamed.status, 409);
    const taken = await cloud.request('PUT', `${SG}/${g.id}`, { who: 'demo', body: { security_group: { name: 'Default' } } });
    assert.equal(taken.status, 409);
    assert.equal(taken.json.NeutronError.type, 'SecurityGroupDefaultAlreadyExists');
    const admins = (await cloud.request('POST', SG, { who: 'admin', body: { security_group: { name: 'admins' } } })).json.security_group;
    assert.equal((await cloud.request('PUT', `${SG}/${admins.id}`, { who: 'demo', body: { security_group: { name: 'x' } } })).status, 404, 'another project\'s group is not there');
  });

  test("a port shows the groups it carries, and an update sets them (an unknown group is 404)", async () => {
    const net = (await cloud.request('GET', '/network/v2.0/networks?name=private', { who: 'demo' })).json.networks[0].id;
    const g = (await cloud.request('POST', SG, { who: 'demo', body: { security_group: { name: 'on-port' } } })).json.security_group;
    const def = (await cloud.request('GET', `${SG}?name=default`, { who: 'demo' })).json.security_groups[0];
    const port = (await cloud.request('POST', '/network/v2.0/ports', { who: 'demo', body: { port: { network_id: net } } })).json.port;
    assert.deepEqual(port.security_groups, [def.id], 'a new port is in the default group');
    const named = (await cloud.request('POST', '/network/v2.0/ports', { who: 'demo', body: { port: { network_id: net, security_groups: [g.id] } } })).json.port;
    assert.deepEqual(named.security_groups, [g.id], 'or in the groups it names');
    const set = await cloud.request('PUT', `/network/v2.0/ports/${port.id}`, { who: 'demo', body: { port: { security_groups: [g.id] } } });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    assert.deepEqual(set.json.port.security_groups, [g.id]);
    assert.deepEqual((await cloud.request('GET', `/network/v2.0/ports/${port.id}`, { who: 'demo' })).json.port.security_groups, [g.id]);
    const unknown = await cloud.request('PUT', `/network/v2.0/ports/${port.id}`, { who: 'demo', body: { port: { security_groups: ['00000000-0000-4000-8000-000000000000'] } } });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.NeutronError.type, 'SecurityGroupNotFound');
    assert.deepEqual((await cloud.request('GET', `/network/v2.0/ports/${port.id}`, { who: 'demo' })).json.port.security_groups, [g.id], 'nothing changed');
  });

  test('only an admin (a compute host\'s service user) marks a port as made by compute', async () => {
    const net = (await cloud.request('GET', '/network/v2.0/networks?name=private', { who: 'demo' })).json.networks[0].id;
    const body = { port: { network_id: net, 'kilonova:created_by_compute': true } };
    assert.equal((await cloud.request('POST', '/network/v2.0/ports', { who: 'demo', body })).status, 403);
    const made = await cloud.request('POST', '/network/v2.0/ports', { who: 'admin', body });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    assert.equal(made.json.port['kilonova:created_by_compute'], true);
    const mine = (await cloud.request('POST', '/network/v2.0/ports', { who: 'demo', body: { port: { network_id: net } } })).json.port;
    assert.equal(mine['kilonova:created_by_compute'], undefined, 'not shown to a project member');
  });
});
