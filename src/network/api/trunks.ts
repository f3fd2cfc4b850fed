/** /v2.0/trunks and its actions add_subports, remove_subports and get_subports. */
import type { FastifyInstance } from 'fastify';
import type { AuthContext } from '../../http/auth.js';
import type { PolicyTarget } from '../../policy/types.js';
import { TRUNK_LISTING } from '../trunks.js';
import { invalidAttribute, invalidInput, trunkNotFound } from '../errors.js';
import { scopeOf, type TrunkCreate, type TrunkRecord, type TrunkUpdate } from '../model.js';
import type { TrunkRow } from '../tables.js';
import { neutron, validate } from '../../http/validation.js';
import { asBool, owningProject, resourceItems, type Body } from './schemas/common.js';
import { subportListProblem, subportRequests, subportsBody, subportsOf, trunkCreate, trunkUpdate } from './schemas/trunks.js';
import { enforce } from './policy.js';
import { subportView, trunkView } from './views.js';
import { tagCreated, type NetworkApiContext } from './common.js';
import { registerReadRoutes } from './read-routes.js';

export function trunkTarget(t: Pick<TrunkRow, 'project_id' | 'port_id'>): PolicyTarget {
  return { project_id: t.project_id, tenant_id: t.project_id, port_id: t.port_id };
}

function parseCreate(item: Body, auth: AuthContext): { input: TrunkCreate; tags: string[] } {
  validate(trunkCreate, item, neutron);
  const entries = (item.sub_ports as Body[] | undefined) ?? [];
  const problem = subportListProblem(entries);
  if (problem !== undefined) throw invalidAttribute('sub_ports', problem);
  return {
    input: {
      project_id: owningProject(item, auth),
      name: (item.name as string | undefined) ?? '',
      description: (item.description as string | undefined) ?? '',
      admin_state_up: item.admin_state_up === undefined ? true : asBool('admin_state_up', item.admin_state_up),
      port_id: item.port_id as string,
      sub_ports: subportRequests(entries),
    },
    tags: (item.tags as string[] | undefined) ?? [],
  };
}

function parseUpdate(item: Body): TrunkUpdate {
  validate(trunkUpdate, item, neutron);
  const patch: TrunkUpdate = {};
  if (item.name !== undefined) patch.name = item.name as string;
  if (item.description !== undefined) patch.description = item.description as string;
  if (item.admin_state_up !== undefined) patch.admin_state_up = asBool('admin_state_up', item.admin_state_up);
  return patch;
}

/** The subport list of an action body; these bodies skip the attribute checks, so a bad list is InvalidInput. */
function parseSubportsBody(body: unknown): Body[] {
  const entries = subportsOf(body);
  validate(subportsBody, body, neutron);
  const problem = subportListProblem(entries);
  if (problem !== undefined) throw invalidInput(problem);
  return entries;
}

export function registerTrunkRoutes(app: FastifyInstance, ctx: NetworkApiContext): void {
  const { network: svc, policy } = ctx;
  const lookup = registerReadRoutes<TrunkRow, TrunkRecord>(app, ctx, {
    singular: 'trunk', collection: 'trunks', listing: TRUNK_LISTING, getRule: 'get_trunk', store: svc.trunks,
    rowOf: (rec) => rec.trunk, target: trunkTarget, view: trunkView, notFound: trunkNotFound,
  });

  app.post('/trunks', async (request, reply) => {
    const { items } = resourceItems(request.body, 'trunk', '\0');
    const { input, tags } = parseCreate(items[0]!, request.auth);
    enforce(policy, 'create_trunk', trunkTarget(input), request.auth);
    const rec = await svc.trunks.create(scopeOf(request.auth), input);
    await tagCreated(svc, rec, rec.trunk.id, tags);
    reply.code(201);
    return { trunk: trunkView(rec) };
  });

  app.put('/trunks/:id', async (request) => {
    const { id } = request.params as { id: string };
    const { items } = resourceItems(request.body, 'trunk', '\0');
    const patch = parseUpdate(items[0]!);
    const current = await lookup(request.auth, id);
    enforce(policy, 'update_trunk', trunkTarget(current), request.auth);
    return { trunk: trunkView(await svc.trunks.update(current, patch)) };
  });

  app.delete('/trunks/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const current = await lookup(request.auth, id);
    enforce(policy, 'delete_trunk', trunkTarget(current), request.auth);
    await svc.trunks.delete(current);
    return reply.code(204).send();
  });

  // Neutron answers its trunk actions with the trunk itself, not wrapped in {"trunk": ...}.
  app.put('/trunks/:id/add_subports', async (request) => {
    const { id } = request.params as { id: string };
    const current = await lookup(request.auth, id);
    enforce(policy, 'add_subports', trunkTarget(current), request.auth);
    const entries = parseSubportsBody(request.body);
    return trunkView(await svc.trunks.addSubports(scopeOf(request.auth), current, subportRequests(entries)));
  });

  app.put('/trunks/:id/remove_subports', async (request) => {
    const { id } = request.params as { id: string };
    const current = await lookup(request.auth, id);
    enforce(policy, 'remove_subports', trunkTarget(current), request.auth);
    const entries = parseSubportsBody(request.body);
    return trunkView(await svc.trunks.removeSubports(current, entries.map((e) => e.port_id as string)));
  });

  app.get('/trunks/:id/get_subports', async (request) => {
    const { id } = request.params as { id: string };
    const current = await lookup(request.auth, id);
    enforce(policy, 'get_subports', trunkTarget(current), request.auth);
    const rec = await svc.trunks.get(scopeOf(request.auth), current.id);
    return { sub_ports: rec.subports.map(subportView) };
  });
}
