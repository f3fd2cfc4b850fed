/** Neutron's JSON shapes for networks, subnets and ports. */
import type { NetworkRecord, PortRecord, SubnetRecord, TrunkRecord } from '../model.js';
import type { RouterRecord } from '../routers.js';
import type { FloatingIpRecord } from '../floating-ips.js';
import type { SubnetPoolRecord } from '../subnet-pools.js';
import type { AddressScopeRow } from '../tables.js';
import type { RbacPolicyRow } from '../tables.js';
import type { SubportRow } from '../tables.js';
import type { VifBinding } from '../network-info.js';

export type View = Record<string, unknown>;

/** Neutron shows timestamps to the second, with a Z. */
function ts(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

export const DEFAULT_AVAILABILITY_ZONE = 'nova';

/** `showProvider`: whether the caller may see the provider:* attributes (admin only by default). */
export function networkView({ network: n, subnetIds, tags }: NetworkRecord, showProvider = false): View {
  const view: View = {
    id: n.id,
    name: n.name,
    tenant_id: n.project_id,
    project_id: n.project_id,
    admin_state_up: n.admin_state_up === 1,
    mtu: n.mtu,
    status: n.status,
    subnets: subnetIds,
    shared: n.shared === 1,
    availability_zone_hints: [],
    availability_zones: [DEFAULT_AVAILABILITY_ZONE],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    'router:external': n.router_external === 1,
    description: n.description,
    port_security_enabled: n.port_security_enabled === 1,
    l2_adjacency: true,
    tags,
    created_at: ts(n.created_at),
    updated_at: ts(n.updated_at),
    revision_number: n.revision_number,
  };
  if (showProvider) {
    view['provider:network_type'] = n.provider_network_type;
    view['provider:physical_network'] = n.provider_physical_network;
    view['provider:segmentation_id'] = n.provider_segmentation_id === null ? null : Number(n.provider_segmentation_id);
  }
  return view;
}

export function subnetView({ subnet: s, tags }: SubnetRecord): View {
  return {
    id: s.id,
    name: s.name,
    tenant_id: s.project_id,
    project_id: s.project_id,
    network_id: s.network_id,
    ip_version: s.ip_version,
    subnetpool_id: s.subnetpool_id,
    enable_dhcp: s.enable_dhcp === 1,
    ipv6_ra_mode: null,
    ipv6_address_mode: null,
    gateway_ip: s.gateway_ip,
    cidr: s.cidr,
    allocation_pools: JSON.parse(s.allocation_pools),
    host_routes: JSON.parse(s.host_routes),
    dns_nameservers: JSON.parse(s.dns_nameservers),
    description: s.description,
    service_types: [],
    segment_id: null,
    tags,
    created_at: ts(s.created_at),
    updated_at: ts(s.updated_at),
    revision_number: s.revision_number,
  };
}

/** `showBinding`: whether the caller may see the binding:* details (admin only by default). */
export function portView({ port: p, fixedIps, tags, trunkDetails, securityGroups, allowedAddressPairs }: PortRecord, binding: VifBinding, showBinding: boolean): View {
  const bound = p.binding_host_id !== '';
  const view: View = {
    id: p.id,
    name: p.name,
    network_id: p.network_id,
    tenant_id: p.project_id,
    project_id: p.project_id,
    mac_address: p.mac_address,
    admin_state_up: p.admin_state_up === 1,
    status: p.status,
    device_id: p.device_id,
    device_owner: p.device_owner,
    fixed_ips: fixedIps.map((ip) => ({ subnet_id: ip.subnet_id, ip_address: ip.ip_address })),
    allowed_address_pairs: (allowedAddressPairs ?? []).map((a) => ({ ip_address: a.ip_address, mac_address: a.mac_address })),
    extra_dhcp_opts: [],
    security_groups: securityGroups ?? [],
    description: p.description,
    'binding:vnic_type': p.binding_vnic_type,
    port_security_enabled: p.port_security_enabled === 1,
    ip_allocation: 'immediate',
    tags,
    created_at: ts(p.created_at),
    updated_at: ts(p.updated_at),
    revision_number: p.revision_number,
  };
  if (trunkDetails) view.trunk_details = trunkDetails;
  if (showBinding) {
    view['binding:host_id'] = p.binding_host_id;
    view['binding:profile'] = JSON.parse(p.binding_profile);
    view['binding:vif_type'] = bound ? binding.vifType : 'unbound';
    view['binding:vif_details'] = bound ? binding.vifDetails : {};
    // What Nova keeps in its info cache as preserve_on_delete, for a compute host reaching this API over HTTP.
    view['kilonova:created_by_compute'] = p.created_by_compute === 1;
  }
  return view;
}

export function subportView(s: SubportRow): View {
  return { segmentation_id: Number(s.segmentation_id), segmentation_type: s.segmentation_type, port_id: s.port_id };
}

export function trunkView({ trunk: t, subports, tags }: TrunkRecord): View {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    port_id: t.port_id,
    sub_ports: subports.map(subportView),
    status: t.status,
    admin_state_up: t.admin_state_up === 1,
    tenant_id: t.project_id,
    project_id: t.project_id,
    tags,
    created_at: ts(t.created_at),
    updated_at: ts(t.updated_at),
    revision_number: t.revision_number,
  };
}

export function routerView({ router: r, gateway, tags }: RouterRecord): View {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    tenant_id: r.project_id,
    project_id: r.project_id,
    status: r.status,
    admin_state_up: r.admin_state_up === 1,
    external_gateway_info: gateway && {
      network_id: gateway.network_id,
      enable_snat: gateway.enable_snat,
      external_fixed_ips: gateway.external_fixed_ips.map((ip) => ({ subnet_id: ip.subnet_id, ip_address: ip.ip_address })),
    },
    availability_zone_hints: [],
    availability_zones: [DEFAULT_AVAILABILITY_ZONE],
    tags,
    created_at: ts(r.created_at),
    updated_at: ts(r.updated_at),
    revision_number: r.revision_number,
  };
}

export function floatingIpView({ fip: f, tags }: FloatingIpRecord): View {
  return {
    id: f.id,
    tenant_id: f.project_id,
    project_id: f.project_id,
    description: f.description,
    floating_network_id: f.floating_network_id,
    floating_ip_address: f.floating_ip_address,
    fixed_ip_address: f.fixed_ip_address,
    port_id: f.fixed_port_id,
    router_id: f.router_id,
    status: f.status,
    tags,
    created_at: ts(f.created_at),
    updated_at: ts(f.updated_at),
    revision_number: f.revision_number,
  };
}

export function addressScopeView(a: AddressScopeRow): View {
  return {
    id: a.id, name: a.name, tenant_id: a.project_id, project_id: a.project_id, shared: a.shared === 1, ip_version: a.ip_version,
    created_at: ts(a.created_at), updated_at: ts(a.updated_at), revision_number: a.revision_number,
  };
}

export function subnetPoolView({ pool: p, tags }: SubnetPoolRecord): View {
  return {
    id: p.id, name: p.name, description: p.description, tenant_id: p.project_id, project_id: p.project_id,
    prefixes: JSON.parse(p.prefixes), ip_version: p.ip_version, default_prefixlen: p.default_prefixlen,
    min_prefixlen: p.min_prefixlen, max_prefixlen: p.max_prefixlen, shared: p.shared === 1, is_default: p.is_default === 1,
    default_quota: null, address_scope_id: p.address_scope_id, tags,
    created_at: ts(p.created_at), updated_at: ts(p.updated_at), revision_number: p.revision_number,
  };
}

/** Keep only the requested `fields` (Neutron's fields query parameter). */
export function selectFields(view: View, fields: readonly string[] | undefined): View {
  if (!fields || fields.length === 0) return view;
  const out: View = {};
  for (const f of fields) if (f in view) out[f] = view[f];
  return out;
}

export function rbacPolicyView(r: RbacPolicyRow): View {
  return {
    id: r.id, project_id: r.project_id, tenant_id: r.project_id, object_type: r.object_type, object_id: r.object_id,
    action: r.action, target_tenant: r.target_project, target_project: r.target_project,
  };
}
