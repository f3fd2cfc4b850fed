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
  /** The security groups (names) the server was created with; the ports compute makes carry them (1.15). */
  security_groups?: string[];
}

export const RequestSpecObject = defineObject<RequestSpec>('RequestSpec', '1.15', {
  instance_uuid: { kind: 'string' }, project_id: { kind: 'string' }, user_id: { kind: 'string' },
  flavor: { kind: FlavorObject }, image: { kind: ImageMetaObject }, num_instances: { kind: 'int' },
  availability_zone: { kind: 'string', nullable: true }, scheduler_hints: { kind: 'dict' },
  ignore_hosts: { kind: 'string', list: true }, force_hosts: { kind: 'string', list: true },
  force_nodes: { kind: 'string', list: true },
  security_groups: { kind: 'string', list: true, optional: true },
});

/** The server group a `group` scheduler hint names (Nova keeps hints as lists; the API allows one group); null without one. */
export function groupHint(spec: Pick<RequestSpec, 'scheduler_hints'>): string | null {
  const hints = spec.scheduler_hints ?? {};
  if (!Object.hasOwn(hints, 'group')) return null;
  const raw = hints.group;
  const uuid = Array.isArray(raw) ? raw[0] : raw;
  return typeof uuid === 'string' && uuid !== '' ? uuid : null;
}

/**
 * Nova's internal `_nova_check_type` hint: a forced host that the scheduler
 * must still filter. Without it a forced host (an administrator's
 * `zone:host` at create) skips the filters, as in Nova; a move to a host the
 * administrator asked for is validated by them (Nova's requested_destination).
 */
export const CHECK_TYPE_HINT = '_nova_check_type';

/** The hints of a move's request: the requested host, if any, is checked by the filters. */
export function moveSchedulerHints(move: 'evacuate' | 'live_migrate' | 'migrate' | 'unshelve'): Record<string, unknown> {
  return { [CHECK_TYPE_HINT]: [move] };
}

export function forcedHostSkipsFilters(spec: Pick<RequestSpec, 'scheduler_hints' | 'force_hosts' | 'force_nodes'>): boolean {
  const checked = Object.hasOwn(spec.scheduler_hints ?? {}, CHECK_TYPE_HINT);
  return !checked && (spec.force_hosts.length > 0 || spec.force_nodes.length > 0);
}
