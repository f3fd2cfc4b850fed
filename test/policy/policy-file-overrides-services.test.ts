/**
 * An operator's policy.yaml reaches the image and placement APIs of the
 * all-in-one, not only compute and identity: one enforcer holds every
 * service's defaults, and the file overrides any of them by its upstream name.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';

let cloud: TestCloud;
let dir: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-policy-'));
  const policyFile = path.join(dir, 'policy.yaml');
  fs.writeFileSync(policyFile, [
    '"get_images": "role:admin"',
    '"placement:resource_providers:list": "role:reader"',
  ].join('\n'));
  cloud = await startTestCloud({ oslo_policy: { policy_file: policyFile } });
});
after(async () => {
  await cloud?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a policy.yaml rule for Glance\'s get_images decides the image list', async () => {
  const demo = await cloud.request('GET', '/image/v2/images', { who: 'demo' });
  assert.equal(demo.status, 403, JSON.stringify(demo.json));
  assert.equal((await cloud.request('GET', '/image/v2/images', { who: 'admin' })).status, 200);
});

test('a policy.yaml rule for placement opens a route its default keeps to admins', async () => {
  const headers = { 'openstack-api-version': 'placement latest' };
  const demo = await cloud.request('GET', '/placement/resource_providers', { who: 'demo', headers });
  assert.equal(demo.status, 200, JSON.stringify(demo.json));
  const create = await cloud.request('POST', '/placement/resource_providers', { who: 'demo', headers, body: { name: 'not-allowed' } });
  assert.equal(create.status, 403, 'rules the file does not name keep their defaults');
});
