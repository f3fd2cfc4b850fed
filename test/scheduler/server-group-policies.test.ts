/** The server group filters and soft weighers, over two hosts. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { serverGroupAffinityFilter, serverGroupAntiAffinityFilter } from '../../src/scheduler/filters/server-group-filters.js';
import { softAffinityWeigher, softAntiAffinityWeigher, weighHosts } from '../../src/scheduler/weighers/index.js';
import type { HostState } from '../../src/scheduler/host-state.js';
import type { GroupPlacement } from '../../src/compute/server-groups.js';
import type { RequestSpec } from '../../src/objects/request-spec.js';

function host(name: string): HostState {
  return {
    nodeUuid: `${name}-uuid`, host: name, nodename: name, availabilityZone: 'nova', serviceDisabled: false, serviceUp: true,
    freeRamMb: 1024, freeVcpus: 4, freeDiskGb: 10, resources: {},
  };
}

const spec = {} as RequestSpec;
const h1 = host('h1');
const h2 = host('h2');
const group = (policy: string, onH1: number, rules: GroupPlacement['rules'] = {}): { group: GroupPlacement } =>
  ({ group: { uuid: 'g', policy, rules, hosts: new Map(onH1 > 0 ? [['h1', onH1]] : []) } });

describe('server group policies in the scheduler', () => {
  test('affinity keeps only hosts that run members, any host while there are none', () => {
    assert.equal(serverGroupAffinityFilter.hostPasses(h1, spec, group('affinity', 1)), true);
    assert.equal(serverGroupAffinityFilter.hostPasses(h2, spec, group('affinity', 1)), false);
    assert.equal(serverGroupAffinityFilter.hostPasses(h2, spec, group('affinity', 0)), true);
    assert.equal(serverGroupAffinityFilter.hostPasses(h2, spec, group('anti-affinity', 1)), true);
  });

  test('anti-affinity refuses hosts at max_server_per_host (1 by default)', () => {
    assert.equal(serverGroupAntiAffinityFilter.hostPasses(h1, spec, group('anti-affinity', 1)), false);
    assert.equal(serverGroupAntiAffinityFilter.hostPasses(h2, spec, group('anti-affinity', 1)), true);
    assert.equal(serverGroupAntiAffinityFilter.hostPasses(h1, spec, group('anti-affinity', 1, { max_server_per_host: 2 })), true);
    assert.equal(serverGroupAntiAffinityFilter.hostPasses(h1, spec, group('anti-affinity', 2, { max_server_per_host: 2 })), false);
    assert.equal(serverGroupAntiAffinityFilter.hostPasses(h1, spec, { group: null }), true);
  });

  test('soft-affinity weighs the host with members first; soft-anti-affinity the one without', () => {
    const weighers = [softAffinityWeigher(1), softAntiAffinityWeigher(1)];
    assert.deepEqual(weighHosts([h2, h1], weighers, group('soft-affinity', 1)).map((h) => h.host), ['h1', 'h2']);
    assert.deepEqual(weighHosts([h1, h2], weighers, group('soft-anti-affinity', 1)).map((h) => h.host), ['h2', 'h1']);
    // The hard policies leave ordering to the other weighers.
    assert.deepEqual(weighHosts([h1, h2], weighers, group('anti-affinity', 1)).map((h) => h.host), ['h1', 'h2']);
  });
});
