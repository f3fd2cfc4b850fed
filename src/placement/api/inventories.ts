/** /resource_providers/{uuid}/inventories and /inventories/{resource_class}. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFound } from '../../errors.js';
import { MAX_INT } from '../standard.js';
import type { InventoryInput } from '../types.js';
import type { InventoryRules } from '../inventories.js';
import { allow, atLeast, noContent, since, type PlacementRouteDeps } from './common.js';
import * as v from './validate.js';

const INVENTORY_FIELDS = ['total', 'reserved', 'min_unit', 'max_unit', 'step_size', 'allocation_ratio'] as const;

/** One inventory's fields; `total` is required, the rest default. */
function inventoryInput(o: Record<string, unknown>, path: string): InventoryInput {
  v.required(o, ['total'], path);
  const inv: InventoryInput = { total: v.integer(o.total, `${path}.total`, 1, MAX_INT) };
  if (o.reserved !== undefined) inv.reserved = v.integer(o.reserved, `${path}.reserved`, 0, MAX_INT);
  if (o.min_unit !== undefined) inv.min_unit = v.integer(o.min_unit, `${path}.min_unit`, 1, MAX_INT);
  if (o.max_unit !== undefined) inv.max_unit = v.integer(o.max_unit, `${path}.max_unit`, 1, MAX_INT);
  if (o.step_size !== undefined) inv.step_size = v.integer(o.step_size, `${path}.step_size`, 1, MAX_INT);
  if (o.allocation_ratio !== undefined) inv.allocation_ratio = v.number(o.allocation_ratio, `${path}.allocation_ratio`, 0, 3.40282e38);
  return inv;
}

function rules(req: FastifyRequest): InventoryRules {
  return { allowReservedEqualTotal: atLeast(req, '1.26') };
}

export function registerInventoryRoutes(app: FastifyInstance, deps: PlacementRouteDeps): void {
  const { placement, base } = deps;
  type P = { Params: { uuid: string; rc: string } };

  app.get<P>('/resource_providers/:uuid/inventories', async (req) => {
    allow(deps, req, 'placement:resource_providers:inventories:list');
    const { generation, inventories } = await placement.getInventories(req.params.uuid);
    return { resource_provider_generation: generation, inventories };
  });

  app.put<P>('/resource_providers/:uuid/inventories', async (req) => {
    allow(deps, req, 'placement:resource_providers:inventories:update');
    const body = v.object(req.body, 'body');
    v.only(body, ['resource_provider_generation', 'inventories'], 'body');
    v.required(body, ['resource_provider_generation', 'inventories'], 'body');
    const generation = v.integer(body.resource_provider_generation, 'resource_provider_generation');
    const invs: Record<string, InventoryInput> = {};
    for (const [rc, raw] of Object.entries(v.object(body.inventories, 'inventories'))) {
      if (!v.RC_NAME_RE.test(rc) || rc.length > 255) v.invalid(`'${rc}' does not match any of the regexes: '^[A-Z0-9_]+$'`);
      const o = v.object(raw, `inventories.${rc}`);
      v.only(o, INVENTORY_FIELDS, `inventories.${rc}`);
      invs[rc] = inventoryInput(o, `inventories.${rc}`);
    }
    const res = await placement.setInventories(req.params.uuid, invs, generation, rules(req));
    return { resource_provider_generation: res.generation, inventories: res.inventories };
  });

  app.post<P>('/resource_providers/:uuid/inventories', async (req, reply) => {
    allow(deps, req, 'placement:resource_providers:inventories:create');
    const body = v.object(req.body, 'body');
    v.only(body, ['resource_class', ...INVENTORY_FIELDS], 'body');
    v.required(body, ['resource_class', 'total'], 'body');
    const rc = v.string(body.resource_class, 'resource_class', { pattern: v.RC_NAME_RE, maxLength: 255 });
    const res = await placement.addInventory(req.params.uuid, rc, inventoryInput(body, 'body'), undefined, rules(req));
    reply.code(201).header('location', `${base}/resource_providers/${req.params.uuid}/inventories/${rc}`);
    return { resource_provider_generation: res.generation, ...res.inventories[rc] };
  });

  app.delete<P>('/resource_providers/:uuid/inventories', async (req, reply) => {
    since(req, '1.5');
    allow(deps, req, 'placement:resource_providers:inventories:delete');
    await placement.deleteAllInventories(req.params.uuid);
    return noContent(reply);
  });

  app.get<P>('/resource_providers/:uuid/inventories/:rc', async (req) => {
    allow(deps, req, 'placement:resource_providers:inventories:show');
    const { generation, inventory } = await placement.getInventory(req.params.uuid, req.params.rc);
    if (!inventory) throw new NotFound(`No inventory of class ${req.params.rc} for ${req.params.uuid}`);
    return { resource_provider_generation: generation, ...inventory };
  });

  app.put<P>('/resource_providers/:uuid/inventories/:rc', async (req) => {
    allow(deps, req, 'placement:resource_providers:inventories:update');
    const body = v.object(req.body, 'body');
    v.only(body, ['resource_provider_generation', ...INVENTORY_FIELDS], 'body');
    v.required(body, ['resource_provider_generation', 'total'], 'body');
    const generation = v.integer(body.resource_provider_generation, 'resource_provider_generation');
    const rc = req.params.rc;
    const res = await placement.updateInventory(req.params.uuid, rc, inventoryInput(body, 'body'), generation, rules(req));
    return { resource_provider_generation: res.generation, ...res.inventories[rc] };
  });

  app.delete<P>('/resource_providers/:uuid/inventories/:rc', async (req, reply) => {
    allow(deps, req, 'placement:resource_providers:inventories:delete');
    await placement.deleteInventory(req.params.uuid, req.params.rc);
    return noContent(reply);
  });
}
