/** /v3/projects. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '../../http/errors.js';
import { DEFAULT_DOMAIN_ID } from '../bootstrap.js';
import type { Project } from '../model.js';
import { authorize, collectionLinks, v3Url, type IdentityRouteContext } from './context.js';
import { bool, extraAttributes, member, queryBool, queryString, str, stringList, type Json } from './validate.js';
import { projectView } from './views.js';

const KNOWN = ['id', 'name', 'domain_id', 'description', 'enabled', 'tags', 'parent_id', 'is_domain', 'options', 'links'];

export function registerProjectRoutes(app: FastifyInstance, ctx: IdentityRouteContext): void {
  const { identity } = ctx;
  const view = (request: FastifyRequest, p: Project) => projectView(p, v3Url(ctx, request, `/projects/${p.id}`));

  app.get('/v3/projects', async (request) => {
    const q = request.query as Json;
    authorize(ctx, request, 'identity:list_projects', { domain_id: queryString(q, 'domain_id') ?? null });
    const projects = await identity.store.listProjects({
      name: queryString(q, 'name'), domainId: queryString(q, 'domain_id'), enabled: queryBool(q, 'enabled'),
    });
    return { projects: projects.map((p) => view(request, p)), links: collectionLinks(ctx, request, '/projects') };
  });

  app.get<{ Params: { id: string } }>('/v3/projects/:id', async (request) => {
    const project = await identity.store.getProject(request.params.id);
    // The policy decides first, so whether a project exists is not revealed to those who may not see it.
    authorize(ctx, request, 'identity:get_project', { target: { project: { id: request.params.id, domain_id: project?.domainId ?? null } } });
    if (!project) throw new NotFound(`Could not find project: ${request.params.id}.`);
    return { project: view(request, project) };
  });

  app.post('/v3/projects', async (request, reply) => {
    const body = member(request.body, 'project');
    const domainId = str(body, 'domain_id', 'project', { maxLength: 64 }) ?? DEFAULT_DOMAIN_ID;
    authorize(ctx, request, 'identity:create_project', { target: { project: { domain_id: domainId } } });
    const parentId = str(body, 'parent_id', 'project', { maxLength: 64, nullable: true });
    if (parentId && parentId !== domainId) throw new BadRequest('Project hierarchies are not supported: parent_id must be the domain.');
    if (bool(body, 'is_domain', 'project') === true) throw new BadRequest('Projects acting as domains are not supported.');
    const project = await identity.createProject({
      name: str(body, 'name', 'project', { required: true, minLength: 1, maxLength: 64 }),
      domainId,
      description: str(body, 'description', 'project', { nullable: true }) ?? '',
      enabled: bool(body, 'enabled', 'project'),
      tags: stringList(body, 'tags', 'project'),
      extra: extraAttributes(body, KNOWN),
    });
    reply.code(201);
    return { project: view(request, project) };
  });

  app.patch<{ Params: { id: string } }>('/v3/projects/:id', async (request) => {
    const body = member(request.body, 'project');
    authorize(ctx, request, 'identity:update_project', { target: { project: { id: request.params.id } } });
    if (body.domain_id !== undefined) {
      const current = await identity.store.getProject(request.params.id);
      if (current && body.domain_id !== current.domainId) throw new BadRequest('Cannot change the domain of a project.');
    }
    const project = await identity.updateProject(request.params.id, {
      name: str(body, 'name', 'project', { minLength: 1, maxLength: 64 }) ?? undefined,
      description: str(body, 'description', 'project', { nullable: true }) ?? undefined,
      enabled: bool(body, 'enabled', 'project'),
      tags: stringList(body, 'tags', 'project'),
      extra: extraAttributes(body, KNOWN),
    });
    return { project: view(request, project) };
  });

  app.delete<{ Params: { id: string } }>('/v3/projects/:id', async (request, reply) => {
    authorize(ctx, request, 'identity:delete_project', { target: { project: { id: request.params.id } } });
    await identity.deleteProject(request.params.id);
    return reply.code(204).send();
  });
}
