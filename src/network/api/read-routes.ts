/**
 * GET /<collection> and GET /<collection>/{id} (and DELETE) for a resource whose policy
 * target needs nothing but its own row (networks, trunks): filters, fields and
 * pagination links on the list, and a 404 rather than a 403 for a resource
 * the caller may not see.
 */
import type { FastifyInstance } from 'fastify';
import type { AuthContext } from '../../http/auth.js';
import type { PolicyTarget } from '../../policy/types.js';
import { parseListRequest, type ListableTable, type ListRequest } from '../listing.js';
import { scopeOf, type Scope } from '../model.js';
import { selectFields, type View } from './views.js';
import { fieldsOf, pageLinks, type NetworkApiContext } from './common.js';
import { enforce } from './policy.js';

export interface ReadableResource<Row extends { id: string }, Rec> {
  singular: string;
  /** The URL's collection segment. */
  collection: string;
  /** The list body's key when it differs from the URL's (address-scopes → address_scopes). */
  plural?: string;
  listing: ListableTable;
  /** The policy rule that decides who sees one. */
  getRule: string;
  store: {
    getRow(scope: Scope, id: string): Promise<Row>;
    get(scope: Scope, id: string): Promise<Rec>;
    list(scope: Scope, req: ListRequest): Promise<{ records: Rec[]; hasMore: boolean }>;
  };
  rowOf(rec: Rec): Row;
  target(row: Row): PolicyTarget;
  /** The resource as this caller may see it. */
  view(rec: Rec, auth: AuthContext): View;
  notFound(id: string): Error;
}

/** Registers both routes; returns the lookup the resource's other routes start from. */
export function registerReadRoutes<Row extends { id: string }, Rec>(
  app: FastifyInstance, ctx: NetworkApiContext, r: ReadableResource<Row, Rec>,
): (auth: AuthContext, id: string) => Promise<Row> {
  const { policy } = ctx;

  const lookup = async (auth: AuthContext, id: string) => {
    const row = await r.store.getRow(scopeOf(auth), id);
    if (!policy.allowed(r.getRule, r.target(row), auth)) throw r.notFound(id);
    return row;
  };

  app.get(`/${r.collection}`, async (request) => {
    const query = request.query as Record<string, unknown>;
    const req = parseListRequest(query, r.listing);
    const { records, hasMore } = await r.store.list(scopeOf(request.auth), req);
    const fields = fieldsOf(query);
    const shown = records.filter((rec) => policy.allowed(r.getRule, r.target(r.rowOf(rec)), request.auth));
    const plural = r.plural ?? r.collection;
    const body: Record<string, unknown> = { [plural]: shown.map((rec) => selectFields(r.view(rec, request.auth), fields)) };
    if (req.limit !== undefined) body[`${plural}_links`] = pageLinks(request, req, records.map(r.rowOf), hasMore);
    return body;
  });

  app.get(`/${r.collection}/:id`, async (request) => {
    const { id } = request.params as { id: string };
    await lookup(request.auth, id);
    const rec = await r.store.get(scopeOf(request.auth), id);
    return { [r.singular]: selectFields(r.view(rec, request.auth), fieldsOf(request.query as Record<string, unknown>)) };
  });

  return lookup;
}

/** DELETE /<collection>/{id}: a 404 for what the caller may not see, the delete rule, then the store's delete. */
export function registerDeleteRoute<Row>(
  app: FastifyInstance, ctx: NetworkApiContext, collection: string, deleteRule: string,
  lookup: (auth: AuthContext, id: string) => Promise<Row>, target: (row: Row) => PolicyTarget, remove: (row: Row) => Promise<void>,
): void {
  app.delete(`/${collection}/:id`, async (request, reply) => {
    const { id } = request.params as { id: string };
    const current = await lookup(request.auth, id);
    enforce(ctx.policy, deleteRule, target(current), request.auth);
    await remove(current);
    return reply.code(204).send();
  });
}
