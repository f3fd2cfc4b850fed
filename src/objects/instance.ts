import { defineObject } from './base.js';
import { FlavorObject, type Flavor } from './flavor.js';

/** The fields of a server that the conductor and compute hosts work with. */
export interface Instance {
  id: number;
  uuid: string;
  project_id: string;
  user_id: string;
  display_name: string;
  hostname: string;
  host: string | null;
  node: string | null;
  availability_zone: string | null;
  vm_state: string;
  task_state: string | null;
  power_state: number;
  image_ref: string;
  flavor: Flavor;
  key_name: string | null;
  key_data: string | null;
  user_data: string | null;
  config_drive: string;
  launch_index: number;
  reservation_id: string;
  root_device_name: string | null;
  metadata: Record<string, string>;
  created_at: string;
}

export const InstanceObject = defineObject<Instance>('Instance', '2.8', {
  id: { kind: 'int' }, uuid: { kind: 'string' }, project_id: { kind: 'string' }, user_id: { kind: 'string' },
  display_name: { kind: 'string' }, hostname: { kind: 'string' }, host: { kind: 'string', nullable: true },
  node: { kind: 'string', nullable: true }, availability_zone: { kind: 'string', nullable: true },
  vm_state: { kind: 'string' }, task_state: { kind: 'string', nullable: true }, power_state: { kind: 'int' },
  image_ref: { kind: 'string' }, flavor: { kind: FlavorObject }, key_name: { kind: 'string', nullable: true },
  key_data: { kind: 'string', nullable: true }, user_data: { kind: 'string', nullable: true },
  config_drive: { kind: 'string' }, launch_index: { kind: 'int' }, reservation_id: { kind: 'string' },
  root_device_name: { kind: 'string', nullable: true }, metadata: { kind: 'dict' }, created_at: { kind: 'string' },
});
