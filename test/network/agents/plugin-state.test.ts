/**
 * What the plugin RPC answers each agent, from the network service's
 * tables: a host's ports with their expanded rules, the DHCP networks with
 * their DHCP port, the routers with their floating IPs, the port behind an
 * address.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../../helpers/databases.js';
import { TEST_AUTH } from '../../helpers/auth.js';
import { DHCP_OWNER } from '../../../src/network/agents/plugin-state.js';
import { answered, startNetworkApi, type NetworkApiFixture, type Who } from '../api-client.js';

const targets = await databaseTargets();

for (const target of targets) {
  describe(`agent states from the plugin (${target.name})`, () => {
    let api: NetworkApiFixture;
    let cidr = 0;
    const call = (who: Who, method: string, url: string, payload?: unknown) => api.call(who, method, `/v2.0${url}`, payload);
    const states = () => api.fx.svc.agentStates;
    const network = async (subnet: Record<string, unknown> = {}) => {
      const net = (await answered(call('demo', 'POST', '/networks', { network: { name: 'n' } }), 201)).network;
      const c = `10.${60 + cidr++}.0.0/24`;
      const sub = (await answered(call('demo', 'POST', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: c, ...subnet } }), 201)).subnet;
      return { networkId: net.id as string, subnetId: sub.id as string };
    };
    const guestPort = async (networkId: string, host: string, extra: Record<string, unknown> = {}) =>
      (await answered(call('admin', 'POST', '/ports', { port: {
        network_id: networkId, project_id: TEST_AUTH.demo.projectId, device_owner: 'compute:nova', device_id: 'vm', 'binding:host_id': host, ...extra,
      } }), 201)).port;
    const group = async (name: string) => (await answered(call('demo', 'POST', '/security-groups', { security_group: { name } }), 201)).security_group;
    const rule = async (body: Record<string, unknown>) =>
      (await answered(call('demo', 'POST', '/security-group-rules', { security_group_rule: { direction: 'ingress', ethertype: 'IPv4', ...body } }), 201)).security_group_rule;
    const setGroups = (portId: string, groups: string[]) => answered(call('admin', 'PUT', `/ports/${portId}`, { port: { security_groups: groups } }), 200);

    before(async () => {
      api = await startNetworkApi(target, TEST_AUTH.admin.projectId);
    });
    after(async () => api.close());

    test('a host\'s ports carry MAC, addresses, MTU and their groups\' rules with remote groups expanded', async () => {
      const { networkId, subnetId } = await network();
      const web = await group('web');
      const db = await group('db');
      await rule({ security_group_id: web.id, protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_ip_prefix: '0.0.0.0/0' });
      await rule({ security_group_id: db.id, protocol: 'tcp', port_range_min: 5432, port_range_max: 5432, remote_group_id: web.id });
      const a = await guestPort(networkId, 'host-a');
      const b = await guestPort(networkId, 'host-b');
      await setGroups(a.id, [db.id]);
      await setGroups(b.id, [web.id]);
      // A port of another host, a network port and a port without a host are not host-a's.
      await guestPort(networkId, '');

      const ports = await states().hostPorts('host-a');
      assert.deepEqual(ports.map((p) => p.portId), [a.id]);
      const [p] = ports;
      assert.equal(p!.networkId, networkId);
      assert.equal(p!.macAddress, a.mac_address);
      assert.deepEqual(p!.fixedIps, [{ subnetId, ipAddress: a.fixed_ips[0].ip_address }]);
      assert.equal(p!.portSecurityEnabled, true);
      assert.equal(p!.mtu, 1500);
      const pg = p!.rules.find((r) => r.portRangeMin === 5432);
      assert.deepEqual(pg, {
        direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', portRangeMin: 5432, portRangeMax: 5432,
        remoteIpPrefix: null, remoteGroupAddresses: [b.fixed_ips[0].ip_address], remoteGroupId: web.id,
      });
      // The group's default egress rules come with it.
      assert.ok(p!.rules.some((r) => r.direction === 'egress' && r.ethertype === 'IPv4' && r.remoteIpPrefix === null && r.remoteGroupAddresses === null));
      assert.ok(!p!.rules.some((r) => r.portRangeMin === 80), 'a group the port is not in gives it no rules');

      const only = await states().hostPorts('host-b', [b.id]);
      assert.deepEqual(only.map((x) => x.portId), [b.id]);
      assert.deepEqual(await states().hostPorts('host-b', []), []);
    });

    test('a port without port security says so; an administratively down port is not wired', async () => {
      const { networkId } = await network();
      const open = await guestPort(networkId, 'host-c', { port_security_enabled: false });
      await guestPort(networkId, 'host-c', { admin_state_up: false });
      const ports = await states().hostPorts('host-c');
      assert.deepEqual(ports.map((p) => [p.portId, p.portSecurityEnabled]), [[open.id, false]]);
    });

    test("a port's allowed address pairs reach its host state, and its groups' remote sets hold the pairs' addresses", async () => {
      const { networkId } = await network();
      const vrrp = await group('vrrp');
      const peers = await group('peers');
      await rule({ security_group_id: peers.id, protocol: '112', remote_group_id: vrrp.id });
      const pairs = [{ ip_address: '10.99.0.100' }, { ip_address: '198.51.100.0/24', mac_address: 'fa:16:3e:00:00:09' }];
      const member = await guestPort(networkId, 'host-e', { allowed_address_pairs: pairs });
      const watcher = await guestPort(networkId, 'host-f');
      await setGroups(member.id, [vrrp.id]);
      await setGroups(watcher.id, [peers.id]);

      const [mine] = await states().hostPorts('host-e');
      assert.deepEqual(mine!.allowedAddressPairs, [
        { ipAddress: '10.99.0.100', macAddress: member.mac_address },
        { ipAddress: '198.51.100.0/24', macAddress: 'fa:16:3e:00:00:09' },
      ]);
      const [theirs] = await states().hostPorts('host-f');
      assert.deepEqual(theirs!.allowedAddressPairs, []);
      const fromVrrp = theirs!.rules.find((r) => r.protocol === '112')!;
      assert.deepEqual(fromVrrp.remoteGroupAddresses, [member.fixed_ips[0].ip_address, '10.99.0.100', '198.51.100.0/24'].sort());

      await answered(call('admin', 'PUT', `/ports/${member.id}`, { port: { allowed_address_pairs: [] } }), 200);
      assert.deepEqual((await states().hostPorts('host-e'))[0]!.allowedAddressPairs, []);
      const after = (await states().hostPorts('host-f'))[0]!.rules.find((r) => r.protocol === '112')!;
      assert.deepEqual(after.remoteGroupAddresses, [member.fixed_ips[0].ip_address], 'cleared pairs leave the set');
    });

    test('each DHCP network gets one DHCP port, made once, and host entries for its ports', async () => {
      const { networkId, subnetId } = await network();
      const noDhcp = await network({ enable_dhcp: false });
      const guest = await guestPort(networkId, 'host-d');
      const [first, again] = await Promise.all([
        states().dhcpNetworks({ ensurePorts: true, host: 'net-node' }),
        states().dhcpNetworks({ ensurePorts: true, host: 'net-node' }),
      ]);
      const mine = first.find((n) => n.networkId === networkId)!;
      assert.ok(mine, 'the network with a DHCP subnet is served');
      assert.ok(!first.some((n) => n.networkId === noDhcp.networkId), 'a network without a DHCP subnet is not');
      assert.equal(again.find((n) => n.networkId === networkId)!.dhcpPort.portId, mine.dhcpPort.portId);
      const dhcpPorts = (await answered(call('admin', 'GET', `/ports?network_id=${networkId}&device_owner=${encodeURIComponent(DHCP_OWNER)}`), 200)).ports;
      assert.equal(dhcpPorts.length, 1);
      assert.equal(dhcpPorts[0]['binding:host_id'], 'net-node');
      assert.equal(mine.dhcpPort.fixedIps[0]!.subnetId, subnetId);
      assert.equal(mine.metadata, true);
      assert.equal(mine.subnets[0]!.enableDhcp, true);
      const ip = guest.fixed_ips[0].ip_address as string;
      const entry = mine.hosts.find((h) => h.portId === guest.id);
      assert.deepEqual(entry, { portId: guest.id, macAddress: guest.mac_address, ipAddress: ip, hostname: `host-${ip.replace(/\./g, '-')}` });
    });

    test("one port's DHCP entries are its share of its network's, and say whether it is the DHCP port", async () => {
      const { networkId } = await network();
      const noDhcp = await network({ enable_dhcp: false });
      const guest = await guestPort(networkId, 'host-e');
      const unserved = await guestPort(noDhcp.networkId, 'host-e');
      const [served] = (await states().dhcpNetworks({ ensurePorts: true, host: 'net-node' })).filter((n) => n.networkId === networkId);
      assert.deepEqual(await states().dhcpPortEntries(guest.id), {
        networkId, dhcpPort: false, hosts: served!.hosts.filter((h) => h.portId === guest.id),
      });
      assert.equal((await states().dhcpPortEntries(guest.id))!.hosts.length, 1);
      assert.deepEqual(await states().dhcpPortEntries(unserved.id), { networkId: noDhcp.networkId, dhcpPort: false, hosts: [] });
      assert.equal((await states().dhcpPortEntries(served!.dhcpPort.portId))!.dhcpPort, true);
      assert.equal(await states().dhcpPortEntries('5d0e7c7e-0000-4000-8000-000000000000'), null);
    });

    test('a DHCP subnet added to a served network gives the DHCP port an address on it', async () => {
      const { networkId } = await network();
      const [before] = (await states().dhcpNetworks({ ensurePorts: true, host: 'net-node' })).filter((n) => n.networkId === networkId);
      const second = (await answered(call('demo', 'POST', '/subnets', { subnet: { network_id: networkId, ip_version: 4, cidr: `10.${60 + cidr++}.0.0/24` } }), 201)).subnet;
      const [after] = (await states().dhcpNetworks({ ensurePorts: true, host: 'net-node' })).filter((n) => n.networkId === networkId);
      assert.equal(after!.dhcpPort.portId, before!.dhcpPort.portId);
      assert.deepEqual(after!.dhcpPort.fixedIps.slice(0, 1), before!.dhcpPort.fixedIps);
      assert.ok(after!.dhcpPort.fixedIps.some((ip) => ip.subnetId === second.id));
      assert.equal(after!.subnets.length, 2);
    });

    test('without ensurePorts (no DHCP agent) nothing is made and networks without a DHCP port are left out', async () => {
      const { networkId } = await network();
      const listed = await states().dhcpNetworks({ ensurePorts: false, host: '' });
      assert.ok(!listed.some((n) => n.networkId === networkId));
      const ports = (await answered(call('admin', 'GET', `/ports?network_id=${networkId}`), 200)).ports;
      assert.deepEqual(ports, []);
    });

    test('a router carries its gateway, its interfaces and its associated floating IPs', async () => {
      const ext = (await answered(call('admin', 'POST', '/networks', { network: { name: 'ext', 'router:external': true } }), 201)).network;
      await answered(call('admin', 'POST', '/subnets', { subnet: { network_id: ext.id, ip_version: 4, cidr: '198.51.100.0/24' } }), 201);
      const inside = await network();
      const router = (await answered(call('demo', 'POST', '/routers', { router: { name: 'r', external_gateway_info: { network_id: ext.id } } }), 201)).router;
      await answered(call('demo', 'PUT', `/routers/${router.id}/add_router_interface`, { subnet_id: inside.subnetId }), 200);
      const guest = await guestPort(inside.networkId, 'host-e');
      const fip = (await answered(call('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: ext.id, port_id: guest.id } }), 201)).floatingip;
      const unassociated = (await answered(call('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: ext.id } }), 201)).floatingip;

      const r = (await states().routers()).find((x) => x.routerId === router.id)!;
      assert.equal(r.adminStateUp, true);
      assert.equal(r.gateway!.networkId, ext.id);
      assert.equal(r.gateway!.gatewayIp, '198.51.100.1');
      assert.equal(r.gateway!.enableSnat, true);
      assert.match(r.gateway!.cidrs[0]!, /^198\.51\.100\.\d+\/24$/);
      assert.equal(r.interfaces.length, 1);
      assert.equal(r.interfaces[0]!.networkId, inside.networkId);
      assert.match(r.interfaces[0]!.cidrs[0]!, /\.1\/24$/);
      assert.deepEqual(r.floatingIps, [{ id: fip.id, floatingIpAddress: fip.floating_ip_address, fixedIpAddress: guest.fixed_ips[0].ip_address }]);
      assert.ok(!r.floatingIps.some((f) => f.id === unassociated.id));
    });

    test('the port behind an address on a network, for the metadata agent', async () => {
      const { networkId } = await network();
      const guest = await guestPort(networkId, 'host-f', { device_id: 'instance-1' });
      const ip = guest.fixed_ips[0].ip_address as string;
      assert.deepEqual(await states().portForAddress(networkId, ip), {
        port_id: guest.id, device_id: 'instance-1', device_owner: 'compute:nova', project_id: TEST_AUTH.demo.projectId,
      });
      const other = await network();
      assert.equal(await states().portForAddress(other.networkId, ip), null);
    });
  });
}
