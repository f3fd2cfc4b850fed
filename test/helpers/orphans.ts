/**
 * A cloud where placement, ports and servers disagree, made through the
 * public APIs (and, for a port the compute service made, its network Node
 * API): what the heal-allocations audit must find.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestCloud } from './cloud.js';
import { allocationsOf, bootActive, privateNetworkId, uploadImage } from '../compute/fixtures.js';

export interface Orphans {
  /** ACTIVE and consistent: must be left alone. */
  healthy: string;
  /** ACTIVE whose allocation was deleted: to be healed. */
  unallocated: string;
  /** The compute node's resource provider. */
  provider: string;
  /** A consumer with an allocation on the compute node and no server. */
  orphanConsumer: string;
  /** A port compute made for a server that does not exist (deleted by the heal). */
  computePort: string;
  /** A port a user made and bound to a server that does not exist (unbound by the heal). */
  userPort: string;
}

const PLACEMENT = { 'openstack-api-version': 'placement 1.28' };

export async function makeOrphans(cloud: TestCloud): Promise<Orphans> {
  const image = await uploadImage(cloud);
  const net = await privateNetworkId(cloud);
  const healthy = (await bootActive(cloud, { name: 'healthy', imageRef: image, flavorRef: '1', networks: [{ uuid: net }] })).id;
  const unallocated = (await bootActive(cloud, { name: 'unallocated', imageRef: image, flavorRef: '1', networks: [{ uuid: net }] })).id;
  const [provider] = Object.keys(await allocationsOf(cloud, healthy));
  assert.equal((await cloud.request('DELETE', `/placement/allocations/${unallocated}`, { headers: PLACEMENT })).status, 204);

  const orphanConsumer = randomUUID();
  const project = (await cloud.request('GET', `/compute/v2.1/servers/${healthy}`)).json.server.tenant_id;
  const put = await cloud.request('PUT', `/placement/allocations/${orphanConsumer}`, {
    headers: PLACEMENT,
    body: { allocations: { [provider]: { resources: { VCPU: 2, MEMORY_MB: 256 } } }, project_id: project, user_id: project, consumer_generation: null },
  });
  assert.equal(put.status, 204, JSON.stringify(put.json));

  const [vif] = await cloud.services.network.allocateForInstance({
    instanceUuid: randomUUID(), projectId: project, userId: project, host: 'gone', requested: [{ networkId: net }],
  });
  const userPort = await cloud.request('POST', '/network/v2.0/ports', {
    body: { port: { network_id: net, device_id: randomUUID(), device_owner: 'compute:nova', name: 'mine' } },
  });
  assert.equal(userPort.status, 201, JSON.stringify(userPort.json));
  return { healthy, unallocated, provider, orphanConsumer, computePort: vif.id, userPort: userPort.json.port.id };
}
