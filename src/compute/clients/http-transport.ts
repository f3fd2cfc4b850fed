/**
 * The HTTP requests of a compute host's service clients, on node:http(s)
 * with keep-alive agents. Not the global fetch: its first call loads undici,
 * some 12 MB that an idle compute process would carry for a few small JSON
 * calls to placement, image and network.
 */
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';

export interface TransportRequest {
  url: string;
  method: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** JSON text, or a stream (image data) sent chunked unless the headers give its content-length. */
  body?: string | Readable;
  /** Until the answer's headers arrive, restarted by every chunk of a streamed body. */
  timeoutMs: number;
  /** What a request that ran out of time throws. */
  timedOut: () => Error;
}

/** One answer: its status and headers, with the body still to be read (once, by one of its readers). */
export class ServiceResponse {
  readonly status: number;

  constructor(readonly body: http.IncomingMessage) {
    this.status = body.statusCode ?? 0;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** A header's value (a repeated one joined as node joins it), by its lower-case name. */
  header(name: string): string | undefined {
    const v = this.body.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  }

  async text(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  /** Reads the body to its end so the connection goes back to the agent; a broken body is no failure here. */
  async drain(): Promise<void> {
    try {
      for await (const _ of this.body) { /* discarded */ }
    } catch { /* the answer was already decided by its status */ }
  }
}

const httpAgent = new http.Agent({ keepAlive: true });
let httpsAgent: Promise<{ request: typeof http.request; agent: http.Agent }> | undefined;

/** node:https (and with it TLS) is loaded only by a host whose services are on https URLs. */
async function transportFor(protocol: string): Promise<{ request: typeof http.request; agent: http.Agent }> {
  if (protocol === 'http:') return { request: http.request, agent: httpAgent };
  if (protocol !== 'https:') throw new Error(`unsupported URL scheme ${protocol}`);
  httpsAgent ??= import('node:https').then((https) => ({ request: https.request, agent: new https.Agent({ keepAlive: true }) }));
  return httpsAgent;
}

/** Methods whose empty body fetch announced with content-length: 0, as servers expect of them. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Errors of a kept-alive connection the server had closed just before it was reused: the request never reached it. */
const STALE_CONNECTION = new Set(['ECONNRESET', 'EPIPE']);

/**
 * Sends one request and resolves with the answer once its headers arrive. A
 * request without a streamed body that meets a stale kept-alive connection is
 * sent once more on a fresh one.
 */
export async function sendRequest(r: TransportRequest): Promise<ServiceResponse> {
  const url = new URL(r.url);
  const { request, agent } = await transportFor(url.protocol);
  const headers: Record<string, string> = { ...r.headers };
  if (typeof r.body === 'string') headers['content-length'] = String(Buffer.byteLength(r.body));
  else if (r.body === undefined && BODY_METHODS.has(r.method)) headers['content-length'] = '0';

  const attempt = (mayRetry: boolean): Promise<ServiceResponse> => new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    let settled = false;
    const settle = () => {
      settled = true;
      clearTimeout(timer);
    };
    const req = request(url, { method: r.method, headers, agent }, (res) => {
      settle();
      resolve(new ServiceResponse(res));
    });
    const arm = () => {
      if (settled) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        expired = true;
        req.destroy(r.timedOut());
      }, r.timeoutMs);
      timer.unref();
    };
    req.on('error', (err: NodeJS.ErrnoException) => {
      settle();
      if (!expired && mayRetry && req.reusedSocket && STALE_CONNECTION.has(err.code ?? '')) resolve(attempt(false));
      else reject(err);
    });
    arm();
    if (r.body === undefined || typeof r.body === 'string') {
      req.end(r.body);
    } else {
      // A large image may take longer than one timeout to move: only a stalled upload times out.
      r.body.on('data', arm);
      pipeline(r.body, req).catch((err: Error) => req.destroy(err));
    }
  });
  return attempt(r.body === undefined || typeof r.body === 'string');
}
