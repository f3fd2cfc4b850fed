import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { TEST_AUTH } from '../helpers/auth.js';
import { answered, neutronFault, startNetworkApi, type NetworkApiFixture, type Who } from './api-client.js';

const targets = await databaseTargets();

for (const target of targets) {
  describe(`address scopes and subnet pools API (${target.name})`, () => {
    let api: NetworkApiFixture;
    let netId: string;
    const call = (who: Who, method: string, url: string, payload?: unknown) => api.call(who, method, `/v2.0${url}`, payload);
    const ok = answered;
    const fails = neutronFault;

    before(async () => {
      api = await startNetworkApi(target, TEST_AUTH.admin.projectId);
      netId = (await ok(call('demo', 'POST', '/networks', { network: { name: 'pooled' } }), 201)).network.id;
    });
    after(async () => api.close());

    test('a subnet asks its pool for a prefix length and gets the first free block; the pool never hands out a block twice', async () => {
      const pool = (await ok(call('demo', 'POST', '/subnetpools', { subnetpool: { name: 'p', prefixes: ['10.100.0.0/16'], default_prefixlen: 24, min_prefixlen: 20, max_prefixlen: 28 } }), 201)).subnetpool;
      assert.deepEqual([pool.prefixes, pool.ip_version, pool.default_prefixlen, pool.shared, pool.address_scope_id], [['10.100.0.0/16'], 4, 24, false, null]);
      const mk = (extra: Record<string, unknown>) => call('demo', 'POST', '/subnets', { subnet: { network_id: netId, ip_version: 4, subnetpool_id: pool.id, ...extra } });
      const a = (await ok(mk({}), 201)).subnet;
      assert.equal(a.cidr, '10.100.0.0/24');
      assert.equal(a.subnetpool_id, pool.id);
      assert.equal(a.gateway_ip, '10.100.0.1');
      const b = (await ok(mk({ prefixlen: 26 }), 201)).subnet;
      assert.equal(b.cidr, '10.100.1.0/26');
      const c = (await ok(mk({ cidr: '10.100.8.0/24' }), 201)).subnet;
      assert.equal(c.cidr, '10.100.8.0/24');
      await fails(mk({ cidr: '10.100.0.128/25' }), 400, 'SubnetAllocationError');
      await fails(mk({ cidr: '10.200.0.0/24' }), 400, 'SubnetAllocationError');
      assert.match(await fails(mk({ prefixlen: 30 }), 400, 'MaxPrefixSubnetAllocationError'), /maximum allowed prefix is 28/);
      await fails(mk({ prefixlen: 16 }), 400, 'MinPrefixSubnetAllocationError');
      await fails(call('demo', 'POST', '/subnets', { subnet: { network_id: netId, ip_version: 4 } }), 400);
      await fails(call('other', 'GET', `/subnetpools/${pool.id}`), 404, 'SubnetPoolNotFound');
      await fails(mk({ subnetpool_id: '00000000-0000-4000-8000-000000000000' }), 404, 'SubnetPoolNotFound');
      await fails(call('demo', 'DELETE', `/subnetpools/${pool.id}`), 409, 'SubnetPoolInUse');
      for (const s of [a, b, c]) await ok(call('demo', 'DELETE', `/subnets/${s.id}`), 204);
      // A pool may grow but not shrink.
      await fails(call('demo', 'PUT', `/subnetpools/${pool.id}`, { subnetpool: { prefixes: ['10.100.0.0/17'] } }), 400, 'IllegalSubnetPoolPrefixUpdate');
      const grown = (await ok(call('demo', 'PUT', `/subnetpools/${pool.id}`, { subnetpool: { prefixes: ['10.100.0.0/16', '10.101.0.0/16'] } }), 200)).subnetpool;
      assert.deepEqual(grown.prefixes, ['10.100.0.0/16', '10.101.0.0/16']);
      await ok(call('demo', 'DELETE', `/subnetpools/${pool.id}`), 204);
    });

    test('pool and scope rules: prefix bounds, admin-only sharing, scopes in use', async () => {
      await fails(call('demo', 'POST', '/subnetpools', { subnetpool: { prefixes: [] } }), 400, 'EmptySubnetPoolPrefixList');
      await fails(call('demo', 'POST', '/subnetpools', { subnetpool: { prefixes: ['nope'] } }), 400, 'InvalidSubnetPoolPrefix');
      await fails(call('demo', 'POST', '/subnetpools', { subnetpool: { prefixes: ['10.0.0.0/16'], min_prefixlen: 30, max_prefixlen: 28 } }), 400, 'IllegalSubnetPoolPrefixBounds');
      await fails(call('demo', 'POST', '/subnetpools', { subnetpool: { prefixes: ['10.0.0.0/16'], shared: true } }), 403, 'PolicyNotAuthorized');
      await fails(call('demo', 'POST', '/address-scopes', { address_scope: { name: 's', ip_version: 4, shared: true } }), 403, 'PolicyNotAuthorized');
      await fails(call('demo', 'POST', '/address-scopes', { address_scope: { name: 's', ip_version: 6 } }), 400);
      const scope = (await ok(call('admin', 'POST', '/address-scopes', { address_scope: { name: 'global', ip_version: 4, shared: true } }), 201)).address_scope;
      assert.deepEqual([scope.name, scope.ip_version, scope.shared], ['global', 4, true]);
      assert.equal((await ok(call('demo', 'GET', `/address-scopes/${scope.id}`), 200)).address_scope.id, scope.id);
      assert.deepEqual((await ok(call('demo', 'GET', '/address-scopes?name=global'), 200)).address_scopes.map((a: { id: string }) => a.id), [scope.id]);
      const pool = (await ok(call('demo', 'POST', '/subnetpools', { subnetpool: { prefixes: ['172.16.0.0/12'], address_scope_id: scope.id } }), 201)).subnetpool;
      assert.equal(pool.address_scope_id, scope.id);
      await fails(call('admin', 'DELETE', `/address-scopes/${scope.id}`), 409, 'AddressScopeInUse');
      await fails(call('admin', 'PUT', `/address-scopes/${scope.id}`, { address_scope: { shared: false } }), 400, 'AddressScopeUpdateError');
      await ok(call('demo', 'DELETE', `/subnetpools/${pool.id}`), 204);
      await ok(call('admin', 'DELETE', `/address-scopes/${scope.id}`), 204);
      const aliases = (await ok(call('demo', 'GET', '/extensions'), 200)).extensions.map((e: { alias: string }) => e.alias);
      assert.ok(aliases.includes('address-scope') && aliases.includes('subnet_allocation'));
    });
  });
}
