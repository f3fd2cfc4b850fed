/** Bad requests get the right 4xx with Nova's error body, and leave nothing half-created. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { createServer, privateNetworkId, uploadImage, V237 } from './fixtures.js';

describe('server create bad input', () => {
  let cloud: TestCloud;
  let image: string;
  let net: string;

  before(async () => {
    cloud = await startTestCloud({ quota: { instances: 2, cores: -1, ram: -1 } });
    image = await uploadImage(cloud);
    net = await privateNetworkId(cloud);
  });
  after(async () => cloud?.close());

  async function counts() {
    const servers = await cloud.request('GET', '/compute/v2.1/servers?all_tenants=1');
    const ports = await cloud.request('GET', '/network/v2.0/ports');
    return { servers: servers.json.servers.length, ports: ports.json.ports.length };
  }

  const rawPost = async (body: string, contentType = 'application/json') => {
    const res = await fetch(`${cloud.url}/compute/v2.1/servers`, {
      method: 'POST', body, headers: { 'x-auth-token': await cloud.token('admin'), 'content-type': contentType },
    });
    return { status: res.status, json: await res.json() as any };
  };

  test('malformed JSON is 400 badRequest', async () => {
    const res = await rawPost('{"server": {');
    assert.equal(res.status, 400);
    assert.equal(res.json.badRequest.code, 400);
  });

  test('an unsupported media type is 415 badMediaType', async () => {
    const res = await rawPost('<server/>', 'application/xml');
    assert.equal(res.status, 415);
    assert.ok(res.json.badMediaType);
  });

  const cases: Array<[string, Record<string, unknown>, number, RegExp, Record<string, string>?]> = [
    ['a missing name', { flavorRef: '1' }, 400, /'name' is a required property/],
    ['a name of the wrong type', { name: 42, flavorRef: '1' }, 400, /name/],
    ['a blank name', { name: '  ', flavorRef: '1' }, 400, /name/],
    ['an unknown property', { name: 'x', flavorRef: '1', colour: 'red' }, 400, /colour/],
    ['an unknown flavor', { name: 'x', flavorRef: 'no-such-flavor', imageRef: 'IMAGE' }, 400, /Flavor no-such-flavor could not be found/],
    ['an unknown image', { name: 'x', flavorRef: '1', imageRef: '6e2a7a46-7b0e-4fc1-9d0a-1d8f7f0c0e11' }, 400, /Image 6e2a7a46-7b0e-4fc1-9d0a-1d8f7f0c0e11 could not be found/],
    ['an unknown network', { name: 'x', flavorRef: '1', imageRef: 'IMAGE', networks: [{ uuid: '6e2a7a46-7b0e-4fc1-9d0a-1d8f7f0c0e12' }] }, 400, /6e2a7a46-7b0e-4fc1-9d0a-1d8f7f0c0e12/],
    ['a malformed network uuid', { name: 'x', flavorRef: '1', imageRef: 'IMAGE', networks: [{ uuid: 'not-a-uuid' }] }, 400, /network uuid/],
    ['an unknown key pair', { name: 'x', flavorRef: '1', imageRef: 'IMAGE', key_name: 'nokey' }, 400, /Invalid key_name/],
    ['user data that is not base64', { name: 'x', flavorRef: '1', imageRef: 'IMAGE', user_data: '%%%not base64%%%' }, 400, /base 64/],
    ['min_count above max_count', { name: 'x', flavorRef: '1', imageRef: 'IMAGE', min_count: 3, max_count: 2 }, 400, /min_count/],
    ['metadata with a non-string value', { name: 'x', flavorRef: '1', imageRef: 'IMAGE', metadata: { a: 1 } }, 400, /metadata|a/],
    ['an unknown availability zone', { name: 'x', flavorRef: '1', imageRef: 'IMAGE', availability_zone: 'mars' }, 400, /availability zone/],
    ['no networks at 2.37', { name: 'x', flavorRef: '1', imageRef: 'IMAGE' }, 400, /networks/, V237],
    ['more servers than the quota allows', { name: 'x', flavorRef: '1', imageRef: 'IMAGE', min_count: 3 }, 403, /Quota exceeded for instances: Requested 3, but already used 0 of 2 instances/],
  ];

  for (const [what, server, status, message, headers] of cases) {
    test(`${what} is ${status} and creates nothing`, async () => {
      const before = await counts();
      const body = JSON.parse(JSON.stringify(server).replace('"IMAGE"', JSON.stringify(image)));
      const res = await createServer(cloud, body, { headers });
      assert.equal(res.status, status, JSON.stringify(res.json));
      const fault = Object.values(res.json)[0] as { code: number; message: string };
      assert.equal(fault.code, status);
      assert.match(fault.message, message);
      assert.deepEqual(await counts(), before);
    });
  }

  test('an invalid microversion is 406, a malformed one 400', async () => {
    const tooNew = await cloud.request('GET', '/compute/v2.1/servers', { headers: { 'openstack-api-version': 'compute 2.999' } });
    assert.equal(tooNew.status, 406);
    assert.match(JSON.stringify(tooNew.json), /Version 2.999 is not supported by the API/);
    const legacy = await cloud.request('GET', '/compute/v2.1/servers', { headers: { 'x-openstack-nova-api-version': '1.0' } });
    assert.equal(legacy.status, 406);
    const bad = await cloud.request('GET', '/compute/v2.1/servers', { headers: { 'openstack-api-version': 'compute two' } });
    assert.equal(bad.status, 400);
    const latest = await cloud.request('GET', '/compute/v2.1/servers', { headers: { 'openstack-api-version': 'compute latest' } });
    assert.equal(latest.status, 200);
    assert.match(latest.headers.get('openstack-api-version') ?? '', /^compute 2\.\d+$/);
    assert.match(latest.headers.get('vary') ?? '', /OpenStack-API-Version/);
  });

  test('bad list parameters are 400', async () => {
    assert.equal((await cloud.request('GET', '/compute/v2.1/servers?limit=abc')).status, 400);
    assert.equal((await cloud.request('GET', '/compute/v2.1/servers?limit=-1')).status, 400);
    assert.equal((await cloud.request('GET', '/compute/v2.1/servers?marker=6e2a7a46-7b0e-4fc1-9d0a-1d8f7f0c0e13')).status, 400);
    assert.equal((await cloud.request('GET', '/compute/v2.1/servers?sort_key=password')).status, 400);
  });

  test('an unknown server is 404 itemNotFound', async () => {
    const res = await cloud.request('GET', '/compute/v2.1/servers/6e2a7a46-7b0e-4fc1-9d0a-1d8f7f0c0e14');
    assert.equal(res.status, 404);
    assert.match(res.json.itemNotFound.message, /could not be found/);
  });

  test('within quota, servers are created; the next one is refused', async () => {
    const ok = await createServer(cloud, { name: 'q', imageRef: image, flavorRef: '1', networks: [{ uuid: net }], min_count: 2 });
    assert.equal(ok.status, 202);
    const over = await createServer(cloud, { name: 'q3', imageRef: image, flavorRef: '1', networks: [{ uuid: net }] });
    assert.equal(over.status, 403);
    assert.match(over.json.forbidden.message, /Quota exceeded for instances/);
  });
});
