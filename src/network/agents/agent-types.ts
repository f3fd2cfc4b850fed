/** Neutron's agent type names, as clients and Tempest filter on them (apart from the registry: agents load no database code). */
export const AGENT_TYPES = {
  linuxbridge: 'Linux bridge agent',
  dhcp: 'DHCP agent',
  l3: 'L3 agent',
  metadata: 'Metadata agent',
} as const;
