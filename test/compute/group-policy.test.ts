/** The hard server group policies a compute host re-checks before it builds (Nova's _validate_instance_group_policy). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupAffinityViolation, groupPolicyViolation, type GroupMemberHosts } from '../../src/compute/group-policy.js';

const group = (policy: string, hosts: Record<string, number>, rules: GroupMemberHosts['rules'] = {}): GroupMemberHosts =>
  ({ policy, rules, hosts: new Map(Object.entries(hosts)) });

describe('groupPolicyViolation', () => {
  test('anti-affinity: another member on this host is a violation, members elsewhere are not', () => {
    const violation = groupPolicyViolation(group('anti-affinity', { h1: 1, h2: 3 }), 'h1');
    assert.ok(violation instanceof GroupAffinityViolation);
    assert.equal(violation.message, 'Anti-affinity instance group policy was violated.');
    assert.equal(groupPolicyViolation(group('anti-affinity', { h2: 3 }), 'h1'), null);
    assert.equal(groupPolicyViolation(group('anti-affinity', {}), 'h1'), null);
  });

  test('anti-affinity with max_server_per_host: a violation once the other members on this host reach the maximum', () => {
    assert.equal(groupPolicyViolation(group('anti-affinity', { h1: 1 }, { max_server_per_host: 2 }), 'h1'), null);
    assert.equal(groupPolicyViolation(group('anti-affinity', { h1: 2 }, { max_server_per_host: 2 }), 'h1')?.message,
      'Anti-affinity instance group policy was violated.');
    assert.equal(groupPolicyViolation(group('anti-affinity', { h1: 2 }, { max_server_per_host: 3 }), 'h1'), null);
  });

  test('affinity: a member on another host is a violation; none yet, or one here, is not', () => {
    assert.equal(groupPolicyViolation(group('affinity', { h2: 1 }), 'h1')?.message, 'Affinity instance group policy was violated.');
    assert.equal(groupPolicyViolation(group('affinity', { h1: 1, h2: 1 }), 'h1'), null);
    assert.equal(groupPolicyViolation(group('affinity', {}), 'h1'), null);
  });

  test('soft policies are never a violation', () => {
    assert.equal(groupPolicyViolation(group('soft-anti-affinity', { h1: 5 }), 'h1'), null);
    assert.equal(groupPolicyViolation(group('soft-affinity', { h2: 5 }), 'h1'), null);
  });
});
