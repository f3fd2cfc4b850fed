/**
 * /os-services: list the control-plane and compute services, enable, disable
 * or force down a compute service, and delete one. Before 2.53 a service is
 * named by host and binary in the body of PUT /os-services/<action>; from 2.53
 * by its uuid in the path.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Conflict, NotFound } from '../../errors.js';
import { fitsInt32 } from '../../db/integer-range.js';
import { zoneResolver, type ZoneOf } from '../availability-zones.js';
import { deleteService, instanceCountOn, listServices, serviceById, serviceByUuid, updateService, updateServiceByHost } from '../service-store.js';
import type { ComputeApiDeps } from './deps.js';
import { parseBoolean, queryParam, rejectUnknownQuery, validateInput } from './schemas/flavors.js';
import {
  SERVICE_INDEX_QUERY, serviceActionV21, serviceActionV211, serviceUpdateV253, type ServiceActionBody, type ServiceUpdateBody,
} from './schemas/services.js';
import { API_BINARIES, serviceView, type ServiceRow } from './views/services.js';

const POLICY = 'os_compute_api:os-services:';
const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function isUuidLike(v: string): boolean {
  return UUID_RE.test(v);
}

type IdParams = { id: string };

export function registerServiceRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { db, policy, conf } = deps;
  const view = (request: FastifyRequest, s: ServiceRow, zoneOf: ZoneOf) => serviceView(s, { atLeast: (v) => request.apiVersion.atLeast(v), conf, zoneOf });

  app.get('/os-services', async (request) => {
    policy.authorize(`${POLICY}list`, {}, request.auth);
    if (request.apiVersion.atLeast('2.75')) rejectUnknownQuery(request, SERVICE_INDEX_QUERY);
    const rows = await listServices(db, { host: queryParam(request, 'host'), binary: queryParam(request, 'binary') });
    const zoneOf = await zoneResolver(db, conf);
    return { services: rows.filter((s) => !API_BINARIES.has(s.binary)).map((s) => view(request, s, zoneOf)) };
  });

  app.put<{ Params: IdParams }>('/os-services/:id', async (request) => {
    if (request.apiVersion.atLeast('2.53')) return updateByUuid(request);
    return legacyAction(request);
  });

  async function legacyAction(request: FastifyRequest<{ Params: IdParams }>) {
    const v211 = request.apiVersion.atLeast('2.11');
    const body = validateInput<ServiceActionBody>(request, v211 ? serviceActionV211 : serviceActionV21, request.body);
    policy.authorize(`${POLICY}update`, {}, request.auth);
    const action = request.params.id;
    const { host, binary } = body;
    let changes: Partial<Pick<ServiceRow, 'disabled' | 'disabled_reason' | 'forced_down'>>;
    let result: Record<string, unknown>;
    switch (action) {
      case 'enable':
        changes = { disabled: 0, disabled_reason: null };
        result = { host, binary, status: 'enabled' };
        break;
      case 'disable':
        changes = { disabled: 1, disabled_reason: null };
        result = { host, binary, status: 'disabled' };
        break;
      case 'disable-log-reason':
        if (body.disabled_reason === undefined) throw new BadRequest('Missing disabled reason field');
        changes = { disabled: 1, disabled_reason: body.disabled_reason };
        result = { host, binary, status: 'disabled', disabled_reason: body.disabled_reason };
        break;
      case 'force-down': {
        if (!v211) throw new NotFound('Unknown action');
        if (body.forced_down === undefined) throw new BadRequest('Missing forced_down field');
        const forced = parseBoolean(body.forced_down);
        changes = { forced_down: forced ? 1 : 0 };
        result = { host, binary, forced_down: forced };
        break;
      }
      default:
        throw new NotFound('Unknown action');
    }
    assertCompute(binary);
    if (!(await updateServiceByHost(db, host, binary, changes))) throw new NotFound(`Could not find binary ${binary} on host ${host}.`);
    return { service: result };
  }

  async function updateByUuid(request: FastifyRequest<{ Params: IdParams }>) {
    const id = request.params.id;
    const body = validateInput<ServiceUpdateBody>(request, serviceUpdateV253, request.body);
    if (!isUuidLike(id)) throw new BadRequest(`Invalid uuid ${id}`);
    policy.authorize(`${POLICY}update`, {}, request.auth);
    const service = await serviceByUuid(db, id);
    if (!service) throw new NotFound(`Service ${id} could not be found.`);
    assertCompute(service.binary);
    const changes: Partial<Pick<ServiceRow, 'disabled' | 'disabled_reason' | 'forced_down'>> = {};
    if (body.status === 'enabled') {
      if (body.disabled_reason) throw new BadRequest("Specifying 'disabled_reason' with status 'enabled' is invalid.");
      changes.disabled = 0;
      changes.disabled_reason = null;
    } else if (body.status === 'disabled') {
      changes.disabled = 1;
      changes.disabled_reason = body.disabled_reason ?? null;
    }
    if (body.forced_down !== undefined) changes.forced_down = parseBoolean(body.forced_down) ? 1 : 0;
    if (Object.keys(changes).length === 0) {
      throw new BadRequest("No updates were requested. Fields 'status' or 'forced_down' should be specified.");
    }
    const updated = await updateService(db, service.id, changes);
    if (!updated) throw new NotFound(`Service ${id} could not be found.`);
    return { service: view(request, updated, await zoneResolver(db, conf)) };
  }

  app.delete<{ Params: IdParams }>('/os-services/:id', async (request, reply) => {
    policy.authorize(`${POLICY}delete`, {}, request.auth);
    const id = request.params.id;
    const byUuid = request.apiVersion.atLeast('2.53');
    if (byUuid && !isUuidLike(id)) throw new BadRequest(`Invalid uuid ${id}`);
    if (!byUuid && !/^\s*[-+]?\d+\s*$/.test(id)) throw new BadRequest('Invalid input received: id must be an integer');
    // An id past the database's integer range names no service.
    if (!byUuid && !fitsInt32(Number(id))) throw new NotFound(`Service ${id} not found.`);
    const service = byUuid ? await serviceByUuid(db, id) : await serviceById(db, Number(id));
    if (!service) throw new NotFound(`Service ${id} not found.`);
    if (service.binary === 'nova-compute') {
      if ((await instanceCountOn(db, service.host)) > 0) {
        throw new Conflict('Unable to delete compute service that is hosting instances. Migrate or delete the instances first.');
      }
      // A host that is gone leaves its aggregates (and their placement mirror), as Nova's service delete does.
      await deps.computeApi.aggregates.forgetHost(service.host);
    }
    const removedNodes = await deleteService(db, service);
    // And their resource providers, so placement offers nothing on a host that is gone.
    await deps.computeApi.deleteResourceProviders(removedNodes);
    return reply.code(204).send();
  });
}

function assertCompute(binary: string): void {
  if (binary !== 'nova-compute') {
    throw new BadRequest(`Updating a ${binary} service is not supported. Only nova-compute services can be updated.`);
  }
}
