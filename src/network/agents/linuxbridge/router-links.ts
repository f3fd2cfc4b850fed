/**
 * What the kernel holds for routers, read back so each sync compares it with
 * the desired state: the qrouter- namespaces on the host, the links and
 * addresses in one of them, and a veth's bridge-side end in the data path's
 * namespace. `ip -j` output is read, never scraped text.
 */
import { ipArgs, runHostCommand, HostCommandError } from '../host-commands.js';

export const ROUTER_NAMESPACE_PREFIX = 'qrouter-';
export const INTERFACE_PREFIX = 'qr-';
export const GATEWAY_PREFIX = 'qg-';

export interface LinkAddresses {
  ifname: string;
  mac: string;
  /** global-scope addresses as address/prefix; link-local ones are the kernel's, not ours */
  cidrs: string[];
}

interface IpAddrJson {
  ifname: string;
  address?: string;
  master?: string;
  mtu?: number;
  ifalias?: string;
  addr_info?: Array<{ local: string; prefixlen: number; scope: string }>;
}

async function ipJson(namespace: string | undefined, args: readonly string[]): Promise<IpAddrJson[]> {
  const out = await runHostCommand('ip', ['-j', ...ipArgs(namespace, args)]);
  return out.trim() === '' ? [] : (JSON.parse(out) as IpAddrJson[]);
}

/** Names of every network namespace on the machine that looks like a router's. */
export async function routerNamespaces(): Promise<string[]> {
  const out = await runHostCommand('ip', ['netns', 'list']);
  return out.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n.startsWith(ROUTER_NAMESPACE_PREFIX));
}

/** The router's qr-/qg- links with their MAC and addresses. */
export async function routerLinks(namespace: string): Promise<LinkAddresses[]> {
  return (await ipJson(namespace, ['addr', 'show']))
    .filter((l) => l.ifname.startsWith(INTERFACE_PREFIX) || l.ifname.startsWith(GATEWAY_PREFIX))
    .map((l) => ({
      ifname: l.ifname,
      mac: (l.address ?? '').toLowerCase(),
      cidrs: (l.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`),
    }));
}

/** A link's alias, bridge and MTU, or undefined when there is no such link. */
export async function linkDetails(namespace: string | undefined, name: string): Promise<{ alias: string; master: string | null; mtu: number } | undefined> {
  try {
    const [link] = await ipJson(namespace, ['link', 'show', 'dev', name]);
    return link ? { alias: link.ifalias ?? '', master: link.master ?? null, mtu: link.mtu ?? 1500 } : undefined;
  } catch (err) {
    if (err instanceof HostCommandError && err.exitCode !== null) return undefined;
    throw err;
  }
}

/** Runs an `ip` command whose failure only means there was nothing to do (deleting what is already gone). */
export async function ipIgnoringAbsence(namespace: string | undefined, args: readonly string[]): Promise<void> {
  try {
    await runHostCommand('ip', ipArgs(namespace, args));
  } catch (err) {
    if (!(err instanceof HostCommandError && err.exitCode !== null)) throw err;
  }
}
