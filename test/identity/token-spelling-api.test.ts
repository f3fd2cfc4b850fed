import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { TOKEN_SPELLINGS, respell } from './token-spellings.js';

/** A GET with exactly these headers (no token of the client's own). */
async function get(cloud: TestCloud, path: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${cloud.url}${path}`, { headers: { accept: 'application/json', ...headers } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

// One route per service: a mangled X-Auth-Token must be refused wherever a token is read.
const GUARDED = [
  '/identity/v3/auth/projects',
  '/compute/v2.1/servers',
  '/network/v2.0/networks',
  '/image/v2/images',
  '/placement/resource_providers',
];

describe('token spelling over HTTP', () => {
  let cloud: TestCloud;
  let demo: string;
  let admin: string;

  before(async () => {
    cloud = await startTestCloud();
    demo = await cloud.token('demo');
    admin = await cloud.token('admin');
  });
  after(() => cloud?.close());

  test('the token as issued is accepted by every service', async () => {
    for (const path of GUARDED) {
      const res = await get(cloud, path, { 'x-auth-token': admin });
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
    }
    const check = await get(cloud, '/identity/v3/auth/tokens', { 'x-auth-token': admin, 'x-subject-token': demo });
    assert.equal(check.status, 200);
  });

  for (const [name, fn] of TOKEN_SPELLINGS) {
    test(`a token with ${name} is 401 as X-Auth-Token at every service`, async () => {
      const bad = respell(admin, fn);
      for (const path of GUARDED) {
        const res = await get(cloud, path, { 'x-auth-token': bad });
        assert.equal(res.status, 401, `${path} took ${JSON.stringify(bad)}`);
      }
    });

    test(`a token with ${name} is not found as X-Subject-Token, as any unknown token`, async () => {
      const bad = respell(demo, fn);
      const res = await get(cloud, '/identity/v3/auth/tokens', { 'x-auth-token': admin, 'x-subject-token': bad });
      // Keystone answers a subject token it cannot validate with TokenNotFound (404), not 401.
      assert.equal(res.status, 404);
      assert.equal(res.body.error.code, 404);
    });

    test(`a token with ${name} cannot be rescoped (401)`, async () => {
      const bad = respell(demo, fn);
      const res = await fetch(`${cloud.url}/identity/v3/auth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ auth: { identity: { methods: ['token'], token: { id: bad } }, scope: { project: { name: 'demo', domain: { id: 'default' } } } } }),
      });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('x-subject-token'), null);
      await res.arrayBuffer();
    });
  }
});
