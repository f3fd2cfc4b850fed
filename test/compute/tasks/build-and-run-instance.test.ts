/**
 * A build whose first state change gets no answer from the conductor (its
 * reply lost while the bus reconnected, or the conductor down) fails like
 * any other build on its host, instead of leaving the server in BUILD with
 * nothing left to move it on.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../../helpers/cloud.js';
import { allocationsOf, createServer, uploadImage, V237 } from '../fixtures.js';
import { RpcTimeout } from '../../../src/bus/rpc.js';
import type { ComputeHostStore } from '../../../src/compute/host-objects/port.js';

describe('a build whose first state change the conductor does not answer', () => {
  let cloud: TestCloud;
  let image: string;

  before(async () => {
    cloud = await startTestCloud();
    image = await uploadImage(cloud);
  });
  after(() => cloud?.close());

  const create = (name: string) => createServer(cloud, { name, imageRef: image, flavorRef: '1', networks: 'none' }, { headers: V237 });

  test('ends ERROR with a fault and its claim released, and the next build works', async () => {
    // The host's store is the conductor's object API on a service host; here it answers in-process.
    const store = (cloud.services.computeManager as unknown as { deps: { store: ComputeHostStore } }).deps.store;
    const save = store.saveInstanceWithEvent.bind(store);
    let unanswered = 0;
    store.saveInstanceWithEvent = async (ctx, uuid, values, expected, event) => {
      if (event.start && unanswered === 0) {
        unanswered++;
        throw new RpcTimeout('conductor', 'save_instance_with_event', 15_000);
      }
      return save(ctx, uuid, values, expected, event);
    };
    try {
      const res = await create('unanswered');
      assert.equal(res.status, 202, JSON.stringify(res.json));
      const s = await cloud.waitForServer(res.json.server.id, 'ERROR', 'admin', 10_000);
      assert.equal(unanswered, 1);
      assert.match(s.fault.message, /aborted: Unexpected error while building the server/);
      assert.deepEqual(await allocationsOf(cloud, s.id), {});
    } finally {
      store.saveInstanceWithEvent = save;
    }
    const next = await create('answered');
    assert.equal(next.status, 202, JSON.stringify(next.json));
    const built = await cloud.waitForServer(next.json.server.id, 'ACTIVE');
    assert.notDeepEqual(await allocationsOf(cloud, built.id), {});
  });
});
