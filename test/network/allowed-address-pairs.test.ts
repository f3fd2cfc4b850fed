/**
 * Allowed address pairs on ports, as Neutron's allowed-address-pairs
 * extension has them: set on create and update (an update replaces the
 * list), shown in port views, refused with Neutron's faults, gone with the port.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { TEST_AUTH } from '../helpers/auth.js';
import { answered, neutronFault, startNetworkApi, type NetworkApiFixture, type Who } from './api-client.js';

const targets = await databaseTargets();

for (const target of targets) {
  describe(`allowed address pairs (${target.name})`, () => {
    let api: NetworkApiFixture;
    let networkId: string;
    const call = (who: Who, method: string, url: string, payload?: unknown) => api.call(who, method, `/v2.0${url}`, payload);
    const create = (port: Record<string, unknown>) => call('demo', 'POST', '/ports', { port: { network_id: networkId, ...port } });
    const update = (id: string, port: Record<string, unknown>) => call('demo', 'PUT', `/ports/${id}`, { port });
    const pairsOf = async (id: string) => (await answered(call('demo', 'GET', `/ports/${id}`), 200)).port.allowed_address_pairs;

    before(async () => {
      api = await startNetworkApi(target, TEST_AUTH.admin.projectId);
      networkId = (await answered(call('demo', 'POST', '/networks', { network: { name: 'vrrp' } }), 201)).network.id;
      await answered(call('demo', 'POST', '/subnets', { subnet: { network_id: networkId, ip_version: 4, cidr: '10.44.0.0/24' } }), 201);
    });
    after(async () => api.close());

    test('the extension list names allowed-address-pairs and port-security with neutron-lib\'s names', async () => {
      const ext = await answered(call('demo', 'GET', '/extensions/allowed-address-pairs'), 200);
      assert.deepEqual([ext.extension.name, ext.extension.description], ['Allowed Address Pairs', 'Provides allowed address pairs']);
      const psec = await answered(call('demo', 'GET', '/extensions/port-security'), 200);
      assert.deepEqual([psec.extension.name, psec.extension.description], ['Port Security', 'Provides port security']);
    });

    test('a pair without a MAC takes the port\'s; pairs are shown in the order given on create, show and list', async () => {
      const port = (await answered(create({ allowed_address_pairs: [
        { ip_address: '10.44.0.200' },
        { ip_address: '192.0.2.0/24', mac_address: 'fa:16:3e:00:00:01' },
        { ip_address: '2001:db8::10' },
      ] }), 201)).port;
      const expected = [
        { ip_address: '10.44.0.200', mac_address: port.mac_address },
        { ip_address: '192.0.2.0/24', mac_address: 'fa:16:3e:00:00:01' },
        { ip_address: '2001:db8::10', mac_address: port.mac_address },
      ];
      assert.deepEqual(port.allowed_address_pairs, expected);
      assert.deepEqual(await pairsOf(port.id), expected);
      const listed = (await answered(call('demo', 'GET', `/ports?network_id=${networkId}`), 200)).ports;
      assert.deepEqual(listed.find((p: { id: string }) => p.id === port.id).allowed_address_pairs, expected);
      const plain = (await answered(create({}), 201)).port;
      assert.deepEqual(plain.allowed_address_pairs, [], 'a port given none has none');
    });

    test('an update replaces the whole list; [] and null clear it; an update without the attribute keeps it', async () => {
      const port = (await answered(create({ allowed_address_pairs: [{ ip_address: '10.44.0.201' }, { ip_address: '10.44.0.202' }] }), 201)).port;
      const replaced = (await answered(update(port.id, { allowed_address_pairs: [{ ip_address: '10.44.0.210', mac_address: 'fa:16:3e:00:00:02' }] }), 200)).port;
      assert.deepEqual(replaced.allowed_address_pairs, [{ ip_address: '10.44.0.210', mac_address: 'fa:16:3e:00:00:02' }]);
      await answered(update(port.id, { name: 'renamed' }), 200);
      assert.deepEqual(await pairsOf(port.id), [{ ip_address: '10.44.0.210', mac_address: 'fa:16:3e:00:00:02' }]);
      assert.deepEqual((await answered(update(port.id, { allowed_address_pairs: [] }), 200)).port.allowed_address_pairs, []);
      await answered(update(port.id, { allowed_address_pairs: [{ ip_address: '10.44.0.211' }] }), 200);
      assert.deepEqual((await answered(update(port.id, { allowed_address_pairs: null }), 200)).port.allowed_address_pairs, []);
      assert.deepEqual(await pairsOf(port.id), []);
    });

    test('invalid entries are 400 with Neutron\'s reasons, and nothing is created', async () => {
      const before = (await answered(call('demo', 'GET', `/ports?network_id=${networkId}`), 200)).ports.length;
      assert.equal(await neutronFault(create({ allowed_address_pairs: [{ mac_address: 'fa:16:3e:00:00:03' }] }), 400, 'AllowedAddressPairsMissingIP'),
        'AllowedAddressPair must contain ip_address');
      assert.equal(await neutronFault(create({ allowed_address_pairs: [{ ip_address: '10.44.0.300' }] }), 400),
        "'10.44.0.300' is not a valid IP address");
      assert.equal(await neutronFault(create({ allowed_address_pairs: [{ ip_address: 'fe80::1%eth0' }] }), 400),
        "'fe80::1%eth0' is not a valid IP address", 'an IPv6 zone is no address a firewall rule can match');
      await neutronFault(create({ allowed_address_pairs: [{ ip_address: 'fe80::%eth0/64' }] }), 400);
      assert.equal(await neutronFault(create({ allowed_address_pairs: [{ ip_address: '10.44.0.0/33' }] }), 400),
        "'10.44.0.0/33' is not a valid IP subnet");
      assert.equal(await neutronFault(create({ allowed_address_pairs: [{ ip_address: '10.44.0.5', mac_address: 'not-a-mac' }] }), 400),
        "'not-a-mac' is not a valid MAC address");
      assert.equal(await neutronFault(create({ allowed_address_pairs: [{ ip_address: '10.44.0.5', vlan: 5 }] }), 400),
        "Unrecognized attribute(s) 'vlan'");
      await neutronFault(create({ allowed_address_pairs: ['10.44.0.5'] }), 400);
      await neutronFault(create({ allowed_address_pairs: { ip_address: '10.44.0.5' } }), 400);
      assert.equal((await answered(call('demo', 'GET', `/ports?network_id=${networkId}`), 200)).ports.length, before);
    });

    test('the same pair twice is 400 DuplicateAddressPairInRequest, also when one names the port\'s MAC and one leaves it out', async () => {
      assert.equal(await neutronFault(create({ allowed_address_pairs: [{ ip_address: '10.44.0.9' }, { ip_address: '10.44.0.9' }] }), 400, 'DuplicateAddressPairInRequest'),
        'Request contains duplicate address pair: mac_address None ip_address 10.44.0.9.');
      const port = (await answered(create({}), 201)).port;
      await neutronFault(update(port.id, { allowed_address_pairs: [{ ip_address: '10.44.0.9' }, { ip_address: '10.44.0.9', mac_address: port.mac_address }] }),
        400, 'DuplicateAddressPairInRequest');
      assert.deepEqual(await pairsOf(port.id), [], 'a refused update changes nothing');
      // The same address under two MACs is two pairs.
      const twoMacs = [{ ip_address: '10.44.0.9', mac_address: 'fa:16:3e:00:00:04' }, { ip_address: '10.44.0.9', mac_address: 'fa:16:3e:00:00:05' }];
      assert.deepEqual((await answered(update(port.id, { allowed_address_pairs: twoMacs }), 200)).port.allowed_address_pairs, twoMacs);
    });

    test('more than 10 pairs is 400 AllowedAddressPairExhausted; 10 are fine', async () => {
      const pairs = (n: number) => Array.from({ length: n }, (_, i) => ({ ip_address: `10.44.1.${i + 1}` }));
      assert.equal(await neutronFault(create({ allowed_address_pairs: pairs(11) }), 400, 'AllowedAddressPairExhausted'),
        'The number of allowed address pair exceeds the maximum 10.');
      const port = (await answered(create({ allowed_address_pairs: pairs(10) }), 201)).port;
      assert.equal(port.allowed_address_pairs.length, 10);
      await neutronFault(update(port.id, { allowed_address_pairs: pairs(11) }), 400, 'AllowedAddressPairExhausted');
      assert.equal((await pairsOf(port.id)).length, 10);
    });

    test('pairs need port security: 409 AddressPairAndPortSecurityRequired either way round', async () => {
      const required = 'Port Security must be enabled in order to have allowed address pairs on a port.';
      assert.equal(await neutronFault(create({ port_security_enabled: false, allowed_address_pairs: [{ ip_address: '10.44.0.20' }] }), 409,
        'AddressPairAndPortSecurityRequired'), required);
      const open = (await answered(create({ port_security_enabled: false, allowed_address_pairs: [] }), 201)).port;
      await neutronFault(update(open.id, { allowed_address_pairs: [{ ip_address: '10.44.0.20' }] }), 409, 'AddressPairAndPortSecurityRequired');

      const paired = (await answered(create({ allowed_address_pairs: [{ ip_address: '10.44.0.21' }] }), 201)).port;
      await neutronFault(update(paired.id, { port_security_enabled: false }), 409, 'AddressPairAndPortSecurityRequired');
      const still = (await answered(call('demo', 'GET', `/ports/${paired.id}`), 200)).port;
      assert.equal(still.port_security_enabled, true, 'the refused update left port security on');
      // Clearing the pairs in the same request is what Neutron lets through.
      const off = (await answered(update(paired.id, { port_security_enabled: false, allowed_address_pairs: [], security_groups: [] }), 200)).port;
      assert.equal(off.port_security_enabled, false);
      assert.deepEqual(off.allowed_address_pairs, []);
      // Turning it back on with pairs in one request is allowed too.
      const on = (await answered(update(paired.id, { port_security_enabled: true, allowed_address_pairs: [{ ip_address: '10.44.0.22' }] }), 200)).port;
      assert.deepEqual(on.allowed_address_pairs.map((p: { ip_address: string }) => p.ip_address), ['10.44.0.22']);
    });

    test('the pairs go with their port', async () => {
      const port = (await answered(create({ allowed_address_pairs: [{ ip_address: '10.44.0.30', mac_address: 'fa:16:3e:00:00:06' }] }), 201)).port;
      const res = await call('demo', 'DELETE', `/ports/${port.id}`);
      assert.equal(res.status, 204);
      const left = await api.fx.db.selectFrom('neutron_allowed_address_pairs').selectAll().where('port_id', '=', port.id).execute();
      assert.deepEqual(left, []);
    });

    test('allowed_address_pairs is not a filter (Neutron does not offer it as one)', async () => {
      await neutronFault(call('demo', 'GET', '/ports?allowed_address_pairs=10.44.0.200'), 400);
    });
  });
}
