/**
 * /v2.0/security-groups and /v2.0/security-group-rules: the core of
 * Neutron's security group API (list, show, create, delete) over the model
 * in ../security-groups.ts. Updates, filters beyond name and quotas are for
 * the full API to add.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '../../errors.js';
import { validate } from '../../http/validation.js';
import type { PolicyTarget } from '../../policy/types.js';
import { scopeOf } from '../model.js';
import { securityGroupNotFound, securityGroupRuleNotFound, type SecurityGroupRecord, type SecurityGroupRuleCreate } from '../security-groups.js';
import type { SecurityGroupRuleRow } from '../tables.js';
import { enforce } from './policy.js';
import { selectFields } from './views.js';
import { fieldsOf, type NetworkApiContext } from './common.js';

const groupBody = {
  type: 'object',
  properties: {
    security_group: {
      type: 'object',
      properties: {
        name: { type: 'string', maxLength: 255 },
        description: { type: 'string', maxLength: 255 },
        stateful: { type: 'boolean' },
        tenant_id: { type: 'string', maxLength: 255 },
        project_id: { type: 'string', maxLength: 255 },
      },
      additionalProperties: false,
    },
  },
  required: ['security_group'],
  additionalProperties: false,
} as const;

const port = { type: ['integer', 'null'], minimum: 0, maximum: 65535 } as const;
const ruleBody = {
  type: 'object',
  properties: {
    security_group_rule: {
      type: 'object',
      properties: {
        security_group_id: { type: 'string', maxLength: 36 },
        direction: { enum: ['ingress', 'egress'] },
        ethertype: { enum: ['IPv4', 'IPv6'] },
        protocol: { anyOf: [{ type: 'null' }, { type: 'string', pattern: '^([a-z0-9-]{1,16})$' }, { type: 'integer', minimum: 0, maximum: 255 }] },
        port_range_min: port,
        port_range_max: port,
        remote_ip_prefix: { type: ['string', 'null'], maxLength: 64 },
        remote_group_id: { type: ['string', 'null'], maxLength: 36 },
        description: { type: 'string', maxLength: 255 },
        tenant_id: { type: 'string', maxLength: 255 },
        project_id: { type: 'string', maxLength: 255 },
      },
      required: ['security_group_id', 'direction'],
      additionalProperties: false,
    },
  },
  required: ['security_group_rule'],
  additionalProperties: false,
} as const;

/** Neutron shows timestamps to the second, with a Z. */
function neutronTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

const PROTOCOLS = new Set(['tcp', 'udp', 'icmp', 'icmpv6', 'ipv6-icmp', 'sctp', 'gre', 'ah', 'esp', 'igmp', 'ipip', 'vrrp', 'udplite', 'dccp', 'pgm', 'rsvp', 'ospf', 'egp', 'any']);

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

function ownerOf(request: FastifyRequest, item: { tenant_id?: string; project_id?: string }): string {
  const asked = item.project_id ?? item.tenant_id;
  if (asked === undefined || asked === request.auth.projectId) return request.auth.projectId;
  if (!request.auth.roles.includes('admin')) throw new BadRequest('Specifying \'project_id\' or \'tenant_id\' other than the authenticated project in request requires admin privileges');
  return asked;
}

/** Neutron's own checks of a rule beyond its schema: port ranges, prefixes, remotes. */
function checkRule(r: SecurityGroupRuleCreate): void {
  if (typeof r.protocol === 'string' && !/^\d+$/.test(r.protocol) && !PROTOCOLS.has(r.protocol)) {
    throw new BadRequest(`Security group rule protocol ${r.protocol} not supported. Only protocol values [None, ${[...PROTOCOLS].join(', ')}] and integer representations [0 to 255] are supported.`);
  }
  if (r.remote_ip_prefix !== null && r.remote_group_id !== null) {
    throw new BadRequest('Only remote_ip_prefix or remote_group_id may be provided.');
  }
  const portful = r.protocol === 'tcp' || r.protocol === 'udp' || r.protocol === 'sctp' || r.protocol === 'dccp' || r.protocol === 'udplite';
  if ((r.port_range_min !== null || r.port_range_max !== null) && r.protocol === null) {
    throw new BadRequest('Must also specify protocol if port range is given.');
  }
  if (portful && r.port_range_min !== null && r.port_range_max !== null && r.port_range_min > r.port_range_max) {
    throw new BadRequest('For TCP/UDP protocols, port_range_min must be <= port_range_max');
  }
  if (r.remote_ip_prefix !== null) {
    const m = /^([0-9a-fA-F:.]+)(?:\/(\d{1,3}))?$/.exec(r.remote_ip_prefix);
    const v6 = m !== null && m[1]!.includes(':');
    const v4 = m !== null && /^\d{1,3}(\.\d{1,3}){3}$/.test(m[1]!) && m[1]!.split('.').every((o) => Number(o) <= 255);
    if (!m || (!v4 && !v6) || (m[2] !== undefined && Number(m[2]) > (v6 ? 128 : 32))) {
      throw new BadRequest(`Invalid input for remote_ip_prefix. Reason: '${r.remote_ip_prefix}' is not a valid IP subnet.`);
    }
    if ((v6 ? 'IPv6' : 'IPv4') !== r.ethertype) {
      throw new BadRequest(`Conflicting value ethertype ${r.ethertype} for CIDR ${r.remote_ip_prefix}`);
    }
  }
}

export function registerSecurityGroupRoutes(app: FastifyInstance, ctx: NetworkApiContext): void {
  const { network: svc, policy } = ctx;
  const store = svc.securityGroups;

  app.get('/security-groups', async (request) => {
    const query = request.query as Record<string, unknown>;
    const name = typeof query.name === 'string' ? query.name : undefined;
    const records = await store.list(scopeOf(request.auth), { ...(name !== undefined ? { name } : {}) });
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
    validate(groupBody, request.body);
    const item = (request.body as { security_group: { name?: string; description?: string; tenant_id?: string; project_id?: string } }).security_group;
    const owner = ownerOf(request, item);
    enforce(policy, 'create_security_group', groupTarget(owner), request.auth);
    const created = await store.create(owner, { name: item.name ?? '', description: item.description ?? '' });
    reply.code(201);
    return { security_group: groupView(created) };
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
    validate(ruleBody, request.body);
    const item = (request.body as { security_group_rule: Record<string, unknown> }).security_group_rule;
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
