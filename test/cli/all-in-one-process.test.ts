/**
 * `kilonova all-in-one` as a user runs it: the ready line and OS_* exports,
 * clouds.yaml, generated passwords kept across restarts, a clean exit on
 * SIGINT/SIGTERM, a one-line error for bad configuration, and the in-process
 * test cloud booting a server through the public APIs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_PASSWORD, DEMO_PASSWORD, runFailingStart, startCloudProcess, startTestCloud } from '../helpers/cloud.js';
import { bootThroughApis, deleteThroughApis } from '../helpers/boot-through-apis.js';

describe('kilonova all-in-one process', { timeout: 120_000 }, () => {
  test('prints the ready line and OS_* exports, writes clouds.yaml, and exits 0 on SIGTERM', async () => {
    const cloud = await startCloudProcess();
    try {
      assert.match(cloud.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(cloud.startMs >= 0);
      const out = cloud.stdout();
      assert.match(out, /^export OS_AUTH_URL=.*\/identity/m);
      assert.match(out, /^export OS_\w+=/m);
      const yaml = fs.readFileSync(path.join(cloud.statePath, 'clouds.yaml'), 'utf8');
      assert.match(yaml, /kilonova:/);
      assert.match(yaml, /kilonova-demo:/);
      assert.deepEqual(cloud.passwords, { admin: ADMIN_PASSWORD, demo: DEMO_PASSWORD });
      assert.ok((await cloud.token('admin')).length > 0);
      assert.ok((await cloud.token('demo')).length > 0);
      // The compute API answers on the same port, authenticated with that token.
      const flavors = await cloud.request('GET', '/compute/v2.1/flavors');
      assert.equal(flavors.status, 200);
      assert.ok(flavors.json.flavors.some((f: any) => f.name === 'm1.tiny'));
    } finally {
      assert.equal(await cloud.stop('SIGTERM'), 0);
    }
  });

  test('exits 0 on SIGINT', async () => {
    const cloud = await startCloudProcess();
    assert.equal(await cloud.stop('SIGINT'), 0);
  });

  test('generates passwords once and keeps them across a restart', async () => {
    const statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-pw-'));
    try {
      const first = await startCloudProcess({ statePath, ownPasswords: true });
      const generated = first.passwords;
      assert.notEqual(generated.admin, ADMIN_PASSWORD);
      assert.ok(generated.admin.length >= 12, 'a generated password is not trivially short');
      assert.notEqual(generated.admin, generated.demo);
      assert.ok(first.stdout().includes(generated.admin), 'a generated password is printed on the first start');
      await first.token('admin');
      assert.equal(await first.stop(), 0);

      const second = await startCloudProcess({ statePath, ownPasswords: true });
      try {
        assert.deepEqual(second.passwords, generated);
        assert.ok((await second.token('admin')).length > 0, 'the first start\'s password still works');
      } finally {
        assert.equal(await second.stop(), 0);
      }
    } finally {
      fs.rmSync(statePath, { recursive: true, force: true });
    }
  });

  test('a bad option value fails at start with a one-line error naming it', async () => {
    const result = await runFailingStart({ env: { KILONOVA_QUOTA__INSTANCES: 'many' } });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /KILONOVA_QUOTA__INSTANCES/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });
});

describe('the in-process test cloud', { timeout: 60_000 }, () => {
  test('boots and deletes a server through the public APIs', async () => {
    const cloud = await startTestCloud();
    try {
      const server = await bootThroughApis(cloud, 'x');
      assert.match(JSON.stringify(server.addresses), /10\.0\.\d+\.\d+/);

      // The admin sees any project's server.
      const asAdmin = await cloud.request('GET', `/compute/v2.1/servers/${server.id}`, { who: 'admin' });
      assert.equal(asAdmin.status, 200);

      await deleteThroughApis(cloud, server.id);
    } finally {
      await cloud.close();
    }
  });

  test('requests without a token are 401', async () => {
    const cloud = await startTestCloud();
    try {
      const res = await cloud.request('GET', '/compute/v2.1/servers', { who: null });
      assert.equal(res.status, 401);
    } finally {
      await cloud.close();
    }
  });
});
