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
 */
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The command as it ships: the bundle when the build made one (dist/kilonova.mjs), else dist/src/cli/main.js. */
const MAIN_JS = [new URL('../kilonova.mjs', import.meta.url), new URL('../src/cli/main.js', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((p) => fs.existsSync(p)) ?? fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const ADMIN_PASSWORD = 'bench-admin-secret';
const MICROVERSION = 'compute 2.37';
const CONCURRENT_BOOTS = 200;
const SINGLE_BOOTS = 10;
const DETAIL_SERVERS = 1000;
const DETAIL_REQUESTS = 20;
/** The whole run stops here, whatever state it is in. */
const RUN_DEADLINE = Date.now() + 170_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function remaining(): number {
  const left = RUN_DEADLINE - Date.now();
  if (left <= 0) throw new Error('the benchmark ran past its time limit');
  return left;
}

function toArrayBuffer(u8: Uint8Array): ArrayBuffer {
  return u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength) as ArrayBuffer;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

class Api {
  token = '';
  constructor(readonly base: string) {}

  async call(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
    const h: Record<string, string> = { accept: 'application/json', ...headers };
    if (this.token) h['x-auth-token'] = this.token;
    let payload: string | ArrayBuffer | undefined;
    if (body instanceof Uint8Array) payload = toArrayBuffer(body);
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.base + urlPath, { method, headers: h, body: payload });
    const text = await res.text();
    let json: any;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = text; }
    return { status: res.status, json, headers: res.headers };
  }

  async ok(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<any> {
    const r = await this.call(method, urlPath, body, headers);
    if (r.status >= 300) throw new Error(`${method} ${urlPath} gave ${r.status}: ${JSON.stringify(r.json).slice(0, 500)}`);
    return r.json;
  }

  compute(method: string, urlPath: string, body?: unknown): Promise<any> {
    return this.ok(method, `/compute/v2.1${urlPath}`, body, { 'openstack-api-version': MICROVERSION });
  }
}

interface Cloud {
  child: ChildProcess;
  api: Api;
  startS: number;
  stderr(): string;
}

async function startCloud(statePath: string): Promise<Cloud> {
  const port = await freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('KILONOVA_')) env[k] = v;
  Object.assign(env, {
    KILONOVA_IDENTITY__ADMIN_PASSWORD: ADMIN_PASSWORD,
    KILONOVA_IDENTITY__DEMO_PASSWORD: 'bench-demo-secret',
    KILONOVA_QUOTA__INSTANCES: '-1',
    KILONOVA_QUOTA__CORES: '-1',
    KILONOVA_QUOTA__RAM: '-1',
  });
  const t0 = performance.now();
  const child = spawn(process.execPath, [MAIN_JS, 'all-in-one', '--port', String(port), '--state-path', statePath, '--driver', 'fake'], {
    cwd: statePath,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err = (err + d).slice(-8000); });
  let exited = false;
  child.once('exit', () => { exited = true; });

  const api = new Api(`http://127.0.0.1:${port}`);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`the all-in-one exited during start-up:\n${err}`);
    if (Date.now() > deadline) throw new Error(`the all-in-one did not answer GET /compute/ in 30 s:\n${err}`);
    try {
      const res = await fetch(`${api.base}/compute/`);
      await res.arrayBuffer();
      if (res.status < 500) break;
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  return { child, api, startS: (performance.now() - t0) / 1000, stderr: () => err };
}

async function stopCloud(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await done;
  clearTimeout(timer);
}

async function login(api: Api): Promise<void> {
  const res = await fetch(`${api.base}/identity/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: ADMIN_PASSWORD } } },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
  });
  const token = res.headers.get('x-subject-token');
  const text = await res.text();
  if (res.status !== 201 || !token) throw new Error(`POST /identity/v3/auth/tokens gave ${res.status}: ${text.slice(0, 500)}`);
  api.token = token;
}

async function prepare(api: Api): Promise<{ flavorRef: string; imageRef: string; networkId: string }> {
  const flavors = await api.compute('GET', '/flavors');
  const tiny = flavors.flavors.find((f: any) => f.name === 'm1.tiny');
  if (!tiny) throw new Error('no m1.tiny flavor');

  const image = await api.ok('POST', '/image/v2/images', { name: 'bench', disk_format: 'raw', container_format: 'bare' });
  await api.ok('PUT', `/image/v2/images/${image.id}/file`, new Uint8Array(4096), { 'content-type': 'application/octet-stream' });

  const nets = await api.ok('GET', '/network/v2.0/networks?name=private');
  const net = nets.networks?.[0];
  if (!net) throw new Error('no private network');
  return { flavorRef: tiny.id, imageRef: image.id, networkId: net.id };
}

/**
 * Creates `count` servers with at most `concurrency` POSTs in flight and waits
 * until all are ACTIVE, watching them through GET /servers/detail (one poller,
 * so observing does not multiply the load). Returns each server's
 * create→ACTIVE time and the wall time of the whole batch.
 */
async function bootMany(api: Api, base: { flavorRef: string; imageRef: string }, count: number, concurrency: number, prefix: string, pollMs: number) {
  const started = new Map<string, number>();
  const latencies = new Map<string, number>();
  const t0 = performance.now();
  let next = 0;
  let failure: Error | undefined;

  const creators = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count && !failure) {
      const i = next++;
      const t = performance.now();
      try {
        const body = await api.compute('POST', '/servers', {
          server: { name: `${prefix}-${i}`, flavorRef: base.flavorRef, imageRef: base.imageRef, networks: 'none' },
        });
        started.set(body.server.id, t);
      } catch (e) {
        failure ??= e as Error;
      }
    }
  });
  let creating = true;
  const allCreated = Promise.all(creators).then(() => { creating = false; });

  while (!failure && (creating || latencies.size < started.size)) {
    remaining();
    const pollStart = performance.now();
    const detail = await api.compute('GET', '/servers/detail');
    const now = performance.now();
    for (const s of detail.servers) {
      const t = started.get(s.id);
      if (t === undefined || latencies.has(s.id)) continue;
      if (s.status === 'ACTIVE') latencies.set(s.id, now - t);
      else if (s.status === 'ERROR') failure = new Error(`server ${s.id} went to ERROR: ${JSON.stringify(s.fault ?? {})}`);
    }
    // Wait at least as long as the listing took, so the observer never holds more than half the server's time.
    await sleep(Math.max(pollMs, now - pollStart));
  }
  await allCreated;
  if (failure) throw failure;
  const wallMs = performance.now() - t0;
  return { wallMs, latencies: [...latencies.values()] };
}

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

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]);
  return round(kb / 1024);
}

async function main(): Promise<void> {
  const statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-bench-'));
  let cloud: Cloud | undefined;
  const stopOnSignal = () => {
    if (cloud) cloud.child.kill('SIGKILL');
    fs.rmSync(statePath, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  // However this process ends (a closed pipe on stdout included), the cloud must not outlive it.
  process.on('exit', () => {
    if (cloud && cloud.child.exitCode === null && cloud.child.signalCode === null) cloud.child.kill('SIGKILL');
    fs.rmSync(statePath, { recursive: true, force: true });
  });
  process.stdout.on('error', () => process.exit(1));

  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gb: round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };

  try {
    cloud = await startCloud(statePath);
    const { api } = cloud;
    emit({ phase: 'start', start_s: round(cloud.startS, 3), entry: path.relative(process.cwd(), MAIN_JS) });

    await login(api);
    const base = await prepare(api);

    const boots = await bootMany(api, base, CONCURRENT_BOOTS, CONCURRENT_BOOTS, 'burst', 5);
    const bootsPerS = CONCURRENT_BOOTS / (boots.wallMs / 1000);
    const bootP50 = percentile(boots.latencies, 50);
    const bootP95 = percentile(boots.latencies, 95);
    emit({ phase: 'concurrent_boots', servers: CONCURRENT_BOOTS, wall_ms: round(boots.wallMs), boots_per_s: round(bootsPerS), boot_p50_ms: round(bootP50), boot_p95_ms: round(bootP95) });

    const singles: number[] = [];
    for (let i = 0; i < SINGLE_BOOTS; i++) singles.push(await singleBoot(api, base, `single-${i}`));
    const singleMs = percentile(singles, 50);
    emit({ phase: 'single_boot', runs: SINGLE_BOOTS, single_boot_ms: round(singleMs), all_ms: singles.map((v) => round(v)) });

    const present = CONCURRENT_BOOTS + SINGLE_BOOTS;
    const fill = await bootMany(api, base, DETAIL_SERVERS - present, 50, 'fill', 100);
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

    const rss = rssMb(cloud.child.pid!);
    emit({
      start_s: round(cloud.startS, 3),
      boots_per_s: round(bootsPerS),
      boot_p50_ms: round(bootP50),
      boot_p95_ms: round(bootP95),
      single_boot_ms: round(singleMs),
      servers_detail_p50_ms: round(detailP50),
      rss_mb: rss,
      machine,
    });
  } catch (err) {
    process.stderr.write(`benchmark failed: ${(err as Error).message}\n`);
    if (cloud) process.stderr.write(`cloud stderr (tail):\n${cloud.stderr().slice(-3000)}\n`);
    process.exitCode = 1;
  } finally {
    if (cloud) await stopCloud(cloud.child);
    fs.rmSync(statePath, { recursive: true, force: true });
  }
}

await main();
