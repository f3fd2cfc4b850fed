/**
 * Neutron's metadata agent (neutron/agent/metadata/agent.py): an HTTP server
 * on a unix socket that the namespaces' proxies forward guests' requests to,
 * each carrying the network it came from (X-Neutron-Network-ID) and the
 * guest's own address (X-Forwarded-For), both set by the proxy and not by the
 * guest. The agent finds the compute port holding that address on that
 * network, and asks Nova's metadata API for that port's instance with the
 * signed X-Instance-ID. No such port, no metadata: a guest is only ever
 * answered about the instance its own address belongs to, on its own network.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { signInstanceId } from '../../../metadata/signature.js';
import { errorPage, TEXT_PLAIN, UNKNOWN_ERROR } from '../../../metadata/error-page.js';
import type { MetadataPortLookup } from './port-lookup.js';

export type { MetadataPort, MetadataPortLookup } from './port-lookup.js';

export interface MetadataAgentOptions {
  /** [DEFAULT] metadata_proxy_socket */
  socketPath: string;
  /** Nova's metadata API, e.g. http://127.0.0.1:8775 ([DEFAULT] nova_metadata_host/port) */
  novaMetadataUrl: string;
  /** [neutron] metadata_proxy_shared_secret, the same as the metadata API's */
  sharedSecret: string;
  lookupPort: MetadataPortLookup;
  logger: Logger;
  /** Mode of the socket: Neutron's 0644 when the proxies run as the agent's user (root). */
  socketMode?: number;
  /** How long the metadata API may take to answer. */
  timeoutMs?: number;
}

export interface MetadataAgent {
  socketPath: string;
  close(): Promise<void>;
}

/** Nova's password handler takes at most 1020 bytes; a little more lets Nova say so itself. */
const MAX_BODY_BYTES = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

/** Neutron answers these codes from Nova as themselves (bare pages); any other is a failure. */
const PASSED_ON = new Set([400, 403, 404, 409]);

class Refusal extends Error {
  constructor(readonly status: number, message?: string) {
    super(message);
  }
}

/** The one value a header has; a repeated header (which Node joins with ', ') is none. */
function single(req: http.IncomingMessage, name: string): string | undefined {
  let found: string | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== name) continue;
    if (found !== undefined) return undefined;
    found = raw[i + 1]!;
  }
  return found?.trim();
}

/** The guest's address as Neutron reads X-Forwarded-For: IPv4-mapped IPv6 is the IPv4 address it maps. */
export function guestAddress(forwardedFor: string | undefined): string | null {
  if (!forwardedFor) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(forwardedFor);
  const address = mapped ? mapped[1]! : forwardedFor;
  return isIP(address) ? address : null;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Refusal(400, 'Request is too large.'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, contentType: string, body: Buffer | string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startMetadataAgent(opts: MetadataAgentOptions): Promise<MetadataAgent> {
  const { logger } = opts;
  const base = new URL(opts.novaMetadataUrl);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  /** Neutron's _get_instance_and_tenant_id, for networks only (this agent serves no router proxies). */
  async function resolveInstance(req: http.IncomingMessage): Promise<{ instanceId: string; projectId: string; address: string }> {
    const networkId = single(req, 'x-neutron-network-id');
    // Both ids at once could be a guest's own header slipping through: dropped, as Neutron does.
    if (!networkId || req.headers['x-neutron-router-id'] !== undefined) throw new Refusal(404);
    const address = guestAddress(single(req, 'x-forwarded-for'));
    if (!address) throw new Refusal(404);
    const port = await opts.lookupPort(networkId, address);
    // Only a server's port gets metadata: a router's or the DHCP port's address is nobody's instance.
    if (!port || !port.deviceOwner.startsWith('compute:') || !port.deviceId) {
      logger.info({ network: networkId, address }, 'metadata request from an address no instance holds on this network');
      throw new Refusal(404);
    }
    return { instanceId: port.deviceId, projectId: port.projectId, address };
  }

  /** Neutron's _proxy_request: Nova's answer passed on as it came for 200, as a bare page for the codes it knows. */
  async function proxy(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { instanceId, projectId, address } = await resolveInstance(req);
    const method = req.method ?? 'GET';
    const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req);
    // Appended as text, never resolved against the base: a path like //elsewhere/ must stay a path on Nova's host.
    const requestPath = req.url?.startsWith('/') ? req.url : `/${req.url ?? ''}`;
    const target = `${base.origin}${base.pathname.replace(/\/+$/, '')}${requestPath}`;
    const answer = await fetch(target, {
      method, body: body ? new Uint8Array(body) : undefined, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs),
      headers: {
        'X-Forwarded-For': address, 'X-Instance-ID': instanceId, 'X-Tenant-ID': projectId,
        'X-Instance-ID-Signature': signInstanceId(opts.sharedSecret, instanceId),
        ...(body ? { 'Content-Type': req.headers['content-type'] ?? 'application/octet-stream' } : {}),
      },
    });
    const content = Buffer.from(await answer.arrayBuffer());
    if (answer.status === 200) {
      send(res, 200, answer.headers.get('content-type') ?? TEXT_PLAIN, content);
      return;
    }
    if (answer.status === 403) logger.warn('the metadata API refused the signature: the shared secrets do not match');
    if (PASSED_ON.has(answer.status)) throw new Refusal(answer.status);
    if (answer.status === 500) throw new Refusal(500, 'Remote metadata server experienced an internal server error.');
    throw new Error(`Unexpected response code: ${answer.status}`);
  }

  const server = http.createServer((req, res) => {
    proxy(req, res).catch((err: unknown) => {
      const refusal = err instanceof Refusal ? err : null;
      if (!refusal) logger.error({ err, path: req.url }, 'metadata request failed');
      const page = errorPage(refusal?.status ?? 500, refusal ? refusal.message || undefined : UNKNOWN_ERROR);
      if (!res.headersSent) send(res, page.status, TEXT_PLAIN, page.body);
      else res.destroy();
    });
  });

  // A socket left by an agent that did not stop cleanly would make listen fail: it is this agent's to replace.
  await fs.promises.mkdir(path.dirname(opts.socketPath), { recursive: true });
  await fs.promises.rm(opts.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await fs.promises.chmod(opts.socketPath, opts.socketMode ?? 0o644);
  logger.info({ socket: opts.socketPath, nova: base.origin }, 'metadata agent listening');

  return {
    socketPath: opts.socketPath,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.promises.rm(opts.socketPath, { force: true });
    },
  };
}
