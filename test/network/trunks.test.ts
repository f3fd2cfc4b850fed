import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { TEST_AUTH } from '../helpers/auth.js';
import { answered, neutronFault, startNetworkApi, type NetworkApiFixture, type Who } from './api-client.js';

const targets = await databaseTargets();
const MISSING = '00000000-0000-4000-8000-000000000000';

for (const target of targets) {
  describe(`trunks API (${target.name})`, () => {
    let api: NetworkApiFixture;
    /** demo's own network, and a second one for subports. */
    let netA: string;
    let netB: string;
    let cidr = 0;

    const call = (who: Who, method: string, url: string, payload?: unknown) => api.call(who, method, `/v2.0${url}`, payload);
    const ok = answered;
    const fails = neutronFault;
    const port = async (who: Who = 'demo', networkId = netA, extra: Record<string, unknown> = {}) =>
      (await ok(call(who, 'POST', '/ports', { port: { network_id: networkId, ...extra } }), 201)).port;
    const trunk = async (who: Who, body: Record<string, unknown>) => (await ok(call(who, 'POST', '/trunks', { trunk: body }), 201)).trunk;
    const network = async (who: Who, extra: Record<string, unknown> = {}) => {
      const net = (await ok(call(who, 'POST', '/networks', { network: { name: 'n', ...extra } }), 201)).network;
      await ok(call(who, 'POST', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: `10.${60 + cidr++}.0.0/24` } }), 201);
      return net.id as string;
    };

    before(async () => {
      api = await startNetworkApi(target, TEST_AUTH.admin.projectId);
      netA = await network('demo');
      netB = await network('demo');
    });
    after(async () => api.close());

    test('the trunk and trunk-details extensions are listed, and trunks among the resources', async () => {
      const aliases = (await ok(call('demo', 'GET', '/extensions'), 200)).extensions.map((e: { alias: string }) => e.alias);
      assert.ok(aliases.includes('trunk') && aliases.includes('trunk-details'));
      assert.equal((await ok(call('demo', 'GET', '/extensions/trunk'), 200)).extension.name, 'Trunk Extension');
      const resources = (await ok(call('demo', 'GET', ''), 200)).resources.map((r: { collection: string }) => r.collection);
      assert.ok(resources.includes('trunks'));
    });

    test('a trunk has Neutron\'s shape; get, list with filters, update and delete', async () => {
      const parent = await port();
      const sub = await port('demo', netB);
      const t = await trunk('demo', { name: 't1', port_id: parent.id, sub_ports: [{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 42 }] });
      assert.deepEqual(Object.keys(t).sort(), [
        'admin_state_up', 'created_at', 'description', 'id', 'name', 'port_id', 'project_id', 'revision_number',
        'status', 'sub_ports', 'tags', 'tenant_id', 'updated_at',
      ]);
      assert.equal(t.status, 'DOWN');
      assert.equal(t.admin_state_up, true);
      assert.equal(t.project_id, TEST_AUTH.demo.projectId);
      assert.deepEqual(t.sub_ports, [{ segmentation_id: 42, segmentation_type: 'vlan', port_id: sub.id }]);
      assert.match(t.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

      assert.deepEqual((await ok(call('demo', 'GET', `/trunks/${t.id}`), 200)).trunk, t);
      const listed = (await ok(call('demo', 'GET', `/trunks?port_id=${parent.id}`), 200)).trunks;
      assert.deepEqual(listed.map((x: { id: string }) => x.id), [t.id]);
      assert.deepEqual((await ok(call('demo', 'GET', '/trunks?name=nothing-like-it'), 200)).trunks, []);
      assert.deepEqual((await ok(call('demo', 'GET', `/trunks/${t.id}?fields=id&fields=status`), 200)).trunk, { id: t.id, status: 'DOWN' });
      await fails(call('demo', 'GET', '/trunks?segmentation_id=1'), 400);

      const updated = (await ok(call('demo', 'PUT', `/trunks/${t.id}`, { trunk: { name: 't2', description: 'd', admin_state_up: false } }), 200)).trunk;
      assert.equal(updated.name, 't2');
      assert.equal(updated.description, 'd');
      assert.equal(updated.admin_state_up, false);
      assert.ok(updated.revision_number > t.revision_number);
      assert.match(await fails(call('demo', 'PUT', `/trunks/${t.id}`, { trunk: { port_id: sub.id } }), 400), /read-only attribute port_id/);

      // Disabled, it cannot be managed.
      await fails(call('demo', 'DELETE', `/trunks/${t.id}`), 409, 'TrunkDisabled');
      await ok(call('demo', 'PUT', `/trunks/${t.id}`, { trunk: { admin_state_up: true } }), 200);
      await ok(call('demo', 'DELETE', `/trunks/${t.id}`), 204);
      await fails(call('demo', 'GET', `/trunks/${t.id}`), 404, 'TrunkNotFound');
      // Its ports are free again, the subport no longer trunk:subport.
      const freed = (await ok(call('demo', 'GET', `/ports/${sub.id}`), 200)).port;
      assert.equal(freed.device_owner, '');
      await ok(call('demo', 'DELETE', `/ports/${sub.id}`), 204);
      await ok(call('demo', 'DELETE', `/ports/${parent.id}`), 204);
    });

    test('add_subports, get_subports and remove_subports answer with the trunk', async () => {
      const parent = await port();
      const [s1, s2] = [await port('demo', netB), await port('demo', netB)];
      const t = await trunk('demo', { port_id: parent.id });
      assert.deepEqual(t.sub_ports, []);
      const added = await ok(call('demo', 'PUT', `/trunks/${t.id}/add_subports`, { sub_ports: [
        { port_id: s1.id, segmentation_type: 'vlan', segmentation_id: 10 },
        { port_id: s2.id, segmentation_type: 'vlan', segmentation_id: '11' },
      ] }), 200);
      assert.equal(added.id, t.id);
      assert.deepEqual(added.sub_ports.map((s: { segmentation_id: number }) => s.segmentation_id), [10, 11]);
      const got = await ok(call('demo', 'GET', `/trunks/${t.id}/get_subports`), 200);
      assert.deepEqual(got, { sub_ports: added.sub_ports });
      // trunk_details on the parent only, with each subport's MAC.
      const shown = (await ok(call('demo', 'GET', `/ports/${parent.id}`), 200)).port;
      assert.deepEqual(shown.trunk_details, {
        trunk_id: t.id,
        sub_ports: [
          { segmentation_id: 10, segmentation_type: 'vlan', port_id: s1.id, mac_address: s1.mac_address },
          { segmentation_id: 11, segmentation_type: 'vlan', port_id: s2.id, mac_address: s2.mac_address },
        ],
      });
      assert.equal((await ok(call('demo', 'GET', `/ports/${s1.id}`), 200)).port.trunk_details, undefined);
      assert.equal((await ok(call('demo', 'GET', `/ports/${s1.id}`), 200)).port.device_owner, 'trunk:subport');

      const removed = await ok(call('demo', 'PUT', `/trunks/${t.id}/remove_subports`, { sub_ports: [{ port_id: s1.id }] }), 200);
      assert.deepEqual(removed.sub_ports.map((s: { port_id: string }) => s.port_id), [s2.id]);
      await fails(call('demo', 'PUT', `/trunks/${t.id}/remove_subports`, { sub_ports: [{ port_id: s1.id }] }), 404, 'SubPortNotFound');
      await fails(call('demo', 'PUT', `/trunks/${t.id}/add_subports`, {}), 400);
      await fails(call('demo', 'PUT', `/trunks/${t.id}/add_subports`, { sub_ports: 'x' }), 400);
      await fails(call('demo', 'PUT', `/trunks/${MISSING}/add_subports`, { sub_ports: [] }), 404, 'TrunkNotFound');
    });

    test('a parent port already in a trunk, or a subport, is 409; unknown ports are 404', async () => {
      const parent = await port();
      const sub = await port('demo', netB);
      const t = await trunk('demo', { port_id: parent.id, sub_ports: [{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 5 }] });
      await fails(call('demo', 'POST', '/trunks', { trunk: { port_id: parent.id } }), 409, 'ParentPortInUse');
      await fails(call('demo', 'POST', '/trunks', { trunk: { port_id: sub.id } }), 409, 'TrunkPortInUse');
      await fails(call('demo', 'POST', '/trunks', { trunk: { port_id: MISSING } }), 404, 'PortNotFound');
      const other = await port();
      // A subport that is the parent, in another trunk, or some trunk's parent.
      await fails(call('demo', 'POST', '/trunks', { trunk: { port_id: other.id, sub_ports: [{ port_id: other.id, segmentation_type: 'vlan', segmentation_id: 1 }] } }), 409, 'ParentPortInUse');
      await fails(call('demo', 'POST', '/trunks', { trunk: { port_id: other.id, sub_ports: [{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 1 }] } }), 409, 'TrunkPortInUse');
      await fails(call('demo', 'POST', '/trunks', { trunk: { port_id: other.id, sub_ports: [{ port_id: parent.id, segmentation_type: 'vlan', segmentation_id: 1 }] } }), 409, 'ParentPortInUse');
      await fails(call('demo', 'POST', '/trunks', { trunk: { port_id: other.id, sub_ports: [{ port_id: MISSING, segmentation_type: 'vlan', segmentation_id: 1 }] } }), 404, 'PortNotFound');
      // A port some device uses cannot become a subport.
      const used = await port('demo', netB, { device_id: 'some-device' });
      const msg = await fails(call('demo', 'POST', '/trunks', { trunk: { port_id: other.id, sub_ports: [{ port_id: used.id, segmentation_type: 'vlan', segmentation_id: 1 }] } }), 409, 'PortInUse');
      assert.match(msg, /already has an attached device some-device/);
      // A subport's segmentation is taken already on this trunk.
      const free = await port('demo', netB);
      await fails(call('demo', 'PUT', `/trunks/${t.id}/add_subports`, { sub_ports: [{ port_id: free.id, segmentation_type: 'vlan', segmentation_id: 5 }] }), 409, 'DuplicateSubPort');
      // Nothing of the refused requests was made.
      assert.deepEqual((await ok(call('demo', 'GET', `/trunks?port_id=${other.id}`), 200)).trunks, []);
      assert.equal((await ok(call('demo', 'GET', `/ports/${free.id}`), 200)).port.device_owner, '');
    });

    test('segmentation: vlan 1..4094 only, given whole and distinct, as 400s', async () => {
      const parent = await port();
      const sub = await port('demo', netB);
      const sub2 = await port('demo', netB);
      const bad = async (subPorts: unknown, pattern: RegExp) => {
        const msg = await fails(call('demo', 'POST', '/trunks', { trunk: { port_id: parent.id, sub_ports: subPorts } }), 400);
        assert.match(msg, pattern);
      };
      await bad([{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 0 }], /Segmentation ID '0' is not in range/);
      await bad([{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 4095 }], /not in range/);
      await bad([{ port_id: sub.id, segmentation_type: 'vxlan', segmentation_id: 7 }], /Unknown segmentation_type 'vxlan'/);
      await bad([{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 'seven' }], /segmentation_id 'seven' is not an integer/);
      await bad([{ port_id: sub.id, segmentation_type: 'inherit' }], /Cannot accept segmentation type inherit/);
      await bad([{ port_id: sub.id, segmentation_type: 'vlan' }], /missing segmentation information/);
      await bad([{ port_id: sub.id }], /missing segmentation information/);
      await bad([{ port_id: 'not-a-uuid', segmentation_type: 'vlan', segmentation_id: 3 }], /Invalid UUID for subport/);
      await bad([{ segmentation_type: 'vlan', segmentation_id: 3 }], /A valid port UUID must be specified/);
      await bad([{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 3 }, { port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 4 }], /Non unique UUID/);
      await bad([{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 3 }, { port_id: sub2.id, segmentation_type: 'vlan', segmentation_id: 3 }], /is not unique/);
      await bad('x', /is not a list/);
      await bad(['x'], /is not a dict/);
      await fails(call('demo', 'POST', '/trunks', { trunk: { port_id: 'nope' } }), 400);
      await fails(call('demo', 'POST', '/trunks', { trunk: {} }), 400);
      await fails(call('demo', 'POST', '/trunks', { trunk: { port_id: parent.id, status: 'ACTIVE' } }), 400);
      assert.deepEqual((await ok(call('demo', 'GET', `/trunks?port_id=${parent.id}`), 200)).trunks, []);
    });

    test('a subport on a network with a bigger MTU than the parent\'s is 409', async () => {
      const small = await network('demo', { mtu: 1400 });
      const parent = await port('demo', small);
      const sub = await port('demo', netB);
      await fails(call('demo', 'POST', '/trunks', { trunk: { port_id: parent.id, sub_ports: [{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 9 }] } }),
        409, 'SubPortMtuGreaterThanTrunkPortMtu');
    });

    test('ports in a trunk cannot be deleted; the network under them stays in use', async () => {
      const parent = await port();
      const sub = await port('demo', netB);
      const t = await trunk('demo', { port_id: parent.id, sub_ports: [{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 77 }] });
      assert.match(await fails(call('demo', 'DELETE', `/ports/${parent.id}`), 409, 'PortInUseAsTrunkParent'), new RegExp(`parent port for trunk ${t.id}`));
      assert.match(await fails(call('demo', 'DELETE', `/ports/${sub.id}`), 409, 'PortInUseAsSubPort'), new RegExp(`subport for trunk ${t.id}`));
      await fails(call('demo', 'DELETE', `/networks/${netB}`), 409, 'NetworkInUse');
      await ok(call('demo', 'PUT', `/trunks/${t.id}/remove_subports`, { sub_ports: [{ port_id: sub.id }] }), 200);
      await ok(call('demo', 'DELETE', `/ports/${sub.id}`), 204);
      await ok(call('demo', 'DELETE', `/trunks/${t.id}`), 204);
      await ok(call('demo', 'DELETE', `/ports/${parent.id}`), 204);
    });

    test('policy: members write their project\'s trunks, readers read them, other projects see nothing', async () => {
      const parent = await port();
      const sub = await port('demo', netB);
      const t = await trunk('demo', { port_id: parent.id });
      // The reader (demo project) sees it but may not change it.
      await ok(call('reader', 'GET', `/trunks/${t.id}`), 200);
      await ok(call('reader', 'GET', `/trunks/${t.id}/get_subports`), 200);
      assert.ok((await ok(call('reader', 'GET', '/trunks'), 200)).trunks.some((x: { id: string }) => x.id === t.id));
      await fails(call('reader', 'PUT', `/trunks/${t.id}`, { trunk: { name: 'r' } }), 403, 'PolicyNotAuthorized');
      await fails(call('reader', 'PUT', `/trunks/${t.id}/add_subports`, { sub_ports: [{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 2 }] }), 403);
      await fails(call('reader', 'PUT', `/trunks/${t.id}/remove_subports`, { sub_ports: [] }), 403);
      await fails(call('reader', 'DELETE', `/trunks/${t.id}`), 403);
      const readerPort = await port('admin', netA, { project_id: TEST_AUTH.demo.projectId });
      await fails(call('reader', 'POST', '/trunks', { trunk: { port_id: readerPort.id } }), 403, 'PolicyNotAuthorized');
      // Another project: not found, whatever it asks.
      await fails(call('other', 'GET', `/trunks/${t.id}`), 404, 'TrunkNotFound');
      await fails(call('other', 'PUT', `/trunks/${t.id}`, { trunk: { name: 'x' } }), 404);
      await fails(call('other', 'DELETE', `/trunks/${t.id}`), 404);
      await fails(call('other', 'GET', `/trunks/${t.id}/get_subports`), 404);
      assert.ok(!(await ok(call('other', 'GET', '/trunks'), 200)).trunks.some((x: { id: string }) => x.id === t.id));
      // Nor may it build on demo's ports.
      await fails(call('other', 'POST', '/trunks', { trunk: { port_id: sub.id } }), 404, 'PortNotFound');
      const theirs = await port('other', await network('other'));
      await fails(call('other', 'POST', '/trunks', { trunk: { port_id: theirs.id, sub_ports: [{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 2 }] } }), 404, 'PortNotFound');
      await fails(call('other', 'POST', '/trunks', { trunk: { port_id: theirs.id, project_id: TEST_AUTH.demo.projectId } }), 400);
      // The admin sees and manages every project's trunks, and may make one for another project.
      await ok(call('admin', 'PUT', `/trunks/${t.id}/add_subports`, { sub_ports: [{ port_id: sub.id, segmentation_type: 'vlan', segmentation_id: 2 }] }), 200);
      assert.ok((await ok(call('admin', 'GET', '/trunks'), 200)).trunks.some((x: { id: string }) => x.id === t.id));
      const forOther = await trunk('admin', { port_id: theirs.id, project_id: TEST_AUTH.other.projectId });
      assert.equal(forOther.project_id, TEST_AUTH.other.projectId);
      await ok(call('other', 'GET', `/trunks/${forOther.id}`), 200);
      await ok(call('admin', 'DELETE', `/trunks/${t.id}`), 204);
    });

    test('trunks take tags', async () => {
      const t = await trunk('demo', { port_id: (await port()).id, tags: ['red'] });
      assert.deepEqual(t.tags, ['red']);
      await ok(call('demo', 'PUT', `/trunks/${t.id}/tags/blue`), 201);
      assert.deepEqual((await ok(call('demo', 'GET', `/trunks?tags=blue`), 200)).trunks.map((x: { id: string }) => x.id), [t.id]);
      await fails(call('other', 'PUT', `/trunks/${t.id}/tags/green`), 404, 'TrunkNotFound');
    });
  });
}
