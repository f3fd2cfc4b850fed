/**
 * The limits view: Nova's absolute limits and usage, with the names each
 * microversion still shows (2.36 drops the nova-network ones, 2.39
 * maxImageMeta, 2.57 the personality ones). Rate limits are gone: always [].
 */
import type { ProjectUsage, QuotaSet } from '../../quota.js';

export interface LimitsUsage extends ProjectUsage {
  serverGroups: number;
}

export function limitsView(quota: QuotaSet, usage: LimitsUsage, atLeast: (v: string) => boolean) {
  const absolute: Record<string, number> = {};
  const novaNetwork = !atLeast('2.36');
  const personality = !atLeast('2.57');
  if (!atLeast('2.39')) absolute.maxImageMeta = quota.metadata_items;
  if (personality) {
    absolute.maxPersonality = quota.injected_files;
    absolute.maxPersonalitySize = quota.injected_file_content_bytes;
  }
  if (novaNetwork) {
    absolute.maxSecurityGroupRules = quota.security_group_rules;
    absolute.maxSecurityGroups = quota.security_groups;
  }
  absolute.maxServerMeta = quota.metadata_items;
  absolute.maxTotalCores = quota.cores;
  if (novaNetwork) absolute.maxTotalFloatingIps = quota.floating_ips;
  absolute.maxTotalInstances = quota.instances;
  absolute.maxTotalKeypairs = quota.key_pairs;
  absolute.maxTotalRAMSize = quota.ram;
  absolute.maxServerGroups = quota.server_groups;
  absolute.maxServerGroupMembers = quota.server_group_members;
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
