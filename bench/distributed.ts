/**
 * `npm run bench -- distributed`: the cloud as separate processes (one api,
 * conductor and scheduler on a PostgreSQL database of their own, 10
 * `kilonova compute` hosts with the fake driver, all over a RabbitMQ virtual
 * host of their own; test/helpers/service-cloud.ts starts them).
 *
 *   distributed_boots_per_s   1000 servers ("networks": "none"), at most 50
 *                             POSTs in flight / wall time to all ACTIVE, on a
 *                             cloud that has already booted a first 1000
 *   distributed_boot_p95_ms   each of those servers' create→ACTIVE, seen by polling
 *                             (GET /servers/detail?changes-since=...)
 *   distributed_cold_boots_per_s / _p95_ms
 *                             the same for that first 1000, booted by processes
 *                             just started: V8 compiles their hot paths while
 *                             these boots run (perf: a fifth to a quarter of
 *                             each process's CPU), a cost a cloud in service
 *                             paid once, long before
 *   scheduler_p50_ms/p99_ms   SchedulerManager.selectDestinations alone, in this
 *                             process, 1000 one-instance requests among 1000
 *                             resource providers, per decision, after a first
 *                             1000 (scheduler_cold_p99_ms: that first 1000; bench/scheduler.ts)
 *   compute_rss_mb            resident memory of an idle compute process: a
 *                             fresh one, read once a second for RSS_WINDOW_MS
 *                             after its ready line, the median of the last
 *                             RSS_SETTLED readings (compute_rss_peak_mb: the
 *                             highest reading, start-up included)
 *
 * One JSON line per phase, then the summary object as the last line.
 * KILONOVA_BENCH_SKIP_SCHEDULER=1 leaves out the scheduler phase (its figures
 * are then null), for runs that measure only the boots; KILONOVA_BENCH_BOOTS
 * boots that many servers in each pass instead of 1000, for quicker runs.
 *
 * Each boot pass also reports `cpu_ms_per_boot`: the CPU time every cloud
 * process used during the boots (from /proc), summed and divided by the
 * servers, with each role's share. Unlike the wall time it hardly depends on
 * what else the machine runs, so it compares two builds on a busy machine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Api, bootMany, cpuMs, emit, machineInfo, percentile, prepare, round, rssMb, sleep, timeLimit } from './common.js';
import { runSchedulerBench } from './scheduler.js';
import { startServiceCloud, type ServiceCloud } from '../test/helpers/service-cloud.js';

const COMPUTES = 10;
const BOOTS = Number(process.env.KILONOVA_BENCH_BOOTS ?? 1000);
const CONCURRENCY = 50;
const SCHEDULER_PROVIDERS = 1000;
const SCHEDULER_REQUESTS = 1000;
/**
 * How long the fresh compute process's memory is watched. V8 grows its young
 * generation while the modules load and gives it back once the process has
 * idled for some seconds (its memory reducer): a reading in the first seconds
 * is of start-up, not of an idle process.
 */
const RSS_WINDOW_MS = 30_000;
/** The last readings of the window, whose median is the idle figure. */
const RSS_SETTLED = 15;
/** The whole run stops here, whatever state it is in. */
const remaining = timeLimit(600_000);

/** Boots BOOTS servers on the cloud as it is; `pass` names them and the phase. */
async function bootPass(cloud: ServiceCloud, api: Api, base: Awaited<ReturnType<typeof prepare>>, pass: 'cold' | 'warm') {
  const cpuBefore = await cpuByProcess(cloud);
  const clientBefore = process.cpuUsage();
  const broker = brokerPid();
  const brokerBefore = broker === undefined ? 0 : cpuMs(broker);
  const monoStart = process.hrtime.bigint();
  const boots = await bootMany(api, base, BOOTS, CONCURRENCY, `dist-${pass}`, 100, remaining, { changesSince: true });
  const client = process.cpuUsage(clientBefore);
  const brokerUsed = broker === undefined ? null : cpuMs(broker) - brokerBefore;
  profileWindow(cloud, monoStart, process.hrtime.bigint());
  const cpu = cpuPerBoot(cpuBefore, await cpuByProcess(cloud));
  const figures = {
    servers: BOOTS, computes: COMPUTES, concurrency: CONCURRENCY, wall_ms: round(boots.wallMs),
    distributed_boots_per_s: round(BOOTS / (boots.wallMs / 1000)),
    distributed_boot_p50_ms: round(percentile(boots.latencies, 50)),
    distributed_boot_p95_ms: round(percentile(boots.latencies, 95)),
    cpu_ms_per_boot: cpu.total, cpu_ms_per_boot_by_role: cpu.byRole, load_avg_1m: round(os.loadavg()[0], 2),
    // The benchmark's own polling, not counted in cpu_ms_per_boot.
    client_cpu_ms_per_boot: round((client.user + client.system) / 1000 / BOOTS, 2),
    // The whole broker's (other virtual hosts' traffic included, so only indicative), not counted either.
    rabbitmq_cpu_ms_per_boot: brokerUsed === null ? null : round(brokerUsed / BOOTS, 2),
  };
  emit({ phase: `distributed_boots_${pass}`, ...figures });
  return figures;
}

/**
 * With KILONOVA_CPU_PROF_DIR (the processes write CPU profiles there), the
 * boots' start and end on the monotonic clock in µs, as the profiles time
 * their samples (a profile read between the two shows the boots alone), and
 * which process each pid is.
 */
function profileWindow(cloud: ServiceCloud, start: bigint, end: bigint): void {
  const dir = process.env.KILONOVA_CPU_PROF_DIR;
  if (!dir) return;
  const pids = Object.fromEntries([...cloud.processes].map(([name, p]) => [p.pid, name]));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'boot-window.json'), JSON.stringify({ startUs: Number(start / 1000n), endUs: Number(end / 1000n), pids }));
}

/** The local RabbitMQ's Erlang VM, when it runs on this machine. */
function brokerPid(): number | undefined {
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'beam.smp') return Number(pid);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/**
 * CPU ms so far of each cloud process, and of the PostgreSQL backends serving
 * the cloud's database (as `postgresql`; a backend that exits between the two
 * readings is missed, which the pools' steady use makes rare). RabbitMQ is
 * shared with other virtual hosts, so its share cannot be told apart.
 */
async function cpuByProcess(cloud: ServiceCloud): Promise<Map<string, number>> {
  const out = new Map([...cloud.processes].map(([name, p]) => [name, cpuMs(p.pid)]));
  const client = new pg.Client({ connectionString: cloud.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    for (const { pid } of rows) {
      try {
        out.set(`postgresql:${pid}`, cpuMs(pid));
      } catch {
        // gone since the listing
      }
    }
  } finally {
    await client.end();
  }
  return out;
}

/** CPU ms each role's processes used between the two readings, per server booted (computes summed as `compute`). */
function cpuPerBoot(before: Map<string, number>, after: Map<string, number>) {
  const byRole: Record<string, number> = {};
  let total = 0;
  for (const [name, ms] of after) {
    const used = ms - (before.get(name) ?? 0);
    const role = /^c\d+$/.test(name) ? 'compute' : name.replace(/:\d+$/, '');
    byRole[role] = (byRole[role] ?? 0) + used / BOOTS;
    total += used / BOOTS;
  }
  for (const role of Object.keys(byRole)) byRole[role] = round(byRole[role], 2);
  return { total: round(total, 2), byRole };
}

/** A compute host of its own, started after the boots so that it holds no server: its memory idle, after start-up. */
async function idleComputeRss(cloud: ServiceCloud): Promise<{ idle: number; peak: number }> {
  const host = cloud.computeHosts[0];
  await cloud.kill(host, 'SIGTERM');
  const p = await cloud.start(host);
  const readings: number[] = [];
  for (let t = 1000; t <= RSS_WINDOW_MS; t += 1000) {
    await sleep(1000);
    readings.push(rssMb(p.pid));
  }
  const idle = percentile(readings.slice(-RSS_SETTLED), 50);
  const peak = Math.max(...readings);
  emit({ phase: 'compute_rss', host, window_ms: RSS_WINDOW_MS, readings, compute_rss_mb: idle, compute_rss_peak_mb: peak });
  return { idle, peak };
}

export async function runDistributedBench(): Promise<void> {
  try {
    const skipScheduler = process.env.KILONOVA_BENCH_SKIP_SCHEDULER === '1';
    const sched = skipScheduler ? { scheduler_p50_ms: null, scheduler_p99_ms: null, scheduler_cold_p99_ms: null }
      : await runSchedulerBench({ database: 'postgresql', providers: SCHEDULER_PROVIDERS, requests: SCHEDULER_REQUESTS, remaining });
    if (!skipScheduler) emit({ phase: 'scheduler', ...sched });

    const t0 = performance.now();
    // At the default heartbeat interval: the test clouds' 1 s (for fault tests that wait for a
    // service to go down) would add a conductor call and a write per process per second.
    const defaults = { DEFAULT: { report_interval: 10 } };
    const cloud = await startServiceCloud({ computes: COMPUTES, controller: defaults, compute: defaults });
    let cold, boots, computeRss;
    try {
      emit({ phase: 'start', computes: COMPUTES, start_s: round((performance.now() - t0) / 1000, 3) });
      const api = new Api(cloud.url);
      api.token = await cloud.token('admin');
      const base = await prepare(api);
      cold = await bootPass(cloud, api, base, 'cold');
      boots = await bootPass(cloud, api, base, 'warm');
      computeRss = await idleComputeRss(cloud);
    } catch (err) {
      for (const [name, p] of cloud.processes) process.stderr.write(`${name} stderr (tail):\n${p.stderr().slice(-2000)}\n`);
      throw err;
    } finally {
      await cloud.close();
    }
    emit({
      distributed_boots_per_s: boots.distributed_boots_per_s,
      distributed_boot_p95_ms: boots.distributed_boot_p95_ms,
      distributed_cold_boots_per_s: cold.distributed_boots_per_s,
      distributed_cold_boot_p95_ms: cold.distributed_boot_p95_ms,
      scheduler_p50_ms: sched.scheduler_p50_ms,
      scheduler_p99_ms: sched.scheduler_p99_ms,
      scheduler_cold_p99_ms: sched.scheduler_cold_p99_ms,
      compute_rss_mb: computeRss.idle,
      compute_rss_peak_mb: computeRss.peak,
      machine: machineInfo(),
    });
  } catch (err) {
    process.stderr.write(`benchmark failed: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  }
}
