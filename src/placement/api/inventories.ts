/** /resource_providers/{uuid}/inventories and /inventories/{resource_class}. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFound } from '../../errors.js';
import type { InventoryInput } from '../types.js';
import type { InventoryRules } from '../inventories.js';
import { allow, atLeast, noContent, since, type PlacementRouteDeps } from './common.js';
import { placement as words, validate } from '../../http/validation.js';
import { inventoriesReplace, inventoryCreate, inventoryUpdate } from './schemas/inventories.js';

/** One inventory's fields from a validated body; `total` is required, the rest default. */
function inventoryInput(o: Record<string, unknown>): InventoryInput {
  const inv: InventoryInput = { total: o.total as number };
  for (const k of ['reserved', 'min_unit', 'max_unit', 'step_size', 'allocation_ratio'] as const) {
    if (o[k] !== undefined) inv[k] = o[k] as number;
  }
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
    validate(inventoriesReplace, req.body, words);
    const body = req.body as { resource_provider_generation: number; inventories: Record<string, Record<string, unknown>> };
    const generation = body.resource_provider_generation;
    const invs: Record<string, InventoryInput> = {};
    for (const [rc, raw] of Object.entries(body.inventories)) invs[rc] = inventoryInput(raw);
    const res = await placement.setInventories(req.params.uuid, invs, generation, rules(req));
    return { resource_provider_generation: res.generation, inventories: res.inventories };
  });

  app.post<P>('/resource_providers/:uuid/inventories', async (req, reply) => {
    allow(deps, req, 'placement:resource_providers:inventories:create');
    validate(inventoryCreate, req.body, words);
    const body = req.body as Record<string, unknown>;
    const rc = body.resource_class as string;
    const res = await placement.addInventory(req.params.uuid, rc, inventoryInput(body), undefined, rules(req));
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
    validate(inventoryUpdate, req.body, words);
    const body = req.body as Record<string, unknown>;
    const rc = req.params.rc;
    const res = await placement.updateInventory(req.params.uuid, rc, inventoryInput(body), body.resource_provider_generation as number, rules(req));
    return { resource_provider_generation: res.generation, ...res.inventories[rc] };
  });

  app.delete<P>('/resource_providers/:uuid/inventories/:rc', async (req, reply) => {
    allow(deps, req, 'placement:resource_providers:inventories:delete');
    await placement.deleteInventory(req.params.uuid, req.params.rc);
    return noContent(reply);
  });
}
