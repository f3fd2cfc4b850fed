/**
 * The DHCP agent settles a port update alone when the port's host entries
 * are those it already serves, and takes a sync of every network otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DhcpAgent } from '../../../src/network/agents/dhcp-agent.js';
import { NoopDhcpDriver } from '../../../src/network/agents/noop/drivers.js';
import type { DhcpDriver } from '../../../src/network/agents/drivers.js';
import type { PluginRpcClient } from '../../../src/network/agents/plugin-rpc.js';
import type { ResourceChange } from '../../../src/network/agents/notifications.js';
import type { DhcpHostEntry, DhcpNetworkState, DhcpPortEntries } from '../../../src/network/agents/state.js';

const guest: DhcpHostEntry = { portId: 'p1', macAddress: 'fa:16:3e:00:00:01', ipAddress: '10.0.0.5', hostname: 'host-10-0-0-5' };
const network: DhcpNetworkState = {
  networkId: 'n1', mtu: 1500, subnets: [], hosts: [guest], metadata: false,
  dhcpPort: { portId: 'd1', macAddress: 'fa:16:3e:00:00:02', fixedIps: [{ subnetId: 's1', ipAddress: '10.0.0.2' }] },
};
const portUpdate = (id = 'p1', action: ResourceChange['action'] = 'update', resource = 'port'): ResourceChange =>
  ({ resource, id, action, networkId: 'n1' });

/** An agent over a plugin whose answers the test sets; `portAnswer` may be held to let things happen meanwhile. */
function agentWith(driver: DhcpDriver = new NoopDhcpDriver()) {
  const plugin = {
    entries: { networkId: 'n1', dhcpPort: false, hosts: [guest] } as DhcpPortEntries | null,
    portAnswer: Promise.resolve(),
    networkReads: 0,
    async getDhcpNetworks() {
      plugin.networkReads++;
      return [network];
    },
    async getDhcpPort() {
      await plugin.portAnswer;
      return plugin.entries;
    },
  };
  return { agent: new DhcpAgent('h1', plugin as unknown as PluginRpcClient, driver), plugin };
}

test('a port update that leaves its host entries as served is settled without reading every network', async () => {
  const { agent, plugin } = agentWith();
  assert.equal(await agent.handle(portUpdate()), false, 'nothing is known to be served before the first sync');
  await agent.sync();
  assert.equal(await agent.handle(portUpdate()), true);
  assert.equal(plugin.networkReads, 1);
});

test('a port whose entries differ from what is served, or that is gone, takes a sync', async () => {
  const { agent, plugin } = agentWith();
  await agent.sync();
  plugin.entries = { networkId: 'n1', dhcpPort: false, hosts: [{ ...guest, ipAddress: '10.0.0.9', hostname: 'host-10-0-0-9' }] };
  assert.equal(await agent.handle(portUpdate()), false, 'a new address');
  plugin.entries = { networkId: 'n1', dhcpPort: false, hosts: [{ ...guest, macAddress: 'fa:16:3e:00:00:09' }] };
  assert.equal(await agent.handle(portUpdate()), false, 'a new MAC');
  plugin.entries = { networkId: 'n1', dhcpPort: false, hosts: [] };
  assert.equal(await agent.handle(portUpdate()), false, 'no longer on a DHCP subnet');
  plugin.entries = { networkId: 'n2', dhcpPort: false, hosts: [] };
  assert.equal(await agent.handle(portUpdate()), false, 'on a network not served yet');
  plugin.entries = null;
  assert.equal(await agent.handle(portUpdate()), false, 'gone');
});

test('new and deleted ports, the DHCP port and other resources always take a sync', async () => {
  const { agent, plugin } = agentWith();
  await agent.sync();
  assert.equal(await agent.handle(portUpdate('p1', 'create')), false);
  assert.equal(await agent.handle(portUpdate('p1', 'delete')), false);
  assert.equal(await agent.handle(portUpdate('i1', 'update', 'instance_ports')), false);
  assert.equal(await agent.handle(portUpdate('d1')), false, 'the served network\'s DHCP port');
  plugin.entries = { networkId: 'n1', dhcpPort: true, hosts: [] };
  assert.equal(await agent.handle(portUpdate('d9')), false, 'a port that became a DHCP port');
});

test('a sync running, or started while the port is read, leaves the change to a sync', async () => {
  const { agent, plugin } = agentWith();
  await agent.sync();
  let release!: () => void;
  plugin.portAnswer = new Promise((r) => { release = r; });
  const compared = agent.handle(portUpdate());
  const syncing = agent.sync();
  release();
  assert.equal(await compared, false, 'a sync started while the port was read');
  plugin.portAnswer = Promise.resolve();
  const during = agent.sync();
  assert.equal(await agent.handle(portUpdate()), false, 'a sync in flight');
  await Promise.all([syncing, during]);
  assert.equal(await agent.handle(portUpdate()), true, 'settled alone again once the syncs are done');
});

test('after a failed sync nothing is known to be served', async () => {
  let fail = false;
  const driver: DhcpDriver = { syncNetworks: async () => { if (fail) throw new Error('dnsmasq failed'); }, stop: async () => undefined };
  const { agent } = agentWith(driver);
  await agent.sync();
  fail = true;
  await assert.rejects(agent.sync(), /dnsmasq failed/);
  assert.equal(await agent.handle(portUpdate()), false);
  fail = false;
  await agent.sync();
  assert.equal(await agent.handle(portUpdate()), true);
});
