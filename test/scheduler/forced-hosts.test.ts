/** Nova's get_filtered_hosts: a host forced at create skips the filters; a move's requested host does not. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forcedHostSkipsFilters, moveSchedulerHints } from '../../src/objects/request-spec.js';

const spec = (over: { scheduler_hints?: Record<string, unknown>; force_hosts?: string[]; force_nodes?: string[] }) =>
  ({ scheduler_hints: {}, force_hosts: [], force_nodes: [], ...over });

test('a forced host or node skips the filters', () => {
  assert.equal(forcedHostSkipsFilters(spec({ force_hosts: ['h1'] })), true);
  assert.equal(forcedHostSkipsFilters(spec({ force_nodes: ['n1'] })), true);
  assert.equal(forcedHostSkipsFilters(spec({ force_hosts: ['h1'], scheduler_hints: { group: 'g' } })), true);
});

test('without a forced host, or for a move to a requested host, the filters run', () => {
  assert.equal(forcedHostSkipsFilters(spec({})), false);
  for (const move of ['evacuate', 'live_migrate', 'migrate', 'unshelve'] as const) {
    assert.equal(forcedHostSkipsFilters(spec({ force_hosts: ['h1'], scheduler_hints: moveSchedulerHints(move) })), false);
  }
});
