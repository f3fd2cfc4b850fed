/**
 * The HTTP transport of a compute host's service clients (node:http with
 * keep-alive, not fetch): the per-request timeout, a streamed upload that
 * keeps moving, a stale kept-alive connection, and no undici loaded.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type net from 'node:net';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { HttpPlacementClient } from '../../../src/compute/clients/http-placement-client.js';
import { KeystoneSession, RemoteTimeout } from '../../../src/compute/clients/keystone-session.js';
import { sendRequest } from '../../../src/compute/clients/http-transport.js';
import { NotFound } from '../../../src/errors.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A loopback server answering with `handler`; its URL. */
async function serve(handler: Handler): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, server };
}

async function stop(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

/** Keystone's token answer with a catalog naming one placement endpoint, and placement's allocations of any consumer. */
function identityAndPlacement(base: () => string): Handler {
  return (req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/identity/v3/auth/tokens') {
        res.writeHead(201, { 'content-type': 'application/json', 'x-subject-token': 'service-token' });
        res.end(JSON.stringify({
          token: { expires_at: new Date(Date.now() + 3600_000).toISOString(), catalog: [{ type: 'placement', endpoints: [{ interface: 'public', url: `${base()}/placement` }] }] },
        }));
      } else if (req.url?.startsWith('/placement/allocations/') && req.headers['x-auth-token'] === 'service-token') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ allocations: {} }));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ status: 404, title: 'Not Found', detail: 'No such thing.' }] }));
      }
    });
  };
}

function session(authUrl: string, timeoutMs: number): KeystoneSession {
  return new KeystoneSession({
    authUrl, username: 'nova', password: 'secret', projectName: 'service', userDomainName: 'Default', projectDomainName: 'Default',
    regionName: '', validInterfaces: ['public'], endpointOverride: '', timeoutMs,
  });
}

describe('the compute host\'s HTTP transport', () => {
  let cloud: { url: string; server: http.Server };
  before(async () => { cloud = await serve(identityAndPlacement(() => cloud.url)); });
  after(async () => stop(cloud.server));

  test('a service that does not answer within [section] timeout is a RemoteTimeout naming it', async () => {
    const silent = await serve(() => { /* never answers */ });
    try {
      await assert.rejects(new HttpPlacementClient(session(`${silent.url}/identity`, 200)).getAllocations('c1'), (err: Error) => {
        assert.ok(err instanceof RemoteTimeout, String(err));
        assert.match(err.message, /identity service did not answer within 0.2 s/);
        return true;
      });
    } finally {
      await stop(silent.server);
    }
  });

  test('calls carry the service token and map a fault to the error catalog', async () => {
    const s = session(`${cloud.url}/identity`, 5000);
    assert.deepEqual((await new HttpPlacementClient(s).getAllocations('consumer-1')).allocations, {});
    await assert.rejects(s.request('placement', { path: '/resource_providers/missing', service: 'placement' }), (err: Error) => {
      assert.ok(err instanceof NotFound, String(err));
      assert.equal(err.message, 'No such thing.');
      return true;
    });
  });

  test('a streamed upload longer than one timeout, but never stalled, is not timed out', async () => {
    let received = 0;
    const sink = await serve((req, res) => {
      req.on('data', (c: Buffer) => { received += c.length; });
      req.on('end', () => { res.writeHead(204); res.end(); });
    });
    try {
      const chunks = 6;
      let sent = 0;
      // Each chunk comes 100 ms after the previous: 600 ms in all against a 250 ms timeout.
      const body = new Readable({
        read() {
          setTimeout(() => this.push(sent++ < chunks ? Buffer.alloc(1024, 1) : null), 100);
        },
      });
      const res = await sendRequest({ url: `${sink.url}/file`, method: 'PUT', headers: {}, body, timeoutMs: 250, timedOut: () => new Error('timed out') });
      await res.drain();
      assert.equal(res.status, 204);
      assert.equal(received, chunks * 1024);
    } finally {
      await stop(sink.server);
    }
  });

  test('a kept-alive connection the server dropped is replaced and the request sent again', async () => {
    const served = new WeakSet<net.Socket>();
    let requests = 0;
    // The second request on a connection finds it closed, as after the server's keep-alive timeout.
    const flaky = await serve((req, res) => {
      requests++;
      if (served.has(req.socket)) { req.socket.destroy(); return; }
      served.add(req.socket);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ n: requests }));
    });
    try {
      const get = async () => (await sendRequest({ url: `${flaky.url}/x`, method: 'GET', headers: {}, timeoutMs: 5000, timedOut: () => new Error('timed out') })).json();
      assert.deepEqual(await get(), { n: 1 });
      assert.deepEqual(await get(), { n: 3 });
      assert.equal(requests, 3);
    } finally {
      await stop(flaky.server);
    }
  });

  test('service calls do not load undici (the global fetch), some 12 MB of a compute process', async () => {
    const module = new URL('../../../src/compute/clients/', import.meta.url).href;
    const script = `
      const { KeystoneSession } = await import('${module}keystone-session.js');
      const { HttpPlacementClient } = await import('${module}http-placement-client.js');
      const s = new KeystoneSession({ authUrl: '${cloud.url}/identity', username: 'nova', password: 'secret', projectName: 'service',
        userDomainName: 'Default', projectDomainName: 'Default', regionName: '', validInterfaces: ['public'], endpointOverride: '', timeoutMs: 5000 });
      const got = await new HttpPlacementClient(s).getAllocations('consumer-1');
      console.log(JSON.stringify({ got, undici: process.moduleLoadList.some((m) => m.includes('undici')) }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    const out = JSON.parse(stdout) as { got: { allocations: unknown }; undici: boolean };
    assert.deepEqual(out.got.allocations, {}, 'the call went through');
    assert.equal(out.undici, false);
  });
});
