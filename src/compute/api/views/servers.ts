/** Response shapes of /servers, per microversion (Nova's views/servers.py). */
import { createHash } from 'node:crypto';
import type { APIVersion } from '../../../http/microversion.js';
import type { InstanceViewRow } from '../../instance-list.js';
import { serverStatus } from '../../vm-states.js';
import type { Flavor } from '../../../objects/flavor.js';
import { hypervisorName } from '../../driver-instance.js';

export interface ViewContext {
  base: string;
  version: APIVersion;
  /** May see the OS-EXT-SRV-ATTR:* extended attributes (admin by default). */
  showExtended: boolean;
  /** May see fault details (admin). */
  showFaultDetails: boolean;
  /** Host status is shown (2.16) when policy allows. */
  showHostStatus: boolean;
  /** Extra specs of the embedded flavor (2.47) are shown. */
  showFlavorExtraSpecs: boolean;
  /** [DEFAULT] instance_name_template: OS-EXT-SRV-ATTR:instance_name is the hypervisor's name for the server. */
  instanceNameTemplate: string;
}

/** Everything besides the row that shapes a detail view, as one string (the view cache's key); the name template is the process's own. */
export function viewKey(ctx: ViewContext): string {
  return `${ctx.base}|${ctx.version}|${+ctx.showExtended}${+ctx.showFaultDetails}${+ctx.showHostStatus}${+ctx.showFlavorExtraSpecs}`;
}

export interface Fault {
  code: number;
  message: string;
  details: string;
  created_at: string;
}

function links(base: string, kind: string, id: string) {
  return [
    { rel: 'self', href: `${base}/compute/v2.1/${kind}/${id}` },
    { rel: 'bookmark', href: `${base}/compute/${kind}/${id}` },
  ];
}

/**
 * Remembers the last results of a pure function of a string: a page of
 * servers repeats the same few flavors, projects and hosts many times.
 */
function memo<T>(fn: (key: string) => T, max = 1000): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let v = cache.get(key);
    if (v === undefined) {
      if (cache.size >= max) cache.clear();
      cache.set(key, (v = fn(key)));
    }
    return v;
  };
}

const hostIdOf = memo((key) => createHash('sha224').update(key).digest('hex'));
const parseFlavor = memo((json) => JSON.parse(json) as Flavor, 100);
const parseSecurityGroups = memo((json) => (JSON.parse(json) as string[]).map((name) => ({ name })), 100);

/** OS-DCF:diskConfig as Nova shows instances.auto_disk_config. */
export function diskConfigName(autoDiskConfig: number | boolean): 'AUTO' | 'MANUAL' {
  return autoDiskConfig ? 'AUTO' : 'MANUAL';
}

/** Nova's hostId: sha224 of project id and host, so a project sees co-location without seeing hosts. */
export function hostId(projectId: string, host: string | null): string {
  return host ? hostIdOf(projectId + host) : '';
}

/** Nova's timestamp format in server views: seconds, Z suffix (ours are ISO strings with milliseconds). */
export function isoZ(ts: string | null): string | null {
  return ts ? `${ts.slice(0, 19)}Z` : null;
}

/** OS-SRV-USG times are microsecond-precision without a zone in Nova. */
function usgTime(ts: string | null): string | null {
  return ts ? `${ts.slice(0, 23)}000` : null;
}

type CachedIp = { address: string; version?: number; type?: string };
type CachedVif = { address?: string; network?: { label?: string; subnets?: Array<{ ips?: Array<CachedIp & { floating_ips?: CachedIp[] }> }> } };

/**
 * A server's addresses by network label from its network info cache, as
 * Nova's addresses view lists them: every fixed address of the label first,
 * then the floating addresses NATed to them, each with its port's MAC.
 */
export function addresses(networkInfo: string): Record<string, Array<Record<string, unknown>>> {
  let vifs: CachedVif[];
  try {
    vifs = JSON.parse(networkInfo);
  } catch {
    return {};
  }
  const byLabel = new Map<string, { fixed: Array<Record<string, unknown>>; floating: Array<Record<string, unknown>> }>();
  const entry = (ip: CachedIp, type: string, mac: string | undefined) => ({
    version: ip.version ?? (ip.address.includes(':') ? 6 : 4), addr: ip.address, 'OS-EXT-IPS:type': ip.type ?? type, 'OS-EXT-IPS-MAC:mac_addr': mac,
  });
  for (const vif of vifs ?? []) {
    const label = vif.network?.label ?? 'network';
    const lists = byLabel.get(label) ?? { fixed: [], floating: [] };
    byLabel.set(label, lists);
    for (const subnet of vif.network?.subnets ?? []) {
      for (const ip of subnet.ips ?? []) {
        lists.fixed.push(entry(ip, 'fixed', vif.address));
        for (const fip of ip.floating_ips ?? []) lists.floating.push(entry(fip, 'floating', vif.address));
      }
    }
  }
  return Object.fromEntries([...byLabel].map(([label, l]) => [label, [...l.fixed, ...l.floating]]));
}

export function basicView(row: Pick<InstanceViewRow, 'uuid' | 'display_name'>, ctx: ViewContext) {
  return { id: row.uuid, name: row.display_name, links: links(ctx.base, 'servers', row.uuid) };
}

/** Parts of a detail view read from other tables: tags (2.26) and, for a single server's view only, its server groups (2.71). */
export interface ViewExtras {
  tags?: string[];
  serverGroups?: string[];
  /** The zone the server is pinned to (2.96); null when it may move between zones. */
  pinnedAz?: string | null;
}

export function detailView(row: InstanceViewRow, md: Record<string, string>, fault: Fault | undefined, ctx: ViewContext, extras: ViewExtras = {}): Record<string, unknown> {
  const v = ctx.version;
  const flavor = parseFlavor(row.flavor);
  const status = serverStatus(row.vm_state, row.task_state);
  const server: Record<string, unknown> = {
    id: row.uuid,
    name: row.display_name,
    status,
    tenant_id: row.project_id,
    user_id: row.user_id,
    metadata: md,
    hostId: hostId(row.project_id, row.host),
    image: row.image_ref ? { id: row.image_ref, links: [{ rel: 'bookmark', href: `${ctx.base}/compute/images/${row.image_ref}` }] } : '',
    flavor: v.atLeast('2.47')
      ? {
          vcpus: flavor.vcpus, ram: flavor.memory_mb, disk: flavor.root_gb, ephemeral: flavor.ephemeral_gb,
          swap: flavor.swap, original_name: flavor.name, ...(ctx.showFlavorExtraSpecs ? { extra_specs: flavor.extra_specs ?? {} } : {}),
        }
      : { id: flavor.flavorid, links: [{ rel: 'bookmark', href: `${ctx.base}/compute/flavors/${flavor.flavorid}` }] },
    created: isoZ(row.created_at),
    updated: isoZ(row.updated_at ?? row.created_at),
    addresses: addresses(row.network_info),
    accessIPv4: row.access_ip_v4 ?? '',
    accessIPv6: canonicalIpv6(row.access_ip_v6),
    links: links(ctx.base, 'servers', row.uuid),
    'OS-DCF:diskConfig': diskConfigName(row.auto_disk_config),
    'OS-EXT-AZ:availability_zone': row.availability_zone ?? '',
    config_drive: row.config_drive,
    key_name: row.key_name,
    'OS-SRV-USG:launched_at': usgTime(row.launched_at),
    'OS-SRV-USG:terminated_at': usgTime(row.terminated_at),
    'OS-EXT-STS:task_state': row.task_state,
    'OS-EXT-STS:vm_state': row.vm_state,
    'OS-EXT-STS:power_state': row.power_state,
    'os-extended-volumes:volumes_attached': [],
  };
  // Nova leaves the key out for a server in no group (e.g. after removeSecurityGroup of the last one).
  const groups = parseSecurityGroups(row.security_groups);
  if (groups.length > 0) server.security_groups = groups;
  if (status === 'BUILD' || status === 'ACTIVE') server.progress = row.progress;
  if (ctx.showExtended) {
    server['OS-EXT-SRV-ATTR:host'] = row.host;
    server['OS-EXT-SRV-ATTR:instance_name'] = hypervisorName(ctx.instanceNameTemplate, row.id);
    server['OS-EXT-SRV-ATTR:hypervisor_hostname'] = row.node;
    if (v.atLeast('2.3')) {
      server['OS-EXT-SRV-ATTR:reservation_id'] = row.reservation_id;
      server['OS-EXT-SRV-ATTR:launch_index'] = row.launch_index;
      server['OS-EXT-SRV-ATTR:hostname'] = row.hostname;
      server['OS-EXT-SRV-ATTR:kernel_id'] = '';
      server['OS-EXT-SRV-ATTR:ramdisk_id'] = '';
      server['OS-EXT-SRV-ATTR:root_device_name'] = row.root_device_name;
      server['OS-EXT-SRV-ATTR:user_data'] = row.user_data;
    }
  }
  if (v.atLeast('2.3')) server['os-extended-volumes:volumes_attached'] = [];
  if (v.atLeast('2.9')) server.locked = row.locked === 1;
  if (v.atLeast('2.16') && ctx.showHostStatus) server.host_status = row.host ? 'UP' : '';
  if (v.atLeast('2.19')) server.description = row.display_description;
  if (v.atLeast('2.26')) server.tags = extras.tags ?? [];
  if (v.atLeast('2.63')) server.trusted_image_certificates = row.trusted_certs ? JSON.parse(row.trusted_certs) as string[] : null;
  if (v.atLeast('2.71') && extras.serverGroups) server.server_groups = extras.serverGroups;
  if (v.atLeast('2.73')) server.locked_reason = row.locked_reason;
  // 2.90 shows every caller the hostname the guest was given (they may choose it now).
  if (v.atLeast('2.90')) server['OS-EXT-SRV-ATTR:hostname'] = row.hostname;
  if (v.atLeast('2.96')) server.pinned_availability_zone = extras.pinnedAz ?? null;
  if (fault && (status === 'ERROR' || status === 'DELETED')) {
    server.fault = {
      code: fault.code, created: isoZ(fault.created_at), message: fault.message,
      ...(ctx.showFaultDetails || fault.code !== 500 ? { details: fault.details } : {}),
    };
  }
  return server;
}

/** Keys of the detail view that PUT /servers/{id} leaves out before 2.75 (Nova's update shows the core view only). */
const UPDATE_HIDDEN_BEFORE_275 = [
  'OS-EXT-AZ:availability_zone', 'config_drive', 'key_name', 'OS-SRV-USG:launched_at', 'OS-SRV-USG:terminated_at',
  'security_groups', 'OS-EXT-STS:task_state', 'OS-EXT-STS:vm_state', 'OS-EXT-STS:power_state',
  'os-extended-volumes:volumes_attached', 'host_status',
];

/** The server in the response of PUT /servers/{id}: since 2.75 the whole detail view, before it a core subset. */
export function updateView(row: InstanceViewRow, md: Record<string, string>, ctx: ViewContext, extras: ViewExtras = {}): Record<string, unknown> {
  const server = detailView(row, md, undefined, ctx, extras);
  if (ctx.version.atLeast('2.75')) return server;
  for (const key of Object.keys(server)) {
    if (UPDATE_HIDDEN_BEFORE_275.includes(key) || key.startsWith('OS-EXT-SRV-ATTR:')) delete server[key];
  }
  // Addresses without the OS-EXT-IPS extensions.
  const plain: Record<string, Array<Record<string, unknown>>> = {};
  for (const [net, ips] of Object.entries(server.addresses as Record<string, Array<Record<string, unknown>>>)) {
    plain[net] = ips.map((ip) => ({ version: ip.version, addr: ip.addr }));
  }
  server.addresses = plain;
  return server;
}

/** An IPv6 address as Nova shows it (netaddr's str): compressed, lower case, dotted quads as hex. */
function canonicalIpv6(addr: string | null): string {
  if (!addr) return '';
  try {
    return new URL(`http://[${addr}]`).hostname.slice(1, -1);
  } catch {
    return addr;
  }
}
