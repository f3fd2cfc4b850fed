/**
 * Every successful write of the network API, and every mutation compute makes
 * through the Node API, tells the agents what changed; reads and refused
 * writes tell them nothing.
 */
import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../../helpers/databases.js';
import { TEST_AUTH } from '../../helpers/auth.js';
import type { ResourceChange } from '../../../src/network/agents/notifications.js';
import { answered, neutronFault, startNetworkApi, type NetworkApiFixture, type Who } from '../api-client.js';

const sqlite = (await databaseTargets()).find((t) => t.name === 'sqlite')!;

describe('changes told to the agents', () => {
  let api: NetworkApiFixture;
  const changes: ResourceChange[] = [];
  const call = (who: Who, method: string, url: string, payload?: unknown) => api.call(who, method, `/v2.0${url}`, payload);
  const seen = () => changes.map((c) => `${c.resource}:${c.action}`);

  before(async () => {
    api = await startNetworkApi(sqlite, TEST_AUTH.admin.projectId, { changes: (c) => void changes.push(c) });
  });
  after(async () => api.close());
  beforeEach(() => {
    changes.length = 0;
  });

  test('creating, updating and deleting a port names it and its network', async () => {
    const net = (await answered(call('demo', 'POST', '/networks', { network: { name: 'n' } }), 201)).network;
    assert.deepEqual(changes, [{ resource: 'network', id: net.id, action: 'create', networkId: net.id }]);
    await answered(call('demo', 'POST', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.9.0.0/24' } }), 201);
    changes.length = 0;
    const port = (await answered(call('demo', 'POST', '/ports', { port: { network_id: net.id } }), 201)).port;
    const bound = (await answered(call('admin', 'POST', '/ports', { port: { network_id: net.id, 'binding:host_id': 'h7' } }), 201)).port;
    assert.deepEqual(changes.pop(), { resource: 'port', id: bound.id, action: 'create', networkId: net.id, host: 'h7' });
    await answered(call('demo', 'PUT', `/ports/${port.id}`, { port: { name: 'renamed' } }), 200);
    assert.equal((await call('demo', 'DELETE', `/ports/${port.id}`)).status, 204);
    assert.deepEqual(changes, [
      { resource: 'port', id: port.id, action: 'create', networkId: net.id },
      { resource: 'port', id: port.id, action: 'update', networkId: net.id },
      { resource: 'port', id: port.id, action: 'delete', networkId: null },
    ]);
  });

  test('a bulk create names every item', async () => {
    const net = (await answered(call('demo', 'POST', '/networks', { network: { name: 'bulk' } }), 201)).network;
    await answered(call('demo', 'POST', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.8.0.0/24' } }), 201);
    changes.length = 0;
    const ports = (await answered(call('demo', 'POST', '/ports', { ports: [{ network_id: net.id }, { network_id: net.id }] }), 201)).ports;
    assert.deepEqual(changes.map((c) => c.id), ports.map((p: { id: string }) => p.id));
  });

  test('security group rules, and router interfaces as updates of their router', async () => {
    const sg = (await answered(call('demo', 'POST', '/security-groups', { security_group: { name: 'g' } }), 201)).security_group;
    const rule = (await answered(call('demo', 'POST', '/security-group-rules', { security_group_rule: {
      security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22,
    } }), 201)).security_group_rule;
    assert.deepEqual(changes.slice(-1), [{ resource: 'security_group_rule', id: rule.id, action: 'create', networkId: null }]);
    const net = (await answered(call('demo', 'POST', '/networks', { network: { name: 'r' } }), 201)).network;
    const sub = (await answered(call('demo', 'POST', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.7.0.0/24' } }), 201)).subnet;
    const router = (await answered(call('demo', 'POST', '/routers', { router: { name: 'r' } }), 201)).router;
    changes.length = 0;
    await answered(call('demo', 'PUT', `/routers/${router.id}/add_router_interface`, { subnet_id: sub.id }), 200);
    assert.deepEqual(changes, [{ resource: 'router', id: router.id, action: 'update', networkId: null }]);
  });

  test('reads, refused writes and writes agents do not care about tell nothing', async () => {
    await answered(call('demo', 'GET', '/networks'), 200);
    await neutronFault(call('demo', 'POST', '/ports', { port: { network_id: '00000000-0000-4000-8000-000000000000' } }), 404);
    await neutronFault(call('demo', 'PUT', '/ports/00000000-0000-4000-8000-000000000000', { port: { name: 'x' } }), 404);
    await answered(call('demo', 'POST', '/address-scopes', { address_scope: { name: 's', ip_version: 4 } }), 201);
    assert.deepEqual(seen(), []);
  });

  test('the Node API compute uses tells of its mutations', async () => {
    const svc = api.fx.svc;
    const auth = TEST_AUTH.demo;
    const net = (await answered(call('demo', 'POST', '/networks', { network: { name: 'vm' } }), 201)).network;
    await answered(call('demo', 'POST', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.6.0.0/24' } }), 201);
    changes.length = 0;
    const [vif] = await svc.allocateForInstance({ instanceUuid: 'vm-1', projectId: auth.projectId, userId: auth.userId, host: 'h1', requested: [{ networkId: net.id }] });
    assert.deepEqual(changes, [{ resource: 'port', id: vif!.id, action: 'update', networkId: vif!.network.id, host: 'h1' }]);
    changes.length = 0;
    await svc.bindInstancePorts('vm-1', 'h2');
    const sg = await svc.createSecurityGroup(auth, { name: 'n', description: '' });
    await svc.setPortSecurityGroups(vif!.id, [sg.id]);
    const rule = await svc.createSecurityGroupRule(auth, { security_group_id: sg.id, direction: 'ingress', ethertype: 'IPv4', protocol: null, port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: null, description: '' });
    await svc.deleteSecurityGroupRule(auth, rule.id);
    await svc.deallocateForInstance('vm-1');
    assert.deepEqual(seen(), [
      'instance_ports:update', 'security_group:create', 'port:update', 'security_group_rule:create', 'security_group_rule:delete', 'instance_ports:delete',
    ]);
  });
});
