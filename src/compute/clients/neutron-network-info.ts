/**
 * Nova's network_info (the VIFs handed to the virt driver and cached on the
 * instance) built from Neutron's API answers, as neutron.py's
 * _build_network_info_model does: one VIF per port, with its network and the
 * subnets it has addresses on.
 */
import type { VifInfo } from '../../virt/driver.js';

/** The port attributes this side reads (Neutron shows more). */
export interface NeutronPort {
  id: string;
  network_id: string;
  project_id: string;
  mac_address: string;
  status: string;
  device_id: string;
  device_owner: string;
  fixed_ips: Array<{ subnet_id: string; ip_address: string }>;
  security_groups?: string[];
  created_at?: string;
  trunk_details?: unknown;
  'binding:host_id'?: string;
  'binding:vif_type'?: string;
  'binding:vif_details'?: Record<string, unknown>;
  'binding:vnic_type'?: string;
  'binding:profile'?: Record<string, unknown>;
  'kilonova:created_by_compute'?: boolean;
}

export interface NeutronNetwork {
  id: string;
  name: string;
  project_id: string;
  mtu?: number;
  created_at?: string;
}

export interface NeutronSubnet {
  id: string;
  network_id: string;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: boolean;
  dns_nameservers: string[];
  host_routes: Array<{ destination: string; nexthop: string }>;
}

/** The floating IP attributes this side reads: what Nova's model hangs under a fixed address. */
export interface NeutronFloatingIp {
  floating_ip_address: string;
  fixed_ip_address: string | null;
  port_id: string | null;
}

function address(addr: string | null, type: 'gateway' | 'dns') {
  return { address: addr, type, version: addr === null ? null : 4, meta: {} };
}

export function networkInfoFrom(
  ports: readonly NeutronPort[], networks: readonly NeutronNetwork[], subnets: readonly NeutronSubnet[], floatingIps: readonly NeutronFloatingIp[] = [],
): VifInfo[] {
  return ports.map((port) => {
    const network = networks.find((n) => n.id === port.network_id);
    if (!network) throw new Error(`network ${port.network_id} of port ${port.id} is not visible to the service user`);
    const vifType = port['binding:vif_type'] ?? 'unbound';
    const vif = {
      id: port.id,
      address: port.mac_address,
      network: {
        id: network.id,
        label: network.name,
        // The Linux bridge agent's bridge for the network, as Neutron's bridge VIF binding names it.
        bridge: vifType === 'bridge' ? `brq${network.id.slice(0, 11)}` : null,
        subnets: subnets
          .filter((s) => s.network_id === network.id && port.fixed_ips.some((ip) => ip.subnet_id === s.id))
          .map((s) => ({
            cidr: s.cidr,
            gateway: address(s.gateway_ip, 'gateway'),
            ips: port.fixed_ips.filter((ip) => ip.subnet_id === s.id)
              .map((ip) => ({
                address: ip.ip_address, type: 'fixed', version: 4, meta: {},
                floating_ips: floatingIps.filter((f) => f.port_id === port.id && f.fixed_ip_address === ip.ip_address)
                  .map((f) => ({ address: f.floating_ip_address, type: 'floating', version: 4, meta: {} })),
              })),
            dns: s.dns_nameservers.map((d) => address(d, 'dns')),
            routes: s.host_routes.map((r) => ({ cidr: r.destination, gateway: address(r.nexthop, 'gateway'), interface: null, meta: {} })),
            version: 4,
            meta: { enable_dhcp: s.enable_dhcp },
          })),
        meta: { injected: false, tenant_id: port.project_id, mtu: network.mtu ?? 1500 },
      },
      type: vifType,
      details: port['binding:vif_details'] ?? {},
      devname: `tap${port.id.slice(0, 11)}`,
      ovs_interfaceid: vifType === 'ovs' ? port.id : null,
      vnic_type: port['binding:vnic_type'] ?? 'normal',
      profile: port['binding:profile'] ?? {},
      active: port.status === 'ACTIVE',
      preserve_on_delete: !port['kilonova:created_by_compute'],
      meta: {},
    };
    return vif;
  });
}
