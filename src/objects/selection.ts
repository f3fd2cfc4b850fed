import { defineObject } from './base.js';

/** One host chosen by the scheduler, with the allocation it claimed there. */
export interface Selection {
  service_host: string;
  nodename: string;
  compute_node_uuid: string;
  /** JSON of the placement allocation request, so a reschedule can claim it. */
  allocation_request: string | null;
  allocation_request_version: string | null;
  availability_zone: string | null;
}

export const SelectionObject = defineObject<Selection>('Selection', '1.1', {
  service_host: { kind: 'string' }, nodename: { kind: 'string' }, compute_node_uuid: { kind: 'string' },
  allocation_request: { kind: 'string', nullable: true },
  allocation_request_version: { kind: 'string', nullable: true },
  availability_zone: { kind: 'string', nullable: true },
});
