/**
 * The database dialects a data-layer suite runs against: SQLite always, and
 * PostgreSQL whenever a server answers at KILONOVA_TEST_PG_URL (default
 * postgresql://postgres@127.0.0.1:5432/test). Each target is a fresh, empty
 * database (a temp file, or a schema of its own, dropped when the next test run starts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { openPostgres } from '../../src/db/postgres/dialect.js';

export const PG_URL = process.env.KILONOVA_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export interface DatabaseTarget {
  name: 'sqlite' | 'postgres';
  /** A fresh empty database; dispose() removes it. */
  open(): Promise<DatabaseHandle & { dispose(): Promise<void> }>;
}

let pgAnswers: Promise<boolean> | undefined;
export function postgresAvailable(): Promise<boolean> {
  pgAnswers ??= (async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return pgAnswers;
}

/**
 * A database of its own on the PostgreSQL server, for a whole cloud (which
 * migrates into the public schema); drop() removes it, connections and all.
 */
export async function createPostgresDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

const sqliteTarget: DatabaseTarget = {
  name: 'sqlite',
  async open() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-db-'));
    const handle = openDatabase(`sqlite:///${dir}/test.db`);
    return {
      ...handle,
      async dispose() {
        await handle.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgresTarget: DatabaseTarget = {
  name: 'postgres',
  async open() {
    // The run's id (scripts/run-tests.mjs's pid) in the name lets a later run drop it only once this run is over.
    const schema = `kn_test_${process.env.KILONOVA_TEST_RUN_ID ?? process.pid}_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const handle = openPostgres(PG_URL, { schema });
    return {
      ...handle,
      // The schema stays until the next test run starts (scripts/run-tests.mjs drops them all
      // then): the migrator introspects every schema of the database, and a schema another
      // test file dropped meanwhile made that fail ("schema ... does not exist").
      async dispose() {
        await handle.close();
      },
    };
  },
};

/** SQLite, plus PostgreSQL when it answers (it is required when CI=true). */
export async function databaseTargets(): Promise<DatabaseTarget[]> {
  const targets: DatabaseTarget[] = [sqliteTarget];
  if (await postgresAvailable()) targets.push(postgresTarget);
  else if (process.env.CI === 'true') throw new Error(`PostgreSQL does not answer at ${PG_URL}, and CI requires it`);
  return targets;
}
