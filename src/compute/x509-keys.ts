/**
 * x509 key pairs (microversion 2.2) that Nova generates: an RSA key and a
 * self-signed certificate for the user, made by the openssl command as Nova's
 * own generator does (Node's crypto parses certificates but cannot issue one).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { GeneratedKeyPair } from './ssh-keys.js';
import { x509Fingerprint } from './ssh-keys.js';

const run = promisify(execFile);

export async function generateX509KeyPair(userId: string): Promise<GeneratedKeyPair> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kilonova-x509-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    // The subject is the user id; anything outside a plain id would be read as subject syntax.
    const cn = /^[A-Za-z0-9_-]{1,64}$/.test(userId) ? userId : 'kilonova-user';
    await run('openssl', ['req', '-x509', '-nodes', '-days', '3650', '-newkey', 'rsa:2048',
      '-subj', `/CN=${cn}`, '-keyout', key, '-out', cert], { timeout: 30_000 });
    const publicKey = await fs.readFile(cert, 'utf8');
    return { publicKey, privateKey: await fs.readFile(key, 'utf8'), fingerprint: x509Fingerprint(publicKey) };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
