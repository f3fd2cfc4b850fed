import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { TEST_AUTH } from '../helpers/auth.js';
import { PolicyEnforcer } from '../../src/policy/enforcer.js';
import { defaultPlacementPolicy, placementPolicyDefaults } from '../../src/placement/api/policy.js';
import { openPlacementHttp, placementError, type PlacementHttp } from './http-fixture.js';

const [sqlite] = await databaseTargets();
const demoProject = TEST_AUTH.demo.projectId;

describe('placement policy: a project reads its own usages', () => {
  let h: PlacementHttp;
  before(async () => { h = await openPlacementHttp(sqlite!); });
  after(() => h.dispose());

  test('a reader or member of the project may read the project\'s total usages', async () => {
    for (const who of ['reader', 'demo'] as const) {
      const res = await h.call('GET', `/usages?project_id=${demoProject}`, { who });
      assert.equal(res.statusCode, 200, `${who}: ${res.body}`);
      assert.deepEqual(res.json(), { usages: { all: { consumer_count: 0 } } });
      const old = await h.call('GET', `/usages?project_id=${demoProject}`, { who, version: '1.9' });
      assert.deepEqual(old.json(), { usages: {} });
    }
  });

  test('another project\'s usages, or no project named, stay the admin\'s', async () => {
    for (const url of [`/usages?project_id=${TEST_AUTH.other.projectId}`, '/usages']) {
      const res = await h.call('GET', url, { who: 'demo' });
      assert.equal(res.statusCode, 403, url);
      assert.equal(placementError(res.body).title, 'Forbidden');
    }
    assert.equal((await h.call('GET', `/usages?project_id=${TEST_AUTH.other.projectId}`)).statusCode, 200);
    // Without a project the admin passes the rule and meets the query's own check.
    assert.equal((await h.call('GET', '/usages')).statusCode, 400);
  });

  test('a reader is refused every other placement route', async () => {
    for (const url of ['/resource_providers', '/traits', '/resource_classes', '/allocation_candidates?resources=VCPU:1']) {
      assert.equal((await h.call('GET', url, { who: 'reader' })).statusCode, 403, url);
    }
  });

  test('the oslo.policy defaults decide as the built-in policy does', () => {
    const engine = new PolicyEnforcer(placementPolicyDefaults);
    const targets = [{ project_id: demoProject }, { project_id: TEST_AUTH.other.projectId }, { project_id: undefined }];
    for (const { name } of placementPolicyDefaults) {
      for (const auth of Object.values(TEST_AUTH)) {
        for (const target of targets) {
          assert.equal(engine.allowed(name, target, auth), defaultPlacementPolicy.allowed(name, target, auth),
            `${name} for ${auth.userName} on ${String(target.project_id)}`);
        }
      }
    }
  });
});
