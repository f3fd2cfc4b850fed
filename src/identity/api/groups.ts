/** /v3/groups and group membership (/v3/groups/{id}/users, /v3/users/{id}/groups). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '../../errors.js';
import { DEFAULT_DOMAIN_ID } from '../bootstrap.js';
import type { Group } from '../group-store.js';
import { authorize, collectionLinks, v3Url, type IdentityRouteContext } from './context.js';
import { validated } from './schemas/common.js';
import { groupCreate, groupUpdate } from './schemas/groups.js';
import { extraAttributes, queryString, type Json } from './validate.js';
import { userView } from './views.js';

const KNOWN = ['id', 'name', 'domain_id', 'description', 'links'];

export function groupView(g: Group, selfUrl: string): Record<string, unknown> {
  return { ...g.extra, id: g.id, name: g.name, domain_id: g.domainId, description: g.description, links: { self: selfUrl } };
}

interface MemberParams { groupId: string; userId: string }

export function registerGroupRoutes(app: FastifyInstance, ctx: IdentityRouteContext): void {
  const { identity } = ctx;
  const groups = identity.groups;
  const view = (request: FastifyRequest, g: Group) => groupView(g, v3Url(ctx, request, `/groups/${g.id}`));

  const requireGroup = async (id: string): Promise<Group> => {
    const group = await groups.getGroup(id);
    if (!group) throw new NotFound(`Could not find group: ${id}.`);
    return group;
  };
  const requireMemberParts = async (p: MemberParams): Promise<void> => {
    await requireGroup(p.groupId);
    if (!(await identity.store.getUser(p.userId))) throw new NotFound(`Could not find user: ${p.userId}.`);
  };

  app.get('/v3/groups', async (request) => {
    const q = request.query as Json;
    authorize(ctx, request, 'identity:list_groups', { domain_id: queryString(q, 'domain_id') ?? null });
    const list = await groups.listGroups({ name: queryString(q, 'name'), domainId: queryString(q, 'domain_id') });
    return { groups: list.map((g) => view(request, g)), links: collectionLinks(ctx, request, '/groups') };
  });

  app.get<{ Params: { id: string } }>('/v3/groups/:id', async (request) => {
    authorize(ctx, request, 'identity:get_group', { target: { group: { id: request.params.id } } });
    return { group: view(request, await requireGroup(request.params.id)) };
  });

  app.post('/v3/groups', async (request, reply) => {
    const body = validated(request.body, 'group', groupCreate);
    const domainId = (body.domain_id as string | undefined) ?? DEFAULT_DOMAIN_ID;
    authorize(ctx, request, 'identity:create_group', { target: { group: { domain_id: domainId } } });
    if (!(await identity.store.getDomain(domainId))) throw new NotFound(`Could not find domain: ${domainId}.`);
    const group = await groups.createGroup({
      name: body.name as string, domainId,
      description: (body.description as string | null | undefined) ?? '',
      extra: extraAttributes(body, KNOWN),
    });
    reply.code(201);
    return { group: view(request, group) };
  });

  app.patch<{ Params: { id: string } }>('/v3/groups/:id', async (request) => {
    const body = validated(request.body, 'group', groupUpdate);
    authorize(ctx, request, 'identity:update_group', { target: { group: { id: request.params.id } } });
    const current = await requireGroup(request.params.id);
    if (body.domain_id !== undefined && body.domain_id !== current.domainId) {
      throw new BadRequest('Cannot change the domain of a group.');
    }
    const group = await groups.updateGroup(request.params.id, {
      name: body.name as string | undefined,
      description: body.description === null ? '' : body.description as string | undefined,
      extra: extraAttributes(body, KNOWN),
    });
    return { group: view(request, group) };
  });

  app.delete<{ Params: { id: string } }>('/v3/groups/:id', async (request, reply) => {
    authorize(ctx, request, 'identity:delete_group', { target: { group: { id: request.params.id } } });
    await identity.deleteGroup(request.params.id);
    return reply.code(204).send();
  });

  // -- membership

  app.get<{ Params: { id: string } }>('/v3/groups/:id/users', async (request) => {
    authorize(ctx, request, 'identity:list_users_in_group', { target: { group: { id: request.params.id } } });
    await requireGroup(request.params.id);
    const users = [...(await identity.store.usersById(await groups.memberIds(request.params.id))).values()]
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    return {
      users: users.map((u) => userView(u, v3Url(ctx, request, `/users/${u.id}`))),
      links: collectionLinks(ctx, request, `/groups/${request.params.id}/users`),
    };
  });

  app.put<{ Params: MemberParams }>('/v3/groups/:groupId/users/:userId', async (request, reply) => {
    authorize(ctx, request, 'identity:add_user_to_group', { target: { group: { id: request.params.groupId }, user: { id: request.params.userId } } });
    await requireMemberParts(request.params);
    await groups.addMember(request.params.groupId, request.params.userId);
    return reply.code(204).send();
  });

  // GET also answers HEAD: Keystone's check_user_in_group.
  app.get<{ Params: MemberParams }>('/v3/groups/:groupId/users/:userId', async (request, reply) => {
    authorize(ctx, request, 'identity:check_user_in_group', { target: { group: { id: request.params.groupId }, user: { id: request.params.userId } } });
    await requireMemberParts(request.params);
    if (!(await groups.isMember(request.params.groupId, request.params.userId))) {
      throw new NotFound(`Could not find user: ${request.params.userId} in group ${request.params.groupId}.`);
    }
    return reply.code(204).send();
  });

  app.delete<{ Params: MemberParams }>('/v3/groups/:groupId/users/:userId', async (request, reply) => {
    authorize(ctx, request, 'identity:remove_user_from_group', { target: { group: { id: request.params.groupId }, user: { id: request.params.userId } } });
    await requireMemberParts(request.params);
    await identity.removeGroupMember(request.params.groupId, request.params.userId);
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string } }>('/v3/users/:id/groups', async (request) => {
    authorize(ctx, request, 'identity:list_groups_for_user', { target: { user: { id: request.params.id } } });
    if (!(await identity.store.getUser(request.params.id))) throw new NotFound(`Could not find user: ${request.params.id}.`);
    const list = await groups.groupsOfUser(request.params.id);
    return {
      groups: list.map((g) => ({ ...view(request, g), membership_expires_at: null })),
      links: collectionLinks(ctx, request, `/users/${request.params.id}/groups`),
    };
  });
}
