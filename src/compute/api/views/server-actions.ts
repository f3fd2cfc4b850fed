/** Response bodies of server actions that answer with one (Nova's rebuild view). */
import type { InstanceViewRow } from '../../instance-list.js';
import { detailView, type ViewContext, type ViewExtras } from './servers.js';

/** What Nova's rebuild leaves out of the server before 2.75, which shows everything GET shows. */
const HIDDEN_BEFORE_275 = [
  'OS-EXT-AZ:availability_zone', 'config_drive', 'OS-SRV-USG:launched_at', 'OS-SRV-USG:terminated_at',
  'OS-EXT-STS:task_state', 'OS-EXT-STS:vm_state', 'OS-EXT-STS:power_state', 'os-extended-volumes:volumes_attached',
  'security_groups', 'host_status',
];

/** The server a rebuild answers with: its view (with its tags, 2.71 server groups and 2.96 pinned zone), the new password, and from 2.57 its user data. */
export function rebuildView(row: InstanceViewRow, md: Record<string, string>, ctx: ViewContext, adminPass: string, extras: ViewExtras = {}): Record<string, unknown> {
  const v = ctx.version;
  const server = detailView(row, md, undefined, ctx, extras);
  if (!v.atLeast('2.75')) {
    for (const k of HIDDEN_BEFORE_275) delete server[k];
    for (const k of Object.keys(server)) if (k.startsWith('OS-EXT-SRV-ATTR:')) delete server[k];
    if (!v.atLeast('2.54')) delete server.key_name;
    // Nova's addresses without the extended (type, MAC) fields.
    const addrs = server.addresses as Record<string, Array<Record<string, unknown>>>;
    for (const list of Object.values(addrs)) for (const a of list) { delete a['OS-EXT-IPS:type']; delete a['OS-EXT-IPS-MAC:mac_addr']; }
  }
  // The user data is shown as `user_data` (2.57) instead, never as the extended attribute.
  delete server['OS-EXT-SRV-ATTR:user_data'];
  server.adminPass = adminPass;
  // From 2.57 the user data is shown under its own key, never also as the extended attribute.
  delete server['OS-EXT-SRV-ATTR:user_data'];
  if (v.atLeast('2.57')) server.user_data = row.user_data;
  return server;
}
