/**
 * Hostile input across every service: malformed JSON, wrong JSON types,
 * absurd values, unknown ids. Every answer is a 4xx (or success), never a
 * 5xx, and the cloud keeps serving.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';

let cloud: TestCloud;
before(async () => { cloud = await startTestCloud(); });
after(async () => cloud?.close());

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const ENDPOINTS: Array<[string, string]> = [
  ['POST', '/compute/v2.1/servers'],
  ['PUT', `/compute/v2.1/servers/${UNKNOWN}`],
  ['POST', `/compute/v2.1/servers/${UNKNOWN}/action`],
  ['POST', `/compute/v2.1/servers/${UNKNOWN}/metadata`],
  ['PUT', `/compute/v2.1/servers/${UNKNOWN}/metadata/k`],
  ['POST', '/compute/v2.1/flavors'],
  ['POST', '/compute/v2.1/flavors/1/os-extra_specs'],
  ['POST', '/compute/v2.1/flavors/1/action'],
  ['POST', '/compute/v2.1/os-keypairs'],
  ['PUT', `/compute/v2.1/os-services/${UNKNOWN}`],
  ['POST', '/identity/v3/auth/tokens'],
  ['POST', '/identity/v3/projects'],
  ['POST', '/identity/v3/users'],
  ['PATCH', `/identity/v3/users/${UNKNOWN}`],
  ['POST', '/image/v2/images'],
  ['PATCH', `/image/v2/images/${UNKNOWN}`],
  ['POST', '/network/v2.0/networks'],
  ['POST', '/network/v2.0/subnets'],
  ['POST', '/network/v2.0/ports'],
  ['PUT', `/network/v2.0/ports/${UNKNOWN}`],
  ['POST', '/placement/resource_providers'],
  ['PUT', `/placement/resource_providers/${UNKNOWN}/inventories`],
  ['PUT', `/placement/allocations/${UNKNOWN}`],
  ['POST', '/placement/allocations'],
];

const BODIES: string[] = [
  '{', '[]', 'null', '"text"', '42', '{}', '{"a":', '\u0000',
  '{"server": null}', '{"server": []}', '{"server": {"name": {"$ne": 1}, "flavorRef": [1]}}',
  '{"server": {"name": "x", "flavorRef": "1", "min_count": 1e309, "max_count": -5}}',
  '{"flavor": {"name": "x", "ram": 1e20, "vcpus": -1, "disk": "a lot"}}',
  '{"keypair": {"name": "' + 'k'.repeat(10000) + '"}}',
  '{"auth": {"identity": {"methods": ["password"], "password": {"user": null}}}}',
  '{"network": {"name": ["x"], "admin_state_up": "maybe"}}',
  '{"subnet": {"cidr": "999.1.1.1/99", "ip_version": 4, "network_id": "' + UNKNOWN + '"}}',
  '{"port": {"network_id": null, "fixed_ips": "all"}}',
  '{"inventories": {"VCPU": {"total": -1}}, "resource_provider_generation": "zero"}',
  '{"allocations": {"' + UNKNOWN + '": {"resources": {"VCPU": 1.5}}}, "project_id": 1, "user_id": []}',
  '[{"op": "replace", "path": "/name"}]',
  '{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}}',
];

test('no combination of hostile bodies and endpoints gets a 5xx', async () => {
  const admin = await cloud.token('admin');
  const failures: string[] = [];
  for (const [method, path] of ENDPOINTS) {
    for (const body of BODIES) {
      for (const contentType of ['application/json', 'application/openstack-images-v2.1-json-patch']) {
        if (contentType !== 'application/json' && !path.startsWith('/image')) continue;
        const res = await fetch(cloud.url + path, {
          method, body, headers: { 'x-auth-token': admin, 'content-type': contentType, 'openstack-api-version': path.startsWith('/placement') ? 'placement latest' : 'compute latest' },
        });
        const text = await res.text();
        if (res.status >= 500) failures.push(`${method} ${path} ${body.slice(0, 60)} → ${res.status} ${text.slice(0, 200)}`);
        else if (res.status >= 400) assert.doesNotMatch(text, /\n\s+at .+\.js:\d+/, `${method} ${path}: a stack trace in the body`);
      }
    }
  }
  assert.deepEqual(failures, []);
  const alive = await cloud.request('GET', '/compute/v2.1/servers');
  assert.equal(alive.status, 200);
});

test('unknown paths and methods are 4xx in each service', async () => {
  for (const path of ['/compute/v2.1/nope', '/identity/v3/nope', '/image/v2/nope', '/network/v2.0/nope', '/placement/nope', '/nope']) {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const res = await cloud.request(method, path);
      assert.ok(res.status >= 400 && res.status < 500, `${method} ${path} → ${res.status}`);
    }
  }
});
