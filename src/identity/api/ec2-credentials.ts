/**
 * /v3/users/{id}/credentials/OS-EC2: EC2-style key pairs, kept as credentials
 * of type ec2 (the access key names the credential, as POST /v3/credentials does).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFound } from '../../errors.js';
import { credentialId, type Credential } from '../delegation-store.js';
import { authorize, collectionLinks, v3Url, type IdentityRouteContext } from './context.js';
import { keystone, validate } from '../../http/validation.js';
import { ec2CredentialCreate } from './schemas/ec2-credentials.js';
import { isObject, type Json } from './validate.js';

function blobOf(c: Credential): { access: string; secret: string; trust_id: string | null } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(c.blob);
  } catch {
    parsed = {};
  }
  const b = isObject(parsed) ? parsed : {};
  return {
    access: typeof b.access === 'string' ? b.access : '',
    secret: typeof b.secret === 'string' ? b.secret : '',
    trust_id: typeof b.trust_id === 'string' ? b.trust_id : null,
  };
}

export function registerEc2CredentialRoutes(app: FastifyInstance, ctx: IdentityRouteContext): void {
  const { identity } = ctx;
  const store = identity.delegation;
  const base = '/v3/users/:userId/credentials/OS-EC2';

  const view = (request: FastifyRequest, c: Credential): Json => {
    const b = blobOf(c);
    return {
      user_id: c.userId, tenant_id: c.projectId, access: b.access, secret: b.secret, trust_id: b.trust_id,
      links: { self: v3Url(ctx, request, `/users/${c.userId}/credentials/OS-EC2/${b.access}`) },
    };
  };
  const requireUser = async (id: string): Promise<void> => {
    if (!(await identity.store.getUser(id))) throw new NotFound(`Could not find user: ${id}.`);
  };
  const find = async (userId: string, access: string): Promise<Credential> => {
    const cred = await store.getCredential(credentialId('ec2', JSON.stringify({ access })));
    if (!cred || cred.type !== 'ec2' || cred.userId !== userId) throw new NotFound(`Could not find credential: ${access}.`);
    return cred;
  };
  const ownerTarget = (userId: string) => ({ user_id: userId, target: { credential: { user_id: userId } } });

  app.post<{ Params: { userId: string } }>(base, async (request, reply) => {
    validate(ec2CredentialCreate, request.body, keystone);
    const { userId } = request.params;
    authorize(ctx, request, 'identity:ec2_create_credential', ownerTarget(userId));
    await requireUser(userId);
    const projectId = (request.body as { tenant_id: string }).tenant_id;
    if (!(await identity.store.getProject(projectId))) throw new NotFound(`Could not find project: ${projectId}.`);
    const access = randomBytes(16).toString('hex');
    const secret = randomBytes(16).toString('hex');
    const cred = await store.createCredential({
      userId, projectId, type: 'ec2', blob: JSON.stringify({ access, secret, trust_id: null }), extra: {},
    });
    reply.code(201);
    return { credential: view(request, cred) };
  });

  app.get<{ Params: { userId: string } }>(base, async (request) => {
    const { userId } = request.params;
    authorize(ctx, request, 'identity:ec2_list_credentials', ownerTarget(userId));
    await requireUser(userId);
    const list = await store.listCredentials({ userId, type: 'ec2' });
    return { credentials: list.map((c) => view(request, c)), links: collectionLinks(ctx, request, `/users/${userId}/credentials/OS-EC2`) };
  });

  app.get<{ Params: { userId: string; access: string } }>(`${base}/:access`, async (request) => {
    const { userId, access } = request.params;
    authorize(ctx, request, 'identity:ec2_get_credential', ownerTarget(userId));
    return { credential: view(request, await find(userId, access)) };
  });

  app.delete<{ Params: { userId: string; access: string } }>(`${base}/:access`, async (request, reply) => {
    const { userId, access } = request.params;
    authorize(ctx, request, 'identity:ec2_delete_credential', ownerTarget(userId));
    const cred = await find(userId, access);
    await store.deleteCredential(cred.id);
    return reply.code(204).send();
  });
}
