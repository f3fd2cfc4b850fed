/**
 * A compute API with only this suite's route modules, wired the way
 * src/compute/api/routes.ts wires the full one, over a fresh database.
 */
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { loadConfig, type Overrides } from '../../src/conf/loader.js';
import type { Config } from '../../src/conf/options.js';
import { syncDatabase } from '../../src/db/migrate.js';
import { nowIso } from '../../src/db/schema-helpers.js';
import { createHttpServer } from '../../src/http/server.js';
import { registerAvailabilityZoneRoutes } from '../../src/compute/api/availability-zones.js';
import { registerAggregateRoutes } from '../../src/compute/api/aggregates.js';
import { AggregateAPI, type ProviderAggregatesClient } from '../../src/compute/aggregates.js';
import { BadRequest, Conflict } from '../../src/errors.js';
import type { ComputeApiDeps } from '../../src/compute/api/deps.js';
import { registerFlavorRoutes } from '../../src/compute/api/flavors.js';
import { registerHypervisorRoutes } from '../../src/compute/api/hypervisors.js';
import { registerKeypairRoutes } from '../../src/compute/api/keypairs.js';
import { registerLimitsRoutes } from '../../src/compute/api/limits.js';
import { registerServiceRoutes } from '../../src/compute/api/services.js';
import { registerVersionRoutes } from '../../src/compute/api/version-documents.js';
import { applyComputeScope } from '../../src/compute/api/routes.js';
import { computeMigrations } from '../../src/compute/db/migrations.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import { databaseTargets, type DatabaseTarget } from '../helpers/databases.js';
import { authHeaders, staticTokens, type TEST_AUTH } from '../helpers/auth.js';
import { testLogger } from '../helpers/logger.js';
import { novaDefaultsAuthorizer } from './policy.js';

export interface TestApi {
  app: FastifyInstance;
  db: ComputeDb;
  conf: Config;
  close(): Promise<void>;
}

/** Placement's provider aggregates as a map, recording what the aggregates API mirrors to it. */
export class FakeProviderAggregates implements ProviderAggregatesClient {
  readonly byProvider = new Map<string, { aggregates: string[]; generation: number }>();
  async getAggregates(rp: string) {
    return this.byProvider.get(rp) ?? { aggregates: [], generation: 0 };
  }
  async setAggregates(rp: string, aggregates: string[], generation?: number) {
    const cur = await this.getAggregates(rp);
    if (generation !== undefined && generation !== cur.generation) throw new Conflict('generation mismatch');
    this.byProvider.set(rp, { aggregates, generation: cur.generation + 1 });
  }
}

export async function buildComputeApi(target: DatabaseTarget, overrides: Overrides = {}, placement = new FakeProviderAggregates()): Promise<TestApi> {
  const handle = await target.open();
  await syncDatabase(handle.db, [computeMigrations]);
  const db = handle.db as ComputeDb;
  const conf = loadConfig({ env: {}, overrides });
  const deletedProviders: string[] = [];
  const deps: ComputeApiDeps = {
    db, conf, policy: novaDefaultsAuthorizer, tokens: staticTokens, logger: testLogger,
    // The proxy resources (images, networks, security groups) are tested against a whole cloud.
    images: {} as ComputeApiDeps['images'], network: {} as ComputeApiDeps['network'],
    // The routes under test reach ComputeAPI only to drop deleted nodes from placement; record that.
    computeApi: {
      deletedProviders, deleteResourceProviders: async (uuids: readonly string[]) => void deletedProviders.push(...uuids),
      aggregates: new AggregateAPI({ db, defaultZone: conf.DEFAULT.default_availability_zone, logger: testLogger, placement }),
      // A host's uptime as its compute service would tell it: only cmp1 answers, the others are down.
      getHostUptime: async (_auth: unknown, _rid: string, host: string) => {
        if (host === 'cmp1') return ' 10:00:00 up 3 min,  0 users,  load average: 0.00, 0.00, 0.00';
        throw new BadRequest(`Compute service of ${host} is unavailable at this time.`);
      },
    } as unknown as ComputeApiDeps['computeApi'],
  };
  const app = createHttpServer({ logger: testLogger });
  await app.register(async (scope) => {
    applyComputeScope(scope, deps);
    registerVersionRoutes(scope, deps);
    await scope.register(async (v21) => {
      registerFlavorRoutes(v21, deps);
      registerKeypairRoutes(v21, deps);
      registerLimitsRoutes(v21, deps);
      registerAvailabilityZoneRoutes(v21, deps);
      registerHypervisorRoutes(v21, deps);
      registerServiceRoutes(v21, deps);
      registerAggregateRoutes(v21, deps);
    }, { prefix: '/v2.1' });
  }, { prefix: '/compute' });
  await app.ready();
  return {
    app, db, conf,
    async close() {
      await app.close();
      await handle.dispose();
    },
  };
}

export const targets = await databaseTargets();

type Who = keyof typeof TEST_AUTH;

/** Headers for a call as `who` at microversion `version` (none: the 2.1 floor). */
export function headers(who: Who, version?: string): Record<string, string> {
  return { ...authHeaders(who), ...(version ? { 'openstack-api-version': `compute ${version}` } : {}) };
}

export interface SeedService {
  host: string;
  binary: string;
  disabled?: boolean;
  forcedDown?: boolean;
  /** Seconds since the last heartbeat. */
  lastSeenAgo?: number;
}

export async function seedService(db: ComputeDb, s: SeedService): Promise<{ id: number; uuid: string }> {
  const uuid = randomUUID();
  const seen = new Date(Date.now() - (s.lastSeenAgo ?? 0) * 1000).toISOString();
  const row = await db.insertInto('services').values({
    uuid, host: s.host, binary: s.binary, topic: s.binary.replace(/^nova-/, ''), report_count: 1,
    disabled: s.disabled ? 1 : 0, disabled_reason: null, forced_down: s.forcedDown ? 1 : 0,
    last_seen_up: seen, version: 1, created_at: seen, updated_at: seen, deleted: 0,
  }).returning('id').executeTakeFirstOrThrow();
  return { id: Number(row.id), uuid };
}

export async function seedComputeNode(db: ComputeDb, host: string, node = host): Promise<{ id: number; uuid: string }> {
  const uuid = randomUUID();
  const row = await db.insertInto('compute_nodes').values({
    uuid, host, hypervisor_hostname: node, hypervisor_type: 'fake', hypervisor_version: 1000,
    vcpus: 8, memory_mb: 16384, local_gb: 100, vcpus_used: 2, memory_mb_used: 1024, local_gb_used: 10,
    running_vms: 1, cpu_info: JSON.stringify({ arch: 'x86_64', model: 'Nehalem' }), host_ip: '192.0.2.10',
    disk_available_least: 90, cpu_allocation_ratio: 4, ram_allocation_ratio: 1, disk_allocation_ratio: 1,
    created_at: nowIso(), updated_at: null, deleted: 0,
  }).returning('id').executeTakeFirstOrThrow();
  return { id: Number(row.id), uuid };
}

export async function seedInstance(db: ComputeDb, opts: { projectId: string; host?: string; name?: string; vcpus?: number; ram?: number }): Promise<string> {
  const uuid = randomUUID();
  await db.insertInto('instances').values({
    uuid, project_id: opts.projectId, user_id: 'someone', display_name: opts.name ?? 'vm', display_description: null,
    hostname: opts.name ?? 'vm', host: opts.host ?? null, node: opts.host ?? null, launched_on: opts.host ?? null,
    availability_zone: null, vm_state: 'active', task_state: null, power_state: 1, image_ref: 'img', flavor: '{}',
    vcpus: opts.vcpus ?? 1, memory_mb: opts.ram ?? 512, root_gb: 1, ephemeral_gb: 0, key_name: null, key_data: null,
    user_data: null, config_drive: '', access_ip_v4: null, access_ip_v6: null, locked: 0, locked_reason: null,
    launch_index: 0, reservation_id: 'r-1', root_device_name: null, progress: 0, network_info: '[]', security_groups: '[]',
    created_at: nowIso(), updated_at: null, launched_at: null, terminated_at: null, deleted_at: null, deleted: 0,
  }).execute();
  return uuid;
}
