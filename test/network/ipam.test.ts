import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { NetworkService } from '../../src/network/service.js';
import { testLogger } from '../helpers/logger.js';
import { openNetworkService, makeNetwork, portInput, type NetworkFixture } from './fixtures.js';
import { rejectsWithType } from './api-client.js';

const targets = await databaseTargets();

function ipsOf(recs: { fixedIps: { ip_address: string }[] }[]): string[] {
  return recs.flatMap((r) => r.fixedIps.map((f) => f.ip_address));
}

for (const target of targets) {
  describe(`IPAM (${target.name})`, () => {
    let fx: NetworkFixture;
    before(async () => { fx = await openNetworkService(target); });
    after(async () => { await fx.dispose(); });

    test('the first address handed out is the lowest of the pool, never the gateway', async () => {
      const { networkId } = await makeNetwork(fx.svc, { cidr: '10.2.0.0/24' });
      const recs = await fx.svc.ports.create([portInput(networkId), portInput(networkId)]);
      assert.deepEqual(ipsOf(recs), ['10.2.0.2', '10.2.0.3']);
    });

    test('a gateway in the middle of the cidr is skipped by the default pools', async () => {
      const { networkId, subnetId } = await makeNetwork(fx.svc, { cidr: '10.3.0.0/29', gateway: '10.3.0.3' });
      const subnet = await fx.svc.subnets.getRow({ isAdmin: true, projectId: '' }, subnetId);
      assert.deepEqual(JSON.parse(subnet.allocation_pools), [
        { start: '10.3.0.1', end: '10.3.0.2' }, { start: '10.3.0.4', end: '10.3.0.6' },
      ]);
      const recs = await fx.svc.ports.create([1, 2, 3, 4, 5].map(() => portInput(networkId)));
      assert.deepEqual(ipsOf(recs), ['10.3.0.1', '10.3.0.2', '10.3.0.4', '10.3.0.5', '10.3.0.6']);
    });

    test('explicit pools are honoured and exhaustion is IpAddressGenerationFailure (409)', async () => {
      const { networkId } = await makeNetwork(fx.svc, {
        cidr: '10.4.0.0/24', pools: [{ start: '10.4.0.100', end: '10.4.0.101' }, { start: '10.4.0.50', end: '10.4.0.50' }],
      });
      const recs = await fx.svc.ports.create([portInput(networkId), portInput(networkId), portInput(networkId)]);
      assert.deepEqual(ipsOf(recs), ['10.4.0.50', '10.4.0.100', '10.4.0.101']);
      await rejectsWithType(fx.svc.ports.create([portInput(networkId)]), 409, 'IpAddressGenerationFailure');
    });

    test('a failed bulk create leaves nothing behind', async () => {
      const { networkId } = await makeNetwork(fx.svc, { cidr: '10.5.0.0/30' });
      // A /30 has two hosts: .1 is the gateway, so one port fits and the second fails.
      await rejectsWithType(fx.svc.ports.create([portInput(networkId), portInput(networkId)]), 409, 'IpAddressGenerationFailure');
      const { records } = await fx.svc.ports.list({ isAdmin: true, projectId: '' },
        { filters: { network_id: [networkId] }, sorts: [], pageReverse: false });
      assert.equal(records.length, 0);
      const [next] = await fx.svc.ports.create([portInput(networkId)]);
      assert.deepEqual(next!.fixedIps.map((f) => f.ip_address), ['10.5.0.2'], 'the rolled-back address is free again');
    });

    test('a released address is the next one handed out', async () => {
      const { networkId } = await makeNetwork(fx.svc, { cidr: '10.6.0.0/24' });
      const recs = await fx.svc.ports.create([portInput(networkId), portInput(networkId), portInput(networkId)]);
      await fx.svc.ports.delete(recs[1]!.port.id);
      const [again] = await fx.svc.ports.create([portInput(networkId)]);
      assert.deepEqual(again!.fixedIps.map((f) => f.ip_address), ['10.6.0.3']);
    });

    test('a requested address is given once; twice is IpAddressAlreadyAllocated, outside is InvalidIpForNetwork', async () => {
      const { networkId, subnetId } = await makeNetwork(fx.svc, { cidr: '10.7.0.0/24' });
      const [rec] = await fx.svc.ports.create([portInput(networkId, { fixed_ips: [{ ip_address: '10.7.0.200' }] })]);
      assert.deepEqual(rec!.fixedIps, [{ subnet_id: subnetId, ip_address: '10.7.0.200' }]);
      await rejectsWithType(fx.svc.ports.create([portInput(networkId, { fixed_ips: [{ ip_address: '10.7.0.200' }] })]), 409, 'IpAddressAlreadyAllocated');
      await rejectsWithType(fx.svc.ports.create([portInput(networkId, { fixed_ips: [{ ip_address: '10.99.0.5' }] })]), 400, 'InvalidIpForNetwork');
      await rejectsWithType(fx.svc.ports.create([portInput(networkId, { fixed_ips: [{ subnet_id: subnetId, ip_address: '10.7.0.255' }] })]), 400, 'InvalidIpForSubnet');
      await rejectsWithType(fx.svc.ports.create([portInput(networkId, { fixed_ips: [{ ip_address: '10.7.0.1' }] })]), 409, 'IpAddressAlreadyAllocated');
    });

    test('200 concurrent allocations on one subnet get 200 distinct addresses, the lowest ones', async () => {
      const { networkId } = await makeNetwork(fx.svc, { cidr: '10.8.0.0/22' });
      const results = await Promise.all(Array.from({ length: 200 }, () => fx.svc.ports.create([portInput(networkId)])));
      const ips = results.flatMap((r) => ipsOf(r));
      assert.equal(ips.length, 200);
      assert.equal(new Set(ips).size, 200);
      const ints = ips.map((ip) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0)).sort((a, b) => a - b);
      const base = 10 * 2 ** 24 + 8 * 2 ** 16;
      assert.equal(ints[0], base + 2);
      assert.equal(ints[199], base + 201, 'no gaps: the 200 lowest addresses after the gateway');
      const macs = results.map((r) => r[0]!.port.mac_address);
      assert.equal(new Set(macs).size, 200);
      for (const mac of macs) assert.match(mac, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    });

    test('two subnets: allocation moves on to the second when the first is full', async () => {
      const { networkId } = await makeNetwork(fx.svc, { cidr: '10.9.0.0/30' });
      await fx.svc.subnets.create([{
        project_id: 'p1', network_id: networkId, name: 'second', description: '', ip_version: 4, cidr: '10.9.1.0/24',
        enable_dhcp: true, dns_nameservers: [], host_routes: [],
      }]);
      const recs = await fx.svc.ports.create([portInput(networkId), portInput(networkId)]);
      assert.deepEqual(ipsOf(recs), ['10.9.0.2', '10.9.1.2']);
    });

    test('changing a port\'s fixed_ips keeps what stays and releases the rest', async () => {
      const { networkId, subnetId } = await makeNetwork(fx.svc, { cidr: '10.10.0.0/24' });
      const [rec] = await fx.svc.ports.create([portInput(networkId, { fixed_ips: [{ ip_address: '10.10.0.10' }, { ip_address: '10.10.0.11' }] })]);
      // A subnet-only entry keeps the address the port already has on that subnet.
      const same = await fx.svc.ports.update(rec!.port, { fixed_ips: [{ ip_address: '10.10.0.11' }, { subnet_id: subnetId }] });
      assert.deepEqual(same.fixedIps.map((f) => f.ip_address), ['10.10.0.10', '10.10.0.11']);
      const fewer = await fx.svc.ports.update(same.port, { fixed_ips: [{ ip_address: '10.10.0.11' }] });
      assert.deepEqual(fewer.fixedIps.map((f) => f.ip_address), ['10.10.0.11']);
      const [other] = await fx.svc.ports.create([portInput(networkId, { fixed_ips: [{ ip_address: '10.10.0.10' }] })]);
      assert.equal(other!.fixedIps[0]!.ip_address, '10.10.0.10');
      const more = await fx.svc.ports.update(fewer.port, { fixed_ips: [{ ip_address: '10.10.0.11' }, { subnet_id: subnetId }, { subnet_id: subnetId }] });
      assert.deepEqual(more.fixedIps.map((f) => f.ip_address), ['10.10.0.2', '10.10.0.3', '10.10.0.11']);
    });

    test('two service instances on one database (two processes) still never share an address', async () => {
      const { networkId } = await makeNetwork(fx.svc, { cidr: '10.12.0.0/22' });
      const second = new NetworkService({ db: fx.db, logger: testLogger });
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) =>
        (i % 2 === 0 ? fx.svc : second).ports.create([portInput(networkId)])));
      const ips = results.flatMap((r) => ipsOf(r));
      assert.equal(new Set(ips).size, 200);
    });

    test('a duplicate MAC is MacAddressInUse (409)', async () => {
      const { networkId } = await makeNetwork(fx.svc, { cidr: '10.11.0.0/24' });
      await fx.svc.ports.create([portInput(networkId, { mac_address: 'fa:16:3e:00:00:01' })]);
      await rejectsWithType(fx.svc.ports.create([portInput(networkId, { mac_address: 'FA:16:3E:00:00:01' })]), 409, 'MacAddressInUse');
    });
  });
}
