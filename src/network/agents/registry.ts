/**
 * The agents table (Neutron's agents): each agent reports its state every
 * [agent] report_interval; the row is created on the first report, its
 * heartbeat moved on by each one, and an agent is alive while its last
 * heartbeat is within [agent] agent_down_time. An admin may disable (admin
 * state), describe or delete an agent; a deleted agent that still runs comes
 * back with its next report, as in Neutron.
 */
import { randomUUID } from 'node:crypto';
import { isUniqueViolation, nowIso } from '../../db/schema-helpers.js';
import { agentNotFound } from '../errors.js';
import type { AgentRow, NetworkDb } from '../tables.js';

/** What an agent says about itself in report_state (Neutron's agent_state). */
export interface AgentReport {
  agentType: string;
  binary: string;
  host: string;
  topic: string;
  availabilityZone?: string | null;
  configurations: Record<string, unknown>;
  /** True on the agent's first report after it started (moves started_at). */
  startFlag: boolean;
}

export interface AgentFilter {
  id?: string[];
  agent_type?: string[];
  binary?: string[];
  host?: string[];
  topic?: string[];
  availability_zone?: string[];
  admin_state_up?: boolean[];
  description?: string[];
  alive?: boolean[];
}

export class AgentRegistry {
  constructor(private readonly db: NetworkDb, private readonly downTimeSeconds: number) {}

  isAlive(row: Pick<AgentRow, 'heartbeat_timestamp'>, now = Date.now()): boolean {
    return now - Date.parse(row.heartbeat_timestamp) <= this.downTimeSeconds * 1000;
  }

  /** Creates the agent's row or moves its heartbeat on; answers the row. */
  async report(r: AgentReport): Promise<AgentRow> {
    const now = nowIso();
    const changes = {
      binary: r.binary, topic: r.topic, availability_zone: r.availabilityZone ?? null,
      configurations: JSON.stringify(r.configurations), heartbeat_timestamp: now,
      ...(r.startFlag ? { started_at: now } : {}),
    };
    const existing = await this.find(r.agentType, r.host);
    if (existing) {
      await this.db.updateTable('neutron_agents').set(changes).where('id', '=', existing.id).execute();
      return { ...existing, ...changes };
    }
    const row: AgentRow = {
      id: randomUUID(), agent_type: r.agentType, host: r.host, admin_state_up: 1, description: '',
      created_at: now, started_at: now, ...changes,
    };
    try {
      await this.db.insertInto('neutron_agents').values(row).execute();
      return row;
    } catch (err) {
      // Two reports of one agent raced (a restart's first report and the last one of before): the other made the row.
      if (!isUniqueViolation(err)) throw err;
      return this.report({ ...r, startFlag: false });
    }
  }

  private find(agentType: string, host: string): Promise<AgentRow | undefined> {
    return this.db.selectFrom('neutron_agents').selectAll().where('agent_type', '=', agentType).where('host', '=', host).executeTakeFirst();
  }

  async get(id: string): Promise<AgentRow> {
    const row = await this.db.selectFrom('neutron_agents').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw agentNotFound(id);
    return row;
  }

  async list(filter: AgentFilter = {}): Promise<AgentRow[]> {
    let q = this.db.selectFrom('neutron_agents').selectAll();
    for (const key of ['id', 'agent_type', 'binary', 'host', 'topic', 'availability_zone', 'description'] as const) {
      const vs = filter[key];
      if (vs) q = q.where(key, 'in', vs.length > 0 ? vs : ['\0']);
    }
    if (filter.admin_state_up) q = q.where('admin_state_up', 'in', filter.admin_state_up.map((b) => (b ? 1 : 0)));
    const rows = await q.orderBy('host').orderBy('agent_type').execute();
    const alive = filter.alive;
    const now = Date.now();
    return alive ? rows.filter((r) => alive.includes(this.isAlive(r, now))) : rows;
  }

  async update(id: string, changes: { admin_state_up?: boolean; description?: string }): Promise<AgentRow> {
    const current = await this.get(id);
    const values: Partial<AgentRow> = {};
    if (changes.admin_state_up !== undefined) values.admin_state_up = changes.admin_state_up ? 1 : 0;
    if (changes.description !== undefined) values.description = changes.description;
    if (Object.keys(values).length > 0) await this.db.updateTable('neutron_agents').set(values).where('id', '=', id).execute();
    return { ...current, ...values };
  }

  async delete(id: string): Promise<void> {
    const r = await this.db.deleteFrom('neutron_agents').where('id', '=', id).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw agentNotFound(id);
  }

  /** The admin state of each agent type on a host, for agents that honour admin_state_up. */
  async adminStateUp(agentType: string, host: string): Promise<boolean> {
    const row = await this.find(agentType, host);
    return !row || row.admin_state_up === 1;
  }
}
