/**
 * Port security as Neutron's port-security extension decides it: a new port
 * takes its network's setting unless it names its own (or names groups), the
 * network's own ports have none, and security groups need it.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { TEST_AUTH } from '../helpers/auth.js';
import { answered, neutronFault, startNetworkApi, type NetworkApiFixture, type Who } from './api-client.js';

const targets = await databaseTargets();
const NEEDS_PORT_SECURITY = 'Port security must be enabled and port must have an IP address in order to use security groups.';

for (const target of targets) {
  describe(`port security (${target.name})`, () => {
    let api: NetworkApiFixture;
    let guarded: string;
    let open: string;
    let defaultGroup: string;
    const call = (who: Who, method: string, url: string, payload?: unknown) => api.call(who, method, `/v2.0${url}`, payload);
    const create = (networkId: string, port: Record<string, unknown> = {}) => call('demo', 'POST', '/ports', { port: { network_id: networkId, ...port } });
    const update = (id: string, port: Record<string, unknown>) => call('demo', 'PUT', `/ports/${id}`, { port });
    const network = async (name: string, portSecurity: boolean) => {
      const id = (await answered(call('demo', 'POST', '/networks', { network: { name, port_security_enabled: portSecurity } }), 201)).network.id;
      await answered(call('demo', 'POST', '/subnets', { subnet: { network_id: id, ip_version: 4, cidr: portSecurity ? '10.45.0.0/24' : '10.46.0.0/24' } }), 201);
      return id;
    };

    before(async () => {
      api = await startNetworkApi(target, TEST_AUTH.admin.projectId);
      guarded = await network('guarded', true);
      open = await network('open', false);
      const groups = (await answered(call('demo', 'GET', '/security-groups?name=default'), 200)).security_groups;
      defaultGroup = groups[0].id;
    });
    after(async () => api.close());

    test('a new port takes its network\'s port security, and the default group only with it', async () => {
      const onGuarded = (await answered(create(guarded), 201)).port;
      assert.equal(onGuarded.port_security_enabled, true);
      assert.deepEqual(onGuarded.security_groups, [defaultGroup]);
      const onOpen = (await answered(create(open), 201)).port;
      assert.equal(onOpen.port_security_enabled, false);
      assert.deepEqual(onOpen.security_groups, []);
      const askedOn = (await answered(create(open, { port_security_enabled: true }), 201)).port;
      assert.equal(askedOn.port_security_enabled, true);
      assert.deepEqual(askedOn.security_groups, [defaultGroup]);
    });

    test('naming groups for a port with addresses turns its port security on, whatever the network says', async () => {
      const port = (await answered(create(open, { security_groups: [defaultGroup] }), 201)).port;
      assert.equal(port.port_security_enabled, true);
      assert.deepEqual(port.security_groups, [defaultGroup]);
    });

    test('the network\'s own ports have no port security', async () => {
      const port = (await answered(call('admin', 'POST', '/ports', { port: { network_id: guarded, device_owner: 'network:router_interface', port_security_enabled: true } }), 201)).port;
      assert.equal(port.port_security_enabled, false);
      assert.deepEqual(port.security_groups, []);
    });

    test('groups on a port without port security: 400 PortSecurityAndIPRequiredForSecurityGroups; none is fine', async () => {
      assert.equal(await neutronFault(create(guarded, { port_security_enabled: false, security_groups: [defaultGroup] }), 400,
        'PortSecurityAndIPRequiredForSecurityGroups'), NEEDS_PORT_SECURITY);
      const port = (await answered(create(guarded, { port_security_enabled: false, security_groups: [] }), 201)).port;
      assert.deepEqual(port.security_groups, []);
      assert.equal(await neutronFault(update(port.id, { security_groups: [defaultGroup] }), 400, 'PortSecurityAndIPRequiredForSecurityGroups'), NEEDS_PORT_SECURITY);
    });

    test('turning port security off while the port has groups: 409 PortSecurityPortHasSecurityGroup, unless the request clears them', async () => {
      const port = (await answered(create(guarded), 201)).port;
      assert.equal(await neutronFault(update(port.id, { port_security_enabled: false }), 409, 'PortSecurityPortHasSecurityGroup'),
        'Port has security group associated. Cannot disable port security or IP address until security group is removed.');
      const still = (await answered(call('demo', 'GET', `/ports/${port.id}`), 200)).port;
      assert.equal(still.port_security_enabled, true, 'the refused update changed nothing');
      assert.deepEqual(still.security_groups, [defaultGroup]);
      const off = (await answered(update(port.id, { port_security_enabled: false, security_groups: [] }), 200)).port;
      assert.equal(off.port_security_enabled, false);
      assert.deepEqual(off.security_groups, []);
    });
  });
}
