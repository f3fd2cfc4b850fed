/**
 * An RPC API declared once: the client made from a declaration and the
 * dispatch table made from the same declaration agree over the memory
 * transport (every versioned object, lists, nullable, optional and defaulted
 * arguments, results), the wire keeps Nova's snake_case names and the version,
 * and what a server cannot serve (an unknown method, another major version, a
 * newer minor, no version, a wrong-typed argument) comes back to a caller as a
 * clear remote error at once, never as a timeout.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryTransport } from '../../src/bus/memory/transport.js';
import { RemoteError, RpcClient, RpcServer, type RpcEndpoint } from '../../src/bus/rpc.js';
import type { RequestContext } from '../../src/bus/context.js';
import { InstanceObject, SelectionObject, registeredObjects, type ObjectDef, type Selection } from '../../src/objects/index.js';
import { bool, defaulted, int, listOf, none, nullable, obj, oneOf, optional, str } from '../../src/rpc/codecs.js';
import {
  call, camelCase, cast, createRpcClient, declareRpcApi, fanoutCast, rpcEndpoint, serverTopic, VERSION_KEY,
  type MethodDecl, type RpcApiClient, type RpcArgs, type RpcHandlers,
} from '../../src/rpc/rpc-api.js';
import { testLogger } from '../helpers/logger.js';
import { SAMPLES, instance, selection } from '../objects/samples.js';

function ctx(): RequestContext {
  return { requestId: `req-${randomUUID()}`, userId: 'u-1', projectId: 'p-1', roles: ['member'] };
}

async function waitUntil(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`waited ${ms} ms for ${what}`);
    await sleep(2);
  }
}

function sampleApi(topic: string) {
  return declareRpcApi({
    service: 'sample',
    topic,
    routing: 'topic',
    version: '2.3',
    methods: {
      place_instance: call('2.0', {
        instance: obj(InstanceObject),
        alternates: listOf(obj(SelectionObject)),
        node: nullable(str),
        attempts: int,
        reason: optional(str),
        tags: defaulted(listOf(str), () => []),
      }, listOf(obj(SelectionObject))),
      set_power: call('2.1', { instance: obj(InstanceObject), state: oneOf([1, 4] as const), force: bool }, none),
      forget_instance: cast('2.0', { instance: obj(InstanceObject) }),
      refresh_cache: fanoutCast('2.3', { reason: str }),
    },
  });
}
type SampleApi = ReturnType<typeof sampleApi>;

/** The handlers a test gives, recording what they received. */
class SampleManager implements RpcHandlers<SampleApi> {
  received: Array<[string, unknown]> = [];

  placeInstance(_ctx: RequestContext, args: RpcArgs<SampleApi, 'place_instance'>): Selection[] {
    this.received.push(['place_instance', args]);
    return [...args.alternates].reverse();
  }

  async setPower(_ctx: RequestContext, args: RpcArgs<SampleApi, 'set_power'>): Promise<void> {
    this.received.push(['set_power', args]);
    if (args.force) throw Object.assign(new Error('the guest refused'), { name: 'InstanceInvalidState' });
  }

  forgetInstance(_ctx: RequestContext, args: RpcArgs<SampleApi, 'forget_instance'>): void {
    this.received.push(['forget_instance', args.instance.uuid]);
  }

  refreshCache(_ctx: RequestContext, args: RpcArgs<SampleApi, 'refresh_cache'>): void {
    this.received.push(['refresh_cache', args.reason]);
  }
}

describe('RPC APIs declared once', () => {
  let transport: MemoryTransport;
  let rpc: RpcClient;
  let servers: RpcServer[];
  let topic: string;

  async function serve(endpoint: RpcEndpoint, on = topic): Promise<void> {
    const s = new RpcServer(transport, on, endpoint, testLogger);
    await s.start();
    servers.push(s);
  }

  beforeEach(async () => {
    transport = new MemoryTransport();
    rpc = new RpcClient(transport, 2000);
    servers = [];
    topic = `sample.${randomUUID()}`;
  });
  afterEach(async () => {
    await rpc.close();
    for (const s of servers) await s.stop();
    await transport.close();
  });

  test('client and server agree: arguments arrive decoded, the result comes back decoded', async () => {
    const api = sampleApi(topic);
    const manager = new SampleManager();
    await serve(rpcEndpoint(api, manager));
    const client = createRpcClient(api, rpc);
    const other: Selection = { ...selection, service_host: 'compute-2', availability_zone: 'az1' };

    const result = await client.placeInstance(ctx(), { instance, alternates: [selection, other], node: null, attempts: 3 });
    assert.deepEqual(result, [other, selection]);
    assert.deepEqual(manager.received, [['place_instance', {
      instance, alternates: [selection, other], node: null, attempts: 3, reason: undefined, tags: [],
    }]]);

    await client.placeInstance(ctx(), { instance, alternates: [], node: 'n1', attempts: 0, reason: 'retry', tags: ['a'] });
    assert.deepEqual(manager.received[1][1], { instance, alternates: [], node: 'n1', attempts: 0, reason: 'retry', tags: ['a'] });
  });

  test('every versioned object survives a call both ways', async () => {
    const methods: Record<string, MethodDecl> = {};
    for (const [name, def] of registeredObjects()) {
      const codec = obj(def as ObjectDef<unknown>);
      methods[`echo_${name.toLowerCase()}`] = call('1.0', { value: codec, values: listOf(codec), maybe: nullable(codec) }, listOf(codec));
    }
    const api = declareRpcApi({ service: 'echo', topic, routing: 'topic', version: '1.0', methods });
    const seen: unknown[] = [];
    const handlers = Object.fromEntries(Object.keys(methods).map((m) => [camelCase(m),
      (_ctx: RequestContext, a: { value: unknown; values: unknown[]; maybe: unknown }) => {
        seen.push(a);
        return [a.value, ...a.values, ...(a.maybe === null ? [] : [a.maybe])];
      }]));
    await serve(rpcEndpoint(api, handlers as unknown as RpcHandlers<typeof api>));
    const client = createRpcClient(api, rpc) as Record<string, (ctx: RequestContext, args: unknown) => Promise<unknown>>;

    for (const [name, { value }] of Object.entries(SAMPLES)) {
      const back = await client[camelCase(`echo_${name.toLowerCase()}`)](ctx(), { value, values: [value, value], maybe: null });
      assert.deepEqual(back, [value, value, value], name);
      assert.deepEqual(seen.at(-1), { value, values: [value, value], maybe: null }, name);
    }
    assert.equal(seen.length, registeredObjects().size);
  });

  test('on the wire: Nova\'s snake_case names, object primitives, and the version of the method', async () => {
    const api = sampleApi(topic);
    const bodies: Record<string, unknown>[] = [];
    await serve({ place_instance: (_c, args) => { bodies.push(args); return []; }, set_power: (_c, args) => { bodies.push(args); } });
    const client = createRpcClient(api, rpc);
    await client.placeInstance(ctx(), { instance, alternates: [], node: null, attempts: 1 });
    await client.setPower(ctx(), { instance, state: 4, force: false });
    assert.deepEqual(Object.keys(bodies[0]).sort(), [VERSION_KEY, 'alternates', 'attempts', 'instance', 'node', 'tags'].sort(),
      'an optional argument left out is absent; a defaulted one travels as its default');
    assert.equal(bodies[0][VERSION_KEY], '2.0');
    assert.equal((bodies[0].instance as Record<string, unknown>)['kilonova_object.name'], 'Instance');
    assert.deepEqual(bodies[0].tags, []);
    assert.equal(bodies[1][VERSION_KEY], '2.1', 'each method names the version it appeared in');
  });

  test('a remote failure of a call arrives with its name; a cast returns once sent', async () => {
    const api = sampleApi(topic);
    const manager = new SampleManager();
    await serve(rpcEndpoint(api, manager));
    const client = createRpcClient(api, rpc);
    await assert.rejects(client.setPower(ctx(), { instance, state: 1, force: true }), { name: 'RemoteError', remoteName: 'InstanceInvalidState' });
    assert.equal(await client.setPower(ctx(), { instance, state: 1, force: false }), undefined);
    await client.forgetInstance(ctx(), { instance });
    await waitUntil(() => manager.received.some(([m]) => m === 'forget_instance'), 'the cast to arrive');
  });

  test('a fanout cast reaches every server of the topic', async () => {
    const api = sampleApi(topic);
    const managers = [new SampleManager(), new SampleManager()];
    for (const m of managers) await serve(rpcEndpoint(api, m));
    await createRpcClient(api, rpc).refreshCache(ctx(), { reason: 'aggregates changed' });
    await waitUntil(() => managers.every((m) => m.received.length === 1), 'both servers to get the fanout');
    for (const m of managers) assert.deepEqual(m.received, [['refresh_cache', 'aggregates changed']]);
  });

  test('a per-host API sends to <topic>.<host>', async () => {
    const api = declareRpcApi({
      service: 'hosted', topic, routing: 'host', version: '1.0',
      methods: { get_uptime: call('1.0', {}, str) },
    });
    await serve(rpcEndpoint(api, { getUptime: () => 'host-a up' }), serverTopic(api, 'host-a'));
    await serve(rpcEndpoint(api, { getUptime: () => 'host-b up' }), serverTopic(api, 'host-b'));
    const client = createRpcClient(api, rpc);
    assert.equal(await client.getUptime(ctx(), 'host-b'), 'host-b up');
    assert.equal(await client.getUptime(ctx(), 'host-a'), 'host-a up');
  });

  describe('what a server cannot serve fails at once, with a clear remote error', () => {
    // A call that waited for its timeout would take 60 s here: the assertions below would fail long before.
    const quick = async (p: Promise<unknown>, remoteName: string, message: RegExp) => {
      await assert.rejects(p, (err: unknown) => {
        assert.ok(err instanceof RemoteError, String(err));
        assert.equal(err.remoteName, remoteName);
        assert.match(err.message, message);
        return true;
      });
    };

    test('a method the server does not declare: UnknownRpcMethod', async () => {
      const older = declareRpcApi({ service: 'sample', topic, routing: 'topic', version: '2.3', methods: { set_power: sampleApi(topic).methods.set_power } });
      await serve(rpcEndpoint(older, { setPower: () => undefined }));
      const slow = new RpcClient(transport, 60_000);
      try {
        const client = createRpcClient(sampleApi(topic), slow);
        await quick(client.placeInstance(ctx(), { instance, alternates: [], node: null, attempts: 1 }), 'UnknownRpcMethod', /place_instance/);
      } finally {
        await slow.close();
      }
    });

    test('another major version, or a newer minor than the server speaks: UnsupportedVersion', async () => {
      // The next major release: the same methods, all redeclared in 3.0.
      const current = sampleApi(topic);
      const methods = Object.fromEntries(Object.entries(current.methods).map(([n, m]) => [n, { ...m, since: '3.0' }])) as typeof current.methods;
      await serve(rpcEndpoint(declareRpcApi({ ...current, version: '3.0', methods }), new SampleManager()));
      const slow = new RpcClient(transport, 60_000);
      try {
        await quick(createRpcClient(sampleApi(topic), slow).setPower(ctx(), { instance, state: 1, force: false }), 'UnsupportedVersion', /3\.0.*2\.1|2\.1.*3\.0/);

        // A 2.0 server, from before set_power gained its 2.1 form.
        const newer = `${topic}.newer`;
        const latest = sampleApi(newer);
        const older = declareRpcApi({
          service: 'sample', topic: newer, routing: 'topic', version: '2.0',
          methods: { place_instance: latest.methods.place_instance, set_power: { ...latest.methods.set_power, since: '2.0' } },
        });
        await serve(rpcEndpoint(older, { placeInstance: () => [], setPower: () => undefined }), newer);
        await quick(createRpcClient(latest, slow).setPower(ctx(), { instance, state: 1, force: false }), 'UnsupportedVersion', /2\.0, not 2\.1/);
        // What the 2.0 server does speak still works.
        assert.deepEqual(await createRpcClient(latest, slow).placeInstance(ctx(), { instance, alternates: [], node: null, attempts: 1 }), []);
      } finally {
        await slow.close();
      }
    });

    test('a message without a version, or with a wrong-typed argument, is refused by name', async () => {
      const manager = new SampleManager();
      await serve(rpcEndpoint(sampleApi(topic), manager));
      const raw = new RpcClient(transport, 60_000);
      try {
        await quick(raw.call(ctx(), topic, 'set_power', { instance: {}, state: 1, force: false }), 'UnsupportedVersion', /no RPC API version/);
        const body = (state: unknown) => ({ [VERSION_KEY]: '2.1', instance: obj(InstanceObject).encode(instance), state, force: false });
        await quick(raw.call(ctx(), topic, 'set_power', body(2)), 'InvalidRpcArgument', /set_power: state/);
        await quick(raw.call(ctx(), topic, 'set_power', { ...body(1), force: 'yes' }), 'InvalidRpcArgument', /force: expected a boolean/);
        await quick(raw.call(ctx(), topic, 'set_power', { ...body(1), instance: { 'kilonova_object.name': 'Flavor' } }), 'ObjectFieldError', /expected a Instance/);
        assert.deepEqual(manager.received, [], 'no handler ran');
      } finally {
        await raw.close();
      }
    });
  });

  test('the client refuses a wrong value before anything is sent', async () => {
    const client = createRpcClient(sampleApi(topic), rpc);
    const before = transport.delivered;
    await assert.rejects(client.setPower(ctx(), { instance, state: 2 as never, force: false }), { name: 'InvalidRpcArgument' });
    await assert.rejects(client.forgetInstance(ctx(), { instance: { ...instance, uuid: 7 } as never }), /Instance\.uuid must be string/);
    await assert.rejects(client.setPower(ctx(), {} as never), /instance is required/);
    assert.equal(transport.delivered, before);
  });

  test('a manager missing a handler is refused when its endpoint is made', () => {
    const partial = { placeInstance: () => [] } as unknown as RpcHandlers<SampleApi>;
    assert.throws(() => rpcEndpoint(sampleApi(topic), partial), /does not implement set_power, forget_instance, refresh_cache/);
  });

  test('a declaration is checked when it is made', () => {
    const bad = (methods: Record<string, MethodDecl>, version = '1.2') => () => declareRpcApi({ service: 's', topic, routing: 'topic', version, methods });
    assert.throws(bad({ later: cast('1.3', {}) }), /appeared in 1\.3/);
    assert.throws(bad({ older: cast('0.9', {}) }), /appeared in 0\.9/);
    assert.throws(bad({ buildInstance: cast('1.0', {}) }), /snake_case/);
    assert.throws(bad({ build: cast('1.0', { requestSpec: str }) }), /snake_case/);
    assert.throws(bad({}, 'six'), /MAJOR\.MINOR/);
  });

  test('types: the client and the handlers are checked against the declaration (tsc refuses the lines marked)', () => {
    // Never run: this test is about what tsc accepts.
    const typeChecks = (client: RpcApiClient<SampleApi>, c: RequestContext) => {
      // @ts-expect-error an argument of the wrong type
      void client.placeInstance(c, { instance, alternates: [], node: null, attempts: '3' });
      // @ts-expect-error a required argument left out
      void client.placeInstance(c, { instance, alternates: [], node: null });
      // @ts-expect-error a plain object where a versioned object is declared
      void client.forgetInstance(c, { instance: { uuid: 'x' } });
      // @ts-expect-error a value outside oneOf
      void client.setPower(c, { instance, state: 2, force: false });
      // @ts-expect-error the result is Selection[], not a string
      const s: Promise<string> = client.placeInstance(c, { instance, alternates: [], node: null, attempts: 1 });
      // @ts-expect-error a topic-routed API takes no host
      void client.forgetInstance(c, 'host-1', { instance });
      class WrongManager implements RpcHandlers<SampleApi> {
        placeInstance(): Selection[] { return []; }
        setPower(): void {}
        forgetInstance(): void {}
        // @ts-expect-error the handler's argument does not match the declaration
        refreshCache(_c: RequestContext, _a: { reason: number }): void {}
      }
      // @ts-expect-error a manager without every handler
      const missing: RpcHandlers<SampleApi> = { placeInstance: () => [] };
      return [s, WrongManager, missing];
    };
    assert.equal(typeof typeChecks, 'function');
  });
});
