/** What hangs off a server: metadata, tags, ips, instance actions, password, diagnostics, interfaces, consoles, migrations. */
import {
  obj, extend, wrap, list, str, strOrNull, int, intOrNull, bool, anyObject, uuid, dateTime, dateTimeOrNull, naiveTime, naiveTimeOrNull, stringMap,
  arrayOf, links, macAddress, ipAddressOrNull, ok, acceptedEmpty, noContent, fixed, gone, type Schema, type VersionedSpec,
} from './common.js';
import type { Version } from './version.js';
import { addressesSchema, tagList } from './servers.js';
import { securityGroup } from './networking.js';

const metaItem: Schema = { type: 'object', additionalProperties: { type: 'string' }, minProperties: 1, maxProperties: 1 };

function instanceAction(v: Version, withEvents: 'no' | 'optional' | 'required'): Schema {
  let action = obj({
    action: str, request_id: str, user_id: strOrNull, project_id: strOrNull, start_time: naiveTime,
    message: strOrNull, instance_uuid: uuid,
  });
  if (v.atLeast('2.58')) action = extend(action, { updated_at: naiveTimeOrNull }, ['updated_at']);
  if (withEvents === 'no') return action;
  let event = obj({ event: str, start_time: naiveTime, finish_time: naiveTimeOrNull, result: strOrNull, traceback: strOrNull },
    ['event', 'start_time', 'finish_time', 'result']);
  if (v.atLeast('2.62')) event = extend(event, { host: str, hostId: str }, ['hostId']);
  if (v.atLeast('2.84')) event = extend(event, { details: strOrNull });
  return extend(action, { events: arrayOf(event) }, withEvents === 'required' ? ['events'] : []);
}

function interfaceAttachment(v: Version): Schema {
  const s = obj({
    port_state: str, port_id: uuid, net_id: uuid, mac_addr: macAddress,
    fixed_ips: arrayOf(obj({ subnet_id: uuid, ip_address: ipAddressOrNull })),
  });
  return v.atLeast('2.70') ? extend(s, { tag: strOrNull }, ['tag']) : s;
}

function serverMigration(v: Version): Schema {
  let s = obj({
    id: int, server_uuid: uuid, status: str, source_compute: strOrNull, source_node: strOrNull, dest_compute: strOrNull,
    dest_node: strOrNull, dest_host: strOrNull, created_at: dateTime, updated_at: dateTimeOrNull,
    memory_total_bytes: intOrNull, memory_processed_bytes: intOrNull, memory_remaining_bytes: intOrNull,
    disk_total_bytes: intOrNull, disk_processed_bytes: intOrNull, disk_remaining_bytes: intOrNull,
  });
  if (v.atLeast('2.59')) s = extend(s, { uuid }, ['uuid']);
  if (v.atLeast('2.80')) s = extend(s, { user_id: strOrNull, project_id: strOrNull }, ['user_id', 'project_id']);
  return s;
}

const consoleSchema = (v: Version): Schema => obj({
  protocol: { enum: v.atLeast('2.8') ? ['vnc', 'rdp', 'serial', 'spice', 'mks'] : ['vnc', 'rdp', 'serial', 'spice'] },
  type: { enum: v.atLeast('2.8') ? ['novnc', 'xvpvnc', 'rdp-html5', 'spice-html5', 'serial', 'webmks'] : ['novnc', 'xvpvnc', 'rdp-html5', 'spice-html5', 'serial'] },
  url: { type: 'string', format: 'uri' },
});

const nullableInt = intOrNull;
const diagnostics248 = obj({
  state: { enum: ['pending', 'running', 'paused', 'shutdown', 'crashed', 'suspended'] },
  driver: { enum: ['libvirt', 'xenapi', 'vmwareapi', 'ironic', 'hyperv', 'fake'] },
  hypervisor: strOrNull, hypervisor_os: strOrNull, uptime: nullableInt, config_drive: bool,
  num_cpus: int, num_nics: int, num_disks: int,
  memory_details: obj({ maximum: nullableInt, used: nullableInt }),
  cpu_details: arrayOf(obj({ id: nullableInt, time: nullableInt, utilisation: nullableInt })),
  nic_details: arrayOf(obj({
    mac_address: { anyOf: [macAddress, { type: 'null' }] }, rx_octets: nullableInt, rx_errors: nullableInt, rx_drop: nullableInt,
    rx_packets: nullableInt, rx_rate: nullableInt, tx_octets: nullableInt, tx_errors: nullableInt, tx_drop: nullableInt,
    tx_packets: nullableInt, tx_rate: nullableInt,
  })),
  disk_details: arrayOf(obj({ read_bytes: nullableInt, read_requests: nullableInt, write_bytes: nullableInt, write_requests: nullableInt, errors_count: nullableInt })),
});

export const serverResources: Record<string, VersionedSpec> = {
  'GET /servers/:id/metadata': fixed(ok(wrap('metadata', stringMap))),
  'POST /servers/:id/metadata': fixed(ok(wrap('metadata', stringMap))),
  'PUT /servers/:id/metadata': fixed(ok(wrap('metadata', stringMap))),
  'GET /servers/:id/metadata/:key': fixed(ok(wrap('meta', metaItem))),
  'PUT /servers/:id/metadata/:key': fixed(ok(wrap('meta', metaItem))),

  'GET /servers/:id/tags': fixed(ok(wrap('tags', tagList))),
  'PUT /servers/:id/tags': fixed(ok(wrap('tags', tagList))),
  'GET /servers/:id/tags/:tag': fixed(noContent),
  'PUT /servers/:id/tags/:tag': fixed({ status: [201, 204] }),

  'GET /servers/:id/ips': fixed(ok(wrap('addresses', addressesSchema(false)))),
  'GET /servers/:id/ips/:network': fixed(ok({ ...addressesSchema(false), minProperties: 1, maxProperties: 1 })),

  'GET /servers/:id/os-instance-actions': (v) => ok(v.atLeast('2.58')
    ? obj({ instanceActions: arrayOf(instanceAction(v, 'no')), links }, ['instanceActions'])
    : wrap('instanceActions', arrayOf(instanceAction(v, 'no')))),
  'GET /servers/:id/os-instance-actions/:requestId': (v) => ok(wrap('instanceAction', instanceAction(v, v.atLeast('2.51') ? 'required' : 'optional'))),

  'GET /servers/:id/os-server-password': fixed(ok(obj({ password: str }))),
  'GET /servers/:id/diagnostics': (v) => ok(v.atLeast('2.48') ? diagnostics248 : anyObject),
  'GET /servers/:id/os-security-groups': fixed(ok(list('security_groups', securityGroup))),

  'GET /servers/:id/os-interface': (v) => ok(list('interfaceAttachments', interfaceAttachment(v))),
  'POST /servers/:id/os-interface': (v) => ok(wrap('interfaceAttachment', interfaceAttachment(v))),
  'GET /servers/:id/os-interface/:portId': (v) => ok(wrap('interfaceAttachment', interfaceAttachment(v))),

  'POST /servers/:id/remote-consoles': (v) => ok(wrap('remote_console', consoleSchema(v))),

  'GET /servers/:id/migrations': (v) => ok(list('migrations', serverMigration(v))),
  'GET /servers/:id/migrations/:mid': (v) => ok(wrap('migration', serverMigration(v))),
  'POST /servers/:id/migrations/:mid/action': fixed(acceptedEmpty),

  // No block storage: no attachment is ever listed, and every volume is not found, as Nova answers for one Cinder lacks.
  'GET /servers/:id/os-volume_attachments': fixed(ok(obj({ volumeAttachments: arrayOf({ type: 'object' }, { maxItems: 0 }) }))),
  'GET /servers/:id/os-volume_attachments/:volumeId': fixed(gone),
  'POST /servers/:id/os-volume_attachments': fixed(gone),
  'PUT /servers/:id/os-volume_attachments/:volumeId': fixed(gone),

};
