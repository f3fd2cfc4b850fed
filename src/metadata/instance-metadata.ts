/**
 * The files of an instance's metadata as a config drive carries them (Nova's
 * InstanceMetadata.metadata_for_config_drive and netutils.get_network_metadata):
 * the OpenStack tree under openstack/<version>/ and the EC2 tree under
 * ec2/<version>/. Pure: no I/O, so the metadata API (tree.ts) serves the same tree.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { DriverInstance } from '../virt/driver.js';
import { devnameFor } from '../network/network-info.js';

/** The EC2 metadata versions Nova publishes; 'latest' is the last one. */
export const EC2_VERSIONS = [
  '1.0', '2007-01-19', '2007-03-01', '2007-08-29', '2007-10-10', '2007-12-15', '2008-02-01', '2008-09-01', '2009-04-04',
] as const;

const FOLSOM = '2012-08-10';
const GRIZZLY = '2013-04-04';
const HAVANA = '2013-10-17';
const LIBERTY = '2015-10-15';
const NEWTON_ONE = '2016-06-30';
const NEWTON_TWO = '2016-10-06';
const OCATA = '2017-02-22';
const ROCKY = '2018-08-27';
const VICTORIA = '2020-10-14';
const EPOXY = '2025-04-04';

/** The OpenStack metadata versions current Nova publishes; 'latest' is the last one. */
export const OPENSTACK_VERSIONS = [FOLSOM, GRIZZLY, HAVANA, LIBERTY, NEWTON_ONE, NEWTON_TWO, OCATA, ROCKY, VICTORIA, EPOXY] as const;

/**
 * Nova's [api] config_drive_skip_versions default: a config drive carries only
 * the newest EC2 version (and 'latest'), since nothing reads the older ones.
 */
export const DEFAULT_CONFIG_DRIVE_SKIP_VERSIONS: readonly string[] = EC2_VERSIONS.slice(0, -1);

/** Nova's [api] dhcp_domain default, appended to the hostname in the metadata. */
export const DEFAULT_DHCP_DOMAIN = 'novalocal';

/** A subnet as network_info carries it; the optional parts are there at run time but not in VifInfo. */
export interface MetadataSubnet {
  cidr: string;
  gateway: { address: string | null } | null;
  /** floating_ips entries are address objects ({ address }) in Nova's network_info. */
  ips: ReadonlyArray<{ address: string; type?: string; version?: number; floating_ips?: readonly unknown[] }>;
  dns?: ReadonlyArray<{ address: string | null }>;
  routes?: ReadonlyArray<{ cidr: string; gateway: { address: string | null } | null }>;
  version?: number;
  /** enable_dhcp is read by nobody: see networkEntry for why networks are always static. */
  meta?: { ipv6_address_mode?: string | null; enable_dhcp?: boolean; dhcp_server?: string };
}

/** A VIF as network_info carries it; every VifInfo is one. */
export interface MetadataVif {
  id: string;
  address: string;
  devname?: string;
  type?: string;
  network: { id: string; label: string; subnets: readonly MetadataSubnet[]; meta?: { mtu?: number | null } };
}

/** Everything the metadata of one instance is made from. */
export interface InstanceMetadataSource {
  uuid: string;
  /** The display name. */
  name: string;
  hostname: string;
  projectId: string;
  availabilityZone: string | null;
  launchIndex: number;
  keyName: string | null;
  keyData: string | null;
  /** Nova's keypair type: 'ssh' or 'x509'. */
  keyType?: string;
  metadata: Record<string, string>;
  /**
   * The raw bytes the guest gets. The instance record keeps user data base64
   * encoded as the API accepted it (as Nova does); decodeUserData turns that
   * into these bytes, and nothing else decodes it, so it is decoded exactly once.
   */
  userData: Buffer | null;
  /** Set only when the admin password is to reach the guest (Nova's extra_md). */
  adminPass?: string | null;
  networkInfo: readonly MetadataVif[];
  /** Personality files, published under openstack/content/. */
  files?: ReadonlyArray<{ path: string; contents: Buffer }>;
  /** The instance's database id: the EC2 instance-id is i-%08x of it, as the domain name is instance-%08x. */
  internalId?: number;
  imageId?: string | null;
  kernelId?: string | null;
  ramdiskId?: string | null;
  reservationId?: string | null;
  flavorName?: string | null;
  rootDeviceName?: string | null;
  securityGroups?: readonly string[];
}

export interface InstanceMetadataOptions {
  /** Appended to the hostname as Nova's [api] dhcp_domain; '' leaves the hostname bare. */
  dhcpDomain?: string;
  /** EC2 versions left off the drive (Nova's [api] config_drive_skip_versions). */
  configDriveSkipVersions?: readonly string[];
  /** Injected so tests can pin random_seed. */
  randomBytes?: (size: number) => Buffer;
}

/** The instance record holds something the metadata cannot be built from. */
export class InstanceMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InstanceMetadataError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Python's json.dumps layout (", " and ": " separators, non-ASCII escaped), so
 * guest scripts written against Nova's drives read ours the same way.
 */
export function dumpAsBytes(value: Json): Buffer {
  return Buffer.from(dumps(value), 'ascii');
}

function dumps(value: Json): string {
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InstanceMetadataError('metadata numbers must be finite');
    return JSON.stringify(value);
  }
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(dumps).join(', ')}]`;
  return `{${Object.entries(value).map(([k, v]) => `${dumps(k)}: ${dumps(v)}`).join(', ')}}`;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The raw bytes of user data as the instance record stores it (base64, maybe
 * wrapped). Buffer.from alone would silently drop junk, so the alphabet is
 * checked first.
 */
export function decodeUserData(userData: string | null): Buffer | null {
  if (userData === null) return null;
  const compact = userData.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw new InstanceMetadataError('User data is not valid base 64.');
  return Buffer.from(compact, 'base64');
}

// ---------------------------------------------------------------- addresses

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function intToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** RFC 5952 text of eight 16-bit groups: the longest run of two or more zero groups becomes '::'. */
function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

interface ParsedCidr { version: 4 | 6; prefix: number }

function parseCidr(cidr: string): ParsedCidr {
  const slash = cidr.indexOf('/');
  const address = slash < 0 ? cidr : cidr.slice(0, slash);
  const prefixText = slash < 0 ? null : cidr.slice(slash + 1);
  const version = isIPv4(address) ? 4 : isIPv6(address) ? 6 : null;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === null ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (version === null || !(prefix >= 0 && prefix <= max)) throw new InstanceMetadataError(`Invalid subnet CIDR '${cidr}' in the network info.`);
  return { version, prefix };
}

/** The dotted (IPv4) or RFC 5952 (IPv6) netmask of a prefix length. */
export function netmaskFromPrefix(version: 4 | 6, prefix: number): string {
  if (version === 4) return intToIpv4(prefix === 0 ? 0 : (2 ** 32 - 2 ** (32 - prefix)));
  const groups = Array.from({ length: 8 }, (_, i) => {
    const bits = Math.min(16, Math.max(0, prefix - i * 16));
    return bits === 0 ? 0 : 0xffff - (2 ** (16 - bits) - 1);
  });
  return formatIpv6(groups);
}

function netmaskOf(cidr: string): string {
  const { version, prefix } = parseCidr(cidr);
  return netmaskFromPrefix(version, prefix);
}

/** Network address and netmask of a route's destination, as netaddr reports them. */
function routeNetwork(cidr: string): { network: string; netmask: string } {
  const { version, prefix } = parseCidr(cidr);
  const address = cidr.split('/')[0]!;
  if (version === 6) return { network: address, netmask: netmaskFromPrefix(6, prefix) };
  const block = 2 ** (32 - prefix);
  return { network: intToIpv4(Math.floor(ipv4ToInt(address) / block) * block), netmask: netmaskFromPrefix(4, prefix) };
}

function subnetVersion(subnet: MetadataSubnet): number {
  return subnet.version ?? parseCidr(subnet.cidr).version;
}

// ---------------------------------------------------------- network_data.json

export interface NetworkMetadataLink {
  id: string;
  vif_id: string;
  type: string;
  mtu: number | null;
  ethernet_mac_address: string;
}

export interface NetworkMetadataRoute { network: string; netmask: string; gateway: string }
export interface NetworkMetadataService { type: 'dns'; address: string }

export interface NetworkMetadataNetwork {
  id: string;
  type: string;
  link: string;
  ip_address: string;
  netmask: string;
  routes: NetworkMetadataRoute[];
  network_id: string;
  services: NetworkMetadataService[];
}

export interface NetworkMetadata {
  links: NetworkMetadataLink[];
  networks: NetworkMetadataNetwork[];
  services: NetworkMetadataService[];
}

/** VIF types Nova names as themselves in a link; anything else is a 'phy' link. */
const LEGACY_EXPOSED_VIF_TYPES = new Set(['bridge', 'dvs', 'hw_veb', 'hyperv', 'ovs', 'tap', 'vhostuser', 'vif']);

function dnsServices(subnet: MetadataSubnet): NetworkMetadataService[] {
  return (subnet.dns ?? []).flatMap((d) => (d.address ? [{ type: 'dns' as const, address: d.address }] : []));
}

function defaultRoute(version: number, subnet: MetadataSubnet): NetworkMetadataRoute[] {
  const gateway = subnet.gateway?.address;
  if (!gateway) return [];
  const any = version === 4 ? '0.0.0.0' : '::';
  return [{ network: any, netmask: any, gateway }];
}

/**
 * Kilonova runs no DHCP agent, so a network is always described statically
 * (Nova would say ipv4_dhcp for a DHCP-enabled subnet and leave the guest
 * waiting for an offer nobody sends). Like Nova, only the first subnet of each
 * IP version and its first address are described.
 */
function networkEntry(vif: MetadataVif, subnet: MetadataSubnet, version: number, netNum: number, linkId: string): NetworkMetadataNetwork {
  const mode = version === 6 && subnet.meta?.ipv6_address_mode ? `_${subnet.meta.ipv6_address_mode}` : '';
  const routes = defaultRoute(version, subnet);
  for (const route of subnet.routes ?? []) {
    if (!route.gateway?.address) continue;
    routes.push({ ...routeNetwork(route.cidr), gateway: route.gateway.address });
  }
  return {
    id: `network${netNum}`,
    type: `ipv${version}${mode}`,
    link: linkId,
    ip_address: subnet.ips[0]!.address,
    netmask: netmaskOf(subnet.cidr),
    routes,
    network_id: vif.network.id,
    services: dnsServices(subnet),
  };
}

/** network_data.json's content; null when the instance has no network info at all (Nova then writes {}). */
export function getNetworkMetadata(networkInfo: readonly MetadataVif[]): NetworkMetadata | null {
  if (networkInfo.length === 0) return null;
  const links: NetworkMetadataLink[] = [];
  const networks: NetworkMetadataNetwork[] = [];
  const services: NetworkMetadataService[] = [];
  let netNum = -1;
  for (const vif of networkInfo) {
    const subnets = vif.network?.subnets ?? [];
    if (subnets.length === 0) continue;
    const v4 = subnets.find((s) => subnetVersion(s) === 4);
    const v6 = subnets.find((s) => subnetVersion(s) === 6);
    if (!v4 && !v6) continue;
    const link: NetworkMetadataLink = {
      // The tap device name, which is also what Kilonova's network_info carries as devname.
      id: vif.devname || devnameFor(vif.id),
      vif_id: vif.id,
      type: vif.type && LEGACY_EXPOSED_VIF_TYPES.has(vif.type) ? vif.type : 'phy',
      mtu: vif.network.meta?.mtu ?? null,
      ethernet_mac_address: vif.address,
    };
    links.push(link);
    for (const [subnet, version] of [[v4, 4], [v6, 6]] as const) {
      if (!subnet || subnet.ips.length === 0) continue;
      networks.push(networkEntry(vif, subnet, version, ++netNum, link.id));
      for (const dns of dnsServices(subnet)) {
        if (!services.some((s) => s.address === dns.address)) services.push(dns);
      }
    }
  }
  return { links, networks, services };
}

// ------------------------------------------------------------ meta_data.json

function atLeast(versions: readonly string[], required: string, requested: string): boolean {
  return versions.indexOf(requested) >= versions.indexOf(required);
}

function hostnameOf(src: InstanceMetadataSource, dhcpDomain: string): string {
  return dhcpDomain ? `${src.hostname}.${dhcpDomain}` : src.hostname;
}

function hasKey(src: InstanceMetadataSource): src is InstanceMetadataSource & { keyName: string; keyData: string } {
  // Nova publishes a key only when the instance names a key pair that still exists.
  return Boolean(src.keyName) && src.keyData !== null;
}

/** openstack/<version>/meta_data.json; version is a dated OpenStack version. */
export function openstackMetaData(src: InstanceMetadataSource, version: string, opts: InstanceMetadataOptions = {}): { [key: string]: Json } {
  const random = opts.randomBytes ?? cryptoRandomBytes;
  const md: { [key: string]: Json } = { uuid: src.uuid };
  if (Object.keys(src.metadata).length > 0) md.meta = { ...src.metadata };
  if (src.files && src.files.length > 0) {
    md.files = src.files.map((f, i) => ({ path: f.path, content_path: `/content/${contentKey(i)}` }));
  }
  if (src.adminPass) md.admin_pass = src.adminPass;
  if (hasKey(src)) {
    md.public_keys = { [src.keyName]: src.keyData };
    md.keys = [{ name: src.keyName, type: src.keyType ?? 'ssh', data: src.keyData }];
  }
  md.hostname = hostnameOf(src, opts.dhcpDomain ?? DEFAULT_DHCP_DOMAIN);
  md.name = src.name;
  md.launch_index = src.launchIndex;
  md.availability_zone = src.availabilityZone;
  if (atLeast(OPENSTACK_VERSIONS, GRIZZLY, version)) md.random_seed = random(512).toString('base64');
  if (atLeast(OPENSTACK_VERSIONS, LIBERTY, version)) md.project_id = src.projectId;
  // Kilonova records no device tags yet, so the device list is always empty.
  if (atLeast(OPENSTACK_VERSIONS, NEWTON_ONE, version)) md.devices = [];
  // Nor dedicated (pinned) CPUs.
  if (atLeast(OPENSTACK_VERSIONS, VICTORIA, version)) md.dedicated_cpus = [];
  return md;
}

function contentKey(index: number): string {
  return String(index).padStart(4, '0');
}

// ------------------------------------------------------------ EC2 meta-data

/**
 * Kilonova keeps no EC2 id mappings: image ids become ami-/aki-/ari- plus the
 * first 8 hex digits of the image UUID (stable, and unique enough to tell
 * images apart in a guest).
 */
export function ec2IdFromUuid(prefix: string, uuid: string): string {
  return `${prefix}-${uuid.replace(/-/g, '').slice(0, 8).toLowerCase().padStart(8, '0')}`;
}

/** i-%08x of the database id, matching the instance-%08x domain name; the UUID prefix without one. */
export function ec2InstanceId(src: Pick<InstanceMetadataSource, 'uuid' | 'internalId'>): string {
  return src.internalId !== undefined ? `i-${src.internalId.toString(16).padStart(8, '0')}` : ec2IdFromUuid('i', src.uuid);
}

function fixedIpv4s(networkInfo: readonly MetadataVif[]): string[] {
  return networkInfo.flatMap((vif) => (vif.network?.subnets ?? []).flatMap((s) => s.ips))
    .filter((ip) => (ip.version ?? (isIPv4(ip.address) ? 4 : 6)) === 4).map((ip) => ip.address);
}

function floatingIps(networkInfo: readonly MetadataVif[]): string[] {
  return networkInfo.flatMap((vif) => (vif.network?.subnets ?? []).flatMap((s) => s.ips))
    .flatMap((ip) => (ip.floating_ips ?? []).flatMap((f) => {
      const address = (f as { address?: unknown } | null)?.address;
      return typeof address === 'string' ? [address] : [];
    }));
}

/** ec2/<version>/meta-data.json; version is one of EC2_VERSIONS. */
export function ec2MetaData(src: InstanceMetadataSource, version: string, opts: InstanceMetadataOptions = {}): { [key: string]: Json } {
  const hostname = hostnameOf(src, opts.dhcpDomain ?? DEFAULT_DHCP_DOMAIN);
  const rootDevice = src.rootDeviceName ?? '/dev/vda';
  const md: { [key: string]: Json } = {
    'ami-id': src.imageId ? ec2IdFromUuid('ami', src.imageId) : null,
    'ami-launch-index': src.launchIndex,
    // What Nova has always put here: EC2's manifest path has no OpenStack meaning.
    'ami-manifest-path': 'FIXME',
    'instance-id': ec2InstanceId(src),
    hostname,
    'local-ipv4': fixedIpv4s(src.networkInfo)[0] ?? '',
    'reservation-id': src.reservationId ?? '',
    'security-groups': [...(src.securityGroups ?? [])],
  };
  if (hasKey(src)) md['public-keys'] = { 0: { 'openssh-key': src.keyData } };
  if (atLeast(EC2_VERSIONS, '2007-01-19', version)) {
    md['local-hostname'] = hostname;
    md['public-hostname'] = hostname;
    md['public-ipv4'] = floatingIps(src.networkInfo)[0] ?? '';
  }
  if (atLeast(EC2_VERSIONS, '2007-08-29', version) && src.flavorName) md['instance-type'] = src.flavorName;
  if (atLeast(EC2_VERSIONS, '2007-12-15', version)) {
    md['block-device-mapping'] = { ami: rootDevice.replace(/^\/dev\//, ''), root: rootDevice };
    if (src.kernelId) md['kernel-id'] = ec2IdFromUuid('aki', src.kernelId);
    if (src.ramdiskId) md['ramdisk-id'] = ec2IdFromUuid('ari', src.ramdiskId);
  }
  if (atLeast(EC2_VERSIONS, '2008-02-01', version)) md.placement = { 'availability-zone': src.availabilityZone };
  if (atLeast(EC2_VERSIONS, '2008-09-01', version)) md['instance-action'] = 'none';
  return md;
}

// ------------------------------------------------- files shared with the API

/** network_data.json as bytes: {} when the instance has no network info, as Nova writes it. */
export function networkDataJson(networkInfo: readonly MetadataVif[]): Buffer {
  return dumpAsBytes((getNetworkMetadata(networkInfo) ?? {}) as unknown as Json);
}

/** vendor_data.json: Nova's default vendordata provider is StaticJSON with no file, an empty object. */
export function vendorDataJson(): Buffer {
  return dumpAsBytes({});
}

/** vendor_data2.json: each provider's data under its name; StaticJSON's is 'static'. */
export function vendorData2Json(): Buffer {
  return dumpAsBytes({ static: {} });
}

// ------------------------------------------------------------- the file tree

/**
 * Every file of the config drive, keyed by its path relative to the drive's
 * root, in the order Nova writes them.
 */
export function buildInstanceMetadataFiles(src: InstanceMetadataSource, opts: InstanceMetadataOptions = {}): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const userData = src.userData;
  const skip = new Set(opts.configDriveSkipVersions ?? DEFAULT_CONFIG_DRIVE_SKIP_VERSIONS);

  for (const version of [...EC2_VERSIONS, 'latest']) {
    if (skip.has(version)) continue;
    const resolved = version === 'latest' ? EC2_VERSIONS[EC2_VERSIONS.length - 1] : version;
    if (userData) files.set(`ec2/${version}/user-data`, userData);
    files.set(`ec2/${version}/meta-data.json`, dumpAsBytes(ec2MetaData(src, resolved, opts)));
  }

  const networkData = networkDataJson(src.networkInfo);
  const vendorData = vendorDataJson();
  const vendorData2 = vendorData2Json();
  const all = [...OPENSTACK_VERSIONS, 'latest'];
  for (const version of all) {
    const resolved = version === 'latest' ? EPOXY : version;
    const dir = `openstack/${version}`;
    files.set(`${dir}/meta_data.json`, dumpAsBytes(openstackMetaData(src, resolved, opts)));
    if (userData) files.set(`${dir}/user_data`, userData);
    if (atLeast(all, HAVANA, version)) files.set(`${dir}/vendor_data.json`, vendorData);
    if (atLeast(all, LIBERTY, version)) files.set(`${dir}/network_data.json`, networkData);
    if (atLeast(all, NEWTON_TWO, version)) files.set(`${dir}/vendor_data2.json`, vendorData2);
  }
  (src.files ?? []).forEach((f, i) => files.set(`openstack/content/${contentKey(i)}`, f.contents));
  return files;
}

/**
 * The metadata source of a guest the driver is spawning; `extra` adds what a
 * DriverInstance does not carry (the EC2 ids, reservation, security groups,
 * root device, admin password, personality files).
 */
export function instanceMetadataSource(
  instance: DriverInstance, networkInfo: readonly MetadataVif[], extra: Partial<InstanceMetadataSource> = {},
): InstanceMetadataSource {
  return {
    uuid: instance.uuid, name: instance.displayName, hostname: instance.hostname, projectId: instance.projectId,
    availabilityZone: instance.availabilityZone, launchIndex: instance.launchIndex,
    keyName: instance.keyName, keyData: instance.keyData, metadata: instance.metadata,
    userData: decodeUserData(instance.userData), networkInfo,
    imageId: instance.image.id, flavorName: instance.flavor.name,
    kernelId: instance.image.properties.kernel_id ?? null, ramdiskId: instance.image.properties.ramdisk_id ?? null,
    ...extra,
  };
}
