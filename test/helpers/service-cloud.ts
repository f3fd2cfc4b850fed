/**
 * The cloud as Nova runs in production: `kilonova api` (one or more),
 * `conductor`, `scheduler` (one or more) sharing a PostgreSQL database of the
 * cloud's own, and `kilonova compute --host cN` processes (fake driver, no
 * database: theirs is unusable on purpose), meeting over RabbitMQ in a
 * virtual host of their own. Each process is started from its role's
 * kilonova.conf, can be killed by PID and started again, and every one is
 * stopped (computes first) when the cloud closes.
 */
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { ADMIN_PASSWORD, DEMO_PASSWORD, childEnv, makeClient, spawnKilonova, type CloudClient, type KilonovaProcess } from './cloud.js';
import { createPostgresDatabase } from './databases.js';
import { createTestVhost, type TestVhost } from '../bus/broker.js';

export type Sections = Record<string, Record<string, string | number>>;

export interface ServiceCloudOptions {
  /** Compute hosts c1..cN (default 2). */
  computes?: number;
  /** API processes (default 1): api, api-2, ... on ports of their own. */
  apis?: number;
  /** Scheduler processes (default 1): scheduler, scheduler-2, ... */
  schedulers?: number;
  /** The bus; default a virtual host of the cloud's own on the shared broker (removed on close). */
  transportUrl?: string;
  /** Merged into the conf of the api, conductor and scheduler processes (after the defaults). */
  controller?: Sections;
  /** Merged into every compute host's conf. */
  compute?: Sections;
  /** Merged into one process's conf after its role's (by name: c1, conductor, ...): a host that fails its spawns, a slow one. */
  process?: Record<string, Sections>;
  /** How long each process may take to say it is ready (default 60 s). */
  readyTimeoutMs?: number;
}

export interface ServiceCloud extends CloudClient {
  dir: string;
  databaseUrl: string;
  transportUrl: string;
  /** A client of each API process, in start order (the cloud itself is the first). */
  apis: CloudClient[];
  /** Compute host names, c1..cN. */
  computeHosts: string[];
  /** The running process of each name (api, api-2, conductor, scheduler, scheduler-2, c1, ...). */
  processes: Map<string, KilonovaProcess>;
  /**
   * Starts the named process (again, after a kill) from its role's conf and
   * its own; `conf` is merged into its own for this and every later start.
   */
  start(name: string, conf?: Sections): Promise<KilonovaProcess>;
  /** Sends the signal (default SIGKILL) to the named process; resolves when it has exited. */
  kill(name: string, signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGTERM to every process, computes first; each exit code by name. Then removes database, vhost and files. */
  close(): Promise<Record<string, number | null>>;
}

export function iniText(sections: Sections): string {
  return Object.entries(sections).map(([name, opts]) => `[${name}]\n${Object.entries(opts).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`).join('\n');
}

export function mergeSections(...all: Array<Sections | undefined>): Sections {
  const out: Sections = {};
  for (const s of all) for (const [name, opts] of Object.entries(s ?? {})) out[name] = { ...out[name], ...opts };
  return out;
}

export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

const READY = (role: string) => new RegExp(`Kilonova ${role} ready (?:at (http://\\S+) )?`);

function roleOf(name: string): 'api' | 'conductor' | 'scheduler' | 'compute' {
  const base = name.replace(/-\d+$/, '');
  return base === 'api' || base === 'conductor' || base === 'scheduler' ? base : 'compute';
}

/** Starts the whole cloud; on a failed start everything already started is stopped and removed. */
export async function startServiceCloud(opts: ServiceCloudOptions = {}): Promise<ServiceCloud> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-services-'));
  const undo: Array<() => Promise<unknown>> = [async () => fs.rmSync(dir, { recursive: true, force: true })];
  const processes = new Map<string, KilonovaProcess>();
  const stopAll = async (signal: NodeJS.Signals) => {
    const codes: Record<string, number | null> = {};
    // Computes first, then the controller's services, as an operator would take them down.
    const names = [...processes.keys()].sort((a, b) => Number(roleOf(a) !== 'compute') - Number(roleOf(b) !== 'compute'));
    for (const name of names) {
      codes[name] = await processes.get(name)!.stop(signal);
      processes.delete(name);
    }
    return codes;
  };
  const removeAll = async () => {
    for (const step of undo.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const db = await createPostgresDatabase('kn_services');
    undo.push(() => db.drop());
    let vhost: TestVhost | undefined;
    if (!opts.transportUrl) {
      vhost = await createTestVhost();
      undo.push(() => vhost!.remove());
    }
    const transportUrl = opts.transportUrl ?? vhost!.url;
    const apiCount = opts.apis ?? 1;
    const ports = await Promise.all(Array.from({ length: apiCount }, () => freePort()));
    const apiUrl = `http://127.0.0.1:${ports[0]}`;
    const serviceUser = { auth_url: `${apiUrl}/identity`, username: 'admin', password: ADMIN_PASSWORD, project_name: 'admin' };
    const controller = mergeSections({
      DEFAULT: { transport_url: transportUrl, host: 'controller', state_path: path.join(dir, 'controller'), osapi_compute_listen: '127.0.0.1', osapi_compute_listen_port: ports[0], metadata_listen_port: 0, report_interval: 1 },
      // Several controller processes, and two such clouds at once in a test run: their pools together stay well under PostgreSQL's 100 connections.
      database: { connection: db.url, max_pool_size: 4 },
      identity: { admin_password: ADMIN_PASSWORD, demo_password: DEMO_PASSWORD },
      quota: { instances: -1, cores: -1, ram: -1 },
      vnc: { novncproxy_host: '127.0.0.1', novncproxy_port: 0 },
      serial_console: { serialproxy_host: '127.0.0.1', serialproxy_port: 0 },
    }, opts.controller);
    const compute = mergeSections({
      DEFAULT: { transport_url: transportUrl, compute_driver: 'fake.FakeDriver', report_interval: 1 },
      // Unusable on purpose: a compute process that opened it would fail to start.
      database: { connection: 'postgresql://nobody@127.0.0.1:1/nowhere' },
      glance: serviceUser, neutron: serviceUser, placement: serviceUser,
    }, opts.compute);
    fs.writeFileSync(path.join(dir, 'controller.conf'), iniText(controller));
    fs.writeFileSync(path.join(dir, 'compute.conf'), iniText(compute));
    const own = new Map(Object.entries(opts.process ?? {}));
    // The role's file, or one of the process's own when it has settings of its own.
    const confFile = (name: string, conf: Sections | undefined): string => {
      if (conf) own.set(name, mergeSections(own.get(name), conf));
      const role = roleOf(name) === 'compute' ? 'compute' : 'controller';
      const mine = own.get(name);
      if (!mine) return path.join(dir, `${role}.conf`);
      const file = path.join(dir, `${name}.conf`);
      fs.writeFileSync(file, iniText(mergeSections(role === 'compute' ? compute : controller, mine)));
      return file;
    };

    const apiNames = ports.map((_, i) => (i === 0 ? 'api' : `api-${i + 1}`));
    const schedulerNames = Array.from({ length: opts.schedulers ?? 1 }, (_, i) => (i === 0 ? 'scheduler' : `scheduler-${i + 1}`));
    const computeHosts = Array.from({ length: opts.computes ?? 2 }, (_, i) => `c${i + 1}`);

    const start = async (name: string, conf?: Sections): Promise<KilonovaProcess> => {
      if (processes.has(name)) throw new Error(`${name} is already running`);
      const role = roleOf(name);
      let args: string[];
      if (role === 'compute') {
        if (!computeHosts.includes(name)) throw new Error(`no compute host ${name}`);
        args = ['compute', '--host', name, '--config-file', confFile(name, conf), '--state-path', path.join(dir, name)];
      } else {
        const apiIndex = apiNames.indexOf(name);
        args = [role, '--config-file', confFile(name, conf), ...(apiIndex >= 0 ? ['--port', String(ports[apiIndex])] : [])];
      }
      const p = await spawnKilonova(args, { cwd: dir, env: childEnv(), ready: READY(role), readyTimeoutMs: opts.readyTimeoutMs ?? 60_000 });
      processes.set(name, p);
      return p;
    };

    // The first API bootstraps the identity, flavors and networks; the others then find them.
    await start('api');
    await Promise.all(apiNames.slice(1).map((n) => start(n)));
    await Promise.all(['conductor', ...schedulerNames].map((n) => start(n)));
    await Promise.all(computeHosts.map((h) => start(h)));

    const apis = apiNames.map((_, i) => makeClient(`http://127.0.0.1:${ports[i]}`, { admin: ADMIN_PASSWORD, demo: DEMO_PASSWORD }));
    // The resource trackers report to placement over HTTP: wait until every host can take servers.
    await waitForHypervisors(apis[0], computeHosts.length, 60_000);
    return {
      ...apis[0],
      dir, databaseUrl: db.url, transportUrl, apis, computeHosts, processes, start,
      async kill(name, signal = 'SIGKILL') {
        const p = processes.get(name);
        if (!p) throw new Error(`${name} is not running`);
        processes.delete(name);
        return p.stop(signal);
      },
      async close() {
        try {
          return await stopAll('SIGTERM');
        } finally {
          await removeAll();
        }
      },
    };
  } catch (err) {
    await stopAll('SIGKILL');
    await removeAll();
    throw err;
  }
}

/** Polls os-hypervisors until `count` are listed with their resources, or fails at the deadline. */
export async function waitForHypervisors(cloud: CloudClient, count: number, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let names: string[] = [];
  while (Date.now() < deadline) {
    const res = await cloud.request('GET', '/compute/v2.1/os-hypervisors');
    names = (res.json?.hypervisors ?? []).map((h: any) => h.hypervisor_hostname).sort();
    if (names.length >= count) {
      const rps = await cloud.request('GET', '/placement/resource_providers');
      if ((rps.json?.resource_providers ?? []).length >= count) return names;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${count} hypervisors not listed within ${timeoutMs} ms (have: ${names.join(', ') || 'none'})`);
}
