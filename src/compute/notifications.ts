/** Payloads of the instance.* versioned notifications (a subset of Nova's InstanceActionPayload). */
import type { Instance } from '../objects/instance.js';

export function instancePayload(instance: Instance, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'nova_object.name': 'InstanceActionPayload',
    'nova_object.version': '1.8',
    'nova_object.data': {
      uuid: instance.uuid, display_name: instance.display_name, host_name: instance.hostname,
      tenant_id: instance.project_id, user_id: instance.user_id, host: instance.host, node: instance.node,
      state: instance.vm_state, task_state: instance.task_state, power_state: instance.power_state,
      availability_zone: instance.availability_zone, image_uuid: instance.image_ref,
      flavor: { name: instance.flavor.name, vcpus: instance.flavor.vcpus, memory_mb: instance.flavor.memory_mb, root_gb: instance.flavor.root_gb, flavorid: instance.flavor.flavorid },
      metadata: instance.metadata, reservation_id: instance.reservation_id, created_at: instance.created_at,
      ...extra,
    },
  };
}
