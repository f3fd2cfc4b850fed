/** Router and floating IP bodies (neutron-lib's l3 and l3-ext-gw-mode attribute maps). */
import { BadRequest } from '../../../errors.js';
import { fits, showValue } from '../../../http/validation.js';
import { boolean, list, resource, string, tags, uuid, type Body } from './common.js';
import { fixedIp } from './ports.js';

/** null or {} clears the gateway (what `openstack router unset --external-gateway` sends). */
const gatewayInfo = {
  type: ['object', 'null'],
  properties: { network_id: uuid, enable_snat: boolean, external_fixed_ips: list(fixedIp) },
  additionalProperties: false,
  'x-reason': { type: "'%v' is not a dictionary" },
} as const;

const routerSettable = {
  name: string(), description: string(), admin_state_up: boolean, external_gateway_info: gatewayInfo,
  // The one zone there is, and no extra routes (extraroute is not offered).
  availability_zone_hints: list({ type: 'string', enum: ['nova'] }),
};
const ROUTER_READ_ONLY = ['id', 'status', 'tenant_id', 'project_id', 'availability_zones', 'created_at', 'updated_at', 'revision_number', 'tags'];

export const routerCreate = resource('POST', { ...routerSettable, tenant_id: string(), project_id: string(), tags }, ROUTER_READ_ONLY);
export const routerUpdate = resource('PUT', routerSettable, [...ROUTER_READ_ONLY, 'availability_zone_hints']);

const badRouter = (msg: string) => new BadRequest(`Bad router request: ${msg}.`, { type: 'BadRequest' });

/**
 * Neutron's _validate_interface_info for the unwrapped body of
 * add_router_interface / remove_router_interface: which of subnet_id and
 * port_id it names, each a UUID.
 */
export function interfaceInfo(body: unknown, forRemoval: boolean): { subnet_id?: string; port_id?: string } {
  const b = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Body;
  const port = Object.hasOwn(b, 'port_id');
  const subnet = Object.hasOwn(b, 'subnet_id');
  if (!port && !subnet) throw badRouter('Either subnet_id or port_id must be specified');
  for (const key of ['port_id', 'subnet_id']) {
    if (Object.hasOwn(b, key) && !fits(uuid, b[key])) throw badRouter(`'${showValue(b[key])}' is not a valid UUID`);
  }
  if (!forRemoval && port && subnet) throw badRouter('Cannot specify both subnet-id and port-id');
  return { ...(subnet ? { subnet_id: b.subnet_id as string } : {}), ...(port ? { port_id: b.port_id as string } : {}) };
}

const fipSettable = {
  description: string(),
  port_id: { anyOf: [uuid, { type: 'null' }], 'x-reason': "'%v' is not a valid UUID" },
  fixed_ip_address: string(64),
};
const FIP_READ_ONLY = ['id', 'status', 'router_id', 'created_at', 'updated_at', 'revision_number', 'tags'];

export const floatingIpCreate = resource('POST', {
  ...fipSettable, floating_network_id: uuid, subnet_id: uuid, floating_ip_address: string(64),
  tenant_id: string(), project_id: string(), tags,
}, FIP_READ_ONLY, ['floating_network_id']);

export const floatingIpUpdate = resource('PUT', fipSettable,
  [...FIP_READ_ONLY, 'floating_network_id', 'subnet_id', 'floating_ip_address', 'tenant_id', 'project_id']);
