/** Which changes make which agent sync (each fanout reaches every agent, and most of them are someone else's), and how the L2 agent plugs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { L2Agent } from '../../../src/network/agents/l2-agent.js';
import { L3Agent } from '../../../src/network/agents/l3-agent.js';
import { DhcpAgent } from '../../../src/network/agents/dhcp-agent.js';
import { NoopDhcpDriver, NoopPortDataPath, NoopRouterDriver } from '../../../src/network/agents/noop/drivers.js';
import type { PluginRpcClient } from '../../../src/network/agents/plugin-rpc.js';
import type { ResourceChange } from '../../../src/network/agents/notifications.js';
import type { HostPortState } from '../../../src/network/agents/state.js';

const plugin = {} as PluginRpcClient;
const change = (resource: string, action: ResourceChange['action'] = 'update', host?: string): ResourceChange =>
  ({ resource, id: 'x', action, networkId: null, ...(host ? { host } : {}) });

test('the L2 agent syncs for its own host\'s ports, ports of unknown host, and every group or rule change', () => {
  const l2 = new L2Agent('h1', plugin, new NoopPortDataPath());
  assert.ok(l2.cares(change('port', 'update', 'h1')));
  assert.ok(!l2.cares(change('port', 'update', 'h2')));
  assert.ok(l2.cares(change('port', 'delete')));
  assert.ok(l2.cares(change('security_group_rule', 'create')));
  assert.ok(!l2.cares(change('router')));
  assert.ok(!l2.cares(change('floatingip')));
});

test('the L3 agent syncs for routers and floating IPs, and for ports only when they go', () => {
  const l3 = new L3Agent(plugin, new NoopRouterDriver());
  assert.ok(l3.cares(change('router')));
  assert.ok(l3.cares(change('floatingip', 'create')));
  assert.ok(!l3.cares(change('port', 'update', 'h1')));
  assert.ok(l3.cares(change('port', 'delete')));
  assert.ok(!l3.cares(change('security_group_rule', 'create')));
});

test('the DHCP agent syncs for ports, subnets and networks, not for rules or routers', () => {
  const dhcp = new DhcpAgent('h1', plugin, new NoopDhcpDriver());
  assert.ok(dhcp.cares(change('port', 'create', 'h9')));
  assert.ok(dhcp.cares(change('subnet')));
  assert.ok(!dhcp.cares(change('security_group_rule', 'create')));
  assert.ok(!dhcp.cares(change('router')));
});

test('a port change plugs without the hypervisor\'s word on its tap; the compute manager\'s wire gives it', async () => {
  const asked: Array<{ portId: string; tapReady: boolean | undefined }> = [];
  const dataPath = new class extends NoopPortDataPath {
    override async plugPort(port: HostPortState, opts?: { tapReady?: boolean }): Promise<void> {
      asked.push({ portId: port.portId, tapReady: opts?.tapReady });
      await super.plugPort(port);
    }
  }();
  const hostPorts = {
    getHostPorts: async (_ctx: unknown, args: { portIds?: string[] }) => (args.portIds ?? []).map((portId) => ({ portId }) as HostPortState),
  } as unknown as PluginRpcClient;
  const l2 = new L2Agent('h1', hostPorts, dataPath);
  assert.equal(await l2.handle({ resource: 'port', id: 'p1', action: 'update', networkId: null, host: 'h1' }), true);
  assert.deepEqual(await l2.wirePorts(['p2']), ['p2']);
  assert.deepEqual(asked, [{ portId: 'p1', tapReady: false }, { portId: 'p2', tapReady: true }]);
});
