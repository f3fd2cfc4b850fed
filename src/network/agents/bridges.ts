/**
 * The Linux bridge of a network, shared by every agent that puts a device on
 * it (guest taps, the DHCP port, router interfaces). It lives in the data
 * path's namespace (`[linuxbridge] host_namespace`; undefined = the root
 * namespace, as in production), is created by whoever needs it first and
 * removed by whoever leaves it empty.
 */
import { deviceNames } from './state.js';
import { ipArgs, runHostCommand, HostCommandError } from './host-commands.js';

export async function linkExists(namespace: string | undefined, name: string): Promise<boolean> {
  try {
    await runHostCommand('ip', ipArgs(namespace, ['link', 'show', 'dev', name]));
    return true;
  } catch (err) {
    if (err instanceof HostCommandError && err.exitCode !== null) return false;
    throw err;
  }
}

/** Creates the network's bridge when missing and brings it up; returns its name. */
export async function ensureBridge(namespace: string | undefined, networkId: string, mtu: number): Promise<string> {
  const name = deviceNames.bridge(networkId);
  if (!(await linkExists(namespace, name))) {
    try {
      await runHostCommand('ip', ipArgs(namespace, ['link', 'add', name, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']));
    } catch (err) {
      // Another agent made it between our check and our add.
      if (!(await linkExists(namespace, name))) throw err;
    }
  }
  await runHostCommand('ip', ipArgs(namespace, ['link', 'set', 'dev', name, 'mtu', String(mtu), 'up']));
  return name;
}

/** Puts an existing device on the network's bridge, up. */
export async function attachToBridge(namespace: string | undefined, device: string, networkId: string): Promise<void> {
  await runHostCommand('ip', ipArgs(namespace, ['link', 'set', 'dev', device, 'master', deviceNames.bridge(networkId), 'up']));
}

/** Deletes the network's bridge when nothing is attached to it any more. */
export async function releaseBridgeIfEmpty(namespace: string | undefined, networkId: string): Promise<boolean> {
  const name = deviceNames.bridge(networkId);
  if (!(await linkExists(namespace, name))) return true;
  const members = await runHostCommand('ip', ipArgs(namespace, ['-o', 'link', 'show', 'master', name]));
  if (members.trim() !== '') return false;
  try {
    await runHostCommand('ip', ipArgs(namespace, ['link', 'del', 'dev', name]));
  } catch (err) {
    if (await linkExists(namespace, name)) throw err;
  }
  return true;
}
