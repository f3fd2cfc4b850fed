/**
 * Asks the host's L2 agent to wire a server's ports the moment their taps
 * exist (after spawn, an interface attach, a power-on or reboot that made the
 * taps again, the end of a move), and to unwire them when they go, so the
 * guest has its network at once rather than at the agent's next change.
 * The agent's own syncs make the same state in the end: a failure here is
 * logged, never fails the action.
 */
import type { ComputeHostDeps } from './context.js';
import { networkInfoOf } from './network-info.js';

/** The L2 agent as the compute manager sees it (src/network/agents/l2-agent.ts implements it). */
export interface PortWiring {
  /** Wires these ports (bound to this host) now; answers the ids it wired. */
  wirePorts(portIds: readonly string[]): Promise<string[]>;
  unwirePorts(portIds: readonly string[]): Promise<void>;
}

type WiringDeps = Pick<ComputeHostDeps, 'portWiring' | 'logger' | 'store'>;

export async function wirePorts(deps: WiringDeps, portIds: readonly string[]): Promise<void> {
  if (!deps.portWiring || portIds.length === 0) return;
  await deps.portWiring.wirePorts(portIds).catch((err: unknown) => deps.logger.warn({ err, ports: portIds }, 'the L2 agent could not wire the ports now; its next sync will'));
}

export async function unwirePorts(deps: WiringDeps, portIds: readonly string[]): Promise<void> {
  if (!deps.portWiring || portIds.length === 0) return;
  await deps.portWiring.unwirePorts(portIds).catch((err: unknown) => deps.logger.warn({ err, ports: portIds }, 'the L2 agent could not unwire the ports now; its next sync will'));
}

/** Wires every port of the server as its record lists them. */
export async function wireInstancePorts(deps: WiringDeps, instanceUuid: string): Promise<void> {
  if (!deps.portWiring) return;
  await wirePorts(deps, (await networkInfoOf(deps, instanceUuid).catch(() => [])).map((v) => v.id));
}

export async function unwireInstancePorts(deps: WiringDeps, instanceUuid: string): Promise<void> {
  if (!deps.portWiring) return;
  await unwirePorts(deps, (await networkInfoOf(deps, instanceUuid).catch(() => [])).map((v) => v.id));
}
