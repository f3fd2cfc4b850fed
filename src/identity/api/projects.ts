/** /v3/projects. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '../../errors.js';
import { DEFAULT_DOMAIN_ID } from '../bootstrap.js';
import type { Project } from '../model.js';
import { authorize, collectionLinks, v3Url, type IdentityRouteContext } from './context.js';
import { extraAttributes, queryBool, queryString, type Json } from './validate.js';
import { projectView } from './views.js';
import { keystone, showValue, validate } from '../../http/validation.js';
import { validated } from './schemas/common.js';
import { projectCreate, projectUpdate } from './schemas/projects.js';
import { projectTagsUpdate, tag } from './schemas/project-tags.js';

const KNOWN = ['id', 'name', 'domain_id', 'description', 'enabled', 'tags', 'parent_id', 'is_domain', 'options', 'links'];

export function registerProjectRoutes(app: FastifyInstance, ctx: IdentityRouteContext): void {
  const { identity } = ctx;
  const view = (request: FastifyRequest, p: Project) => projectView(p, v3Url(ctx, request, `/projects/${p.id}`));

  app.get('/v3/projects', async (request) => {
    const q = request.query as Json;
    authorize(ctx, request, 'identity:list_projects', { domain_id: queryString(q, 'domain_id') ?? null });
    const projects = await identity.store.listProjects({
      name: queryString(q, 'name'), domainId: queryString(q, 'domain_id'), enabled: queryBool(q, 'enabled'),
      parentId: queryString(q, 'parent_id'),
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
    const body = validated(request.body, 'project', projectCreate);
    const domainId = (body.domain_id as string | null | undefined) ?? DEFAULT_DOMAIN_ID;
    authorize(ctx, request, 'identity:create_project', { target: { project: { domain_id: domainId } } });
    const parentId = body.parent_id as string | null | undefined;
    let parent: Project | undefined;
    if (parentId && parentId !== domainId) {
      parent = await identity.store.getProject(parentId);
      if (!parent) throw new NotFound(`Could not find project: ${parentId}.`);
      // Keystone: a child lives in its parent's domain.
      if (body.domain_id !== undefined && parent.domainId !== domainId) {
        throw new BadRequest('Cannot create project, the parent is in a different domain.');
      }
    }
    if (body.is_domain === true) throw new BadRequest('Projects acting as domains are not supported.');
    const project = await identity.createProject({
      name: body.name as string,
      domainId: parent?.domainId ?? domainId,
      parentId: parent?.id ?? null,
      description: (body.description as string | null | undefined) ?? '',
      enabled: body.enabled as boolean | undefined,
      tags: body.tags as string[] | undefined,
      extra: extraAttributes(body, KNOWN),
    });
    reply.code(201);
    return { project: view(request, project) };
  });

  app.patch<{ Params: { id: string } }>('/v3/projects/:id', async (request) => {
    const body = validated(request.body, 'project', projectUpdate);
    authorize(ctx, request, 'identity:update_project', { target: { project: { id: request.params.id } } });
    if (body.domain_id !== undefined) {
      const current = await identity.store.getProject(request.params.id);
      if (current && body.domain_id !== current.domainId) throw new BadRequest('Cannot change the domain of a project.');
    }
    const project = await identity.updateProject(request.params.id, {
      name: (body.name as string | undefined) ?? undefined,
      description: (body.description as string | null | undefined) ?? undefined,
      enabled: body.enabled as boolean | undefined,
      tags: body.tags as string[] | undefined,
      extra: extraAttributes(body, KNOWN),
    });
    return { project: view(request, project) };
  });

  app.delete<{ Params: { id: string } }>('/v3/projects/:id', async (request, reply) => {
    authorize(ctx, request, 'identity:delete_project', { target: { project: { id: request.params.id } } });
    await identity.deleteProject(request.params.id);
    return reply.code(204).send();
  });

  // -- tags

  const tagTarget = (id: string) => ({ target: { project: { id } } });
  const requireProject = async (id: string): Promise<Project> => {
    const project = await identity.store.getProject(id);
    if (!project) throw new NotFound(`Could not find project: ${id}.`);
    return project;
  };
  const checkTag = (value: string): void => validate(tag, value, keystone);

  app.get<{ Params: { id: string } }>('/v3/projects/:id/tags', async (request) => {
    authorize(ctx, request, 'identity:list_project_tags', tagTarget(request.params.id));
    return { tags: (await requireProject(request.params.id)).tags };
  });

  app.put<{ Params: { id: string } }>('/v3/projects/:id/tags', async (request) => {
    validate(projectTagsUpdate, request.body, keystone);
    authorize(ctx, request, 'identity:update_project_tags', tagTarget(request.params.id));
    await requireProject(request.params.id);
    const tags = [...new Set((request.body as { tags: string[] }).tags)];
    return { tags: (await identity.updateProject(request.params.id, { tags })).tags };
  });

  app.delete<{ Params: { id: string } }>('/v3/projects/:id/tags', async (request, reply) => {
    authorize(ctx, request, 'identity:delete_project_tags', tagTarget(request.params.id));
    await requireProject(request.params.id);
    await identity.updateProject(request.params.id, { tags: [] });
    return reply.code(204).send();
  });

  // GET also answers HEAD: whether the project has the tag.
  app.get<{ Params: { id: string; tag: string } }>('/v3/projects/:id/tags/:tag', async (request, reply) => {
    authorize(ctx, request, 'identity:get_project_tag', tagTarget(request.params.id));
    const project = await requireProject(request.params.id);
    if (!project.tags.includes(request.params.tag)) throw new NotFound(`Tag ${showValue(request.params.tag)} not found for project ${project.id}.`);
    return reply.code(204).send();
  });

  app.put<{ Params: { id: string; tag: string } }>('/v3/projects/:id/tags/:tag', async (request, reply) => {
    authorize(ctx, request, 'identity:create_project_tag', tagTarget(request.params.id));
    checkTag(request.params.tag);
    const project = await requireProject(request.params.id);
    if (!project.tags.includes(request.params.tag)) {
      if (project.tags.length >= 80) throw new BadRequest('A project may have at most 80 tags.');
      await identity.updateProject(project.id, { tags: [...project.tags, request.params.tag] });
    }
    reply.code(201).header('location', v3Url(ctx, request, `/projects/${project.id}/tags/${encodeURIComponent(request.params.tag)}`));
    return { tags: (await requireProject(project.id)).tags };
  });

  app.delete<{ Params: { id: string; tag: string } }>('/v3/projects/:id/tags/:tag', async (request, reply) => {
    authorize(ctx, request, 'identity:delete_project_tag', tagTarget(request.params.id));
    const project = await requireProject(request.params.id);
    if (!project.tags.includes(request.params.tag)) throw new NotFound(`Tag ${showValue(request.params.tag)} not found for project ${project.id}.`);
    await identity.updateProject(project.id, { tags: project.tags.filter((t) => t !== request.params.tag) });
    return reply.code(204).send();
  });
}
