/**
 * Other spellings of a token that Node's lenient base64url decoder reads as the
 * same signature bytes: each is a string the token service must refuse.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Rewrites the signature part (the last); the rest of the token is left as it is. */
function inSignature(edit: (mac: string) => string): (token: string) => string {
  return (token) => {
    const dot = token.lastIndexOf('.');
    return token.slice(0, dot + 1) + edit(token.slice(dot + 1));
  };
}

const insertMid = (c: string) => inSignature((mac) => mac.slice(0, mac.length >> 1) + c + mac.slice(mac.length >> 1));

export const TOKEN_SPELLINGS: ReadonlyArray<[name: string, respell: (token: string) => string]> = [
  ['its last character changed in the unused bits', inSignature((mac) => {
    const spareBits = (6 - ((Buffer.from(mac, 'base64url').length * 8) % 6)) % 6;
    if (spareBits === 0) throw new Error('this signature length has no spare bits to flip');
    // The lowest bit of the last character is one the decoder throws away.
    return mac.slice(0, -1) + ALPHABET[ALPHABET.indexOf(mac[mac.length - 1]!) ^ 1];
  })],
  ["'!' inserted", insertMid('!')],
  ["'*' inserted", insertMid('*')],
  ["'%' inserted", insertMid('%')],
  ["'~' inserted", insertMid('~')],
  ["'$' inserted", insertMid('$')],
  ["'==' appended", (token) => `${token}==`],
  ['a raw 0xff byte appended', (token) => `${token}\u00ff`],
];

/** Each spelling of token, checked to decode to the same signature bytes (else it would test nothing). */
export function respell(token: string, respellFn: (token: string) => string): string {
  const sig = (t: string) => Buffer.from(t.slice(t.lastIndexOf('.') + 1), 'base64url');
  const out = respellFn(token);
  if (out === token || !sig(out).equals(sig(token))) throw new Error(`${JSON.stringify(out)} is not another spelling of the same signature`);
  return out;
}
