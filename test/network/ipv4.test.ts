import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { excludeAddress, formatIpv4, parseCidr, parseIpv4, usableRange } from '../../src/network/ipv4.js';
import { checkPools } from '../../src/network/subnet-rules.js';
import { ApiError } from '../../src/errors.js';

describe('IPv4 arithmetic', () => {
  test('addresses parse strictly and round-trip', () => {
    assert.equal(parseIpv4('10.0.0.1'), 167772161);
    assert.equal(formatIpv4(parseIpv4('255.255.255.255')!), '255.255.255.255');
    for (const bad of ['10.0.0', '10.0.0.256', '010.0.0.1', '1.2.3.4.5', '', ' 1.2.3.4', 'a.b.c.d', '::1']) {
      assert.equal(parseIpv4(bad), null, bad);
    }
  });

  test('cidrs: network form required, prefix at most 32', () => {
    const ok = parseCidr('10.0.0.0/20');
    assert.ok(ok.ok);
    assert.equal(formatIpv4(ok.cidr.broadcast), '10.0.15.255');
    const host = parseCidr('10.0.0.5/24');
    assert.deepEqual(host, { ok: false, reason: 'host-bits', recommended: '10.0.0.0/24' });
    for (const bad of ['10.0.0.0/33', '10.0.0.0', '10.0.0.0/', '10.0.0.0/x', 'x/24']) assert.equal(parseCidr(bad).ok, false, bad);
  });

  test('usable range leaves out network and broadcast, except on /31 and /32', () => {
    const c24 = parseCidr('10.0.0.0/24');
    assert.ok(c24.ok);
    assert.deepEqual(usableRange(c24.cidr), { first: parseIpv4('10.0.0.1'), last: parseIpv4('10.0.0.254') });
    const c32 = parseCidr('10.0.0.7/32');
    assert.ok(c32.ok);
    assert.deepEqual(usableRange(c32.cidr), { first: parseIpv4('10.0.0.7'), last: parseIpv4('10.0.0.7') });
  });

  test('excluding the gateway splits a range', () => {
    assert.deepEqual(excludeAddress([{ first: 1, last: 10 }], 5), [{ first: 1, last: 4 }, { first: 6, last: 10 }]);
    assert.deepEqual(excludeAddress([{ first: 1, last: 10 }], 1), [{ first: 2, last: 10 }]);
    assert.deepEqual(excludeAddress([{ first: 1, last: 1 }], 1), []);
    assert.deepEqual(excludeAddress([{ first: 1, last: 10 }], null), [{ first: 1, last: 10 }]);
  });

  test('pools touching end to start do not overlap; sharing one address does', () => {
    const c = parseCidr('10.0.0.0/24');
    assert.ok(c.ok);
    const pools = checkPools(c.cidr, parseIpv4('10.0.0.1'), [{ start: '10.0.0.20', end: '10.0.0.30' }, { start: '10.0.0.10', end: '10.0.0.19' }]);
    assert.deepEqual(pools.map((p) => p.start), ['10.0.0.10', '10.0.0.20'], 'sorted');
    assert.throws(() => checkPools(c.cidr, null, [{ start: '10.0.0.10', end: '10.0.0.20' }, { start: '10.0.0.20', end: '10.0.0.30' }]),
      (e: unknown) => e instanceof ApiError && e.type === 'OverlappingAllocationPools');
    assert.throws(() => checkPools(c.cidr, null, [{ start: '10.0.0.0', end: '10.0.0.5' }]),
      (e: unknown) => e instanceof ApiError && e.type === 'OutOfBoundsAllocationPool', 'the network address is not poolable');
  });
});
