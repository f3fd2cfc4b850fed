/**
 * Availability zones made by host aggregates, end to end: a server asking for
 * an aggregate's zone is scheduled into it and shows it; a zone without an
 * enabled compute host is refused; placement sees the host in the aggregate.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { functionalSuite, startFunctionalCloud, type FunctionalCloud } from '../helpers/functional-cloud.js';
import { bootActive, createServer, uploadImage } from './fixtures.js';

describe(...functionalSuite('availability zones from host aggregates'), () => {
  let cloud: FunctionalCloud;
  let image: string;
  let host: string;
  before(async () => {
    cloud = await startFunctionalCloud();
    image = await uploadImage(cloud);
    const hypervisors = await cloud.request('GET', '/compute/v2.1/os-hypervisors/detail');
    host = hypervisors.json.hypervisors[0].service.host;
  });
  after(async () => cloud?.close());

  const zonesListed = async () => (await cloud.request('GET', '/compute/v2.1/os-availability-zone', { who: 'demo' })).json.availabilityZoneInfo.map((z: { zoneName: string }) => z.zoneName);

  test('a server asking for the zone lands on its host and shows the zone; the old default zone is then refused', async () => {
    const created = await cloud.request('POST', '/compute/v2.1/os-aggregates', {
      body: { aggregate: { name: 'blue', availability_zone: 'az-blue' } }, headers: { 'openstack-api-version': 'compute 2.41' },
    });
    assert.equal(created.status, 200);
    const agg = created.json.aggregate;
    assert.equal((await createServer(cloud, { name: 'early', imageRef: image, flavorRef: '1', networks: 'none', availability_zone: 'az-blue' }, {
      headers: { 'openstack-api-version': 'compute 2.37' },
    })).status, 400, 'a zone with no host in it is not available');

    const added = await cloud.request('POST', `/compute/v2.1/os-aggregates/${agg.id}/action`, { body: { add_host: { host } } });
    assert.equal(added.status, 200, JSON.stringify(added.json));
    assert.deepEqual(await zonesListed(), ['az-blue']);

    // Placement knows the host's provider is in the aggregate, under the aggregate's uuid.
    const node = (await cloud.request('GET', '/compute/v2.1/os-hypervisors/detail', { headers: { 'openstack-api-version': 'compute 2.53' } })).json.hypervisors[0].id;
    const rpAggs = await cloud.request('GET', `/placement/resource_providers/${node}/aggregates`, { headers: { 'openstack-api-version': 'placement 1.19' } });
    assert.equal(rpAggs.status, 200, JSON.stringify(rpAggs.json));
    assert.deepEqual(rpAggs.json.aggregates, [agg.uuid]);

    const server = await bootActive(cloud, { name: 'in-blue', imageRef: image, flavorRef: '1', networks: 'none', availability_zone: 'az-blue' }, 'demo', { 'openstack-api-version': 'compute 2.37' });
    assert.equal(server['OS-EXT-AZ:availability_zone'], 'az-blue');
    const shown = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}`)).json.server;
    assert.equal(shown['OS-EXT-SRV-ATTR:host'], host);

    // Without a zone the server also goes to the only host, and shows the host's zone.
    const anywhere = await bootActive(cloud, { name: 'anywhere', imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', { 'openstack-api-version': 'compute 2.37' });
    assert.equal(anywhere['OS-EXT-AZ:availability_zone'], 'az-blue');

    const refused = await createServer(cloud, { name: 'in-nova', imageRef: image, flavorRef: '1', networks: 'none', availability_zone: 'nova' }, {
      who: 'demo', headers: { 'openstack-api-version': 'compute 2.37' },
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.json.badRequest.message, 'The requested availability zone is not available');

    for (const id of [server.id, anywhere.id]) {
      assert.equal((await cloud.request('DELETE', `/compute/v2.1/servers/${id}`)).status, 204);
      await cloud.waitForServer(id, 'DELETED');
    }
    assert.equal((await cloud.request('POST', `/compute/v2.1/os-aggregates/${agg.id}/action`, { body: { remove_host: { host } } })).status, 200);
    const cleared = await cloud.request('GET', `/placement/resource_providers/${node}/aggregates`, { headers: { 'openstack-api-version': 'placement 1.19' } });
    assert.deepEqual(cleared.json.aggregates, []);
    assert.deepEqual(await zonesListed(), ['nova']);
  });
});
