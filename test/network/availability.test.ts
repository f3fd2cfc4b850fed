import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { TEST_AUTH } from '../helpers/auth.js';
import { answered, neutronFault, startNetworkApi, type NetworkApiFixture, type Who } from './api-client.js';

const targets = await databaseTargets();

for (const target of targets) {
  describe(`IP availability, availability zones and service providers (${target.name})`, () => {
    let api: NetworkApiFixture;
    const call = (who: Who, method: string, url: string, payload?: unknown) => api.call(who, method, `/v2.0${url}`, payload);

    before(async () => { api = await startNetworkApi(target, TEST_AUTH.admin.projectId); });
    after(async () => api.close());

    test('network IP availability counts pool addresses and allocations, for admins only', async () => {
      const net = (await answered(call('demo', 'POST', '/networks', { network: { name: 'avail' } }), 201)).network;
      const sub = (await answered(call('demo', 'POST', '/subnets', { subnet: {
        network_id: net.id, ip_version: 4, cidr: '10.90.0.0/24', allocation_pools: [{ start: '10.90.0.10', end: '10.90.0.19' }],
      } }), 201)).subnet;
      for (let i = 0; i < 3; i++) await answered(call('demo', 'POST', '/ports', { port: { network_id: net.id } }), 201);
      const one = (await answered(call('admin', 'GET', `/network-ip-availabilities/${net.id}`), 200)).network_ip_availability;
      assert.deepEqual(one, {
        network_id: net.id, network_name: 'avail', tenant_id: TEST_AUTH.demo.projectId, project_id: TEST_AUTH.demo.projectId,
        total_ips: 10, used_ips: 3,
        subnet_ip_availability: [{ subnet_id: sub.id, subnet_name: '', cidr: '10.90.0.0/24', ip_version: 4, total_ips: 10, used_ips: 3 }],
      });
      const listed = (await answered(call('admin', 'GET', `/network-ip-availabilities?network_name=avail`), 200)).network_ip_availabilities;
      assert.deepEqual(listed, [one]);
      assert.deepEqual((await answered(call('admin', 'GET', '/network-ip-availabilities?ip_version=6'), 200)).network_ip_availabilities, []);
      await neutronFault(call('admin', 'GET', '/network-ip-availabilities?bogus=1'), 400);
      await neutronFault(call('admin', 'GET', '/network-ip-availabilities/00000000-0000-4000-8000-000000000000'), 404, 'NetworkNotFound');
      await neutronFault(call('demo', 'GET', '/network-ip-availabilities'), 403, 'PolicyNotAuthorized');
    });

    test('one availability zone, nova, for networks and routers; routers are the single_node L3 provider', async () => {
      const zones = (await answered(call('demo', 'GET', '/availability_zones'), 200)).availability_zones;
      assert.deepEqual(zones, [
        { name: 'nova', resource: 'network', state: 'available' },
        { name: 'nova', resource: 'router', state: 'available' },
      ]);
      assert.deepEqual((await answered(call('demo', 'GET', '/availability_zones?resource=router'), 200)).availability_zones.map((z: { resource: string }) => z.resource), ['router']);
      await neutronFault(call('demo', 'GET', '/availability_zones?bogus=1'), 400);
      const providers = (await answered(call('demo', 'GET', '/service-providers'), 200)).service_providers;
      assert.deepEqual(providers, [{ service_type: 'L3_ROUTER_NAT', name: 'single_node', default: true }]);
      const aliases = (await answered(call('demo', 'GET', '/extensions'), 200)).extensions.map((e: { alias: string }) => e.alias);
      for (const a of ['network-ip-availability', 'availability_zone', 'network_availability_zone', 'router_availability_zone', 'service-type']) {
        assert.ok(aliases.includes(a), a);
      }
      // The agents are listed under their own extension (test/network/agents-api.test.ts).
      assert.ok(aliases.includes('agent'));
    });
  });
}
