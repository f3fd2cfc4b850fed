/**
 * The loop every agent runs: a full sync at start (what rebuilds a restarted
 * host), a sync on each change the agent cares about and none for the others,
 * state reports with the start flag first, and a resync after a failure.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryTransport } from '../../../src/bus/memory/transport.js';
import { RpcClient } from '../../../src/bus/rpc.js';
import { internalContext } from '../../../src/bus/context.js';
import { createRpcClient } from '../../../src/rpc/rpc-api.js';
import { AgentLoop, type AgentKind } from '../../../src/network/agents/agent-loop.js';
import { AGENT_IDENTITIES } from '../../../src/network/agents/agent-types.js';
import { AGENT_NOTIFIER_RPC_API, type ResourceChange } from '../../../src/network/agents/notifications.js';
import type { PluginRpcClient } from '../../../src/network/agents/plugin-rpc.js';
import { testLogger } from '../../helpers/logger.js';

async function until(what: string, probe: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

let transport: MemoryTransport;
let rpc: RpcClient;
before(async () => {
  transport = new MemoryTransport();
  rpc = new RpcClient(transport, 5000);
});
after(async () => {
  await rpc.close();
  await transport.close();
});

function kind(opts: { fail?: () => boolean } = {}): AgentKind & { syncs: number } {
  const k: AgentKind & { syncs: number } = {
    identity: AGENT_IDENTITIES.l3,
    syncs: 0,
    cares: (c: ResourceChange) => c.resource === 'router',
    async sync() {
      if (opts.fail?.()) throw new Error('driver failed');
      k.syncs++;
    },
    async configurations() {
      return { routers: k.syncs };
    },
  };
  return k;
}

function plugin() {
  const reports: Array<{ start_flag: boolean; agent_type: string; configurations: Record<string, unknown> }> = [];
  const client = { reportState: async (_ctx: unknown, { agent }: { agent: (typeof reports)[number] }) => (reports.push(agent), true) };
  return { reports, client: client as unknown as PluginRpcClient };
}

const notifier = () => createRpcClient(AGENT_NOTIFIER_RPC_API, rpc);
const tell = (resource: string) => notifier().changed(internalContext('req-test'), { resource, id: 'r1', action: 'update', networkId: null });

test('a started agent syncs everything once, then on each change it cares about only', async () => {
  const k = kind();
  const p = plugin();
  const loop = new AgentLoop(k, { host: 'h1', transport, plugin: p.client, reportInterval: 60, logger: testLogger });
  await loop.start();
  try {
    await until('the first sync', () => k.syncs === 1);
    await tell('security_group_rule');
    await tell('router');
    await until('the sync after the router change', () => k.syncs === 2);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(k.syncs, 2, 'the rule change is not this agent\'s');
    await until('the first report', () => p.reports.length === 1);
    assert.equal(p.reports[0]!.start_flag, true);
    assert.equal(p.reports[0]!.agent_type, 'L3 agent');
  } finally {
    await loop.stop();
  }
});

test('reports repeat every report_interval without the start flag, and a failed sync is retried at the next one', async () => {
  let failing = true;
  const k = kind({ fail: () => failing });
  const p = plugin();
  const loop = new AgentLoop(k, { host: 'h2', transport, plugin: p.client, reportInterval: 0.05, logger: testLogger });
  await loop.start();
  try {
    await until('two reports', () => p.reports.length >= 2);
    assert.equal(k.syncs, 0);
    assert.deepEqual(p.reports.slice(0, 2).map((r) => r.start_flag), [true, false]);
    failing = false;
    await until('the resync after the failure', () => k.syncs === 1);
  } finally {
    await loop.stop();
  }
});
