import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { signToken, tokenKeyId, verifyToken, type TokenPayload } from '../../src/identity/token-format.js';
import { TOKEN_SPELLINGS, respell } from './token-spellings.js';

const key = randomBytes(32);
const payload: TokenPayload = {
  user: { id: 'u1', name: 'demo', domainId: 'default', domainName: 'Default' },
  project: { id: 'p1', name: 'demo', domainId: 'default', domainName: 'Default' },
  roles: [{ id: 'r1', name: 'member' }],
  methods: ['password'],
  issuedAt: 1_700_000_000_000,
  expiresAt: 1_700_003_600_000,
  auditIds: ['audit-1'],
  isAdminProject: false,
};

describe('token format: one accepted spelling', () => {
  const token = signToken(payload, 'k1', key);

  test('the token as signed verifies and names its key', () => {
    assert.deepEqual(verifyToken(token, key), payload);
    assert.equal(tokenKeyId(token), 'k1');
  });

  for (const [name, fn] of TOKEN_SPELLINGS) {
    test(`a token with ${name} does not verify`, () => {
      const mangled = respell(token, fn);
      assert.equal(verifyToken(mangled, key), undefined);
    });
  }

  test('a key id outside the base64url alphabet is no key id', () => {
    for (const kid of ['k!1', 'k 1', 'k1=', 'k\u00ff1', '']) {
      const [, p, m] = token.split('.');
      assert.equal(tokenKeyId(`${kid}.${p}.${m}`), undefined, JSON.stringify(kid));
    }
  });

  test('a token with more or fewer than three parts does not verify', () => {
    assert.equal(verifyToken(`${token}.x`, key), undefined);
    assert.equal(verifyToken(token.slice(token.indexOf('.') + 1), key), undefined);
    assert.equal(tokenKeyId(`${token}.x`), undefined);
  });
});
