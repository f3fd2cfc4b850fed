/**
 * The body of POST /servers is Nova's create view, not a server view: Tempest
 * validates it against a schema that forbids any other property.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { createServer, privateNetworkId, uploadImage, V237 } from './fixtures.js';

describe('POST /servers response', () => {
  let cloud: TestCloud;
  let image: string;
  let net: string;

  before(async () => {
    cloud = await startTestCloud();
    image = await uploadImage(cloud);
    net = await privateNetworkId(cloud);
  });
  after(async () => cloud?.close());

  for (const [label, headers] of [['2.1', undefined], ['2.37', V237]] as const) {
    test(`has exactly id, links, OS-DCF:diskConfig, security_groups and adminPass at ${label}`, async () => {
      const res = await createServer(cloud, { name: 'shape', imageRef: image, flavorRef: '1', networks: label === '2.1' ? [{ uuid: net }] : 'none' }, { headers });
      assert.equal(res.status, 202, JSON.stringify(res.json));
      const server = res.json.server;
      assert.deepEqual(Object.keys(server).sort(), ['OS-DCF:diskConfig', 'adminPass', 'id', 'links', 'security_groups']);
      assert.equal(server['OS-DCF:diskConfig'], 'MANUAL');
      assert.deepEqual(server.security_groups, [{ name: 'default' }]);
      assert.equal(typeof server.adminPass, 'string');
      const self = server.links.find((l: { rel: string }) => l.rel === 'self');
      assert.match(self.href, new RegExp(`/compute/v2\\.1/servers/${server.id}$`));
      assert.equal(res.headers.get('location'), self.href);
    });
  }

  test('the adminPass given in the request is the one returned', async () => {
    const res = await createServer(cloud, { name: 'pw', imageRef: image, flavorRef: '1', networks: 'none', adminPass: 'chosen-pw' }, { headers: V237 });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    assert.equal(res.json.server.adminPass, 'chosen-pw');
  });

  test('return_reservation_id answers with the reservation id alone', async () => {
    const res = await createServer(cloud, { name: 'many', imageRef: image, flavorRef: '1', networks: 'none', min_count: 2, return_reservation_id: true }, { headers: V237 });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    assert.deepEqual(Object.keys(res.json), ['reservation_id']);
    assert.match(res.json.reservation_id, /^r-[0-9a-z]{8}$/);
  });
});

describe('POST /servers response with [api] enable_instance_password = false', () => {
  let cloud: TestCloud;
  let image: string;

  before(async () => {
    cloud = await startTestCloud({ api: { enable_instance_password: 'false' } });
    image = await uploadImage(cloud);
  });
  after(async () => cloud?.close());

  test('has no adminPass', async () => {
    const res = await createServer(cloud, { name: 'nopw', imageRef: image, flavorRef: '1', networks: 'none' }, { headers: V237 });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    assert.deepEqual(Object.keys(res.json.server).sort(), ['OS-DCF:diskConfig', 'id', 'links', 'security_groups']);
  });
});
