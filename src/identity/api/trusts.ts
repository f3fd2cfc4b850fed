/**
 * /v3/OS-TRUST/trusts: a trustor delegates some of its roles on a project to
 * a trustee. Trusts are recorded and shown; tokens scoped to a trust are not
 * issued here.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Forbidden, NotFound } from '../../errors.js';
import type { Trust } from '../delegation-store.js';
import type { Role } from '../model.js';
import { authorize, v3Url, type IdentityRouteContext } from './context.js';
import { validated } from './schemas/common.js';
import { trustCreate } from './schemas/trusts.js';
import { expiryMs, parseExpiry, showExpiry } from '../times.js';
import { queryString, type Json } from './validate.js';
import { roleView } from './views.js';

const KNOWN = ['id', 'trustor_user_id', 'trustee_user_id', 'project_id', 'impersonation', 'expires_at', 'remaining_uses', 'roles', 'links',
  'roles_links', 'allow_redelegation', 'redelegation_count'];

export function registerTrustRoutes(app: FastifyInstance, ctx: IdentityRouteContext): void {
  const { identity } = ctx;
  const store = identity.delegation;
  const base = '/v3/OS-TRUST/trusts';
  const url = (request: FastifyRequest, path: string) => v3Url(ctx, request, `/OS-TRUST/trusts${path}`);

  const view = async (request: FastifyRequest, t: Trust): Promise<Json> => {
    const roles = await identity.store.rolesById(t.roleIds);
    return {
      id: t.id,
      trustor_user_id: t.trustorUserId,
      trustee_user_id: t.trusteeUserId,
      project_id: t.projectId,
      impersonation: t.impersonation,
      expires_at: showExpiry(t.expiresAt),
      remaining_uses: t.remainingUses,
      allow_redelegation: false,
      redelegation_count: 0,
      roles: t.roleIds.map((id) => roles.get(id)).filter((r): r is Role => r !== undefined)
        .map((r) => roleView(r, v3Url(ctx, request, `/roles/${r.id}`))),
      roles_links: { self: url(request, `/${t.id}/roles`), previous: null, next: null },
      links: { self: url(request, `/${t.id}`) },
    };
  };
  const trustTarget = (t: Trust | undefined) => ({
    target: { trust: { trustor_user_id: t?.trustorUserId ?? '', trustee_user_id: t?.trusteeUserId ?? '' } },
  });
  /** Keystone looks the trust up first: a missing one is a 404 for anyone. */
  const requireTrust = async (id: string): Promise<Trust> => {
    const trust = await store.getTrust(id);
    if (!trust || (trust.expiresAt !== null && expiryMs(trust.expiresAt) <= Date.now())) throw new NotFound(`Could not find trust: ${id}.`);
    return trust;
  };

  app.post(base, async (request, reply) => {
    const body = validated(request.body, 'trust', trustCreate);
    const trustorId = body.trustor_user_id as string;
    authorize(ctx, request, 'identity:create_trust', { target: { trust: { trustor_user_id: trustorId } } });
    if (request.auth.userId !== trustorId) throw new Forbidden('You are not authorized to perform the requested action: The authenticated user should match the trustor.');
    if (body.allow_redelegation === true) throw new BadRequest('Redelegation of trusts is not supported.');
    if ((await identity.verify(request.auth.token))?.appCred?.restricted) {
      throw new Forbidden('You are not authorized to perform the requested action: a restricted application credential cannot create a trust.');
    }
    const projectId = (body.project_id as string | null | undefined) ?? null;
    const roleRefs = (body.roles as Array<{ id?: string; name?: string }> | undefined) ?? [];
    if (projectId && roleRefs.length === 0) throw new Forbidden('You are not authorized to perform the requested action: At least one role should be specified.');
    const trustee = await identity.store.getUser(body.trustee_user_id as string);
    if (!trustee) throw new NotFound(`Could not find user: ${body.trustee_user_id as string}.`);
    const roleIds: string[] = [];
    for (const ref of roleRefs) {
      const role = ref.id !== undefined ? await identity.store.getRole(ref.id) : await identity.store.findRoleByName(ref.name!);
      if (!role) throw new NotFound(`Could not find role: ${ref.id ?? ref.name!}.`);
      roleIds.push(role.id);
    }
    if (projectId) {
      if (!(await identity.store.getProject(projectId))) throw new NotFound(`Could not find project: ${projectId}.`);
      // The trustor delegates only roles it holds there (implied roles count, as in its tokens).
      const held = new Set((await identity.store.effectiveRoles(trustorId, projectId)).map((r) => r.id));
      const missing = roleIds.find((id) => !held.has(id));
      if (missing) throw new NotFound(`Could not find role: ${missing}.`);
    }
    const trust = await store.createTrust({
      trustorUserId: trustorId, trusteeUserId: trustee.id, projectId, impersonation: body.impersonation as boolean,
      expiresAt: parseExpiry(body.expires_at), remainingUses: (body.remaining_uses as number | null | undefined) ?? null,
      roleIds, extra: Object.fromEntries(Object.entries(body).filter(([k]) => !KNOWN.includes(k))),
    });
    reply.code(201);
    return { trust: await view(request, trust) };
  });

  app.get(base, async (request) => {
    const q = request.query as Json;
    const trustorId = queryString(q, 'trustor_user_id');
    const trusteeId = queryString(q, 'trustee_user_id');
    if (trustorId !== undefined) authorize(ctx, request, 'identity:list_trusts_for_trustor', { target: { trust: { trustor_user_id: trustorId } } });
    else if (trusteeId !== undefined) authorize(ctx, request, 'identity:list_trusts_for_trustee', { target: { trust: { trustee_user_id: trusteeId } } });
    else authorize(ctx, request, 'identity:list_trusts');
    const now = Date.now();
    const list = (await store.listTrusts({ trustorUserId: trustorId, trusteeUserId: trusteeId }))
      .filter((t) => t.expiresAt === null || expiryMs(t.expiresAt) > now);
    const trusts: Json[] = [];
    for (const t of list) trusts.push(await view(request, t));
    return { trusts, links: { self: url(request, ''), previous: null, next: null } };
  });

  app.get<{ Params: { id: string } }>(`${base}/:id`, async (request) => {
    const trust = await requireTrust(request.params.id);
    authorize(ctx, request, 'identity:get_trust', trustTarget(trust));
    return { trust: await view(request, trust) };
  });

  app.delete<{ Params: { id: string } }>(`${base}/:id`, async (request, reply) => {
    const trust = await requireTrust(request.params.id);
    authorize(ctx, request, 'identity:delete_trust', trustTarget(trust));
    await store.deleteTrust(trust.id);
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string } }>(`${base}/:id/roles`, async (request) => {
    const trust = await requireTrust(request.params.id);
    authorize(ctx, request, 'identity:list_roles_for_trust', trustTarget(trust));
    const roles = await identity.store.rolesById(trust.roleIds);
    return {
      roles: trust.roleIds.map((id) => roles.get(id)).filter((r): r is Role => r !== undefined)
        .map((r) => roleView(r, v3Url(ctx, request, `/roles/${r.id}`))),
      links: { self: url(request, `/${trust.id}/roles`), previous: null, next: null },
    };
  });

  // GET also answers HEAD.
  app.get<{ Params: { id: string; roleId: string } }>(`${base}/:id/roles/:roleId`, async (request) => {
    const trust = await requireTrust(request.params.id);
    authorize(ctx, request, 'identity:get_role_for_trust', trustTarget(trust));
    const role = trust.roleIds.includes(request.params.roleId) ? await identity.store.getRole(request.params.roleId) : undefined;
    if (!role) throw new NotFound(`Could not find role: ${request.params.roleId}.`);
    return { role: roleView(role, v3Url(ctx, request, `/roles/${role.id}`)) };
  });
}
