/** Servers: create, list, show, detail, update, rebuild, and the server actions that answer with a body. */
import {
  obj, extend, omit, wrap, list, str, strOrNull, int, bool, uuid, dateTime, zuluTime, stringMap, arrayOf, links,
  macAddress, ipAddress, ok, accepted, acceptedEmpty, noContent, fixed, type Schema, type VersionedSpec,
} from './common.js';
import type { Version } from './version.js';

const address = obj({ version: { enum: [4, 6] }, addr: ipAddress });
/** addresses keyed by network name; the extended form (show/detail) adds the port type and MAC. */
const addresses = (extended: boolean): Schema => ({
  type: 'object',
  patternProperties: {
    '^[a-zA-Z0-9-_.]+$': arrayOf(extended
      ? extend(address, { 'OS-EXT-IPS:type': { enum: ['fixed', 'floating'] }, 'OS-EXT-IPS-MAC:mac_addr': macAddress })
      : address),
  },
  additionalProperties: false,
});
export const addressesSchema = addresses;

const imageRef: Schema = { oneOf: [obj({ id: str, links }), { type: 'string', enum: [''] }] };
const flavorRef: Schema = obj({ id: str, links });
const embeddedFlavor: Schema = obj({
  original_name: str, disk: int, ephemeral: int, ram: int, swap: int, vcpus: int,
  extra_specs: stringMap,
}, ['original_name', 'disk', 'ephemeral', 'ram', 'swap', 'vcpus']);
const fault = obj({ code: int, created: dateTime, message: str, details: str }, ['code', 'created', 'message']);
export const tagList: Schema = arrayOf({ type: 'string', pattern: '^[^,/]*$', minLength: 1, maxLength: 60 }, { maxItems: 50 });
const trustedCerts: Schema = { anyOf: [arrayOf({ type: 'string', minLength: 1 }, { minItems: 1, maxItems: 50, uniqueItems: true }), { type: 'null' }] };
const userData: Schema = { anyOf: [{ type: 'string', maxLength: 65535, format: 'base64' }, { type: 'null' }] };
const keyName: Schema = { anyOf: [{ type: 'string', minLength: 1, maxLength: 255 }, { type: 'null' }] };
const powerState: Schema = { enum: [0, 1, 3, 4, 6, 7] };

/** What every full server representation carries (the update response before 2.75). */
function coreServer(v: Version, extendedAddresses: boolean): Schema {
  return obj({
    id: uuid, name: str, status: str, tenant_id: str, user_id: str, metadata: stringMap, hostId: str,
    image: imageRef, flavor: v.atLeast('2.47') ? embeddedFlavor : flavorRef,
    created: zuluTime, updated: zuluTime, addresses: addresses(extendedAddresses),
    accessIPv4: { type: 'string', anyOf: [{ format: 'ipv4' }, { enum: [''] }] },
    accessIPv6: { type: 'string', anyOf: [{ format: 'ipv6' }, { enum: [''] }] },
    links, 'OS-DCF:diskConfig': { enum: ['AUTO', 'MANUAL'] },
    fault, progress: int,
  }, ['id', 'name', 'status', 'tenant_id', 'user_id', 'metadata', 'hostId', 'image', 'flavor', 'created', 'updated',
    'addresses', 'accessIPv4', 'accessIPv6', 'links', 'OS-DCF:diskConfig']);
}

/** The attributes the show/detail views add (some only with the admin's extended-attributes policy). */
function extendedAttributes(v: Version): { props: Record<string, Schema>; required: string[] } {
  const volume = v.atLeast('2.3') ? obj({ id: str, delete_on_termination: bool }) : obj({ id: str });
  const props: Record<string, Schema> = {
    'OS-EXT-AZ:availability_zone': str,
    config_drive: str,
    key_name: strOrNull,
    'OS-SRV-USG:launched_at': strOrNull,
    'OS-SRV-USG:terminated_at': strOrNull,
    security_groups: arrayOf(obj({ name: str })),
    'OS-EXT-STS:task_state': strOrNull,
    'OS-EXT-STS:vm_state': str,
    'OS-EXT-STS:power_state': powerState,
    'os-extended-volumes:volumes_attached': arrayOf(volume),
    // Admin-only (extended server attributes policy): optional in the schema.
    'OS-EXT-SRV-ATTR:host': strOrNull,
    'OS-EXT-SRV-ATTR:instance_name': str,
    'OS-EXT-SRV-ATTR:hypervisor_hostname': strOrNull,
  };
  if (v.atLeast('2.3')) {
    Object.assign(props, {
      'OS-EXT-SRV-ATTR:reservation_id': strOrNull,
      'OS-EXT-SRV-ATTR:launch_index': int,
      'OS-EXT-SRV-ATTR:kernel_id': strOrNull,
      'OS-EXT-SRV-ATTR:ramdisk_id': strOrNull,
      'OS-EXT-SRV-ATTR:hostname': strOrNull,
      'OS-EXT-SRV-ATTR:root_device_name': strOrNull,
      'OS-EXT-SRV-ATTR:user_data': strOrNull,
    });
  }
  if (v.atLeast('2.16')) props.host_status = { enum: ['UP', 'DOWN', 'MAINTENANCE', 'UNKNOWN', ''] };
  return {
    props,
    required: ['OS-EXT-AZ:availability_zone', 'config_drive', 'key_name', 'OS-SRV-USG:launched_at', 'OS-SRV-USG:terminated_at',
      'OS-EXT-STS:task_state', 'OS-EXT-STS:vm_state', 'OS-EXT-STS:power_state', 'os-extended-volumes:volumes_attached'],
  };
}

/** The fields later microversions add to every full representation (show, detail, update, rebuild). */
function versionedFields(v: Version, kind: 'show' | 'detail' | 'update' | 'rebuild'): { props: Record<string, Schema>; required: string[] } {
  const props: Record<string, Schema> = {};
  const required: string[] = [];
  const add = (name: string, schema: Schema, req = true) => { props[name] = schema; if (req) required.push(name); };
  if (v.atLeast('2.9')) add('locked', bool);
  if (v.atLeast('2.19')) add('description', strOrNull);
  if (v.atLeast('2.26')) add('tags', tagList);
  if (v.atLeast('2.63')) add('trusted_image_certificates', trustedCerts);
  // The list view never carries server groups (too costly per server).
  if (v.atLeast('2.71') && kind !== 'detail') add('server_groups', arrayOf(uuid, { maxItems: 1 }));
  if (v.atLeast('2.73')) add('locked_reason', strOrNull);
  // 2.96 shows where an instance is pinned; required where Nova's show() always adds it.
  if (v.atLeast('2.96')) add('pinned_availability_zone', strOrNull, kind === 'show' || kind === 'detail');
  return { props, required };
}

/** One server as GET /servers/{id} and /servers/detail give it. */
export function serverDetail(v: Version, kind: 'show' | 'detail' = 'show'): Schema {
  const ext = extendedAttributes(v);
  const later = versionedFields(v, kind);
  return extend(coreServer(v, true), { ...ext.props, ...later.props }, [...ext.required, ...later.required]);
}

/** PUT /servers/{id}: the core view until 2.75, then the whole server. */
export function serverUpdate(v: Version): Schema {
  if (v.atLeast('2.75')) return serverDetail(v, 'show');
  const later = versionedFields(v, 'update');
  return extend(coreServer(v, false), later.props, later.required);
}

/** The rebuild action's server: the core view (plus key_name at 2.54, user_data at 2.57) until 2.75, then the whole server; with adminPass. */
export function serverRebuild(v: Version, withAdminPass: boolean): Schema {
  let s: Schema;
  if (v.atLeast('2.75')) {
    s = extend(omit(serverDetail(v, 'show'), ['OS-EXT-SRV-ATTR:user_data']), { user_data: userData }, ['user_data']);
  } else {
    const later = versionedFields(v, 'rebuild');
    s = extend(coreServer(v, false), later.props, later.required);
    if (v.atLeast('2.54')) s = extend(s, { key_name: keyName }, ['key_name']);
    if (v.atLeast('2.57')) s = extend(s, { user_data: userData }, ['user_data']);
  }
  // adminPass is left out when enable_instance_password is off.
  return extend(s, { adminPass: str }, withAdminPass ? ['adminPass'] : []);
}

const createdServer = obj({
  id: uuid, links, 'OS-DCF:diskConfig': { enum: ['AUTO', 'MANUAL'] },
  security_groups: arrayOf(obj({ name: str })), adminPass: str,
}, ['id', 'links', 'OS-DCF:diskConfig', 'security_groups']);

export const servers: Record<string, VersionedSpec> = {
  'POST /servers': fixed({
    status: [202],
    body: { anyOf: [wrap('server', createdServer), obj({ reservation_id: str })] },
  }),
  'GET /servers': fixed(ok(list('servers', obj({ id: uuid, name: str, links }), true))),
  'GET /servers/detail': (v) => ok(list('servers', serverDetail(v, 'detail'), true)),
  'GET /servers/:id': (v) => ok(wrap('server', serverDetail(v, 'show'))),
  'PUT /servers/:id': (v) => ok(wrap('server', serverUpdate(v))),
};

const consoleOutput = obj({ output: str });
const imageId = obj({ image_id: uuid });

/** POST /servers/{id}/action, by the action's key. Actions not listed answer 202 with no body. */
export const serverActions: Record<string, VersionedSpec> = {
  rebuild: (v) => accepted(wrap('server', serverRebuild(v, false))),
  rescue: fixed({ status: [200], body: obj({ adminPass: str }, []) }),
  'os-getConsoleOutput': fixed(ok(consoleOutput)),
  createImage: (v) => (v.atLeast('2.45') ? accepted(imageId) : acceptedEmpty),
  createBackup: (v) => (v.atLeast('2.45') ? accepted(imageId) : acceptedEmpty),
  evacuate: (v) => (v.atLeast('2.14') ? { status: [200] } : { status: [200], body: obj({ adminPass: str }, []) }),
  confirmResize: fixed(noContent),
  'os-getVNCConsole': fixed(ok(wrap('console', obj({ type: str, url: { type: 'string', format: 'uri' } })))),
  'os-getSPICEConsole': fixed(ok(wrap('console', obj({ type: str, url: { type: 'string', format: 'uri' } })))),
  'os-getSerialConsole': fixed(ok(wrap('console', obj({ type: str, url: { type: 'string', format: 'uri' } })))),
  addFloatingIp: fixed(acceptedEmpty),
};

/** Server actions that answer 202 with an empty body (Nova's default for actions). */
export const emptyActions = [
  'os-start', 'os-stop', 'reboot', 'pause', 'unpause', 'suspend', 'resume', 'lock', 'unlock', 'os-resetState',
  'changePassword', 'restore', 'forceDelete', 'unrescue', 'resize', 'migrate', 'revertResize', 'os-migrateLive',
  'shelve', 'shelveOffload', 'unshelve', 'addSecurityGroup', 'removeSecurityGroup', 'trigger_crash_dump',
  'injectNetworkInfo', 'resetNetwork', 'addFixedIp', 'removeFixedIp', 'removeFloatingIp',
];
for (const a of emptyActions) serverActions[a] ??= fixed(acceptedEmpty);
