import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { TEST_AUTH } from '../helpers/auth.js';
import { ApiError } from '../../src/errors.js';
import { PRIVATE_NETWORK_NAME } from '../../src/network/service.js';
import { openNetworkService, makeNetwork, portInput, ADMIN_SCOPE, type NetworkFixture } from './fixtures.js';

const targets = await databaseTargets();
const ADMIN_PROJECT = TEST_AUTH.admin.projectId;
const DEMO_PROJECT = TEST_AUTH.demo.projectId;

async function rejectsWith(p: Promise<unknown>, status: number, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    assert.equal(err.status, status);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

for (const target of targets) {
  describe(`network for instances (${target.name})`, () => {
    let fx: NetworkFixture;
    let privateId: string;
    before(async () => {
      fx = await openNetworkService(target);
      await fx.svc.bootstrap({ adminProjectId: ADMIN_PROJECT });
      await fx.svc.bootstrap({ adminProjectId: ADMIN_PROJECT });
      const { records } = await fx.svc.networks.list(ADMIN_SCOPE, { filters: { name: [PRIVATE_NETWORK_NAME] }, sorts: [], pageReverse: false });
      assert.equal(records.length, 1, 'bootstrap twice still makes one network');
      privateId = records[0]!.network.id;
    });
    after(async () => { await fx.dispose(); });

    test('bootstrap makes a shared private network with 10.0.0.0/20, gateway 10.0.0.1, DHCP on', async () => {
      const rec = await fx.svc.networks.get(ADMIN_SCOPE, privateId);
      assert.equal(rec.network.shared, 1);
      assert.equal(rec.network.project_id, ADMIN_PROJECT);
      assert.equal(rec.subnetIds.length, 1);
      const sub = await fx.svc.subnets.getRow(ADMIN_SCOPE, rec.subnetIds[0]!);
      assert.equal(sub.name, 'private-subnet');
      assert.equal(sub.cidr, '10.0.0.0/20');
      assert.equal(sub.gateway_ip, '10.0.0.1');
      assert.equal(sub.enable_dhcp, 1);
      // Both projects can see it.
      await fx.svc.networks.getRow({ isAdmin: false, projectId: DEMO_PROJECT }, privateId);
    });

    test('auto allocation: the shared network alone is used; a second candidate is ambiguous', async () => {
      assert.deepEqual(await fx.svc.networksForAutoAllocation(TEST_AUTH.demo), [{ networkId: privateId }]);
      const { networkId } = await makeNetwork(fx.svc, { projectId: TEST_AUTH.other.projectId, cidr: '10.50.0.0/24' });
      await rejectsWith(fx.svc.networksForAutoAllocation(TEST_AUTH.other), 409,
        'Multiple possible networks found, use a Network ID to be more specific.');
      // Another project's private network does not count for demo.
      assert.deepEqual(await fx.svc.networksForAutoAllocation(TEST_AUTH.demo), [{ networkId: privateId }]);
      await fx.svc.subnets.delete((await fx.svc.networks.get(ADMIN_SCOPE, networkId)).subnetIds[0]!);
      await fx.svc.networks.delete(networkId);
    });

    test('validateNetworks refuses what Nova refuses', async () => {
      const bogus = '3b9a5c8e-0000-4000-8000-000000000000';
      await rejectsWith(fx.svc.validateNetworks(TEST_AUTH.demo, [{ networkId: bogus }]), 400, `Network ${bogus} could not be found.`);
      await rejectsWith(fx.svc.validateNetworks(TEST_AUTH.demo, [{ portId: bogus }]), 400, `Port ${bogus} could not be found.`);
      const { networkId: othersNet } = await makeNetwork(fx.svc, { projectId: TEST_AUTH.other.projectId, cidr: '10.51.0.0/24' });
      await rejectsWith(fx.svc.validateNetworks(TEST_AUTH.demo, [{ networkId: othersNet }]), 400, `Network ${othersNet} could not be found.`);
      await rejectsWith(fx.svc.validateNetworks(TEST_AUTH.demo, [{ networkId: privateId, fixedIp: '192.168.1.5' }]), 400,
        `Fixed IP address 192.168.1.5 is not valid on network ${privateId}.`);
      await rejectsWith(fx.svc.validateNetworks(TEST_AUTH.demo, [{ networkId: privateId, fixedIp: '10.0.0.1' }]), 400, /not valid on network/);
      const [used] = await fx.svc.ports.create([portInput(privateId, { project_id: DEMO_PROJECT, device_id: 'vm-1', fixed_ips: [{ ip_address: '10.0.5.5' }] })]);
      await rejectsWith(fx.svc.validateNetworks(TEST_AUTH.demo, [{ networkId: privateId, fixedIp: '10.0.5.5' }]), 400,
        'Fixed IP address 10.0.5.5 is already in use on instance vm-1.');
      await rejectsWith(fx.svc.validateNetworks(TEST_AUTH.demo, [{ portId: used!.port.id }]), 409, `Port ${used!.port.id} is still in use.`);
      const empty = (await fx.svc.networks.create([{ project_id: DEMO_PROJECT, name: 'empty', description: '', admin_state_up: true, shared: false, port_security_enabled: true, router_external: false }]))[0]!;
      await rejectsWith(fx.svc.validateNetworks(TEST_AUTH.demo, [{ networkId: empty.network.id }]), 400,
        `Network ${empty.network.id} requires a subnet in order to boot instances on.`);
      // And what is fine passes.
      await fx.svc.validateNetworks(TEST_AUTH.demo, [{ networkId: privateId }, { networkId: privateId, fixedIp: '10.0.9.9' }]);
      await fx.svc.ports.delete(used!.port.id);
    });

    test('allocate makes bound ACTIVE ports and returns Nova\'s network_info; deallocate removes them', async () => {
      const info = await fx.svc.allocateForInstance({
        instanceUuid: 'inst-1', projectId: DEMO_PROJECT, userId: 'u', host: 'compute-1', requested: [{ networkId: privateId }],
      });
      assert.equal(info.length, 1);
      const vif = info[0]!;
      assert.equal(vif.devname, `tap${vif.id.slice(0, 11)}`);
      assert.match(vif.address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
      assert.equal(vif.active, true);
      assert.equal(vif.preserve_on_delete, false);
      assert.equal(vif.network.id, privateId);
      assert.equal(vif.network.label, 'private');
      assert.equal(vif.network.subnets[0]!.cidr, '10.0.0.0/20');
      assert.equal(vif.network.subnets[0]!.gateway.address, '10.0.0.1');
      assert.deepEqual(vif.network.subnets[0]!.ips.map((ip) => [ip.type, ip.version]), [['fixed', 4]]);
      assert.deepEqual(JSON.parse(JSON.stringify(info)), info, 'plain JSON');
      const port = await fx.svc.ports.getRow(ADMIN_SCOPE, vif.id);
      assert.equal(port.device_id, 'inst-1');
      assert.equal(port.device_owner, 'compute:nova');
      assert.equal(port.binding_host_id, 'compute-1');
      assert.equal(port.status, 'ACTIVE');
      assert.equal(port.project_id, DEMO_PROJECT);
      assert.deepEqual(await fx.svc.networkInfoForInstance('inst-1'), info);

      await fx.svc.deallocateForInstance('inst-1');
      await assert.rejects(fx.svc.ports.getRow(ADMIN_SCOPE, vif.id), (e: unknown) => e instanceof ApiError && e.status === 404);
      await fx.svc.deallocateForInstance('inst-1');
      assert.deepEqual(await fx.svc.networkInfoForInstance('inst-1'), []);
    });

    test('a user\'s port is bound, then released (not deleted) at deallocate', async () => {
      const [mine] = await fx.svc.ports.create([portInput(privateId, { project_id: DEMO_PROJECT, name: 'mine' })]);
      const info = await fx.svc.allocateForInstance({
        instanceUuid: 'inst-2', projectId: DEMO_PROJECT, userId: 'u', host: 'compute-1', availabilityZone: 'az1',
        requested: [{ portId: mine!.port.id }, { networkId: privateId, fixedIp: '10.0.7.7' }],
      });
      assert.deepEqual(info.map((v) => v.id)[0], mine!.port.id);
      assert.equal(info[0]!.preserve_on_delete, true);
      assert.equal(info[1]!.network.subnets[0]!.ips[0]!.address, '10.0.7.7');
      const bound = await fx.svc.ports.getRow(ADMIN_SCOPE, mine!.port.id);
      assert.equal(bound.device_owner, 'compute:az1');
      assert.equal(bound.device_id, 'inst-2');
      // A second instance cannot take the bound port.
      await rejectsWith(fx.svc.allocateForInstance({
        instanceUuid: 'inst-3', projectId: DEMO_PROJECT, userId: 'u', host: 'compute-1', requested: [{ portId: mine!.port.id }],
      }), 409, `Port ${mine!.port.id} is still in use.`);
      await fx.svc.deallocateForInstance('inst-2');
      const released = await fx.svc.ports.getRow(ADMIN_SCOPE, mine!.port.id);
      assert.deepEqual([released.device_id, released.device_owner, released.binding_host_id, released.status], ['', '', '', 'DOWN']);
      assert.deepEqual(await fx.svc.networkInfoForInstance('inst-2'), []);
      await fx.svc.ports.delete(mine!.port.id);
    });

    test('a failure half way removes the ports made and releases the ports bound', async () => {
      const [mine] = await fx.svc.ports.create([portInput(privateId, { project_id: DEMO_PROJECT })]);
      const [holder] = await fx.svc.ports.create([portInput(privateId, { fixed_ips: [{ ip_address: '10.0.8.8' }] })]);
      await rejectsWith(fx.svc.allocateForInstance({
        instanceUuid: 'inst-4', projectId: DEMO_PROJECT, userId: 'u', host: 'compute-1',
        requested: [{ networkId: privateId }, { portId: mine!.port.id }, { networkId: privateId, fixedIp: '10.0.8.8' }],
      }), 409, /10\.0\.8\.8 already allocated/);
      const { records } = await fx.svc.ports.list(ADMIN_SCOPE, { filters: { device_id: ['inst-4'] }, sorts: [], pageReverse: false });
      assert.equal(records.length, 0, 'no port is left on the instance');
      const again = await fx.svc.ports.getRow(ADMIN_SCOPE, mine!.port.id);
      assert.equal(again.device_id, '', 'the user\'s port is free again');
      await fx.svc.ports.delete(mine!.port.id);
      await fx.svc.ports.delete(holder!.port.id);
    });

    test('exhaustion during allocation is IpAddressGenerationFailure and leaves nothing', async () => {
      const { networkId } = await makeNetwork(fx.svc, { projectId: DEMO_PROJECT, cidr: '10.60.0.0/30' });
      await fx.svc.allocateForInstance({ instanceUuid: 'inst-5', projectId: DEMO_PROJECT, userId: 'u', host: 'h', requested: [{ networkId }] });
      await assert.rejects(fx.svc.allocateForInstance({
        instanceUuid: 'inst-6', projectId: DEMO_PROJECT, userId: 'u', host: 'h', requested: [{ networkId: privateId }, { networkId }],
      }), (e: unknown) => e instanceof ApiError && e.status === 409 && e.type === 'IpAddressGenerationFailure');
      assert.deepEqual(await fx.svc.networkInfoForInstance('inst-6'), []);
    });
  });
}
