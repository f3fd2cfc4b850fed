/**
 * What every benchmark shares: the all-in-one as a child process on loopback,
 * a small API client, JSON-line output and the figures' arithmetic.
 */
import fs from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The command as it ships: the bundle when the build made one (dist/kilonova.mjs), else dist/src/cli/main.js. */
export const MAIN_JS = [new URL('../kilonova.mjs', import.meta.url), new URL('../src/cli/main.js', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((p) => fs.existsSync(p)) ?? fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
export const ADMIN_PASSWORD = 'bench-admin-secret';
export const MICROVERSION = 'compute 2.37';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function emit(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

/** A check that throws once `ms` from now have passed, and otherwise answers the time left. */
export function timeLimit(ms: number): () => number {
  const deadline = Date.now() + ms;
  return () => {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error('the benchmark ran past its time limit');
    return left;
  };
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;


export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The benchmarks' HTTP client: node:http over kept-alive connections. The
 * global fetch cost this process about 2.5 ms of CPU per request, CPU that on
 * a 2-core machine the cloud under test no longer has. The agent sets no
 * limit on sockets: a poller's listing must never queue behind creates.
 */
export class Api {
  token = '';
  private readonly agent = new http.Agent({ keepAlive: true });
  constructor(readonly base: string) {}

  call(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: http.IncomingHttpHeaders }> {
    const h: Record<string, string> = { accept: 'application/json', ...headers };
    if (this.token) h['x-auth-token'] = this.token;
    let payload: Uint8Array | string | undefined;
    if (body instanceof Uint8Array) payload = body;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    if (payload !== undefined) h['content-length'] = String(Buffer.byteLength(payload));
    return new Promise((resolve, reject) => {
      const req = http.request(this.base + urlPath, { method, headers: h, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: any;
          try { json = text ? JSON.parse(text) : undefined; } catch { json = text; }
          resolve({ status: res.statusCode ?? 0, json, headers: res.headers });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
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

export interface Cloud {
  child: ChildProcess;
  api: Api;
  startS: number;
  stderr(): string;
}

export async function startCloud(statePath: string, opts: { driver?: 'fake' | 'libvirt'; env?: Record<string, string> } = {}): Promise<Cloud> {
  const port = await freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('KILONOVA_')) env[k] = v;
  Object.assign(env, {
    KILONOVA_IDENTITY__ADMIN_PASSWORD: ADMIN_PASSWORD,
    KILONOVA_IDENTITY__DEMO_PASSWORD: 'bench-demo-secret',
    KILONOVA_QUOTA__INSTANCES: '-1',
    KILONOVA_QUOTA__CORES: '-1',
    KILONOVA_QUOTA__RAM: '-1',
  }, opts.env ?? {});
  const t0 = performance.now();
  const child = spawn(process.execPath, [MAIN_JS, 'all-in-one', '--port', String(port), '--state-path', statePath, '--driver', opts.driver ?? 'fake'], {
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
      if ((await api.call('GET', '/compute/')).status < 500) break;
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  return { child, api, startS: (performance.now() - t0) / 1000, stderr: () => err };
}

export async function stopCloud(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await done;
  clearTimeout(timer);
}

export async function login(api: Api): Promise<void> {
  const res = await api.call('POST', '/identity/v3/auth/tokens', {
    auth: {
      identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: ADMIN_PASSWORD } } },
      scope: { project: { name: 'admin', domain: { id: 'default' } } },
    },
  });
  const token = res.headers['x-subject-token'];
  if (res.status !== 201 || typeof token !== 'string') throw new Error(`POST /identity/v3/auth/tokens gave ${res.status}: ${JSON.stringify(res.json).slice(0, 500)}`);
  api.token = token;
}


export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]);
  return round(kb / 1024);
}

/** CPU time (user + system) the process has used so far, in ms, from /proc/<pid>/stat (clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export function machineInfo(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gb: round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

/**
 * Runs `body` against a fresh all-in-one and always tears it down: on
 * success, on failure (exit code 1, with the cloud's stderr tail), on a signal
 * and on any other exit, so a cloud never outlives its benchmark.
 */
export async function withCloud(opts: Parameters<typeof startCloud>[1], body: (cloud: Cloud, statePath: string) => Promise<void>, cleanup: () => void = () => undefined): Promise<void> {
  const statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-bench-'));
  let cloud: Cloud | undefined;
  const kill = () => {
    if (cloud && cloud.child.exitCode === null && cloud.child.signalCode === null) cloud.child.kill('SIGKILL');
    cleanup();
    fs.rmSync(statePath, { recursive: true, force: true });
  };
  const stopOnSignal = () => {
    kill();
    process.exit(130);
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  process.on('exit', kill);
  process.stdout.on('error', () => process.exit(1));
  try {
    cloud = await startCloud(statePath, opts);
    await body(cloud, statePath);
  } catch (err) {
    process.stderr.write(`benchmark failed: ${(err as Error).message}\n`);
    if (cloud) process.stderr.write(`cloud stderr (tail):\n${cloud.stderr().slice(-3000)}\n`);
    process.exitCode = 1;
  } finally {
    if (cloud) await stopCloud(cloud.child);
    cleanup();
    fs.rmSync(statePath, { recursive: true, force: true });
  }
}

export async function prepare(api: Api): Promise<{ flavorRef: string; imageRef: string; networkId: string }> {
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

/** The most poll intervals bootMany's poller waits after a slow listing. */
const POLL_WAIT_CAP = 10;

/**
 * Creates `count` servers with at most `concurrency` POSTs in flight and waits
 * until all are ACTIVE, watching them through GET /servers/detail (one poller,
 * so observing does not multiply the load). Returns each server's
 * create→ACTIVE time and the wall time of the whole batch. `remaining` throws
 * when the caller's time is up. With changesSince, each listing after the first
 * asks only for the servers changed since the previous one, so watching a
 * thousand servers does not cost the API a thousand-server listing each time.
 */
export async function bootMany(api: Api, base: { flavorRef: string; imageRef: string }, count: number, concurrency: number, prefix: string, pollMs: number, remaining: () => unknown, opts: { changesSince?: boolean } = {}) {
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
  let lastPollAt: number | undefined;
  const allCreated = Promise.all(creators).then(() => { creating = false; });

  while (!failure && (creating || latencies.size < started.size)) {
    remaining();
    const pollStart = performance.now();
    // changes-since from a second before the previous listing began: only what moved since (the cloud runs on this clock).
    const since = lastPollAt === undefined ? '' : `?changes-since=${encodeURIComponent(new Date(lastPollAt - 1000).toISOString())}`;
    if (opts.changesSince) lastPollAt = Date.now();
    const detail = await api.compute('GET', `/servers/detail${since}`);
    const now = performance.now();
    for (const s of detail.servers) {
      const t = started.get(s.id);
      if (t === undefined || latencies.has(s.id)) continue;
      if (s.status === 'ACTIVE') latencies.set(s.id, now - t);
      else if (s.status === 'ERROR') failure = new Error(`server ${s.id} went to ERROR: ${JSON.stringify(s.fault ?? {})}`);
    }
    // Wait as long as the listing took, so the observer never holds more than half the server's time;
    // but not longer than POLL_WAIT_CAP polls: a listing that arrived with a burst of creates took long
    // waiting behind them, and waiting as long again would leave the servers unobserved for seconds.
    await sleep(Math.max(pollMs, Math.min(now - pollStart, POLL_WAIT_CAP * pollMs)));
  }
  await allCreated;
  if (failure) throw failure;
  const wallMs = performance.now() - t0;
  return { wallMs, latencies: [...latencies.values()] };
}
