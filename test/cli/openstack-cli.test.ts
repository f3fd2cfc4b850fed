/**
 * The real `openstack` client (python3-openstackclient) against the all-in-one
 * running as a child process: images, flavors, networks and the server life
 * cycle as admin and as the demo user, project isolation, and a restart on the
 * same state path. Only the clouds.yaml the all-in-one writes is used to
 * connect, exactly as a user would.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCloudProcess, type CloudProcess } from '../helpers/cloud.js';
import { openstackCli, skipWithoutOpenstackCli, CliError, haveOpenstackCli } from '../helpers/openstack-cli.js';

describe('openstack CLI against the all-in-one', { skip: skipWithoutOpenstackCli, timeout: 600_000 }, () => {
  let statePath: string;
  let cloud: CloudProcess;
  let imageFile: string;
  const ids: Record<string, string> = {};

  const cli = openstackCli(() => statePath);
  const openstack = cli.run;
  const json = cli.json;

  before(async () => {
    statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-cli-'));
    imageFile = path.join(statePath, 'tiny.img');
    fs.writeFileSync(imageFile, Buffer.alloc(64 * 1024, 0x5a));
    cloud = await startCloudProcess({ statePath });
  });

  after(async () => {
    if (cloud) await cloud.stop();
    if (statePath) fs.rmSync(statePath, { recursive: true, force: true });
  });

  test('the openstack client is installed', () => {
    assert.ok(haveOpenstackCli, 'openstack is not on PATH although CI is set; the test command must install it');
  });

  test('the all-in-one wrote a clouds.yaml with the admin and demo clouds', () => {
    const text = fs.readFileSync(path.join(statePath, 'clouds.yaml'), 'utf8');
    assert.match(text, /kilonova:/);
    assert.match(text, /kilonova-demo:/);
    assert.match(text, new RegExp(cloud.url.replace(/[.]/g, '\\.')));
  });

  test('image create uploads a file and the image becomes active', async () => {
    const image = await json('kilonova', ['image', 'create', '--file', imageFile, '--disk-format', 'raw', '--container-format', 'bare', 'img']);
    assert.equal(image.name, 'img');
    assert.match(image.id, /^[0-9a-f-]{36}$/);
    assert.equal(image.disk_format, 'raw');
    assert.equal(image.container_format, 'bare');
    ids.image = image.id;
    const shown = await json('kilonova', ['image', 'show', 'img']);
    assert.equal(shown.id, ids.image);
    assert.equal(shown.status, 'active');
    assert.equal(Number(shown.size), 64 * 1024);
  });

  test('image list shows the image', async () => {
    const images = await json('kilonova', ['image', 'list']);
    const row = images.find((i: any) => i.Name === 'img');
    assert.ok(row, `img not in ${JSON.stringify(images)}`);
    assert.equal(row.ID, ids.image);
    assert.equal(row.Status, 'active');
  });

  test('flavor list has m1.tiny', async () => {
    const flavors = await json('kilonova', ['flavor', 'list']);
    const tiny = flavors.find((f: any) => f.Name === 'm1.tiny');
    assert.ok(tiny, `m1.tiny not in ${JSON.stringify(flavors)}`);
    assert.equal(Number(tiny.RAM), 512);
    assert.equal(Number(tiny.VCPUs), 1);
  });

  test('network list has the private network', async () => {
    const networks = await json('kilonova', ['network', 'list']);
    const priv = networks.find((n: any) => n.Name === 'private');
    assert.ok(priv, `private not in ${JSON.stringify(networks)}`);
    assert.match(priv.ID, /^[0-9a-f-]{36}$/);
    ids.network = priv.ID;
  });

  test('server create --wait boots s1 to ACTIVE', async () => {
    const server = await json('kilonova', ['server', 'create', '--image', 'img', '--flavor', 'm1.tiny', '--network', 'private', '--wait', 's1']);
    assert.equal(server.name, 's1');
    assert.equal(server.status, 'ACTIVE');
    assert.match(server.id, /^[0-9a-f-]{36}$/);
    ids.s1 = server.id;
  });

  test('server list shows s1 ACTIVE with a 10.0.x address', async () => {
    const servers = await json('kilonova', ['server', 'list']);
    assert.equal(servers.length, 1, JSON.stringify(servers));
    const [s1] = servers;
    assert.equal(s1.ID, ids.s1);
    assert.equal(s1.Name, 's1');
    assert.equal(s1.Status, 'ACTIVE');
    assert.match(JSON.stringify(s1.Networks), /private.*10\.0\.\d+\.\d+/);
  });

  test('server show s1 gives its details', async () => {
    const s = await json('kilonova', ['server', 'show', 's1']);
    assert.equal(s.id, ids.s1);
    assert.equal(s.name, 's1');
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s['OS-EXT-STS:vm_state'], 'active');
    // -f json gives the raw power state (1); the table form shows 'Running'.
    assert.ok([1, 'Running'].includes(s['OS-EXT-STS:power_state']), String(s['OS-EXT-STS:power_state']));
    assert.match(JSON.stringify(s.flavor), /m1\.tiny/);
    assert.match(JSON.stringify(s.image), new RegExp(ids.image));
    assert.match(JSON.stringify(s.addresses), /10\.0\.\d+\.\d+/);
    assert.ok(s.created, 'created is set');
    assert.ok(s.project_id, 'project_id is set');
  });

  test('the demo user boots, lists, shows and deletes a server of its own', async () => {
    const image = await json('kilonova-demo', ['image', 'create', '--file', imageFile, '--disk-format', 'raw', '--container-format', 'bare', 'demo-img']);
    assert.equal(image.name, 'demo-img');
    const created = await json('kilonova-demo', ['server', 'create', '--image', 'demo-img', '--flavor', 'm1.tiny', '--network', 'private', '--wait', 'd1']);
    assert.equal(created.status, 'ACTIVE');

    const servers = await json('kilonova-demo', ['server', 'list']);
    assert.deepEqual(servers.map((s: any) => s.Name), ['d1'], 'the demo user sees only its own server');
    assert.equal(servers[0].Status, 'ACTIVE');
    assert.match(JSON.stringify(servers[0].Networks), /10\.0\.\d+\.\d+/);

    const shown = await json('kilonova-demo', ['server', 'show', 'd1']);
    assert.equal(shown.id, created.id);
    assert.equal(shown.status, 'ACTIVE');
    assert.notEqual(shown.project_id, undefined);

    await openstack('kilonova-demo', ['server', 'delete', '--wait', 'd1']);
    assert.deepEqual(await json('kilonova-demo', ['server', 'list']), []);
  });

  test("the demo user cannot see the admin's server", async () => {
    await assert.rejects(openstack('kilonova-demo', ['server', 'show', ids.s1]), (err: CliError) => {
      assert.ok(err instanceof CliError, String(err));
      assert.match(err.stderr, /No server with a name or ID|could not be found|not found/i);
      return true;
    });
    const list = await json('kilonova-demo', ['server', 'list']);
    assert.ok(!list.some((s: any) => s.ID === ids.s1), 'admin server leaked into the demo list');
  });

  test('server delete --wait removes s1 and server list is empty', async () => {
    await openstack('kilonova', ['server', 'delete', '--wait', 's1']);
    assert.deepEqual(await json('kilonova', ['server', 'list']), []);
  });

  test('a restart on the same state path finds the server, image and network', async () => {
    const s2 = await json('kilonova', ['server', 'create', '--image', 'img', '--flavor', 'm1.tiny', '--network', 'private', '--wait', 's2']);
    assert.equal(s2.status, 'ACTIVE');
    const before = await json('kilonova', ['server', 'show', 's2']);

    assert.equal(await cloud.stop(), 0, 'the all-in-one exits 0 on SIGTERM');
    cloud = await startCloudProcess({ statePath });

    const after = await json('kilonova', ['server', 'show', 's2']);
    assert.equal(after.id, s2.id);
    assert.equal(after.status, 'ACTIVE');
    assert.deepEqual(after.addresses, before.addresses);
    const image = await json('kilonova', ['image', 'show', 'img']);
    assert.equal(image.id, ids.image);
    assert.equal(image.status, 'active');
    const network = await json('kilonova', ['network', 'show', 'private']);
    assert.equal(network.id, ids.network);

    // The restarted cloud still works, not just remembers.
    await openstack('kilonova', ['server', 'delete', '--wait', 's2']);
    assert.deepEqual(await json('kilonova', ['server', 'list']), []);
  });
});
