/**
 * CI shows only the end of the test command's output, so scripts/run-tests.mjs
 * repeats every failure there. A failed `before` hook's reason must come with
 * it: otherwise the log says only that the suite's tests were cancelled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const FIXTURE = `
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
describe('a suite whose set-up fails', () => {
  before(() => { throw new Error('server create failed:\\nthe server went to ERROR\\n\\nNo valid host was found'); });
  test('first test of the suite', () => {});
  test('second test of the suite', () => {});
});
test('a failed assertion', () => { assert.equal(1, 2); });
test('a passing test', () => {});
`;

test('the summary at the end names each failure with its error, and not the cancellations its parent caused', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-run-tests-'));
  try {
    const file = path.join(dir, 'fixture.test.mjs');
    fs.writeFileSync(file, FIXTURE);
    // Without NODE_TEST_CONTEXT: with it, the inner runner would report to this one instead of printing TAP.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const run = spawnSync(process.execPath, ['scripts/run-tests.mjs', file], { encoding: 'utf8', env, timeout: 120_000 });
    assert.notEqual(run.status, 0);
    const summary = run.stdout.slice(run.stdout.lastIndexOf('# phases:'));
    const lines = summary.split('\n').map((l) => l.replace(/^#\s+/, ''));
    const after = (name: string) => lines.slice(lines.findIndex((l) => l.endsWith(name)) + 1);

    assert.deepEqual(after('a suite whose set-up fails').slice(0, 3), ['server create failed:', 'the server went to ERROR', 'No valid host was found']);
    assert.deepEqual(after('a failed assertion').slice(0, 2), ['Expected values to be strictly equal:', '1 !== 2']);
    assert.match(summary, /first test of the suite/);
    assert.doesNotMatch(summary, /did not finish before its parent/);
    assert.doesNotMatch(summary, /a passing test/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
