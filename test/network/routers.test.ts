import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { TEST_AUTH } from '../helpers/auth.js';
import { answered, neutronFault, startNetworkApi, type NetworkApiFixture, type Who } from './api-client.js';

const targets = await databaseTargets();
const MISSING = '00000000-0000-4000-8000-000000000000';

for (const target of targets) {
  describe(`routers and provider networks API (${target.name})`, () => {
    let api: NetworkApiFixture;
    /** admin's external flat network on physnet1, with 203.0.113.0/24 (gateway .1). */
    let ext: string;
    let extSubnet: string;
    let cidr = 0;

    const call = (who: Who, method: string, url: string, payload?: unknown) => api.call(who, method, `/v2.0${url}`, payload);
    const ok = answered;
    const fails = neutronFault;
    /** A network of `who` with one subnet; its ids and cidr. */
    const tenantNet = async (who: Who = 'demo', subnet: Record<string, unknown> = {}) => {
      const net = (await ok(call(who, 'POST', '/networks', { network: { name: 'n' } }), 201)).network;
      const c = `10.${80 + cidr++}.0.0/24`;
      const sub = (await ok(call(who, 'POST', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: c, ...subnet } }), 201)).subnet;
      return { networkId: net.id as string, subnetId: sub.id as string, cidr: c, gateway: sub.gateway_ip as string | null };
    };
    const router = async (who: Who, body: Record<string, unknown> = {}) => (await ok(call(who, 'POST', '/routers', { router: { name: 'r', ...body } }), 201)).router;
    const portsOf = async (deviceId: string) => (await ok(call('admin', 'GET', `/ports?device_id=${deviceId}`), 200)).ports as any[];
    const inCidr = (ip: string, prefix: string) => ip.startsWith(prefix);

    before(async () => {
      api = await startNetworkApi(target, TEST_AUTH.admin.projectId);
      const net = (await ok(call('admin', 'POST', '/networks', { network: {
        name: 'public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1',
      } }), 201)).network;
      ext = net.id;
      extSubnet = (await ok(call('admin', 'POST', '/subnets', { subnet: { network_id: ext, ip_version: 4, cidr: '203.0.113.0/24' } }), 201)).subnet.id;
    });
    after(async () => api.close());

    test('provider attributes: admin sets and sees them; others see the external network without them', async () => {
      const shown = (await ok(call('admin', 'GET', `/networks/${ext}`), 200)).network;
      assert.equal(shown['provider:network_type'], 'flat');
      assert.equal(shown['provider:physical_network'], 'physnet1');
      assert.equal(shown['provider:segmentation_id'], null);
      const byDemo = (await ok(call('demo', 'GET', `/networks/${ext}`), 200)).network;
      assert.equal(byDemo['router:external'], true);
      assert.ok(!('provider:network_type' in byDemo));
      const listed = (await ok(call('demo', 'GET', '/networks?router:external=true'), 200)).networks.map((n: { id: string }) => n.id);
      assert.deepEqual(listed, [ext]);
      const local = (await ok(call('admin', 'POST', '/networks', { network: { name: 'l' } }), 201)).network;
      assert.equal(local['provider:network_type'], 'local');
      assert.equal(local['provider:physical_network'], null);
      const flat = (await ok(call('admin', 'GET', '/networks?provider:network_type=flat'), 200)).networks.map((n: { id: string }) => n.id);
      assert.deepEqual(flat, [ext]);
      // Seeing the external network is not being allowed to put ports on it.
      await fails(call('demo', 'POST', '/ports', { port: { network_id: ext } }), 404, 'NetworkNotFound');
    });

    test('provider attributes are admin-only and checked as ML2\'s local and flat type drivers do', async () => {
      await fails(call('demo', 'POST', '/networks', { network: { 'provider:network_type': 'local' } }), 403, 'PolicyNotAuthorized');
      const inUse = await fails(call('admin', 'POST', '/networks', { network: { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' } }), 409, 'FlatNetworkInUse');
      assert.match(inUse, /physnet1 is in use/);
      assert.match(await fails(call('admin', 'POST', '/networks', { network: { 'provider:network_type': 'flat' } }), 400, 'InvalidInput'), /physical_network required/);
      assert.match(await fails(call('admin', 'POST', '/networks', { network: { 'provider:network_type': 'flat', 'provider:physical_network': 'p2', 'provider:segmentation_id': 5 } }), 400, 'InvalidInput'), /segmentation_id prohibited/);
      assert.match(await fails(call('admin', 'POST', '/networks', { network: { 'provider:network_type': 'local', 'provider:physical_network': 'p2' } }), 400, 'InvalidInput'), /prohibited for local/);
      assert.match(await fails(call('admin', 'POST', '/networks', { network: { 'provider:network_type': 'vlan', 'provider:physical_network': 'p2' } }), 400, 'InvalidInput'), /'vlan' not supported/);
      assert.match(await fails(call('admin', 'POST', '/networks', { network: { 'provider:physical_network': 'p2' } }), 400, 'InvalidInput'), /network_type required/);
      await fails(call('admin', 'PUT', `/networks/${ext}`, { network: { 'provider:physical_network': 'other' } }), 400, 'InvalidInput');
      // Restating the segment is no change; deleting a flat network frees its physical network.
      assert.equal((await ok(call('admin', 'PUT', `/networks/${ext}`, { network: { 'provider:network_type': 'flat' } }), 200)).network['provider:network_type'], 'flat');
      const p2 = (await ok(call('admin', 'POST', '/networks', { network: { 'provider:network_type': 'flat', 'provider:physical_network': 'p2' } }), 201)).network;
      await ok(call('admin', 'DELETE', `/networks/${p2.id}`), 204);
      await ok(call('admin', 'POST', '/networks', { network: { 'provider:network_type': 'flat', 'provider:physical_network': 'p2' } }), 201);
    });

    test('a router with a gateway gets an address on the external subnet from a network:router_gateway port', async () => {
      const r = await router('demo', { external_gateway_info: { network_id: ext } });
      assert.equal(r.project_id, TEST_AUTH.demo.projectId);
      assert.equal(r.status, 'ACTIVE');
      assert.equal(r.external_gateway_info.network_id, ext);
      assert.equal(r.external_gateway_info.enable_snat, true);
      assert.equal(r.external_gateway_info.external_fixed_ips.length, 1);
      const gwIp = r.external_gateway_info.external_fixed_ips[0];
      assert.equal(gwIp.subnet_id, extSubnet);
      assert.ok(inCidr(gwIp.ip_address, '203.0.113.'));
      const [gwPort] = await portsOf(r.id);
      assert.equal(gwPort.device_owner, 'network:router_gateway');
      assert.equal(gwPort.fixed_ips[0].ip_address, gwIp.ip_address);
      assert.deepEqual((await ok(call('demo', 'GET', `/routers/${r.id}`), 200)).router, r);
      await fails(call('other', 'GET', `/routers/${r.id}`), 404, 'RouterNotFound');
      // Only admin chooses SNAT or the gateway's address.
      await fails(call('demo', 'PUT', `/routers/${r.id}`, { router: { external_gateway_info: { network_id: ext, enable_snat: false } } }), 403, 'PolicyNotAuthorized');
      await fails(call('demo', 'POST', '/routers', { router: { external_gateway_info: { network_id: ext, external_fixed_ips: [{ ip_address: '203.0.113.50' }] } } }), 403, 'PolicyNotAuthorized');
      const fixed = await router('admin', { external_gateway_info: { network_id: ext, enable_snat: false, external_fixed_ips: [{ ip_address: '203.0.113.50' }] } });
      assert.deepEqual(fixed.external_gateway_info, { network_id: ext, enable_snat: false, external_fixed_ips: [{ subnet_id: extSubnet, ip_address: '203.0.113.50' }] });
      await fails(call('admin', 'POST', '/routers', { router: { external_gateway_info: { network_id: ext, external_fixed_ips: [{ ip_address: '203.0.113.50' }] } } }), 409, 'IpAddressAlreadyAllocated');
      // A gateway cleared with {} (what `openstack router unset --external-gateway` sends) releases its port.
      const cleared = (await ok(call('demo', 'PUT', `/routers/${r.id}`, { router: { external_gateway_info: {} } }), 200)).router;
      assert.equal(cleared.external_gateway_info, null);
      assert.deepEqual(await portsOf(r.id), []);
      await ok(call('demo', 'DELETE', `/routers/${r.id}`), 204);
      await ok(call('admin', 'DELETE', `/routers/${fixed.id}`), 204);
      assert.deepEqual(await portsOf(fixed.id), []);
      await fails(call('demo', 'GET', `/routers/${r.id}`), 404, 'RouterNotFound');
    });

    test('a gateway only on an external network the caller can see', async () => {
      const { networkId } = await tenantNet('demo');
      const e = await fails(call('demo', 'POST', '/routers', { router: { external_gateway_info: { network_id: networkId } } }), 400, 'BadRequest');
      assert.match(e, /^Bad router request: Network .* is not an external network\.$/);
      const others = await tenantNet('other');
      await fails(call('demo', 'POST', '/routers', { router: { external_gateway_info: { network_id: others.networkId } } }), 404, 'NetworkNotFound');
      await fails(call('demo', 'POST', '/routers', { router: { external_gateway_info: { network_id: MISSING } } }), 404, 'NetworkNotFound');
      await fails(call('demo', 'POST', '/routers', { router: { external_gateway_info: { network_id: 'nope' } } }), 400);
      await fails(call('demo', 'POST', '/routers', { router: { routes: [] } }), 400);
      // None of the refused requests left a router or a port behind.
      assert.deepEqual((await ok(call('demo', 'GET', '/routers'), 200)).routers, []);
      assert.deepEqual((await ok(call('admin', 'GET', '/ports?device_owner=network:router_gateway'), 200)).ports, []);
    });

    test('add_router_interface by subnet holds the subnet\'s gateway address; the router is in use until it is removed', async () => {
      const net = await tenantNet('demo');
      const r = await router('demo');
      const info = await ok(call('demo', 'PUT', `/routers/${r.id}/add_router_interface`, { subnet_id: net.subnetId }), 200);
      assert.equal(info.id, r.id);
      assert.equal(info.subnet_id, net.subnetId);
      assert.deepEqual(info.subnet_ids, [net.subnetId]);
      assert.equal(info.network_id, net.networkId);
      assert.equal(info.project_id, TEST_AUTH.demo.projectId);
      const port = (await ok(call('demo', 'GET', `/ports/${info.port_id}`), 200)).port;
      assert.equal(port.device_owner, 'network:router_interface');
      assert.equal(port.device_id, r.id);
      assert.deepEqual(port.fixed_ips, [{ subnet_id: net.subnetId, ip_address: net.gateway }]);
      assert.match(await fails(call('demo', 'PUT', `/routers/${r.id}/add_router_interface`, { subnet_id: net.subnetId }), 400, 'BadRequest'),
        new RegExp(`Router already has a port on subnet ${net.subnetId}`));
      assert.equal(await fails(call('demo', 'DELETE', `/routers/${r.id}`), 409, 'RouterInUse'), `Router ${r.id} still has ports`);
      await fails(call('demo', 'DELETE', `/ports/${info.port_id}`), 409, 'ServicePortInUse');
      await fails(call('demo', 'DELETE', `/networks/${net.networkId}`), 409, 'NetworkInUse');
      const removed = await ok(call('demo', 'PUT', `/routers/${r.id}/remove_router_interface`, { subnet_id: net.subnetId }), 200);
      assert.equal(removed.port_id, info.port_id);
      await fails(call('demo', 'GET', `/ports/${info.port_id}`), 404, 'PortNotFound');
      await fails(call('demo', 'PUT', `/routers/${r.id}/remove_router_interface`, { subnet_id: net.subnetId }), 404, 'RouterInterfaceNotFoundForSubnet');
      await ok(call('demo', 'DELETE', `/routers/${r.id}`), 204);
    });

    test('add_router_interface by port adopts the caller\'s port; remove by port id deletes it', async () => {
      const net = await tenantNet('demo');
      const r = await router('demo');
      const p = (await ok(call('demo', 'POST', '/ports', { port: { network_id: net.networkId } }), 201)).port;
      const info = await ok(call('demo', 'PUT', `/routers/${r.id}/add_router_interface`, { port_id: p.id }), 200);
      assert.equal(info.port_id, p.id);
      assert.deepEqual(info.subnet_ids, [net.subnetId]);
      const adopted = (await ok(call('demo', 'GET', `/ports/${p.id}`), 200)).port;
      assert.equal(adopted.device_owner, 'network:router_interface');
      assert.equal(adopted.device_id, r.id);
      // Its subnet is now routed: neither its gateway address nor the port itself can be attached again.
      await fails(call('demo', 'PUT', `/routers/${r.id}/add_router_interface`, { subnet_id: net.subnetId }), 400, 'BadRequest');
      const r2 = await router('demo');
      await fails(call('demo', 'PUT', `/routers/${r2.id}/add_router_interface`, { port_id: p.id }), 409, 'PortInUse');
      await fails(call('demo', 'PUT', `/routers/${r.id}/remove_router_interface`, { port_id: MISSING }), 404, 'RouterInterfaceNotFound');
      await ok(call('demo', 'PUT', `/routers/${r.id}/remove_router_interface`, { port_id: p.id }), 200);
      await fails(call('demo', 'GET', `/ports/${p.id}`), 404, 'PortNotFound');
      const bare = (await ok(call('demo', 'POST', '/ports', { port: { network_id: net.networkId, fixed_ips: [] } }), 201)).port;
      assert.match(await fails(call('demo', 'PUT', `/routers/${r.id}/add_router_interface`, { port_id: bare.id }), 400, 'BadRequest'), /at least one fixed IP/);
    });

    test('add_router_interface refuses what Neutron refuses', async () => {
      const r = await router('demo');
      const noGw = await tenantNet('demo', { gateway_ip: null });
      assert.match(await fails(call('demo', 'PUT', `/routers/${r.id}/add_router_interface`, { subnet_id: noGw.subnetId }), 400, 'BadRequest'),
        /^Bad router request: Subnet for router interface must have a gateway IP\.$/);
      assert.match(await fails(call('demo', 'PUT', `/routers/${r.id}/add_router_interface`, {}), 400, 'BadRequest'), /Either subnet_id or port_id must be specified/);
      assert.match(await fails(call('demo', 'PUT', `/routers/${r.id}/add_router_interface`, { subnet_id: MISSING, port_id: MISSING }), 400, 'BadRequest'), /Cannot specify both/);
      assert.match(await fails(call('demo', 'PUT', `/routers/${r.id}/add_router_interface`, { subnet_id: 'x' }), 400, 'BadRequest'), /'x' is not a valid UUID/);
      await fails(call('demo', 'PUT', `/routers/${r.id}/add_router_interface`, { subnet_id: MISSING }), 404, 'SubnetNotFound');
      await fails(call('demo', 'PUT', `/routers/${r.id}/add_router_interface`, { port_id: MISSING }), 404, 'PortNotFound');
      await fails(call('demo', 'PUT', `/routers/${MISSING}/add_router_interface`, { subnet_id: noGw.subnetId }), 404, 'RouterNotFound');
      const others = await tenantNet('other');
      await fails(call('demo', 'PUT', `/routers/${r.id}/add_router_interface`, { subnet_id: others.subnetId }), 404, 'SubnetNotFound');
      await fails(call('other', 'PUT', `/routers/${r.id}/add_router_interface`, { subnet_id: others.subnetId }), 404, 'RouterNotFound');
      await fails(call('reader', 'PUT', `/routers/${r.id}/add_router_interface`, { subnet_id: noGw.subnetId }), 403, 'PolicyNotAuthorized');
      // Two interfaces whose subnets overlap would make the router's routes ambiguous.
      const a = await tenantNet('demo');
      const b = (await ok(call('demo', 'POST', '/networks', { network: { name: 'b' } }), 201)).network;
      const bSub = (await ok(call('demo', 'POST', '/subnets', { subnet: { network_id: b.id, ip_version: 4, cidr: a.cidr.replace('/24', '/16') } }), 201)).subnet;
      await ok(call('demo', 'PUT', `/routers/${r.id}/add_router_interface`, { subnet_id: a.subnetId }), 200);
      assert.match(await fails(call('demo', 'PUT', `/routers/${r.id}/add_router_interface`, { subnet_id: bSub.id }), 400, 'BadRequest'), /overlaps with cidr/);
      assert.equal((await portsOf(r.id)).length, 1);
    });

    test('floating IPs: allocated on the external network, associated through a router, disassociated, deleted', async () => {
      const net = await tenantNet('demo');
      const vm = (await ok(call('demo', 'POST', '/ports', { port: { network_id: net.networkId } }), 201)).port;
      const fip = (await ok(call('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: ext } }), 201)).floatingip;
      assert.equal(fip.project_id, TEST_AUTH.demo.projectId);
      assert.equal(fip.floating_network_id, ext);
      assert.ok(inCidr(fip.floating_ip_address, '203.0.113.'));
      assert.equal(fip.status, 'DOWN');
      assert.equal(fip.port_id, null);
      assert.equal(fip.router_id, null);
      const [held] = await portsOf(fip.id);
      assert.equal(held.device_owner, 'network:floatingip');
      assert.equal(held.fixed_ips[0].ip_address, fip.floating_ip_address);
      // The address's port has no project: only an admin sees it, and even an admin cannot delete it under the floating IP.
      await fails(call('demo', 'DELETE', `/ports/${held.id}`), 404, 'PortNotFound');
      await fails(call('admin', 'DELETE', `/ports/${held.id}`), 409, 'ServicePortInUse');

      // No router reaches the port's subnet yet.
      const unreachable = await fails(call('demo', 'PUT', `/floatingips/${fip.id}`, { floatingip: { port_id: vm.id } }), 404, 'ExternalGatewayForFloatingIPNotFound');
      assert.equal(unreachable, `External network ${ext} is not reachable from subnet ${net.subnetId}.  Therefore, cannot associate Port ${vm.id} with a Floating IP.`);
      const r = await router('demo', { external_gateway_info: { network_id: ext } });
      await fails(call('demo', 'PUT', `/floatingips/${fip.id}`, { floatingip: { port_id: vm.id } }), 404, 'ExternalGatewayForFloatingIPNotFound');
      await ok(call('demo', 'PUT', `/routers/${r.id}/add_router_interface`, { subnet_id: net.subnetId }), 200);

      const assoc = (await ok(call('demo', 'PUT', `/floatingips/${fip.id}`, { floatingip: { port_id: vm.id } }), 200)).floatingip;
      assert.equal(assoc.port_id, vm.id);
      assert.equal(assoc.fixed_ip_address, vm.fixed_ips[0].ip_address);
      assert.equal(assoc.router_id, r.id);
      assert.equal(assoc.status, 'ACTIVE');
      assert.deepEqual((await ok(call('demo', 'GET', `/floatingips?port_id=${vm.id}`), 200)).floatingips.map((f: { id: string }) => f.id), [fip.id]);

      // One floating IP per fixed address; the router's interface and gateway stay while it is used.
      const second = (await ok(call('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: ext } }), 201)).floatingip;
      await fails(call('demo', 'PUT', `/floatingips/${second.id}`, { floatingip: { port_id: vm.id } }), 409, 'FloatingIPPortAlreadyAssociated');
      await fails(call('demo', 'PUT', `/routers/${r.id}/remove_router_interface`, { subnet_id: net.subnetId }), 409, 'RouterInterfaceInUseByFloatingIP');
      await fails(call('demo', 'PUT', `/routers/${r.id}`, { router: { external_gateway_info: null } }), 409, 'RouterExternalGatewayInUseByFloatingIp');
      await fails(call('admin', 'DELETE', `/networks/${ext}`), 409, 'NetworkInUse');
      await fails(call('admin', 'PUT', `/networks/${ext}`, { network: { 'router:external': false } }), 409, 'ExternalNetworkInUse');

      const down = (await ok(call('demo', 'PUT', `/floatingips/${fip.id}`, { floatingip: { port_id: null } }), 200)).floatingip;
      assert.deepEqual([down.port_id, down.fixed_ip_address, down.router_id, down.status], [null, null, null, 'DOWN']);
      // Created associated; deleting the port disassociates it.
      const third = (await ok(call('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: ext, port_id: vm.id, description: 'web' } }), 201)).floatingip;
      assert.equal(third.status, 'ACTIVE');
      assert.equal(third.description, 'web');
      await ok(call('demo', 'DELETE', `/ports/${vm.id}`), 204);
      const orphan = (await ok(call('demo', 'GET', `/floatingips/${third.id}`), 200)).floatingip;
      assert.deepEqual([orphan.port_id, orphan.fixed_ip_address, orphan.router_id, orphan.status], [null, null, null, 'DOWN']);

      for (const f of [fip, second, third]) await ok(call('demo', 'DELETE', `/floatingips/${f.id}`), 204);
      assert.deepEqual(await portsOf(fip.id), []);
      await fails(call('demo', 'GET', `/floatingips/${fip.id}`), 404, 'FloatingIPNotFound');
      await ok(call('demo', 'PUT', `/routers/${r.id}/remove_router_interface`, { subnet_id: net.subnetId }), 200);
      await ok(call('demo', 'DELETE', `/routers/${r.id}`), 204);
    });

    test('floating IP requests Neutron refuses leave nothing behind', async () => {
      const before = (await ok(call('admin', 'GET', '/ports?device_owner=network:floatingip'), 200)).ports.length;
      const net = await tenantNet('demo');
      const vm = (await ok(call('demo', 'POST', '/ports', { port: { network_id: net.networkId } }), 201)).port;
      assert.match(await fails(call('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: net.networkId } }), 400, 'BadRequest'),
        /^Bad floatingip request: Network .* is not a valid external network\.$/);
      await fails(call('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: MISSING } }), 404, 'NetworkNotFound');
      await fails(call('demo', 'POST', '/floatingips', { floatingip: {} }), 400);
      await fails(call('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: ext, floating_ip_address: '203.0.113.77' } }), 403, 'PolicyNotAuthorized');
      await fails(call('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: ext, port_id: vm.id } }), 404, 'ExternalGatewayForFloatingIPNotFound');
      await fails(call('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: ext, fixed_ip_address: '10.0.0.5' } }), 400, 'BadRequest');
      await fails(call('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: ext, port_id: MISSING } }), 404, 'PortNotFound');
      const others = await tenantNet('other');
      const otherPort = (await ok(call('other', 'POST', '/ports', { port: { network_id: others.networkId } }), 201)).port;
      await fails(call('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: ext, port_id: otherPort.id } }), 404, 'PortNotFound');
      assert.equal((await ok(call('admin', 'GET', '/ports?device_owner=network:floatingip'), 200)).ports.length, before);
      assert.deepEqual((await ok(call('demo', 'GET', '/floatingips'), 200)).floatingips, []);
      // An admin may choose the address; another project never sees the floating IP.
      const chosen = (await ok(call('admin', 'POST', '/floatingips', { floatingip: { floating_network_id: ext, floating_ip_address: '203.0.113.77', project_id: TEST_AUTH.demo.projectId } }), 201)).floatingip;
      assert.equal(chosen.floating_ip_address, '203.0.113.77');
      await fails(call('other', 'GET', `/floatingips/${chosen.id}`), 404, 'FloatingIPNotFound');
      await fails(call('other', 'DELETE', `/floatingips/${chosen.id}`), 404, 'FloatingIPNotFound');
      await fails(call('admin', 'POST', '/floatingips', { floatingip: { floating_network_id: ext, floating_ip_address: '203.0.113.77' } }), 409, 'IpAddressAlreadyAllocated');
      await ok(call('demo', 'DELETE', `/floatingips/${chosen.id}`), 204);
    });

    test('routers and floating IPs take tags and list with filters, sorting and pages', async () => {
      const a = await router('other', { name: 'b-router' });
      const b = await router('other', { name: 'a-router' });
      await ok(call('other', 'PUT', `/routers/${a.id}/tags/edge`), 201);
      assert.deepEqual((await ok(call('other', 'GET', '/routers?tags=edge'), 200)).routers.map((x: { id: string }) => x.id), [a.id]);
      assert.deepEqual((await ok(call('other', 'GET', '/routers?sort_key=name'), 200)).routers.map((x: { name: string }) => x.name), ['a-router', 'b-router']);
      const page = await ok(call('other', 'GET', '/routers?limit=1&sort_key=name'), 200);
      assert.equal(page.routers.length, 1);
      assert.equal(page.routers_links[0].rel, 'next');
      await fails(call('other', 'GET', '/routers?bogus=1'), 400);
      const f = (await ok(call('other', 'POST', '/floatingips', { floatingip: { floating_network_id: ext, tags: ['t1'] } }), 201)).floatingip;
      assert.deepEqual(f.tags, ['t1']);
      assert.deepEqual((await ok(call('other', 'GET', `/floatingips?floating_ip_address=${f.floating_ip_address}`), 200)).floatingips.map((x: { id: string }) => x.id), [f.id]);
      for (const r of [a, b]) await ok(call('other', 'DELETE', `/routers/${r.id}`), 204);
      await ok(call('other', 'DELETE', `/floatingips/${f.id}`), 204);
    });

    test('the router, ext-gw-mode and provider extensions are listed, and routers and floating IPs among the resources', async () => {
      const aliases = (await ok(call('demo', 'GET', '/extensions'), 200)).extensions.map((e: { alias: string }) => e.alias);
      for (const alias of ['router', 'ext-gw-mode', 'provider', 'external-net']) assert.ok(aliases.includes(alias), alias);
      assert.ok(!aliases.includes('extraroute') && !aliases.includes('l3_agent_scheduler') && !aliases.includes('dvr'));
    });
  });

  describe(`router and floating IP quotas (${target.name})`, () => {
    let api: NetworkApiFixture;
    const call = (who: Who, method: string, url: string, payload?: unknown) => api.call(who, method, `/v2.0${url}`, payload);

    before(async () => { api = await startNetworkApi(target, TEST_AUTH.admin.projectId, { quotas: { router: 2, floatingip: 1 } }); });
    after(async () => api.close());

    test('a project gets as many routers and floating IPs as its quota, then OverQuota', async () => {
      const ext = (await answered(call('admin', 'POST', '/networks', { network: { 'router:external': true } }), 201)).network.id;
      await answered(call('admin', 'POST', '/subnets', { subnet: { network_id: ext, ip_version: 4, cidr: '198.51.100.0/24' } }), 201);
      for (let i = 0; i < 2; i++) await answered(call('demo', 'POST', '/routers', { router: { name: `r${i}` } }), 201);
      assert.equal(await neutronFault(call('demo', 'POST', '/routers', { router: {} }), 409, 'OverQuota'), "Quota exceeded for resources: ['router'].");
      await answered(call('other', 'POST', '/routers', { router: {} }), 201);
      await answered(call('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: ext } }), 201);
      await neutronFault(call('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: ext } }), 409, 'OverQuota');
      // The refused floating IP took no address.
      assert.equal((await answered(call('admin', 'GET', '/ports?device_owner=network:floatingip'), 200)).ports.length, 1);
      const q = (await answered(call('demo', 'GET', `/quotas/${TEST_AUTH.demo.projectId}`), 200)).quota;
      assert.deepEqual([q.router, q.floatingip, q.network], [2, 1, -1]);
      const d = (await answered(call('demo', 'GET', `/quotas/${TEST_AUTH.demo.projectId}/details`), 200)).quota;
      assert.deepEqual(d.router, { limit: 2, used: 2, reserved: 0 });
      assert.deepEqual(d.floatingip, { limit: 1, used: 1, reserved: 0 });
    });
  });
}
