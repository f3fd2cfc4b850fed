/** /v2.0/{networks,subnets,ports,trunks,routers,floatingips,subnetpools}/{id}/tags (Neutron's standard-attr-tag). */
import type { FastifyInstance } from 'fastify';
import type { AuthContext } from '../../http/auth.js';
import { BadRequest, NotFound } from '../../errors.js';
import type { PolicyTarget } from '../../policy/types.js';
import { floatingIpNotFound, networkNotFound, portNotFound, routerNotFound, subnetNotFound, trunkNotFound } from '../errors.js';
import { ADMIN_SCOPE, scopeOf } from '../model.js';
import { neutron, validate } from '../../http/validation.js';
import { tagsReplace } from './schemas/tags.js';
import { enforce } from './policy.js';
import { networkTarget } from './networks.js';
import { subnetTarget } from './subnets.js';
import { portTarget } from './ports.js';
import { trunkTarget } from './trunks.js';
import { routerTarget } from './routers.js';
import { floatingIpTarget } from './floating-ips.js';
import { subnetPoolNotFound } from '../subnet-pools.js';
import type { NetworkApiContext } from './common.js';

type Kind = 'networks' | 'subnets' | 'ports' | 'trunks' | 'routers' | 'floatingips' | 'subnetpools';
const KINDS: readonly Kind[] = ['networks', 'subnets', 'ports', 'trunks', 'routers', 'floatingips', 'subnetpools'];

const tagNotFound = (tag: string) => new NotFound(`Tag ${tag} could not be found.`, { type: 'TagNotFound' });

export function registerTagRoutes(app: FastifyInstance, ctx: NetworkApiContext): void {
  const { network: svc, policy } = ctx;

  /** The resource's policy target and singular name, when the caller may see it; its NotFound otherwise. */
  async function resolve(kind: Kind, id: string, auth: AuthContext): Promise<{ target: PolicyTarget; singular: string }> {
    const scope = scopeOf(auth);
    switch (kind) {
      case 'networks': {
        const target = networkTarget(await svc.networks.getRow(scope, id));
        if (!policy.allowed('get_network', target, auth)) throw networkNotFound(id);
        return { target, singular: 'network' };
      }
      case 'subnets': {
        const row = await svc.subnets.getRow(scope, id);
        const target = subnetTarget(row, await svc.networks.getRow(ADMIN_SCOPE, row.network_id));
        if (!policy.allowed('get_subnet', target, auth)) throw subnetNotFound(id);
        return { target, singular: 'subnet' };
      }
      case 'ports': {
        const row = await svc.ports.getRow(scope, id);
        const target = portTarget(row, await svc.networks.getRow(ADMIN_SCOPE, row.network_id));
        if (!policy.allowed('get_port', target, auth)) throw portNotFound(id);
        return { target, singular: 'port' };
      }
      case 'trunks': {
        const target = trunkTarget(await svc.trunks.getRow(scope, id));
        if (!policy.allowed('get_trunk', target, auth)) throw trunkNotFound(id);
        return { target, singular: 'trunk' };
      }
      case 'routers': {
        const target = routerTarget(await svc.routers.getRow(scope, id));
        if (!policy.allowed('get_router', target, auth)) throw routerNotFound(id);
        return { target, singular: 'router' };
      }
      case 'floatingips': {
        const target = floatingIpTarget(await svc.floatingIps.getRow(scope, id));
        if (!policy.allowed('get_floatingip', target, auth)) throw floatingIpNotFound(id);
        return { target, singular: 'floatingip' };
      }
      case 'subnetpools': {
        const row = await svc.subnetPools.getRow(scope, id);
        const target = { project_id: row.project_id, tenant_id: row.project_id, shared: row.shared === 1 };
        if (!policy.allowed('get_subnetpool', target, auth)) throw subnetPoolNotFound(id);
        return { target, singular: 'subnetpool' };
      }
    }
  }

  /** Changing tags is an update of the resource, as far as policy goes. */
  async function writable(kind: Kind, id: string, auth: AuthContext): Promise<void> {
    const { target, singular } = await resolve(kind, id, auth);
    enforce(policy, `update_${singular}`, target, auth);
  }

  for (const kind of KINDS) {
    app.get(`/${kind}/:id/tags`, async (request) => {
      const { id } = request.params as { id: string };
      await resolve(kind, id, request.auth);
      return { tags: await svc.tagsOf(id) };
    });

    app.get(`/${kind}/:id/tags/:tag`, async (request, reply) => {
      const { id, tag } = request.params as { id: string; tag: string };
      await resolve(kind, id, request.auth);
      if (!(await svc.tagsOf(id)).includes(tag)) throw tagNotFound(tag);
      return reply.code(204).send();
    });

    app.put(`/${kind}/:id/tags`, async (request) => {
      const { id } = request.params as { id: string };
      const body = request.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body) || (body as { tags?: unknown }).tags === undefined) {
        throw new BadRequest("Unable to find 'tags' in request body");
      }
      validate(tagsReplace, body, neutron);
      const tags = (body as { tags: string[] }).tags;
      await writable(kind, id, request.auth);
      await svc.replaceTags(id, tags);
      return { tags: await svc.tagsOf(id) };
    });

    app.put(`/${kind}/:id/tags/:tag`, async (request, reply) => {
      const { id, tag } = request.params as { id: string; tag: string };
      validate(tagsReplace, { tags: [tag] }, neutron);
      await writable(kind, id, request.auth);
      await svc.addTag(id, tag);
      return reply.code(201).send();
    });

    app.delete(`/${kind}/:id/tags`, async (request, reply) => {
      const { id } = request.params as { id: string };
      await writable(kind, id, request.auth);
      await svc.replaceTags(id, []);
      return reply.code(204).send();
    });

    app.delete(`/${kind}/:id/tags/:tag`, async (request, reply) => {
      const { id, tag } = request.params as { id: string; tag: string };
      await writable(kind, id, request.auth);
      if (!(await svc.removeTag(id, tag))) throw tagNotFound(tag);
      return reply.code(204).send();
    });
  }
}
