/** What the resource route modules share: their dependencies, URLs and list responses. */
import type { FastifyRequest } from 'fastify';
import type { Authorizer } from '../../policy/types.js';
import type { NetworkService } from '../service.js';
import type { ListRequest } from '../listing.js';

export interface NetworkApiContext {
  network: NetworkService;
  policy: Authorizer;
  /** The plugin's mount point, e.g. /network. */
  prefix: string;
}

/** The URL the client used to reach us, without the query. */
export function baseUrl(request: FastifyRequest): string {
  const proto = String(request.headers['x-forwarded-proto'] ?? request.protocol).split(',')[0]!.trim();
  return `${proto}://${request.host}`;
}

export function fieldsOf(query: Record<string, unknown>): string[] | undefined {
  const f = query.fields;
  if (f === undefined) return undefined;
  return (Array.isArray(f) ? f : [f]).map(String).flatMap((s) => s.split(',')).filter((s) => s.length > 0);
}

/**
 * Neutron's <collection>_links: "next" when more rows follow, "previous" when
 * the page started at a marker (mirrored for page_reverse).
 */
export function pageLinks(
  request: FastifyRequest, req: ListRequest, rows: readonly { id: string }[], hasMore: boolean,
): Array<{ rel: string; href: string }> {
  if (req.limit === undefined) return [];
  const url = new URL(request.url, baseUrl(request));
  const href = (marker: string, reverse: boolean) => {
    const u = new URL(url);
    u.searchParams.set('marker', marker);
    if (reverse) u.searchParams.set('page_reverse', 'True');
    else u.searchParams.delete('page_reverse');
    u.searchParams.set('limit', String(req.limit));
    return u.toString();
  };
  const links: Array<{ rel: string; href: string }> = [];
  const first = rows[0];
  const last = rows[rows.length - 1];
  const forwardMore = req.pageReverse ? req.marker !== undefined : hasMore;
  const backwardMore = req.pageReverse ? hasMore : req.marker !== undefined;
  if (forwardMore && last) links.push({ rel: 'next', href: href(last.id, false) });
  if (backwardMore && first) links.push({ rel: 'previous', href: href(first.id, true) });
  return links;
}

/** Stores the tags a create request gave on the new resource, and shows them in its record. */
export async function tagCreated(svc: NetworkService, rec: { tags: string[] }, id: string, tags: readonly string[]): Promise<void> {
  if (tags.length === 0) return;
  await svc.replaceTags(id, tags);
  rec.tags = [...new Set(tags)].sort();
}
