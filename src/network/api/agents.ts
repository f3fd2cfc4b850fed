/**
 * /v2.0/agents (Neutron's agent extension): the network agents and whether
 * each is alive. Every action is admin-only; as in Neutron, a list filters
 * out what the caller may not see (so a member gets an empty list) and a
 * single agent the caller may not see is "not found".
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthContext } from '../../http/auth.js';
import { neutron, validate } from '../../http/validation.js';
import { BadRequest } from '../../errors.js';
import { parseBool } from '../listing.js';
import { agentNotFound } from '../errors.js';
import type { AgentFilter } from '../agents/registry.js';
import type { AgentRow } from '../tables.js';
import { asBool, resourceItems } from './schemas/common.js';
import { agentUpdate } from './schemas/agents.js';
import { selectFields, type View } from './views.js';
import { fieldsOf, type NetworkApiContext } from './common.js';

/** Neutron shows agent times as the database holds them: 'YYYY-MM-DD HH:MM:SS', UTC, no zone. */
export function agentTime(iso: string): string {
  return iso.slice(0, 19).replace('T', ' ');
}

export function agentView(a: AgentRow, alive: boolean): View {
  return {
    id: a.id, agent_type: a.agent_type, binary: a.binary, topic: a.topic, host: a.host,
    admin_state_up: a.admin_state_up === 1, created_at: agentTime(a.created_at), started_at: agentTime(a.started_at),
    heartbeat_timestamp: agentTime(a.heartbeat_timestamp), description: a.description, alive,
    configurations: JSON.parse(a.configurations) as Record<string, unknown>, availability_zone: a.availability_zone,
    resources_synced: null,
  };
}

const STRING_FILTERS = ['id', 'agent_type', 'binary', 'host', 'topic', 'availability_zone', 'description'] as const;
const values = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

function agentFilter(query: Record<string, unknown>): AgentFilter {
  const f: AgentFilter = {};
  for (const [key, raw] of Object.entries(query)) {
    if (key === 'fields') continue;
    if ((STRING_FILTERS as readonly string[]).includes(key)) f[key as (typeof STRING_FILTERS)[number]] = values(raw);
    else if (key === 'admin_state_up' || key === 'alive') f[key] = values(raw).map((v) => parseBool(key, v));
    else throw new BadRequest(`[${key}] is invalid attribute for filtering`);
  }
  return f;
}

export function registerAgentRoutes(app: FastifyInstance, ctx: NetworkApiContext): void {
  const { network: svc, policy } = ctx;
  const registry = svc.agents;
  const may = (action: string, auth: AuthContext) => policy.allowed(action, {}, auth);
  /** Neutron hides what get_agent refuses: 404, not 403, for show, update and delete alike. */
  const visible = async (request: FastifyRequest): Promise<AgentRow> => {
    const { id } = request.params as { id: string };
    if (!may('get_agent', request.auth)) throw agentNotFound(id);
    return registry.get(id);
  };
  const view = (a: AgentRow) => agentView(a, registry.isAlive(a));

  app.get('/agents', async (request) => {
    const query = request.query as Record<string, unknown>;
    const filter = agentFilter(query);
    const rows = may('get_agent', request.auth) ? await registry.list(filter) : [];
    return { agents: rows.map((a) => selectFields(view(a), fieldsOf(query))) };
  });

  app.get('/agents/:id', async (request) => {
    const a = await visible(request);
    return { agent: selectFields(view(a), fieldsOf(request.query as Record<string, unknown>)) };
  });

  app.put('/agents/:id', async (request) => {
    const a = await visible(request);
    const { items } = resourceItems(request.body, 'agent', '\0');
    const item = items[0]!;
    validate(agentUpdate, item, neutron);
    if (!may('update_agent', request.auth)) throw agentNotFound(a.id);
    const updated = await registry.update(a.id, {
      ...(item.admin_state_up !== undefined ? { admin_state_up: asBool('admin_state_up', item.admin_state_up) } : {}),
      ...(item.description !== undefined ? { description: item.description as string } : {}),
    });
    return { agent: view(updated) };
  });

  app.delete('/agents/:id', async (request, reply) => {
    const a = await visible(request);
    if (!may('delete_agent', request.auth)) throw agentNotFound(a.id);
    await registry.delete(a.id);
    reply.code(204);
  });
}
