/**
 * `kilonova all-in-one` with transport_url=rabbit://: the whole boot flow
 * (API → conductor → scheduler → compute) crosses RabbitMQ, in a virtual host
 * of the test's own; a server boots to ACTIVE and is deleted. The ready line
 * shows the bus without its password, and a broker that cannot be reached
 * ends the start with one line.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runFailingStart, startCloudProcess } from '../helpers/cloud.js';
import { bootThroughApis, deleteThroughApis } from '../helpers/boot-through-apis.js';
import { createTestVhost, rabbitmqctl, rabbitSkipReason, type TestVhost } from '../bus/broker.js';

const skip = await rabbitSkipReason();

describe('kilonova all-in-one over rabbit://', { skip, timeout: 180_000 }, () => {
  let vhost: TestVhost;
  before(async () => { vhost = await createTestVhost(); });
  after(async () => { await vhost?.remove(); });

  test('boots a server to ACTIVE and deletes it with every RPC going through RabbitMQ', async () => {
    const cloud = await startCloudProcess({ env: { KILONOVA_DEFAULT__TRANSPORT_URL: vhost.url, KILONOVA_DEFAULT__HOST: 'rabbit-host' }, readyTimeoutMs: 60_000 });
    try {
      assert.match(cloud.stdout(), new RegExp(`bus: rabbit://guest:\\*\\*\\*@127\\.0\\.0\\.1:5672/${vhost.name}`));
      assert.doesNotMatch(cloud.stdout() + cloud.stderr(), /guest:guest@/, 'the password was printed');
      const { stdout } = await rabbitmqctl('list_queues', '-p', vhost.name, 'name');
      const queues = stdout.split('\n').map((l) => l.trim());
      for (const q of ['conductor', 'scheduler', 'compute.rabbit-host']) assert.ok(queues.includes(q), `queue ${q} in ${queues.join(' ')}`);

      const server = await bootThroughApis(cloud, 'over-rabbit', 60_000);
      const asAdmin = await cloud.request('GET', `/compute/v2.1/servers/${server.id}`, { who: 'admin' });
      assert.equal(asAdmin.json.server['OS-EXT-SRV-ATTR:host'], 'rabbit-host');

      await deleteThroughApis(cloud, server.id, 60_000);
    } finally {
      assert.equal(await cloud.stop('SIGTERM'), 0);
    }
  });
});

describe('kilonova all-in-one with an unreachable rabbit://', { timeout: 60_000 }, () => {
  test('gives up after send_timeout with one line naming transport_url, without the password', async () => {
    const result = await runFailingStart({
      env: {
        KILONOVA_DEFAULT__TRANSPORT_URL: 'rabbit://nova:pw-s3cret@127.0.0.1:1/',
        KILONOVA_OSLO_MESSAGING_RABBIT__SEND_TIMEOUT: '1',
        KILONOVA_DEFAULT__COMPUTE_DRIVER: 'fake.FakeDriver',
      },
    });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /kilonova: \[DEFAULT\] transport_url: rabbit:\/\/nova:\*\*\*@127\.0\.0\.1:1\/ is not reachable/);
    assert.doesNotMatch(result.stderr, /pw-s3cret/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });
});
