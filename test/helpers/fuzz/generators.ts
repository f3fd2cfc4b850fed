/**
 * fast-check arbitraries for hostile requests: path parameters, query strings,
 * headers and bodies. Every generated piece carries a label naming the kind of
 * hostility, so a failure report can group by what was sent rather than by the
 * exact bytes.
 */
import fc from 'fast-check';
import { BAD_UTF8_MARKER, nodePaths, objectText, perturbedText, raw, toPayload, toText, type Perturbation } from './json-text.js';
import type { RouteEntry } from '../../../src/http/route-table.js';
import { contentTypeFor, fixtureForParam, resourceKey, templatesFor, type Fixtures } from './templates.js';

/** A generated value with the name of its kind of hostility. */
export interface Labelled<T> { label: string; value: T }
const L = <T>(label: string, arb: fc.Arbitrary<T>): fc.Arbitrary<Labelled<T>> => arb.map((value) => ({ label, value }));

export const PROTOTYPE_WORDS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'];
export const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';

/** Percent-encodes every byte outside the unreserved set, so any string (even lone surrogates) can go in a URL. */
export function pctEncode(s: string | Buffer): string {
  const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

// ---------------------------------------------------------------- values

const hugeNumbers = fc.constantFrom('1e309', '-1e309', '99999999999999999999', '-99999999999999999999', '9223372036854775808',
  '18446744073709551616', '2147483648', '4294967296', '1e-400', '-1', '0', '-0', '1.5', '0.0000001', '1E+2', '123456789012345678901234567890.5');
const wrongTypes = fc.constantFrom('null', 'true', 'false', '[]', '{}', '""', '[1,2,3]', '{"a":{}}', '"1"', '[null]', '[[]]', '[{}]', '0');
const nastyStrings = fc.constantFrom(
  '"a\\u0000b"', '"\\u0000"', '"\\ud800"', '"\\udfff\\ud800"', '"\\u202e\\ufeff"', `${JSON.stringify(BAD_UTF8_MARKER)}`,
  '"__proto__"', '"constructor"', '"toString"', '"../../../etc/passwd"', '"\' OR 1=1 --"', '"%s%n%x"', '"${7*7}"', '"\\r\\nX-Injected: 1"',
  '" "', '"-1"', '"99999999999999999999"', '"1e309"', '"NaN"', '"Infinity"', '"true"', '"null"',
);
const longStrings = fc.constantFrom(100_000, 10_000, 256, 65_536).map((n) => JSON.stringify('x'.repeat(n)));
const protoObjects = fc.constantFrom(
  '{"__proto__":{"admin":true,"is_admin":true}}', '{"constructor":{"prototype":{"polluted":1}}}',
  '{"toString":1,"hasOwnProperty":"x","valueOf":null}', '{"__proto__":null}', '{"__proto__":[]}', '{"prototype":{}}',
);
const moderatelyDeep = fc.constantFrom(64, 256, 1000).map((n) => '['.repeat(n) + ']'.repeat(n));

/** A hostile JSON value, as text. */
export const hostileValue: fc.Arbitrary<Labelled<string>> = fc.oneof(
  L('huge-or-negative-number', hugeNumbers),
  L('wrong-type', wrongTypes),
  L('nul-or-bad-unicode', nastyStrings),
  L('long-string', longStrings),
  L('prototype-object', protoObjects),
  L('nested-deep', moderatelyDeep),
  L('random-json', fc.json({ maxDepth: 3 })),
  L('random-string', fc.string({ unit: 'binary', maxLength: 40 }).map((s) => JSON.stringify(s))),
);

// ---------------------------------------------------------------- path parameters

/** A path parameter: the real fixture it names, or something hostile in its place. */
export function paramArb(valid: string | undefined): fc.Arbitrary<Labelled<string>> {
  const hostile: Array<fc.WeightedArbitrary<Labelled<string>>> = [
    { weight: 2, arbitrary: L('param-unknown-uuid', fc.constantFrom(UNKNOWN_UUID, 'ffffffff-ffff-ffff-ffff-ffffffffffff')) },
    { weight: 3, arbitrary: L('param-prototype-word', fc.constantFrom(...PROTOTYPE_WORDS)) },
    { weight: 1, arbitrary: L('param-long-400', fc.constant('p'.repeat(400))) },
    { weight: 1, arbitrary: L('param-long-2000', fc.constant('p'.repeat(2000))) },
    { weight: 2, arbitrary: L('param-percent-junk', fc.constantFrom('%00', '%FF', '%C0%80', '%ED%A0%80', '%2F', '%252F', '%2E%2E', '..', '%20', '%0A', '%3B', '%22%27%3C')) },
    { weight: 1, arbitrary: L('param-invalid-escape', fc.constantFrom('%', '%zz', '%G0', 'a%', '%%', '%E0%A4%A')) },
    { weight: 1, arbitrary: L('param-number', fc.constantFrom('-1', '0', '99999999999999999999', '1e309', '1.5', '0x10', 'NaN')) },
    { weight: 1, arbitrary: L('param-random', fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).map(pctEncode)) },
  ];
  if (valid !== undefined) hostile.push({ weight: 8, arbitrary: L('param-valid', fc.constant(pctEncode(valid))) });
  return fc.oneof(...hostile);
}

// ---------------------------------------------------------------- query strings

const queryKeys = fc.constantFrom(
  'sort_key', 'sort_dir', 'limit', 'marker', 'constructor', '__proto__', '__proto__[x]', 'constructor[prototype][x]', 'toString',
  'name', 'status', 'fields', 'changes-since', 'changes-before', 'all_tenants', 'deleted', 'project_id', 'tenant_id', 'id', 'host',
  'resources', 'required', 'member_of', 'in_tree', 'tags', 'tags-any', 'not-tags', 'shared', 'router:external', 'page_reverse',
  'visibility', 'user_id', 'is_public', 'minDisk', 'minRam', 'flavor', 'image', 'ip', 'network_id', 'device_id', 'fixed_ips',
  'domain_id', 'enabled', 'scope.project.id', 'include_subtree', 'binary', 'member_of', 'group_policy', 'consumer_uuid',
);
const queryValues = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'junk', 'asc', 'desc', '99999999999999999999', '-1', '0', 'abc', '1e309',
    '%00', '%ff', '%zz', '%', 'a%00b', '%C0%80', 'true', 'None', '', 'VCPU:99999999999999999999', 'VCPU:-1,MEMORY_MB:abc',
    'in:', '!', 'name,id,__proto__', UNKNOWN_UUID, '2026-13-45T99:99:99Z', 'x'.repeat(5000)),
  fc.string({ unit: 'binary', maxLength: 20 }).map(pctEncode),
);

/** Pairs the issue names outright: each one has crashed a list handler somewhere. */
export const KNOWN_HOSTILE_PAIRS = [
  'sort_key=__proto__', 'sort_key=constructor', 'sort_key=toString', 'sort_dir=junk', 'sort_key=name&sort_dir=__proto__',
  'limit=99999999999999999999', 'limit=-1', 'limit=abc', 'limit=1e309', 'limit=0', 'limit=1.5', 'marker=junk', `marker=${UNKNOWN_UUID}`,
  'marker=__proto__', 'constructor=1', '__proto__[x]=1', '__proto__=1', 'toString=1', 'hasOwnProperty=1', 'valueOf=x',
  'constructor[prototype][polluted]=1', 'fields=__proto__', 'fields=constructor', 'name=%00', 'name=%ff', 'id=%ff%fe', 'status=%00',
  'page_reverse=__proto__', 'changes-since=__proto__', 'changes-since=junk', 'all_tenants=__proto__', 'tags=__proto__',
  'resources=__proto__:1', 'resources=VCPU:99999999999999999999', 'required=__proto__', 'member_of=in:__proto__', 'in_tree=__proto__',
];
const knownHostilePairs = fc.constantFrom(...KNOWN_HOSTILE_PAIRS);

/** A query string (without the `?`), possibly with repeated keys and undecodable escapes. */
export const queryArb: fc.Arbitrary<Labelled<string>> = fc.oneof(
  { weight: 3, arbitrary: L('query-none', fc.constant('')) },
  { weight: 5, arbitrary: L('query-known-hostile', fc.array(knownHostilePairs, { minLength: 1, maxLength: 2 }).map((pairs) => pairs.join('&'))) },
  { weight: 6, arbitrary: L('query-hostile', fc.array(fc.tuple(queryKeys, queryValues), { minLength: 1, maxLength: 4 })
    .map((pairs) => pairs.map(([k, v]) => `${pctEncode(k).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${v}`).join('&'))) },
  { weight: 1, arbitrary: L('query-repeated-key', fc.constantFrom('limit=1&limit=2', 'sort_key=name&sort_key=__proto__', 'marker=a&marker=b', 'name=a&name=b&name=c')) },
  { weight: 1, arbitrary: L('query-random-names', fc.array(fc.tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }), fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 3 })
    .map((pairs) => pairs.map(([k, v]) => `${pctEncode(k)}=${pctEncode(v)}`).join('&'))) },
  { weight: 1, arbitrary: L('query-malformed', fc.constantFrom('&&&', '=', '==1', 'a', '%', '%zz=1', 'a=%zz', '?', 'a=1&', '[]=1', 'a[]=1&a[b]=2')) },
);

// ---------------------------------------------------------------- headers

export type Who = 'admin' | 'demo' | 'none' | 'garbage';
export const whoArb: fc.Arbitrary<Who> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Who>('admin') },
  { weight: 2, arbitrary: fc.constant<Who>('demo') },
  { weight: 1, arbitrary: fc.constant<Who>('none') },
  { weight: 1, arbitrary: fc.constant<Who>('garbage') },
);

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 30 });

/** The version header(s) a request carries: mostly a good one, so routes behind microversions are reached. */
export function versionHeadersArb(service: string): fc.Arbitrary<Labelled<Record<string, string>>> {
  const word = service === 'placement' ? 'placement' : 'compute';
  const good = service === 'placement' ? ['placement latest', 'placement 1.39', 'placement 1.20'] : ['compute latest', 'compute 2.1', 'compute 2.37', 'compute 2.79'];
  return fc.oneof(
    { weight: 8, arbitrary: L('version-good', fc.constantFrom(...good).map((v) => ({ 'openstack-api-version': v }))) },
    { weight: 1, arbitrary: L('version-none', fc.constant({})) },
    { weight: 2, arbitrary: L('version-garbage', fc.constantFrom(`${word} 2.999`, `${word} 1.999`, `${word} banana`, `${word} 2.`, `${word} -1.0`,
      `${word} 99999999999999999999.1`, `${word} 2.99999999999999999999`, word, `${word}  latest`, 'compute 2.1, compute 2.2', '')
      .map((v) => ({ 'openstack-api-version': v }))) },
    { weight: 1, arbitrary: L('version-legacy-garbage', fc.constantFrom('2.999', 'latest', 'banana', '2.1.1', '').map((v) => ({ 'x-openstack-nova-api-version': v }))) },
    { weight: 1, arbitrary: L('version-random', printable.map((v) => ({ 'openstack-api-version': `${word} ${v}` }))) },
  );
}

// ---------------------------------------------------------------- bodies

export interface Body { payload?: string | Buffer; contentType?: string }

const WRONG_CONTENT_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz', 'application/xml',
  'application/openstack-images-v2.1-json-patch', 'application/octet-stream', 'application/json; charset=latin1',
  'garbage', 'application/json-patch+json', 'application/merge-patch+json', '*/*', 'application/jsonx'];

export function deepText(depth: number, shape: 'array' | 'object', key: string): string {
  const inner = shape === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return key ? `{${JSON.stringify(key)}:${inner}}` : inner;
}

/** Hostile bodies for one route, built around that route's well-formed templates. */
export function bodyArb(method: string, route: RouteEntry, templates: unknown[]): fc.Arbitrary<Labelled<Body>> {
  const ct = contentTypeFor(method, route.url);
  const key = resourceKey(route.url);
  const json = (label: string, arb: fc.Arbitrary<string>) => L(label, arb.map((t): Body => ({ payload: toPayload(t), contentType: ct })));

  const perturbed = fc.tuple(fc.nat({ max: templates.length - 1 }), fc.nat(), fc.constantFrom('replace', 'replace', 'delete', 'addKey'),
    hostileValue, fc.oneof(fc.constantFrom(...PROTOTYPE_WORDS), fc.constant('name'), fc.string({ maxLength: 10 })))
    .map(([ti, pi, op, value, extraKey]): Labelled<Body> => {
      const template = templates[ti];
      const paths = nodePaths(template);
      if (paths.length === 0) return { label: `perturbed-top/${value.label}`, value: { payload: toPayload(value.value), contentType: ct } };
      const path = paths[pi % paths.length]!;
      const p: Perturbation = op === 'delete' ? { op, path } : op === 'addKey' ? { op, path, key: extraKey, with: value.value } : { op: 'replace', path, with: value.value };
      const where = path.map((s) => (typeof s === 'number' ? '[]' : s)).join('.');
      return { label: `perturbed:${op}:${where}/${value.label}`, value: { payload: toPayload(perturbedText(template, p)), contentType: ct } };
    });

  const valid = fc.nat({ max: templates.length - 1 }).map((i) => toText(templates[i]));

  // Well-formed but for one key that is a prototype word with an ordinary value:
  // it passes type checks and reaches code that indexes plain objects by user keys.
  const objectPaths = templates.map((t) => [[] as Array<string | number>, ...nodePaths(t).filter((p) => {
    let v: unknown = t;
    for (const s of p) v = (v as Record<string | number, unknown>)[s];
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  })]);
  const prototypeKey = fc.tuple(fc.nat({ max: templates.length - 1 }), fc.nat(), fc.constantFrom(...PROTOTYPE_WORDS), fc.constantFrom('"v"', '1', '{}', 'null'))
    .map(([ti, pi, word, value]): Labelled<Body> => {
      const paths = objectPaths[ti]!;
      const inside = paths[pi % paths.length]!;
      const template = templates[ti];
      const text = inside.length === 0 && template !== null && typeof template === 'object' && !Array.isArray(template)
        ? objectText([[word, value], ...Object.entries(template).map(([k, v]): [string, string] => [k, toText(v)])])
        : firstKey(template, inside).length === 0
          ? perturbedText(template, { op: 'replace', path: inside, with: objectText([[word, value]]) })
          : perturbedText(template, { op: 'addKey', path: [...inside, ...firstKey(template, inside)], key: word, with: value });
      return { label: `prototype-key-in:${inside.join('.') || 'top'}`, value: { payload: text, contentType: ct } };
    });

  return fc.oneof(
    { weight: 10, arbitrary: perturbed },
    { weight: 3, arbitrary: prototypeKey },
    { weight: 2, arbitrary: json('well-formed', valid) },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(5000, 20_000, 100_000), fc.constantFrom<'array' | 'object'>('array', 'object'), fc.constantFrom('', key))
      .map(([d, shape, k]): Labelled<Body> => ({ label: `deep-nesting-${shape}${k ? '-in-resource' : ''}`, value: { payload: deepText(d, shape, k), contentType: ct } })) },
    { weight: 2, arbitrary: json('prototype-keys', fc.tuple(fc.subarray(PROTOTYPE_WORDS, { minLength: 1 }), valid).map(([words, base]) =>
      objectText([...words.map((w): [string, string] => [w, '{"admin":true,"polluted":1}']), [key, objectText(words.map((w) => [w, '{"x":1}']))]]).slice(0, -1) + `,"base":${base}}`)) },
    { weight: 2, arbitrary: json('duplicate-keys', valid.map((base) => {
      const k = base.match(/^\{"([^"]+)"/)?.[1] ?? key;
      return `{"a":1,"a":2,${JSON.stringify(k)}:null,${base.slice(1)}`;
    })) },
    { weight: 2, arbitrary: json('top-level-hostile', hostileValue.map((v) => v.value)) },
    { weight: 1, arbitrary: L('nul-and-invalid-utf8', fc.constantFrom(
      Buffer.concat([Buffer.from(`{"${key}":{"name":"`), Buffer.from([0xff, 0xfe, 0x00, 0xc0, 0xaf]), Buffer.from('"}}')]),
      Buffer.from([0x00, 0x00, 0x00]), Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), Buffer.from('{"a":"\u0000"}\u0000'),
      Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
    ).map((payload): Body => ({ payload, contentType: ct }))) },
    { weight: 1, arbitrary: json('long-string-100k', fc.constant(`{${JSON.stringify(key)}:{"name":${JSON.stringify('n'.repeat(100_000))}}}`)) },
    { weight: 1, arbitrary: L('empty-body-json-type', fc.constant<Body>({ payload: '', contentType: 'application/json' })) },
    { weight: 1, arbitrary: L('no-body', fc.constant<Body>({})) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...WRONG_CONTENT_TYPES), valid).map(([type, t]): Labelled<Body> => ({ label: `wrong-content-type:${type}`, value: { payload: t, contentType: type } })) },
    { weight: 2, arbitrary: fc.tuple(valid, fc.nat()).map(([t, n]): Labelled<Body> => ({ label: 'truncated-json', value: { payload: t.slice(0, n % Math.max(1, t.length)), contentType: ct } })) },
    { weight: 1, arbitrary: json('random-json', fc.json({ maxDepth: 4 })) },
    { weight: 1, arbitrary: json('raw-number-top', fc.constant(raw('1e309')).map((r) => `{${JSON.stringify(key)}:${r.raw}}`)) },
  );
}

/** The path of the first key inside the object at `inside` (addKey puts the new key after it), or none if the object is empty. */
function firstKey(template: unknown, inside: Array<string | number>): string[] {
  let v: unknown = template;
  for (const s of inside) v = (v as Record<string | number, unknown>)[s];
  const k = Object.keys(v as object)[0];
  return k === undefined ? [] : [k];
}

// ---------------------------------------------------------------- whole requests

/** One generated request, kept in parts so a failure can be narrowed to the part that causes it. */
export interface FuzzRequest {
  method: string;
  routeUrl: string;
  /** Path parameters in route order, already percent-encoded. */
  params: Array<Labelled<string>>;
  /** Query string without the `?`. */
  query: Labelled<string>;
  who: Who;
  version: Labelled<Record<string, string>>;
  body: Labelled<Body>;
}

export function paramNames(routeUrl: string): string[] {
  return [...routeUrl.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!);
}

/** The request line's target: the route with its parameters filled, and the query. */
export function targetOf(r: FuzzRequest): string {
  let path = r.routeUrl;
  paramNames(r.routeUrl).forEach((n, i) => { path = path.replace(`:${n}`, r.params[i]!.value); });
  return r.query.value ? `${path}?${r.query.value}` : path;
}

export function serviceOfRoute(routeUrl: string): string {
  return routeUrl.split('/')[1] ?? '';
}

/**
 * The same route asked for plainly: real fixtures in the path, no query, a good
 * version, admin's token and a well-formed body (none for reads).
 */
export function plainRequest(route: RouteEntry, fixtures: Fixtures, names: Record<string, string> = {}): FuzzRequest {
  const paramList = paramNames(route.url);
  const byName = Object.fromEntries(paramList.map((n) => [n, names[n] ?? fixtureForParam(route.url, n, fixtures) ?? 'x']));
  const params = paramList.map((n) => ({ label: n in names ? 'param-given' : 'param-valid', value: pctEncode(byName[n]!) }));
  const reads = route.method === 'GET' || route.method === 'HEAD' || route.method === 'DELETE';
  const template = templatesFor(route.method, route.url, byName, fixtures)[0];
  const service = serviceOfRoute(route.url);
  return {
    method: route.method, routeUrl: route.url, params,
    query: { label: 'query-none', value: '' },
    who: 'admin',
    version: { label: 'version-good', value: { 'openstack-api-version': service === 'placement' ? 'placement latest' : 'compute latest' } },
    body: reads ? { label: 'no-body', value: {} } : { label: 'well-formed', value: { payload: toText(template), contentType: contentTypeFor(route.method, route.url) } },
  };
}

/** Requests for one route; the route's parameters are drawn first, since templates may name them. */
export function requestArb(route: RouteEntry, fixtures: Fixtures): fc.Arbitrary<FuzzRequest> {
  const names = paramNames(route.url);
  const params = fc.tuple(...names.map((n) => paramArb(fixtureForParam(route.url, n, fixtures))));
  return params.chain((values) => {
    const byName: Record<string, string> = {};
    names.forEach((n, i) => { byName[n] = decodeURIComponentSafe(values[i]!.value); });
    const templates = templatesFor(route.method, route.url, byName, fixtures);
    return fc.record({ query: queryArb, who: whoArb, version: versionHeadersArb(serviceOfRoute(route.url)), body: bodyArb(route.method, route, templates) })
      .map(({ query, who, version, body }): FuzzRequest => ({ method: route.method, routeUrl: route.url, params: values, query, who, version, body }));
  });
}

function decodeURIComponentSafe(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}
