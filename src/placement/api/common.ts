/** What the placement route modules share: their dependencies, version gates and views. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NotFound } from '../../errors.js';
import type { APIVersion } from '../../http/microversion.js';
import type { Authorizer } from '../../policy/types.js';
import type { PlacementService } from '../service.js';
import type { ResourceProvider } from '../types.js';
import { authorize, type PlacementAction } from './policy.js';

export interface PlacementRouteDeps {
  placement: PlacementService;
  policy: Authorizer;
  /** Where the API is mounted ('/placement'), for links and Location headers. */
  base: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The negotiated placement microversion. */
    placementVersion: APIVersion;
  }
}

export function atLeast(req: FastifyRequest, v: string): boolean {
  return req.placementVersion.atLeast(v);
}

/** The request's microversion as the per-version schemas ask about it. */
export function versionOf(req: FastifyRequest): (v: string) => boolean {
  return (v) => req.placementVersion.atLeast(v);
}

/** A route that does not exist before `v` answers 404 there, as placement does. */
export function since(req: FastifyRequest, v: string): void {
  if (!atLeast(req, v)) throw new NotFound('The resource could not be found.');
}

export function allow(deps: PlacementRouteDeps, req: FastifyRequest, action: PlacementAction): void {
  authorize(deps.policy, action, req.auth);
}

export function providerLinks(req: FastifyRequest, base: string, uuid: string): { rel: string; href: string }[] {
  const self = `${base}/resource_providers/${uuid}`;
  const links = [
    { rel: 'self', href: self },
    { rel: 'inventories', href: `${self}/inventories` },
    { rel: 'usages', href: `${self}/usages` },
  ];
  if (atLeast(req, '1.1')) links.push({ rel: 'aggregates', href: `${self}/aggregates` });
  if (atLeast(req, '1.6')) links.push({ rel: 'traits', href: `${self}/traits` });
  if (atLeast(req, '1.11')) links.push({ rel: 'allocations', href: `${self}/allocations` });
  return links;
}

export function providerView(req: FastifyRequest, base: string, rp: ResourceProvider): Record<string, unknown> {
  const view: Record<string, unknown> = {
    uuid: rp.uuid, name: rp.name, generation: rp.generation, links: providerLinks(req, base, rp.uuid),
  };
  if (atLeast(req, '1.14')) {
    view.parent_provider_uuid = rp.parentProviderUuid;
    view.root_provider_uuid = rp.rootProviderUuid;
  }
  return view;
}

export function noContent(reply: FastifyReply): FastifyReply {
  return reply.code(204).send();
}
