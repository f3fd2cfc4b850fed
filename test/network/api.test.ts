import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { TEST_AUTH } from '../helpers/auth.js';
import type { NetworkFixture } from './fixtures.js';
import { startNetworkApi, type NetworkApiFixture, type Who } from './api-client.js';

const targets = await databaseTargets();

for (const target of targets) {
  describe(`network API (${target.name})`, () => {
    let api: NetworkApiFixture;
    let fx: NetworkFixture;
    let privateId: string;

    const call = (who: Who | null, method: string, url: string, payload?: unknown) => api.call(who, method, url, payload);
    /** Asserts a NeutronError of the given status (and type, when given). */
    const fails = async (p: ReturnType<typeof call>, status: number, type?: string) => {
      const res = await p;
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(typeof res.body.NeutronError.message, 'string');
      assert.equal(res.body.NeutronError.detail, '');
      if (type) assert.equal(res.body.NeutronError.type, type);
      return res.body.NeutronError as { type: string; message: string };
    };
    const createNet = async (who: Who, body: Record<string, unknown> = {}) => {
      const res = await call(who, 'POST', '/v2.0/networks', { network: { name: 'n', ...body } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.network as Record<string, any>;
    };
    const createSubnet = async (who: Who, networkId: string, cidr: string, extra: Record<string, unknown> = {}) => {
      const res = await call(who, 'POST', '/v2.0/subnets', { subnet: { network_id: networkId, ip_version: 4, cidr, ...extra } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.subnet as Record<string, any>;
    };

    before(async () => {
      api = await startNetworkApi(target, TEST_AUTH.admin.projectId);
      fx = api.fx;
      const list = await call('admin', 'GET', '/v2.0/networks?name=private');
      privateId = list.body.networks[0].id;
    });
    after(async () => api.close());

    test('version discovery is public; resources need a token', async () => {
      const root = await call(null, 'GET', '/');
      assert.equal(root.status, 200);
      assert.equal(root.body.versions[0].id, 'v2.0');
      assert.equal(root.body.versions[0].status, 'CURRENT');
      assert.match(root.body.versions[0].links[0].href, /^http:\/\/[^/]+\/network\/v2\.0\/$/);
      const v2 = await call(null, 'GET', '/v2.0');
      assert.deepEqual(v2.body.resources.map((r: { collection: string }) => r.collection), ['networks', 'subnets', 'ports', 'trunks', 'routers', 'floatingips', 'subnetpools', 'address-scopes']);
      await fails(call(null, 'GET', '/v2.0/networks'), 401);
      await fails(call('admin', 'GET', '/v2.0/qos/policies'), 404);
      const ext = await call('demo', 'GET', '/v2.0/extensions');
      assert.ok(ext.body.extensions.some((e: { alias: string }) => e.alias === 'binding'));
      assert.equal((await call('demo', 'GET', '/v2.0/extensions/binding')).body.extension.alias, 'binding');
      await fails(call('demo', 'GET', '/v2.0/extensions/dvr'), 404, 'ExtensionNotFound');
    });

    test('a network has Neutron\'s shape', async () => {
      const net = await createNet('demo', { name: 'demo-net' });
      assert.equal(net.project_id, TEST_AUTH.demo.projectId);
      assert.equal(net.tenant_id, TEST_AUTH.demo.projectId);
      assert.equal(net.status, 'ACTIVE');
      assert.equal(net.admin_state_up, true);
      assert.equal(net.shared, false);
      assert.equal(net['router:external'], false);
      assert.deepEqual(net.subnets, []);
      assert.equal(typeof net.mtu, 'number');
      assert.equal(net.port_security_enabled, true);
      assert.deepEqual(net.availability_zones, ['nova']);
      assert.deepEqual(net.tags, []);
      assert.equal(net.revision_number, 1);
      assert.match(net.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const shown = await call('demo', 'GET', `/v2.0/networks/${net.id}`);
      assert.deepEqual(shown.body.network, net);
      const only = await call('demo', 'GET', `/v2.0/networks/${net.id}?fields=id&fields=name`);
      assert.deepEqual(only.body.network, { id: net.id, name: 'demo-net' });
    });

    test('visibility: a project sees its own and shared networks, never another project\'s private one', async () => {
      const others = await createNet('other', { name: 'others-private' });
      const demoList = (await call('demo', 'GET', '/v2.0/networks')).body.networks.map((n: { id: string }) => n.id);
      assert.ok(demoList.includes(privateId), 'shared network visible');
      assert.ok(!demoList.includes(others.id), 'other project\'s network hidden');
      await fails(call('demo', 'GET', `/v2.0/networks/${others.id}`), 404, 'NetworkNotFound');
      await fails(call('demo', 'PUT', `/v2.0/networks/${others.id}`, { network: { name: 'x' } }), 404, 'NetworkNotFound');
      await fails(call('demo', 'DELETE', `/v2.0/networks/${others.id}`), 404, 'NetworkNotFound');
      const adminList = (await call('admin', 'GET', '/v2.0/networks')).body.networks.map((n: { id: string }) => n.id);
      assert.ok(adminList.includes(others.id), 'admin sees all');
      // Seeing a shared network is not owning it.
      await fails(call('demo', 'PUT', `/v2.0/networks/${privateId}`, { network: { name: 'mine' } }), 403, 'PolicyNotAuthorized');
      await fails(call('demo', 'DELETE', `/v2.0/networks/${privateId}`), 403, 'PolicyNotAuthorized');
      // Nor can demo build on another project's network.
      await fails(call('demo', 'POST', '/v2.0/subnets', { subnet: { network_id: others.id, ip_version: 4, cidr: '10.70.0.0/24' } }), 404, 'NetworkNotFound');
      await fails(call('demo', 'POST', '/v2.0/ports', { port: { network_id: others.id } }), 404, 'NetworkNotFound');
      await fails(call('demo', 'POST', '/v2.0/subnets', { subnet: { network_id: privateId, ip_version: 4, cidr: '10.71.0.0/24' } }), 403, 'PolicyNotAuthorized');
    });

    test('only admin creates shared networks or acts for another project; readers only read', async () => {
      await fails(call('demo', 'POST', '/v2.0/networks', { network: { name: 's', shared: true } }), 403, 'PolicyNotAuthorized');
      await fails(call('demo', 'POST', '/v2.0/networks', { network: { name: 's', 'router:external': true } }), 403, 'PolicyNotAuthorized');
      const e = await fails(call('demo', 'POST', '/v2.0/networks', { network: { name: 's', project_id: 'someone' } }), 400);
      assert.match(e.message, /requires admin privileges/);
      await fails(call('demo', 'POST', '/v2.0/networks', { network: { tenant_id: 'a', project_id: 'b' } }), 400);
      const forOther = await call('admin', 'POST', '/v2.0/networks', { network: { name: 'for-demo', project_id: TEST_AUTH.demo.projectId, shared: true } });
      assert.equal(forOther.status, 201);
      assert.equal(forOther.body.network.project_id, TEST_AUTH.demo.projectId);
      assert.equal(forOther.body.network.shared, true);
      await fails(call('reader', 'POST', '/v2.0/networks', { network: { name: 'r' } }), 403, 'PolicyNotAuthorized');
      assert.equal((await call('reader', 'GET', '/v2.0/networks')).status, 200);
      await fails(call('demo', 'PUT', `/v2.0/networks/${forOther.body.network.id}`, { network: { shared: false } }), 403, 'PolicyNotAuthorized');
    });

    test('bad network input is a 400 with a NeutronError, never a 500', async () => {
      await fails(call('demo', 'POST', '/v2.0/networks', '{"network": {'), 400);
      await fails(call('demo', 'POST', '/v2.0/networks', '[]'), 400);
      await fails(call('demo', 'POST', '/v2.0/networks', { net: {} }), 400);
      await fails(call('demo', 'POST', '/v2.0/networks', { network: 'x' }), 400);
      await fails(call('demo', 'POST', '/v2.0/networks', { network: { admin_state_up: 'maybe' } }), 400);
      await fails(call('demo', 'POST', '/v2.0/networks', { network: { name: 7 } }), 400);
      await fails(call('demo', 'POST', '/v2.0/networks', { network: { name: 'x'.repeat(256) } }), 400);
      await fails(call('demo', 'POST', '/v2.0/networks', { network: { mtu: 100000 } }), 400, 'InvalidInput');
      const unknown = await fails(call('demo', 'POST', '/v2.0/networks', { network: { colour: 'blue' } }), 400);
      assert.match(unknown.message, /Unrecognized attribute\(s\) 'colour'/);
      await fails(call('demo', 'POST', '/v2.0/networks', { network: { status: 'DOWN' } }), 400);
      await fails(call('demo', 'POST', '/v2.0/networks', { networks: [] }), 400);
      await fails(call('demo', 'POST', '/v2.0/networks', { network: { availability_zone_hints: ['mars'] } }), 404, 'AvailabilityZoneNotFound');
      const net = await createNet('demo');
      const ro = await fails(call('demo', 'PUT', `/v2.0/networks/${net.id}`, { network: { id: 'x' } }), 400);
      assert.match(ro.message, /read-only attribute id/);
      await fails(call('demo', 'GET', '/v2.0/networks/not-a-uuid'), 404, 'NetworkNotFound');
      await fails(call('demo', 'GET', '/v2.0/subnets/nope'), 404, 'SubnetNotFound');
      await fails(call('demo', 'GET', '/v2.0/ports/nope'), 404, 'PortNotFound');
      await fails(call('demo', 'DELETE', '/v2.0/ports/nope'), 404, 'PortNotFound');
      await fails(call('demo', 'GET', '/v2.0/networks?colour=blue'), 400);
      await fails(call('demo', 'GET', '/v2.0/networks?limit=abc'), 400);
      await fails(call('demo', 'GET', '/v2.0/networks?admin_state_up=perhaps'), 400);
      await fails(call('demo', 'GET', '/v2.0/networks?sort_key=colour'), 400);
      await fails(call('demo', 'GET', '/v2.0/networks?limit=1&marker=unknown'), 404);
    });

    test('bulk create, update, filters with repeated values, sorting and pagination links', async () => {
      const bulk = await call('demo', 'POST', '/v2.0/networks', { networks: [{ name: 'pg-a' }, { name: 'pg-b' }, { name: 'pg-c' }] });
      assert.equal(bulk.status, 201);
      assert.equal(bulk.body.networks.length, 3);
      const upd = await call('demo', 'PUT', `/v2.0/networks/${bulk.body.networks[2].id}`, { network: { name: 'pg-z', admin_state_up: false } });
      assert.equal(upd.status, 200);
      assert.equal(upd.body.network.name, 'pg-z');
      assert.equal(upd.body.network.admin_state_up, false);
      assert.equal(upd.body.network.revision_number, 2);
      const two = await call('demo', 'GET', '/v2.0/networks?name=pg-a&name=pg-z&sort_key=name&sort_dir=desc');
      assert.deepEqual(two.body.networks.map((n: { name: string }) => n.name), ['pg-z', 'pg-a']);
      const down = await call('demo', 'GET', '/v2.0/networks?admin_state_up=False&name=pg-z');
      assert.equal(down.body.networks.length, 1);
      const page1 = await call('demo', 'GET', '/v2.0/networks?name=pg-a&name=pg-b&name=pg-z&limit=2&sort_key=name');
      assert.deepEqual(page1.body.networks.map((n: { name: string }) => n.name), ['pg-a', 'pg-b']);
      const next = page1.body.networks_links.find((l: { rel: string }) => l.rel === 'next');
      assert.ok(next, 'a next link');
      const nextUrl = new URL(next.href);
      assert.equal(nextUrl.searchParams.get('marker'), page1.body.networks[1].id);
      const page2 = await call('demo', 'GET', `${nextUrl.pathname.replace(/^\/network/, '')}${nextUrl.search}`);
      assert.deepEqual(page2.body.networks.map((n: { name: string }) => n.name), ['pg-z']);
      assert.ok(!page2.body.networks_links.some((l: { rel: string }) => l.rel === 'next'), 'no next link on the last page');
      assert.ok(page2.body.networks_links.some((l: { rel: string }) => l.rel === 'previous'));
    });

    test('subnets: defaults, validation and overlap rules', async () => {
      const net = await createNet('demo', { name: 'sub-net' });
      const sub = await createSubnet('demo', net.id, '192.168.10.0/24', { name: 's1', dns_nameservers: ['8.8.8.8'], host_routes: [{ destination: '172.16.0.0/16', nexthop: '192.168.10.254' }] });
      assert.equal(sub.gateway_ip, '192.168.10.1');
      assert.deepEqual(sub.allocation_pools, [{ start: '192.168.10.2', end: '192.168.10.254' }]);
      assert.equal(sub.enable_dhcp, true);
      assert.equal(sub.ip_version, 4);
      assert.deepEqual(sub.dns_nameservers, ['8.8.8.8']);
      assert.deepEqual(sub.host_routes, [{ destination: '172.16.0.0/16', nexthop: '192.168.10.254' }]);
      assert.equal(sub.subnetpool_id, null);
      assert.deepEqual((await call('demo', 'GET', `/v2.0/networks/${net.id}`)).body.network.subnets, [sub.id]);
      const post = (subnet: Record<string, unknown>) => call('demo', 'POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, ...subnet } });
      await fails(post({ cidr: '10.0.0.0/33' }), 400);
      await fails(post({ cidr: 'banana' }), 400);
      const hostBits = await fails(post({ cidr: '10.80.0.5/24' }), 400);
      assert.match(hostBits.message, /10\.80\.0\.0\/24/);
      await fails(post({ cidr: '192.168.10.128/25' }), 400, 'InvalidInput');
      await fails(post({ cidr: '10.81.0.0/24', allocation_pools: [{ start: '10.81.0.10', end: '10.81.0.50' }, { start: '10.81.0.40', end: '10.81.0.60' }] }), 409, 'OverlappingAllocationPools');
      await fails(post({ cidr: '10.81.0.0/24', allocation_pools: [{ start: '10.81.0.10', end: '10.81.1.50' }] }), 400, 'OutOfBoundsAllocationPool');
      await fails(post({ cidr: '10.81.0.0/24', allocation_pools: [{ start: '10.81.0.50', end: '10.81.0.10' }] }), 400, 'InvalidAllocationPool');
      await fails(post({ cidr: '10.81.0.0/24', gateway_ip: '10.81.0.20', allocation_pools: [{ start: '10.81.0.10', end: '10.81.0.50' }] }), 409, 'GatewayConflictWithAllocationPools');
      await fails(post({ cidr: '10.81.0.0/24', gateway_ip: '10.82.0.1' }), 400, 'InvalidInput');
      await fails(post({ cidr: '10.81.0.0/24', allocation_pools: [{ start: 'x' }] }), 400);
      await fails(post({ cidr: '10.81.0.0/24', dns_nameservers: ['not-an-ip'] }), 400);
      await fails(post({ cidr: '10.81.0.0/24', ip_version: 7 }), 400);
      await fails(post({ ip_version: 4 }), 400);
      await fails(call('demo', 'POST', '/v2.0/subnets', { subnet: { network_id: 'missing', ip_version: 4, cidr: '10.81.0.0/24' } }), 404, 'NetworkNotFound');
      const noGw = await createSubnet('demo', net.id, '10.82.0.0/24', { gateway_ip: null });
      assert.equal(noGw.gateway_ip, null);
      assert.deepEqual(noGw.allocation_pools, [{ start: '10.82.0.1', end: '10.82.0.254' }]);
      const upd = await call('demo', 'PUT', `/v2.0/subnets/${sub.id}`, { subnet: { name: 'renamed', allocation_pools: [{ start: '192.168.10.100', end: '192.168.10.110' }] } });
      assert.equal(upd.status, 200);
      assert.deepEqual(upd.body.subnet.allocation_pools, [{ start: '192.168.10.100', end: '192.168.10.110' }]);
      await fails(call('demo', 'PUT', `/v2.0/subnets/${sub.id}`, { subnet: { cidr: '10.1.0.0/24' } }), 400);
      const filtered = await call('demo', 'GET', `/v2.0/subnets?network_id=${net.id}&cidr=10.82.0.0/24`);
      assert.deepEqual(filtered.body.subnets.map((s: { id: string }) => s.id), [noGw.id]);
    });

    test('ports: addresses, MAC, bindings shown to admin only, and the policy on fixed IPs', async () => {
      const net = await createNet('demo', { name: 'port-net' });
      const sub = await createSubnet('demo', net.id, '10.90.0.0/24');
      const res = await call('demo', 'POST', '/v2.0/ports', { port: { network_id: net.id, name: 'p1', fixed_ips: [{ ip_address: '10.90.0.50' }] } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const port = res.body.port;
      assert.deepEqual(port.fixed_ips, [{ subnet_id: sub.id, ip_address: '10.90.0.50' }]);
      assert.match(port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
      assert.equal(port.status, 'DOWN');
      assert.equal(port.device_id, '');
      const demoDefault = (await call('demo', 'GET', '/v2.0/security-groups?name=default')).body.security_groups[0].id;
      assert.deepEqual(port.security_groups, [demoDefault], 'a port starts in its project\'s default group, as in Neutron');
      assert.equal(port['binding:vnic_type'], 'normal');
      assert.equal('binding:host_id' in port, false, 'binding details are admin-only');
      const asAdmin = (await call('admin', 'GET', `/v2.0/ports/${port.id}`)).body.port;
      assert.equal(asAdmin['binding:vif_type'], 'unbound');
      assert.equal(asAdmin['binding:host_id'], '');
      const auto = await call('demo', 'POST', '/v2.0/ports', { port: { network_id: net.id } });
      assert.deepEqual(auto.body.port.fixed_ips.map((f: { ip_address: string }) => f.ip_address), ['10.90.0.2']);
      await fails(call('demo', 'POST', '/v2.0/ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.91.0.5' }] } }), 400, 'InvalidIpForNetwork');
      await fails(call('demo', 'POST', '/v2.0/ports', { port: { network_id: net.id, fixed_ips: [{ subnet_id: sub.id, ip_address: '10.90.1.5' }] } }), 400, 'InvalidIpForSubnet');
      await fails(call('demo', 'POST', '/v2.0/ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: 'abc' }] } }), 400);
      await fails(call('demo', 'POST', '/v2.0/ports', { port: { network_id: net.id, fixed_ips: [{ subnet_id: 'nope' }] } }), 400, 'InvalidInput');
      await fails(call('demo', 'POST', '/v2.0/ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.90.0.50' }] } }), 409, 'IpAddressAlreadyAllocated');
      await fails(call('demo', 'POST', '/v2.0/ports', { port: { network_id: net.id, mac_address: port.mac_address } }), 409, 'MacAddressInUse');
      await fails(call('demo', 'POST', '/v2.0/ports', { port: { network_id: net.id, mac_address: 'zz:zz' } }), 400);
      await fails(call('demo', 'POST', '/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': 'h1' } }), 403, 'PolicyNotAuthorized');
      await fails(call('demo', 'POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: ['default'] } }), 400);
      await fails(call('demo', 'POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: ['00000000-0000-4000-8000-000000000000'] } }), 404, 'SecurityGroupNotFound');
      const unguarded = await call('demo', 'POST', '/v2.0/ports', { port: { network_id: net.id, port_security_enabled: false } });
      assert.deepEqual(unguarded.body.port.security_groups, [], 'without port security, no group');
      await fails(call('demo', 'POST', '/v2.0/ports', { port: { name: 'no-network' } }), 400);
      // On the shared network demo may have a port, but not pick its address.
      const onShared = await call('demo', 'POST', '/v2.0/ports', { port: { network_id: privateId } });
      assert.equal(onShared.status, 201);
      await fails(call('demo', 'POST', '/v2.0/ports', { port: { network_id: privateId, fixed_ips: [{ ip_address: '10.0.3.3' }] } }), 403, 'PolicyNotAuthorized');
      // Another project cannot see demo's port.
      await fails(call('other', 'GET', `/v2.0/ports/${port.id}`), 404, 'PortNotFound');
      // Admin binds it to a host: it becomes ACTIVE with a vif type.
      const bound = await call('admin', 'PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:host_id': 'compute-1', device_id: 'vm', device_owner: 'compute:nova' } });
      assert.equal(bound.status, 200, JSON.stringify(bound.body));
      assert.equal(bound.body.port.status, 'ACTIVE');
      assert.equal(bound.body.port['binding:vif_type'], 'bridge');
      const byIp = await call('demo', 'GET', '/v2.0/ports?fixed_ips=ip_address%3D10.90.0.50');
      assert.deepEqual(byIp.body.ports.map((p: { id: string }) => p.id), [port.id]);
      const byDevice = await call('demo', 'GET', '/v2.0/ports?device_id=vm');
      assert.deepEqual(byDevice.body.ports.map((p: { id: string }) => p.id), [port.id]);
      await fails(call('demo', 'PUT', `/v2.0/ports/${port.id}`, { port: { network_id: privateId } }), 400);
      const moved = await call('demo', 'PUT', `/v2.0/ports/${auto.body.port.id}`, { port: { fixed_ips: [{ subnet_id: sub.id, ip_address: '10.90.0.77' }] } });
      assert.deepEqual(moved.body.port.fixed_ips.map((f: { ip_address: string }) => f.ip_address), ['10.90.0.77']);
    });

    test('deleting: a network in use is 409 NetworkInUse, a subnet with addresses 409 SubnetInUse', async () => {
      const net = await createNet('demo', { name: 'del-net' });
      const sub = await createSubnet('demo', net.id, '10.95.0.0/24');
      const port = (await call('demo', 'POST', '/v2.0/ports', { port: { network_id: net.id } })).body.port;
      await fails(call('demo', 'DELETE', `/v2.0/networks/${net.id}`), 409, 'NetworkInUse');
      await fails(call('demo', 'DELETE', `/v2.0/subnets/${sub.id}`), 409, 'SubnetInUse');
      assert.equal((await call('demo', 'DELETE', `/v2.0/ports/${port.id}`)).status, 204);
      assert.equal((await call('demo', 'DELETE', `/v2.0/subnets/${sub.id}`)).status, 204);
      await createSubnet('demo', net.id, '10.96.0.0/24');
      // A network whose only ports are DHCP ports can go, subnets and all.
      await fx.svc.ports.create([{
        project_id: TEST_AUTH.demo.projectId, network_id: net.id, name: '', description: '', admin_state_up: true,
        device_id: 'dhcp', device_owner: 'network:dhcp', binding_host_id: '', binding_vnic_type: 'normal', binding_profile: {}, port_security_enabled: true,
      }]);
      assert.equal((await call('demo', 'DELETE', `/v2.0/networks/${net.id}`)).status, 204);
      await fails(call('demo', 'GET', `/v2.0/networks/${net.id}`), 404, 'NetworkNotFound');
      assert.deepEqual((await call('admin', 'GET', `/v2.0/ports?network_id=${net.id}`)).body.ports, []);
    });

    test('tags can be set, filtered on and removed', async () => {
      const net = await createNet('demo', { name: 'tagged' });
      const put = await call('demo', 'PUT', `/v2.0/networks/${net.id}/tags`, { tags: ['blue', 'red'] });
      assert.deepEqual(put.body.tags, ['blue', 'red']);
      assert.equal((await call('demo', 'PUT', `/v2.0/networks/${net.id}/tags/green`)).status, 201);
      assert.deepEqual((await call('demo', 'GET', `/v2.0/networks/${net.id}`)).body.network.tags, ['blue', 'green', 'red']);
      const both = await call('demo', 'GET', '/v2.0/networks?tags=blue,green');
      assert.deepEqual(both.body.networks.map((n: { id: string }) => n.id), [net.id]);
      assert.deepEqual((await call('demo', 'GET', '/v2.0/networks?tags=blue,purple')).body.networks, []);
      assert.equal((await call('demo', 'DELETE', `/v2.0/networks/${net.id}/tags/blue`)).status, 204);
      await fails(call('demo', 'DELETE', `/v2.0/networks/${net.id}/tags/blue`), 404, 'TagNotFound');
      await fails(call('demo', 'PUT', `/v2.0/networks/${privateId}/tags/x`), 403, 'PolicyNotAuthorized');
      await fails(call('demo', 'PUT', `/v2.0/networks/${net.id}/tags`, { tags: 'nope' }), 400);
    });

    test('quotas read as unlimited, with usage, for the own project only', async () => {
      const q = await call('demo', 'GET', `/v2.0/quotas/${TEST_AUTH.demo.projectId}`);
      assert.equal(q.body.quota.network, -1);
      const d = await call('demo', 'GET', `/v2.0/quotas/${TEST_AUTH.demo.projectId}/details`);
      assert.ok(d.body.quota.network.used > 0);
      await fails(call('demo', 'GET', `/v2.0/quotas/${TEST_AUTH.other.projectId}`), 403);
    });
  });
}
