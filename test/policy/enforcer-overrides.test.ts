import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PolicyEnforcer, PolicyLoadError } from '../../src/policy/enforcer.js';
import { computePolicyDefaults } from '../../src/policy/defaults/compute.js';
import { identityPolicyDefaults } from '../../src/policy/defaults/identity.js';
import { PolicyNotAuthorized } from '../../src/errors.js';
import { TEST_AUTH } from '../helpers/auth.js';

let dir: string;
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-policy-')); });
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const demoTarget = { project_id: TEST_AUTH.demo.projectId, user_id: TEST_AUTH.demo.userId };

describe('Nova defaults', () => {
  const enforcer = new PolicyEnforcer(computePolicyDefaults);

  test('members act in their own project, admins anywhere', () => {
    assert.equal(enforcer.allowed('os_compute_api:servers:create', demoTarget, TEST_AUTH.demo), true);
    assert.equal(enforcer.allowed('os_compute_api:servers:create', demoTarget, TEST_AUTH.other), false);
    assert.equal(enforcer.allowed('os_compute_api:servers:create', demoTarget, TEST_AUTH.admin), true);
  });

  test('readers read but do not write', () => {
    assert.equal(enforcer.allowed('os_compute_api:servers:show', demoTarget, TEST_AUTH.reader), true);
    assert.equal(enforcer.allowed('os_compute_api:servers:delete', demoTarget, TEST_AUTH.reader), false);
  });

  test('admin-only and anyone rules', () => {
    assert.equal(enforcer.allowed('os_compute_api:os-flavor-manage:create', {}, TEST_AUTH.demo), false);
    assert.equal(enforcer.allowed('os_compute_api:os-flavor-manage:create', {}, TEST_AUTH.admin), true);
    assert.equal(enforcer.allowed('os_compute_api:servers:index:get_all_tenants', demoTarget, TEST_AUTH.demo), false);
    assert.equal(enforcer.allowed('os_compute_api:limits', {}, TEST_AUTH.reader), true);
    assert.equal(enforcer.allowed('os_compute_api:os-availability-zone:list', {}, TEST_AUTH.demo), true);
    assert.equal(enforcer.allowed('os_compute_api:os-availability-zone:detail', {}, TEST_AUTH.demo), false);
  });

  test('key pairs belong to users', () => {
    assert.equal(enforcer.allowed('os_compute_api:os-keypairs:create', { user_id: TEST_AUTH.demo.userId }, TEST_AUTH.demo), true);
    assert.equal(enforcer.allowed('os_compute_api:os-keypairs:show', { user_id: TEST_AUTH.other.userId }, TEST_AUTH.demo), false);
    assert.equal(enforcer.allowed('os_compute_api:os-keypairs:show', { user_id: TEST_AUTH.other.userId }, TEST_AUTH.admin), true);
  });

  test('every rule the compute API names exists', () => {
    const names = [
      'os_compute_api:servers:index', 'os_compute_api:servers:detail', 'os_compute_api:servers:create:forced_host',
      'os_compute_api:servers:create:requested_destination', 'compute:servers:create:requested_destination',
      'os_compute_api:servers:trigger_crash_dump', 'os_compute_api:os-flavor-access', 'os_compute_api:os-flavor-extra-specs:update',
      'os_compute_api:server-metadata:update_all', 'os_compute_api:os-instance-actions:events:details',
      'os_compute_api:limits:other_project', 'os_compute_api:os-hypervisors:uptime', 'os_compute_api:os-services:delete',
      'os_compute_api:os-pause-server:unpause', 'os_compute_api:os-suspend-server:resume', 'os_compute_api:os-console-output',
      'os_compute_api:os-quota-sets:detail', 'os_compute_api:os-quota-sets:defaults',
    ];
    for (const n of names) assert.notEqual(enforcer.checkString(n), undefined, n);
    assert.equal(enforcer.allowed('os_compute_api:servers:create:requested_destination', {}, TEST_AUTH.admin), true);
    assert.equal(enforcer.allowed('os_compute_api:servers:create:requested_destination', {}, TEST_AUTH.demo), false);
  });

  test('authorize throws PolicyNotAuthorized naming the action', () => {
    assert.throws(() => enforcer.authorize('os_compute_api:os-services:list', {}, TEST_AUTH.demo),
      (err: unknown) => err instanceof PolicyNotAuthorized && err.status === 403 && err.message.includes('os_compute_api:os-services:list'));
    assert.doesNotThrow(() => enforcer.authorize('os_compute_api:os-services:list', {}, TEST_AUTH.admin));
  });

  test('an action with no rule is denied', () => {
    assert.equal(enforcer.allowed('os_compute_api:no-such-thing', {}, TEST_AUTH.admin), false);
  });

  test('is_admin follows context_is_admin', () => {
    assert.equal(enforcer.credentials(TEST_AUTH.admin).is_admin, true);
    assert.equal(enforcer.credentials(TEST_AUTH.demo).is_admin, false);
    assert.equal(enforcer.allowed('admin_api', {}, TEST_AUTH.admin), true);
  });

  test('compute and identity defaults live together in one enforcer', () => {
    const both = new PolicyEnforcer([...computePolicyDefaults, ...identityPolicyDefaults]);
    assert.equal(both.allowed('identity:list_users', {}, TEST_AUTH.admin), true);
    assert.equal(both.allowed('os_compute_api:servers:create', demoTarget, TEST_AUTH.demo), true);
  });
});

describe('policy.yaml overrides', () => {
  test('a YAML override replaces the default and context_is_admin changes is_admin', () => {
    const file = write('policy.yaml', [
      '"os_compute_api:servers:create": "role:admin"',
      '"os_compute_api:os-flavor-manage:create": "rule:project_member_or_admin"',
      '"context_is_admin": "role:admin or role:superuser"',
      '"custom_rule": "role:reader"',
      '"os_compute_api:servers:show": "rule:custom_rule and project_id:%(project_id)s"',
    ].join('\n'));
    const enforcer = new PolicyEnforcer(computePolicyDefaults, { policyFile: file });
    assert.equal(enforcer.allowed('os_compute_api:servers:create', demoTarget, TEST_AUTH.demo), false);
    assert.equal(enforcer.allowed('os_compute_api:servers:create', demoTarget, TEST_AUTH.admin), true);
    assert.equal(enforcer.allowed('os_compute_api:os-flavor-manage:create', { project_id: TEST_AUTH.demo.projectId }, TEST_AUTH.demo), true);
    assert.equal(enforcer.allowed('os_compute_api:servers:show', demoTarget, TEST_AUTH.reader), true);
    assert.equal(enforcer.allowed('os_compute_api:servers:show', { project_id: 'elsewhere' }, TEST_AUTH.reader), false);
    const superuser = { ...TEST_AUTH.demo, roles: ['superuser'] };
    assert.equal(enforcer.credentials(superuser).is_admin, true);
    // rules not overridden keep their default
    assert.equal(enforcer.allowed('os_compute_api:servers:delete', demoTarget, TEST_AUTH.demo), true);
  });

  test('a JSON policy file works too', () => {
    const file = write('policy.json', JSON.stringify({ 'os_compute_api:limits': '!' }));
    const enforcer = new PolicyEnforcer(computePolicyDefaults, { policyFile: file });
    assert.equal(enforcer.allowed('os_compute_api:limits', {}, TEST_AUTH.admin), false);
  });

  test('a missing file means no overrides; an empty file too', () => {
    const missing = new PolicyEnforcer(computePolicyDefaults, { policyFile: path.join(dir, 'absent.yaml') });
    assert.equal(missing.allowed('os_compute_api:servers:create', demoTarget, TEST_AUTH.demo), true);
    const empty = new PolicyEnforcer(computePolicyDefaults, { policyFile: write('empty.yaml', '') });
    assert.equal(empty.allowed('os_compute_api:servers:create', demoTarget, TEST_AUTH.demo), true);
  });

  test('an unparseable file names the file', () => {
    const file = write('broken.yaml', '"a": [unclosed\n');
    assert.throws(() => new PolicyEnforcer(computePolicyDefaults, { policyFile: file }),
      (err: unknown) => err instanceof PolicyLoadError && err.message.includes(file));
  });

  test('a file that is not a mapping is refused', () => {
    const file = write('list.yaml', '- role:admin\n');
    assert.throws(() => new PolicyEnforcer(computePolicyDefaults, { policyFile: file }), PolicyLoadError);
  });

  test('a bad check string names the file and the rule', () => {
    const file = write('badrule.yaml', '"os_compute_api:servers:create": "role:admin and"\n');
    assert.throws(() => new PolicyEnforcer(computePolicyDefaults, { policyFile: file }),
      (err: unknown) => err instanceof PolicyLoadError && err.message.includes(file) && err.message.includes('os_compute_api:servers:create'));
  });

  test('a non-string value names the rule', () => {
    const file = write('badvalue.yaml', '"os_compute_api:servers:create": 3\n');
    assert.throws(() => new PolicyEnforcer(computePolicyDefaults, { policyFile: file }),
      (err: unknown) => err instanceof PolicyLoadError && err.message.includes('os_compute_api:servers:create'));
  });

  test('rules that refer to each other in a cycle are refused', () => {
    const file = write('cycle.yaml', '"a": "rule:b"\n"b": "rule:a"\n');
    assert.throws(() => new PolicyEnforcer([], { policyFile: file }), (err: unknown) => err instanceof PolicyLoadError && /cycle/.test(err.message));
  });

  test('an override referring to an undefined rule denies', () => {
    const file = write('dangling.yaml', '"os_compute_api:limits": "rule:does_not_exist or role:nothing"\n');
    const enforcer = new PolicyEnforcer(computePolicyDefaults, { policyFile: file });
    assert.equal(enforcer.allowed('os_compute_api:limits', {}, TEST_AUTH.admin), false);
  });
});
