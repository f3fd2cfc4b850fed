import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCheck, PolicySyntaxError, type EvalContext, type CompiledCheck } from '../../src/policy/engine.js';

const rules = new Map<string, CompiledCheck>();
const unknown: string[] = [];
const ctx: EvalContext = { rule: (n) => rules.get(n), onUnknownRule: (n) => { unknown.push(n); } };

const member = { user_id: 'u1', project_id: 'p1', roles: ['member', 'reader'], is_admin: false, is_admin_project: false };
const admin = { user_id: 'a1', project_id: 'adm', roles: ['Admin', 'member'], is_admin: true, is_admin_project: true };

function check(str: string, target: Record<string, unknown>, creds: Record<string, unknown>): boolean {
  return compileCheck(str)(target, creds, ctx);
}

describe('check kinds', () => {
  test('empty string and @ allow, ! denies', () => {
    assert.equal(check('', {}, member), true);
    assert.equal(check('   ', {}, member), true);
    assert.equal(check('@', {}, member), true);
    assert.equal(check('!', {}, admin), false);
  });

  test('role: matches case-insensitively against the credential roles', () => {
    assert.equal(check('role:member', {}, member), true);
    assert.equal(check('role:admin', {}, admin), true);
    assert.equal(check('role:ADMIN', {}, admin), true);
    assert.equal(check('role:admin', {}, member), false);
    assert.equal(check('role:admin', {}, { user_id: 'x' }), false);
  });

  test('role: substitutes from the target', () => {
    assert.equal(check('role:%(needed)s', { needed: 'reader' }, member), true);
    assert.equal(check('role:%(needed)s', {}, member), false);
  });

  test('key:%(attr)s compares a credential to a target attribute', () => {
    assert.equal(check('project_id:%(project_id)s', { project_id: 'p1' }, member), true);
    assert.equal(check('project_id:%(project_id)s', { project_id: 'p2' }, member), false);
    assert.equal(check('project_id:%(project_id)s', {}, member), false, 'a missing target attribute fails');
    assert.equal(check('user_id:%(user_id)s', { user_id: 'u1' }, member), true);
  });

  test('key:literal compares a credential to the literal', () => {
    assert.equal(check('is_admin:True', {}, admin), true);
    assert.equal(check('is_admin:True', {}, member), false);
    assert.equal(check('is_admin_project:False', {}, member), true);
    assert.equal(check('roles:reader', {}, member), true, 'a list credential matches any element');
    assert.equal(check('nonexistent:x', {}, member), false);
  });

  test('dotted paths walk the credentials and nested or flattened targets', () => {
    const creds = { token: { project: { domain: { id: 'default' } } } };
    assert.equal(check('token.project.domain.id:%(target.domain.id)s', { target: { domain: { id: 'default' } } }, creds), true);
    assert.equal(check('token.project.domain.id:%(target.domain.id)s', { 'target.domain.id': 'default' }, creds), true);
    assert.equal(check('token.project.domain.id:%(target.domain.id)s', { 'target.domain.id': 'other' }, creds), false);
  });

  test('a literal kind compares with the substituted match', () => {
    assert.equal(check("'member':%(role_name)s", { role_name: 'member' }, {}), true);
    assert.equal(check('True:%(enabled)s', { enabled: true }, {}), true);
    assert.equal(check('True:%(enabled)s', { enabled: false }, {}), false);
    assert.equal(check('42:%(n)s', { n: 42 }, {}), true);
  });

  test('rule: evaluates another rule; an unknown rule denies and is reported', () => {
    rules.set('is_member', compileCheck('role:member'));
    assert.equal(check('rule:is_member', {}, member), true);
    assert.equal(check('rule:is_member', {}, { roles: [] }), false);
    unknown.length = 0;
    assert.equal(check('rule:nope', {}, admin), false);
    assert.deepEqual(unknown, ['nope']);
  });
});

describe('operators and precedence', () => {
  test('and / or / not', () => {
    assert.equal(check('role:member and project_id:%(project_id)s', { project_id: 'p1' }, member), true);
    assert.equal(check('role:member and project_id:%(project_id)s', { project_id: 'p2' }, member), false);
    assert.equal(check('role:admin or project_id:%(project_id)s', { project_id: 'p1' }, member), true);
    assert.equal(check('role:admin or project_id:%(project_id)s', { project_id: 'p2' }, member), false);
    assert.equal(check('not role:admin', {}, member), true);
    assert.equal(check('not role:admin', {}, admin), false);
    assert.equal(check('not not role:admin', {}, admin), true);
  });

  test('operators are case-insensitive', () => {
    assert.equal(check('role:admin OR role:member', {}, member), true);
    assert.equal(check('NOT role:member', {}, member), false);
    assert.equal(check('role:member AND role:reader', {}, member), true);
  });

  test('and binds tighter than or', () => {
    // a or (b and c): true because a holds
    assert.equal(check('role:member or role:admin and role:nothing', {}, member), true);
    // (a and b) or c: false and false
    assert.equal(check('role:member and role:nothing or role:admin', {}, member), false);
  });

  test('not binds tighter than and', () => {
    assert.equal(check('not role:admin and role:member', {}, member), true);
    assert.equal(check('not role:admin and role:member', {}, admin), false);
  });

  test('parentheses group, also when stuck to checks', () => {
    assert.equal(check('(role:member or role:admin) and role:nothing', {}, member), false);
    assert.equal(check('role:member or (role:admin and role:nothing)', {}, member), true);
    assert.equal(check('((role:admin)) or user_id:%(user_id)s', { user_id: 'u1' }, member), true);
    assert.equal(check('not (role:admin or role:member)', {}, member), false);
    assert.equal(check('(rule:context_is_admin) or user_id:%(user_id)s', { user_id: 'u2' }, member), false);
  });
});

describe('bad syntax', () => {
  for (const bad of ['role:a and', 'or role:a', '(role:a', 'role:a)', 'role:a role:b', 'noColon', 'not', '()', 'role:a and or role:b', ':x']) {
    test(`"${bad}" is refused`, () => {
      assert.throws(() => compileCheck(bad), PolicySyntaxError);
    });
  }
});
