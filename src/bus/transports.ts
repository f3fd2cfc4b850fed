import { MemoryTransport } from './memory/transport.js';
import type { Transport } from './transport.js';

export class UnsupportedTransportUrl extends Error {}

/** One transport per process for memory:// (it is the process's own bus). */
export function openTransport(url: string): Transport {
  if (url.startsWith('memory:')) return new MemoryTransport(url);
  if (url.startsWith('rabbit:')) {
    throw new UnsupportedTransportUrl(`transport_url ${url.replace(/\/\/[^@/]*@/, '//***@')}: the rabbit:// transport is not built yet; use memory://`);
  }
  throw new UnsupportedTransportUrl(`transport_url "${url}": unsupported scheme (use memory:// or rabbit://)`);
}
