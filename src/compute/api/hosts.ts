/**
 * /os-hosts (up to 2.42): hosts through their services, and a host's
 * resources. Enabling, maintenance and power actions need a hypervisor that
 * can do them; ours cannot, so an existing host answers 501, as Nova does
 * with such a driver.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound, NotImplementedError } from '../../errors.js';
import { validate } from '../../http/validation.js';
import { computeServiceOf, firstNodeOf, instancesOn, liveServices } from '../host-store.js';
import type { ComputeApiDeps } from './deps.js';
import { lastQueryValue, requireAtMost } from './proxy-versions.js';
import { hostUpdateBody } from './schemas/hosts.js';
import { API_BINARIES, isServiceUp } from './views/services.js';
import { zoneResolver } from '../availability-zones.js';

const MAX_HOSTS_VERSION = '2.42';
const RULE = (r: string) => `os_compute_api:os-hosts:${r}`;

export function registerHostRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { db, policy, conf } = deps;

  const hostNotFound = (host: string) => new NotFound(`Compute host ${host} could not be found.`);

  /** Nova's HostAPI checks before it would call the host: it exists, and (for the power actions) is up. */
  async function existingHost(host: string, mustBeUp: boolean): Promise<void> {
    const service = await computeServiceOf(db, host);
    if (!service) throw hostNotFound(host);
    if (mustBeUp && !isServiceUp(service, conf)) throw new BadRequest(`Compute service of ${host} is unavailable at this time.`);
  }

  app.get('/os-hosts', async (request) => {
    requireAtMost(request, MAX_HOSTS_VERSION);
    policy.authorize(RULE('list'), {}, request.auth);
    const zone = lastQueryValue(request, 'zone');
    const zoneOf = await zoneResolver(db, conf);
    const hosts = (await liveServices(db, { enabledOnly: true }))
      .filter((s) => !API_BINARIES.has(s.binary))
      .map((s) => ({ host_name: s.host, service: s.topic, zone: zoneOf(s) }))
      .filter((h) => !zone || h.zone === zone);
    return { hosts };
  });

  app.get<{ Params: { id: string } }>('/os-hosts/:id', async (request) => {
    requireAtMost(request, MAX_HOSTS_VERSION);
    policy.authorize(RULE('show'), {}, request.auth);
    const host = request.params.id;
    const node = await firstNodeOf(db, host);
    if (!node || !(await computeServiceOf(db, host))) throw hostNotFound(host);
    const instances = await instancesOn(db, host);
    const resource = (project: string, cpu: number, memory_mb: number, disk_gb: number) => ({ resource: { host, project, cpu, memory_mb, disk_gb } });
    const byProject = new Map<string, { cpu: number; memory_mb: number; disk_gb: number }>();
    let cpu = 0; let mem = 0; let disk = 0;
    for (const i of instances) {
      cpu += i.vcpus; mem += i.memory_mb; disk += i.root_gb + i.ephemeral_gb;
      const p = byProject.get(i.project_id) ?? { cpu: 0, memory_mb: 0, disk_gb: 0 };
      p.cpu += i.vcpus; p.memory_mb += i.memory_mb; p.disk_gb += i.root_gb + i.ephemeral_gb;
      byProject.set(i.project_id, p);
    }
    return {
      host: [
        resource('(total)', node.vcpus, node.memory_mb, node.local_gb),
        resource('(used_now)', node.vcpus_used, node.memory_mb_used, node.local_gb_used),
        resource('(used_max)', cpu, mem, disk),
        ...[...byProject].map(([project, r]) => resource(project, r.cpu, r.memory_mb, r.disk_gb)),
      ],
    };
  });

  app.put<{ Params: { id: string } }>('/os-hosts/:id', async (request) => {
    requireAtMost(request, MAX_HOSTS_VERSION);
    policy.authorize(RULE('update'), {}, request.auth);
    validate(hostUpdateBody, request.body);
    await existingHost(request.params.id, false);
    throw new NotImplementedError('The requested functionality is not supported.');
  });

  const power = (action: 'reboot' | 'shutdown' | 'startup', rule: string) => async (request: FastifyRequest<{ Params: { id: string } }>) => {
    requireAtMost(request, MAX_HOSTS_VERSION);
    policy.authorize(RULE(rule), {}, request.auth);
    await existingHost(request.params.id, false);
    throw new NotImplementedError('The requested functionality is not supported.');
  };
  app.get('/os-hosts/:id/reboot', power('reboot', 'reboot'));
  app.get('/os-hosts/:id/shutdown', power('shutdown', 'shutdown'));
  app.get('/os-hosts/:id/startup', power('startup', 'start'));
}
