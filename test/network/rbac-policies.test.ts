import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { TEST_AUTH } from '../helpers/auth.js';
import { answered, neutronFault, startNetworkApi, type NetworkApiFixture, type Who } from './api-client.js';

const targets = await databaseTargets();
const OTHER = TEST_AUTH.other.projectId;

for (const target of targets) {
  describe(`RBAC policies API (${target.name})`, () => {
    let api: NetworkApiFixture;
    const call = (who: Who, method: string, url: string, payload?: unknown) => api.call(who, method, `/v2.0${url}`, payload);
    const ok = answered;
    const fails = neutronFault;
    const ids = (body: Record<string, Array<{ id: string }>>, key: string) => body[key]!.map((r) => r.id);

    before(async () => {
      api = await startNetworkApi(target, TEST_AUTH.admin.projectId);
    });
    after(async () => api.close());

    async function demoNetwork(name: string): Promise<string> {
      const net = (await ok(call('demo', 'POST', '/networks', { network: { name } }), 201)).network;
      await ok(call('demo', 'POST', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.77.0.0/24' } }), 201);
      return net.id;
    }

    test('sharing a network with one project lets that project see it as shared and put ports on it; nobody else', async () => {
      const netId = await demoNetwork('granted');
      await fails(call('other', 'GET', `/networks/${netId}`), 404, 'NetworkNotFound');
      await fails(call('other', 'POST', '/ports', { port: { network_id: netId } }), 404, 'NetworkNotFound');
      const grant = (await ok(call('demo', 'POST', '/rbac-policies', {
        rbac_policy: { object_type: 'network', object_id: netId, action: 'access_as_shared', target_tenant: OTHER },
      }), 201)).rbac_policy;
      assert.deepEqual(
        [grant.object_type, grant.object_id, grant.action, grant.target_tenant, grant.target_project, grant.project_id],
        ['network', netId, 'access_as_shared', OTHER, OTHER, TEST_AUTH.demo.projectId],
      );
      const seen = (await ok(call('other', 'GET', `/networks/${netId}`), 200)).network;
      assert.equal(seen.shared, true, 'shared reads true for the project it is shared with');
      assert.equal((await ok(call('demo', 'GET', `/networks/${netId}`), 200)).network.shared, false, 'the owner shares it with one project only');
      assert.ok(ids(await ok(call('other', 'GET', '/networks'), 200), 'networks').includes(netId));
      const port = (await ok(call('other', 'POST', '/ports', { port: { network_id: netId } }), 201)).port;
      // The grant can't be withdrawn while that project's port depends on it.
      await fails(call('demo', 'DELETE', `/rbac-policies/${grant.id}`), 409, 'RbacPolicyInUse');
      await fails(call('demo', 'PUT', `/rbac-policies/${grant.id}`, { rbac_policy: { target_tenant: 'someone-else' } }), 409, 'RbacPolicyInUse');
      await ok(call('other', 'DELETE', `/ports/${port.id}`), 204);
      await ok(call('demo', 'DELETE', `/rbac-policies/${grant.id}`), 204);
      await fails(call('other', 'GET', `/networks/${netId}`), 404, 'NetworkNotFound');
      await fails(call('demo', 'GET', `/rbac-policies/${grant.id}`), 404, 'RbacPolicyNotFound');
    });

    test("the '*' grant is the network's shared flag, both ways; only an admin may grant to '*'", async () => {
      const netId = await demoNetwork('wild');
      await fails(call('demo', 'POST', '/rbac-policies', {
        rbac_policy: { object_type: 'network', object_id: netId, action: 'access_as_shared', target_tenant: '*' },
      }), 403, 'PolicyNotAuthorized');
      const wild = (await ok(call('admin', 'POST', '/rbac-policies', {
        rbac_policy: { object_type: 'network', object_id: netId, action: 'access_as_shared', target_tenant: '*' },
      }), 201)).rbac_policy;
      assert.equal((await ok(call('demo', 'GET', `/networks/${netId}`), 200)).network.shared, true);
      await ok(call('admin', 'DELETE', `/rbac-policies/${wild.id}`), 204);
      assert.equal((await ok(call('demo', 'GET', `/networks/${netId}`), 200)).network.shared, false);
      // Setting the flag writes the grant, clearing it removes the grant.
      await ok(call('admin', 'PUT', `/networks/${netId}`, { network: { shared: true } }), 200);
      const grants = (await ok(call('admin', 'GET', `/rbac-policies?object_id=${netId}`), 200)).rbac_policies;
      assert.deepEqual(grants.map((g: { action: string; target_tenant: string }) => [g.action, g.target_tenant]), [['access_as_shared', '*']]);
      await ok(call('admin', 'PUT', `/networks/${netId}`, { network: { shared: false } }), 200);
      assert.deepEqual((await ok(call('admin', 'GET', `/rbac-policies?object_id=${netId}`), 200)).rbac_policies, []);
    });

    test('an external grant to one project offers the network to it for router gateways, and makes the network external', async () => {
      const ext = (await ok(call('admin', 'POST', '/networks', { network: { name: 'ext-limited' } }), 201)).network;
      await ok(call('admin', 'POST', '/subnets', { subnet: { network_id: ext.id, ip_version: 4, cidr: '172.31.5.0/24' } }), 201);
      await fails(call('other', 'GET', `/networks/${ext.id}`), 404, 'NetworkNotFound');
      const grant = (await ok(call('admin', 'POST', '/rbac-policies', {
        rbac_policy: { object_type: 'network', object_id: ext.id, action: 'access_as_external', target_tenant: OTHER },
      }), 201)).rbac_policy;
      assert.equal((await ok(call('admin', 'GET', `/networks/${ext.id}`), 200)).network['router:external'], true);
      assert.equal((await ok(call('other', 'GET', `/networks/${ext.id}`), 200)).network['router:external'], true);
      await fails(call('demo', 'GET', `/networks/${ext.id}`), 404, 'NetworkNotFound');
      const router = (await ok(call('other', 'POST', '/routers', { router: { name: 'r', external_gateway_info: { network_id: ext.id } } }), 201)).router;
      await fails(call('admin', 'DELETE', `/rbac-policies/${grant.id}`), 409, 'RbacPolicyInUse');
      await ok(call('other', 'DELETE', `/routers/${router.id}`), 204);
      await ok(call('admin', 'DELETE', `/rbac-policies/${grant.id}`), 204);
      assert.equal((await ok(call('admin', 'GET', `/networks/${ext.id}`), 200)).network['router:external'], false, 'the last external grant gone, the network is internal');
    });

    test('who may see and change grants; bad bodies; duplicates; the extension', async () => {
      const netId = await demoNetwork('rules');
      const body = { object_type: 'network', object_id: netId, action: 'access_as_shared', target_tenant: OTHER };
      await fails(call('other', 'POST', '/rbac-policies', { rbac_policy: body }), 400, 'InvalidInput');
      const grant = (await ok(call('demo', 'POST', '/rbac-policies', { rbac_policy: body }), 201)).rbac_policy;
      await fails(call('demo', 'POST', '/rbac-policies', { rbac_policy: body }), 409, 'DuplicateRbacPolicy');
      // The target sees the network, not the grant: grants belong to the project that made them.
      await fails(call('other', 'GET', `/rbac-policies/${grant.id}`), 404, 'RbacPolicyNotFound');
      assert.ok(!ids(await ok(call('other', 'GET', '/rbac-policies'), 200), 'rbac_policies').includes(grant.id));
      assert.ok(ids(await ok(call('demo', 'GET', '/rbac-policies?action=access_as_shared'), 200), 'rbac_policies').includes(grant.id));
      await fails(call('demo', 'POST', '/rbac-policies', { rbac_policy: { ...body, object_type: 'qos_policy' } }), 400);
      await fails(call('demo', 'POST', '/rbac-policies', { rbac_policy: { ...body, action: 'access_as_owner' } }), 400);
      await fails(call('demo', 'POST', '/rbac-policies', { rbac_policy: { ...body, object_id: 'not-a-uuid' } }), 400);
      await fails(call('demo', 'POST', '/rbac-policies', { rbac_policy: { object_type: 'network', object_id: netId, action: 'access_as_shared' } }), 400);
      await fails(call('demo', 'POST', '/rbac-policies', { rbac_policy: { ...body, object_id: '00000000-0000-4000-8000-000000000000' } }), 404, 'NetworkNotFound');
      await fails(call('demo', 'PUT', `/rbac-policies/${grant.id}`, { rbac_policy: { action: 'access_as_external' } }), 400);
      const moved = (await ok(call('demo', 'PUT', `/rbac-policies/${grant.id}`, { rbac_policy: { target_tenant: 'third-project' } }), 200)).rbac_policy;
      assert.equal(moved.target_tenant, 'third-project');
      await fails(call('other', 'GET', `/networks/${netId}`), 404, 'NetworkNotFound');
      // Deleting the network takes its grants with it.
      await ok(call('demo', 'DELETE', `/networks/${netId}`), 204);
      await fails(call('demo', 'GET', `/rbac-policies/${grant.id}`), 404, 'RbacPolicyNotFound');
      const aliases = (await ok(call('demo', 'GET', '/extensions'), 200)).extensions.map((e: { alias: string }) => e.alias);
      assert.ok(aliases.includes('rbac-policies'));
    });
  });
}
