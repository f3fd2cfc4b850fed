/**
 * The whole cloud for functional tests: the all-in-one in this process
 * (startTestCloud) or as a child process (startCloudProcess, for the openstack
 * CLI test and restarts). Both use a fresh temp state_path, fixed passwords and
 * real Keystone tokens; nothing here reaches into a service's internals.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { loadConfig, type Overrides } from '../../src/conf/loader.js';
import { startAllInOne, type AllInOne } from '../../src/cli/all-in-one.js';
import { testLogger } from './logger.js';
import { createPostgresDatabase } from './databases.js';

export const ADMIN_PASSWORD = 'admin-secret-test';
export const DEMO_PASSWORD = 'demo-secret-test';

/**
 * The kilonova command as it ships: the bundle (dist/kilonova.mjs) when the
 * build made one, else dist/src/cli/main.js; found from this compiled file
 * (dist/test/helpers/cloud.js).
 */
export const MAIN_JS = [new URL('../../kilonova.mjs', import.meta.url), new URL('../../src/cli/main.js', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((p) => fs.existsSync(p)) ?? fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export type Who = 'admin' | 'demo';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  /** The parsed body; undefined when the body is empty, the raw text when it is not JSON. */
  json: T;
}

export interface RequestOptions {
  /** Whose token to send; null sends none. Default: admin. */
  who?: Who | null;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface CloudClient {
  url: string;
  token(who: Who): Promise<string>;
  request<T = any>(method: string, urlPath: string, opts?: RequestOptions): Promise<ApiResponse<T>>;
  /** Polls GET /servers/{id} every 5 ms until status (or 'DELETED': until 404). */
  waitForServer(id: string, status: string, who?: Who, timeoutMs?: number): Promise<any>;
}

export function makeClient(url: string, passwords: Record<Who, string>): CloudClient {
  const tokens = new Map<Who, Promise<string>>();

  async function issueToken(who: Who): Promise<string> {
    const res = await fetch(`${url}/identity/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: who, domain: { id: 'default' }, password: passwords[who] } },
          },
          scope: { project: { name: who, domain: { id: 'default' } } },
        },
      }),
    });
    const token = res.headers.get('x-subject-token');
    if (res.status !== 201 || !token) {
      throw new Error(`token for ${who}: POST /identity/v3/auth/tokens gave ${res.status}: ${await res.text()}`);
    }
    await res.arrayBuffer().catch(() => undefined);
    return token;
  }

  function token(who: Who): Promise<string> {
    let t = tokens.get(who);
    if (!t) {
      t = issueToken(who);
      t.catch(() => tokens.delete(who));
      tokens.set(who, t);
    }
    return t;
  }

  async function request<T = any>(method: string, urlPath: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
    const who = opts.who === undefined ? 'admin' : opts.who;
    if (who) headers['x-auth-token'] = await token(who);
    let body: string | ArrayBuffer | undefined;
    if (opts.body !== undefined) {
      if (typeof opts.body === 'string') body = opts.body;
      else if (opts.body instanceof Uint8Array) {
        body = opts.body.buffer.slice(opts.body.byteOffset, opts.body.byteOffset + opts.body.byteLength) as ArrayBuffer;
      }
      else body = JSON.stringify(opts.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${url}${urlPath}`, { method, headers, body });
    const text = await res.text();
    let json: any;
    if (text.length > 0) {
      try { json = JSON.parse(text); } catch { json = text; }
    }
    return { status: res.status, headers: res.headers, json };
  }

  async function waitForServer(id: string, status: string, who: Who = 'admin', timeoutMs = 15_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last: ApiResponse | undefined;
    while (Date.now() < deadline) {
      last = await request('GET', `/compute/v2.1/servers/${id}`, { who });
      if (status === 'DELETED') {
        if (last.status === 404) return undefined;
      } else if (last.status === 200) {
        const server = last.json?.server;
        if (server?.status === status) return server;
        if (server?.status === 'ERROR') {
          throw new Error(`server ${id} went to ERROR while waiting for ${status}: ${JSON.stringify(server.fault ?? server)}`);
        }
      } else {
        throw new Error(`GET /compute/v2.1/servers/${id} gave ${last.status}: ${JSON.stringify(last.json)}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`server ${id} did not reach ${status} in ${timeoutMs} ms; last: ${last?.status} ${JSON.stringify(last?.json)}`);
  }

  return { url, token, request, waitForServer };
}

function mergeOverrides(base: Overrides, extra: Overrides = {}): Overrides {
  const out: Overrides = {};
  for (const section of new Set([...Object.keys(base), ...Object.keys(extra)])) {
    out[section] = { ...(base[section] ?? {}), ...(extra[section] ?? {}) };
  }
  return out;
}

export type TestCloud = AllInOne & CloudClient & {
  statePath: string;
  /** Stops the cloud and removes its state (unless the state path was given). */
  close(): Promise<void>;
};

/**
 * The all-in-one in this process on a free port, with a fresh state_path,
 * ADMIN_PASSWORD/DEMO_PASSWORD and unlimited quotas (overrides win).
 */
export async function startTestCloud(overrides: Overrides = {}, opts: { statePath?: string; fakeHosts?: number } = {}): Promise<TestCloud> {
  // A given state path is a restart: it is the caller's, and stays on close.
  const ownState = !opts.statePath;
  const statePath = opts.statePath ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-cloud-'));
  const conf = loadConfig({
    env: {},
    overrides: mergeOverrides({
      // The fake hypervisor unless a test asks for libvirt: the default would pick libvirt whenever libvirtd runs.
      DEFAULT: { state_path: statePath, osapi_compute_listen_port: 0, metadata_listen_port: 0, compute_driver: 'fake.FakeDriver' },
      identity: { admin_password: ADMIN_PASSWORD, demo_password: DEMO_PASSWORD },
      quota: { instances: -1, cores: -1, ram: -1 },
      // Console proxies of its own on free ports: test clouds run side by side.
      vnc: { novncproxy_host: '127.0.0.1', novncproxy_port: 0 },
      serial_console: { serialproxy_host: '127.0.0.1', serialproxy_port: 0 },
      // More than one compute host (<host>, <host>-2, ...): somewhere for migrations to go.
      ...(opts.fakeHosts !== undefined ? { fake_driver: { hosts: String(opts.fakeHosts) } } : {}),
    }, overrides),
  });
  let aio: AllInOne;
  try {
    aio = await startAllInOne({ conf, logger: testLogger });
  } catch (err) {
    if (ownState) fs.rmSync(statePath, { recursive: true, force: true });
    throw err;
  }
  const client = makeClient(aio.url, { admin: aio.adminPassword, demo: aio.demoPassword });
  return {
    ...aio,
    ...client,
    statePath,
    async close() {
      try {
        await aio.close();
      } finally {
        if (ownState) fs.rmSync(statePath, { recursive: true, force: true });
      }
    },
  };
}

/**
 * startTestCloud on the given dialect: on PostgreSQL in a database of its own,
 * dropped when the cloud closes.
 */
export async function startTestCloudOn(dialect: 'sqlite' | 'postgres', overrides: Overrides = {}, opts: { fakeHosts?: number } = {}): Promise<TestCloud> {
  if (dialect === 'sqlite') return startTestCloud(overrides, opts);
  const db = await createPostgresDatabase('kn_cloud');
  let cloud: TestCloud;
  try {
    cloud = await startTestCloud(mergeOverrides(overrides, { database: { connection: db.url } }), opts);
  } catch (err) {
    await db.drop();
    throw err;
  }
  const close = cloud.close;
  return Object.assign(cloud, {
    async close() {
      try {
        await close();
      } finally {
        await db.drop();
      }
    },
  });
}

export interface CloudProcessOptions {
  /** Reuse this state path (it is then left in place on stop); default: a fresh temp dir removed on stop. */
  statePath?: string;
  /** Extra environment (KILONOVA_* options); quotas are unlimited unless set here. */
  env?: Record<string, string>;
  /** Extra command-line arguments after `all-in-one`. */
  args?: string[];
  /** How long to wait for the ready line. */
  readyTimeoutMs?: number;
  /** Leave the passwords to the cloud (generated, or kept from an earlier start) instead of ADMIN_PASSWORD/DEMO_PASSWORD. */
  ownPasswords?: boolean;
}

export interface CloudProcess extends CloudClient {
  child: ChildProcess;
  pid: number;
  statePath: string;
  /** The passwords the cloud wrote to clouds.yaml. */
  passwords: Record<Who, string>;
  /** Milliseconds the process reported it took to start. */
  startMs: number;
  /** Everything the process wrote to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM (or the signal given), then wait; resolves to the exit code (SIGKILL after 10 s gives null). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * The warning and error lines of a cloud's log (pino JSON, level 40 and up), the last `max`
 * of them: what a failure report needs, where the raw tail would be request lines.
 */
export function logProblems(log: string, max = 30): string {
  const lines = log.split('\n').filter((l) => {
    const level = /"level":(\d+)/.exec(l)?.[1];
    return level !== undefined && Number(level) >= 40;
  });
  return lines.slice(-max).map((l) => l.slice(0, 1000)).join('\n') || '(no warnings or errors logged)';
}

/** The admin and demo passwords from <statePath>/clouds.yaml. */
export function readCloudsYaml(statePath: string): Record<Who, string> {
  const doc = YAML.parse(fs.readFileSync(path.join(statePath, 'clouds.yaml'), 'utf8'));
  const admin = doc?.clouds?.kilonova?.auth?.password;
  const demo = doc?.clouds?.['kilonova-demo']?.auth?.password;
  if (typeof admin !== 'string' || typeof demo !== 'string') throw new Error(`clouds.yaml in ${statePath} lacks the kilonova / kilonova-demo passwords`);
  return { admin, demo };
}

/** Clouds started by this process; none may outlive it, even when a test run is cut short. */
const liveChildren = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of liveChildren) c.kill('SIGKILL');
});

const READY = /Kilonova all-in-one ready at (http:\/\/\S+) \((\d+) ms\)/;

export interface KilonovaProcess {
  child: ChildProcess;
  pid: number;
  /** The ready line's match. */
  ready: RegExpExecArray;
  stdout(): string;
  stderr(): string;
  /** SIGTERM (or the signal given), then wait; resolves to the exit code (SIGKILL after 10 s gives null). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The environment of a kilonova child: this process's, without its KILONOVA_* settings, plus the given ones. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  // The test runner's own KILONOVA_* settings must not leak into the cloud under test.
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('KILONOVA_')) env[k] = v;
  return Object.assign(env, extra);
}

/** Spawns `node MAIN_JS <args>` in cwd and waits until stdout matches ready; killed if it does not. */
export async function spawnKilonova(args: string[], opts: { cwd: string; env: Record<string, string>; ready: RegExp; readyTimeoutMs?: number }): Promise<KilonovaProcess> {
  // KILONOVA_CPU_PROF_DIR=<dir>: each process writes a V8 CPU profile there when it exits (for the benchmarks).
  // KILONOVA_NODE_FLAGS: more node flags for each process (--perf-basic-prof names JIT code for perf, whose
  // samples count CPU time: a V8 profile's samples count wall time, so preemption inflates what they land on).
  const profDir = process.env.KILONOVA_CPU_PROF_DIR;
  const nodeArgs = [...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), ...(process.env.KILONOVA_NODE_FLAGS ?? '').split(' ').filter(Boolean)];
  const child = spawn(process.execPath, [...nodeArgs, MAIN_JS, ...args], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const what = `kilonova ${args[0]}`;
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  // The cloud logs every request to stderr; only the tail matters for a failure report.
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err = (err + d).slice(-256 * 1024); });
  liveChildren.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    liveChildren.delete(child);
    resolve(code);
  }));
  let ready: RegExpExecArray;
  try {
    ready = await new Promise<RegExpExecArray>((resolve, reject) => {
      const timeoutMs = opts.readyTimeoutMs ?? 30_000;
      const timer = setTimeout(() => reject(new Error(`${what} not ready in ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err.slice(-4000)}`)), timeoutMs);
      const check = () => {
        const m = opts.ready.exec(out);
        if (m) { clearTimeout(timer); child.stdout!.off('data', check); resolve(m); }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${what} exited (${code ?? signal}) before it was ready\nstdout:\n${out}\nstderr:\n${err.slice(-4000)}`));
      });
      check();
    });
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    throw e;
  }
  let stopping: Promise<number | null> | undefined;
  return {
    child, pid: child.pid!, ready, stdout: () => out, stderr: () => err,
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        const code = await exited;
        clearTimeout(killer);
        return code;
      })();
      return stopping;
    },
  };
}

/** Spawns `node MAIN_JS all-in-one --port 0` and waits for its ready line. */
export async function startCloudProcess(opts: CloudProcessOptions = {}): Promise<CloudProcess> {
  const ownState = !opts.statePath;
  const statePath = opts.statePath ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-proc-'));
  fs.mkdirSync(statePath, { recursive: true });
  const env = childEnv(opts.ownPasswords ? {} : { KILONOVA_IDENTITY__ADMIN_PASSWORD: ADMIN_PASSWORD, KILONOVA_IDENTITY__DEMO_PASSWORD: DEMO_PASSWORD });
  Object.assign(env, {
    KILONOVA_DEFAULT__COMPUTE_DRIVER: 'fake.FakeDriver',
    KILONOVA_QUOTA__INSTANCES: '-1',
    KILONOVA_QUOTA__CORES: '-1',
    KILONOVA_QUOTA__RAM: '-1',
    // Its own console proxy on a free local port: test clouds run side by side.
    KILONOVA_VNC__NOVNCPROXY_HOST: '127.0.0.1',
    KILONOVA_VNC__NOVNCPROXY_PORT: '0',
    KILONOVA_DEFAULT__METADATA_LISTEN_PORT: '0',
  }, opts.env ?? {});

  const cleanup = () => { if (ownState) fs.rmSync(statePath, { recursive: true, force: true }); };
  let proc: KilonovaProcess;
  let passwords: Record<Who, string>;
  try {
    // cwd is the state path so a kilonova.conf in the repository is not picked up.
    proc = await spawnKilonova(['all-in-one', '--port', '0', '--state-path', statePath, ...(opts.args ?? [])], { cwd: statePath, env, ready: READY, readyTimeoutMs: opts.readyTimeoutMs });
    try {
      // The clouds.yaml the cloud wrote is what a user connects with; take the passwords from there.
      passwords = readCloudsYaml(statePath);
    } catch (e) {
      await proc.stop('SIGKILL');
      throw e;
    }
  } catch (e) {
    cleanup();
    throw e;
  }
  const match = proc.ready;
  const client = makeClient(match[1], passwords);
  return {
    ...client,
    child: proc.child,
    pid: proc.pid,
    statePath,
    passwords,
    startMs: Number(match[2]),
    stdout: proc.stdout,
    stderr: proc.stderr,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const code = await proc.stop(signal);
      cleanup();
      return code;
    },
  };
}

/**
 * Runs `kilonova all-in-one` in a fresh state path, with only the given
 * KILONOVA_* settings, for a start that is expected to fail: its exit code
 * (null when killed) and stderr.
 */
export async function runFailingStart(opts: { env?: Record<string, string>; args?: string[] } = {}): Promise<{ code: number | null; stderr: string }> {
  const statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-failing-start-'));
  try {
    const env = childEnv(opts.env);
    return await new Promise((resolve) => {
      execFile(process.execPath, [MAIN_JS, 'all-in-one', '--port', '0', '--state-path', statePath, ...(opts.args ?? [])], { cwd: statePath, env, timeout: 60_000 }, (err, _out, stderr) => {
        resolve({ code: err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : null) : 0, stderr });
      });
    });
  } finally {
    fs.rmSync(statePath, { recursive: true, force: true });
  }
}
