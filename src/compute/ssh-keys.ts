/**
 * OpenSSH public keys: parse and check one the way Nova does before storing it
 * (the blob must be a well-formed key of the type it claims), compute Nova's
 * fingerprint (MD5 of the key blob, colon-separated hex), and generate a key
 * pair for clients that ask Nova to make one.
 */
import { X509Certificate, createHash, createPublicKey, generateKeyPair as generateKeyPairCb, generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPairCb);

export class InvalidPublicKey extends Error {}

export interface ParsedPublicKey {
  type: string;
  blob: Buffer;
  comment: string;
}

/** Reads the length-prefixed fields of an SSH wire-format blob. */
class WireReader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}

  bytes(): Buffer {
    if (this.offset + 4 > this.buf.length) throw new InvalidPublicKey('truncated key');
    const len = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    if (len > this.buf.length - this.offset) throw new InvalidPublicKey('truncated key');
    const out = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return out;
  }

  string(): string {
    return this.bytes().toString('latin1');
  }

  done(): boolean {
    return this.offset === this.buf.length;
  }
}

const EC_CURVES: Record<string, { crv: string; size: number }> = {
  nistp256: { crv: 'P-256', size: 32 },
  nistp384: { crv: 'P-384', size: 48 },
  nistp521: { crv: 'P-521', size: 66 },
};

function b64url(buf: Buffer): string {
  return buf.toString('base64url');
}

/** An mpint as unsigned big-endian bytes (drops the sign byte OpenSSH adds). */
function unsignedMpint(buf: Buffer): Buffer {
  if (buf.length === 0 || (buf[0] & 0x80) !== 0) throw new InvalidPublicKey('negative or empty integer');
  let i = 0;
  while (i < buf.length - 1 && buf[i] === 0) i++;
  return buf.subarray(i);
}

/** Checks the blob's structure and lets node:crypto confirm the key material itself. */
function checkBlob(type: string, blob: Buffer): void {
  const r = new WireReader(blob);
  if (r.string() !== type) throw new InvalidPublicKey('key type does not match its data');
  let jwk: JsonWebKey;
  if (type === 'ssh-rsa') {
    const e = unsignedMpint(r.bytes());
    const n = unsignedMpint(r.bytes());
    if (n.length < 128) throw new InvalidPublicKey('RSA key too short');
    jwk = { kty: 'RSA', e: b64url(e), n: b64url(n) };
  } else if (type === 'ssh-ed25519') {
    const key = r.bytes();
    if (key.length !== 32) throw new InvalidPublicKey('bad ed25519 key length');
    jwk = { kty: 'OKP', crv: 'Ed25519', x: b64url(key) };
  } else if (type.startsWith('ecdsa-sha2-')) {
    const curveName = r.string();
    const curve = EC_CURVES[curveName];
    if (!curve || type !== `ecdsa-sha2-${curveName}`) throw new InvalidPublicKey('unknown curve');
    const q = r.bytes();
    if (q.length !== 1 + 2 * curve.size || q[0] !== 0x04) throw new InvalidPublicKey('bad EC point');
    jwk = { kty: 'EC', crv: curve.crv, x: b64url(q.subarray(1, 1 + curve.size)), y: b64url(q.subarray(1 + curve.size)) };
  } else {
    throw new InvalidPublicKey(`unsupported key type ${type}`);
  }
  if (!r.done()) throw new InvalidPublicKey('trailing data in key');
  try {
    createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new InvalidPublicKey('key material is not valid');
  }
}

export const SSH_KEY_TYPES = ['ssh-rsa', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'] as const;

/** Parses "type base64 [comment]"; throws InvalidPublicKey for anything else. */
export function parsePublicKey(text: string): ParsedPublicKey {
  const parts = text.trim().split(/\s+/);
  if (parts.length < 2) throw new InvalidPublicKey('expected "<type> <base64> [comment]"');
  const [type, data] = parts;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data) || data.length % 4 !== 0) throw new InvalidPublicKey('key data is not base64');
  const blob = Buffer.from(data, 'base64');
  checkBlob(type, blob);
  return { type, blob, comment: parts.slice(2).join(' ') };
}

export function md5Fingerprint(blob: Buffer): string {
  return createHash('md5').update(blob).digest('hex').match(/../g)!.join(':');
}

/** Nova's fingerprint of an OpenSSH public key. */
export function sshFingerprint(publicKey: string): string {
  return md5Fingerprint(parsePublicKey(publicKey).blob);
}

/** Nova's fingerprint of an x509 keypair: SHA-1 of the certificate, colon hex, lower case. */
export function x509Fingerprint(pem: string): string {
  try {
    return new X509Certificate(pem).fingerprint.toLowerCase();
  } catch {
    throw new InvalidPublicKey('not a PEM x509 certificate');
  }
}

export interface GeneratedKeyPair {
  publicKey: string;
  privateKey: string;
  fingerprint: string;
}

function wireString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function wireMpint(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length - 1 && unsigned[i] === 0) i++;
  const trimmed = unsigned.subarray(i);
  return wireString((trimmed[0] & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const GENERATED_COMMENT = 'Generated-by-Nova';

/**
 * A new ed25519 key pair: the private key in OpenSSH's own format (what
 * ssh-keygen writes; PKCS#8 ed25519 is not read by every ssh client).
 * Ed25519 keeps generation cheap enough to do inside a request.
 */
export function generateEd25519KeyPair(): GeneratedKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const blob = Buffer.concat([wireString('ssh-ed25519'), wireString(pub)]);
  const check = randomBytes(4).readUInt32BE();
  let priv = Buffer.concat([
    uint32(check), uint32(check),
    wireString('ssh-ed25519'), wireString(pub), wireString(Buffer.concat([seed, pub])), wireString(GENERATED_COMMENT),
  ]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const file = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    wireString('none'), wireString('none'), wireString(''), uint32(1),
    wireString(blob), wireString(priv),
  ]);
  return {
    publicKey: `ssh-ed25519 ${blob.toString('base64')} ${GENERATED_COMMENT}`,
    privateKey: pem('OPENSSH PRIVATE KEY', file),
    fingerprint: md5Fingerprint(blob),
  };
}

/**
 * A new RSA key pair (Nova's own choice), private key as PKCS#1 PEM. RSA
 * generation is slow, so it runs on libuv's thread pool, never on the event loop.
 */
export async function generateRsaKeyPair(bits = 2048): Promise<GeneratedKeyPair> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
  const jwk = publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([
    wireString('ssh-rsa'), wireMpint(Buffer.from(jwk.e!, 'base64url')), wireMpint(Buffer.from(jwk.n!, 'base64url')),
  ]);
  return {
    publicKey: `ssh-rsa ${blob.toString('base64')} ${GENERATED_COMMENT}`,
    privateKey: privateKey.export({ format: 'pem', type: 'pkcs1' }).toString(),
    fingerprint: md5Fingerprint(blob),
  };
}
