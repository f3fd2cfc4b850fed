/**
 * The small codecs that describe plain records exactly: a struct carries its
 * known fields (optional ones may be absent) and refuses a missing or an
 * unknown field both ways; a string map refuses a non-string value.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { int, nullable, num, optional, str, stringMap, struct, InvalidRpcArgument } from '../../src/rpc/codecs.js';

const ref = struct('a ref', { id: int, note: optional(str), host: nullable(str) });

describe('struct', () => {
  test('carries its fields, leaving an absent optional one out', () => {
    assert.deepEqual(ref.decode(ref.encode({ id: 1, host: null }), 'x'), { id: 1, host: null });
    assert.deepEqual(ref.decode(ref.encode({ id: 1, note: 'n', host: 'h' }), 'x'), { id: 1, note: 'n', host: 'h' });
  });

  test('refuses an unknown field when sending and when receiving', () => {
    assert.throws(() => ref.encode({ id: 1, host: null, extra: true } as never), (e: Error) => e instanceof InvalidRpcArgument && /extra/.test(e.message));
    assert.throws(() => ref.decode({ id: 1, host: null, extra: true }, 'svc.m: arg'), /svc\.m: arg: a ref has no field extra/);
  });

  test('refuses a missing required field and a wrong-typed one, naming where', () => {
    assert.throws(() => ref.decode({ host: null }, 'svc.m: arg'), /a ref lacks id/);
    assert.throws(() => ref.decode({ id: 'one', host: null }, 'svc.m: arg'), /svc\.m: arg: id: expected an integer/);
    assert.throws(() => ref.decode([], 'svc.m: arg'), /expected a ref, got a list/);
  });
});

describe('stringMap and num', () => {
  test('a string map takes strings only', () => {
    assert.deepEqual(stringMap.decode({ a: 'b' }, 'x'), { a: 'b' });
    assert.throws(() => stringMap.decode({ a: 1 }, 'x'), InvalidRpcArgument);
  });

  test('num takes finite numbers, fractions included', () => {
    assert.equal(num.decode(1.5, 'x'), 1.5);
    assert.throws(() => num.decode('1', 'x'), InvalidRpcArgument);
  });
});
