import { defineObject } from './base.js';

export interface BlockDeviceMapping {
  uuid: string;
  instance_uuid: string;
  source_type: 'image' | 'blank' | 'volume' | 'snapshot';
  destination_type: 'local' | 'volume';
  boot_index: number | null;
  device_name: string | null;
  image_id: string | null;
  volume_id: string | null;
  volume_size: number | null;
  delete_on_termination: boolean;
  guest_format: string | null;
  disk_bus: string | null;
  device_type: string | null;
}

export const BlockDeviceMappingObject = defineObject<BlockDeviceMapping>('BlockDeviceMapping', '1.20', {
  uuid: { kind: 'string' }, instance_uuid: { kind: 'string' }, source_type: { kind: 'string' },
  destination_type: { kind: 'string' }, boot_index: { kind: 'int', nullable: true },
  device_name: { kind: 'string', nullable: true }, image_id: { kind: 'string', nullable: true },
  volume_id: { kind: 'string', nullable: true }, volume_size: { kind: 'int', nullable: true },
  delete_on_termination: { kind: 'bool' }, guest_format: { kind: 'string', nullable: true },
  disk_bus: { kind: 'string', nullable: true }, device_type: { kind: 'string', nullable: true },
});
