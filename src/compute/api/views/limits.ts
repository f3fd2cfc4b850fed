/**
 * The limits view: Nova's absolute limits and usage, with the names each
 * microversion still shows (2.36 drops the nova-network ones, 2.39
 * maxImageMeta, 2.57 the personality ones). Rate limits are gone: always [].
 */
import type { Config } from '../../../conf/options.js';
import type { ProjectUsage } from '../../quota.js';

/** Quotas Kilonova does not configure keep Nova's defaults (or -1 where Nova has no such quota). */
const FIXED_LIMITS = {
  injected_files: 5,
  injected_file_content_bytes: 10240,
  server_groups: 10,
  server_group_members: 10,
  floating_ips: -1,
  security_groups: -1,
  security_group_rules: -1,
};

export interface LimitsUsage extends ProjectUsage {
  serverGroups: number;
}

export function limitsView(quota: Config['quota'], usage: LimitsUsage, atLeast: (v: string) => boolean) {
  const absolute: Record<string, number> = {};
  const novaNetwork = !atLeast('2.36');
  const personality = !atLeast('2.57');
  if (!atLeast('2.39')) absolute.maxImageMeta = quota.metadata_items;
  if (personality) {
    absolute.maxPersonality = FIXED_LIMITS.injected_files;
    absolute.maxPersonalitySize = FIXED_LIMITS.injected_file_content_bytes;
  }
  if (novaNetwork) {
    absolute.maxSecurityGroupRules = FIXED_LIMITS.security_group_rules;
    absolute.maxSecurityGroups = FIXED_LIMITS.security_groups;
  }
  absolute.maxServerMeta = quota.metadata_items;
  absolute.maxTotalCores = quota.cores;
  if (novaNetwork) absolute.maxTotalFloatingIps = FIXED_LIMITS.floating_ips;
  absolute.maxTotalInstances = quota.instances;
  absolute.maxTotalKeypairs = quota.key_pairs;
  absolute.maxTotalRAMSize = quota.ram;
  absolute.maxServerGroups = FIXED_LIMITS.server_groups;
  absolute.maxServerGroupMembers = FIXED_LIMITS.server_group_members;
  absolute.totalCoresUsed = usage.cores;
  absolute.totalInstancesUsed = usage.instances;
  absolute.totalRAMUsed = usage.ram;
  if (novaNetwork) {
    absolute.totalSecurityGroupsUsed = 0;
    absolute.totalFloatingIpsUsed = 0;
  }
  absolute.totalServerGroupsUsed = usage.serverGroups;
  return { limits: { rate: [] as unknown[], absolute } };
}
