/**
 * The conductor's build_and_run_instance cast to the chosen host is refused
 * by the bus (a broker that went before confirming it): the server does not
 * wait in BUILD for a build that may never come. It leaves the host, goes to
 * ERROR with a fault, and gives back what the scheduler claimed for it; the
 * next create builds as usual. And a build_instances redelivered after its
 * conductor died finishes that attempt's work: a claim made for a server
 * still being scheduled is given back and the server scheduled again; a
 * server already put on a host is built there with its claim, whether or not
 * the first attempt had cast its build.
 */
import { describe, test, before, after } from 'node:test';
import type { SendOptions } from '../../../src/bus/transport.js';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestCloud, type TestCloud } from '../../helpers/cloud.js';
import { allocationsOf, createServer, uploadImage, V237 } from '../../compute/fixtures.js';
import { assertCloudConsistent } from '../../helpers/cloud-consistency.js';
import type { ComputeDb } from '../../../src/compute/db/tables.js';

describe('build_instances when the bus or an earlier attempt gets in the way', () => {
  let cloud: TestCloud;
  let image: string;

  before(async () => {
    cloud = await startTestCloud();
    image = await uploadImage(cloud);
  });
  after(() => cloud?.close());

  const create = (name: string) => createServer(cloud, { name, imageRef: image, flavorRef: '1', networks: 'none' }, { headers: V237 });

  test('a build cast the bus does not take leaves the server ERROR on no host with its claim released, and the next build works', async () => {
    const transport = cloud.transport;
    const send = transport.send.bind(transport);
    let refused = 0;
    transport.send = async (topic, body, opts) => {
      if (topic.startsWith('compute.') && refused === 0) {
        refused++;
        throw new Error('the broker did not confirm the message');
      }
      return send(topic, body, opts);
    };
    try {
      const res = await create('unsent');
      assert.equal(res.status, 202, JSON.stringify(res.json));
      const s = await cloud.waitForServer(res.json.server.id, 'ERROR');
      assert.equal(refused, 1);
      assert.equal(s['OS-EXT-SRV-ATTR:host'], null);
      assert.match(s.fault.message, /could not be sent to its host/);
      assert.doesNotMatch(s.fault.message, /broker did not confirm/, 'no raw exception text');
      assert.deepEqual(await allocationsOf(cloud, s.id), {});
    } finally {
      transport.send = send;
    }
    const next = await create('sent');
    assert.equal(next.status, 202);
    await cloud.waitForServer(next.json.server.id, 'ACTIVE');
    await assertCloudConsistent(cloud);
  });

  // A build_instances handed over again after the conductor that took it died mid-way: that
  // attempt's claim is still held; the second attempt gives it back and schedules again.
  test('a build whose earlier attempt left its claim releases it, schedules again and goes ACTIVE with one allocation', async () => {
    const provider = (await cloud.request('GET', '/placement/resource_providers')).json.resource_providers[0].uuid;
    const transport = cloud.transport;
    const send = transport.send.bind(transport);
    const preClaimed: string[] = [];
    transport.send = async (topic, body, opts) => {
      if (topic === 'conductor' && body.includes('build_instances')) {
        // As a dead conductor's attempt leaves it: the servers being scheduled already hold a claim.
        const db = cloud.database.db as ComputeDb;
        const rows = await db.selectFrom('instances').select(['uuid', 'project_id', 'user_id'])
          .where('vm_state', '=', 'building').where('task_state', '=', 'scheduling').execute();
        for (const r of rows) {
          assert.ok(await cloud.services.placement.claimResources({
            consumerUuid: r.uuid, allocations: { [provider]: { resources: { VCPU: 1, MEMORY_MB: 512 } } }, projectId: r.project_id, userId: r.user_id, consumerGeneration: null,
          }));
          preClaimed.push(r.uuid);
        }
      }
      return send(topic, body, opts);
    };
    try {
      const res = await create('redelivered');
      assert.equal(res.status, 202, JSON.stringify(res.json));
      const s = await cloud.waitForServer(res.json.server.id, 'ACTIVE');
      assert.deepEqual(preClaimed, [s.id]);
      const held = await allocationsOf(cloud, s.id) as Record<string, { resources: Record<string, number> }>;
      // The flavor's claim, not the earlier attempt's made-up one.
      assert.deepEqual(Object.values(held).map((a) => a.resources), [{ VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 }]);
    } finally {
      transport.send = send;
    }
    await assertCloudConsistent(cloud);
  });

  /**
   * Runs a create whose build_instances is delivered twice, as the broker
   * does when the conductor that took it dies before acknowledging it: the
   * second delivery goes once the first attempt's cast to the compute host
   * has happened (`castTaken`) or been lost with it (not). Answers the server.
   */
  async function deliveredTwice(name: string, castTaken: boolean) {
    const transport = cloud.transport;
    const send = transport.send.bind(transport);
    let request: { body: string; opts?: SendOptions } | undefined;
    let casts = 0;
    let firstAttemptDone!: () => void;
    const firstAttempt = new Promise<void>((resolve) => { firstAttemptDone = resolve; });
    transport.send = async (topic, body, opts) => {
      if (topic === 'conductor' && body.includes('build_instances')) request ??= { body, opts };
      if (topic.startsWith('compute.') && body.includes('build_and_run_instance') && ++casts === 1) {
        if (castTaken) await send(topic, body, opts);
        firstAttemptDone();
        return;
      }
      return send(topic, body, opts);
    };
    try {
      const res = await create(name);
      assert.equal(res.status, 202, JSON.stringify(res.json));
      await firstAttempt;
      const placedOn = (await (cloud.database.db as ComputeDb).selectFrom('instances').select('host')
        .where('uuid', '=', res.json.server.id).executeTakeFirstOrThrow()).host;
      assert.ok(placedOn, 'the first attempt recorded the host');
      const claim = await allocationsOf(cloud, res.json.server.id);
      // To a conductor process that never saw it (this one remembers the message's id and would drop it).
      await send('conductor', JSON.stringify({ ...JSON.parse(request!.body), _unique_id: randomUUID() }), request!.opts);
      const s = await cloud.waitForServer(res.json.server.id, 'ACTIVE');
      return { s, placedOn, claim, casts };
    } finally {
      transport.send = send;
    }
  }

  test('a redelivered build whose first attempt placed the server and died before casting its build builds it there with that claim', async () => {
    const { s, placedOn, claim, casts } = await deliveredTwice('placed-not-cast', false);
    assert.equal(casts, 2, 'the build is cast again');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], placedOn);
    assert.deepEqual(await allocationsOf(cloud, s.id), claim, 'the first attempt\'s claim, neither released nor claimed again');
    await assertCloudConsistent(cloud);
  });

  test('a redelivered build whose first attempt had cast its build leaves the build and its claim alone', async () => {
    const { s, placedOn, claim } = await deliveredTwice('placed-and-cast', true);
    assert.equal(s['OS-EXT-SRV-ATTR:host'], placedOn);
    assert.deepEqual(await allocationsOf(cloud, s.id), claim);
    assert.notDeepEqual(claim, {});
    await assertCloudConsistent(cloud);
  });
});
