import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoalescingRun } from '../../../src/network/agents/coalescing-run.js';

/** A run whose each start is recorded and which finishes only when told. */
function gatedWork() {
  const starts: Array<() => void> = [];
  const run = new CoalescingRun(() => new Promise<void>((resolve) => starts.push(resolve)));
  return { run, starts };
}

test('requests during a run share one more run after it, never a concurrent one', async () => {
  const { run, starts } = gatedWork();
  const first = run.request();
  const later = [run.request(), run.request(), run.request()];
  assert.equal(starts.length, 1, 'one run in flight');
  assert.equal(later[0], later[2], 'the pending requests share one promise');
  starts[0]!();
  await first;
  await new Promise((r) => setImmediate(r));
  assert.equal(starts.length, 2, 'exactly one more run for the burst');
  starts[1]!();
  await Promise.all(later);
  assert.equal(starts.length, 2);
});

test('a failed run rejects its callers and the next request runs again', async () => {
  let calls = 0;
  const run = new CoalescingRun(async () => {
    calls++;
    if (calls === 1) throw new Error('boom');
  });
  await assert.rejects(run.request(), /boom/);
  await run.request();
  assert.equal(calls, 2);
});
