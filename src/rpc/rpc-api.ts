/**
 * An RPC API declared once, as Nova's versioned rpcapi and its manager's
 * `target` are one contract: each method's wire name, kind (call, cast,
 * fanout cast), the API version it appeared in, its arguments and its result,
 * each as a codec (./codecs.ts). From one declaration come
 *  - the caller's client (createRpcClient): typed methods that encode the
 *    arguments, send, and decode a call's result;
 *  - the receiver's dispatch table (rpcEndpoint): it checks the message's
 *    version, decodes the arguments, runs the manager's handler and encodes
 *    its result, so a manager only sees typed, decoded values.
 * Names on the wire are Nova's snake_case; in TypeScript the same names are
 * camelCase (build_and_run_instance → buildAndRunInstance, request_spec →
 * requestSpec). A message carries the version of the method it calls (the
 * version the method appeared in, as Nova's client.prepare(version=...)); a
 * server refuses one from another major version, or a newer minor than its own,
 * with UnsupportedVersion, as oslo.messaging does.
 */
import type { RequestContext } from '../bus/context.js';
import type { RpcClient, RpcEndpoint } from '../bus/rpc.js';
import { InvalidRpcArgument, none, type AnyCodec, type Codec, type InOf, type OutOf } from './codecs.js';

/** Where a message says which version of the API it speaks (in the arguments: the bus carries them as they are). */
export const VERSION_KEY = 'kilonova_rpc.version';

export class UnsupportedVersion extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedVersion';
  }
}

export type MethodKind = 'call' | 'cast' | 'fanout';
type ArgCodecs = Record<string, AnyCodec>;

export interface MethodDecl<K extends MethodKind = MethodKind, A extends ArgCodecs = ArgCodecs, R extends AnyCodec = AnyCodec> {
  readonly kind: K;
  /** The API version this method (with these arguments) appeared in. */
  readonly since: string;
  readonly args: A;
  readonly result: R;
}

/** A method that answers: the caller waits for the result (or the remote error). */
export function call<const A extends ArgCodecs, R extends AnyCodec>(since: string, args: A, result: R): MethodDecl<'call', A, R> {
  return { kind: 'call', since, args, result };
}

/** Fire and forget, to one server of the topic. */
export function cast<const A extends ArgCodecs>(since: string, args: A): MethodDecl<'cast', A, typeof none> {
  return { kind: 'cast', since, args, result: none };
}

/**
 * Fire and forget, to every server listening on the fanout of the service's
 * topic (the bare topic, also for a per-host service, as Nova's fanout to
 * `compute`); the caller names no host.
 */
export function fanoutCast<const A extends ArgCodecs>(since: string, args: A): MethodDecl<'fanout', A, typeof none> {
  return { kind: 'fanout', since, args, result: none };
}

export interface RpcApi<M extends Record<string, MethodDecl> = Record<string, MethodDecl>, Routing extends 'topic' | 'host' = 'topic' | 'host'> {
  /** For messages and logs: compute, conductor, scheduler. */
  readonly service: string;
  readonly topic: string;
  /** 'host': each server listens on `<topic>.<host>` and the caller names the host; 'topic': any server of the topic. */
  readonly routing: Routing;
  /** The current version: what a server of this API speaks and the highest a method may declare. */
  readonly version: string;
  readonly methods: M;
}

const NAME = /^[a-z][a-z0-9]*(_[a-z][a-z0-9]*)*$/;

export function declareRpcApi<const M extends Record<string, MethodDecl>, const Routing extends 'topic' | 'host'>(api: RpcApi<M, Routing>): RpcApi<M, Routing> {
  const current = parseVersion(api.version, `${api.service} RPC API version`);
  for (const [name, m] of Object.entries(api.methods)) {
    if (!NAME.test(name)) throw new Error(`${api.service}.${name}: a method name is snake_case`);
    for (const arg of Object.keys(m.args)) {
      if (!NAME.test(arg)) throw new Error(`${api.service}.${name}: argument ${arg} is not snake_case`);
      if (arg === VERSION_KEY) throw new Error(`${api.service}.${name}: ${VERSION_KEY} is reserved`);
    }
    if (!compatible(parseVersion(m.since, `${api.service}.${name} version`), current)) {
      throw new Error(`${api.service}.${name} appeared in ${m.since}, which is not within the API's ${api.version}`);
    }
  }
  return api;
}

// ---- the types a declaration gives its callers and its manager ----

/** build_and_run_instance → buildAndRunInstance, at the type level (the runtime twin is camelCase below). */
export type CamelCase<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<A extends ArgCodecs> = { [K in keyof A]: A[K] extends Codec<any, any, true> ? K : never }[keyof A];

/** What the caller passes: camelCase names, optional arguments may be left out. */
export type ClientArgs<A extends ArgCodecs> = Simplify<
  { [K in Exclude<keyof A, OptionalKeys<A>> as CamelCase<K & string>]: InOf<A[K]> } &
  { [K in OptionalKeys<A> as CamelCase<K & string>]?: InOf<A[K]> }>;

/** What the handler receives: every argument decoded. */
export type ServerArgs<A extends ArgCodecs> = Simplify<{ [K in keyof A as CamelCase<K & string>]: OutOf<A[K]> }>;

type ArgsParam<A extends ArgCodecs> = {} extends ClientArgs<A> ? [args?: ClientArgs<A>] : [args: ClientArgs<A>];

type ClientMethod<Api extends RpcApi, M extends MethodDecl> =
  M['kind'] extends 'fanout' ? (ctx: RequestContext, ...args: ArgsParam<M['args']>) => Promise<void>
  : Api['routing'] extends 'host' ? (ctx: RequestContext, host: string, ...args: ArgsParam<M['args']>) => Promise<OutOf<M['result']>>
  : (ctx: RequestContext, ...args: ArgsParam<M['args']>) => Promise<OutOf<M['result']>>;

/** The client of an API: one method per declared method, camelCase. */
export type RpcApiClient<Api extends RpcApi> = {
  readonly [N in keyof Api['methods'] as CamelCase<N & string>]: ClientMethod<Api, Api['methods'][N]>;
};

/** What a manager implements to serve an API: one handler per declared method, taking decoded arguments. */
export type RpcHandlers<Api extends RpcApi> = {
  [N in keyof Api['methods'] as CamelCase<N & string>]: (ctx: RequestContext, args: ServerArgs<Api['methods'][N]['args']>) =>
    InOf<Api['methods'][N]['result']> | Promise<InOf<Api['methods'][N]['result']>>;
};

/** The arguments a handler of `method` receives, for the tasks it hands them to. */
export type RpcArgs<Api extends RpcApi, N extends keyof Api['methods']> = ServerArgs<Api['methods'][N]['args']>;

// ---- runtime ----

export function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The topic a server of `api` listens on (its host's, for per-host services). */
export function serverTopic(api: RpcApi, host?: string): string {
  return host === undefined ? api.topic : `${api.topic}.${host}`;
}

export function createRpcClient<Api extends RpcApi>(api: Api, rpc: RpcClient): RpcApiClient<Api> {
  const client: Record<string, (ctx: RequestContext, ...rest: any[]) => Promise<unknown>> = {};
  for (const [name, m] of Object.entries(api.methods)) {
    const byHost = api.routing === 'host' && m.kind !== 'fanout';
    const argNames = namesOf(m);
    client[camelCase(name)] = async (ctx, ...rest) => {
      const [host, args] = byHost ? [rest[0] as string, rest[1]] : [undefined, rest[0]];
      // Encoded before the first await, so the caller may reuse its objects once the promise exists.
      const wire = encodeArgs(api, name, m, argNames, (args ?? {}) as Record<string, unknown>);
      if (m.kind === 'fanout') return rpc.fanoutCast(ctx, api.topic, name, wire);
      const topic = serverTopic(api, byHost ? host : undefined);
      if (m.kind === 'cast') return rpc.cast(ctx, topic, name, wire);
      return m.result.decode(await rpc.call(ctx, topic, name, wire), `${api.service}.${name} result`);
    };
  }
  return client as RpcApiClient<Api>;
}

/** Each argument's wire name, its camelCase name and its codec, worked out once per method rather than per message. */
function namesOf(m: MethodDecl): Array<[wire: string, camel: string, codec: AnyCodec]> {
  return Object.entries(m.args).map(([arg, codec]) => [arg, camelCase(arg), codec]);
}

function encodeArgs(
  api: RpcApi, name: string, m: MethodDecl, argNames: ReturnType<typeof namesOf>, args: Record<string, unknown>,
): Record<string, unknown> {
  const wire: Record<string, unknown> = { [VERSION_KEY]: m.since };
  for (const [arg, camel, codec] of argNames) {
    const value = args[camel];
    if (value === undefined && codec.optional) {
      const encoded = codec.encode(undefined);
      if (encoded !== undefined) wire[arg] = encoded;
      continue;
    }
    if (value === undefined) throw new InvalidRpcArgument(`${api.service}.${name}: ${arg} is required`);
    wire[arg] = codec.encode(value);
  }
  return wire;
}

/**
 * The dispatch table a RpcServer serves: the declared methods, each checking
 * the version, decoding, calling the handler and encoding what a call answers.
 * Throws if `impl` lacks a handler, so a server never starts half-implemented.
 */
export function rpcEndpoint<Api extends RpcApi>(api: Api, impl: RpcHandlers<Api>): RpcEndpoint {
  const missing = unimplementedMethods(api, impl);
  if (missing.length > 0) throw new Error(`the ${api.service} manager does not implement ${missing.join(', ')}`);
  const handlers = impl as unknown as Record<string, (ctx: RequestContext, args: unknown) => unknown>;
  const endpoint: RpcEndpoint = {};
  const ours = parseVersion(api.version, 'our version');
  for (const [name, m] of Object.entries(api.methods)) {
    const handler = camelCase(name);
    const argNames = namesOf(m);
    endpoint[name] = async (ctx: RequestContext, wire: Record<string, unknown>) => {
      checkVersion(api, ours, name, wire?.[VERSION_KEY]);
      const args: Record<string, unknown> = {};
      for (const [arg, camel, codec] of argNames) args[camel] = codec.decode(wire[arg], `${api.service}.${name}: ${arg}`);
      const result = await handlers[handler](ctx, args);
      return m.kind === 'call' ? m.result.encode(result) : null;
    };
  }
  return endpoint;
}

/** The wire names of the declared methods `impl` has no handler for. */
export function unimplementedMethods(api: RpcApi, impl: object): string[] {
  return Object.keys(api.methods).filter((name) => typeof (impl as Record<string, unknown>)[camelCase(name)] !== 'function');
}

function checkVersion(api: RpcApi, ours: [number, number], method: string, version: unknown): void {
  const theirs = typeof version === 'string' && VERSION.test(version) ? parseVersion(version, 'message version') : undefined;
  if (!theirs) throw new UnsupportedVersion(`${api.service} ${api.version} refused ${method}: the message names no RPC API version`);
  if (!compatible(theirs, ours)) {
    throw new UnsupportedVersion(`${api.service} speaks RPC API version ${api.version}, not ${version as string}; ${method} refused`);
  }
}

const VERSION = /^\d+\.\d+$/;

function parseVersion(v: string, what: string): [number, number] {
  if (!VERSION.test(v)) throw new Error(`${what} ${v} is not MAJOR.MINOR`);
  const [major, minor] = v.split('.').map(Number);
  return [major, minor];
}

/** oslo.messaging's rule: the same major version, and no newer minor than the server's. */
function compatible([major, minor]: [number, number], [ourMajor, ourMinor]: [number, number]): boolean {
  return major === ourMajor && minor <= ourMinor;
}
