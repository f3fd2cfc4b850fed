/**
 * [database] max_pool_size bounds each process's PostgreSQL connections: with
 * several api, conductor and scheduler processes on one server, their pools
 * together must fit under its max_connections.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openDatabase } from '../../../src/db/database.js';
import { PG_URL, postgresAvailable } from '../../helpers/databases.js';

const available = await postgresAvailable();
if (!available && process.env.CI === 'true') throw new Error(`PostgreSQL does not answer at ${PG_URL}, and CI requires it`);

test('twelve concurrent queries through a pool of three hold at most three backends',
  { skip: available ? false : `PostgreSQL does not answer at ${PG_URL}` }, async () => {
    const handle = openDatabase(PG_URL, { maxPoolSize: 3 });
    try {
      // Each query sleeps a little so the twelve overlap; the pids say how many connections served them.
      const results = await Promise.all(Array.from({ length: 12 }, () =>
        sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.05)`.execute(handle.db)));
      const pids = new Set(results.map((r) => r.rows[0].pid));
      assert.ok(pids.size <= 3 && pids.size >= 1, `${pids.size} backends served the queries`);
      assert.equal(results.length, 12);
    } finally {
      await handle.close();
    }
  });
