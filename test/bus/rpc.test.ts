/**
 * RPC over every transport: call, cast and fanoutCast, remote errors,
 * timeouts, the request context, and that only JSON crosses the bus.
 */
import { describe, test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Transport } from '../../src/bus/transport.js';
import { transportsUnderTest } from './transports-under-test.js';
import { RemoteError, RpcClient, RpcServer, RpcTimeout, type RpcEndpoint } from '../../src/bus/rpc.js';
import type { RequestContext } from '../../src/bus/context.js';
import { internalContext } from '../../src/bus/context.js';
import { testLogger } from '../helpers/logger.js';

function ctx(requestId = `req-${randomUUID()}`): RequestContext {
  return { requestId, userId: 'u-1', projectId: 'p-1', roles: ['member'], userName: 'demo', projectName: 'demo' };
}

async function waitUntil(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`waited ${ms} ms for ${what}`);
    await sleep(2);
  }
}

class NoValidHost extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoValidHost';
  }
}
/** Sets no name of its own: the class name must still travel. */
class QuotaExceeded extends Error {}

const IMPLEMENTATIONS = await transportsUnderTest();

for (const impl of IMPLEMENTATIONS) describe(`RPC over ${impl.name}://`, { skip: impl.skip }, () => {
  let transport: Transport;
  let client: RpcClient;
  let servers: RpcServer[];
  let topicName: string;

  async function serve(endpoint: RpcEndpoint, topic = topicName): Promise<RpcServer> {
    const s = new RpcServer(transport, topic, endpoint, testLogger);
    await s.start();
    servers.push(s);
    return s;
  }

  before(() => impl.setup());
  after(() => impl.teardown());
  beforeEach(async () => {
    transport = await impl.open();
    client = new RpcClient(transport, 2000);
    servers = [];
    topicName = `svc.${randomUUID()}`;
  });
  afterEach(async () => {
    await client.close();
    for (const s of servers) await s.stop();
    await transport.close();
  });

  describe('call', () => {
    test('returns the remote method\'s result', async () => {
      await serve({ add: (_c, { a, b }: { a: number; b: number }) => a + b });
      assert.equal(await client.call(ctx(), topicName, 'add', { a: 2, b: 40 }), 42);
    });

    test('awaits an async method and returns structured results', async () => {
      await serve({
        async select(_c, { n }: { n: number }) {
          await sleep(5);
          return Array.from({ length: n }, (_, i) => ({ host: `h${i}`, weight: i / 2, alt: [] }));
        },
      });
      const r = await client.call<Array<{ host: string }>>(ctx(), topicName, 'select', { n: 3 });
      assert.deepEqual(r, [{ host: 'h0', weight: 0, alt: [] }, { host: 'h1', weight: 0.5, alt: [] }, { host: 'h2', weight: 1, alt: [] }]);
    });

    test('a method returning nothing gives null', async () => {
      await serve({ noop: () => undefined });
      assert.equal(await client.call(ctx(), topicName, 'noop', {}), null);
    });

    test('many concurrent calls each get their own reply', async () => {
      await serve({ echo: async (_c, { i }: { i: number }) => { await sleep(i % 3); return i; } });
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => client.call(ctx(), topicName, 'echo', { i })));
      assert.deepEqual(results, Array.from({ length: 50 }, (_, i) => i));
    });

    test('the remote error arrives as RemoteError with its name and message', async () => {
      await serve({ pick: () => { throw new NoValidHost('No valid host was found. There are not enough hosts available.'); } });
      await assert.rejects(client.call(ctx(), topicName, 'pick', {}), (err: unknown) => {
        assert.ok(err instanceof RemoteError);
        assert.equal(err.remoteName, 'NoValidHost');
        assert.equal(err.message, 'No valid host was found. There are not enough hosts available.');
        return true;
      });
    });

    test('an error class that sets no name still arrives under its class name', async () => {
      await serve({ claim: async () => { throw new QuotaExceeded('Quota exceeded for cores'); } });
      await assert.rejects(client.call(ctx(), topicName, 'claim', {}), (err: unknown) => {
        assert.ok(err instanceof RemoteError);
        assert.equal(err.remoteName, 'QuotaExceeded');
        assert.equal(err.message, 'Quota exceeded for cores');
        return true;
      });
    });

    test('a plain Error and a thrown non-error arrive as RemoteError "Error"', async () => {
      await serve({
        plain: () => { throw new Error('plain failure'); },
        str: () => { throw 'a string'; },
      });
      await assert.rejects(client.call(ctx(), topicName, 'plain', {}), { name: 'RemoteError', remoteName: 'Error', message: 'plain failure' });
      await assert.rejects(client.call(ctx(), topicName, 'str', {}), { name: 'RemoteError', remoteName: 'Error', message: 'a string' });
    });

    test('an unknown method is a remote UnknownRpcMethod error, and the server goes on serving', async () => {
      await serve({ ping: () => 'pong' });
      for (const method of ['nope', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) {
        await assert.rejects(client.call(ctx(), topicName, method, {}), (err: unknown) => {
          assert.ok(err instanceof RemoteError, `${method}: ${String(err)}`);
          assert.equal(err.remoteName, 'UnknownRpcMethod');
          assert.match(err.message, new RegExp(method.replace(/_/g, '_')));
          return true;
        });
      }
      assert.equal(await client.call(ctx(), topicName, 'ping', {}), 'pong');
    });

    test('times out with RpcTimeout when no server answers', async () => {
      const started = Date.now();
      await assert.rejects(client.call(ctx(), `nobody.${randomUUID()}`, 'select_destinations', {}, { timeoutMs: 60 }), (err: unknown) => {
        assert.ok(err instanceof RpcTimeout);
        assert.equal(err.method, 'select_destinations');
        assert.equal(err.timeoutMs, 60);
        assert.match(err.message, /select_destinations/);
        return true;
      });
      const took = Date.now() - started;
      assert.ok(took >= 55 && took < 2000, `timed out after ${took} ms`);
    });

    test('uses the client\'s default timeout when none is given', async () => {
      const quick = new RpcClient(transport, 40);
      try {
        await assert.rejects(quick.call(ctx(), `nobody.${randomUUID()}`, 'm', {}), RpcTimeout);
      } finally {
        await quick.close();
      }
    });

    test('a reply that comes after the timeout is ignored, and later calls still work', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let finished = false;
      await serve({
        slow: async () => { await gate; finished = true; return 'late'; },
        fast: () => 'fast',
      });
      await assert.rejects(client.call(ctx(), topicName, 'slow', {}, { timeoutMs: 30 }), RpcTimeout);
      release();
      await waitUntil(() => finished, 'the slow method to finish');
      await sleep(10);
      assert.equal(await client.call(ctx(), topicName, 'fast', {}), 'fast');
    });

    test('close rejects calls still waiting', async () => {
      await serve({ hang: () => new Promise(() => undefined) });
      const p = client.call(ctx(), topicName, 'hang', {}, { timeoutMs: 5000 });
      await sleep(10);
      // Expect before closing: over a broker, close() itself waits on I/O while the call settles.
      const rejected = assert.rejects(p, /closed/);
      await client.close();
      await rejected;
    });
  });

  describe('cast', () => {
    test('reaches the server and returns without waiting for the method', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const seen: unknown[] = [];
      let done = false;
      await serve({
        build_and_run_instance: async (_c, args) => {
          seen.push(args);
          await gate;
          done = true;
        },
      });
      await client.cast(ctx(), topicName, 'build_and_run_instance', { instance_uuid: 'abc' });
      await waitUntil(() => seen.length === 1, 'the cast to arrive');
      assert.equal(done, false, 'cast waited for the method to finish');
      assert.deepEqual(seen, [{ instance_uuid: 'abc' }]);
      release();
      await waitUntil(() => done, 'the method to finish');
    });

    test('a cast whose method fails reports nothing to the caller and the server keeps serving', async () => {
      let calls = 0;
      await serve({ boom: () => { calls++; throw new Error('cast failure'); }, ping: () => 'pong' });
      await client.cast(ctx(), topicName, 'boom', {});
      await client.cast(ctx(), topicName, 'unknown_method', {});
      await waitUntil(() => calls === 1, 'the cast to run');
      assert.equal(await client.call(ctx(), topicName, 'ping', {}), 'pong');
    });

    test('reaches exactly one of several servers of a topic', async () => {
      const hits: string[] = [];
      for (const name of ['s1', 's2', 's3']) await serve({ work: (_c, { n }: { n: number }) => void hits.push(`${name}:${n}`) });
      for (let n = 0; n < 30; n++) await client.cast(ctx(), topicName, 'work', { n });
      await waitUntil(() => hits.length >= 30, '30 casts');
      await sleep(20);
      assert.equal(hits.length, 30);
      assert.deepEqual(hits.map((h) => Number(h.split(':')[1])).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i));
    });

    test('a cast delivered twice (a redelivery after a lost acknowledgement) runs once', async () => {
      const runs: string[] = [];
      await serve({ build: (_c, { name }: { name: string }) => void runs.push(name) });
      // Every message this client sends reaches the broker twice, as a redelivery does.
      const twice: Transport = {
        url: transport.url,
        listen: (t, h) => transport.listen(t, h),
        listenFanout: (t, h) => transport.listenFanout(t, h),
        send: async (t, b, o) => { await transport.send(t, b, o); await transport.send(t, b, o); },
        fanout: (t, b) => transport.fanout(t, b),
        close: async () => undefined,
      };
      await new RpcClient(twice, 2000).cast(ctx(), topicName, 'build', { name: 'a' });
      await client.cast(ctx(), topicName, 'build', { name: 'a' });
      await client.cast(ctx(), topicName, 'build', { name: 'last' });
      await waitUntil(() => runs.includes('last'), 'the last cast');
      await sleep(impl.quietMs);
      assert.deepEqual(runs.sort(), ['a', 'a', 'last'], 'the duplicate ran once; a second cast with the same arguments is not a duplicate');
    });

    test('a cast sent before its server starts is handled when it starts', async () => {
      await client.cast(ctx(), topicName, 'work', { n: 7 });
      const seen: number[] = [];
      await serve({ work: (_c, { n }: { n: number }) => void seen.push(n) });
      await waitUntil(() => seen.length === 1, 'the early cast');
      assert.deepEqual(seen, [7]);
    });
  });

  describe('fanoutCast', () => {
    test('reaches every server of the topic once, and no other topic', async () => {
      const hits: string[] = [];
      for (const name of ['a', 'b', 'c']) await serve({ refresh: (_c, { gen }: { gen: number }) => void hits.push(`${name}:${gen}`) });
      const other: string[] = [];
      await serve({ refresh: () => void other.push('x') }, `other.${randomUUID()}`);
      await client.fanoutCast(ctx(), topicName, 'refresh', { gen: 1 });
      await waitUntil(() => hits.length >= 3, 'three servers');
      await sleep(20);
      assert.deepEqual(hits.sort(), ['a:1', 'b:1', 'c:1']);
      assert.deepEqual(other, []);
    });

    test('a stopped server no longer receives fanout casts', async () => {
      const hits: string[] = [];
      const s1 = await serve({ refresh: () => void hits.push('one') });
      await serve({ refresh: () => void hits.push('two') });
      await s1.stop();
      await client.fanoutCast(ctx(), topicName, 'refresh', {});
      await waitUntil(() => hits.length >= 1, 'the running server');
      await sleep(20);
      assert.deepEqual(hits, ['two']);
    });
  });

  describe('what crosses the bus', () => {
    test('the request context reaches the endpoint', async () => {
      const seen: RequestContext[] = [];
      await serve({ who: (c) => { seen.push(c); return c.requestId; }, note: (c) => void seen.push(c) });
      const c = ctx('req-1b4e28ba-2fa1-11d2-883f-0016d3cca427');
      assert.equal(await client.call(c, topicName, 'who', {}), 'req-1b4e28ba-2fa1-11d2-883f-0016d3cca427');
      await client.cast(internalContext('req-periodic'), topicName, 'note', {});
      await waitUntil(() => seen.length === 2, 'the cast');
      assert.deepEqual(seen[0], c);
      assert.notEqual(seen[0], c, 'the context was passed by reference');
      assert.equal(seen[1].requestId, 'req-periodic');
      assert.deepEqual(seen[1].roles, ['admin']);
    });

    test('mutating the args after cast does not change what the server sees', async () => {
      const seen: Array<Record<string, unknown>> = [];
      await serve({ take: (_c, args) => void seen.push(args) });
      const args = { name: 'original', nested: { list: [1, 2] } };
      await client.cast(ctx(), topicName, 'take', args);
      args.name = 'mutated';
      args.nested.list.push(3);
      await waitUntil(() => seen.length === 1, 'the cast');
      assert.deepEqual(seen[0], { name: 'original', nested: { list: [1, 2] } });
      assert.notEqual(seen[0], args);
    });

    test('mutating the args after call does not change what the server sees', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      await serve({ take: async (_c, args) => { await gate; return args; } });
      const args = { list: ['a'] };
      const p = client.call(ctx(), topicName, 'take', args);
      args.list.push('b');
      release();
      assert.deepEqual(await p, { list: ['a'] });
    });

    test('Dates become strings and undefined values vanish', async () => {
      const seen: Array<Record<string, unknown>> = [];
      await serve({ take: (_c, args) => void seen.push(args) });
      const when = new Date('2024-05-06T07:08:09.010Z');
      await client.cast(ctx(), topicName, 'take', { when, gone: undefined, list: [undefined, 1], kept: null });
      await waitUntil(() => seen.length === 1, 'the cast');
      const got = seen[0];
      assert.equal(typeof got.when, 'string');
      assert.equal(got.when, '2024-05-06T07:08:09.010Z');
      assert.equal(Object.hasOwn(got, 'gone'), false);
      assert.deepEqual(got.list, [null, 1]);
      assert.equal(got.kept, null);
    });

    test('the result is a copy: the server\'s object is not shared with the caller', async () => {
      const state = { hosts: ['h1'] };
      await serve({ state: () => state });
      const r = await client.call<{ hosts: string[] }>(ctx(), topicName, 'state', {});
      r.hosts.push('h2');
      assert.deepEqual(state, { hosts: ['h1'] });
    });

    test('a malformed message on the topic is dropped and the server keeps serving', async () => {
      await serve({ ping: () => 'pong' });
      await transport.send(topicName, 'not json {');
      await transport.send(topicName, 'null');
      await transport.send(topicName, '[1,2]');
      await sleep(10);
      assert.equal(await client.call(ctx(), topicName, 'ping', {}), 'pong');
    });
  });
});
