/** /os-server-groups: create, list, show and delete server groups (Nova's server_groups controller). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '../../errors.js';
import { showValue, validate } from '../../http/validation.js';
import { INT32_MAX } from '../../db/integer-range.js';
import { createServerGroup, deleteServerGroup, getServerGroup, listServerGroups, type GroupPolicy, type ServerGroup } from '../server-groups.js';
import type { ComputeApiDeps } from './deps.js';
import { queryParam, rejectUnknownQuery } from './schemas/flavors.js';
import { createServerGroupSchema } from './schemas/server-groups.js';
import { serverGroupView } from './views/server-groups.js';

type P = { Params: { id: string } };

const TRUE_WORDS = ['', '1', 'true', 'yes', 'on', 't', 'y'];

/** limit and offset: non-negative integers (kept to the 32-bit range the database shares). */
function nonNegative(request: FastifyRequest, name: string): number | undefined {
  const raw = queryParam(request, name);
  if (raw === undefined) return undefined;
  if (!/^[0-9]+$/.test(raw)) throw new BadRequest(`Invalid input for query parameters ${name}. Value: ${showValue(raw)}. '${showValue(raw)}' does not match '^[0-9]*$'`);
  return Math.min(Number(raw), INT32_MAX);
}

export function registerServerGroupRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { db, policy, conf } = deps;
  const rule = (r: string) => `os_compute_api:os-server-groups:${r}`;
  const atLeastOf = (request: FastifyRequest) => (v: string) => request.apiVersion.atLeast(v);

  const visible = async (request: FastifyRequest<P>, r: string): Promise<ServerGroup> => {
    const group = await getServerGroup(db, request.params.id);
    policy.authorize(rule(r), { project_id: group.project_id, user_id: group.user_id }, request.auth);
    return group;
  };

  app.post('/os-server-groups', async (request) => {
    const atLeast = atLeastOf(request);
    validate(createServerGroupSchema(atLeast), request.body);
    policy.authorize(rule('create'), { project_id: request.auth.projectId, user_id: request.auth.userId }, request.auth);
    const sg = (request.body as { server_group: { name: string; policies?: string[]; policy?: string; rules?: { max_server_per_host?: number | string } } }).server_group;
    const groupPolicy = (sg.policy ?? sg.policies![0]) as GroupPolicy;
    const rules: ServerGroup['rules'] = {};
    if (sg.rules && Object.keys(sg.rules).length > 0) {
      if (groupPolicy !== 'anti-affinity') throw new BadRequest('Only anti-affinity policy supports rules.');
      if (sg.rules.max_server_per_host !== undefined) {
        const n = Number(sg.rules.max_server_per_host);
        if (!Number.isInteger(n) || n < 1 || n > INT32_MAX) {
          throw new BadRequest(`Invalid input for field/attribute max_server_per_host. Value: ${showValue(sg.rules.max_server_per_host)}. Must be a positive integer`);
        }
        rules.max_server_per_host = n;
      }
    }
    const group = await createServerGroup(db, conf.quota, { projectId: request.auth.projectId, userId: request.auth.userId }, { name: sg.name, policy: groupPolicy, rules });
    return { server_group: serverGroupView(group, atLeast) };
  });

  app.get('/os-server-groups', async (request) => {
    const atLeast = atLeastOf(request);
    if (atLeast('2.75')) rejectUnknownQuery(request, ['all_projects', 'limit', 'offset']);
    policy.authorize(rule('index'), { project_id: request.auth.projectId, user_id: request.auth.userId }, request.auth);
    const allProjects = queryParam(request, 'all_projects');
    const all = allProjects !== undefined && TRUE_WORDS.includes(allProjects.toLowerCase())
      && policy.allowed(rule('index:all_projects'), { project_id: request.auth.projectId }, request.auth);
    const groups = await listServerGroups(db, {
      projectId: all ? undefined : request.auth.projectId,
      limit: Math.min(nonNegative(request, 'limit') ?? conf.api.max_limit, conf.api.max_limit),
      offset: nonNegative(request, 'offset'),
    });
    return { server_groups: groups.map((g) => serverGroupView(g, atLeast)) };
  });

  app.get<P>('/os-server-groups/:id', async (request) => {
    const group = await visible(request, 'show');
    return { server_group: serverGroupView(group, atLeastOf(request)) };
  });

  app.delete<P>('/os-server-groups/:id', async (request, reply) => {
    const group = await visible(request, 'delete');
    await deleteServerGroup(db, group);
    return reply.code(204).send();
  });
}
