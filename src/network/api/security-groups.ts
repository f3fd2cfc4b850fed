/**
 * /v2.0/security-groups and /v2.0/security-group-rules: the core of
 * Neutron's security group API (list, show, create, update, delete) over the
 * model in ../security-groups.ts. Filters beyond name and project, and quotas,
 * are for the full API to add.
 */
import type { FastifyInstance } from 'fastify';
import { neutron, validate } from '../../http/validation.js';
import type { PolicyTarget } from '../../policy/types.js';
import { scopeOf } from '../model.js';
import { securityGroupNotFound, securityGroupRuleNotFound, type SecurityGroupRecord, type SecurityGroupRuleCreate } from '../security-groups.js';
import type { SecurityGroupRuleRow } from '../tables.js';
import { enforce } from './policy.js';
import { selectFields } from './views.js';
import { fieldsOf, type NetworkApiContext } from './common.js';
import { owningProject, resourceItems } from './schemas/common.js';
import { checkRule, securityGroupCreate, securityGroupRuleCreate, securityGroupUpdate } from './schemas/security-groups.js';

/** Neutron shows timestamps to the second, with a Z. */
function neutronTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

function ruleView(r: SecurityGroupRuleRow): Record<string, unknown> {
  return {
    id: r.id, security_group_id: r.security_group_id, direction: r.direction, ethertype: r.ethertype, protocol: r.protocol,
    port_range_min: r.port_range_min, port_range_max: r.port_range_max, remote_ip_prefix: r.remote_ip_prefix,
    remote_group_id: r.remote_group_id, remote_address_group_id: null, normalized_cidr: r.remote_ip_prefix,
    description: r.description, project_id: r.project_id, tenant_id: r.project_id, tags: [],
    created_at: neutronTime(r.created_at), updated_at: neutronTime(r.updated_at), revision_number: r.revision_number,
  };
}

function groupView(g: SecurityGroupRecord): Record<string, unknown> {
  return {
    id: g.group.id, name: g.group.name, description: g.group.description, stateful: g.group.stateful === 1, shared: false,
    project_id: g.group.project_id, tenant_id: g.group.project_id, security_group_rules: g.rules.map(ruleView), tags: [],
    created_at: neutronTime(g.group.created_at), updated_at: neutronTime(g.group.updated_at), revision_number: g.group.revision_number,
  };
}

const groupTarget = (projectId: string): PolicyTarget => ({ project_id: projectId, tenant_id: projectId });

export function registerSecurityGroupRoutes(app: FastifyInstance, ctx: NetworkApiContext): void {
  const { network: svc, policy } = ctx;
  const store = svc.securityGroups;

  app.get('/security-groups', async (request) => {
    const query = request.query as Record<string, unknown>;
    const name = typeof query.name === 'string' ? query.name : undefined;
    const project = [query.project_id, query.tenant_id].find((v): v is string => typeof v === 'string');
    const records = await store.list(scopeOf(request.auth), { ...(name !== undefined ? { name } : {}), ...(project !== undefined ? { projectId: project } : {}) });
    const shown = records.filter((g) => policy.allowed('get_security_group', groupTarget(g.group.project_id), request.auth));
    return { security_groups: shown.map((g) => selectFields(groupView(g), fieldsOf(query))) };
  });

  app.get('/security-groups/:id', async (request) => {
    const { id } = request.params as { id: string };
    const g = await store.get(scopeOf(request.auth), id);
    if (!policy.allowed('get_security_group', groupTarget(g.group.project_id), request.auth)) throw securityGroupNotFound(id);
    return { security_group: selectFields(groupView(g), fieldsOf(request.query as Record<string, unknown>)) };
  });

  app.post('/security-groups', async (request, reply) => {
    const item = resourceItems(request.body, 'security_group', '\0').items[0]!;
    validate(securityGroupCreate, item, neutron);
    const owner = owningProject(item, request.auth);
    enforce(policy, 'create_security_group', groupTarget(owner), request.auth);
    const created = await store.create(owner, { name: (item.name as string | undefined) ?? '', description: (item.description as string | undefined) ?? '' });
    reply.code(201);
    return { security_group: groupView(created) };
  });

  app.put('/security-groups/:id', async (request) => {
    const { id } = request.params as { id: string };
    const item = resourceItems(request.body, 'security_group', '\0').items[0]!;
    validate(securityGroupUpdate, item, neutron);
    const g = await store.get(scopeOf(request.auth), id);
    enforce(policy, 'update_security_group', groupTarget(g.group.project_id), request.auth);
    const changes: { name?: string; description?: string } = {};
    if (item.name !== undefined) changes.name = item.name as string;
    if (item.description !== undefined) changes.description = item.description as string;
    return { security_group: groupView(await store.update(scopeOf(request.auth), id, changes)) };
  });

  app.delete('/security-groups/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const g = await store.get(scopeOf(request.auth), id);
    enforce(policy, 'delete_security_group', groupTarget(g.group.project_id), request.auth);
    await store.delete(scopeOf(request.auth), id);
    return reply.code(204).send();
  });

  app.get('/security-group-rules', async (request) => {
    const query = request.query as Record<string, unknown>;
    const groups = await store.list(scopeOf(request.auth));
    const rules = groups.flatMap((g) => g.rules).filter((r) => policy.allowed('get_security_group_rule', groupTarget(r.project_id), request.auth));
    return { security_group_rules: rules.map((r) => selectFields(ruleView(r), fieldsOf(query))) };
  });

  app.get('/security-group-rules/:id', async (request) => {
    const { id } = request.params as { id: string };
    const r = await store.getRule(scopeOf(request.auth), id);
    if (!policy.allowed('get_security_group_rule', groupTarget(r.project_id), request.auth)) throw securityGroupRuleNotFound(id);
    return { security_group_rule: selectFields(ruleView(r), fieldsOf(request.query as Record<string, unknown>)) };
  });

  app.post('/security-group-rules', async (request, reply) => {
    const item = resourceItems(request.body, 'security_group_rule', '\0').items[0]!;
    validate(securityGroupRuleCreate, item, neutron);
    const parent = await store.get(scopeOf(request.auth), item.security_group_id as string);
    enforce(policy, 'create_security_group_rule', groupTarget(parent.group.project_id), request.auth);
    const protocol = item.protocol === undefined || item.protocol === null ? null : String(item.protocol);
    const rule: SecurityGroupRuleCreate = {
      security_group_id: parent.group.id,
      direction: item.direction as 'ingress' | 'egress',
      ethertype: (item.ethertype as 'IPv4' | 'IPv6' | undefined) ?? 'IPv4',
      protocol: protocol === 'any' ? null : protocol,
      port_range_min: (item.port_range_min as number | null | undefined) ?? null,
      port_range_max: (item.port_range_max as number | null | undefined) ?? null,
      remote_ip_prefix: (item.remote_ip_prefix as string | null | undefined) ?? null,
      remote_group_id: (item.remote_group_id as string | null | undefined) ?? null,
      description: (item.description as string | undefined) ?? '',
    };
    checkRule(rule);
    const created = await store.createRule(scopeOf(request.auth), rule);
    reply.code(201);
    return { security_group_rule: ruleView(created) };
  });

  app.delete('/security-group-rules/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const r = await store.getRule(scopeOf(request.auth), id);
    enforce(policy, 'delete_security_group_rule', groupTarget(r.project_id), request.auth);
    await store.deleteRule(scopeOf(request.auth), id);
    return reply.code(204).send();
  });
}
