/**
 * The image, network and placement clients of a compute host: over HTTP as
 * a service user for each service whose nova.conf section ([glance],
 * [neutron], [placement]) names an auth_url — how Nova always reaches them —
 * and in-process otherwise, as the all-in-one runs by default.
 */
import type { Config } from '../../conf/options.js';
import type { ImageDataSource } from '../../virt/libvirt/image-backend.js';
import type { ImageClient, NetworkClient, PlacementClient } from '../clients.js';
import { HttpImageClient } from './http-image-client.js';
import { HttpNetworkClient } from './http-network-client.js';
import { HttpPlacementClient } from './http-placement-client.js';
import { KeystoneSession, keystoneAuthOptions } from './keystone-session.js';

export interface ComputeHostClients {
  images: ImageClient & ImageDataSource;
  network: NetworkClient;
  placement: PlacementClient;
}

export function computeHostClients(conf: Config, inProcess: ComputeHostClients): ComputeHostClients & { overHttp: boolean } {
  const session = (section: Config['glance']) => (section.auth_url ? new KeystoneSession(keystoneAuthOptions(section)) : undefined);
  const glance = session(conf.glance);
  const neutron = session(conf.neutron);
  const placement = session(conf.placement);
  return {
    images: glance ? new HttpImageClient(glance) : inProcess.images,
    network: neutron ? new HttpNetworkClient(neutron) : inProcess.network,
    placement: placement ? new HttpPlacementClient(placement) : inProcess.placement,
    overHttp: !!(glance || neutron || placement),
  };
}
