/**
 * The agents in a running cloud (noop drivers, as the fake driver's cloud
 * has them): a booted server's port reaches its host's data path with its
 * MAC, addresses and rules, a new rule follows within a second, the DHCP
 * agent serves the network with its DHCP port and the server's host entry,
 * the L3 agent gets a router with its floating IP, and deleting the server
 * takes its port away again. In the services topology the drivers live in
 * other processes, so what is checked there is what the agents report.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { functionalSuite, inProcessOnly, startFunctionalCloud, type FunctionalCloud } from '../../helpers/functional-cloud.js';
import { bootActive, portsOf, privateNetworkId, uploadImage } from '../../compute/fixtures.js';
import type { NoopDhcpDriver, NoopPortDataPath, NoopRouterDriver } from '../../../src/network/agents/noop/drivers.js';

/** Polls `probe` until it answers something truthy, or fails after the deadline. */
async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe(...functionalSuite('network agents'), () => {
  let cloud: FunctionalCloud;
  let image: string;
  let net: string;
  const api = async (method: string, path: string, body?: unknown, status = method === 'POST' ? 201 : 200) => {
    const res = await cloud.request(method, `/network/v2.0${path}`, { body });
    assert.equal(res.status, status, JSON.stringify(res.json));
    return res.json;
  };
  const dataPath = () => cloud.allInOne!.hosts[0]!.l2Agent.dataPath as NoopPortDataPath;

  before(async () => {
    cloud = await startFunctionalCloud({ network: { dhcp_agent: 'enabled' }, agent: { report_interval: 0.2 } });
    image = await uploadImage(cloud);
    net = await privateNetworkId(cloud);
  });
  after(async () => cloud?.close());

  test('the L2, DHCP and L3 agents report and are alive', async () => {
    const types = await until('three agent types alive', async () => {
      const agents = (await api('GET', '/agents')).agents as Array<{ agent_type: string; alive: boolean; binary: string }>;
      const alive = new Set(agents.filter((a) => a.alive).map((a) => a.agent_type));
      return ['Linux bridge agent', 'DHCP agent', 'L3 agent'].every((t) => alive.has(t)) ? agents : undefined;
    }, 10_000);
    assert.ok(types.some((a) => a.binary === 'neutron-linuxbridge-agent'));
  });

  test('the host\'s L2 agent reports the booted server\'s port among its devices', async () => {
    const server = await bootActive(cloud, { name: 'counted', imageRef: image, flavorRef: '1', networks: [{ uuid: net }] });
    const [port] = await portsOf(cloud, server.id);
    const host = port['binding:host_id'];
    await until('the L2 agent of the server\'s host reports a device', async () => {
      const agents = (await api('GET', `/agents?agent_type=${encodeURIComponent('Linux bridge agent')}&host=${host}`)).agents;
      return agents[0]?.configurations.devices >= 1 ? agents : undefined;
    }, 10_000);
    await cloud.request('DELETE', `/compute/v2.1/servers/${server.id}`);
    await cloud.waitForServer(server.id, 'DELETED');
  });

  test('a server\'s port is wired on its host with its MAC, addresses and rules; a new rule follows; delete unwires it', inProcessOnly('reads the noop data path'), async () => {
    const server = await bootActive(cloud, { name: 'wired', imageRef: image, flavorRef: '1', networks: [{ uuid: net }], security_groups: [{ name: 'default' }] });
    // Ports made at boot get the server's groups when they are first asked for (src/compute/security-group-bindings.ts).
    assert.equal((await cloud.request('GET', `/compute/v2.1/servers/${server.id}/os-security-groups`)).status, 200);
    const [port] = await portsOf(cloud, server.id);
    const wired = await until('the port on the data path', () => dataPath().ports.get(port.id));
    assert.equal(wired.macAddress, port.mac_address);
    assert.deepEqual(wired.fixedIps.map((ip) => ip.ipAddress), port.fixed_ips.map((ip: { ip_address: string }) => ip.ip_address));
    assert.equal(wired.networkId, net);
    assert.equal(wired.portSecurityEnabled, true);
    const [groupId] = port.security_groups as string[];
    assert.ok(groupId, 'the server\'s port is in the default group');
    const groupRules = (await api('GET', `/security-group-rules?security_group_id=${groupId}`)).security_group_rules;
    await until('the group\'s rules on the wired port', () => dataPath().ports.get(port.id)?.rules.length === groupRules.length);

    const started = Date.now();
    await api('POST', '/security-group-rules', { security_group_rule: {
      security_group_id: groupId, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 2222, port_range_max: 2222,
    } });
    await until('the new rule on the wired port', () => dataPath().ports.get(port.id)?.rules.some((r) => r.portRangeMin === 2222), 1000);
    assert.ok(Date.now() - started < 1000);

    const dhcp = cloud.allInOne!.services.networkAgents.dhcp!.driver as NoopDhcpDriver;
    const served = await until('the server\'s DHCP host entry', () => {
      const n = dhcp.networks.get(net);
      return n?.hosts.some((h) => h.portId === port.id) ? n : undefined;
    });
    const dhcpPort = (await api('GET', `/ports/${served.dhcpPort.portId}`)).port;
    assert.equal(dhcpPort.device_owner, 'network:dhcp');
    assert.equal(dhcpPort.network_id, net);
    assert.deepEqual(served.hosts.find((h) => h.portId === port.id)?.macAddress, port.mac_address);

    await cloud.request('DELETE', `/compute/v2.1/servers/${server.id}`);
    await cloud.waitForServer(server.id, 'DELETED');
    await until('the port gone from the data path', () => !dataPath().ports.has(port.id));
    await until('the DHCP entry gone', () => !dhcp.networks.get(net)?.hosts.some((h) => h.portId === port.id));
  });

  test('an attached interface is wired at once and a detached one unwired', inProcessOnly('reads the noop data path'), async () => {
    const server = await bootActive(cloud, { name: 'plugged', imageRef: image, flavorRef: '1', networks: [{ uuid: net }] });
    const attached = await cloud.request('POST', `/compute/v2.1/servers/${server.id}/os-interface`, { body: { interfaceAttachment: { net_id: net } } });
    assert.equal(attached.status, 200, JSON.stringify(attached.json));
    const portId = attached.json.interfaceAttachment.port_id as string;
    // The attach answers after the host asked its L2 agent to wire the port: it is there already.
    assert.ok(dataPath().ports.has(portId));
    const detached = await cloud.request('DELETE', `/compute/v2.1/servers/${server.id}/os-interface/${portId}`);
    assert.equal(detached.status, 202);
    await until('the detached port unwired', () => !dataPath().ports.has(portId));
    await cloud.request('DELETE', `/compute/v2.1/servers/${server.id}`);
    await cloud.waitForServer(server.id, 'DELETED');
  });

  test('allowed address pairs set on a wired port reach its data path, and clearing them follows', inProcessOnly('reads the noop data path'), async () => {
    const server = await bootActive(cloud, { name: 'vrrp', imageRef: image, flavorRef: '1', networks: [{ uuid: net }] });
    const [port] = await portsOf(cloud, server.id);
    await until('the port on the data path', () => dataPath().ports.get(port.id));
    await api('PUT', `/ports/${port.id}`, { port: { allowed_address_pairs: [{ ip_address: '10.0.0.250' }] } });
    const paired = await until('the pair on the wired port', () => {
      const pairs = dataPath().ports.get(port.id)?.allowedAddressPairs;
      return pairs?.length ? pairs : undefined;
    }, 1000);
    assert.deepEqual(paired, [{ ipAddress: '10.0.0.250', macAddress: port.mac_address }]);
    await api('PUT', `/ports/${port.id}`, { port: { allowed_address_pairs: [] } });
    await until('the pair gone from the wired port', () => dataPath().ports.get(port.id)?.allowedAddressPairs.length === 0, 1000);
    await cloud.request('DELETE', `/compute/v2.1/servers/${server.id}`);
    await cloud.waitForServer(server.id, 'DELETED');
  });

  test('a router with a floating IP reaches the L3 agent\'s driver, and disassociation leaves it', inProcessOnly('reads the noop router driver'), async () => {
    const ext = (await api('POST', '/networks', { network: { name: 'public', 'router:external': true } })).network;
    await api('POST', '/subnets', { subnet: { network_id: ext.id, ip_version: 4, cidr: '203.0.113.0/24' } });
    const inside = (await api('POST', '/networks', { network: { name: 'inside' } })).network;
    const sub = (await api('POST', '/subnets', { subnet: { network_id: inside.id, ip_version: 4, cidr: '192.168.50.0/24' } })).subnet;
    const router = (await api('POST', '/routers', { router: { name: 'edge', external_gateway_info: { network_id: ext.id } } })).router;
    await api('PUT', `/routers/${router.id}/add_router_interface`, { subnet_id: sub.id });
    const server = await bootActive(cloud, { name: 'exposed', imageRef: image, flavorRef: '1', networks: [{ uuid: inside.id }] });
    const [port] = await portsOf(cloud, server.id);
    const fip = (await api('POST', '/floatingips', { floatingip: { floating_network_id: ext.id, port_id: port.id } })).floatingip;

    const l3 = cloud.allInOne!.services.networkAgents.l3.driver as NoopRouterDriver;
    const r = await until('the router with its floating IP', () => {
      const got = l3.routers.get(router.id);
      return got?.floatingIps.length ? got : undefined;
    });
    assert.deepEqual(r.floatingIps, [{ id: fip.id, floatingIpAddress: fip.floating_ip_address, fixedIpAddress: port.fixed_ips[0].ip_address }]);
    assert.equal(r.gateway?.networkId, ext.id);
    assert.deepEqual(r.interfaces.map((i) => i.networkId), [inside.id]);

    await api('PUT', `/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    await until('the floating IP gone from the router', () => l3.routers.get(router.id)?.floatingIps.length === 0);
  });
});
