import { defineObject } from './base.js';
import { FlavorObject, type Flavor } from './flavor.js';
import { ImageMetaObject, type ImageMeta } from './image-meta.js';

/** What the scheduler needs to choose hosts for one or more identical servers. */
export interface RequestSpec {
  instance_uuid: string;
  project_id: string;
  user_id: string;
  flavor: Flavor;
  image: ImageMeta;
  num_instances: number;
  availability_zone: string | null;
  scheduler_hints: Record<string, unknown>;
  /** Hosts already tried for this build (rescheduling skips them). */
  ignore_hosts: string[];
  /** Host/node forced by an admin (availability_zone "zone:host:node"). */
  force_hosts: string[];
  force_nodes: string[];
}

export const RequestSpecObject = defineObject<RequestSpec>('RequestSpec', '1.14', {
  instance_uuid: { kind: 'string' }, project_id: { kind: 'string' }, user_id: { kind: 'string' },
  flavor: { kind: FlavorObject }, image: { kind: ImageMetaObject }, num_instances: { kind: 'int' },
  availability_zone: { kind: 'string', nullable: true }, scheduler_hints: { kind: 'dict' },
  ignore_hosts: { kind: 'string', list: true }, force_hosts: { kind: 'string', list: true },
  force_nodes: { kind: 'string', list: true },
});
