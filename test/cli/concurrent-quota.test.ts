/**
 * Quota holds across API processes: three `kilonova api` processes sharing
 * PostgreSQL take 200 creates at once for a project allowed 50 instances.
 * Exactly 50 servers exist afterwards, every other create is refused with
 * Nova's 403 quota fault, and the project's usage never goes past its limit
 * while the creates are in flight.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServiceCloud } from '../helpers/service-cloud.js';
import { assertCloudConsistent } from '../helpers/cloud-consistency.js';
import { createServersAtOnce, waitUntilNoneBuilding } from '../helpers/concurrent-creates.js';
import { bootArguments } from '../helpers/boot-through-apis.js';
import { rabbitSkipReason } from '../bus/broker.js';
import { postgresAvailable } from '../helpers/databases.js';

const skip = (await rabbitSkipReason())
  ?? (!(await postgresAvailable()) && process.env.CI !== 'true' ? 'PostgreSQL does not answer (the API processes share it)' : undefined);

const LIMIT = 50;
const CREATES = 200;

describe('quota across three API processes', { skip, timeout: 180_000 }, () => {
  test(`${CREATES} concurrent creates against an instances quota of ${LIMIT} leave exactly ${LIMIT} servers`, async () => {
    const cloud = await startServiceCloud({ apis: 3, computes: 2, controller: { quota: { instances: LIMIT, cores: 100_000, ram: 100_000_000 } } });
    try {
      const args = await bootArguments(cloud);
      const demo = (await cloud.request('GET', '/identity/v3/projects?name=demo')).json.projects[0].id;
      const peaks: number[] = [];
      let creating = true;
      const watch = (async () => {
        while (creating) {
          const q = await cloud.request('GET', `/compute/v2.1/os-quota-sets/${demo}/detail`);
          peaks.push(q.json.quota_set.instances.in_use);
        }
      })();
      const responses = await createServersAtOnce(cloud.apis, args, CREATES, 'crowd').finally(() => { creating = false; });
      await watch;

      const accepted = responses.filter((r) => r.status === 202);
      const refused = responses.filter((r) => r.status !== 202);
      assert.equal(accepted.length, LIMIT, `accepted ${accepted.length}; statuses ${JSON.stringify(countBy(responses.map((r) => r.status)))}`);
      for (const r of refused) {
        assert.equal(r.status, 403, JSON.stringify(r.json));
        assert.match(r.json.forbidden.message, new RegExp(`^Quota exceeded for instances: Requested 1, but already used ${LIMIT} of ${LIMIT} instances$`));
        assert.equal(r.json.forbidden.code, 403);
      }
      assert.ok(peaks.length > 0 && Math.max(...peaks) <= LIMIT, `usage seen while creating: max ${Math.max(...peaks)} over ${peaks.length} samples`);

      const servers = await waitUntilNoneBuilding(cloud, 90_000);
      assert.equal(servers.length, LIMIT);
      assert.deepEqual(servers.filter((s) => s.status !== 'ACTIVE').map((s) => `${s.id} ${s.status}`), []);
      const census = await assertCloudConsistent(cloud);
      assert.equal(census.allocations.size, LIMIT);
    } finally {
      await cloud.close();
    }
  });
});

function countBy(values: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
