/**
 * Each agent as the agents table and its clients know it: Neutron's type
 * names (clients and Tempest filter on them), binaries and topics. Apart from
 * the registry, so agents load no database code.
 */
export const AGENT_TYPES = {
  linuxbridge: 'Linux bridge agent',
  dhcp: 'DHCP agent',
  l3: 'L3 agent',
  metadata: 'Metadata agent',
} as const;

export interface AgentIdentity {
  agentType: string;
  binary: string;
  /** Neutron's agent topic (N/A for the L2 and metadata agents). */
  topic: string;
  /** The zone of agents that Neutron schedules by zone (DHCP, L3); null for the others. */
  availabilityZone: string | null;
}

export const AGENT_IDENTITIES = {
  linuxbridge: { agentType: AGENT_TYPES.linuxbridge, binary: 'neutron-linuxbridge-agent', topic: 'N/A', availabilityZone: null },
  dhcp: { agentType: AGENT_TYPES.dhcp, binary: 'neutron-dhcp-agent', topic: 'dhcp_agent', availabilityZone: 'nova' },
  l3: { agentType: AGENT_TYPES.l3, binary: 'neutron-l3-agent', topic: 'l3_agent', availabilityZone: 'nova' },
  metadata: { agentType: AGENT_TYPES.metadata, binary: 'neutron-metadata-agent', topic: 'N/A', availabilityZone: null },
} as const satisfies Record<keyof typeof AGENT_TYPES, AgentIdentity>;
