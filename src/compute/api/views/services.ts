/**
 * Service liveness and the service view. A service is up while its last
 * heartbeat is within [DEFAULT] service_down_time and nobody forced it down
 * (Nova's DB servicegroup driver).
 */
import type { Selectable } from 'kysely';
import type { Config } from '../../../conf/options.js';
import type { ServicesTable } from '../../db/tables.js';
import type { ZoneOf } from '../../availability-zones.js';
import { novaTimestamp } from './keypairs.js';

export type ServiceRow = Selectable<ServicesTable>;

/** API services do not heartbeat through the service group, so Nova hides them. */
export const API_BINARIES = new Set(['nova-osapi_compute', 'nova-metadata']);

export function isServiceUp(s: Pick<ServiceRow, 'forced_down' | 'last_seen_up' | 'created_at'>, conf: Config, now = Date.now()): boolean {
  if (s.forced_down) return false;
  const last = Date.parse(s.last_seen_up ?? s.created_at);
  if (Number.isNaN(last)) return false;
  return Math.abs(now - last) <= conf.DEFAULT.service_down_time * 1000;
}

export interface ServiceViewOptions {
  atLeast: (v: string) => boolean;
  conf: Config;
  zoneOf: ZoneOf;
  now?: number;
}

export function serviceView(s: ServiceRow, o: ServiceViewOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {
    binary: s.binary,
    host: s.host,
    id: o.atLeast('2.53') ? s.uuid : Number(s.id),
    zone: o.zoneOf(s),
    status: s.disabled ? 'disabled' : 'enabled',
    state: isServiceUp(s, o.conf, o.now) ? 'up' : 'down',
    updated_at: novaTimestamp(s.updated_at),
    disabled_reason: s.disabled_reason,
  };
  if (o.atLeast('2.11')) out.forced_down = s.forced_down === 1;
  return out;
}
