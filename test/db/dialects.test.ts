/**
 * The database port: openDatabase picks a dialect by URL; syncDatabase keeps
 * one migration history per service and is idempotent; the schema helpers
 * behave alike on SQLite and PostgreSQL.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type Kysely, type Migration } from 'kysely';
import { openDatabase, UnsupportedDatabaseUrl } from '../../src/db/database.js';
import { MigrationFailed, syncDatabase, type MigrationSet } from '../../src/db/migrate.js';
import { isPostgres, isUniqueViolation, nowIso, withAutoId } from '../../src/db/schema-helpers.js';
import { sqlitePath } from '../../src/db/sqlite/dialect.js';
import { databaseTargets, type DatabaseTarget } from '../helpers/databases.js';

type Handle = Awaited<ReturnType<DatabaseTarget['open']>>;

describe('openDatabase', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-open-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('sqlite:/// opens a SQLite file, creating its directory', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'k.db');
    const h = openDatabase(`sqlite:///${file}`);
    try {
      assert.equal(h.dialect, 'sqlite');
      assert.equal(h.url, `sqlite:///${file}`);
      assert.equal(isPostgres(h.db), false);
      await sql`create table t (x integer)`.execute(h.db);
      assert.ok(fs.existsSync(file));
    } finally {
      await h.close();
    }
  });

  test('sqlite:///:memory: is an in-memory database', async () => {
    assert.equal(sqlitePath('sqlite:///:memory:'), ':memory:');
    assert.equal(sqlitePath('sqlite://'), ':memory:');
    assert.equal(sqlitePath('sqlite:////var/lib/k.db'), '//var/lib/k.db');
    const h = openDatabase('sqlite:///:memory:');
    try {
      const r = await sql<{ one: number }>`select 1 as one`.execute(h.db);
      assert.equal(r.rows[0].one, 1);
    } finally {
      await h.close();
    }
  });

  test('postgresql://, postgres:// and SQLAlchemy driver URLs open PostgreSQL (lazily: no connection yet)', async () => {
    for (const url of ['postgresql://nova:pw@db.invalid/nova', 'postgres://nova@db.invalid/nova', 'postgresql+psycopg2://nova:pw@db.invalid:5433/nova']) {
      const h = openDatabase(url);
      try {
        assert.equal(h.dialect, 'postgres', url);
        assert.equal(isPostgres(h.db), true);
      } finally {
        await h.close();
      }
    }
  });

  test('an unknown scheme is refused without leaking the password', () => {
    const urls = [
      'mysql+pymysql://nova:s3cr3t-pass@db/nova',
      'mysql://nova:p@ss/w0rd@db/nova',
      'mongodb://admin:hunter2-x@mongo:27017/k',
      'nova:plaintext-secret@db/nova',
      '',
    ];
    for (const url of urls) {
      assert.throws(() => openDatabase(url), (err: unknown) => {
        assert.ok(err instanceof UnsupportedDatabaseUrl, String(err));
        for (const secret of ['s3cr3t', 'p@ss', 'w0rd', 'hunter2', 'plaintext-secret']) {
          assert.equal(err.message.includes(secret), false, `${JSON.stringify(err.message)} leaks ${secret}`);
        }
        assert.match(err.message, /sqlite|postgresql/, 'the message says what is supported');
        return true;
      });
    }
    assert.throws(() => openDatabase('mysql://u:p@h/d'), /mysql/);
  });
});

describe('schema helpers (no database)', () => {
  test('nowIso is ISO-8601 UTC with milliseconds, so it sorts as text', () => {
    const a = nowIso();
    assert.match(a, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(a) - Date.now()) < 5000);
  });

  test('isUniqueViolation is false for other errors and non-errors', () => {
    for (const e of [new Error('boom'), { code: '23503' }, { code: 'SQLITE_CONSTRAINT_NOTNULL' }, { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }, null, undefined, 'x', 42]) {
      assert.equal(isUniqueViolation(e), false, JSON.stringify(e));
    }
  });
});

function set(name: string, migrations: Record<string, Migration>): MigrationSet {
  return { name, migrations };
}

function createTable(table: string): Migration {
  return { up: async (db: Kysely<any>) => { await withAutoId(db, db.schema.createTable(table)).addColumn('name', 'text').execute(); } };
}

async function tableNames(db: Kysely<any>): Promise<string[]> {
  return (await db.introspection.getTables({ withInternalKyselyTables: true })).map((t) => t.name).sort();
}

async function historyOf(db: Kysely<any>, setName: string): Promise<string[]> {
  const rows = await db.selectFrom(`kilonova_migrations_${setName}`).select('name').orderBy('name').execute();
  return rows.map((r) => r.name as string);
}

const targets = await databaseTargets();

for (const target of targets) {
  describe(`database target: ${target.name}`, () => {
    let h: Handle;
    before(async () => { h = await target.open(); });
    after(async () => { await h.dispose(); });

    test('isPostgres tells the dialect', () => {
      assert.equal(isPostgres(h.db), target.name === 'postgres');
      assert.equal(h.dialect, target.name);
    });

    describe('syncDatabase', () => {
      test('applies every set\'s migrations in key order, then nothing on a second run', async () => {
        const order: string[] = [];
        const track = (key: string, table: string): Migration => ({
          up: async (db) => { order.push(key); await createTable(table).up(db); },
        });
        const sets = [
          set('alpha', { '002_second': track('alpha/002', 'alpha_two'), '001_initial': track('alpha/001', 'alpha_one') }),
          set('beta', { '001_initial': track('beta/001', 'beta_one') }),
        ];
        const first = await syncDatabase(h.db, sets);
        assert.deepEqual(first, ['alpha/001_initial', 'alpha/002_second', 'beta/001_initial']);
        assert.deepEqual(order, ['alpha/001', 'alpha/002', 'beta/001']);
        const second = await syncDatabase(h.db, sets);
        assert.deepEqual(second, []);
        assert.deepEqual(order, ['alpha/001', 'alpha/002', 'beta/001'], 'nothing ran twice');
        const tables = await tableNames(h.db);
        for (const t of ['alpha_one', 'alpha_two', 'beta_one']) assert.ok(tables.includes(t), t);
      });

      test('keeps each set\'s history in its own table; the same migration name in two sets runs in both', async () => {
        await syncDatabase(h.db, [set('gamma', { '001_initial': createTable('gamma_one') }), set('delta', { '001_initial': createTable('delta_one') })]);
        assert.deepEqual(await historyOf(h.db, 'gamma'), ['001_initial']);
        assert.deepEqual(await historyOf(h.db, 'delta'), ['001_initial']);
        const tables = await tableNames(h.db);
        assert.ok(tables.includes('kilonova_migrations_gamma'));
        assert.ok(tables.includes('kilonova_migrations_delta'));
      });

      test('a new migration in one set applies alone, without touching the others', async () => {
        const epsilon = { '001_initial': createTable('epsilon_one') };
        const zeta = set('zeta', { '001_initial': createTable('zeta_one') });
        await syncDatabase(h.db, [set('epsilon', epsilon), zeta]);
        const applied = await syncDatabase(h.db, [set('epsilon', { ...epsilon, '002_more': createTable('epsilon_two') }), zeta]);
        assert.deepEqual(applied, ['epsilon/002_more']);
        assert.deepEqual(await historyOf(h.db, 'epsilon'), ['001_initial', '002_more']);
        assert.deepEqual(await historyOf(h.db, 'zeta'), ['001_initial']);
      });

      test('a failing migration raises MigrationFailed naming it; once fixed, the rest applies', async () => {
        const good = createTable('eta_one');
        const broken: Migration = { up: async (db) => { await sql`create table eta_two (id integer primary key, broken syntax here ((`.execute(db); } };
        await assert.rejects(syncDatabase(h.db, [set('eta', { '001_initial': good, '002_broken': broken })]), (err: unknown) => {
          assert.ok(err instanceof MigrationFailed, String(err));
          assert.match(err.message, /eta\/002_broken/);
          return true;
        });
        const history = await historyOf(h.db, 'eta');
        assert.equal(history.includes('002_broken'), false, 'a failed migration is not recorded as applied');
        const applied = await syncDatabase(h.db, [set('eta', { '001_initial': good, '002_broken': createTable('eta_two') })]);
        assert.deepEqual(applied, history.includes('001_initial') ? ['eta/002_broken'] : ['eta/001_initial', 'eta/002_broken']);
        assert.deepEqual(await historyOf(h.db, 'eta'), ['001_initial', '002_broken']);
      });

      test('a migration that throws raises MigrationFailed with its message', async () => {
        const thrower: Migration = { up: async () => { throw new Error('cannot convert column flavor_id'); } };
        await assert.rejects(syncDatabase(h.db, [set('theta', { '001_initial': thrower })]), (err: unknown) =>
          err instanceof MigrationFailed && /theta\/001_initial/.test(err.message) && /cannot convert column flavor_id/.test(err.message));
      });

      test('no sets means nothing to do', async () => {
        assert.deepEqual(await syncDatabase(h.db, []), []);
      });
    });

    describe('withAutoId', () => {
      test('gives increasing ids, never reusing a deleted one', async () => {
        await withAutoId(h.db, h.db.schema.createTable('auto_ids')).addColumn('name', 'text', (c) => c.notNull()).execute();
        const ids: number[] = [];
        for (const name of ['a', 'b', 'c']) {
          const row = await h.db.insertInto('auto_ids').values({ name }).returning('id').executeTakeFirstOrThrow();
          ids.push(Number(row.id));
        }
        assert.ok(ids[0] >= 1);
        assert.ok(ids[0] < ids[1] && ids[1] < ids[2], JSON.stringify(ids));
        await h.db.deleteFrom('auto_ids').where('id', '=', ids[2]).execute();
        const next = await h.db.insertInto('auto_ids').values({ name: 'd' }).returning('id').executeTakeFirstOrThrow();
        assert.ok(Number(next.id) > ids[2], `id ${next.id} reused after ${ids[2]} was deleted`);
        const rows = await h.db.selectFrom('auto_ids').select(['id', 'name']).orderBy('id').execute();
        assert.deepEqual(rows.map((r) => r.name), ['a', 'b', 'd']);
        assert.equal(typeof rows[0].id, 'number');
      });

      test('the id is the primary key: a duplicate is a unique violation', async () => {
        await withAutoId(h.db, h.db.schema.createTable('auto_pk')).addColumn('name', 'text').execute();
        await h.db.insertInto('auto_pk').values({ id: 10, name: 'x' }).execute();
        const err = await h.db.insertInto('auto_pk').values({ id: 10, name: 'y' }).execute().then(() => undefined, (e: unknown) => e);
        assert.ok(err, 'a duplicate primary key was accepted');
        assert.equal(isUniqueViolation(err), true, `not recognised: ${String((err as { code?: string }).code)}`);
      });
    });

    describe('isUniqueViolation', () => {
      before(async () => {
        await h.db.schema.createTable('uniq').addColumn('name', 'text', (c) => c.notNull().unique()).addColumn('other', 'text').execute();
        await h.db.schema.createIndex('uniq_other_idx').on('uniq').column('other').unique().execute();
        await h.db.insertInto('uniq').values({ name: 'taken', other: 'o1' }).execute();
      });

      async function failure(p: Promise<unknown>): Promise<unknown> {
        return p.then(() => assert.fail('the statement succeeded'), (e: unknown) => e);
      }

      test('recognises a UNIQUE constraint violation', async () => {
        const err = await failure(h.db.insertInto('uniq').values({ name: 'taken', other: 'o2' }).execute());
        assert.equal(isUniqueViolation(err), true, String(err));
      });

      test('recognises a unique index violation', async () => {
        const err = await failure(h.db.insertInto('uniq').values({ name: 'fresh', other: 'o1' }).execute());
        assert.equal(isUniqueViolation(err), true, String(err));
      });

      test('recognises it inside a transaction', async () => {
        const err = await failure(h.db.transaction().execute(async (trx) => {
          await trx.insertInto('uniq').values({ name: 'in-trx', other: 'o3' }).execute();
          await trx.insertInto('uniq').values({ name: 'in-trx', other: 'o4' }).execute();
        }));
        assert.equal(isUniqueViolation(err), true, String(err));
        const rows = await h.db.selectFrom('uniq').select('name').where('name', '=', 'in-trx').execute();
        assert.deepEqual(rows, [], 'the transaction rolled back');
      });

      test('does not mistake a NOT NULL violation or a syntax error for one', async () => {
        const notNull = await failure(h.db.insertInto('uniq').values({ name: null, other: 'o5' }).execute());
        assert.equal(isUniqueViolation(notNull), false, String(notNull));
        const syntax = await failure(sql`selec nothing`.execute(h.db));
        assert.equal(isUniqueViolation(syntax), false, String(syntax));
      });
    });
  });
}
