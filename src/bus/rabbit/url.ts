/**
 * rabbit:// transport URLs as oslo.messaging reads them:
 * rabbit://user:pass@host:port[,user:pass@host2:port2]/vhost. Several hosts
 * are tried in turn. Credentials are percent-decoded, so a password holding
 * '@', '/' or ',' is written %40, %2F, %2C.
 */
export interface RabbitHost {
  hostname: string;
  port: number;
  username: string;
  password: string;
}

export interface RabbitUrl {
  hosts: RabbitHost[];
  vhost: string;
}

export class InvalidRabbitUrl extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRabbitUrl';
  }
}

const DEFAULT_PORT = 5672;

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new InvalidRabbitUrl(`transport_url rabbit://: the ${what} is not valid percent-encoding`);
  }
}

function parseHost(entry: string, index: number): RabbitHost {
  const at = entry.lastIndexOf('@');
  const creds = at >= 0 ? entry.slice(0, at) : '';
  const hostPort = at >= 0 ? entry.slice(at + 1) : entry;
  const colon = creds.indexOf(':');
  const username = at < 0 ? 'guest' : decode(colon >= 0 ? creds.slice(0, colon) : creds, `user name of host ${index + 1}`);
  const password = at < 0 ? 'guest' : colon >= 0 ? decode(creds.slice(colon + 1), `password of host ${index + 1}`) : '';
  // Never echo the entry back: it holds the password.
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]*)(?::(\d*))?$/.exec(hostPort);
  if (!m) throw new InvalidRabbitUrl(`transport_url rabbit://: host ${index + 1} is not host[:port]`);
  const hostname = m[1].replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = m[2] ? Number(m[2]) : DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidRabbitUrl(`transport_url rabbit://: host ${index + 1} has port ${m[2]}, not 1-65535`);
  return { hostname, port, username, password };
}

export function parseRabbitUrl(url: string): RabbitUrl {
  const m = /^rabbit:\/\/(.*)$/s.exec(url);
  if (!m) throw new InvalidRabbitUrl('transport_url: not a rabbit:// URL');
  let rest = m[1];
  const q = rest.indexOf('?', rest.lastIndexOf('@') + 1);
  if (q >= 0) rest = rest.slice(0, q); // query options (ssl=..., etc.) are not read
  // The path starts at the first '/' after the last credentials; an undecoded '/' in a password would end up here.
  const slash = rest.indexOf('/', rest.lastIndexOf('@') + 1);
  const netloc = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash + 1) : '';
  const entries = netloc.split(',').filter((e) => e !== '');
  if (entries.length === 0) throw new InvalidRabbitUrl('transport_url rabbit://: names no host');
  return { hosts: entries.map(parseHost), vhost: path === '' ? '/' : decode(path, 'virtual host') };
}

/** The URL as it may be logged: user names and hosts, never a password. */
export function describeRabbitUrl(u: RabbitUrl): string {
  const hosts = u.hosts.map((h) => `${encodeURIComponent(h.username)}:***@${h.hostname.includes(':') ? `[${h.hostname}]` : h.hostname}:${h.port}`);
  return `rabbit://${hosts.join(',')}/${u.vhost === '/' ? '' : encodeURIComponent(u.vhost)}`;
}
