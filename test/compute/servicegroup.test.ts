/**
 * The service heartbeat's loop: a report still waiting (a bus that is
 * reconnecting) is not joined by another one each interval.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHeartbeat } from '../../src/compute/servicegroup.js';
import { testLogger } from '../helpers/logger.js';

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
