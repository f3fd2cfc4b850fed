/**
 * rebuild: the guest is made again from a new image on its host, passing
 * through REBUILD; the request's name, metadata, key pair (2.54) and user
 * data (2.57) replace the old; the response is Nova's rebuild view with the
 * new adminPass. 400 per microversion, 403, 404 and 409 as Nova answers.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { functionalSuite, inProcessOnly, startFunctionalCloud, type FunctionalCloud, type NotificationLog } from '../helpers/functional-cloud.js';
import { actionStatusWithToken, bootActive, readerToken, uploadImage, V237, computeVersion as mv } from './fixtures.js';
const SPAWN_MS = 150;

describe(...functionalSuite('rebuild'), () => {
  let cloud: FunctionalCloud;
  let imageA: string;
  let imageB: string;
  let notifications: NotificationLog;

  before(async () => {
    // Spawns take a little while, so the transitional REBUILD status can be seen.
    cloud = await startFunctionalCloud({ fake_driver: { spawn_delay_ms: String(SPAWN_MS) } });
    imageA = await uploadImage(cloud, 'image-a');
    imageB = await uploadImage(cloud, 'image-b');
    notifications = await cloud.collectNotifications();
    await cloud.request('POST', '/compute/v2.1/os-keypairs', { who: 'demo', body: { keypair: { name: 'demo-key' } } });
  });
  after(async () => cloud?.close());

  const act = (id: string, body: unknown, who: 'admin' | 'demo' = 'demo', version = '2.57') =>
    cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { who, body, headers: mv(version) });
  const boot = (name: string, extra: Record<string, unknown> = {}) =>
    bootActive(cloud, { name, imageRef: imageA, flavorRef: '1', networks: 'none', ...extra }, 'demo', V237);

  test('rebuild to another image passes through REBUILD to ACTIVE and replaces name, metadata, key and user data', async () => {
    const server = await boot('before', { metadata: { old: '1' }, key_name: 'demo-key' });
    const res = await act(server.id, {
      rebuild: { imageRef: imageB, name: 'after', metadata: { fresh: 'yes' }, adminPass: 'Rebuilt-1', key_name: null, user_data: 'IyEvYmluL3NoCg==' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const s = res.json.server;
    assert.equal(s.id, server.id);
    assert.equal(s.adminPass, 'Rebuilt-1');
    assert.equal(s.name, 'after');
    assert.equal(s.image.id, imageB);
    assert.deepEqual(s.metadata, { fresh: 'yes' });
    assert.equal(s.key_name, null);
    assert.equal(s.user_data, 'IyEvYmluL3NoCg==');
    assert.equal(s.status, 'REBUILD');
    // Before 2.75 Nova's rebuild view leaves out the extended attributes.
    assert.equal('OS-EXT-STS:vm_state' in s, false);
    assert.equal('security_groups' in s, false);
    assert.match(res.headers.get('location') ?? '', new RegExp(`/compute/v2.1/servers/${server.id}$`));

    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
    const rid = res.headers.get('x-compute-request-id');
    const action = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions/${rid}`)).json.instanceAction;
    assert.equal(action.action, 'rebuild');
    assert.deepEqual(action.events.map((e: any) => `${e.event}:${e.result}`), ['compute_rebuild_instance:Success']);
    assert.deepEqual(await notifications.eventTypesOf(rid, 2), ['instance.rebuild.start', 'instance.rebuild.end']);
    // The fake driver's call log is readable only where the driver runs in this process.
    if (cloud.allInOne) assert.deepEqual(cloud.allInOne.fakeDriver!.calls.filter((c) => c.uuid === server.id).map((c) => c.method), ['spawn', 'destroy', 'spawn']);
    const shown = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}`, { who: 'demo', headers: mv('2.57') })).json.server;
    assert.equal(shown.image.id, imageB);
    assert.equal(shown.name, 'after');
    assert.equal(shown.key_name, null);
  });

  test('from 2.75 the rebuild view is the full server; without adminPass one is generated', async () => {
    const server = await boot('full-view');
    const res = await act(server.id, { rebuild: { imageRef: imageA } }, 'demo', '2.75');
    assert.equal(res.status, 202);
    assert.equal(res.json.server['OS-EXT-STS:task_state'], 'rebuilding');
    assert.ok(Array.isArray(res.json.server.security_groups));
    // Since 2.71 the rebuilt server names its server groups, as GET does.
    assert.deepEqual(res.json.server.server_groups, []);
    assert.equal(typeof res.json.server.adminPass, 'string');
    assert.ok(res.json.server.adminPass.length >= 8);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
  });

  test('a stopped server is rebuilt and stays stopped', async () => {
    const server = await boot('stopped');
    assert.equal((await act(server.id, { 'os-stop': null })).status, 202);
    await cloud.waitForServer(server.id, 'SHUTOFF', 'demo');
    assert.equal((await act(server.id, { rebuild: { imageRef: imageB } })).status, 202);
    const deadline = Date.now() + 10_000;
    let shown: any;
    while (Date.now() < deadline) {
      shown = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}`, { who: 'demo' })).json.server;
      if (shown['OS-EXT-STS:task_state'] === null) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(shown.status, 'SHUTOFF');
    assert.equal(shown['OS-EXT-STS:power_state'], 4);
    assert.equal(shown.image.id, imageB);
  });

  test('a spawn that fails during the rebuild leaves the server in ERROR with a fault', inProcessOnly('injects the failure into the fake driver'), async () => {
    const server = await boot('rebuild-fails');
    cloud.allInOne!.fakeDriver!.failNextSpawns(1, 'injected rebuild failure');
    assert.equal((await act(server.id, { rebuild: { imageRef: imageB } })).status, 202);
    const deadline = Date.now() + 10_000;
    let shown: any;
    while (Date.now() < deadline) {
      shown = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}`, { who: 'demo' })).json.server;
      if (shown.status === 'ERROR') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(shown.status, 'ERROR');
    assert.match(shown.fault.message, /injected rebuild failure/);
    // An ERROR server may be rebuilt back to ACTIVE.
    assert.equal((await act(server.id, { rebuild: { imageRef: imageA } })).status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
  });

  test('400 in Nova\'s schema-error style per microversion, and for an image or key pair that does not exist', async () => {
    const server = await boot('bad-rebuilds');
    const cases: Array<[string, unknown, RegExp]> = [
      ['2.57', { rebuild: {} }, /'imageRef' is a required property/],
      ['2.57', { rebuild: { imageRef: 'not-a-uuid' } }, /Invalid input for field\/attribute imageRef/],
      ['2.57', { rebuild: { imageRef: imageB, personality: [] } }, /Additional properties are not allowed \('personality' was unexpected\)/],
      ['2.56', { rebuild: { imageRef: imageB, user_data: 'eA==' } }, /'user_data' was unexpected/],
      ['2.53', { rebuild: { imageRef: imageB, key_name: 'demo-key' } }, /'key_name' was unexpected/],
      ['2.18', { rebuild: { imageRef: imageB, description: 'd' } }, /'description' was unexpected/],
      ['2.57', { rebuild: { imageRef: imageB, preserve_ephemeral: 'maybe' } }, /preserve_ephemeral/],
      ['2.57', { rebuild: { imageRef: '00000000-0000-4000-8000-000000000000' } }, /Cannot find image for rebuild/],
      ['2.57', { rebuild: { imageRef: imageB, key_name: 'no-such-key' } }, /Invalid key_name provided/],
      ['2.62', { rebuild: { imageRef: imageB, trusted_image_certificates: ['x'] } }, /'trusted_image_certificates' was unexpected/],
    ];
    for (const [version, body, message] of cases) {
      const res = await act(server.id, body, 'demo', version);
      assert.equal(res.status, 400, `${version} ${JSON.stringify(body)}: ${JSON.stringify(res.json)}`);
      assert.match(res.json.badRequest.message, message);
    }
    // 2.63 takes trusted certificates (and does nothing with them: Kilonova does not verify image signatures).
    assert.equal((await act(server.id, { rebuild: { imageRef: imageB, trusted_image_certificates: null } }, 'demo', '2.63')).status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
  });

  test('409 while paused or locked (for the owner), 404 for another project, 403 for a reader', async () => {
    const server = await boot('conflicts');
    assert.equal((await act(server.id, { pause: null })).status, 202);
    await cloud.waitForServer(server.id, 'PAUSED', 'demo');
    const paused = await act(server.id, { rebuild: { imageRef: imageB } });
    assert.equal(paused.status, 409);
    assert.match(paused.json.conflictingRequest.message, /Cannot 'rebuild' instance .* while it is in vm_state paused/);
    assert.equal((await act(server.id, { unpause: null })).status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
    assert.equal((await act(server.id, { lock: null }, 'admin')).status, 202);
    assert.equal((await act(server.id, { rebuild: { imageRef: imageB } })).status, 409);
    assert.equal((await act(server.id, { unlock: null }, 'admin')).status, 202);

    const theirs = await bootActive(cloud, { name: 'admins', imageRef: imageA, flavorRef: '1', networks: 'none' }, 'admin', V237);
    assert.equal((await act(theirs.id, { rebuild: { imageRef: imageB } })).status, 404);
    assert.equal(await actionStatusWithToken(cloud, await readerToken(cloud), server.id, { rebuild: { imageRef: imageB } }), 403, 'a reader may not rebuild');
  });
});
