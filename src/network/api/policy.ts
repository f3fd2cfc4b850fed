/**
 * Neutron's default policy for the resources we serve, as Neutron 2026.1 has
 * it (neutron/conf/policies/{network,subnet,port,quotas,trunk,router,floatingip,network_ip_availability}.py), less the
 * service, advsvc and manager roles: this cloud issues none of them, so their
 * alternatives could never match. NETWORK_POLICY_DEFAULTS
 * lists the rules in oslo.policy syntax (for a policy engine that registers
 * them and honours policy.yaml overrides); NeutronDefaultPolicy evaluates the
 * same defaults directly and is what the API uses when no engine is given.
 */
import type { AuthContext } from '../../http/auth.js';
import { ApiError, PolicyNotAuthorized } from '../../errors.js';
import type { Authorizer, PolicyRuleDefault, PolicyTarget } from '../../policy/types.js';
import { policyDenied } from '../errors.js';

const ADMIN = 'role:admin';
const OWNER_MEMBER = 'role:member and project_id:%(project_id)s';
const OWNER_READER = 'role:reader and project_id:%(project_id)s';
const NET_OWNER_MEMBER = 'role:member and project_id:%(network:project_id)s';
const NET_OWNER_READER = 'role:reader and project_id:%(network:project_id)s';

export const NETWORK_POLICY_DEFAULTS: PolicyRuleDefault[] = [
  { name: 'create_network', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'create_network:shared', checkStr: ADMIN },
  { name: 'create_network:router:external', checkStr: ADMIN },
  { name: 'create_network:provider:network_type', checkStr: ADMIN },
  { name: 'create_network:provider:physical_network', checkStr: ADMIN },
  { name: 'create_network:provider:segmentation_id', checkStr: ADMIN },
  { name: 'get_network:provider:network_type', checkStr: ADMIN },
  { name: 'get_network:provider:physical_network', checkStr: ADMIN },
  { name: 'get_network:provider:segmentation_id', checkStr: ADMIN },
  { name: 'update_network:provider:network_type', checkStr: ADMIN },
  { name: 'update_network:provider:physical_network', checkStr: ADMIN },
  { name: 'update_network:provider:segmentation_id', checkStr: ADMIN },
  { name: 'get_network', checkStr: `${ADMIN} or (${OWNER_READER}) or field:networks:shared=True or field:networks:router:external=True` },
  { name: 'update_network', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'update_network:shared', checkStr: ADMIN },
  { name: 'update_network:router:external', checkStr: ADMIN },
  { name: 'delete_network', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'create_subnet', checkStr: `${ADMIN} or (${NET_OWNER_MEMBER})` },
  { name: 'get_subnet', checkStr: `${ADMIN} or (${OWNER_READER}) or (${NET_OWNER_READER}) or field:networks:shared=True` },
  { name: 'update_subnet', checkStr: `${ADMIN} or (${OWNER_MEMBER}) or (${NET_OWNER_MEMBER})` },
  { name: 'delete_subnet', checkStr: `${ADMIN} or (${OWNER_MEMBER}) or (${NET_OWNER_MEMBER})` },
  { name: 'create_port', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'create_port:device_owner', checkStr: `not rule:network_device or ${ADMIN} or (${NET_OWNER_MEMBER})` },
  { name: 'create_port:mac_address', checkStr: `${ADMIN} or (${NET_OWNER_MEMBER})` },
  { name: 'create_port:fixed_ips', checkStr: `${ADMIN} or (${NET_OWNER_MEMBER}) or field:networks:shared=True` },
  { name: 'create_port:fixed_ips:ip_address', checkStr: `${ADMIN} or (${NET_OWNER_MEMBER})` },
  { name: 'create_port:fixed_ips:subnet_id', checkStr: `${ADMIN} or (${NET_OWNER_MEMBER}) or field:networks:shared=True` },
  { name: 'create_port:port_security_enabled', checkStr: `${ADMIN} or (${NET_OWNER_MEMBER})` },
  { name: 'create_port:allowed_address_pairs', checkStr: `${ADMIN} or (${NET_OWNER_MEMBER})` },
  { name: 'create_port:binding:host_id', checkStr: ADMIN },
  { name: 'create_port:binding:profile', checkStr: ADMIN },
  { name: 'get_port', checkStr: `${ADMIN} or (${OWNER_READER}) or (${NET_OWNER_READER})` },
  { name: 'get_port:binding:vif_type', checkStr: ADMIN },
  { name: 'get_port:binding:vif_details', checkStr: ADMIN },
  { name: 'get_port:binding:host_id', checkStr: ADMIN },
  { name: 'get_port:binding:profile', checkStr: ADMIN },
  { name: 'update_port', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'update_port:device_owner', checkStr: `not rule:network_device or ${ADMIN} or (${NET_OWNER_MEMBER})` },
  { name: 'update_port:mac_address', checkStr: ADMIN },
  { name: 'update_port:fixed_ips', checkStr: `${ADMIN} or (${NET_OWNER_MEMBER})` },
  { name: 'update_port:fixed_ips:ip_address', checkStr: `${ADMIN} or (${NET_OWNER_MEMBER})` },
  { name: 'update_port:fixed_ips:subnet_id', checkStr: `${ADMIN} or (${NET_OWNER_MEMBER}) or field:networks:shared=True` },
  { name: 'update_port:port_security_enabled', checkStr: `${ADMIN} or (${NET_OWNER_MEMBER})` },
  { name: 'update_port:allowed_address_pairs', checkStr: `${ADMIN} or (${NET_OWNER_MEMBER})` },
  { name: 'update_port:binding:host_id', checkStr: ADMIN },
  { name: 'update_port:binding:profile', checkStr: ADMIN },
  { name: 'delete_port', checkStr: `${ADMIN} or (${OWNER_MEMBER}) or (${NET_OWNER_MEMBER})` },
  { name: 'get_quota', checkStr: `${ADMIN} or (${OWNER_READER})` },
  { name: 'network_device', checkStr: 'field:port:device_owner=~^network:' },
  { name: 'create_security_group', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'get_security_group', checkStr: `${ADMIN} or (${OWNER_READER})` },
  { name: 'update_security_group', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'delete_security_group', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'create_security_group_rule', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'get_security_group_rule', checkStr: `${ADMIN} or (${OWNER_READER})` },
  { name: 'delete_security_group_rule', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'create_trunk', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'get_trunk', checkStr: `${ADMIN} or (${OWNER_READER})` },
  { name: 'update_trunk', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'delete_trunk', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'get_subports', checkStr: `${ADMIN} or (${OWNER_READER})` },
  { name: 'add_subports', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'remove_subports', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'create_router', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'create_router:external_gateway_info', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'create_router:external_gateway_info:network_id', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'create_router:external_gateway_info:enable_snat', checkStr: ADMIN },
  { name: 'create_router:external_gateway_info:external_fixed_ips', checkStr: ADMIN },
  { name: 'get_router', checkStr: `${ADMIN} or (${OWNER_READER})` },
  { name: 'update_router', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'update_router:external_gateway_info', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'update_router:external_gateway_info:network_id', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'update_router:external_gateway_info:enable_snat', checkStr: ADMIN },
  { name: 'update_router:external_gateway_info:external_fixed_ips', checkStr: ADMIN },
  { name: 'delete_router', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'add_router_interface', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'remove_router_interface', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'create_floatingip', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'create_floatingip:floating_ip_address', checkStr: ADMIN },
  { name: 'get_floatingip', checkStr: `${ADMIN} or (${OWNER_READER})` },
  { name: 'update_floatingip', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'delete_floatingip', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'get_network_ip_availability', checkStr: ADMIN },
  { name: 'create_address_scope', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'create_address_scope:shared', checkStr: ADMIN },
  { name: 'get_address_scope', checkStr: `${ADMIN} or (${OWNER_READER}) or field:address_scopes:shared=True` },
  { name: 'update_address_scope', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'update_address_scope:shared', checkStr: ADMIN },
  { name: 'delete_address_scope', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'create_subnetpool', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'create_subnetpool:shared', checkStr: ADMIN },
  { name: 'create_subnetpool:is_default', checkStr: ADMIN },
  { name: 'get_subnetpool', checkStr: `${ADMIN} or (${OWNER_READER}) or field:subnetpools:shared=True` },
  { name: 'update_subnetpool', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'update_subnetpool:is_default', checkStr: ADMIN },
  { name: 'delete_subnetpool', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'create_rbac_policy', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'create_rbac_policy:target_tenant', checkStr: `${ADMIN} or (not field:rbac_policy:target_tenant=* and not field:rbac_policy:target_project=*)` },
  { name: 'update_rbac_policy', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'update_rbac_policy:target_tenant', checkStr: `${ADMIN} or (not field:rbac_policy:target_tenant=* and not field:rbac_policy:target_project=*)` },
  { name: 'get_rbac_policy', checkStr: `${ADMIN} or (${OWNER_READER})` },
  { name: 'delete_rbac_policy', checkStr: `${ADMIN} or (${OWNER_MEMBER})` },
  { name: 'get_availability_zone', checkStr: '@' },
  { name: 'get_service_provider', checkStr: '@' },
  { name: 'get_agent', checkStr: ADMIN },
  { name: 'update_agent', checkStr: ADMIN },
  { name: 'delete_agent', checkStr: ADMIN },
];

type Rule = (ctx: { auth: AuthContext; t: PolicyTarget }) => boolean;

const has = (auth: AuthContext, role: string) =>
  auth.roles.includes(role) || (role === 'reader' && auth.roles.includes('member')) || auth.roles.includes('admin');
const admin: Rule = ({ auth }) => auth.roles.includes('admin');
const ownerMember: Rule = ({ auth, t }) => has(auth, 'member') && t.project_id === auth.projectId;
const ownerReader: Rule = ({ auth, t }) => has(auth, 'reader') && t.project_id === auth.projectId;
const netOwnerMember: Rule = ({ auth, t }) => has(auth, 'member') && t['network:project_id'] === auth.projectId;
const netOwnerReader: Rule = ({ auth, t }) => has(auth, 'reader') && t['network:project_id'] === auth.projectId;
const shared: Rule = ({ t }) => t.shared === true || t['network:shared'] === true;
const external: Rule = ({ t }) => t['router:external'] === true;
const notNetworkDevice: Rule = ({ t }) => !String(t.device_owner ?? '').startsWith('network:');
const any = (...rules: Rule[]): Rule => (ctx) => rules.some((r) => r(ctx));
const notWildcardTarget: Rule = ({ t }) => t.target_tenant !== '*' && t.target_project !== '*';

const RULES: Record<string, Rule> = {
  create_network: any(admin, ownerMember),
  'create_network:shared': admin,
  'create_network:router:external': admin,
  'create_network:provider:network_type': admin,
  'create_network:provider:physical_network': admin,
  'create_network:provider:segmentation_id': admin,
  'get_network:provider:network_type': admin,
  'get_network:provider:physical_network': admin,
  'get_network:provider:segmentation_id': admin,
  'update_network:provider:network_type': admin,
  'update_network:provider:physical_network': admin,
  'update_network:provider:segmentation_id': admin,
  get_network: any(admin, ownerReader, shared, external),
  update_network: any(admin, ownerMember),
  'update_network:shared': admin,
  'update_network:router:external': admin,
  delete_network: any(admin, ownerMember),
  create_subnet: any(admin, netOwnerMember),
  get_subnet: any(admin, ownerReader, netOwnerReader, shared),
  update_subnet: any(admin, ownerMember, netOwnerMember),
  delete_subnet: any(admin, ownerMember, netOwnerMember),
  create_port: any(admin, ownerMember),
  'create_port:device_owner': any(notNetworkDevice, admin, netOwnerMember),
  'create_port:mac_address': any(admin, netOwnerMember),
  'create_port:fixed_ips': any(admin, netOwnerMember, shared),
  'create_port:fixed_ips:ip_address': any(admin, netOwnerMember),
  'create_port:fixed_ips:subnet_id': any(admin, netOwnerMember, shared),
  'create_port:port_security_enabled': any(admin, netOwnerMember),
  'create_port:allowed_address_pairs': any(admin, netOwnerMember),
  'create_port:binding:host_id': admin,
  'create_port:binding:profile': admin,
  get_port: any(admin, ownerReader, netOwnerReader),
  'get_port:binding:vif_type': admin,
  'get_port:binding:vif_details': admin,
  'get_port:binding:host_id': admin,
  'get_port:binding:profile': admin,
  update_port: any(admin, ownerMember),
  'update_port:device_owner': any(notNetworkDevice, admin, netOwnerMember),
  'update_port:mac_address': admin,
  'update_port:fixed_ips': any(admin, netOwnerMember),
  'update_port:fixed_ips:ip_address': any(admin, netOwnerMember),
  'update_port:fixed_ips:subnet_id': any(admin, netOwnerMember, shared),
  'update_port:port_security_enabled': any(admin, netOwnerMember),
  'update_port:allowed_address_pairs': any(admin, netOwnerMember),
  'update_port:binding:host_id': admin,
  'update_port:binding:profile': admin,
  delete_port: any(admin, ownerMember, netOwnerMember),
  get_quota: any(admin, ownerReader),
  create_security_group: any(admin, ownerMember),
  get_security_group: any(admin, ownerReader),
  update_security_group: any(admin, ownerMember),
  delete_security_group: any(admin, ownerMember),
  create_security_group_rule: any(admin, ownerMember),
  get_security_group_rule: any(admin, ownerReader),
  delete_security_group_rule: any(admin, ownerMember),
  create_trunk: any(admin, ownerMember),
  get_trunk: any(admin, ownerReader),
  update_trunk: any(admin, ownerMember),
  delete_trunk: any(admin, ownerMember),
  get_subports: any(admin, ownerReader),
  add_subports: any(admin, ownerMember),
  remove_subports: any(admin, ownerMember),
  create_router: any(admin, ownerMember),
  'create_router:external_gateway_info': any(admin, ownerMember),
  'create_router:external_gateway_info:network_id': any(admin, ownerMember),
  'create_router:external_gateway_info:enable_snat': admin,
  'create_router:external_gateway_info:external_fixed_ips': admin,
  get_router: any(admin, ownerReader),
  update_router: any(admin, ownerMember),
  'update_router:external_gateway_info': any(admin, ownerMember),
  'update_router:external_gateway_info:network_id': any(admin, ownerMember),
  'update_router:external_gateway_info:enable_snat': admin,
  'update_router:external_gateway_info:external_fixed_ips': admin,
  delete_router: any(admin, ownerMember),
  add_router_interface: any(admin, ownerMember),
  remove_router_interface: any(admin, ownerMember),
  create_floatingip: any(admin, ownerMember),
  'create_floatingip:floating_ip_address': admin,
  get_floatingip: any(admin, ownerReader),
  update_floatingip: any(admin, ownerMember),
  delete_floatingip: any(admin, ownerMember),
  get_network_ip_availability: admin,
  create_address_scope: any(admin, ownerMember),
  'create_address_scope:shared': admin,
  get_address_scope: any(admin, ownerReader, shared),
  update_address_scope: any(admin, ownerMember),
  'update_address_scope:shared': admin,
  delete_address_scope: any(admin, ownerMember),
  create_subnetpool: any(admin, ownerMember),
  'create_subnetpool:shared': admin,
  'create_subnetpool:is_default': admin,
  get_subnetpool: any(admin, ownerReader, shared),
  update_subnetpool: any(admin, ownerMember),
  'update_subnetpool:is_default': admin,
  delete_subnetpool: any(admin, ownerMember),
  create_rbac_policy: any(admin, ownerMember),
  'create_rbac_policy:target_tenant': any(admin, notWildcardTarget),
  update_rbac_policy: any(admin, ownerMember),
  'update_rbac_policy:target_tenant': any(admin, notWildcardTarget),
  get_rbac_policy: any(admin, ownerReader),
  delete_rbac_policy: any(admin, ownerMember),
  get_availability_zone: () => true,
  get_service_provider: () => true,
  get_agent: admin,
  update_agent: admin,
  delete_agent: admin,
};

/** Neutron's defaults, evaluated without a policy file. Unknown actions are admin-only. */
export class NeutronDefaultPolicy implements Authorizer {
  allowed(action: string, target: PolicyTarget, auth: AuthContext): boolean {
    return (RULES[action] ?? admin)({ auth, t: target });
  }

  authorize(action: string, target: PolicyTarget, auth: AuthContext): void {
    if (!this.allowed(action, target, auth)) throw new PolicyNotAuthorized(action);
  }
}

/** Authorize with Neutron's 403 wording, whichever engine decides. */
export function enforce(policy: Authorizer, action: string, target: PolicyTarget, auth: AuthContext): void {
  try {
    policy.authorize(action, target, auth);
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) throw policyDenied(action);
    throw err;
  }
}
