/** RAM and CPU weighers over several hosts: normalised, multiplied, summed, best first. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuWeigher, ramWeigher, weighHosts } from '../../src/scheduler/weighers/index.js';
import type { HostState } from '../../src/scheduler/host-state.js';

function host(name: string, freeRamMb: number, freeVcpus: number): HostState {
  return {
    nodeUuid: `${name}-uuid`, host: name, nodename: name, availabilityZone: 'nova', serviceDisabled: false, serviceUp: true,
    freeRamMb, freeVcpus, freeDiskGb: 10, resources: {},
  };
}
const names = (hosts: HostState[]) => hosts.map((h) => h.host);
const hosts = [host('a', 1000, 8), host('b', 4000, 1), host('c', 2000, 4), host('d', 2000, 4)];

test('a positive multiplier spreads (most free first), a negative one stacks; equal hosts keep their order', () => {
  assert.deepEqual(names(weighHosts(hosts, [ramWeigher(1)])), ['b', 'c', 'd', 'a']);
  assert.deepEqual(names(weighHosts(hosts, [ramWeigher(-1)])), ['a', 'c', 'd', 'b']);
});

test('weighers add up after each is normalised to 0..1 across the hosts', () => {
  // RAM: a 0, b 1, c/d 1/3; CPU ×2: a 2, b 0, c/d 6/7.
  assert.deepEqual(names(weighHosts(hosts, [ramWeigher(1), cpuWeigher(2)])), ['a', 'c', 'd', 'b']);
  assert.deepEqual(names(weighHosts(hosts, [ramWeigher(1), cpuWeigher(0)])), ['b', 'c', 'd', 'a'], 'a zero multiplier does not count');
  assert.deepEqual(names(weighHosts([host('x', 5, 5), host('y', 5, 5)], [ramWeigher(1), cpuWeigher(1)])), ['x', 'y'], 'all equal: order kept');
});
