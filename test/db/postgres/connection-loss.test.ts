/**
 * A PostgreSQL connection that dies while idle in the pool (server restart,
 * pg_terminate_backend, DROP DATABASE ... WITH (FORCE)) must not take the
 * process down; the next query gets a fresh connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { sql } from 'kysely';
import { openPostgres } from '../../../src/db/postgres/dialect.js';
import { PG_URL, postgresAvailable } from '../../helpers/databases.js';

const available = await postgresAvailable();
if (!available && process.env.CI === 'true') throw new Error(`PostgreSQL does not answer at ${PG_URL}, and CI requires it`);

async function backendGone(admin: pg.Client, pid: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    const { rowCount } = await admin.query('select 1 from pg_stat_activity where pid = $1', [pid]);
    if (rowCount === 0) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail(`backend ${pid} still present after ${deadlineMs} ms`);
}

test('an idle pooled connection terminated by the server does not crash the process, and the next query works',
  { skip: available ? false : `PostgreSQL does not answer at ${PG_URL}` }, async () => {
    let idleErrorSeen!: (err: Error) => void;
    const idleError = new Promise<Error>((resolve) => { idleErrorSeen = resolve; });
    const handle = openPostgres(PG_URL, { onIdleConnectionError: (err) => idleErrorSeen(err) });
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    const crashes: unknown[] = [];
    const onUncaught = (err: unknown) => crashes.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const first = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(handle.db);
      const pid = first.rows[0].pid;
      const killed = await admin.query('select pg_terminate_backend($1) as ok', [pid]);
      assert.equal(killed.rows[0].ok, true);
      await backendGone(admin, pid, 5000);
      const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no idle-connection error within 5 s')), 5000).unref());
      assert.match((await Promise.race([idleError, deadline])).message, /terminating connection/);
      const second = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(handle.db);
      assert.notEqual(second.rows[0].pid, pid);
      assert.deepEqual(crashes, []);
    } finally {
      process.off('uncaughtException', onUncaught);
      await admin.end();
      await handle.close();
    }
  });
