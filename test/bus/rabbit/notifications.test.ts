/**
 * Over rabbit://, what Kilonova publishes reads as OpenStack's own traffic:
 * notifications wait in the versioned_notifications.<priority> queues bound
 * to the control exchange ('nova'), and every body is oslo.messaging's 2.0
 * envelope around a message with the flattened request context. Read here
 * with a plain AMQP client, as an OpenStack notification consumer would.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp, { type GetMessage } from 'amqplib';
import { RabbitTransport } from '../../../src/bus/rabbit/transport.js';
import { Notifier } from '../../../src/bus/notifier.js';
import { RpcClient } from '../../../src/bus/rpc.js';
import type { RequestContext } from '../../../src/bus/context.js';
import { createTestVhost, RABBIT_HOST, RABBIT_PORT, rabbitSkipReason, type TestVhost } from '../broker.js';

const skip = await rabbitSkipReason();
const ctx: RequestContext = { requestId: 'req-5e0c7a52-3f0e-4d5b-8a51-0d4f4b0b9e11', userId: 'user-1', projectId: 'project-1', roles: ['member'] };

describe('rabbit:// on the wire', { skip }, () => {
  let vhost: TestVhost;
  let t: RabbitTransport;
  let raw: amqp.ChannelModel;
  let ch: amqp.Channel;
  before(async () => {
    vhost = await createTestVhost();
    t = new RabbitTransport(vhost.url, { controlExchange: 'nova' });
    raw = await amqp.connect({ hostname: RABBIT_HOST, port: RABBIT_PORT, username: 'guest', password: 'guest', vhost: vhost.name });
    ch = await raw.createChannel();
  });
  after(async () => {
    await raw?.close().catch(() => undefined);
    await t?.close();
    await vhost?.remove();
  });

  async function getOne(queue: string): Promise<GetMessage> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const m = await ch.get(queue, { noAck: true });
      if (m) return m;
      if (Date.now() > deadline) assert.fail(`nothing arrived in ${queue}`);
      await sleep(10);
    }
  }

  function envelope(m: GetMessage): Record<string, unknown> {
    const outer = JSON.parse(m.content.toString('utf8')) as Record<string, unknown>;
    assert.equal(outer['oslo.version'], '2.0');
    assert.equal(typeof outer['oslo.message'], 'string');
    return JSON.parse(outer['oslo.message'] as string) as Record<string, unknown>;
  }

  test('a notification published with no consumer waits in versioned_notifications.info on the nova exchange', async () => {
    await new Notifier(t, 'nova-compute:host-1').info(ctx, 'instance.create.end', { 'nova_object.name': 'InstanceCreatePayload' });
    await ch.checkExchange('nova');
    const m = await getOne('versioned_notifications.info');
    assert.equal(m.fields.exchange, 'nova');
    assert.equal(m.fields.routingKey, 'versioned_notifications.info');
    const n = envelope(m);
    assert.equal(n.event_type, 'instance.create.end');
    assert.equal(n.priority, 'INFO');
    assert.equal(n.publisher_id, 'nova-compute:host-1');
    assert.deepEqual(n.payload, { 'nova_object.name': 'InstanceCreatePayload' });
    assert.equal(n._context_request_id, ctx.requestId);
    assert.equal(n._context_project_id, 'project-1');
  });

  test('error notifications go to versioned_notifications.error', async () => {
    await new Notifier(t, 'nova-compute:host-1').error(ctx, 'instance.create.error', { fault: 'x' });
    const n = envelope(await getOne('versioned_notifications.error'));
    assert.equal(n.event_type, 'instance.create.error');
    assert.equal(n.priority, 'ERROR');
  });

  test('a cast to compute.<host> is queued as Nova\'s: queue named after the topic, oslo fields in the envelope', async () => {
    const rpc = new RpcClient(t, 1000);
    try {
      await rpc.cast(ctx, 'compute.host-1', 'build_and_run_instance', { instance: { uuid: 'i-1' } }, { version: '6.0' });
      const m = await getOne('compute.host-1');
      assert.equal(m.fields.exchange, 'nova');
      assert.equal(m.properties.contentType, 'application/json');
      const msg = envelope(m);
      assert.equal(msg.method, 'build_and_run_instance');
      assert.deepEqual(msg.args, { instance: { uuid: 'i-1' } });
      assert.equal(msg.version, '6.0');
      assert.equal(msg._context_request_id, ctx.requestId);
      assert.deepEqual(msg._context_roles, ['member']);
      assert.match(String(msg._unique_id), /^[0-9a-f]{32}$/);
      assert.equal(msg._msg_id, undefined, 'a cast asks for no reply');
    } finally {
      await rpc.close();
    }
  });

  test('a fanout goes to the <topic>_fanout exchange', async () => {
    const got: string[] = [];
    const sub = await t.listenFanout('scheduler', (b) => void got.push(b));
    await ch.checkExchange('scheduler_fanout');
    await t.fanout('scheduler', 'update_instance_info');
    const deadline = Date.now() + 10_000;
    while (got.length === 0 && Date.now() < deadline) await sleep(10);
    assert.deepEqual(got, ['update_instance_info']);
    await sub.close();
  });
});
