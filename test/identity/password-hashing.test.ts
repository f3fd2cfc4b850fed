import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePassword, hashPassword, verifyPassword } from '../../src/identity/passwords.js';

test('scrypt hashes verify, are salted, and record their cost', async () => {
  const a = await hashPassword('correct horse');
  const b = await hashPassword('correct horse');
  assert.notEqual(a, b, 'each hash has its own salt');
  assert.match(a, /^scrypt\$16384\$8\$1\$/);
  assert.equal(await verifyPassword('correct horse', a), true);
  assert.equal(await verifyPassword('correct horsE', a), false);
  assert.equal(await verifyPassword('', a), false);
});

test('a hash made at a lower cost still verifies with its own parameters', async () => {
  const h = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
  assert.match(h, /^scrypt\$1024\$/);
  assert.equal(await verifyPassword('pw', h), true);
});

test('a missing or unknown hash never verifies', async () => {
  assert.equal(await verifyPassword('pw', null, { N: 1024, r: 8, p: 1 }), false);
  assert.equal(await verifyPassword('pw', 'plain-text', { N: 1024, r: 8, p: 1 }), false);
  assert.equal(await verifyPassword('pw', 'scrypt$x$8$1$aa$bb', { N: 1024, r: 8, p: 1 }), false);
});

test('generated passwords are URL-safe and random', () => {
  const a = generatePassword();
  assert.match(a, /^[A-Za-z0-9_-]{24}$/);
  assert.notEqual(a, generatePassword());
});
