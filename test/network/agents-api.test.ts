/**
 * /v2.0/agents as Neutron serves it: agents appear by reporting their state,
 * alive follows the heartbeat against agent_down_time, admins may disable,
 * describe and delete them, and to anyone else they do not exist.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { TEST_AUTH } from '../helpers/auth.js';
import { AGENT_TYPES } from '../../src/network/agents/agent-types.js';
import { answered, neutronFault, startNetworkApi, type NetworkApiFixture, type Who } from './api-client.js';

const targets = await databaseTargets();
const NEUTRON_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

for (const target of targets) {
  describe(`agents API (${target.name})`, () => {
    let api: NetworkApiFixture;
    const call = (who: Who, method: string, url: string, payload?: unknown) => api.call(who, method, `/v2.0${url}`, payload);
    const report = (agentType: string, host: string, startFlag = false) => api.fx.svc.agents.report({
      agentType, host, binary: `neutron-${host}`, topic: 'N/A', configurations: { devices: 2 }, startFlag,
    });

    before(async () => {
      api = await startNetworkApi(target, TEST_AUTH.admin.projectId, { agentDownTime: 75 });
    });
    after(async () => api.close());

    test('a reporting agent is listed with Neutron\'s fields, alive, and shown by id', async () => {
      const row = await report(AGENT_TYPES.linuxbridge, 'node-a', true);
      const listed = (await answered(call('admin', 'GET', `/agents?host=node-a`), 200)).agents;
      assert.equal(listed.length, 1);
      const a = listed[0];
      assert.equal(a.id, row.id);
      assert.equal(a.agent_type, 'Linux bridge agent');
      assert.equal(a.binary, 'neutron-node-a');
      assert.equal(a.host, 'node-a');
      assert.equal(a.topic, 'N/A');
      assert.equal(a.admin_state_up, true);
      assert.equal(a.alive, true);
      assert.equal(a.description, '');
      assert.deepEqual(a.configurations, { devices: 2 });
      for (const f of ['created_at', 'started_at', 'heartbeat_timestamp']) assert.match(a[f], NEUTRON_TIME, f);
      const shown = (await answered(call('admin', 'GET', `/agents/${row.id}?fields=id&fields=alive`), 200)).agent;
      assert.deepEqual(shown, { id: row.id, alive: true });
    });

    test('a second report moves the heartbeat on and keeps one row per agent type and host', async () => {
      const first = await report(AGENT_TYPES.dhcp, 'node-b', true);
      const again = await report(AGENT_TYPES.dhcp, 'node-b');
      assert.equal(again.id, first.id);
      assert.equal(again.started_at, first.started_at);
      assert.ok(again.heartbeat_timestamp >= first.heartbeat_timestamp);
      const listed = (await answered(call('admin', 'GET', `/agents?agent_type=${encodeURIComponent('DHCP agent')}`), 200)).agents;
      assert.deepEqual(listed.map((a: { host: string }) => a.host), ['node-b']);
    });

    test('an agent silent for longer than agent_down_time is not alive, and filters say so', async () => {
      const row = await report(AGENT_TYPES.l3, 'node-c');
      const old = new Date(Date.now() - 76_000).toISOString();
      await api.fx.db.updateTable('neutron_agents').set({ heartbeat_timestamp: old }).where('id', '=', row.id).execute();
      const shown = (await answered(call('admin', 'GET', `/agents/${row.id}`), 200)).agent;
      assert.equal(shown.alive, false);
      const dead = (await answered(call('admin', 'GET', '/agents?alive=false'), 200)).agents.map((a: { id: string }) => a.id);
      assert.deepEqual(dead, [row.id]);
      const alive = (await answered(call('admin', 'GET', '/agents?alive=true'), 200)).agents.map((a: { id: string }) => a.id);
      assert.ok(!alive.includes(row.id));
    });

    test('an admin disables and describes an agent; the next report keeps both', async () => {
      const row = await report(AGENT_TYPES.metadata, 'node-d');
      const updated = (await answered(call('admin', 'PUT', `/agents/${row.id}`, { agent: { admin_state_up: false, description: 'draining' } }), 200)).agent;
      assert.equal(updated.admin_state_up, false);
      assert.equal(updated.description, 'draining');
      await report(AGENT_TYPES.metadata, 'node-d');
      const shown = (await answered(call('admin', 'GET', `/agents/${row.id}`), 200)).agent;
      assert.equal(shown.admin_state_up, false);
      assert.equal(shown.description, 'draining');
      const disabled = (await answered(call('admin', 'GET', '/agents?admin_state_up=false'), 200)).agents.map((a: { id: string }) => a.id);
      assert.deepEqual(disabled, [row.id]);
    });

    test('read-only attributes and unknown ones are refused', async () => {
      const row = await report(AGENT_TYPES.linuxbridge, 'node-e');
      await neutronFault(call('admin', 'PUT', `/agents/${row.id}`, { agent: { host: 'elsewhere' } }), 400);
      await neutronFault(call('admin', 'PUT', `/agents/${row.id}`, { agent: { admin_state_up: 'maybe' } }), 400);
      await neutronFault(call('admin', 'GET', '/agents?colour=red'), 400);
    });

    test('an admin deletes an agent; it is gone until it reports again', async () => {
      const row = await report(AGENT_TYPES.linuxbridge, 'node-f');
      assert.equal((await call('admin', 'DELETE', `/agents/${row.id}`)).status, 204);
      await neutronFault(call('admin', 'GET', `/agents/${row.id}`), 404, 'AgentNotFound');
      await neutronFault(call('admin', 'DELETE', `/agents/${row.id}`), 404, 'AgentNotFound');
      const back = await report(AGENT_TYPES.linuxbridge, 'node-f');
      assert.notEqual(back.id, row.id);
      assert.equal((await answered(call('admin', 'GET', '/agents?host=node-f'), 200)).agents.length, 1);
    });

    test('to a member or reader agents do not exist: an empty list, 404 for show, update and delete', async () => {
      const row = await report(AGENT_TYPES.linuxbridge, 'node-g');
      for (const who of ['demo', 'reader'] as const) {
        assert.deepEqual((await answered(call(who, 'GET', '/agents'), 200)).agents, []);
        await neutronFault(call(who, 'GET', `/agents/${row.id}`), 404, 'AgentNotFound');
        await neutronFault(call(who, 'PUT', `/agents/${row.id}`, { agent: { admin_state_up: false } }), 404, 'AgentNotFound');
        await neutronFault(call(who, 'DELETE', `/agents/${row.id}`), 404, 'AgentNotFound');
      }
      const still = (await answered(call('admin', 'GET', `/agents/${row.id}`), 200)).agent;
      assert.equal(still.admin_state_up, true);
    });

    test('the extension list names the agent extension', async () => {
      const ext = (await answered(call('admin', 'GET', '/extensions/agent'), 200)).extension;
      assert.equal(ext.alias, 'agent');
    });
  });
}
