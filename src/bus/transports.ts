import { MemoryTransport } from './memory/transport.js';
import type { Transport } from './transport.js';

export class UnsupportedTransportUrl extends Error {}

/**
 * The URL's scheme only: a transport URL carries credentials, and a password
 * may itself contain '@' or '/', so no pattern reliably masks the rest.
 */
function schemeOf(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  return m ? `${m[1]}://` : '(no scheme)';
}

/** One transport per process for memory:// (it is the process's own bus). */
export function openTransport(url: string): Transport {
  if (url.startsWith('memory:')) return new MemoryTransport(url);
  if (url.startsWith('rabbit:')) {
    throw new UnsupportedTransportUrl('transport_url rabbit://...: the rabbit:// transport is not built yet; use memory://');
  }
  throw new UnsupportedTransportUrl(`transport_url ${schemeOf(url)}...: unsupported scheme (use memory:// or rabbit://)`);
}
