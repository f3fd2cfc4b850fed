/**
 * The fake driver's cloud as it starts by default ([network] driver = noop,
 * dhcp_agent = auto): no DHCP agent runs, so no network gets a DHCP port and
 * servers take the addresses they took before agents existed.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../../helpers/cloud.js';
import { bootActive, portsOf, privateNetworkId, uploadImage } from '../../compute/fixtures.js';

describe('agents in the default noop cloud', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => cloud?.close());

  test('no DHCP agent and no DHCP port; the first server takes the first free address of the subnet', async () => {
    assert.equal(cloud.services.networkAgents.dhcp, undefined);
    const net = await privateNetworkId(cloud);
    const server = await bootActive(cloud, { name: 'first', imageRef: await uploadImage(cloud), flavorRef: '1', networks: [{ uuid: net }] });
    const [port] = await portsOf(cloud, server.id);
    assert.equal(port.fixed_ips[0].ip_address, '10.0.0.2');
    const dhcpPorts = await cloud.request('GET', `/network/v2.0/ports?device_owner=${encodeURIComponent('network:dhcp')}`);
    assert.deepEqual(dhcpPorts.json.ports, []);
    const agents = (await cloud.request('GET', '/network/v2.0/agents')).json.agents as Array<{ agent_type: string }>;
    assert.ok(!agents.some((a) => a.agent_type === 'DHCP agent'));
  });
});
