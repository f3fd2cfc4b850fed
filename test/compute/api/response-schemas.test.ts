/**
 * The response schemas themselves catch what they are there to catch: a
 * field Nova does not send, a field a microversion requires, a timestamp in a
 * form clients cannot parse, a wrong status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { responseSchemas, serverActions, Version } from './response-schemas/index.js';
import { responseProblems } from './response-schemas/validator.js';

const at = (key: string, v: string) => responseSchemas[key]!(new Version(v));
const link = [{ rel: 'self', href: 'http://h/compute/v2.1/servers/x' }];
const ID = '0b5f4c9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';

test('a created server with a name is refused, as Tempest refuses it (issue 9, finding 2)', () => {
  const server = { id: ID, links: link, 'OS-DCF:diskConfig': 'MANUAL', security_groups: [{ name: 'default' }], adminPass: 'x' };
  assert.deepEqual(responseProblems(at('POST /servers', '2.1'), 202, { server }), []);
  const problems = responseProblems(at('POST /servers', '2.1'), 202, { server: { ...server, name: 'vm' } });
  assert.ok(problems.some((p) => p.includes("'name'")), problems.join('\n'));
});

test('a field becomes required at the microversion that adds it', () => {
  const server = {
    id: ID, name: 'n', status: 'ACTIVE', tenant_id: 't', user_id: 'u', metadata: {}, hostId: '', image: '',
    flavor: { id: '1', links: link }, created: '2026-12-06T10:00:00Z', updated: '2026-12-06T10:00:00Z', addresses: {},
    accessIPv4: '', accessIPv6: '', links: link, 'OS-DCF:diskConfig': 'MANUAL',
  };
  assert.deepEqual(responseProblems(at('PUT /servers/:id', '2.8'), 200, { server }), []);
  const problems = responseProblems(at('PUT /servers/:id', '2.9'), 200, { server });
  assert.ok(problems.some((p) => p.includes("'locked'")), problems.join('\n'));
  assert.deepEqual(responseProblems(at('PUT /servers/:id', '2.9'), 200, { server: { ...server, locked: false } }), []);
});

test("an instance action's start time with a zone suffix is refused (Nova's form has none)", () => {
  const action = { action: 'create', request_id: 'req-1', user_id: 'u', project_id: 'p', message: null, instance_uuid: ID };
  const ok = { instanceActions: [{ ...action, start_time: '2026-12-06T10:00:00.000000' }] };
  const zulu = { instanceActions: [{ ...action, start_time: '2026-12-06T10:00:00Z' }] };
  assert.deepEqual(responseProblems(at('GET /servers/:id/os-instance-actions', '2.1'), 200, ok), []);
  assert.notDeepEqual(responseProblems(at('GET /servers/:id/os-instance-actions', '2.1'), 200, zulu), []);
});

test('a wrong status or a body where Nova sends none is refused', () => {
  assert.match(responseProblems(serverActions.lock!(new Version('2.1')), 200, undefined)[0]!, /status 200, expected 202/);
  assert.match(responseProblems(serverActions.lock!(new Version('2.1')), 202, { ok: true })[0]!, /expected no body/);
  assert.deepEqual(responseProblems(serverActions.lock!(new Version('2.1')), 202, undefined), []);
});
