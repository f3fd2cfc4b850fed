import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { TEST_AUTH } from '../helpers/auth.js';
import { answered, startNetworkApi, type NetworkApiFixture, type Who } from './api-client.js';

const [sqlite] = await databaseTargets();

describe('network policy on port and subnet attributes', () => {
  let api: NetworkApiFixture;
  /** The admin project's shared network from bootstrap: demo may use it but does not own it. */
  let sharedId: string;
  let sharedSubnetId: string;
  /** A network demo owns. */
  let ownId: string;

  const call = (who: Who, method: string, url: string, payload?: unknown) => api.call(who, method, `/v2.0${url}`, payload);
  const ok = answered;
  /** Neutron's 403 for a rule that failed, naming that rule. */
  const denied = async (p: ReturnType<typeof call>, rule: string) => {
    const res = await p;
    assert.equal(res.status, 403, JSON.stringify(res.body));
    assert.equal(res.body.NeutronError.type, 'PolicyNotAuthorized');
    assert.equal(res.body.NeutronError.message, `(rule:${rule}) is disallowed by policy`);
    assert.equal(res.body.NeutronError.detail, '');
  };
  const port = async (who: Who, body: Record<string, unknown>) => (await ok(call(who, 'POST', '/ports', { port: body }), 201)).port;

  before(async () => {
    api = await startNetworkApi(sqlite!, TEST_AUTH.admin.projectId);
    const shared = (await call('admin', 'GET', '/networks?name=private')).body.networks[0];
    assert.equal(shared.shared, true);
    assert.equal(shared.project_id, TEST_AUTH.admin.projectId);
    sharedId = shared.id;
    sharedSubnetId = shared.subnets[0];
    ownId = (await ok(call('demo', 'POST', '/networks', { network: { name: 'demo-own' } }), 201)).network.id;
    await ok(call('demo', 'POST', '/subnets', { subnet: { network_id: ownId, ip_version: 4, cidr: '10.77.0.0/24' } }), 201);
  });
  after(async () => api.close());

  test('a member cannot create a port with port_security_enabled on a shared network it does not own', async () => {
    await denied(call('demo', 'POST', '/ports', { port: { network_id: sharedId, port_security_enabled: false } }),
      'create_port:port_security_enabled');
    // Neutron checks the attribute whenever it is given, even to its usual value.
    await denied(call('demo', 'POST', '/ports', { port: { network_id: sharedId, port_security_enabled: true } }),
      'create_port:port_security_enabled');
    await denied(call('demo', 'POST', '/ports', { ports: [
      { network_id: ownId }, { network_id: sharedId, port_security_enabled: false },
    ] }), 'create_port:port_security_enabled');
    const plain = await port('demo', { network_id: sharedId });
    assert.equal(plain.port_security_enabled, true);
  });

  test('a member cannot update port_security_enabled of its port on a shared network it does not own', async () => {
    const p = await port('demo', { network_id: sharedId });
    await denied(call('demo', 'PUT', `/ports/${p.id}`, { port: { port_security_enabled: false } }), 'update_port:port_security_enabled');
    assert.equal((await ok(call('demo', 'GET', `/ports/${p.id}`), 200)).port.port_security_enabled, true);
    // The port stays the member's to rename.
    assert.equal((await ok(call('demo', 'PUT', `/ports/${p.id}`, { port: { name: 'renamed' } }), 200)).port.name, 'renamed');
  });

  test('the network owner and an admin may set port_security_enabled', async () => {
    const own = await port('demo', { network_id: ownId, port_security_enabled: false });
    assert.equal(own.port_security_enabled, false);
    const back = await ok(call('demo', 'PUT', `/ports/${own.id}`, { port: { port_security_enabled: true } }), 200);
    assert.equal(back.port.port_security_enabled, true);

    const forDemo = await port('admin', { network_id: sharedId, project_id: TEST_AUTH.demo.projectId, port_security_enabled: false });
    assert.equal(forDemo.port_security_enabled, false);
    const demoPort = await port('demo', { network_id: sharedId });
    // Its groups go in the same request: port security cannot go while they stay.
    const updated = await ok(call('admin', 'PUT', `/ports/${demoPort.id}`, { port: { port_security_enabled: false, security_groups: [] } }), 200);
    assert.equal(updated.port.port_security_enabled, false);
  });

  test('a member may pick a subnet for a new port on a shared network, but not change the addresses of one', async () => {
    const p = await port('demo', { network_id: sharedId, fixed_ips: [{ subnet_id: sharedSubnetId }] });
    assert.equal(p.fixed_ips[0].subnet_id, sharedSubnetId);
    await denied(call('demo', 'PUT', `/ports/${p.id}`, { port: { fixed_ips: [{ subnet_id: sharedSubnetId }] } }), 'update_port:fixed_ips');
    const admin = await ok(call('admin', 'PUT', `/ports/${p.id}`, { port: { fixed_ips: [{ subnet_id: sharedSubnetId, ip_address: '10.0.9.9' }] } }), 200);
    assert.deepEqual(admin.port.fixed_ips.map((f: { ip_address: string }) => f.ip_address), ['10.0.9.9']);
    // On its own network the member may.
    const own = await port('demo', { network_id: ownId });
    const moved = await ok(call('demo', 'PUT', `/ports/${own.id}`, { port: { fixed_ips: [{ ip_address: '10.77.0.99' }] } }), 200);
    assert.deepEqual(moved.port.fixed_ips.map((f: { ip_address: string }) => f.ip_address), ['10.77.0.99']);
  });

  test('allowed_address_pairs is the network owner\'s (or an admin\'s) to set', async () => {
    await denied(call('demo', 'POST', '/ports', { port: { network_id: sharedId, allowed_address_pairs: [] } }), 'create_port:allowed_address_pairs');
    const p = await port('demo', { network_id: sharedId });
    await denied(call('demo', 'PUT', `/ports/${p.id}`, { port: { allowed_address_pairs: [] } }), 'update_port:allowed_address_pairs');
    await ok(call('admin', 'PUT', `/ports/${p.id}`, { port: { allowed_address_pairs: [] } }), 200);
    await port('demo', { network_id: ownId, allowed_address_pairs: [] });
  });

  test('the other per-attribute rules hold for a member on a shared network', async () => {
    await denied(call('demo', 'POST', '/ports', { port: { network_id: sharedId, mac_address: 'fa:16:3e:00:00:01' } }), 'create_port:mac_address');
    await denied(call('demo', 'POST', '/ports', { port: { network_id: sharedId, fixed_ips: [{ ip_address: '10.0.7.7' }] } }),
      'create_port:fixed_ips:ip_address');
    await denied(call('demo', 'POST', '/ports', { port: { network_id: sharedId, device_owner: 'network:dhcp' } }), 'create_port:device_owner');
    await denied(call('demo', 'POST', '/ports', { port: { network_id: sharedId, 'binding:profile': {} } }), 'create_port:binding:profile');
    const p = await port('demo', { network_id: sharedId, device_owner: 'compute:nova' });
    await denied(call('demo', 'PUT', `/ports/${p.id}`, { port: { device_owner: 'network:router_interface' } }), 'update_port:device_owner');
    await denied(call('demo', 'PUT', `/ports/${p.id}`, { port: { mac_address: 'fa:16:3e:00:00:02' } }), 'update_port:mac_address');
    await denied(call('demo', 'PUT', `/ports/${p.id}`, { port: { 'binding:host_id': 'h1' } }), 'update_port:binding:host_id');
  });

  test('a network owner sees and may delete another project\'s port on its network, but not update it', async () => {
    const theirs = await port('admin', { network_id: ownId, project_id: TEST_AUTH.other.projectId });
    assert.equal((await ok(call('demo', 'GET', `/ports/${theirs.id}`), 200)).port.project_id, TEST_AUTH.other.projectId);
    await denied(call('demo', 'PUT', `/ports/${theirs.id}`, { port: { name: 'mine-now' } }), 'update_port');
    assert.equal((await ok(call('other', 'PUT', `/ports/${theirs.id}`, { port: { name: 'still-theirs' } }), 200)).port.name, 'still-theirs');
    await ok(call('demo', 'DELETE', `/ports/${theirs.id}`), 204);
  });

  test('a subnet\'s owner may update and delete it on a network it does not own', async () => {
    const net = (await ok(call('admin', 'POST', '/networks', { network: { name: 'admin-private' } }), 201)).network;
    const sub = (await ok(call('admin', 'POST', '/subnets', { subnet: {
      network_id: net.id, ip_version: 4, cidr: '10.78.0.0/24', project_id: TEST_AUTH.demo.projectId,
    } }), 201)).subnet;
    assert.equal(sub.project_id, TEST_AUTH.demo.projectId);
    assert.equal((await ok(call('demo', 'PUT', `/subnets/${sub.id}`, { subnet: { name: 'demo-named' } }), 200)).subnet.name, 'demo-named');
    await denied(call('reader', 'PUT', `/subnets/${sub.id}`, { subnet: { name: 'reader-named' } }), 'update_subnet');
    await ok(call('demo', 'DELETE', `/subnets/${sub.id}`), 204);
  });
});
