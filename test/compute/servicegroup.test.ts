/**
 * Service records and the heartbeat's loop: processes of one binary starting
 * together on a host share one record; a report still waiting (a bus that is
 * reconnecting) is not joined by another one each interval.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { registerService, startHeartbeat } from '../../src/compute/servicegroup.js';
import { syncDatabase } from '../../src/db/migrate.js';
import { MIGRATION_SETS } from '../../src/cli/roles/database.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import { databaseTargets } from '../helpers/databases.js';
import { testLogger } from '../helpers/logger.js';

for (const target of await databaseTargets()) {
  describe(`service records on ${target.name}`, () => {
    test('schedulers of one host registering at once all start, on one record', async () => {
      const handle = await target.open();
      try {
        await syncDatabase(handle.db, MIGRATION_SETS);
        const db = handle.db as ComputeDb;
        await Promise.all(Array.from({ length: 8 }, () => registerService(db, 'controller', 'nova-scheduler', 'scheduler')));
        const rows = await db.selectFrom('services').select(['host', 'binary', 'topic']).where('binary', '=', 'nova-scheduler').execute();
        assert.deepEqual(rows, [{ host: 'controller', binary: 'nova-scheduler', topic: 'scheduler' }]);
      } finally {
        await handle.dispose();
      }
    });
  });
}

async function pollUntil(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`waited ${ms} ms for ${what}`);
    await sleep(5);
  }
}

test('a heartbeat whose report has not finished skips its beats instead of piling reports up', async () => {
  let started = 0;
  let release!: () => void;
  const stop = startHeartbeat(() => {
    started++;
    return started === 1 ? new Promise<void>((r) => { release = r; }) : Promise.resolve();
  }, 0.01, testLogger);
  try {
    await pollUntil(() => started === 1, 'the first report');
    const since = Date.now();
    // Ten intervals pass while the first report waits.
    await pollUntil(() => Date.now() - since >= 100, 'ten intervals');
    assert.equal(started, 1);
    release();
    await pollUntil(() => started >= 2, 'the beats to resume');
  } finally {
    stop();
  }
});
