/**
 * POST /os-server-external-events: each event answered on its own (200, 404
 * unknown server, 400 tag missing), 207 when any failed; the event names each
 * microversion knows (2.82 accelerator-request-bound, 2.93 volume-reimaged);
 * only admins and services may send them.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { functionalSuite, startFunctionalCloud, type FunctionalCloud } from '../helpers/functional-cloud.js';
import { bootActive, uploadImage, computeVersion as at } from './fixtures.js';

describe(...functionalSuite('server external events'), () => {
  let cloud: FunctionalCloud;
  let server: string;
  before(async () => {
    cloud = await startFunctionalCloud();
    const image = await uploadImage(cloud);
    server = (await bootActive(cloud, { name: 'evented', imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', at('2.37'))).id;
  });
  after(async () => cloud?.close());

  const send = (events: unknown[], v = '2.1', who: 'admin' | 'demo' = 'admin') =>
    cloud.request('POST', '/compute/v2.1/os-server-external-events', { who, headers: at(v), body: { events } });

  test('an event for a server on a host is accepted: 200 with code 200 and status completed', async () => {
    const res = await send([{ name: 'network-changed', server_uuid: server }]);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json, { events: [{ name: 'network-changed', server_uuid: server, status: 'completed', code: 200 }] });
  });

  test('an unknown server fails that event only, and the answer is 207', async () => {
    const missing = randomUUID();
    const res = await send([{ name: 'network-vif-plugged', server_uuid: server, tag: 'port-1' }, { name: 'network-changed', server_uuid: missing }]);
    assert.equal(res.status, 207);
    assert.deepEqual(res.json.events.map((e: any) => [e.server_uuid, e.code, e.status]), [[server, 200, 'completed'], [missing, 404, 'failed']]);
    assert.equal(res.json.events[0].tag, 'port-1');
  });

  test('accelerator-request-bound is unknown before 2.82, needs a tag from it', async () => {
    const event = { name: 'accelerator-request-bound', server_uuid: server };
    assert.equal((await send([{ ...event, tag: 'arq' }], '2.81')).status, 400);
    const untagged = await send([event], '2.82');
    assert.equal(untagged.status, 207);
    assert.equal(untagged.json.events[0].code, 400);
    const tagged = await send([{ ...event, tag: 'arq' }], '2.82');
    assert.equal(tagged.status, 200);
    assert.equal(tagged.json.events[0].code, 200);
  });

  test('volume-reimaged is known from 2.93', async () => {
    const event = { name: 'volume-reimaged', server_uuid: server, tag: randomUUID() };
    assert.equal((await send([event], '2.92')).status, 400);
    assert.equal((await send([event], '2.93')).status, 200);
  });

  const bad: Array<[string, unknown]> = [
    ['an empty list', { events: [] }],
    ['no events', {}],
    ['a server id that is not a uuid', { events: [{ name: 'network-changed', server_uuid: 'nope' }] }],
    ['an unknown status', { events: [{ name: 'network-changed', server_uuid: randomUUID(), status: 'done' }] }],
    ['an extra field', { events: [{ name: 'network-changed', server_uuid: randomUUID(), colour: 'red' }] }],
  ];
  for (const [what, body] of bad) {
    test(`${what} is a 400 in Nova's schema-error style`, async () => {
      const res = await cloud.request('POST', '/compute/v2.1/os-server-external-events', { body });
      assert.equal(res.status, 400);
      assert.equal(res.json.badRequest.code, 400);
      assert.match(res.json.badRequest.message, /Invalid input|Additional properties|required|events/);
    });
  }

  test('a member may not send events', async () => {
    const res = await send([{ name: 'network-changed', server_uuid: server }], '2.1', 'demo');
    assert.equal(res.status, 403);
  });
});
