/**
 * Versioned notifications go out as fanout on versioned_notifications.<priority>
 * with Nova's envelope: event_type, payload, publisher, and the request id.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryTransport } from '../../src/bus/memory/transport.js';
import { NOTIFICATION_TOPIC, Notifier, notificationsEnabled, type Notification } from '../../src/bus/notifier.js';
import type { RequestContext } from '../../src/bus/context.js';
import type { Subscription } from '../../src/bus/transport.js';

const ctx: RequestContext = {
  requestId: 'req-8f6b3c2e-1d4a-4b7e-9c0f-2a3b4c5d6e7f', userId: 'user-1', projectId: 'project-1', roles: ['member'],
};

async function waitFor<T>(list: T[], count: number, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (list.length < count) {
    if (Date.now() > deadline) assert.fail(`waited ${ms} ms for ${count} notifications, got ${list.length}`);
    await sleep(2);
  }
}

describe('Notifier', () => {
  let transport: MemoryTransport;
  let notifier: Notifier;
  let info: Notification[];
  let error: Notification[];
  let subs: Subscription[];

  beforeEach(async () => {
    transport = new MemoryTransport();
    notifier = new Notifier(transport, 'nova-compute:host-1');
    info = [];
    error = [];
    subs = [
      await transport.listenFanout(`${NOTIFICATION_TOPIC}.info`, (b) => void info.push(JSON.parse(b))),
      await transport.listenFanout(`${NOTIFICATION_TOPIC}.error`, (b) => void error.push(JSON.parse(b))),
    ];
  });
  afterEach(async () => {
    for (const s of subs) await s.close();
    await transport.close();
  });

  test('a disabled notifier sends nothing: a later enabled one is seen, the disabled one never', async () => {
    await new Notifier(transport, 'nova-compute:host-1', false).info(ctx, 'instance.create.start', {});
    await notifier.info(ctx, 'instance.create.end', {});
    await waitFor(info, 1);
    assert.deepEqual(info.map((n) => n.event_type), ['instance.create.end']);
  });

  test('[oslo_messaging_notifications] driver: empty sends in process only, messagingv2 everywhere, noop nowhere', () => {
    const broker = Object.assign(new MemoryTransport(), { notify: async () => undefined });
    assert.equal(notificationsEnabled('', transport), true);
    assert.equal(notificationsEnabled('', broker), false);
    for (const driver of ['messagingv2', 'messaging']) assert.equal(notificationsEnabled(driver, broker), true);
    assert.equal(notificationsEnabled('noop', transport), false);
  });

  test('the topic prefix is Nova\'s', () => {
    assert.equal(NOTIFICATION_TOPIC, 'versioned_notifications');
  });

  test('info() publishes on versioned_notifications.info with the envelope', async () => {
    const payload = { 'nova_object.name': 'InstanceCreatePayload', 'nova_object.data': { uuid: 'i-1', state: 'building' } };
    const before = Date.now();
    await notifier.info(ctx, 'instance.create.start', payload);
    await waitFor(info, 1);
    const n = info[0];
    assert.equal(n.event_type, 'instance.create.start');
    assert.equal(n.priority, 'INFO');
    assert.equal(n.publisher_id, 'nova-compute:host-1');
    assert.deepEqual(n.payload, payload);
    assert.equal(n.context.request_id, ctx.requestId);
    assert.equal(n.context.user_id, 'user-1');
    assert.equal(n.context.project_id, 'project-1');
    assert.match(n.message_id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const ts = Date.parse(n.timestamp);
    assert.ok(Number.isFinite(ts) && ts >= before - 1000 && ts <= Date.now() + 1000, `timestamp ${n.timestamp}`);
    await sleep(10);
    assert.equal(error.length, 0, 'an info notification reached the error topic');
  });

  test('error() publishes on versioned_notifications.error only', async () => {
    await notifier.error(ctx, 'instance.create.error', { fault: { message: 'No valid host was found.' } });
    await waitFor(error, 1);
    assert.equal(error[0].event_type, 'instance.create.error');
    assert.equal(error[0].priority, 'ERROR');
    assert.deepEqual(error[0].payload, { fault: { message: 'No valid host was found.' } });
    assert.equal(error[0].context.request_id, ctx.requestId);
    await sleep(10);
    assert.equal(info.length, 0);
  });

  test('every listener of the topic gets each notification, each with its own message id', async () => {
    const second: Notification[] = [];
    subs.push(await transport.listenFanout(`${NOTIFICATION_TOPIC}.info`, (b) => void second.push(JSON.parse(b))));
    await notifier.info(ctx, 'instance.create.start', {});
    await notifier.info(ctx, 'instance.create.end', {});
    await waitFor(info, 2);
    await waitFor(second, 2);
    assert.deepEqual(info.map((n) => n.event_type), ['instance.create.start', 'instance.create.end']);
    assert.deepEqual(second.map((n) => n.message_id), info.map((n) => n.message_id));
    assert.notEqual(info[0].message_id, info[1].message_id);
  });

  test('a context without a user (internal work) gives null ids', async () => {
    await notifier.info({ requestId: 'req-internal', userId: null, projectId: null, roles: ['admin'] }, 'service.update', {});
    await waitFor(info, 1);
    assert.deepEqual(info[0].context, { request_id: 'req-internal', user_id: null, project_id: null });
  });

  test('the payload is copied when sent: later changes do not reach listeners', async () => {
    const payload = { state: 'building', tags: ['a'] };
    await notifier.info(ctx, 'instance.update', payload);
    payload.state = 'active';
    payload.tags.push('b');
    await waitFor(info, 1);
    assert.deepEqual(info[0].payload, { state: 'building', tags: ['a'] });
  });

  test('publishing with no listener succeeds and nothing is kept for later', async () => {
    for (const s of subs.splice(0)) await s.close();
    await notifier.info(ctx, 'instance.delete.start', {});
    const late: Notification[] = [];
    subs.push(await transport.listenFanout(`${NOTIFICATION_TOPIC}.info`, (b) => void late.push(JSON.parse(b))));
    await sleep(20);
    assert.deepEqual(late, []);
  });
});
