/**
 * Who sees an instance action's events: before 2.51 only the events policy
 * (admin) does; from 2.51 the server's own project does too, without the
 * traceback, and from 2.62 with the hashed hostId but not the host.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud, type Who } from '../helpers/cloud.js';
import { uploadImage, bootActive, V237 } from './fixtures.js';

let cloud: TestCloud;
let serverId: string;
let requestId: string;

before(async () => {
  cloud = await startTestCloud();
  const image = await uploadImage(cloud);
  const server = await bootActive(cloud, { name: 'ev', imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);
  serverId = server.id;
  const actions = await cloud.request('GET', `/compute/v2.1/servers/${serverId}/os-instance-actions`, { who: 'demo' });
  requestId = actions.json.instanceActions[0].request_id;
});

after(async () => { await cloud?.close(); });

async function action(who: Who, version: string) {
  const res = await cloud.request('GET', `/compute/v2.1/servers/${serverId}/os-instance-actions/${requestId}`, {
    who, headers: { 'OpenStack-API-Version': `compute ${version}` },
  });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json.instanceAction;
}

test("the project's member sees no events before 2.51", async () => {
  assert.equal((await action('demo', '2.50')).events, undefined);
});

test('from 2.51 the member sees the events, without traceback or host', async () => {
  const events = (await action('demo', '2.51')).events;
  assert.ok(events.length > 0);
  for (const e of events) {
    assert.deepEqual(Object.keys(e).sort(), ['event', 'finish_time', 'result', 'start_time']);
  }
  for (const e of (await action('demo', '2.62')).events) {
    assert.equal(typeof e.hostId, 'string');
    assert.equal('host' in e, false);
    assert.equal('traceback' in e, false);
  }
});

test('the admin sees traceback at every version and the host from 2.62', async () => {
  for (const e of (await action('admin', '2.1')).events) assert.ok('traceback' in e && !('host' in e));
  for (const e of (await action('admin', '2.62')).events) assert.ok('traceback' in e && typeof e.host === 'string');
});
