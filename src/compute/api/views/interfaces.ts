/** The interfaceAttachment view (Nova's attach_interfaces.py); 2.70 adds the tag. */
import type { InterfaceAttachment } from '../../interfaces-api.js';

export function interfaceAttachmentView(a: InterfaceAttachment, showTag: boolean): Record<string, unknown> {
  return {
    net_id: a.network_id, port_id: a.id, mac_addr: a.mac_address, port_state: a.status, fixed_ips: a.fixed_ips,
    ...(showTag ? { tag: a.tag } : {}),
  };
}
