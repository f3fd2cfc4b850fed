/**
 * Grants beside a user's role on a project (roles.ts): users and groups on
 * domains, groups on projects, users and groups on the system; and
 * /v3/role_assignments over all of them, with `effective` and `include_names`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFound } from '../../errors.js';
import { checkAssignmentFilters } from './schemas/grants.js';
import type { GrantType } from '../group-store.js';
import { expandImplied } from '../store.js';
import { authorize, collectionLinks, v3Url, type IdentityRouteContext } from './context.js';
import { queryFlag, queryString, type Json } from './validate.js';
import { roleView } from './views.js';

type ActorKind = 'user' | 'group';
type ScopeKind = 'project' | 'domain' | 'system';

const GRANT_TYPE: Record<ScopeKind, Record<ActorKind, GrantType | undefined>> = {
  project: { user: undefined, group: 'GroupProject' },
  domain: { user: 'UserDomain', group: 'GroupDomain' },
  system: { user: 'UserSystem', group: 'GroupSystem' },
};

const KINDS_OF: Record<GrantType, { actor: ActorKind; scope: ScopeKind }> = {
  UserDomain: { actor: 'user', scope: 'domain' },
  GroupProject: { actor: 'group', scope: 'project' },
  GroupDomain: { actor: 'group', scope: 'domain' },
  UserSystem: { actor: 'user', scope: 'system' },
  GroupSystem: { actor: 'group', scope: 'system' },
};

const SYSTEM = 'system';

interface Entry {
  actor: { kind: ActorKind; id: string };
  scope: { kind: ScopeKind; id: string };
  roleId: string;
  priorRoleId?: string;
  viaGroupId?: string;
}

/** The path of one grant, as Keystone's assignment links spell it. */
function grantPath(actor: Entry['actor'], scope: Entry['scope'], roleId: string): string {
  const a = `${actor.kind}s/${actor.id}`;
  return scope.kind === 'system' ? `/system/${a}/roles/${roleId}` : `/${scope.kind}s/${scope.id}/${a}/roles/${roleId}`;
}

export function registerGrantRoutes(app: FastifyInstance, ctx: IdentityRouteContext): void {
  const { identity } = ctx;
  const store = identity.store;
  const groups = identity.groups;

  const requireScope = async (kind: ScopeKind, id: string): Promise<void> => {
    if (kind === 'project' && !(await store.getProject(id))) throw new NotFound(`Could not find project: ${id}.`);
    if (kind === 'domain' && !(await store.getDomain(id))) throw new NotFound(`Could not find domain: ${id}.`);
  };
  const requireActor = async (kind: ActorKind, id: string): Promise<void> => {
    if (kind === 'user' && !(await store.getUser(id))) throw new NotFound(`Could not find user: ${id}.`);
    if (kind === 'group' && !(await groups.getGroup(id))) throw new NotFound(`Could not find group: ${id}.`);
  };

  for (const scope of ['project', 'domain', 'system'] as const) {
    for (const actor of ['user', 'group'] as const) {
      const type = GRANT_TYPE[scope][actor];
      if (!type) continue;
      const base = scope === 'system' ? `/v3/system/${actor}s/:actorId/roles` : `/v3/${scope}s/:targetId/${actor}s/:actorId/roles`;
      type P = { targetId?: string; actorId: string; roleId?: string };
      const parts = (request: FastifyRequest<{ Params: P }>) => ({
        targetId: scope === 'system' ? SYSTEM : request.params.targetId!, actorId: request.params.actorId, roleId: request.params.roleId ?? '',
      });
      const target = (p: ReturnType<typeof parts>) => ({
        target: { [scope]: { id: p.targetId }, [actor]: { id: p.actorId }, ...(p.roleId ? { role: { id: p.roleId } } : {}) },
      });
      const requireAll = async (p: ReturnType<typeof parts>, withRole: boolean): Promise<void> => {
        await requireScope(scope, p.targetId);
        await requireActor(actor, p.actorId);
        if (withRole && !(await store.getRole(p.roleId))) throw new NotFound(`Could not find role: ${p.roleId}.`);
      };
      const grant = (p: ReturnType<typeof parts>) => ({ type, actorId: p.actorId, targetId: p.targetId, roleId: p.roleId });

      app.get<{ Params: P }>(base, async (request) => {
        const p = parts(request);
        authorize(ctx, request, scope === 'system' ? `identity:list_system_grants_for_${actor}` : 'identity:list_grants', target(p));
        await requireAll(p, false);
        const grants = await groups.listGrants({ types: [type], actorIds: [p.actorId], targetId: p.targetId });
        const roles = [...(await store.rolesById(grants.map((g) => g.roleId))).values()].sort((a, b) => a.name.localeCompare(b.name));
        const path = request.url.slice(request.url.indexOf('/v3') + 3).split('?')[0]!;
        return { roles: roles.map((r) => roleView(r, v3Url(ctx, request, `/roles/${r.id}`))), links: collectionLinks(ctx, request, path) };
      });

      app.put<{ Params: P }>(`${base}/:roleId`, async (request, reply) => {
        const p = parts(request);
        authorize(ctx, request, scope === 'system' ? `identity:create_system_grant_for_${actor}` : 'identity:create_grant', target(p));
        await requireAll(p, true);
        await groups.grant(grant(p));
        return reply.code(204).send();
      });

      // GET also answers HEAD: Keystone's check_grant.
      app.get<{ Params: P }>(`${base}/:roleId`, async (request, reply) => {
        const p = parts(request);
        authorize(ctx, request, scope === 'system' ? `identity:check_system_grant_for_${actor}` : 'identity:check_grant', target(p));
        await requireAll(p, true);
        if (!(await groups.hasGrant(grant(p)))) {
          throw new NotFound(`Could not find role assignment with role: ${p.roleId}, user or group: ${p.actorId}, project, domain, or system: ${p.targetId}.`);
        }
        return reply.code(204).send();
      });

      app.delete<{ Params: P }>(`${base}/:roleId`, async (request, reply) => {
        const p = parts(request);
        authorize(ctx, request, scope === 'system' ? `identity:revoke_system_grant_for_${actor}` : 'identity:revoke_grant', target(p));
        await requireAll(p, true);
        await identity.revokeOtherGrant(grant(p));
        return reply.code(204).send();
      });
    }
  }

  // -- role assignments

  app.get('/v3/role_assignments', async (request) => {
    const q = request.query as Json;
    const userId = queryString(q, 'user.id');
    const groupId = queryString(q, 'group.id');
    const roleId = queryString(q, 'role.id');
    const projectId = queryString(q, 'scope.project.id');
    const domainId = queryString(q, 'scope.domain.id');
    const system = Object.hasOwn(q, 'scope.system');
    authorize(ctx, request, 'identity:list_role_assignments', {
      'user.id': userId ?? null, 'group.id': groupId ?? null, 'role.id': roleId ?? null,
      'scope.project.id': projectId ?? null, 'scope.domain.id': domainId ?? null,
    });
    const effective = queryFlag(q, 'effective');
    checkAssignmentFilters({ effective, group: groupId !== undefined, scopes: [projectId !== undefined, domainId !== undefined, system] });
    const links = collectionLinks(ctx, request, '/role_assignments');
    // Nothing is inherited here (no OS-INHERIT grants).
    if (Object.hasOwn(q, 'scope.OS-INHERIT:inherited_to')) return { role_assignments: [], links };

    const scopeWanted = (s: Entry['scope']): boolean =>
      (projectId === undefined || (s.kind === 'project' && s.id === projectId))
      && (domainId === undefined || (s.kind === 'domain' && s.id === domainId))
      && (!system || s.kind === 'system');

    let entries: Entry[] = [
      ...(await store.listAssignments({ projectId })).map((a): Entry => ({
        actor: { kind: 'user', id: a.userId }, scope: { kind: 'project', id: a.projectId }, roleId: a.roleId,
      })),
      ...(await groups.listGrants({ targetId: projectId ?? domainId ?? (system ? SYSTEM : undefined) })).map((g): Entry => ({
        actor: { kind: KINDS_OF[g.type].actor, id: g.actorId }, scope: { kind: KINDS_OF[g.type].scope, id: g.targetId }, roleId: g.roleId,
      })),
    ].filter((e) => scopeWanted(e.scope));

    if (effective) {
      // A group's grant becomes one per member; then implied roles are added, as tokens get them.
      const members = new Map<string, string[]>();
      const expanded: Entry[] = [];
      for (const e of entries) {
        if (e.actor.kind === 'user') {
          expanded.push(e);
          continue;
        }
        let ids = members.get(e.actor.id);
        if (!ids) members.set(e.actor.id, (ids = await groups.memberIds(e.actor.id)));
        for (const u of ids) expanded.push({ ...e, actor: { kind: 'user', id: u }, viaGroupId: e.actor.id });
      }
      const implications = await store.listImpliedRoles();
      const seen = new Set<string>();
      entries = [];
      for (const e of expanded) {
        for (const r of expandImplied([e.roleId], implications)) {
          const key = `${e.actor.id}\0${e.scope.kind}\0${e.scope.id}\0${r}`;
          if (seen.has(key)) continue;
          seen.add(key);
          entries.push(r === e.roleId ? e : { ...e, roleId: r, priorRoleId: e.roleId });
        }
      }
    }
    entries = entries.filter((e) => (userId === undefined || (e.actor.kind === 'user' && e.actor.id === userId))
      && (groupId === undefined || (e.actor.kind === 'group' && e.actor.id === groupId))
      && (roleId === undefined || e.roleId === roleId));

    const includeNames = queryFlag(q, 'include_names');
    const names = includeNames ? await loadNames(entries) : undefined;
    return { role_assignments: entries.map((e) => render(request, e, names)), links };
  });

  interface Names {
    roles: Map<string, { name: string }>;
    users: Map<string, { name: string; domainId: string }>;
    groups: Map<string, { name: string; domainId: string }>;
    projects: Map<string, { name: string; domainId: string }>;
    domains: Map<string, { name: string }>;
  }

  async function loadNames(entries: Entry[]): Promise<Names> {
    const of = (kind: string, pick: (e: Entry) => { kind: string; id: string }) => entries.map(pick).filter((x) => x.kind === kind).map((x) => x.id);
    const [roles, users, grps, projects] = await Promise.all([
      store.rolesById(entries.map((e) => e.roleId)),
      store.usersById(of('user', (e) => e.actor)),
      groups.groupsById(of('group', (e) => e.actor)),
      store.projectsById(of('project', (e) => e.scope)),
    ]);
    const domains = await store.domainsById([
      ...of('domain', (e) => e.scope),
      ...[...users.values(), ...grps.values(), ...projects.values()].map((x) => x.domainId),
    ]);
    return { roles, users, groups: grps, projects, domains };
  }

  function render(request: FastifyRequest, e: Entry, names: Names | undefined): Json {
    const domainRef = (id: string) => ({ id, name: names?.domains.get(id)?.name ?? id });
    const named = (id: string, found: { name: string; domainId?: string } | undefined): Json => {
      if (!names || !found) return { id };
      return found.domainId === undefined ? { id, name: found.name } : { id, name: found.name, domain: domainRef(found.domainId) };
    };
    const role: Json = names ? { id: e.roleId, name: names.roles.get(e.roleId)?.name } : { id: e.roleId };
    const actor = e.actor.kind === 'user' ? named(e.actor.id, names?.users.get(e.actor.id)) : named(e.actor.id, names?.groups.get(e.actor.id));
    let scope: Json;
    if (e.scope.kind === 'system') scope = { system: { all: true } };
    else if (e.scope.kind === 'project') scope = { project: named(e.scope.id, names?.projects.get(e.scope.id)) };
    else scope = { domain: names ? domainRef(e.scope.id) : { id: e.scope.id } };

    const grantActor = e.viaGroupId ? { kind: 'group' as const, id: e.viaGroupId } : e.actor;
    const assignmentLinks: Json = { assignment: v3Url(ctx, request, grantPath(grantActor, e.scope, e.priorRoleId ?? e.roleId)) };
    if (e.viaGroupId) assignmentLinks.membership = v3Url(ctx, request, `/groups/${e.viaGroupId}/users/${e.actor.id}`);
    if (e.priorRoleId) assignmentLinks.prior_role = v3Url(ctx, request, `/roles/${e.priorRoleId}`);
    return { role, [e.actor.kind]: actor, scope, links: assignmentLinks };
  }
}
