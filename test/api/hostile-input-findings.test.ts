/**
 * Each hostile request that once got a 500 or a framework's own body, by
 * name: what it must be answered with now. The generated suite beside this
 * file (hostile-input-fuzz) covers every route; these pin the known cases.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloudOn, type TestCloud } from '../helpers/cloud.js';
import { PG_URL, postgresAvailable } from '../helpers/databases.js';
import { bootActive, privateNetworkId, uploadImage } from '../compute/fixtures.js';

const pgAvailable = await postgresAvailable();
if (!pgAvailable && process.env.CI === 'true') throw new Error(`PostgreSQL does not answer at ${PG_URL}, and CI requires it`);

let cloud: TestCloud;
let serverId: string;
let networkId: string;

// Both dialects: some input is harmless to SQLite and an error to PostgreSQL (a NUL, a 64-bit integer).
for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`on ${dialect}`, { skip: dialect === 'postgres' && !pgAvailable ? `PostgreSQL does not answer at ${PG_URL}` : false }, () => {
    before(async () => {
      cloud = await startTestCloudOn(dialect);
      networkId = await privateNetworkId(cloud);
      const image = await uploadImage(cloud);
      serverId = (await bootActive(cloud, { name: 'target', imageRef: image, flavorRef: '1', networks: [{ uuid: networkId }] })).id;
    });
    after(async () => {
      await cloud?.close();
    });

    const deep = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

    async function raw(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
      const res = await fetch(cloud.url + path, {
        method, body,
        headers: { 'x-auth-token': await cloud.token('admin'), 'content-type': 'application/json', 'openstack-api-version': 'compute latest', ...headers },
      });
      const text = await res.text();
      return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
    }

    test('a JSON body nested 5,000 levels deep is a 400 in each service\'s fault body', async () => {
      const cases: Array<[string, string, (j: any) => unknown]> = [
        ['POST', '/compute/v2.1/servers', (j) => j.badRequest.code],
        ['PUT', `/compute/v2.1/servers/${serverId}`, (j) => j.badRequest.code],
        ['POST', `/compute/v2.1/servers/${serverId}/action`, (j) => j.badRequest.code],
        ['POST', `/compute/v2.1/servers/${serverId}/metadata`, (j) => j.badRequest.code],
        ['PATCH', '/identity/v3/users/00000000000000000000000000000000', (j) => j.error.code],
        ['POST', '/image/v2/images', (j) => Number.parseInt(j.code, 10)],
        ['POST', '/network/v2.0/networks', (j) => j.NeutronError.type === 'HTTPBadRequest' && 400],
        ['PUT', `/network/v2.0/networks/${networkId}`, (j) => j.NeutronError.type === 'HTTPBadRequest' && 400],
        ['POST', '/network/v2.0/ports', (j) => j.NeutronError.type === 'HTTPBadRequest' && 400],
        ['POST', '/network/v2.0/subnets', (j) => j.NeutronError.type === 'HTTPBadRequest' && 400],
      ];
      for (const [method, path, code] of cases) {
        const res = await raw(method, path, deep(5000));
        assert.equal(res.status, 400, `${method} ${path}: ${res.text.slice(0, 200)}`);
        assert.equal(code(res.json), 400, `${method} ${path}: ${res.text.slice(0, 200)}`);
        assert.match(res.text, /nested deeper than/);
      }
      // Image patches are parsed by their own media type, with the same limit.
      const patch = await raw('PATCH', '/image/v2/images/00000000-0000-4000-8000-000000000000', `[${deep(5000)}]`,
        { 'content-type': 'application/openstack-images-v2.1-json-patch' });
      assert.equal(patch.status, 400, patch.text.slice(0, 200));
    });

    test('nesting within the limit still reaches the handler', async () => {
      const res = await raw('POST', '/compute/v2.1/servers', `{"server": ${deep(60)}}`);
      assert.equal(res.status, 400);
      assert.doesNotMatch(res.text, /nested deeper/);
    });

    test('prototype words as metadata keys are keys like any other: absent is 404, a URI/body mismatch is 400', async () => {
      for (const key of ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
        const base = `/compute/v2.1/servers/${serverId}/metadata/${key}`;
        const put = await raw('PUT', base, '{"meta":{"k":"v"}}');
        assert.equal(put.status, 400, `PUT ${key}: ${put.text}`);
        assert.match(put.json.badRequest.message, /mismatch/);
        const get = await raw('GET', base);
        assert.equal(get.status, 404, `GET ${key}: ${get.text}`);
        assert.ok(get.json.itemNotFound);
        const del = await raw('DELETE', base);
        assert.equal(del.status, 404, `DELETE ${key}: ${del.text}`);
      }
      // A prototype word that is a real key round-trips.
      const set = await raw('PUT', `/compute/v2.1/servers/${serverId}/metadata/constructor`, '{"meta":{"constructor":"v"}}');
      assert.equal(set.status, 200, set.text);
      const got = await raw('GET', `/compute/v2.1/servers/${serverId}/metadata/constructor`);
      assert.deepEqual(got.json, { meta: { constructor: 'v' } });
      const all = await raw('GET', `/compute/v2.1/servers/${serverId}/metadata`);
      assert.deepEqual(all.json.metadata, { constructor: 'v' });
      assert.equal((await raw('DELETE', `/compute/v2.1/servers/${serverId}/metadata/constructor`)).status, 204);
      // `__proto__` as a body key is refused before any handler sees it.
      const poisoned = await raw('POST', `/compute/v2.1/servers/${serverId}/metadata`, '{"metadata":{"__proto__":{"x":"1"}}}');
      assert.equal(poisoned.status, 400);
    });

    test('prototype words as sort keys and filters are refused with 400, never reach the query builder', async () => {
      for (const path of [
        '/compute/v2.1/servers?sort_key=__proto__', '/compute/v2.1/servers/detail?sort_key=__proto__',
        '/compute/v2.1/servers/detail?sort_key=constructor', '/compute/v2.1/servers?sort_key=toString',
      ]) {
        const res = await raw('GET', path);
        assert.equal(res.status, 400, `${path}: ${res.text}`);
        assert.ok(res.json.badRequest, path);
      }
      for (const resource of ['networks', 'ports', 'subnets']) {
        for (const query of ['sort_key=__proto__', 'sort_key=constructor', 'constructor=1', '__proto__=1', 'toString=x', 'hasOwnProperty=1']) {
          const res = await raw('GET', `/network/v2.0/${resource}?${query}`);
          assert.equal(res.status, 400, `${resource}?${query}: ${res.text}`);
          assert.equal(res.json.NeutronError.type, 'HTTPBadRequest');
        }
      }
    });

    test('a limit past any integer column is "all", and an integer filter past 32 bits is a 400', async () => {
      for (const resource of ['networks', 'ports', 'subnets']) {
        const res = await raw('GET', `/network/v2.0/${resource}?limit=99999999999999999999`);
        assert.equal(res.status, 200, `${resource}: ${res.text}`);
        assert.ok(Array.isArray(res.json[resource]));
      }
      const nets = await raw('GET', '/network/v2.0/networks?limit=99999999999999999999');
      const all = await raw('GET', '/network/v2.0/networks');
      assert.equal(nets.json.networks.length, all.json.networks.length);
      const mtu = await raw('GET', '/network/v2.0/networks?mtu=99999999999999999999');
      assert.equal(mtu.status, 400, mtu.text);
      const servers = await raw('GET', '/compute/v2.1/servers?limit=99999999999999999999');
      assert.equal(servers.status, 200);
      const service = await raw('DELETE', '/compute/v2.1/os-services/99999999999999999999', undefined, { 'openstack-api-version': 'compute 2.1' });
      assert.equal(service.status, 404, service.text);
    });

    test('URL and routing errors are OpenStack faults in the style of the service the path names', async () => {
      const cases: Array<[string, number, (j: any) => unknown]> = [
        ['/compute/v2.1/servers/%', 400, (j) => j.badRequest?.code],
        ['/compute/v2.1/servers/%zz/metadata', 400, (j) => j.badRequest?.code],
        [`/compute/v2.1/servers/${'x'.repeat(2000)}`, 404, (j) => j.itemNotFound?.code],
        ['/network/v2.0/networks/%', 400, (j) => j.NeutronError?.type === 'HTTPBadRequest' && 400],
        [`/network/v2.0/networks/${'x'.repeat(2000)}`, 404, (j) => j.NeutronError?.type === 'HTTPNotFound' && 404],
        ['/identity/v3/users/%', 400, (j) => j.error?.code],
        ['/image/v2/images/%', 400, (j) => Number.parseInt(j.code, 10)],
        ['/placement/resource_providers/%', 400, (j) => j.errors?.[0]?.status],
        ['/nope', 404, (j) => j.itemNotFound?.code],
        ['/nope/%zz', 400, (j) => j.badRequest?.code],
        ['/compute/nope', 404, (j) => j.itemNotFound?.code],
      ];
      for (const [path, status, code] of cases) {
        const res = await raw('GET', path, undefined, { 'openstack-api-version': 'placement latest' });
        assert.equal(res.status, status, `${path}: ${res.text.slice(0, 200)}`);
        assert.equal(code(res.json), status, `${path}: ${res.text.slice(0, 200)}`);
        assert.doesNotMatch(res.text, /FST_ERR|statusCode/, path);
        assert.ok(res.text.length < 1000, `${path}: the fault does not echo the whole URL`);
      }
    });

    test('an empty body with a JSON content type is no body: operations that take none succeed', async () => {
      const demoUser = (await cloud.request('GET', '/identity/v3/users?name=demo')).json.users[0].id;
      const adminProject = (await cloud.request('GET', '/identity/v3/projects?name=admin')).json.projects[0].id;
      const member = (await cloud.request('GET', '/identity/v3/roles?name=member')).json.roles[0].id;
      const res = await raw('PUT', `/identity/v3/projects/${adminProject}/users/${demoUser}/roles/${member}`, '', { 'openstack-api-version': '' });
      assert.equal(res.status, 204, res.text);
      const gone = await raw('DELETE', `/identity/v3/projects/${adminProject}/users/${demoUser}/roles/${member}`, '');
      assert.equal(gone.status, 204, gone.text);
      // An operation that needs a body still says so.
      const noBody = await raw('POST', '/compute/v2.1/servers', '');
      assert.equal(noBody.status, 400);
      assert.ok(noBody.json.badRequest);
    });

    test('integers past the database\'s 32-bit columns are refused or clamped before SQL, whatever the database', async () => {
      const placement = { 'openstack-api-version': 'placement latest' };
      for (const n of ['2147483648', '9007199254740993', '99999999999999999999']) {
        const image = await raw('POST', '/image/v2/images', `{"name":"big","min_ram":${n},"min_disk":1}`);
        assert.equal(image.status, 400, `min_ram ${n}: ${image.text.slice(0, 200)}`);
        for (const path of [`/placement/resource_providers?resources=VCPU:${n}`, `/placement/allocation_candidates?resources=VCPU:${n}`]) {
          const res = await raw('GET', path, undefined, placement);
          assert.equal(res.status, 400, `${path}: ${res.text.slice(0, 200)}`);
          assert.equal(res.json.errors[0].status, 400);
        }
        const images = await raw('GET', `/image/v2/images?min_ram=${n}`);
        assert.equal(images.status, 400, images.text.slice(0, 200));
        const hypervisor = await raw('GET', `/compute/v2.1/os-hypervisors/${n}`, undefined, { 'openstack-api-version': 'compute 2.1' });
        assert.equal(hypervisor.status, 404, hypervisor.text.slice(0, 200));
        // A minimum beyond every flavor matches none, as it would in Nova.
        const flavors = await raw('GET', `/compute/v2.1/flavors?minRam=${n}&minDisk=${n}`);
        assert.equal(flavors.status, 200, flavors.text.slice(0, 200));
        assert.deepEqual(flavors.json.flavors, []);
        const negative = await raw('GET', `/compute/v2.1/flavors?minRam=-${n}`);
        assert.equal(negative.status, 200, negative.text.slice(0, 200));
        assert.ok(negative.json.flavors.length > 0);
      }
    });

    test('a NUL in the URL or in a JSON string is a 400, whatever the database', async () => {
      for (const path of [
        '/compute/v2.1/servers/a%00b', '/compute/v2.1/flavors/a%00', '/compute/v2.1/os-keypairs/a%00',
        '/network/v2.0/networks/a%00b', '/network/v2.0/networks?name=a%00', '/image/v2/images/a%00',
        '/identity/v3/users/a%00', '/identity/v3/users?name=a%00', '/placement/resource_providers/a%00',
      ]) {
        const res = await raw('GET', path, undefined, { 'openstack-api-version': 'placement latest' });
        assert.equal(res.status, 400, `${path}: ${res.text.slice(0, 200)}`);
      }
      for (const [method, path, body] of [
        ['POST', '/compute/v2.1/servers', '{"server":{"name":"a\\u0000b","imageRef":"x","flavorRef":"1"}}'],
        ['POST', '/network/v2.0/networks', '{"network":{"name":"a\\u0000b"}}'],
        ['POST', '/image/v2/images', '{"name":"a\\u0000"}'],
        ['POST', '/identity/v3/projects', '{"project":{"name":"a\\u0000"}}'],
        ['POST', '/placement/resource_providers', '{"name":"a\\u0000"}'],
      ]) {
        const res = await raw(method!, path!, body);
        assert.equal(res.status, 400, `${method} ${path}: ${res.text.slice(0, 200)}`);
        assert.match(res.text, /NUL/);
      }
      // An escaped backslash followed by "u0000" is text, not a NUL.
      const text = await raw('POST', '/network/v2.0/networks', '{"network":{"name":"a\\\\u0000b"}}');
      assert.equal(text.status, 201, text.text);
      assert.equal(text.json.network.name, 'a\\u0000b');
      assert.equal((await raw('DELETE', `/network/v2.0/networks/${text.json.network.id}`)).status, 204);
    });
  });
}
