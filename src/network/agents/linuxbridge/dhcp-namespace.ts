/**
 * The kernel side of a network's DHCP service: the qdhcp- namespace and the
 * veth that puts the DHCP port on the network's bridge (Neutron's DHCP
 * device manager with the bridged interface driver). The bridge end lives in
 * the data path's namespace (`hostNamespace`, undefined = the root one); the
 * other end, inside qdhcp-, carries the port's MAC and addresses.
 */
import fs from 'node:fs';
import { attachToBridge, ensureBridge, linkExists, releaseBridgeIfEmpty } from '../bridges.js';
import { HostCommandError, ipArgs, runHostCommand } from '../host-commands.js';
import { bridgeSideOf, deviceNames, namespaceNames, type DhcpNetworkState } from '../state.js';
import { dhcpPortCidrs } from './dnsmasq-config.js';

const NETNS_DIR = '/run/netns';
const DHCP_INSIDE_PREFIX = 'ns-';
const NAMESPACE_PREFIX = namespaceNames.dhcp('');

export function namespaceExists(name: string): boolean {
  return fs.existsSync(`${NETNS_DIR}/${name}`);
}

/** Network ids of the qdhcp- namespaces on this machine. */
export function dhcpNamespaceNetworkIds(): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(NAMESPACE_PREFIX)).map((n) => n.slice(NAMESPACE_PREFIX.length));
}

async function ensureNamespace(name: string): Promise<boolean> {
  if (namespaceExists(name)) return false;
  try {
    await runHostCommand('ip', ['netns', 'add', name]);
  } catch (err) {
    if (!namespaceExists(name)) throw err;
  }
  await runHostCommand('ip', ['-n', name, 'link', 'set', 'dev', 'lo', 'up']);
  return true;
}

interface LinkInfo {
  ifname: string;
  addr_info?: Array<{ family: string; local: string; prefixlen: number; scope: string }>;
}

async function links(namespace: string): Promise<LinkInfo[]> {
  return JSON.parse(await runHostCommand('ip', ['-j', '-n', namespace, 'addr', 'show'])) as LinkInfo[];
}

async function deleteLink(namespace: string | undefined, name: string): Promise<void> {
  try {
    await runHostCommand('ip', ipArgs(namespace, ['link', 'del', 'dev', name]));
  } catch (err) {
    if (!(err instanceof HostCommandError) || (await linkExists(namespace, name))) throw err;
  }
}

/**
 * Makes the network's namespace, veth, MAC, MTU and addresses match the
 * desired state. Returns true when anything changed, so the caller restarts
 * a dnsmasq that bound the old addresses.
 */
export async function ensureDhcpWiring(hostNamespace: string | undefined, network: DhcpNetworkState): Promise<boolean> {
  const ns = namespaceNames.dhcp(network.networkId);
  const inside = deviceNames.dhcpInside(network.dhcpPort.portId);
  const outside = bridgeSideOf(network.dhcpPort.portId);
  let changed = await ensureNamespace(ns);
  await ensureBridge(hostNamespace, network.networkId, network.mtu);

  // A DHCP port that was replaced leaves its old veth behind.
  for (const link of await links(ns)) {
    if (link.ifname.startsWith(DHCP_INSIDE_PREFIX) && link.ifname !== inside) {
      await deleteLink(ns, link.ifname);
      changed = true;
    }
  }
  const insideExists = await linkExists(ns, inside);
  const outsideExists = await linkExists(hostNamespace, outside);
  if (insideExists !== outsideExists) {
    // Half a pair (the data path's namespace was rebuilt, or a crash mid-creation): start over.
    if (insideExists) await deleteLink(ns, inside);
    else await deleteLink(hostNamespace, outside);
  }
  if (!insideExists || !outsideExists) {
    await runHostCommand('ip', ipArgs(hostNamespace, ['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside, 'netns', ns]));
    changed = true;
  }
  await runHostCommand('ip', ipArgs(hostNamespace, ['link', 'set', 'dev', outside, 'mtu', String(network.mtu)]));
  await attachToBridge(hostNamespace, outside, network.networkId);
  await runHostCommand('ip', ['-n', ns, 'link', 'set', 'dev', inside, 'address', network.dhcpPort.macAddress, 'mtu', String(network.mtu), 'up']);
  return (await ensureAddresses(ns, inside, dhcpPortCidrs(network))) || changed;
}

async function ensureAddresses(ns: string, device: string, desired: readonly string[]): Promise<boolean> {
  const info = (await links(ns)).find((l) => l.ifname === device);
  const present = new Set(
    (info?.addr_info ?? [])
      // The kernel's own IPv6 link-local address is not ours to manage.
      .filter((a) => a.scope !== 'link')
      .map((a) => `${a.local}/${a.prefixlen}`),
  );
  let changed = false;
  for (const cidr of present) {
    if (!desired.includes(cidr)) {
      await runHostCommand('ip', ['-n', ns, 'addr', 'del', cidr, 'dev', device]);
      changed = true;
    }
  }
  for (const cidr of desired) {
    if (present.has(cidr)) continue;
    const v6 = cidr.includes(':');
    await runHostCommand('ip', ['-n', ns, 'addr', 'add', cidr, 'dev', device, ...(v6 ? ['nodad'] : [])]);
    changed = true;
  }
  return changed;
}

/** Removes the network's veth and namespace, and its bridge when nothing else is on it; idempotent. */
export async function removeDhcpWiring(hostNamespace: string | undefined, networkId: string): Promise<void> {
  const ns = namespaceNames.dhcp(networkId);
  if (namespaceExists(ns)) {
    // Deleting the inside end deletes its peer on the bridge too.
    for (const link of await links(ns)) {
      if (link.ifname.startsWith(DHCP_INSIDE_PREFIX)) await deleteLink(ns, link.ifname);
    }
    try {
      await runHostCommand('ip', ['netns', 'del', ns]);
    } catch (err) {
      if (namespaceExists(ns)) throw err;
    }
  }
  await releaseBridgeIfEmpty(hostNamespace, networkId);
}
