/** POST /os-server-external-events: per-event codes, 207 on any failure, tags, microversioned names, policy, bad input. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { TEST_AUTH } from '../helpers/auth.js';
import { headers, seedInstance, targets, type TestApi } from './app.js';
import { buildResourcesApi } from './resources-app.js';

for (const target of targets) {
  describe(`server external events (${target.name})`, () => {
    let api: TestApi;
    let onHost: string;
    let noHost: string;
    before(async () => {
      api = await buildResourcesApi(target);
      onHost = await seedInstance(api.db, { projectId: TEST_AUTH.demo.projectId, host: 'h1' });
      noHost = await seedInstance(api.db, { projectId: TEST_AUTH.demo.projectId });
    });
    after(async () => api.close());

    const post = async (body: unknown, who: 'admin' | 'demo' | 'reader' | 'other' = 'admin', version?: string) => {
      const res = await api.app.inject({ method: 'POST', url: '/compute/v2.1/os-server-external-events', headers: headers(who, version), payload: body as object });
      return { status: res.statusCode, json: res.body ? res.json() : undefined };
    };

    test('an event for a server on a host is accepted: 200, the event echoed with status completed and code 200', async () => {
      const res = await post({ events: [{ name: 'network-changed', server_uuid: onHost }] });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { events: [{ name: 'network-changed', server_uuid: onHost, status: 'completed', code: 200 }] });
    });

    test('unknown server 404, server without a host 422, missing tag 400: the answer is 207 with each event\'s code', async () => {
      const missing = randomUUID();
      const res = await post({
        events: [
          { name: 'network-vif-plugged', server_uuid: onHost, tag: 'port-1' },
          { name: 'network-vif-plugged', server_uuid: missing },
          { name: 'network-changed', server_uuid: noHost },
          { name: 'power-update', server_uuid: onHost },
        ],
      }, 'admin', '2.76');
      assert.equal(res.status, 207);
      assert.deepEqual(res.json.events.map((e: { code: number; status: string }) => `${e.code}:${e.status}`), ['200:completed', '404:failed', '422:failed', '400:failed']);
      assert.equal(res.json.events[0].tag, 'port-1');
    });

    test('event names arrive with their microversion; bad bodies are 400', async () => {
      assert.equal((await post({ events: [{ name: 'power-update', server_uuid: onHost, tag: 'POWER_ON' }] }, 'admin', '2.75')).status, 400);
      assert.equal((await post({ events: [{ name: 'power-update', server_uuid: onHost, tag: 'POWER_ON' }] }, 'admin', '2.76')).status, 200);
      for (const body of [{}, { events: [] }, { events: [{ name: 'network-changed' }] }, { events: [{ name: 'nope', server_uuid: onHost }] },
        { events: [{ name: 'network-changed', server_uuid: 'not-a-uuid' }] }, { events: [{ name: 'network-changed', server_uuid: onHost, status: 'weird' }] },
        { events: [{ name: 'network-changed', server_uuid: onHost, extra: 1 }] }]) {
        const res = await post(body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.ok(res.json.badRequest.message);
      }
    });

    test('only administrators (or the service role) may send events', async () => {
      for (const who of ['demo', 'reader', 'other'] as const) {
        assert.equal((await post({ events: [{ name: 'network-changed', server_uuid: onHost }] }, who)).status, 403, who);
      }
    });
  });
}
