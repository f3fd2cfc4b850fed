/**
 * How the metadata agent finds the port behind a guest's address: one
 * function, so the agent works the same against the network service in
 * process (the all-in-one) and over the plugin RPC (an agent on another
 * host), which Neutron's agent reaches with get_ports.
 */
import type { NetworkService } from '../../service.js';
import { ADMIN_SCOPE } from '../../model.js';

export interface MetadataPort {
  /** the instance's uuid, for a compute port */
  deviceId: string;
  projectId: string;
  /** compute:<zone> for a server's port; the agent serves nothing else */
  deviceOwner: string;
}

/** The port holding `ipAddress` on `networkId`, or null; two ports at once (which IPAM prevents) count as none. */
export type MetadataPortLookup = (networkId: string, ipAddress: string) => Promise<MetadataPort | null>;

/** The lookup against the network service's own store (the agent runs in its process). */
export function networkServicePortLookup(network: NetworkService): MetadataPortLookup {
  return async (networkId, ipAddress) => {
    const { records } = await network.ports.list(ADMIN_SCOPE, {
      filters: { network_id: [networkId], fixed_ips: [`ip_address=${ipAddress}`] }, sorts: [], limit: 2, pageReverse: false,
    });
    if (records.length !== 1) return null;
    const { port } = records[0]!;
    return { deviceId: port.device_id, projectId: port.project_id, deviceOwner: port.device_owner };
  };
}

/** What the plugin RPC's get_port_for_address answers. */
export interface PluginAddressPort {
  port_id: string;
  device_id: string;
  device_owner: string;
  project_id: string;
}

/** The lookup over the plugin RPC, given its get_port_for_address call. */
export function pluginPortLookup(getPortForAddress: (networkId: string, ipAddress: string) => Promise<PluginAddressPort | null>): MetadataPortLookup {
  return async (networkId, ipAddress) => {
    const port = await getPortForAddress(networkId, ipAddress);
    return port ? { deviceId: port.device_id, projectId: port.project_id, deviceOwner: port.device_owner } : null;
  };
}
