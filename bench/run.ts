/**
 * The Kilonova benchmark: the all-in-one as a child process (fake driver,
 * unlimited quota, fresh state) driven over its public HTTP APIs on loopback.
 * Prints one JSON line per phase, then one summary object as the last line.
 *
 *   start_s               spawn until GET /compute/ answers
 *   boots_per_s           200 servers created at once ("networks": "none") / wall time to all ACTIVE
 *   boot_p50_ms/p95_ms    each of those servers' create→ACTIVE, seen by polling
 *   single_boot_ms        one server alone with a port on `private`, median of 10
 *   servers_detail_p50_ms GET /servers/detail with 1000 servers present, p50 of 20
 *   rss_mb                the cloud process's resident memory after the run
 *
 * `npm run bench -- libvirt` runs the libvirt benchmark instead (bench/libvirt.ts),
 * `npm run bench -- distributed` the service processes' one (bench/distributed.ts),
 * `npm run bench -- scheduler` its scheduler part alone (bench/scheduler.ts),
 * `npm run bench -- network` the Linux bridge data path's (bench/network.ts).
 */
import path from 'node:path';
import { Api, MAIN_JS, bootMany, emit, login, machineInfo, percentile, prepare, round, rssMb, sleep, timeLimit, withCloud } from './common.js';
import { runLibvirtBench } from './libvirt.js';

const CONCURRENT_BOOTS = 200;
const SINGLE_BOOTS = 10;
const DETAIL_SERVERS = 1000;
const DETAIL_REQUESTS = 20;
/** The whole run stops here, whatever state it is in. */
const remaining = timeLimit(170_000);

async function singleBoot(api: Api, base: { flavorRef: string; imageRef: string; networkId: string }, name: string): Promise<number> {
  const t0 = performance.now();
  const body = await api.compute('POST', '/servers', {
    server: { name, flavorRef: base.flavorRef, imageRef: base.imageRef, networks: [{ uuid: base.networkId }] },
  });
  const id = body.server.id;
  for (;;) {
    remaining();
    const s = (await api.compute('GET', `/servers/${id}`)).server;
    if (s.status === 'ACTIVE') return performance.now() - t0;
    if (s.status === 'ERROR') throw new Error(`server ${id} went to ERROR: ${JSON.stringify(s.fault ?? {})}`);
    await sleep(5);
  }
}

async function main(): Promise<void> {
  await withCloud({ driver: 'fake' }, async (cloud) => {
    const { api } = cloud;
    emit({ phase: 'start', start_s: round(cloud.startS, 3), entry: path.relative(process.cwd(), MAIN_JS) });

    await login(api);
    const base = await prepare(api);

    const boots = await bootMany(api, base, CONCURRENT_BOOTS, CONCURRENT_BOOTS, 'burst', 5, remaining);
    const bootsPerS = CONCURRENT_BOOTS / (boots.wallMs / 1000);
    const bootP50 = percentile(boots.latencies, 50);
    const bootP95 = percentile(boots.latencies, 95);
    emit({ phase: 'concurrent_boots', servers: CONCURRENT_BOOTS, wall_ms: round(boots.wallMs), boots_per_s: round(bootsPerS), boot_p50_ms: round(bootP50), boot_p95_ms: round(bootP95) });

    const singles: number[] = [];
    for (let i = 0; i < SINGLE_BOOTS; i++) singles.push(await singleBoot(api, base, `single-${i}`));
    const singleMs = percentile(singles, 50);
    emit({ phase: 'single_boot', runs: SINGLE_BOOTS, single_boot_ms: round(singleMs), all_ms: singles.map((v) => round(v)) });

    const present = CONCURRENT_BOOTS + SINGLE_BOOTS;
    const fill = await bootMany(api, base, DETAIL_SERVERS - present, 50, 'fill', 100, remaining);
    emit({ phase: 'fill', servers: DETAIL_SERVERS - present, wall_ms: round(fill.wallMs) });

    const detailTimes: number[] = [];
    let listed = 0;
    for (let i = 0; i < DETAIL_REQUESTS; i++) {
      remaining();
      const t = performance.now();
      const detail = await api.compute('GET', '/servers/detail');
      detailTimes.push(performance.now() - t);
      listed = detail.servers.length;
    }
    if (listed !== DETAIL_SERVERS) throw new Error(`GET /servers/detail listed ${listed} servers, expected ${DETAIL_SERVERS}`);
    const detailP50 = percentile(detailTimes, 50);
    emit({ phase: 'servers_detail', servers: listed, requests: DETAIL_REQUESTS, servers_detail_p50_ms: round(detailP50), max_ms: round(Math.max(...detailTimes)) });

    emit({
      start_s: round(cloud.startS, 3),
      boots_per_s: round(bootsPerS),
      boot_p50_ms: round(bootP50),
      boot_p95_ms: round(bootP95),
      single_boot_ms: round(singleMs),
      servers_detail_p50_ms: round(detailP50),
      rss_mb: rssMb(cloud.child.pid!),
      machine: machineInfo(),
    });
  });
}

if (process.argv[2] === 'libvirt') await runLibvirtBench();
else if (process.argv[2] === 'distributed') await (await import('./distributed.js')).runDistributedBench();
else if (process.argv[2] === 'scheduler') await (await import('./scheduler.js')).runSchedulerBenchAlone();
else if (process.argv[2] === 'network') await (await import('./network.js')).runNetworkBench();
else if (process.argv[2] === undefined) await main();
else {
  process.stderr.write(`unknown benchmark ${process.argv[2]}: run without arguments, or with "libvirt", "distributed", "scheduler" or "network"\n`);
  process.exitCode = 2;
}
