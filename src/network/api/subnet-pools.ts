/** /v2.0/address-scopes and /v2.0/subnetpools */
import type { FastifyInstance } from 'fastify';
import type { PolicyTarget } from '../../policy/types.js';
import {
  ADDRESS_SCOPE_LISTING, SUBNETPOOL_LISTING, addressScopeNotFound, subnetPoolNotFound, type SubnetPoolRecord, type SubnetPoolUpdate,
} from '../subnet-pools.js';
import { scopeOf } from '../model.js';
import type { AddressScopeRow, SubnetPoolRow } from '../tables.js';
import { neutron, validate } from '../../http/validation.js';
import { asBool, asInt, owningProject, resourceItems, type Body } from './schemas/common.js';
import { addressScopeCreate, addressScopeUpdate, subnetPoolCreate, subnetPoolUpdate } from './schemas/subnet-pools.js';
import { enforce } from './policy.js';
import { addressScopeView, subnetPoolView } from './views.js';
import { tagCreated, type NetworkApiContext } from './common.js';
import { registerDeleteRoute, registerReadRoutes } from './read-routes.js';

function sharedTarget(r: Pick<AddressScopeRow, 'project_id' | 'shared'>): PolicyTarget {
  return { project_id: r.project_id, tenant_id: r.project_id, shared: r.shared === 1 };
}

function poolPatch(item: Body): SubnetPoolUpdate {
  const p: SubnetPoolUpdate = {};
  if (item.name !== undefined) p.name = item.name as string;
  if (item.description !== undefined) p.description = item.description as string;
  if (item.prefixes !== undefined) p.prefixes = item.prefixes as string[];
  if (item.default_prefixlen !== undefined) p.default_prefixlen = asInt(item.default_prefixlen);
  if (item.min_prefixlen !== undefined) p.min_prefixlen = asInt(item.min_prefixlen);
  if (item.max_prefixlen !== undefined) p.max_prefixlen = asInt(item.max_prefixlen);
  if (item.is_default !== undefined) p.is_default = asBool('is_default', item.is_default);
  if (item.address_scope_id !== undefined) p.address_scope_id = item.address_scope_id as string | null;
  return p;
}

export function registerSubnetPoolRoutes(app: FastifyInstance, ctx: NetworkApiContext): void {
  const { network: svc, policy } = ctx;

  const scopeLookup = registerReadRoutes<AddressScopeRow, AddressScopeRow>(app, ctx, {
    singular: 'address_scope', collection: 'address-scopes', plural: 'address_scopes', listing: ADDRESS_SCOPE_LISTING, getRule: 'get_address_scope',
    store: svc.addressScopes, rowOf: (r) => r, target: sharedTarget, view: addressScopeView, notFound: addressScopeNotFound,
  });

  app.post('/address-scopes', async (request, reply) => {
    const { items } = resourceItems(request.body, 'address_scope', '\0');
    const item = items[0]!;
    validate(addressScopeCreate, item, neutron);
    const input = {
      project_id: owningProject(item, request.auth), name: (item.name as string | undefined) ?? '',
      shared: item.shared === undefined ? false : asBool('shared', item.shared), ip_version: asInt(item.ip_version),
    };
    const target = { project_id: input.project_id, tenant_id: input.project_id, shared: input.shared };
    enforce(policy, 'create_address_scope', target, request.auth);
    if (item.shared !== undefined) enforce(policy, 'create_address_scope:shared', target, request.auth);
    reply.code(201);
    return { address_scope: addressScopeView(await svc.addressScopes.create(input)) };
  });

  app.put('/address-scopes/:id', async (request) => {
    const { id } = request.params as { id: string };
    const { items } = resourceItems(request.body, 'address_scope', '\0');
    const item = items[0]!;
    validate(addressScopeUpdate, item, neutron);
    const current = await scopeLookup(request.auth, id);
    enforce(policy, 'update_address_scope', sharedTarget(current), request.auth);
    if (item.shared !== undefined) enforce(policy, 'update_address_scope:shared', sharedTarget(current), request.auth);
    const patch = {
      ...(item.name !== undefined ? { name: item.name as string } : {}),
      ...(item.shared !== undefined ? { shared: asBool('shared', item.shared) } : {}),
    };
    return { address_scope: addressScopeView(await svc.addressScopes.update(current, patch)) };
  });

  registerDeleteRoute(app, ctx, 'address-scopes', 'delete_address_scope', scopeLookup, sharedTarget, (r) => svc.addressScopes.delete(r));

  const poolLookup = registerReadRoutes<SubnetPoolRow, SubnetPoolRecord>(app, ctx, {
    singular: 'subnetpool', collection: 'subnetpools', listing: SUBNETPOOL_LISTING, getRule: 'get_subnetpool',
    store: svc.subnetPools, rowOf: (r) => r.pool, target: sharedTarget, view: subnetPoolView, notFound: subnetPoolNotFound,
  });

  app.post('/subnetpools', async (request, reply) => {
    const { items } = resourceItems(request.body, 'subnetpool', '\0');
    const item = items[0]!;
    validate(subnetPoolCreate, item, neutron);
    const p = poolPatch(item);
    const projectId = owningProject(item, request.auth);
    const shared = item.shared === undefined ? false : asBool('shared', item.shared);
    const target = { project_id: projectId, tenant_id: projectId, shared };
    enforce(policy, 'create_subnetpool', target, request.auth);
    if (item.shared !== undefined) enforce(policy, 'create_subnetpool:shared', target, request.auth);
    if (item.is_default !== undefined) enforce(policy, 'create_subnetpool:is_default', target, request.auth);
    const rec = await svc.subnetPools.create(scopeOf(request.auth), {
      project_id: projectId, name: p.name ?? '', description: p.description ?? '', prefixes: p.prefixes ?? [], shared,
      is_default: p.is_default ?? false, address_scope_id: p.address_scope_id ?? null,
      ...(p.default_prefixlen !== undefined ? { default_prefixlen: p.default_prefixlen } : {}),
      ...(p.min_prefixlen !== undefined ? { min_prefixlen: p.min_prefixlen } : {}),
      ...(p.max_prefixlen !== undefined ? { max_prefixlen: p.max_prefixlen } : {}),
    });
    await tagCreated(svc, rec, rec.pool.id, (item.tags as string[] | undefined) ?? []);
    reply.code(201);
    return { subnetpool: subnetPoolView(rec) };
  });

  app.put('/subnetpools/:id', async (request) => {
    const { id } = request.params as { id: string };
    const { items } = resourceItems(request.body, 'subnetpool', '\0');
    validate(subnetPoolUpdate, items[0]!, neutron);
    const patch = poolPatch(items[0]!);
    const current = await poolLookup(request.auth, id);
    enforce(policy, 'update_subnetpool', sharedTarget(current), request.auth);
    if (patch.is_default !== undefined) enforce(policy, 'update_subnetpool:is_default', sharedTarget(current), request.auth);
    return { subnetpool: subnetPoolView(await svc.subnetPools.update(scopeOf(request.auth), current, patch)) };
  });

  registerDeleteRoute(app, ctx, 'subnetpools', 'delete_subnetpool', poolLookup, sharedTarget, (r) => svc.subnetPools.delete(r));
}
