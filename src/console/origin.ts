/**
 * The Origin check of Nova's console proxy: a browser page on another site
 * must not open a console with a token it got hold of. A request without
 * Origin comes from a non-browser client and passes, as in Nova.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Why the Origin is refused, or null when it is acceptable. */
export function originRefusal(headers: IncomingHttpHeaders, accessUrlBase: string, allowedOrigins: readonly string[]): string | null {
  const origin = headers.origin;
  if (origin === undefined) return null;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'the Origin header is not a URL';
  }
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!hostname) return 'the Origin header names no host';
  const expected = [...allowedOrigins, hostOnly(headers.host ?? '')];
  if (!expected.includes(hostname)) return 'the Origin does not match this host';
  // Behind a TLS-terminating proxy the browser's scheme is in X-Forwarded-Proto.
  const forwarded = headers['x-forwarded-proto'];
  const scheme = (typeof forwarded === 'string' && forwarded ? forwarded : url.protocol.replace(/:$/, '')).toLowerCase();
  if (!expectedSchemes(accessUrlBase).includes(scheme)) return 'the Origin\'s protocol does not match the console URL\'s';
  return null;
}

/** The Host header without its port (and an IPv6 address without its brackets). */
function hostOnly(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  return host.split(':')[0];
}

/** A serial console's ws:// or wss:// URL is opened from an http:// or https:// page respectively. */
function expectedSchemes(accessUrlBase: string): string[] {
  let scheme: string;
  try {
    scheme = new URL(accessUrlBase).protocol.replace(/:$/, '');
  } catch {
    return [];
  }
  if (scheme === 'ws') return ['ws', 'http'];
  if (scheme === 'wss') return ['wss', 'https'];
  return [scheme];
}
