/**
 * Server diagnostics: Nova's standard form from 2.48; before it, the flat,
 * driver-specific keys older clients read (Nova's libvirt names).
 */
import type { Diagnostics } from '../../../virt/driver.js';

export function diagnosticsView(d: Diagnostics, v248: boolean): Record<string, unknown> {
  if (v248) return { ...d };
  const legacy: Record<string, unknown> = {};
  d.cpu_details.forEach((c, i) => { legacy[`cpu${c.id ?? i}_time`] = c.time; });
  legacy.memory = d.memory_details.maximum * 1024;
  legacy['memory-actual'] = d.memory_details.maximum * 1024;
  legacy['memory-rss'] = d.memory_details.used * 1024;
  d.disk_details.forEach((disk, i) => {
    const dev = `vd${String.fromCharCode(97 + (i % 26))}`;
    legacy[`${dev}_read`] = disk.read_bytes;
    legacy[`${dev}_read_req`] = disk.read_requests;
    legacy[`${dev}_write`] = disk.write_bytes;
    legacy[`${dev}_write_req`] = disk.write_requests;
    legacy[`${dev}_errors`] = disk.errors_count;
  });
  d.nic_details.forEach((nic, i) => {
    const dev = `tap${i}`;
    legacy[`${dev}_rx`] = nic.rx_octets;
    legacy[`${dev}_rx_drop`] = nic.rx_drop;
    legacy[`${dev}_rx_errors`] = nic.rx_errors;
    legacy[`${dev}_rx_packets`] = nic.rx_packets;
    legacy[`${dev}_tx`] = nic.tx_octets;
    legacy[`${dev}_tx_drop`] = nic.tx_drop;
    legacy[`${dev}_tx_errors`] = nic.tx_errors;
    legacy[`${dev}_tx_packets`] = nic.tx_packets;
  });
  return legacy;
}
