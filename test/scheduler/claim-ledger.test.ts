/** The scheduler's ledger of claims a concurrent request's placement view may not show. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClaimLedger } from '../../src/scheduler/claim-ledger.js';

const TINY = { VCPU: 1, MEMORY_MB: 512 };

describe('the scheduler\'s claim ledger', () => {
  test('a claim being made weighs on its host in every open view; a refused one stops weighing', () => {
    const ledger = new ClaimLedger();
    const a = ledger.openView();
    const refused = ledger.claiming('s1', 'rp1', TINY);
    ledger.claiming('s2', 'rp1', TINY);
    const b = ledger.openView();
    for (const v of [a, b]) assert.deepEqual(v.unseen(), new Map([['rp1', { VCPU: 2, MEMORY_MB: 1024 }]]));
    refused(false);
    assert.deepEqual(a.unseen(), new Map([['rp1', TINY]]));
  });

  test('a landed claim weighs only in views opened before it landed, and is dropped once they close', () => {
    const ledger = new ClaimLedger();
    const before = ledger.openView();
    ledger.claiming('s1', 'rp2', TINY)(true);
    const after = ledger.openView();
    assert.deepEqual(before.unseen(), new Map([['rp2', TINY]]));
    assert.deepEqual(after.unseen(), new Map());
    after.close();
    assert.equal(ledger.size, 1, 'still unseen by the older view');
    before.close();
    assert.equal(ledger.size, 0);
  });

  test('the claims of a consumer whose request failed are forgotten', () => {
    const ledger = new ClaimLedger();
    const view = ledger.openView();
    ledger.claiming('s1', 'rp1', TINY)(true);
    ledger.claiming('s2', 'rp2', TINY)(true);
    ledger.forget('s1');
    assert.deepEqual(view.unseen(), new Map([['rp2', TINY]]));
  });

  test('against states read at known generations, a landed claim weighs only where it moved its provider past the state', () => {
    const ledger = new ClaimLedger();
    ledger.openView();
    ledger.claiming('s1', 'rp1', TINY)(true, 5);
    ledger.claiming('s2', 'rp1', TINY)(true, 6);
    const inFlight = ledger.claiming('s3', 'rp2', TINY);
    const readAt = (gens: Record<string, number>) => (rp: string) => gens[rp];
    assert.deepEqual(ledger.pendingBeyond(readAt({ rp1: 5, rp2: 1 })), new Map([['rp1', TINY], ['rp2', TINY]]), 'the state at 5 shows s1, not s2; s3 is being made');
    assert.deepEqual(ledger.landedBeyond(readAt({ rp1: 5, rp2: 1 })), new Map([['rp1', 1]]), 'a claim being made moved no generation yet');
    assert.deepEqual(ledger.pendingBeyond(readAt({ rp1: 6, rp2: 1 })), new Map([['rp2', TINY]]));
    inFlight(true, 2);
    assert.deepEqual(ledger.landedBeyond(readAt({ rp1: 4, rp2: 1 })), new Map([['rp1', 2], ['rp2', 1]]));
  });

  test('a landed claim whose generation placement did not tell weighs on every state, and moves none', () => {
    const ledger = new ClaimLedger();
    ledger.openView();
    ledger.claiming('s1', 'rp1', TINY)(true);
    assert.deepEqual(ledger.pendingBeyond(() => 100), new Map([['rp1', TINY]]));
    assert.deepEqual(ledger.landedBeyond(() => 0), new Map());
  });
});
