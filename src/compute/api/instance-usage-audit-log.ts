/**
 * /os-instance_usage_audit_log (Nova spells the path with underscores): Nova's report of the periodic usage audit
 * per compute host. Kilonova runs no such audit, so every host is reported
 * as not run for the last completed month.
 */
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '../../errors.js';
import { showValue } from '../../http/validation.js';
import { liveServices } from '../host-store.js';
import type { ComputeApiDeps } from './deps.js';

/** Nova's str(datetime): 'YYYY-MM-DD HH:MM:SS'. */
function pyTime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** The last completed month before `before` (Nova's default audit period). */
function lastCompletedMonth(before: Date): { begin: Date; end: Date } {
  const end = new Date(Date.UTC(before.getUTCFullYear(), before.getUTCMonth(), 1));
  const begin = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 1, 1));
  return { begin, end };
}

export function registerInstanceUsageAuditLogRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { db, policy } = deps;

  async function report(before: Date) {
    const { begin, end } = lastCompletedMonth(before);
    const hosts = [...new Set((await liveServices(db, { topic: 'compute' })).map((s) => s.host))];
    return {
      period_beginning: pyTime(begin),
      period_ending: pyTime(end),
      num_hosts: hosts.length,
      num_hosts_done: 0,
      num_hosts_running: 0,
      num_hosts_not_run: hosts.length,
      hosts_not_run: hosts,
      total_instances: 0,
      total_errors: 0,
      overall_status: `${hosts.length === 0 ? 'ALL' : `0 of ${hosts.length}`} hosts done. 0 errors.`,
      log: {},
    };
  }

  app.get('/os-instance_usage_audit_log', async (request) => {
    policy.authorize('os_compute_api:os-instance-usage-audit-log:list', {}, request.auth);
    return { instance_usage_audit_logs: await report(new Date()) };
  });

  app.get<{ Params: { id: string } }>('/os-instance_usage_audit_log/:id', async (request) => {
    policy.authorize('os_compute_api:os-instance-usage-audit-log:show', {}, request.auth);
    const id = request.params.id;
    const m = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?$/.exec(id);
    const before = m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : null;
    if (!m || !before || before.getUTCMonth() !== +m[2]! - 1 || before.getUTCDate() !== +m[3]! || +m[4]! > 23 || +m[5]! > 59 || +m[6]! > 59) {
      throw new BadRequest(`Invalid timestamp for date ${showValue(id)}`);
    }
    return { instance_usage_audit_log: await report(before) };
  });
}
