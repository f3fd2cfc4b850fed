/**
 * A build_and_run_instance cast twice for the same server (a conductor died
 * after casting it and the build request was handed to another, which casts
 * it again): the host builds the server once. The second cast, whether it
 * comes while the first build runs or after it ended, changes nothing and
 * gives back nothing: the server keeps its state and its allocation.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestCloud, type TestCloud } from '../../helpers/cloud.js';
import { allocationsOf, createServer, uploadImage, V237 } from '../fixtures.js';
import { assertCloudConsistent } from '../../helpers/cloud-consistency.js';
import type { ComputeHostDeps } from '../../../src/compute/tasks/context.js';

type Work = () => Promise<void>;
interface ManagerInside { deps: ComputeHostDeps; spawnTask(uuid: string, work: Work): void }

describe('a build cast twice to its host', () => {
  let cloud: TestCloud;
  let image: string;

  before(async () => {
    cloud = await startTestCloud();
    image = await uploadImage(cloud);
  });
  after(() => cloud?.close());

  const create = (name: string) => createServer(cloud, { name, imageRef: image, flavorRef: '1', networks: 'none' }, { headers: V237 });

  /**
   * Creates a server whose build is cast a second time, as another conductor
   * would: `when` says whether during the first build (held in spawn) or
   * after it. Answers the server once both casts were handled.
   */
  async function castTwice(name: string, when: 'during' | 'after') {
    const manager = cloud.services.computeManager as unknown as ManagerInside;
    const { deps } = manager;
    const transport = cloud.transport;
    const send = transport.send.bind(transport);
    const spawnTask = manager.spawnTask.bind(manager);
    const spawn = deps.driver.spawn.bind(deps.driver);
    const deleteAllocations = deps.placement.deleteAllocations.bind(deps.placement);
    let cast: { topic: string; body: string } | undefined;
    const handled: Promise<void>[] = [];
    const released: string[] = [];
    let spawns = 0;
    let letSpawnGo!: () => void;
    const spawnMayGo = new Promise<void>((resolve) => { letSpawnGo = resolve; });
    let spawning!: () => void;
    const spawnStarted = new Promise<void>((resolve) => { spawning = resolve; });
    transport.send = async (topic, body, opts) => {
      if (topic.startsWith('compute.') && body.includes('build_and_run_instance')) cast ??= { topic, body };
      return send(topic, body, opts);
    };
    manager.spawnTask = (uuid, work) => {
      handled.push(new Promise<void>((resolve) => spawnTask(uuid, () => work().finally(resolve))));
    };
    deps.driver.spawn = async (args) => {
      spawns++;
      spawning();
      await spawnMayGo;
      return spawn(args);
    };
    deps.placement.deleteAllocations = async (consumer) => {
      released.push(consumer);
      return deleteAllocations(consumer);
    };
    // As the other conductor's own message: one this host's RPC server has not seen.
    const castAgain = () => send(cast!.topic, JSON.stringify({ ...JSON.parse(cast!.body), _unique_id: randomUUID() }));
    try {
      const res = await create(name);
      assert.equal(res.status, 202, JSON.stringify(res.json));
      await spawnStarted;
      if (when === 'during') await castAgain();
      letSpawnGo();
      const built = await cloud.waitForServer(res.json.server.id, 'ACTIVE');
      const claim = await allocationsOf(cloud, built.id);
      if (when === 'after') await castAgain();
      await until(() => handled.length === 2);
      await Promise.all(handled);
      return { server: built, claim, spawns, released };
    } finally {
      transport.send = send;
      manager.spawnTask = spawnTask;
      deps.driver.spawn = spawn;
      deps.placement.deleteAllocations = deleteAllocations;
    }
  }

  for (const when of ['during', 'after'] as const) {
    test(`cast again ${when} the first build: built once, ACTIVE with its allocation`, async () => {
      const { server, claim, spawns, released } = await castTwice(`twice-${when}`, when);
      assert.equal(spawns, 1);
      assert.deepEqual(released, []);
      const now = await cloud.request('GET', `/compute/v2.1/servers/${server.id}`);
      assert.equal(now.json.server.status, 'ACTIVE');
      assert.equal(now.json.server['OS-EXT-STS:task_state'], null);
      assert.notDeepEqual(claim, {});
      assert.deepEqual(await allocationsOf(cloud, server.id), claim);
      await assertCloudConsistent(cloud);
    });
  }
});

async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('the second cast was never handled');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
