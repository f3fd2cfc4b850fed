/**
 * The generated hostile-input suite against an all-in-one on PostgreSQL,
 * which refuses as errors some values SQLite takes (a NUL, integers past 32
 * bits). Runs whenever PostgreSQL answers; with CI=true it must.
 */
import { describe } from 'node:test';
import { PG_URL, postgresAvailable } from '../helpers/databases.js';
import { hostileInputSuite } from '../helpers/fuzz/suite.js';

const available = await postgresAvailable();
if (!available && process.env.CI === 'true') throw new Error(`PostgreSQL does not answer at ${PG_URL}, and CI requires it`);

describe('on PostgreSQL', { skip: available ? false : `PostgreSQL does not answer at ${PG_URL}` }, () => {
  hostileInputSuite('postgres');
});
