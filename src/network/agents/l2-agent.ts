/**
 * The L2 agent of a compute host (Neutron's Linux bridge agent): keeps the
 * host's data path equal to the ports bound to it, and wires or unwires a
 * server's ports at once when the compute manager asks (its taps just came
 * or went), instead of waiting for the next change to arrive.
 */
import { internalContext, newRequestId } from '../../bus/context.js';
import type { PortDataPath } from './drivers.js';
import type { AgentKind } from './agent-loop.js';
import type { ResourceChange } from './notifications.js';
import type { PluginRpcClient } from './plugin-rpc.js';
import { AGENT_IDENTITIES } from './agent-types.js';

/** What a port's wiring depends on: the port, its groups and their rules (remote groups included), its network. */
const L2_RESOURCES = new Set(['port', 'instance_ports', 'security_group', 'security_group_rule', 'network']);

/** What the compute manager asks of its host's L2 agent. */
export interface PortWiring {
  /** Wires these ports (bound to this host) now; answers the ids it wired. */
  wirePorts(portIds: readonly string[]): Promise<string[]>;
  unwirePorts(portIds: readonly string[]): Promise<void>;
}

export class L2Agent implements AgentKind, PortWiring {
  readonly identity = AGENT_IDENTITIES.linuxbridge;
  /** Driver calls one at a time, each with state read just before it, so a sync never undoes a newer plug. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly host: string, private readonly plugin: PluginRpcClient, readonly dataPath: PortDataPath) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A port change bound to another host is not this host's business; one whose host is unknown may be. */
  cares(change: ResourceChange): boolean {
    if (!L2_RESOURCES.has(change.resource)) return false;
    return !change.host || change.host === this.host;
  }

  sync(): Promise<void> {
    return this.serial(async () => {
      const ports = await this.plugin.getHostPorts(internalContext(newRequestId()), { host: this.host });
      await this.dataPath.syncPorts(ports);
    });
  }

  /**
   * A port created or updated on this host is wired alone: its state carries
   * its groups' member sets whole, so other ports follow through the shared
   * sets. Anything else (a port gone, a group's rules) takes a full sync.
   */
  async handle(change: ResourceChange): Promise<boolean> {
    if (change.resource !== 'port' || change.action === 'delete' || change.host !== this.host) return false;
    // A port is bound here before its guest starts: this is not word that the hypervisor is done with the tap.
    return (await this.plug([change.id], false)).length === 1;
  }

  /** The compute manager's call, once the hypervisor has made (and finished with) the taps. */
  wirePorts(portIds: readonly string[]): Promise<string[]> {
    return this.plug(portIds, true);
  }

  private plug(portIds: readonly string[], tapReady: boolean): Promise<string[]> {
    if (portIds.length === 0) return Promise.resolve([]);
    return this.serial(async () => {
      const ports = await this.plugin.getHostPorts(internalContext(newRequestId()), { host: this.host, portIds: [...portIds] });
      for (const p of ports) await this.dataPath.plugPort(p, { tapReady });
      return ports.map((p) => p.portId);
    });
  }

  unwirePorts(portIds: readonly string[]): Promise<void> {
    return this.serial(async () => {
      for (const id of portIds) await this.dataPath.unplugPort(id);
    });
  }

  async configurations(): Promise<Record<string, unknown>> {
    return { devices: (await this.dataPath.wiredPorts()).length, interface_mappings: {}, bridge_mappings: {}, extensions: [] };
  }
}
