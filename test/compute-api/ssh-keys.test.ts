import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  InvalidPublicKey, generateEd25519KeyPair, generateRsaKeyPair, parsePublicKey, sshFingerprint,
} from '../../src/compute/ssh-keys.js';

function hasSshKeygen(): boolean {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return (err as { status?: number }).status !== undefined && (err as { code?: string }).code !== 'ENOENT';
  }
}

const keygen = hasSshKeygen();

describe('ssh public keys', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-ssh-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [type, args] of [['rsa', ['-b', '2048']], ['ed25519', []], ['ecdsa', ['-b', '256']], ['ecdsa', ['-b', '521']]] as const) {
    test(`fingerprint of an ssh-keygen ${type} ${args.join(' ')} key matches ssh-keygen -E md5`, { skip: !keygen && 'ssh-keygen not installed' }, () => {
      const file = path.join(dir, `${type}${args.join('')}`);
      execFileSync('ssh-keygen', ['-q', '-t', type, ...args, '-N', '', '-C', 'me@host', '-f', file]);
      const pub = fs.readFileSync(`${file}.pub`, 'utf8');
      const expected = execFileSync('ssh-keygen', ['-l', '-E', 'md5', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1].replace(/^MD5:/, '');
      assert.equal(sshFingerprint(pub), expected);
      assert.equal(parsePublicKey(pub).comment, 'me@host');
    });
  }

  test('rejects what is not a well-formed key of the type it claims', () => {
    const good = generateEd25519KeyPair().publicKey;
    const blob = good.split(' ')[1];
    for (const bad of [
      '', 'ssh-rsa', 'garbage here', `ssh-rsa ${blob}`, `ssh-ed25519 ${blob.slice(0, -8)}`, `ssh-ed25519 !!!${blob}`,
      `ssh-dss ${blob}`, `ssh-ed25519 ${Buffer.concat([Buffer.from(blob, 'base64'), Buffer.from([0])]).toString('base64')}`,
    ]) {
      assert.throws(() => parsePublicKey(bad), InvalidPublicKey, JSON.stringify(bad));
    }
  });

  test('a generated ed25519 pair is an OpenSSH private key whose public half matches', { skip: !keygen && 'ssh-keygen not installed' }, () => {
    const kp = generateEd25519KeyPair();
    assert.match(kp.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    assert.match(kp.publicKey, /^ssh-ed25519 \S+ Generated-by-Nova$/);
    assert.equal(sshFingerprint(kp.publicKey), kp.fingerprint);
    const file = path.join(dir, 'generated');
    fs.writeFileSync(file, kp.privateKey, { mode: 0o600 });
    const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
    assert.equal(derived.split(' ').slice(0, 2).join(' '), kp.publicKey.split(' ').slice(0, 2).join(' '));
  });

  test('a generated RSA pair is PKCS#1 PEM and its fingerprint is Nova\'s', async () => {
    const kp = await generateRsaKeyPair(2048);
    assert.match(kp.privateKey, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.equal(sshFingerprint(kp.publicKey), kp.fingerprint);
    assert.match(kp.fingerprint, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
  });
});
