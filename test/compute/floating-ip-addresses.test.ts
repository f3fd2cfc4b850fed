/**
 * A server's addresses show its floating IP beside the fixed address it is
 * NATed to, with the port's MAC and "OS-EXT-IPS:type": "floating", as Nova
 * shows them from its network info cache (refreshed on Neutron's
 * network-changed): after association, in GET /servers/{id}, /servers/detail
 * and /servers/{id}/ips; gone after disassociation and after deletion.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { functionalSuite, inProcessOnly, startFunctionalCloud, type FunctionalCloud } from '../helpers/functional-cloud.js';
import { bootActive, portsOf, uploadImage, computeVersion as at } from './fixtures.js';

const LABEL = 'fip-net';
const DEADLINE_MS = 10_000;

describe(...functionalSuite('floating IPs in server addresses'), () => {
  let cloud: FunctionalCloud;
  let server: string;
  let port: { id: string; mac_address: string; fixed_ips: Array<{ ip_address: string }> };
  let external: string;

  const ok = async (method: string, path: string, body?: unknown, who: 'admin' | 'demo' = 'demo', status = method === 'POST' ? 201 : 200) => {
    const res = await cloud.request(method, `/network/v2.0${path}`, { who, body });
    assert.equal(res.status, status, `${method} ${path}: ${JSON.stringify(res.json)}`);
    return res.json;
  };
  const addressesOf = async () => (await cloud.request('GET', `/compute/v2.1/servers/${server}`, { who: 'demo' })).json.server.addresses;
  /** Polls the server's addresses until `want` holds: the cache follows Neutron's event, not the floating IP call. */
  const addressesWhen = async (want: (addrs: any) => boolean) => {
    const end = Date.now() + DEADLINE_MS;
    let addrs = await addressesOf();
    while (!want(addrs) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
      addrs = await addressesOf();
    }
    return addrs;
  };
  const floatingIn = (addrs: any) => (addrs[LABEL] ?? []).filter((a: any) => a['OS-EXT-IPS:type'] === 'floating').map((a: any) => a.addr);

  before(async () => {
    cloud = await startFunctionalCloud();
    const image = await uploadImage(cloud);
    external = (await ok('POST', '/networks', { network: { name: 'public', 'router:external': true } }, 'admin')).network.id;
    await ok('POST', '/subnets', { subnet: { network_id: external, ip_version: 4, cidr: '203.0.113.0/24' } }, 'admin');
    const net = (await ok('POST', '/networks', { network: { name: LABEL } })).network.id;
    const subnet = (await ok('POST', '/subnets', { subnet: { network_id: net, ip_version: 4, cidr: '10.90.0.0/24' } })).subnet.id;
    const router = (await ok('POST', '/routers', { router: { name: 'r', external_gateway_info: { network_id: external } } })).router.id;
    await ok('PUT', `/routers/${router}/add_router_interface`, { subnet_id: subnet });
    server = (await bootActive(cloud, { name: 'floating', imageRef: image, flavorRef: '1', networks: [{ uuid: net }] }, 'demo', at('2.37'))).id;
    [port] = await portsOf(cloud, server);
  });
  after(async () => cloud?.close());

  test('an associated floating IP is listed after the fixed address with the port\'s MAC; disassociated, it is gone', async () => {
    const fip = (await ok('POST', '/floatingips', { floatingip: { floating_network_id: external, port_id: port.id } })).floatingip;
    const shown = await addressesWhen((a) => floatingIn(a).length === 1);
    assert.deepEqual(shown, {
      [LABEL]: [
        { version: 4, addr: port.fixed_ips[0]!.ip_address, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': port.mac_address },
        { version: 4, addr: fip.floating_ip_address, 'OS-EXT-IPS:type': 'floating', 'OS-EXT-IPS-MAC:mac_addr': port.mac_address },
      ],
    });
    const detail = (await cloud.request('GET', '/compute/v2.1/servers/detail', { who: 'demo' })).json.servers.find((s: any) => s.id === server);
    assert.deepEqual(detail.addresses, shown);
    const ips = (await cloud.request('GET', `/compute/v2.1/servers/${server}/ips`, { who: 'demo' })).json.addresses;
    assert.deepEqual(ips[LABEL].map((a: any) => a.addr), [port.fixed_ips[0]!.ip_address, fip.floating_ip_address]);

    await ok('PUT', `/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    assert.deepEqual(floatingIn(await addressesWhen((a) => floatingIn(a).length === 0)), []);

    // Associated by update, then deleted while associated.
    await ok('PUT', `/floatingips/${fip.id}`, { floatingip: { port_id: port.id } });
    assert.deepEqual(floatingIn(await addressesWhen((a) => floatingIn(a).length === 1)), [fip.floating_ip_address]);
    await ok('DELETE', `/floatingips/${fip.id}`, undefined, 'demo', 204);
    const after = await addressesWhen((a) => floatingIn(a).length === 0);
    assert.deepEqual(after[LABEL].map((a: any) => a['OS-EXT-IPS:type']), ['fixed']);
  });

  test('network-changed sent to Nova\'s external events API rebuilds the cache from the network service', inProcessOnly('empties the cache in the database'), async () => {
    const fip = (await ok('POST', '/floatingips', { floatingip: { floating_network_id: external, port_id: port.id } })).floatingip;
    await addressesWhen((a) => floatingIn(a).length === 1);
    await cloud.allInOne!.database.db.updateTable('instances').set({ network_info: '[]', version: sql<number>`version + 1` }).where('uuid', '=', server).execute();
    assert.deepEqual(await addressesOf(), {});
    const res = await cloud.request('POST', '/compute/v2.1/os-server-external-events', {
      who: 'admin', body: { events: [{ name: 'network-changed', server_uuid: server, tag: port.id }] },
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(floatingIn(await addressesWhen((a) => floatingIn(a).length === 1)), [fip.floating_ip_address]);
    await ok('DELETE', `/floatingips/${fip.id}`, undefined, 'demo', 204);
  });
});
