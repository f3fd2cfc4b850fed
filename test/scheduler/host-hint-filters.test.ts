/** SameHostFilter and DifferentHostFilter: the same_host / different_host hints against where the named servers run. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { differentHostFilter, sameHostFilter } from '../../src/scheduler/filters/host-hint-filters.js';
import type { HostState } from '../../src/scheduler/host-state.js';
import type { RequestSpec } from '../../src/objects/request-spec.js';

function host(name: string): HostState {
  return {
    nodeUuid: `${name}-uuid`, host: name, nodename: name, availabilityZone: 'nova', serviceDisabled: false, serviceUp: true,
    freeRamMb: 1024, freeVcpus: 4, freeDiskGb: 10, resources: {},
  };
}

const h1 = host('h1');
const h2 = host('h2');
const ctx = { group: null, instanceHosts: new Map([['a', 'h1'], ['b', 'h2']]) };
const hinted = (hints: Record<string, unknown>) => ({ scheduler_hints: hints }) as unknown as RequestSpec;

describe('host hint filters', () => {
  test('same_host keeps only the hosts of the named servers (one uuid or a list); no hint keeps every host', () => {
    assert.equal(sameHostFilter.hostPasses(h1, hinted({ same_host: 'a' }), ctx), true);
    assert.equal(sameHostFilter.hostPasses(h2, hinted({ same_host: 'a' }), ctx), false);
    assert.equal(sameHostFilter.hostPasses(h2, hinted({ same_host: ['a', 'b'] }), ctx), true);
    assert.equal(sameHostFilter.hostPasses(h2, hinted({ same_host: ['gone'] }), ctx), false);
    assert.equal(sameHostFilter.hostPasses(h2, hinted({}), ctx), true);
  });

  test('different_host refuses the hosts of the named servers', () => {
    assert.equal(differentHostFilter.hostPasses(h1, hinted({ different_host: ['a'] }), ctx), false);
    assert.equal(differentHostFilter.hostPasses(h2, hinted({ different_host: ['a'] }), ctx), true);
    assert.equal(differentHostFilter.hostPasses(h2, hinted({ different_host: ['a', 'b'] }), ctx), false);
    assert.equal(differentHostFilter.hostPasses(h1, hinted({ different_host: 'gone' }), ctx), true);
  });
});
