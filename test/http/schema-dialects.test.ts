/**
 * One validation mechanism, each service's words: the same Ajv run refuses a
 * body, and the fault reads as Nova, Keystone, Neutron, placement or Glance
 * would write it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { glance, keystone, neutron, nova, placement, placementQuery, validate, type Dialect } from '../../src/http/validation.js';
import { ApiError } from '../../src/errors.js';
import { networkCreate, networkUpdate } from '../../src/network/api/schemas/networks.js';
import { subnetCreate } from '../../src/network/api/schemas/subnets.js';
import { portCreate } from '../../src/network/api/schemas/ports.js';
import { allocationsPost, allocationsPut } from '../../src/placement/api/schemas/allocations.js';
import { inventoriesReplace } from '../../src/placement/api/schemas/inventories.js';
import { providerListQuery } from '../../src/placement/api/schemas/resource-providers.js';
import { authCreate } from '../../src/identity/api/schemas/tokens.js';
import { projectCreate } from '../../src/identity/api/schemas/projects.js';
import { imageCreate } from '../../src/image/api/schemas/images.js';

function refusal(schema: object, body: unknown, dialect: Dialect): string {
  try {
    validate(schema, body, dialect);
  } catch (err) {
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 400);
    return err.message;
  }
  assert.fail('the body was accepted');
}

const at = (version: string) => (v: string) => {
  const [am, an] = v.split('.').map(Number) as [number, number];
  const [bm, bn] = version.split('.').map(Number) as [number, number];
  return am < bm || (am === bm && an <= bn);
};
const RP = 'b0f1e5e4-55cb-4c2e-a1a4-1b2c3d4e5f60';

test('Nova: the field, its value and the reason', () => {
  const schema = { type: 'object', properties: { name: { type: 'string', maxLength: 3 } }, required: ['name'], additionalProperties: false };
  assert.equal(refusal(schema, { name: 'long' }, nova), 'Invalid input for field/attribute name. Value: long. must NOT have more than 3 characters');
  assert.equal(refusal(schema, { name: 'a', x: 1 }, nova), "Additional properties are not allowed ('x' was unexpected)");
});

test('Keystone: jsonschema clauses after the path inside the body', () => {
  assert.equal(refusal(projectCreate, { name: 5 }, keystone), "Invalid input for field 'name': 5 is not of type 'string'");
  assert.equal(refusal(projectCreate, { name: '   ' }, keystone), "Invalid input for field 'name': '   ' does not match '\\S'");
  assert.equal(refusal(projectCreate, { name: 'p', tags: ['a,b'] }, keystone), "Invalid input for field 'tags/0': 'a,b' does not match '^[^,/]*$'");
  assert.equal(refusal(authCreate, { auth: { identity: { methods: ['password'] } } }, keystone),
    "Invalid input for field 'auth/identity': 'password' is a required property");
  assert.equal(refusal(authCreate, { auth: { identity: { methods: [] } } }, keystone), "Invalid input for field 'auth/identity/methods': [] is too short");
});

test('Neutron: unknown attributes all named, read-only ones by method, then required, then the attribute and reason', () => {
  assert.equal(refusal(networkCreate, { colour: 'blue', size: 1 }, neutron), "Unrecognized attribute(s) 'colour, size'");
  assert.equal(refusal(networkCreate, { status: 'DOWN' }, neutron), "Attribute 'status' not allowed in POST");
  assert.equal(refusal(networkUpdate, { id: 'x' }, neutron), 'Cannot update read-only attribute id');
  assert.equal(refusal(portCreate, { name: 'p' }, neutron), "Failed to parse request. Required attribute 'network_id' not specified");
  assert.equal(refusal(networkCreate, { admin_state_up: 'maybe' }, neutron), "Invalid input for admin_state_up. Reason: 'maybe' is not a valid boolean value");
  assert.equal(refusal(networkCreate, { name: 'x'.repeat(256) }, neutron).endsWith('exceeds maximum length of 255'), true);
  assert.equal(refusal(subnetCreate, { network_id: 'n', cidr: 'c', ip_version: 7 }, neutron), "Invalid input for ip_version. Reason: '7' is not in [4, 6]");
  assert.equal(refusal(subnetCreate, { network_id: 'n', cidr: 'c', ip_version: 4, allocation_pools: [{ start: 'x' }] }, neutron),
    'Invalid input for allocation_pools. Reason: Invalid data format for IP pool: \'{"start":"x"}\'');
  assert.equal(refusal(portCreate, { network_id: 'n', fixed_ips: [{ subnet_id: 's', colour: 1 }] }, neutron),
    "Invalid input for fixed_ips. Reason: Unrecognized attribute(s) 'colour'");
  assert.equal(refusal(portCreate, { network_id: 'n', fixed_ips: [{}] }, neutron), 'Invalid input for fixed_ips. Reason: each entry needs subnet_id or ip_address');
  // Neutron's converters take these spellings; the schema lets them through for the handler to convert.
  validate(networkCreate, { admin_state_up: 'TRUE', shared: 0, mtu: '1500' }, neutron);
});

test('placement: "JSON does not validate" with the path of the value, per microversion', () => {
  const body = { allocations: { [RP]: { resources: { VCPU: 1 } } }, project_id: 'p', user_id: 'u' };
  validate(allocationsPut(at('1.12')), body, placement);
  assert.equal(refusal(allocationsPut(at('1.28')), body, placement), "JSON does not validate: 'consumer_generation' is a required property in body");
  assert.equal(refusal(allocationsPut(at('1.0')), { allocations: [{ resource_provider: { uuid: 'x' }, resources: { VCPU: 1 } }] }, placement),
    "JSON does not validate: allocations[0].resource_provider.uuid is not a 'uuid'");
  assert.equal(refusal(allocationsPut(at('1.12')), { ...body, allocations: { [RP]: { resources: { vcpu: 1 } } } }, placement),
    `JSON does not validate: 'vcpu' does not match any of the regexes: '^[A-Z0-9_]+$' in allocations.${RP}.resources`);
  assert.equal(refusal(allocationsPost(at('1.13')), {}, placement), 'JSON does not validate: body does not have enough properties');
  assert.equal(refusal(inventoriesReplace, { resource_provider_generation: 0, inventories: { VCPU: { total: 1, x: 1, y: 2 } } }, placement),
    "JSON does not validate: Additional properties are not allowed ('x', 'y' were unexpected) in inventories.VCPU");
  assert.equal(refusal(inventoriesReplace, { resource_provider_generation: 0, inventories: { VCPU: { total: 0 } } }, placement),
    'JSON does not validate: inventories.VCPU.total is less than the minimum of 1');
});

test('placement query strings: parameters per microversion', () => {
  assert.equal(refusal(providerListQuery(at('1.13')), { in_tree: RP }, placementQuery),
    "Invalid query string parameters: Additional properties are not allowed ('in_tree' was unexpected)");
  validate(providerListQuery(at('1.14')), { in_tree: RP }, placementQuery);
  assert.equal(refusal(providerListQuery(at('1.0')), { uuid: 'nope' }, placementQuery), "Invalid query string parameters: 'nope' is not a 'uuid'");
});

test('Glance: the object does not match the image schema, naming the attribute', () => {
  assert.equal(refusal(imageCreate, { name: 5 }, glance), "Provided object does not match schema 'image': 5 is not of type 'null', 'string' (name)");
  assert.equal(refusal(imageCreate, { disk_format: 'floppy' }, glance).startsWith("Provided object does not match schema 'image': \"floppy\" is not one of"), true);
  assert.equal(refusal(imageCreate, { colour: 5 }, glance), "Provided object does not match schema 'image': 5 is not of type 'string' (colour)");
  assert.equal(refusal(imageCreate, { tags: [5] }, glance), "Provided object does not match schema 'image': 5 is not of type 'string' (tags items)");
  assert.equal(refusal(imageCreate, { ['k'.repeat(256)]: 'v' }, glance), 'Custom property should not be greater than 255 characters.');
});
