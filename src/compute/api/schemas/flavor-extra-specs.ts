/**
 * Flavor extra specs that Nova knows, checked from 2.86 on POST and PUT
 * /flavors/{id}/os-extra_specs: a known key's value must fit its kind, and a
 * key in a namespace Nova owns (hw:, quota:, resources:, ...) must be one it
 * knows. Keys of any other namespace, or without one, pass as they are:
 * filters and drivers outside Nova read them.
 */
import { BadRequest } from '../../../errors.js';

type ValueRule =
  | { kind: 'str'; pattern?: string; oneOf?: readonly string[] }
  | { kind: 'int'; min?: number; max?: number }
  | { kind: 'bool' };

const str = (more: { pattern?: string; oneOf?: readonly string[] } = {}): ValueRule => ({ kind: 'str', ...more });
const int = (min?: number, max?: number): ValueRule => ({ kind: 'int', min, max });
const bool: ValueRule = { kind: 'bool' };

const CPU_MAP = '\\^?\\d+((-\\d+)?(,\\^?\\d+(-\\d+)?)?)*';
const SHARES_LEVEL = ['custom', 'high', 'normal', 'low'] as const;
/** A request group suffix of granular resource and trait keys (resources1:VCPU, trait_gpu:...). */
const GROUP = '([a-zA-Z0-9_-]{1,64})?';

/** Keys written as they are matched: whole-name regular expressions (dots and braces escaped by hand). */
const RULES: Array<[string, ValueRule]> = [
  ['accel:device_profile', str()],
  ['aggregate_instance_extra_specs:.+', str()],
  ['capabilities:(aggregates|cell_uuid|cpu_allocation_ratio|current_workload|disk_allocation_ratio|disk_available_least|disk_mb_used'
    + '|failed_builds|free_disk_gb|free_disk_mb|free_ram_mb|host|host_ip|hypervisor_hostname|hypervisor_type|hypervisor_version|id'
    + '|local_gb|local_gb_used|mapped|memory_mb|memory_mb_used|num_instances|num_io_ops|ram_allocation_ratio|running_vms|service_id'
    + '|total_usable_disk_gb|total_usable_ram_mb|updated|uuid|vcpus|vcpus_total|vcpus_used)', str()],
  ['capabilities:(cpu_info|instances|limits|metrics|nodename|numa_topology|pci_device_pools|pci_stats|stats|supported_hv_specs'
    + '|supported_instances)(:\\w+)*', str()],
  ['group_policy', str({ oneOf: ['isolate', 'none'] })],
  ['hide_hypervisor_id', bool],
  ['hw:(boot_menu|cpu_realtime|ephemeral_encryption|hide_hypervisor_id|locked_memory|mem_encryption|pmu|vif_multiqueue_enabled)', bool],
  ['hw:(cpu_cores|cpu_sockets|cpu_threads|max_cpu_cores|max_cpu_sockets|max_cpu_threads|numa_nodes)', int(1)],
  ['hw:numa_mem\\.\\d+', int(1)],
  ['hw:serial_port_count', int(0)],
  ['hw:(cpu_dedicated_mask|cpu_realtime_mask)', str({ pattern: CPU_MAP })],
  ['hw:numa_cpus\\.\\d+', str({ pattern: CPU_MAP })],
  ['hw:cpu_policy', str({ oneOf: ['dedicated', 'shared', 'mixed'] })],
  ['hw:cpu_thread_policy', str({ oneOf: ['prefer', 'isolate', 'require'] })],
  ['hw:emulator_threads_policy', str({ oneOf: ['isolate', 'share'] })],
  ['hw:ephemeral_encryption_format', str({ oneOf: ['plain', 'luks', 'luksv2'] })],
  ['hw:mem_page_size', str({ pattern: '(large|small|any|\\d+([kKMGT]i?)?(b|bit|B)?)' })],
  ['hw:pci_numa_affinity_policy', str({ oneOf: ['required', 'preferred', 'legacy', 'socket'] })],
  ['hw:pmem', str({ pattern: '([a-zA-Z0-9_]+(,)?)+' })],
  ['hw:tpm_model', str({ oneOf: ['tpm-tis', 'tpm-crb'] })],
  ['hw:tpm_version', str({ oneOf: ['1.2', '2.0'] })],
  ['hw:viommu_model', str({ oneOf: ['intel', 'smmuv3', 'virtio', 'auto'] })],
  ['hw:watchdog_action', str({ oneOf: ['none', 'pause', 'poweroff', 'reset', 'disabled'] })],
  ['hw_rng:allowed', bool],
  ['hw_rng:(rate_bytes|rate_period)', int(0)],
  ['hw_video:ram_max_mb', int(0)],
  ['os:monitors', int(1, 8)],
  ['os:resolution', str({ oneOf: ['1024x768', '1280x1024', '1600x1200', '1920x1200', '2560x1600', '3840x2160'] })],
  ['os:secure_boot', str({ oneOf: ['disabled', 'required'] })],
  ['os:vram', str({ oneOf: ['64', '128', '256', '512', '1024'] })],
  ['pci_passthrough:alias', str({ pattern: '[^:]+:\\d+(?:\\s*,\\s*[^:]+:\\d+)*' })],
  ['quota:(cpu_limit|cpu_period|cpu_shares|cpu_shares_share|disk_io_limit|disk_io_shares_share|disk_read_bytes_sec|disk_read_iops_sec'
    + '|disk_total_bytes_sec|disk_total_iops_sec|disk_write_bytes_sec|disk_write_iops_sec|memory_limit|memory_shares_share'
    + '|vif_inbound_average|vif_inbound_burst|vif_inbound_peak|vif_limit|vif_outbound_average|vif_outbound_burst|vif_outbound_peak'
    + '|vif_shares_share)', int(0)],
  ['quota:(cpu_quota|cpu_reservation|disk_io_reservation|memory_reservation|vif_reservation)', int()],
  ['quota:(cpu|disk_io|memory|vif)_shares_level', str({ oneOf: SHARES_LEVEL })],
  [`resources${GROUP}:(CUSTOM_[A-Z0-9_]+|DISK_GB|FPGA|IPV4_ADDRESS|MEMORY_MB|MEM_ENCRYPTION_CONTEXT|NET_BW_EGR_KILOBIT_PER_SEC`
    + '|NET_BW_IGR_KILOBIT_PER_SEC|NET_PACKET_RATE_EGR_KILOPACKET_PER_SEC|NET_PACKET_RATE_IGR_KILOPACKET_PER_SEC'
    + '|NET_PACKET_RATE_KILOPACKET_PER_SEC|NUMA_CORE|NUMA_MEMORY_MB|NUMA_SOCKET|NUMA_THREAD|PCI_DEVICE|PCPU|PGPU|SRIOV_NET_VF|VCPU|VGPU'
    + '|VGPU_DISPLAY_HEAD)', int()],
  // Any trait name: the standard ones grow with each os-traits release, and CUSTOM_ ones are the operator's.
  [`trait${GROUP}:[A-Z0-9_]+`, str({ oneOf: ['required', 'forbidden'] })],
  ['vmware:(hw_version|storage_policy)', str()],
];

const COMPILED = RULES.map(([name, rule]) => ({ name: new RegExp(`^(?:${name})$`), rule }));

/** Namespaces that are Nova's own: a key in one of them that matches no rule is a mistake. */
const OWN_NAMESPACES = [
  'accel', 'aggregate_instance_extra_specs', 'capabilities', 'hw', 'hw_rng', 'hw_video', 'os', 'pci_passthrough', 'quota',
  `resources${GROUP}`, `trait${GROUP}`, 'vmware',
].map((ns) => new RegExp(`^(?:${ns})$`));

const TRUE_WORDS = ['1', 't', 'true', 'on', 'y', 'yes'];
const FALSE_WORDS = ['0', 'f', 'false', 'off', 'n', 'no'];

function failed(why: string): BadRequest {
  return new BadRequest(`Validation failed; ${why}`);
}

function checkValue(rule: ValueRule, value: string): void {
  if (rule.kind === 'bool') {
    if (!TRUE_WORDS.includes(value.toLowerCase()) && !FALSE_WORDS.includes(value.toLowerCase())) {
      throw failed(`'${value}' is not a valid boolean-like value.`);
    }
    return;
  }
  if (rule.kind === 'int') {
    if (!/^\s*[-+]?\d+\s*$/.test(value)) throw failed(`'${value}' is not a valid integer value.`);
    const n = Number(value);
    if (rule.max !== undefined && n > rule.max) throw failed(`'${value}' is greater than the max value of '${rule.max}'.`);
    if (rule.min !== undefined && n < rule.min) throw failed(`'${value}' is less than the min value of '${rule.min}'.`);
    return;
  }
  if (rule.pattern !== undefined) {
    if (!new RegExp(`^(?:${rule.pattern})$`).test(value)) throw failed(`'${value}' is not of the format '${rule.pattern}'.`);
  } else if (rule.oneOf && !rule.oneOf.includes(value)) {
    throw failed(`'${value}' is not one of: ${rule.oneOf.join(', ')}.`);
  }
}

/** Checks one extra spec as 2.86 does; 400 when Nova would refuse it. */
export function validateExtraSpec(name: string, value: string): void {
  const known = COMPILED.find((c) => c.name.test(name));
  if (known) return checkValue(known.rule, value);
  const colon = name.indexOf(':');
  if (colon < 0) return;
  const namespace = name.slice(0, colon);
  if (OWN_NAMESPACES.some((ns) => ns.test(namespace))) {
    throw failed(`extra spec '${name}' does not appear to be a valid extra spec.`);
  }
}
