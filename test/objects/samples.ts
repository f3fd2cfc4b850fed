/**
 * A realistic value of every versioned object type, for the tests that send
 * them: the objects' own round trip and the RPC codecs'.
 */
import {
  BlockDeviceMappingObject, FlavorObject, ImageMetaObject, InstanceObject, NetworkRequestListObject, NetworkRequestObject,
  RequestSpecObject, SelectionObject,
  type BlockDeviceMapping, type Flavor, type ImageMeta, type Instance, type NetworkRequest,
  type NetworkRequestList, type ObjectDef, type RequestSpec, type Selection,
} from '../../src/objects/index.js';

export const flavor: Flavor = {
  id: 7, flavorid: 'm1.small', name: 'm1.small', memory_mb: 2048, vcpus: 1, root_gb: 20, ephemeral_gb: 0, swap: 0,
  rxtx_factor: 1.5, is_public: true, disabled: false, description: 'General purpose, small',
  extra_specs: { 'hw:cpu_policy': 'shared', 'trait:HW_CPU_X86_AVX2': 'required' },
};

export const image: ImageMeta = {
  id: 'c5b7e1b2-3f0e-4a3d-9b6f-2d1e0c9a8b7f', name: 'cirros-0.6.2-x86_64-disk', disk_format: 'qcow2',
  container_format: 'bare', size: 21430272, min_disk: 1, min_ram: 64,
  properties: { hw_disk_bus: 'virtio', os_distro: 'cirros' },
};

export const networkRequest: NetworkRequest = { network_id: '0a1b2c3d-0000-4000-8000-00000000abcd', port_id: null, address: '10.0.0.5' };

export const networkRequestList: NetworkRequestList = {
  mode: 'explicit',
  objects: [networkRequest, { network_id: null, port_id: '9f8e7d6c-0000-4000-8000-00000000dcba', address: null }],
};

export const bdm: BlockDeviceMapping = {
  uuid: 'b1d2e3f4-0000-4000-8000-000000000001', instance_uuid: '5d2c1b0a-0000-4000-8000-000000000002',
  source_type: 'image', destination_type: 'local', boot_index: 0, device_name: '/dev/vda',
  image_id: image.id, volume_id: null, volume_size: null, delete_on_termination: true,
  guest_format: null, disk_bus: 'virtio', device_type: 'disk',
};

export const requestSpec: RequestSpec = {
  instance_uuid: '5d2c1b0a-0000-4000-8000-000000000002', project_id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  user_id: '0f9e8d7c6b5a49382716a5b4c3d2e1f0', flavor, image, num_instances: 3, availability_zone: 'nova',
  scheduler_hints: { group: 'f00dcafe-0000-4000-8000-000000000003', same_host: ['x'] },
  ignore_hosts: ['compute-2'], force_hosts: [], force_nodes: [], security_groups: ['default', 'web'],
};

export const selection: Selection = {
  service_host: 'compute-1', nodename: 'compute-1', compute_node_uuid: 'cafe0000-0000-4000-8000-000000000004',
  allocation_request: JSON.stringify({ allocations: { 'cafe0000-0000-4000-8000-000000000004': { resources: { VCPU: 1, MEMORY_MB: 2048 } } } }),
  allocation_request_version: '1.36', availability_zone: null,
};

export const instance: Instance = {
  id: 42, uuid: '5d2c1b0a-0000-4000-8000-000000000002', project_id: requestSpec.project_id, user_id: requestSpec.user_id,
  display_name: 'web-1', hostname: 'web-1', host: 'compute-1', node: 'compute-1', availability_zone: 'nova',
  vm_state: 'building', task_state: 'spawning', power_state: 0, image_ref: image.id, flavor,
  key_name: 'mykey', key_data: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm0 demo@laptop', user_data: 'I2Nsb3VkLWNvbmZpZwo=',
  config_drive: '', launch_index: 0, reservation_id: 'r-3fhpjulh', root_device_name: '/dev/vda',
  metadata: { role: 'web', tier: 'frontend' }, created_at: '2024-05-06T07:08:09.010Z',
};

/** A realistic value of every registered type. A new type must add one here. */
export const SAMPLES: Record<string, { def: ObjectDef<any>; value: Record<string, unknown> }> = {
  Flavor: { def: FlavorObject, value: flavor as unknown as Record<string, unknown> },
  ImageMeta: { def: ImageMetaObject, value: image as unknown as Record<string, unknown> },
  NetworkRequest: { def: NetworkRequestObject, value: networkRequest as unknown as Record<string, unknown> },
  NetworkRequestList: { def: NetworkRequestListObject, value: networkRequestList as unknown as Record<string, unknown> },
  BlockDeviceMapping: { def: BlockDeviceMappingObject, value: bdm as unknown as Record<string, unknown> },
  RequestSpec: { def: RequestSpecObject, value: requestSpec as unknown as Record<string, unknown> },
  Selection: { def: SelectionObject, value: selection as unknown as Record<string, unknown> },
  Instance: { def: InstanceObject, value: instance as unknown as Record<string, unknown> },
};
