import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { testLogger } from '../helpers/logger.js';
import { NetworkService } from '../../src/network/service.js';
import type { Scope } from '../../src/network/model.js';
import { openNetworkService, makeNetwork, portInput, ADMIN_SCOPE, type NetworkFixture } from './fixtures.js';
import { rejectsWithType } from './api-client.js';

const targets = await databaseTargets();
const P1: Scope = { isAdmin: false, projectId: 'p1' };
const INSTANCE = '11111111-1111-4111-8111-111111111111';

for (const target of targets) {
  describe(`trunk subports follow their parent's binding (${target.name})`, () => {
    let fx: NetworkFixture;
    let netA: string;
    let netB: string;
    before(async () => {
      fx = await openNetworkService(target);
      netA = (await makeNetwork(fx.svc, { cidr: '10.31.0.0/24' })).networkId;
      netB = (await makeNetwork(fx.svc, { cidr: '10.32.0.0/24' })).networkId;
    });
    after(async () => { await fx.dispose(); });

    const newPort = async (networkId: string, extra: Record<string, unknown> = {}) =>
      (await fx.svc.ports.create([portInput(networkId, extra)]))[0]!.port;
    const port = (id: string) => fx.svc.ports.getRow(ADMIN_SCOPE, id);
    const trunkOf = async (parentId: string, subIds: string[]) => fx.svc.trunks.create(P1, {
      project_id: 'p1', name: '', description: '', admin_state_up: true, port_id: parentId,
      sub_ports: subIds.map((id, i) => ({ port_id: id, segmentation_type: 'vlan', segmentation_id: 100 + i })),
    });
    const status = async (trunkId: string) => (await fx.svc.trunks.getRow(ADMIN_SCOPE, trunkId)).status;

    test('booting on the parent binds and activates the subports with it; the trunk goes ACTIVE', async () => {
      const parent = await newPort(netA);
      const sub = await newPort(netB);
      const t = await trunkOf(parent.id, [sub.id]);
      assert.equal(t.trunk.status, 'DOWN');
      assert.equal((await port(sub.id)).status, 'DOWN');

      await fx.svc.allocateForInstance({ instanceUuid: INSTANCE, projectId: 'p1', userId: 'u', host: 'h1', requested: [{ portId: parent.id }] });
      const [p, s] = [await port(parent.id), await port(sub.id)];
      assert.equal(p.status, 'ACTIVE');
      assert.equal(s.status, 'ACTIVE');
      assert.equal(s.binding_host_id, 'h1');
      assert.equal(s.device_owner, 'trunk:subport');
      assert.equal(s.device_id, '', 'Neutron leaves a subport\'s device_id alone');
      assert.equal(await status(t.trunk.id), 'ACTIVE');

      // A live migration binds the parent where the server now is; the subports follow.
      await fx.svc.bindInstancePorts(INSTANCE, 'h2');
      assert.equal((await port(parent.id)).binding_host_id, 'h2');
      assert.equal((await port(sub.id)).binding_host_id, 'h2');
      assert.equal((await port(sub.id)).status, 'ACTIVE');
      assert.equal(await status(t.trunk.id), 'ACTIVE');

      // A subport added now is bound at once; one removed is released.
      const late = await newPort(netB);
      await fx.svc.trunks.addSubports(P1, await fx.svc.trunks.getRow(ADMIN_SCOPE, t.trunk.id), [{ port_id: late.id, segmentation_type: 'vlan', segmentation_id: 300 }]);
      assert.equal((await port(late.id)).binding_host_id, 'h2');
      assert.equal((await port(late.id)).status, 'ACTIVE');
      assert.equal(await status(t.trunk.id), 'ACTIVE');
      await fx.svc.trunks.removeSubports(await fx.svc.trunks.getRow(ADMIN_SCOPE, t.trunk.id), [late.id]);
      const released = await port(late.id);
      assert.deepEqual([released.binding_host_id, released.device_owner, released.status], ['', '', 'DOWN']);

      // Deleting the server unbinds the parent: the subports go DOWN and unbound, the trunk DOWN.
      await fx.svc.deallocateForInstance(INSTANCE);
      const [p2, s2] = [await port(parent.id), await port(sub.id)];
      assert.equal(p2.status, 'DOWN');
      assert.equal(s2.status, 'DOWN');
      assert.equal(s2.binding_host_id, '');
      assert.equal(s2.device_owner, 'trunk:subport');
      assert.equal(await status(t.trunk.id), 'DOWN');
    });

    test('an admin binding the parent by a port update moves the subports too', async () => {
      const parent = await newPort(netA);
      const sub = await newPort(netB);
      const t = await trunkOf(parent.id, [sub.id]);
      await fx.svc.ports.update(await port(parent.id), { binding_host_id: 'h3' });
      assert.equal((await port(sub.id)).binding_host_id, 'h3');
      assert.equal(await status(t.trunk.id), 'ACTIVE');
      const rev = (await port(sub.id)).revision_number;
      // An update that leaves the binding as it is changes nothing on the subport.
      await fx.svc.ports.update(await port(parent.id), { name: 'renamed' });
      assert.equal((await port(sub.id)).revision_number, rev);
      await fx.svc.ports.update(await port(parent.id), { binding_host_id: '' });
      assert.equal((await port(sub.id)).status, 'DOWN');
      assert.equal(await status(t.trunk.id), 'DOWN');
    });

    test('with Linux bridge a bound port may become a parent (ACTIVE at once) and its trunk be deleted', async () => {
      const parent = await newPort(netA, { binding_host_id: 'h1', device_id: 'vm', device_owner: 'compute:nova' });
      const sub = await newPort(netB);
      const t = await trunkOf(parent.id, [sub.id]);
      assert.equal(t.trunk.status, 'ACTIVE');
      assert.equal((await port(sub.id)).binding_host_id, 'h1');
      await fx.svc.trunks.delete(t.trunk);
      const s = await port(sub.id);
      assert.deepEqual([s.binding_host_id, s.device_owner, s.status], ['', '', 'DOWN']);
    });

    test('with Open vSwitch a bound port cannot become a parent, nor its trunk be deleted while bound', async () => {
      const ovs = new NetworkService({ db: fx.db, logger: testLogger, vifType: 'ovs' });
      const bound = await newPort(netA, { binding_host_id: 'h1' });
      await rejectsWithType(ovs.trunks.create(P1, {
        project_id: 'p1', name: '', description: '', admin_state_up: true, port_id: bound.id, sub_ports: [],
      }), 409, 'ParentPortInUse');
      const parent = await newPort(netA);
      const t = await ovs.trunks.create(P1, { project_id: 'p1', name: '', description: '', admin_state_up: true, port_id: parent.id, sub_ports: [] });
      await ovs.ports.update(await port(parent.id), { binding_host_id: 'h1' });
      await rejectsWithType(ovs.trunks.delete(await ovs.trunks.getRow(ADMIN_SCOPE, t.trunk.id)), 409, 'TrunkInUse');
      await ovs.ports.update(await port(parent.id), { binding_host_id: '' });
      await ovs.trunks.delete(await ovs.trunks.getRow(ADMIN_SCOPE, t.trunk.id));
    });

    test('a port the compute service made that a trunk uses outlives its server, released', async () => {
      const instance = '22222222-2222-4222-8222-222222222222';
      const [vif] = await fx.svc.allocateForInstance({ instanceUuid: instance, projectId: 'p1', userId: 'u', host: 'h1', requested: [{ networkId: netA }] });
      const sub = await newPort(netB);
      const t = await trunkOf(vif!.id, [sub.id]);
      assert.equal(t.trunk.status, 'ACTIVE');
      await fx.svc.deallocateForInstance(instance);
      const p = await port(vif!.id);
      assert.deepEqual([p.device_id, p.binding_host_id, p.created_by_compute], ['', '', 0]);
      assert.equal(await status(t.trunk.id), 'DOWN');
      assert.equal((await port(sub.id)).status, 'DOWN');

      // Detaching such a port from a server releases it too, rather than failing on the trunk.
      const other = '33333333-3333-4333-8333-333333333333';
      const [vif2] = await fx.svc.allocateForInstance({ instanceUuid: other, projectId: 'p1', userId: 'u', host: 'h1', requested: [{ networkId: netA }] });
      await trunkOf(vif2!.id, []);
      assert.equal(await fx.svc.detachPort(other, vif2!.id), true);
      assert.equal((await port(vif2!.id)).device_id, '');
    });
  });
}
