/**
 * Nova's SameHostFilter and DifferentHostFilter: the same_host and
 * different_host scheduler hints name servers (one uuid or a list) whose
 * hosts the new server must share, or avoid.
 */
import type { RequestSpec } from '../../objects/request-spec.js';
import type { FilterContext, HostFilter } from './filter.js';

/** The server uuids a hint names (a string or a list of strings). */
export function hintedUuids(spec: RequestSpec, hint: 'same_host' | 'different_host'): string[] {
  const raw = (spec.scheduler_hints ?? {})[hint];
  const list = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  return list.filter((u): u is string => typeof u === 'string' && u !== '');
}

function runsAny(host: string, uuids: string[], ctx: FilterContext): boolean {
  return uuids.some((u) => ctx.instanceHosts?.get(u) === host);
}

export const sameHostFilter: HostFilter = {
  name: 'SameHostFilter',
  hostPasses: (host, spec, ctx) => {
    const uuids = hintedUuids(spec, 'same_host');
    return uuids.length === 0 || runsAny(host.host, uuids, ctx);
  },
};

export const differentHostFilter: HostFilter = {
  name: 'DifferentHostFilter',
  hostPasses: (host, spec, ctx) => {
    const uuids = hintedUuids(spec, 'different_host');
    return uuids.length === 0 || !runsAny(host.host, uuids, ctx);
  },
};
