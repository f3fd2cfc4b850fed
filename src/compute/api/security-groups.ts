/**
 * os-security-groups, os-security-group-rules and /servers/{id}/os-security-groups:
 * Nova's proxy to the network service's security groups (gone from 2.36 on,
 * except the per-server list), and the addSecurityGroup / removeSecurityGroup
 * server actions.
 */
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, BadRequest, NotFound } from '../../errors.js';
import type { AuthContext } from '../../http/auth.js';
import { showValue, validate } from '../../http/validation.js';
import type { NetworkClient, SecurityGroupInfo, SecurityGroupRuleRequest } from '../clients.js';
import { addSecurityGroupToInstance, instanceSecurityGroups, removeSecurityGroupFromInstance } from '../security-group-bindings.js';
import type { ComputeApiDeps } from './deps.js';
import { MAX_PROXY_API_SUPPORT_VERSION, lastQueryValue, requireAtMost } from './proxy-versions.js';
import { securityGroupActionName, securityGroupBody, securityGroupRuleBody } from './schemas/security-groups.js';
import { groupView, namesOf, ruleView, sortGroups, type GroupNames } from './views/security-groups.js';

const RULE = (r: string) => `os_compute_api:os-security-groups:${r}`;
const UUID_LIKE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

function validateId(id: unknown): string {
  if (typeof id !== 'string' || !UUID_LIKE.test(id)) throw new BadRequest('Security group id should be uuid');
  return id;
}

/** The network service's refusals in Nova's words: 404 stays 404, a conflict becomes 400 (Nova's Invalid). */
async function nova<T>(work: Promise<T>, notFound: string): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new NotFound(notFound);
    if (err instanceof ApiError && err.status === 409) throw new BadRequest(err.message);
    throw err;
  }
}

/** Names and projects of the remote groups the rules point at, as far as the caller may see them. */
async function remoteGroupNames(network: NetworkClient, auth: AuthContext, groups: SecurityGroupInfo[]): Promise<GroupNames> {
  const known = namesOf(groups);
  const missing = [...new Set(groups.flatMap((g) => g.security_group_rules.map((r) => r.remote_group_id)))]
    .filter((id): id is string => !!id && !known.has(id));
  if (missing.length > 0) {
    const isAdmin = auth.roles.includes('admin');
    for (const g of await network.securityGroupsByIds(missing)) {
      if (isAdmin || g.project_id === auth.projectId) known.set(g.id, { name: g.name, tenant_id: g.project_id });
    }
  }
  return known;
}

function nonNegativeQuery(request: FastifyRequest, name: string): number | undefined {
  const v = lastQueryValue(request, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,15}$/.test(v)) throw new BadRequest(`Invalid input for query parameters ${name}. Value: ${showValue(v)}. '${showValue(v)}' does not match '^[0-9]+$'`);
  return Number(v);
}

/** Nova's parse_cidr: none means anywhere; otherwise an IPv4 or IPv6 network. */
function parseCidr(cidr: string | null | undefined): string {
  if (!cidr) return '0.0.0.0/0';
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  const version = m ? isIP(m[1]!) : 0;
  if (!m || version === 0 || Number(m[2]) > (version === 4 ? 32 : 128)) throw new BadRequest(`${showValue(cidr)} is not a valid IP network.`);
  return cidr;
}

function toPort(v: unknown, icmp: boolean): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d{1,10}\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n)) {
    throw new BadRequest(icmp ? 'Invalid input received: Type and Code must be integers for ICMP protocol type'
      : 'Invalid input received: To and From ports must be integers');
  }
  return n;
}

interface RuleInput { parent_group_id?: string | null; group_id?: string | null; ip_protocol?: string | null; from_port?: unknown; to_port?: unknown; cidr?: string | null }

/** Nova's _new_ingress_rule: the Neutron rule a Nova rule request means, or a 400. */
function neutronRule(parent: string, input: RuleInput): SecurityGroupRuleRequest {
  const groupId = input.group_id ?? null;
  const cidr = groupId === null ? parseCidr(input.cidr) : null;
  const protocol = input.ip_protocol ?? null;
  let from: unknown = input.from_port ?? null;
  let to: unknown = input.to_port ?? null;
  if (groupId !== null && protocol) {
    const p = protocol.toUpperCase();
    if (p === 'ICMP' && from === null && to === null) { from = -1; to = -1; }
    else if ((p === 'TCP' || p === 'UDP') && from === null && to === null) { from = 1; to = 65535; }
  }
  let portMin: number | null = null;
  let portMax: number | null = null;
  let proto: string | null = null;
  if (protocol && from !== null && to !== null) {
    const p = protocol.toUpperCase();
    const f = toPort(from, p === 'ICMP');
    const t = toPort(to, p === 'ICMP');
    if (!['TCP', 'UDP', 'ICMP'].includes(p)) throw new BadRequest(`Invalid IP protocol ${showValue(protocol)}.`);
    if (p !== 'ICMP' && f > t) throw new BadRequest(`Invalid port range ${f}:${t}. Former value cannot be greater than the later`);
    if (p !== 'ICMP' && (f < 1 || t > 65535)) throw new BadRequest(`Invalid port range ${f}:${t}. Valid ${p} ports should be between 1-65535`);
    if (p === 'ICMP' && (f < -1 || f > 255 || t < -1 || t > 255)) throw new BadRequest(`Invalid port range ${f}:${t}. For ICMP, the type:code must be valid`);
    proto = protocol.toLowerCase();
    portMin = f === -1 ? null : f;
    portMax = t === -1 ? null : t;
  } else if (groupId === null) {
    throw new BadRequest('Not enough parameters to build a valid rule.');
  }
  if (cidr !== null) {
    const [net, prefix] = cidr.split('/');
    if (net !== '0.0.0.0' && net !== '::' && prefix === '0') throw new BadRequest(`Bad prefix for network in cidr ${cidr}`);
  }
  return {
    security_group_id: parent, direction: 'ingress', ethertype: cidr !== null && cidr.includes(':') ? 'IPv6' : 'IPv4',
    protocol: proto, port_range_min: portMin, port_range_max: portMax, remote_ip_prefix: cidr, remote_group_id: groupId,
  };
}

export function registerSecurityGroupRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { network, policy, conf, computeApi } = deps;
  const own = (request: FastifyRequest) => ({ project_id: request.auth.projectId });

  const render = async (request: FastifyRequest, group: SecurityGroupInfo) =>
    groupView(group, await remoteGroupNames(network, request.auth, [group]));

  app.get('/os-security-groups', async (request) => {
    requireAtMost(request, MAX_PROXY_API_SUPPORT_VERSION);
    policy.authorize(RULE('get'), own(request), request.auth);
    const limit = nonNegativeQuery(request, 'limit');
    const offset = nonNegativeQuery(request, 'offset') ?? 0;
    const allProjects = lastQueryValue(request, 'all_tenants') !== undefined && policy.allowed('context_is_admin', {}, request.auth);
    const groups = await network.listSecurityGroups(request.auth, { allProjects });
    const page = groups.slice(offset, offset + Math.min(conf.api.max_limit, limit || conf.api.max_limit));
    const names = await remoteGroupNames(network, request.auth, groups);
    return { security_groups: sortGroups(page.map((g) => groupView(g, names))) };
  });

  app.post('/os-security-groups', async (request) => {
    requireAtMost(request, MAX_PROXY_API_SUPPORT_VERSION);
    policy.authorize(RULE('create'), own(request), request.auth);
    validate(securityGroupBody, request.body);
    const { name, description } = (request.body as { security_group: { name: string; description: string } }).security_group;
    const group = await nova(network.createSecurityGroup(request.auth, { name, description }), 'Security group not found.');
    return { security_group: await render(request, group) };
  });

  app.get<{ Params: { id: string } }>('/os-security-groups/:id', async (request) => {
    requireAtMost(request, MAX_PROXY_API_SUPPORT_VERSION);
    policy.authorize(RULE('show'), own(request), request.auth);
    const id = validateId(request.params.id);
    const group = await nova(network.getSecurityGroup(request.auth, id), `Security group ${id} not found.`);
    return { security_group: await render(request, group) };
  });

  app.put<{ Params: { id: string } }>('/os-security-groups/:id', async (request) => {
    requireAtMost(request, MAX_PROXY_API_SUPPORT_VERSION);
    policy.authorize(RULE('update'), own(request), request.auth);
    const id = validateId(request.params.id);
    await nova(network.getSecurityGroup(request.auth, id), `Security group ${id} not found.`);
    validate(securityGroupBody, request.body);
    const { name, description } = (request.body as { security_group: { name: string; description: string } }).security_group;
    const group = await nova(network.updateSecurityGroup(request.auth, id, { name, description }), `Security group ${id} not found.`);
    return { security_group: await render(request, group) };
  });

  app.delete<{ Params: { id: string } }>('/os-security-groups/:id', async (request, reply) => {
    requireAtMost(request, MAX_PROXY_API_SUPPORT_VERSION);
    policy.authorize(RULE('delete'), own(request), request.auth);
    const id = validateId(request.params.id);
    await nova(network.deleteSecurityGroup(request.auth, id), `Security group ${id} not found.`);
    return reply.code(202).send();
  });

  app.post('/os-security-group-rules', async (request) => {
    requireAtMost(request, MAX_PROXY_API_SUPPORT_VERSION);
    policy.authorize(RULE('rule:create'), own(request), request.auth);
    validate(securityGroupRuleBody, request.body);
    const input = (request.body as { security_group_rule: RuleInput }).security_group_rule;
    const parentId = validateId(input.parent_group_id);
    const parent = await nova(network.getSecurityGroup(request.auth, parentId), `Security group ${parentId} not found.`);
    if (input.group_id !== undefined && input.group_id !== null) {
      const gid = validateId(input.group_id);
      await nova(network.getSecurityGroup(request.auth, gid), `Security group ${gid} not found.`);
    }
    const rule = neutronRule(parent.id, input);
    const exists = parent.security_group_rules.some((r) => r.direction === 'ingress' && r.remote_group_id === rule.remote_group_id
      && r.remote_ip_prefix === rule.remote_ip_prefix && r.protocol === rule.protocol
      && r.port_range_min === rule.port_range_min && r.port_range_max === rule.port_range_max);
    if (exists) throw new BadRequest(`This rule already exists in group ${parent.id}`);
    const created = await nova(network.createSecurityGroupRule(request.auth, rule), `Security group ${parent.id} not found.`);
    const names = await remoteGroupNames(network, request.auth, [{ ...parent, security_group_rules: [created] }]);
    return { security_group_rule: ruleView(created, names) };
  });

  app.delete<{ Params: { id: string } }>('/os-security-group-rules/:id', async (request, reply) => {
    requireAtMost(request, MAX_PROXY_API_SUPPORT_VERSION);
    policy.authorize(RULE('rule:delete'), own(request), request.auth);
    const id = validateId(request.params.id);
    await nova(network.deleteSecurityGroupRule(request.auth, id), `Security group rule ${id} not found.`);
    return reply.code(202).send();
  });

  // Not a proxy: the server's own groups stay at every microversion.
  app.get<{ Params: { id: string } }>('/servers/:id/os-security-groups', async (request) => {
    const row = await computeApi.authorizeOn(request.auth, request.params.id, RULE('list'));
    const groups = await instanceSecurityGroups(network, request.auth, row);
    const names = await remoteGroupNames(network, request.auth, groups);
    return { security_groups: sortGroups(groups.map((g) => groupView(g, names))) };
  });
}

/** Nova's _parse of the action body: a dict with a non-blank name. */
function actionGroupName(body: Record<string, unknown>, action: string): string {
  const arg = body[action];
  if (arg === null || typeof arg !== 'object' || Array.isArray(arg)) throw new BadRequest('Missing parameter dict');
  if (!Object.hasOwn(arg, 'name')) throw new BadRequest('Security group not specified');
  const name = (arg as { name: unknown }).name;
  validate(securityGroupActionName, name);
  if (typeof name !== 'string' || name.trim() === '') throw new BadRequest('Security group name cannot be empty');
  return name;
}

/**
 * addSecurityGroup / removeSecurityGroup, dispatched from server-actions.ts;
 * answers 202 or throws.
 */
export const SECURITY_GROUP_ACTIONS: Record<string, (deps: ComputeApiDeps, request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => Promise<FastifyReply>> = {
  async addSecurityGroup(deps, request, reply) {
    const row = await deps.computeApi.authorizeOn(request.auth, request.params.id, RULE('add'));
    const name = actionGroupName(request.body as Record<string, unknown>, 'addSecurityGroup');
    await addSecurityGroupToInstance(deps.db, deps.network, request.auth, row, name);
    return reply.code(202).send();
  },
  async removeSecurityGroup(deps, request, reply) {
    const row = await deps.computeApi.authorizeOn(request.auth, request.params.id, RULE('remove'));
    const name = actionGroupName(request.body as Record<string, unknown>, 'removeSecurityGroup');
    await removeSecurityGroupFromInstance(deps.db, deps.network, request.auth, row, name);
    return reply.code(202).send();
  },
};
