import type { Logger } from 'pino';
import type { Config } from '../../conf/options.js';
import type { Notifier } from '../../bus/notifier.js';
import type { VirtDriver } from '../../virt/driver.js';
import type { ConductorRpcClient } from '../../conductor/rpcapi.js';
import type { ComputeRpcClient } from '../rpcapi.js';
import type { ComputeHostStore } from '../host-objects/port.js';
import type { ImageClient, NetworkClient, PlacementClient } from '../clients.js';
import type { PortWiring } from './port-wiring.js';

/** What every compute-host task works with. */
export interface ComputeHostDeps {
  host: string;
  /** Every record this host reads or writes goes through it (Nova's conductor object API); never the database itself. */
  store: ComputeHostStore;
  driver: VirtDriver;
  network: NetworkClient;
  placement: PlacementClient;
  /** Other compute hosts (the steps of a resize between two hosts); without it only the same host works. */
  compute?: ComputeRpcClient;
  /** Where snapshots and backups are uploaded; without it they fail. */
  images?: ImageClient;
  conductor: ConductorRpcClient;
  notifier: Notifier;
  conf: Config;
  logger: Logger;
  /** The host's L2 agent, asked to wire a server's ports as soon as their taps exist; without it the agent's own syncs do. */
  portWiring?: PortWiring;
}
