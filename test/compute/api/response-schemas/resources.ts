/** Flavors (with extra specs and access), key pairs, limits, quota sets and classes, server groups, the images proxy. */
import {
  obj, extend, omit, wrap, list, str, strOrNull, int, num, bool, anyObject, uuid, dateTime, naiveTime, naiveTimeOrNull, stringMap,
  arrayOf, links, typedLinks, ok, until, fixed, type Schema, type VersionedSpec,
} from './common.js';
import type { Version } from './version.js';

// ---- flavors
const description: Schema = { type: ['string', 'null'], maxLength: 65535 };
const extraSpecs: Schema = { type: 'object', patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': { type: 'string' } }, additionalProperties: false };

function flavorSummary(v: Version): Schema {
  const s = obj({ id: str, name: str, links });
  return v.atLeast('2.55') ? extend(s, { description }, ['description']) : s;
}

function flavor(v: Version): Schema {
  let s = obj({
    id: str, name: str, links, ram: int, vcpus: int, disk: int,
    // Before 2.75 a flavor without swap shows it as "".
    swap: v.atLeast('2.75') ? int : { anyOf: [int, { type: 'string', enum: [''] }] },
    'OS-FLV-DISABLED:disabled': bool, 'os-flavor-access:is_public': bool, rxtx_factor: num, 'OS-FLV-EXT-DATA:ephemeral': int,
  });
  if (v.atLeast('2.55')) s = extend(s, { description }, ['description']);
  // Shown when the flavor extra-specs policy allows it.
  if (v.atLeast('2.61')) s = extend(s, { extra_specs: extraSpecs });
  return s;
}

const flavorAccess = list('flavor_access', obj({ flavor_id: str, tenant_id: str }));
const oneSpec: Schema = { ...extraSpecs, minProperties: 1, maxProperties: 1 };

// ---- key pairs
function keypairSummary(v: Version): Schema {
  const s = obj({ name: str, public_key: str, fingerprint: str });
  return v.atLeast('2.2') ? extend(s, { type: { enum: ['ssh', 'x509'] } }, ['type']) : s;
}
function keypairShow(v: Version): Schema {
  const s = obj({
    id: int, name: str, public_key: str, fingerprint: str, user_id: str, deleted: bool,
    created_at: naiveTime, updated_at: naiveTimeOrNull, deleted_at: naiveTimeOrNull,
  });
  return v.atLeast('2.2') ? extend(s, { type: { enum: ['ssh', 'x509'] } }, ['type']) : s;
}
function keypairCreated(v: Version): Schema {
  let s = obj({ name: str, public_key: str, fingerprint: str, user_id: str, private_key: str }, ['name', 'public_key', 'fingerprint', 'user_id']);
  if (v.atLeast('2.2')) s = extend(s, { type: { enum: ['ssh', 'x509'] } }, ['type']);
  // 2.92 stopped generating keys: there is no private key to return.
  if (v.atLeast('2.92')) s = omit(s, ['private_key']);
  return s;
}

// ---- limits and quotas
function absoluteLimits(v: Version): Schema {
  const names = ['maxTotalInstances', 'maxTotalCores', 'maxTotalRAMSize', 'maxServerMeta', 'maxTotalKeypairs',
    'maxServerGroups', 'maxServerGroupMembers', 'totalInstancesUsed', 'totalCoresUsed', 'totalRAMUsed', 'totalServerGroupsUsed'];
  if (v.below('2.36')) names.push('maxTotalFloatingIps', 'totalFloatingIpsUsed', 'maxSecurityGroups', 'totalSecurityGroupsUsed', 'maxSecurityGroupRules');
  if (v.below('2.39')) names.push('maxImageMeta');
  if (v.below('2.57')) names.push('maxPersonality', 'maxPersonalitySize');
  return obj(Object.fromEntries(names.map((n) => [n, int])));
}

/** The quota resources shown at a version (quota classes hid server groups until 2.50). */
function quotaResources(v: Version, forClass: boolean): string[] {
  const names = ['instances', 'cores', 'ram', 'metadata_items', 'key_pairs'];
  if (!forClass || v.atLeast('2.50')) names.push('server_groups', 'server_group_members');
  if (v.below(forClass ? '2.50' : '2.36')) names.push('floating_ips', 'fixed_ips', 'security_groups', 'security_group_rules');
  if (v.below('2.57')) names.push('injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes');
  return names;
}
const quotaSet = (v: Version, forClass: boolean, withId: boolean): Schema => {
  const s = obj(Object.fromEntries(quotaResources(v, forClass).map((n) => [n, int])));
  return withId ? extend(s, { id: str }, ['id']) : s;
};
const quotaDetail = (v: Version): Schema =>
  extend(obj(Object.fromEntries(quotaResources(v, false).map((n) => [n, obj({ in_use: int, limit: int, reserved: int })]))), { id: str }, ['id']);

// ---- server groups
function serverGroup(v: Version): Schema {
  let s = obj({ id: uuid, name: str, members: arrayOf(str), policies: arrayOf(str, { maxItems: 1 }), metadata: anyObject });
  if (v.atLeast('2.13')) s = extend(s, { project_id: str, user_id: str }, ['project_id', 'user_id']);
  if (v.atLeast('2.64')) {
    s = extend(omit(s, ['policies', 'metadata']), {
      policy: { enum: ['affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity'] },
      rules: { type: 'object', properties: { max_server_per_host: { type: 'integer', minimum: 1 } }, additionalProperties: false },
    }, ['policy', 'rules']);
  }
  return s;
}

// ---- images proxy
const image: Schema = obj({
  id: str, name: strOrNull, status: { enum: ['ACTIVE', 'SAVING', 'DELETED', 'ERROR', 'UNKNOWN'] }, progress: int,
  minDisk: int, minRam: int, created: dateTime, updated: dateTime, links: typedLinks, metadata: anyObject,
  server: obj({ id: str, links }), 'OS-EXT-IMG-SIZE:size': { type: ['integer', 'null'] }, 'OS-DCF:diskConfig': str,
}, ['id', 'name', 'status', 'progress', 'minDisk', 'minRam', 'created', 'updated', 'links', 'metadata', 'OS-EXT-IMG-SIZE:size']);

export const resources: Record<string, VersionedSpec> = {
  'GET /flavors': (v) => ok(list('flavors', flavorSummary(v), true)),
  'GET /flavors/detail': (v) => ok(list('flavors', flavor(v), true)),
  'GET /flavors/:flavor_id': (v) => ok(wrap('flavor', flavor(v))),
  'POST /flavors': (v) => ok(wrap('flavor', flavor(v))),
  'PUT /flavors/:flavor_id': (v) => ok(wrap('flavor', flavor(v))),
  'POST /flavors/:flavor_id/action': fixed(ok(flavorAccess)),
  'GET /flavors/:flavor_id/os-flavor-access': fixed(ok(flavorAccess)),
  'GET /flavors/:flavor_id/os-extra_specs': fixed(ok(wrap('extra_specs', extraSpecs))),
  'POST /flavors/:flavor_id/os-extra_specs': fixed(ok(wrap('extra_specs', extraSpecs))),
  'GET /flavors/:flavor_id/os-extra_specs/:key': fixed(ok(oneSpec)),
  'PUT /flavors/:flavor_id/os-extra_specs/:key': fixed(ok(oneSpec)),

  'GET /os-keypairs': (v) => ok(list('keypairs', obj({ keypair: keypairSummary(v) }), v.atLeast('2.35'))),
  'GET /os-keypairs/:name': (v) => ok(wrap('keypair', keypairShow(v))),
  'POST /os-keypairs': (v) => ({ status: [v.atLeast('2.2') ? 201 : 200], body: wrap('keypair', keypairCreated(v)) }),

  'GET /limits': (v) => ok(wrap('limits', obj({ absolute: absoluteLimits(v), rate: arrayOf(anyObject, { maxItems: 0 }) }))),
  'GET /os-quota-sets/:id': (v) => ok(wrap('quota_set', quotaSet(v, false, true))),
  'GET /os-quota-sets/:id/defaults': (v) => ok(wrap('quota_set', quotaSet(v, false, true))),
  'GET /os-quota-sets/:id/detail': (v) => ok(wrap('quota_set', quotaDetail(v))),
  'PUT /os-quota-sets/:id': (v) => ok(wrap('quota_set', quotaSet(v, false, false))),
  'GET /os-quota-class-sets/:id': (v) => ok(wrap('quota_class_set', quotaSet(v, true, true))),
  'PUT /os-quota-class-sets/:id': (v) => ok(wrap('quota_class_set', quotaSet(v, true, false))),

  'GET /os-server-groups': (v) => ok(list('server_groups', serverGroup(v))),
  'POST /os-server-groups': (v) => ok(wrap('server_group', serverGroup(v))),
  'GET /os-server-groups/:id': (v) => ok(wrap('server_group', serverGroup(v))),

  'GET /images': until('2.35', fixed(ok(list('images', obj({ id: str, name: strOrNull, links: typedLinks }), true)))),
  'GET /images/detail': until('2.35', fixed(ok(list('images', image, true)))),
  'GET /images/:id': until('2.35', fixed(ok(wrap('image', image)))),
  'GET /images/:imageId/metadata': until('2.38', fixed(ok(wrap('metadata', stringMap)))),
  'POST /images/:imageId/metadata': until('2.38', fixed(ok(wrap('metadata', stringMap)))),
  'PUT /images/:imageId/metadata': until('2.38', fixed(ok(wrap('metadata', stringMap)))),
  'GET /images/:imageId/metadata/:key': until('2.38', fixed(ok(wrap('meta', { ...stringMap, minProperties: 1, maxProperties: 1 })))),
  'PUT /images/:imageId/metadata/:key': until('2.38', fixed(ok(wrap('meta', { ...stringMap, minProperties: 1, maxProperties: 1 })))),
};
