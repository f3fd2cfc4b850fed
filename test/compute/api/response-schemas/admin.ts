/** The operator's resources: hypervisors, services, hosts, availability zones, aggregates, migrations, usage, audit log, extensions. */
import {
  obj, extend, omit, wrap, list, str, strOrNull, int, intOrNull, num, bool, anyObject, uuid, dateTime, dateTimeOrNull,
  stringMap, arrayOf, links, ipAddressOrNull, ok, until, fixed, gone, type Schema, type VersionedSpec,
} from './common.js';
import type { Version } from './version.js';

// ---- hypervisors
const hvId = (v: Version): Schema => (v.atLeast('2.53') ? uuid : int);
const hvServers: Schema = arrayOf(obj({ uuid, name: str }));
const hvStatus = { status: { enum: ['enabled', 'disabled'] }, state: { enum: ['up', 'down'] } };

function hypervisorSummary(v: Version): Schema {
  const s = obj({ id: hvId(v), hypervisor_hostname: str, ...hvStatus });
  return v.atLeast('2.53') ? extend(s, { servers: hvServers }) : s;
}

const STATS = ['vcpus', 'memory_mb', 'local_gb', 'vcpus_used', 'memory_mb_used', 'local_gb_used', 'free_ram_mb', 'free_disk_gb',
  'current_workload', 'running_vms', 'disk_available_least'];

function hypervisorDetail(v: Version): Schema {
  let s = obj({
    id: hvId(v), hypervisor_hostname: str, ...hvStatus, hypervisor_type: str, hypervisor_version: int, host_ip: ipAddressOrNull,
    cpu_info: v.atLeast('2.28') ? anyObject : str,
    service: obj({ host: str, id: v.atLeast('2.53') ? uuid : int, disabled_reason: strOrNull }),
    ...Object.fromEntries(STATS.map((k) => [k, k === 'disk_available_least' ? intOrNull : int])),
  });
  if (v.atLeast('2.53')) s = extend(s, { servers: hvServers });
  // 2.88 dropped the statistics-style fields and cpu_info, and added uptime.
  if (v.atLeast('2.88')) s = extend(omit(s, [...STATS, 'cpu_info']), { uptime: strOrNull }, ['uptime']);
  return s;
}

const hvStatistics = obj(Object.fromEntries(['count', ...STATS].map((k) => [k, k === 'disk_available_least' ? intOrNull : int])));

// ---- services
function service(v: Version): Schema {
  let s = obj({
    id: v.atLeast('2.53') ? uuid : int, binary: str, host: str, zone: str, status: { enum: ['enabled', 'disabled'] },
    state: { enum: ['up', 'down'] }, updated_at: dateTimeOrNull, disabled_reason: strOrNull,
  });
  if (v.atLeast('2.11')) s = extend(s, { forced_down: bool }, ['forced_down']);
  return s;
}

// ---- aggregates
function aggregate(v: Version, full: boolean): Schema {
  let s = obj({
    id: int, name: str, availability_zone: strOrNull, created_at: dateTime, updated_at: dateTimeOrNull,
    deleted_at: dateTimeOrNull, deleted: bool,
  });
  if (full) s = extend(s, { hosts: arrayOf(str), metadata: stringMap }, ['hosts', 'metadata']);
  if (v.atLeast('2.41')) s = extend(s, { uuid }, ['uuid']);
  return s;
}

// ---- migrations
function migration(v: Version): Schema {
  let s = obj({
    id: int, status: strOrNull, instance_uuid: strOrNull, source_node: strOrNull, source_compute: strOrNull,
    dest_node: strOrNull, dest_compute: strOrNull, dest_host: strOrNull,
    old_instance_type_id: intOrNull, new_instance_type_id: intOrNull, created_at: dateTime, updated_at: dateTimeOrNull,
  });
  if (v.atLeast('2.23')) s = extend(s, { migration_type: { enum: ['migration', 'resize', 'live-migration', 'evacuation'] }, links }, ['migration_type']);
  if (v.atLeast('2.59')) s = extend(s, { uuid }, ['uuid']);
  if (v.atLeast('2.80')) s = extend(s, { user_id: strOrNull, project_id: strOrNull }, ['user_id', 'project_id']);
  return s;
}

// ---- simple tenant usage
const serverUsage = obj({
  instance_id: str, name: str, hours: num, memory_mb: int, local_gb: int, vcpus: int, tenant_id: str, flavor: str,
  started_at: dateTime, ended_at: dateTimeOrNull, state: str, uptime: int,
});
const usage = (detailed: boolean): Schema => obj({
  tenant_id: str, start: dateTime, stop: dateTime, total_hours: num, total_local_gb_usage: num,
  total_memory_mb_usage: num, total_vcpus_usage: num, server_usages: arrayOf(serverUsage),
}, ['tenant_id', 'start', 'stop', 'total_hours', 'total_local_gb_usage', 'total_memory_mb_usage', 'total_vcpus_usage',
  ...(detailed ? ['server_usages'] : [])]);

// ---- audit log
const auditLog = obj({
  hosts_not_run: arrayOf(str), num_hosts: int, num_hosts_done: int, num_hosts_not_run: int, num_hosts_running: int,
  overall_status: str, period_beginning: str, period_ending: str, total_errors: int, total_instances: int,
  log: { type: 'object', additionalProperties: obj({ state: str, instances: int, errors: int, message: str }) },
});

// ---- availability zones
const zone = (detailed: boolean): Schema => obj({
  zoneName: str, zoneState: obj({ available: bool }),
  hosts: detailed
    ? { type: ['object', 'null'], additionalProperties: { type: 'object', additionalProperties: obj({ available: bool, active: bool, updated_at: dateTimeOrNull }) } }
    : { type: 'null' },
});

const extension = obj({ alias: str, name: str, namespace: { type: 'string', format: 'uri' }, updated: dateTime, description: str, links: arrayOf(anyObject) });

export const admin: Record<string, VersionedSpec> = {
  'GET /os-hypervisors': (v) => ok(list('hypervisors', hypervisorSummary(v), v.atLeast('2.33'))),
  'GET /os-hypervisors/detail': (v) => ok(list('hypervisors', hypervisorDetail(v), v.atLeast('2.33'))),
  'GET /os-hypervisors/:id': (v) => ok(wrap('hypervisor', hypervisorDetail(v))),
  'GET /os-hypervisors/statistics': (v) => (v.atLeast('2.88') ? gone : ok(wrap('hypervisor_statistics', hvStatistics))),
  'GET /os-hypervisors/:id/uptime': (v) => (v.atLeast('2.88') ? gone : ok(wrap('hypervisor', obj({ id: hvId(v), hypervisor_hostname: str, ...hvStatus, uptime: strOrNull }, ['id', 'hypervisor_hostname', 'status', 'state', 'uptime'])))),
  'GET /os-hypervisors/:id/search': (v) => (v.atLeast('2.53') ? gone : ok(list('hypervisors', obj({ id: hvId(v), hypervisor_hostname: str, ...hvStatus })))),
  'GET /os-hypervisors/:id/servers': (v) => (v.atLeast('2.53') ? gone : ok(list('hypervisors', obj({ id: hvId(v), hypervisor_hostname: str, ...hvStatus, servers: hvServers }, ['id', 'hypervisor_hostname', 'status', 'state'])))),

  'GET /os-services': (v) => ok(list('services', service(v))),
  'PUT /os-services/:id': (v) => ok(wrap('service', v.atLeast('2.53') ? extend(service(v), { updated_at: dateTime }) : { type: 'object' })),

  'GET /os-hosts': until('2.42', fixed(ok(list('hosts', obj({ host_name: str, service: str, zone: str }))))),
  'GET /os-hosts/:id': until('2.42', fixed(ok(list('host', obj({ resource: obj({ host: str, project: str, cpu: int, memory_mb: int, disk_gb: int }) }))))),
  'PUT /os-hosts/:id': until('2.42', fixed(ok({ ...obj({ host: str, status: { enum: ['enabled', 'disabled'] }, maintenance_mode: { enum: ['on_maintenance', 'off_maintenance'] } }, ['host']), minProperties: 2 }))),
  'GET /os-hosts/:id/startup': until('2.42', fixed(ok(obj({ host: str, power_action: { enum: ['startup'] } })))),
  'GET /os-hosts/:id/shutdown': until('2.42', fixed(ok(obj({ host: str, power_action: { enum: ['shutdown'] } })))),
  'GET /os-hosts/:id/reboot': until('2.42', fixed(ok(obj({ host: str, power_action: { enum: ['reboot'] } })))),
  'GET /os-availability-zone': fixed(ok(list('availabilityZoneInfo', zone(false)))),
  'GET /os-availability-zone/detail': fixed(ok(list('availabilityZoneInfo', zone(true)))),

  'GET /os-aggregates': (v) => ok(list('aggregates', aggregate(v, true))),
  'POST /os-aggregates': (v) => ok(wrap('aggregate', aggregate(v, false))),
  'GET /os-aggregates/:id': (v) => ok(wrap('aggregate', aggregate(v, true))),
  'PUT /os-aggregates/:id': (v) => ok(wrap('aggregate', extend(aggregate(v, true), { updated_at: dateTime }))),
  'POST /os-aggregates/:id/action': (v) => ok(wrap('aggregate', aggregate(v, true))),
  'POST /os-aggregates/:id/images': fixed({ status: [202] }),

  'GET /os-migrations': (v) => ok(list('migrations', migration(v), v.atLeast('2.59'))),

  'GET /os-simple-tenant-usage': (v) => ok(list('tenant_usages', usage(false), v.atLeast('2.40'))),
  // A project with no usage in the period gets an empty object.
  'GET /os-simple-tenant-usage/:id': (v) => ok(obj({
    tenant_usage: { anyOf: [usage(true), obj({})] },
    ...(v.atLeast('2.40') ? { tenant_usage_links: links } : {}),
  }, ['tenant_usage'])),

  'GET /os-instance_usage_audit_log': fixed(ok(wrap('instance_usage_audit_logs', auditLog))),
  'GET /os-instance_usage_audit_log/:id': fixed(ok(wrap('instance_usage_audit_log', auditLog))),

  // 200 when every event was taken, 207 when any was not; each event says how it went.
  'POST /os-server-external-events': fixed({
    status: [200, 207],
    body: obj({ events: arrayOf(obj({ name: str, server_uuid: uuid, tag: str, status: { enum: ['completed', 'failed'] }, code: int }, ['name', 'server_uuid', 'status', 'code'])) }),
  }),

  'GET /extensions': fixed(ok(list('extensions', extension))),
  'GET /extensions/:alias': fixed(ok(wrap('extension', extension))),
};
