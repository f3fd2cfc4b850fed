/**
 * Flavor response shapes, per microversion, and the link helpers (self,
 * bookmark, next) the compute views build from the request's own host.
 */
import type { FastifyRequest } from 'fastify';
import type { FlavorRow } from '../../flavors.js';

export interface Link {
  rel: string;
  href: string;
  type?: string;
}

/** Where this API answers, as the client reached it: self links carry the version, bookmarks do not. */
export interface LinkBase {
  self: string;
  bookmark: string;
}

export function linkBase(request: FastifyRequest, versionPrefix: string): LinkBase {
  const origin = `${request.protocol}://${request.host}`;
  const prefix = versionPrefix.replace(/\/+$/, '');
  return { self: origin + prefix, bookmark: origin + prefix.replace(/\/v\d+(\.\d+)?$/, '') };
}

export function resourceLinks(base: LinkBase, collection: string, id: string | number): Link[] {
  const ident = encodeURIComponent(String(id));
  return [
    { rel: 'self', href: `${base.self}/${collection}/${ident}` },
    { rel: 'bookmark', href: `${base.bookmark}/${collection}/${ident}` },
  ];
}

/**
 * Nova's "next" link: present when the page is full (the asked limit, or
 * max_limit when none was asked), pointing at the same query with the last
 * item as marker.
 */
export function nextLinks(
  request: FastifyRequest, base: LinkBase, collection: string, count: number, lastId: string | number | undefined, maxLimit: number,
): Link[] {
  const query = (request.query ?? {}) as Record<string, string | string[]>;
  const asked = query.limit === undefined ? maxLimit : Number(Array.isArray(query.limit) ? query.limit[0] : query.limit);
  const pageSize = Math.min(Number.isFinite(asked) ? asked : maxLimit, maxLimit);
  if (!pageSize || pageSize !== count || lastId === undefined) return [];
  const params = new URLSearchParams();
  for (const key of Object.keys(query).sort()) {
    if (key === 'marker') continue;
    for (const v of ([] as string[]).concat(query[key])) params.append(key, v);
  }
  params.set('marker', String(lastId));
  const sorted = new URLSearchParams([...params.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return [{ rel: 'next', href: `${base.self}/${collection}?${sorted.toString()}` }];
}

export interface FlavorViewOptions {
  atLeast: (v: string) => boolean;
  /** 2.61+: the caller may read extra specs (os-flavor-extra-specs:index). */
  extraSpecs?: Record<string, string>;
}

export function flavorBrief(base: LinkBase, f: FlavorRow, o: FlavorViewOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { id: f.flavorid, name: f.name, links: resourceLinks(base, 'flavors', f.flavorid) };
  if (o.atLeast('2.55')) out.description = f.description;
  return out;
}

export function flavorDetail(base: LinkBase, f: FlavorRow, o: FlavorViewOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: f.flavorid,
    name: f.name,
    ram: f.memory_mb,
    disk: f.root_gb,
    // Before 2.75 a flavor without swap shows "" (Nova's `swap or ""`).
    swap: o.atLeast('2.75') ? f.swap : (f.swap || ''),
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral_gb,
    'OS-FLV-DISABLED:disabled': f.disabled === 1,
    vcpus: f.vcpus,
    'os-flavor-access:is_public': f.is_public === 1,
    rxtx_factor: f.rxtx_factor || '',
    links: resourceLinks(base, 'flavors', f.flavorid),
  };
  if (o.atLeast('2.55')) out.description = f.description;
  if (o.extraSpecs) out.extra_specs = o.extraSpecs;
  return out;
}

export function flavorAccessView(flavorId: string, projects: string[]): { flavor_access: Array<{ flavor_id: string; tenant_id: string }> } {
  return { flavor_access: projects.map((p) => ({ flavor_id: flavorId, tenant_id: p })) };
}
