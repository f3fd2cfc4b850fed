/**
 * The scheduler alone: SchedulerManager.selectDestinations in this process
 * against an in-process PlacementService, both on a database of their own
 * (PostgreSQL, as the service processes run, or SQLite) holding `providers` compute nodes (services up, resource
 * providers with VCPU/MEMORY_MB/DISK_GB inventory). Each of `requests` one-
 * instance requests is timed on its own, allocation candidates, host states,
 * filters, weighers and the claim included, twice: the first `requests` in the
 * freshly started scheduler (the cold figures: its first decision reads the
 * view of every host, and V8 compiles the hot paths over the first hundreds),
 * then as many more, as a scheduler in service decides. The process's CPU time over the
 * decisions, per decision, goes with the latencies: unlike them it hardly
 * moves with what else the machine runs (the database server's time is not in it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { loadConfig } from '../src/conf/loader.js';
import { openDatabase } from '../src/db/database.js';
import { syncDatabase } from '../src/db/migrate.js';
import { MIGRATION_SETS } from '../src/cli/roles/database.js';
import { PlacementService } from '../src/placement/service.js';
import { SchedulerManager } from '../src/scheduler/manager.js';
import { registerService } from '../src/compute/servicegroup.js';
import { createComputeNode } from '../src/compute/compute-node-store.js';
import { internalContext } from '../src/bus/context.js';
import { nowIso } from '../src/db/timestamps.js';
import type { ComputeDb } from '../src/compute/db/tables.js';
import type { RequestSpec } from '../src/objects/index.js';
import { testLogger } from '../test/helpers/logger.js';
import { createPostgresDatabase } from '../test/helpers/databases.js';
import { emit, machineInfo, percentile, round, timeLimit } from './common.js';

/** What the fake driver reports for a host (8 vCPU, 16 GiB, 100 GiB). */
const HOST = { vcpus: 8, memoryMb: 16384, localGb: 100 };
/** How many hosts are registered at once while filling the database. */
const FILL_CONCURRENCY = 8;

async function addHost(db: ComputeDb, placement: PlacementService, host: string): Promise<void> {
  await registerService(db, host, 'nova-compute', 'compute');
  const node = await createComputeNode(db, host, host, {
    hypervisor_type: 'fake', hypervisor_version: 1000, vcpus: HOST.vcpus, memory_mb: HOST.memoryMb, local_gb: HOST.localGb,
    vcpus_used: 0, memory_mb_used: 512, local_gb_used: 0, running_vms: 0, cpu_info: '{}', host_ip: '127.0.0.1',
    disk_available_least: HOST.localGb, cpu_allocation_ratio: 16, ram_allocation_ratio: 1.5, disk_allocation_ratio: 1,
  });
  await placement.ensureResourceProvider({ uuid: node.uuid, name: host });
  await placement.setInventories(node.uuid, {
    VCPU: { total: HOST.vcpus, reserved: 0, min_unit: 1, max_unit: HOST.vcpus, step_size: 1, allocation_ratio: 16 },
    MEMORY_MB: { total: HOST.memoryMb, reserved: 512, min_unit: 1, max_unit: HOST.memoryMb, step_size: 1, allocation_ratio: 1.5 },
    DISK_GB: { total: HOST.localGb, reserved: 0, min_unit: 1, max_unit: HOST.localGb, step_size: 1, allocation_ratio: 1 },
  });
}

function tinySpec(instanceUuid: string): RequestSpec {
  return {
    instance_uuid: instanceUuid, project_id: 'bench-project', user_id: 'bench-user',
    flavor: {
      id: 1, flavorid: '1', name: 'm1.tiny', memory_mb: 512, vcpus: 1, root_gb: 1, ephemeral_gb: 0, swap: 0,
      rxtx_factor: 1, is_public: true, disabled: false, description: null, extra_specs: {},
    },
    image: { id: randomUUID(), name: 'bench', disk_format: 'raw', container_format: 'bare', size: 4096, min_disk: 0, min_ram: 0, properties: {} },
    num_instances: 1, availability_zone: null, scheduler_hints: {}, ignore_hosts: [], force_hosts: [], force_nodes: [],
  };
}

/** The same numbers as the distributed bench's scheduler phase, on PostgreSQL, without its boots. */
export async function runSchedulerBenchAlone(): Promise<void> {
  try {
    const sched = await runSchedulerBench({ database: 'postgresql', providers: 1000, requests: 1000, remaining: timeLimit(600_000) });
    emit({ phase: 'scheduler', ...sched, machine: machineInfo() });
  } catch (err) {
    process.stderr.write(`benchmark failed: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  }
}

export interface SchedulerFigures {
  database: 'postgresql' | 'sqlite';
  providers: number;
  requests: number;
  fill_ms: number;
  scheduler_p50_ms: number;
  scheduler_p99_ms: number;
  max_ms: number;
  /** This process's user + system CPU time over the decisions, per decision. */
  scheduler_cpu_ms_per_decision: number;
  /** The same four of the first `requests` decisions, made by the scheduler just started. */
  scheduler_cold_p50_ms: number;
  scheduler_cold_p99_ms: number;
  cold_max_ms: number;
  scheduler_cold_cpu_ms_per_decision: number;
}

/** One-instance decisions, one after another: each one's time, and the process's CPU per decision. */
async function decide(scheduler: SchedulerManager, requests: number, pass: string, remaining: () => unknown): Promise<{ times: number[]; cpuMsPerDecision: number }> {
  const times: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < requests; i++) {
    remaining();
    const uuid = randomUUID();
    const t = performance.now();
    const selections = await scheduler.selectDestinations(internalContext(`req-bench-${pass}-${i}`), { specObj: tinySpec(uuid), instanceUuids: [uuid], returnAlternates: true });
    times.push(performance.now() - t);
    if (selections.length !== 1) throw new Error(`select_destinations gave ${selections.length} selections for one instance`);
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { times, cpuMsPerDecision: (cpu.user + cpu.system) / 1000 / requests };
}

/** A database of the bench's own: a PostgreSQL database (dropped after), or an SQLite file (removed after). */
async function benchDatabase(kind: 'postgresql' | 'sqlite'): Promise<{ url: string; drop(): Promise<void> }> {
  if (kind === 'postgresql') return createPostgresDatabase('kn_bench_sched');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-bench-sched-'));
  return { url: `sqlite:///${dir}/scheduler.db`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export async function runSchedulerBench(opts: { database: 'postgresql' | 'sqlite'; providers: number; requests: number; remaining: () => unknown }): Promise<SchedulerFigures> {
  const database = await benchDatabase(opts.database);
  const handle = openDatabase(database.url);
  try {
    await syncDatabase(handle.db, MIGRATION_SETS);
    const db = handle.db as ComputeDb;
    const conf = loadConfig({ overrides: { database: { connection: database.url } } });
    const placement = new PlacementService({ db: handle.db, logger: testLogger });
    const scheduler = new SchedulerManager({ db, placement, conf, logger: testLogger });

    const fillStart = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: FILL_CONCURRENCY }, async () => {
      while (next < opts.providers) {
        opts.remaining();
        await addHost(db, placement, `sched-${next++}`);
      }
    }));
    const fillMs = performance.now() - fillStart;
    // Statistics as autovacuum keeps them in a running cloud: planned on the empty
    // tables the fill started from, every query would probe row by row.
    await sql`analyze`.execute(handle.db);

    // The hosts stay up as their heartbeats would keep them (ComputeFilter drops a host silent
    // for service_down_time): one update for all of them every report_interval.
    const heartbeat = setInterval(() => {
      void db.updateTable('services').set({ last_seen_up: nowIso() }).where('binary', '=', 'nova-compute').execute().catch(() => undefined);
    }, conf.DEFAULT.report_interval * 1000);
    let cold, warm;
    try {
      cold = await decide(scheduler, opts.requests, 'cold', opts.remaining);
      warm = await decide(scheduler, opts.requests, 'warm', opts.remaining);
    } finally {
      clearInterval(heartbeat);
    }
    return {
      database: opts.database, providers: opts.providers, requests: opts.requests, fill_ms: round(fillMs),
      scheduler_p50_ms: round(percentile(warm.times, 50), 2), scheduler_p99_ms: round(percentile(warm.times, 99), 2), max_ms: round(Math.max(...warm.times), 2),
      scheduler_cpu_ms_per_decision: round(warm.cpuMsPerDecision, 2),
      scheduler_cold_p50_ms: round(percentile(cold.times, 50), 2), scheduler_cold_p99_ms: round(percentile(cold.times, 99), 2), cold_max_ms: round(Math.max(...cold.times), 2),
      scheduler_cold_cpu_ms_per_decision: round(cold.cpuMsPerDecision, 2),
    };
  } finally {
    await handle.close();
    await database.drop();
  }
}
