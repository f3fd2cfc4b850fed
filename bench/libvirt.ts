/**
 * `npm run bench -- libvirt`: Kilonova's control-plane overhead on real guests.
 *
 *   boot_ms        POST /servers until the server is ACTIVE (the driver marks it
 *                  ACTIVE right after libvirt reports the domain running), the
 *                  test guest with its image already in the host's image cache
 *   virsh_create_ms  `virsh create` of the same domain XML (a copy of the
 *                  instance's files), i.e. what libvirt and QEMU alone take
 *   libvirt_overhead_ms_N  median boot_ms − median virsh_create_ms, for N
 *                  boots at once (N = 1 and 5)
 *
 * Needs libvirtd (scripts/setup-libvirt-host.sh). The last line is the summary.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Api, ADMIN_PASSWORD, emit, login, machineInfo, percentile, round, sleep, withCloud } from './common.js';
import { buildTestGuest } from '../src/virt/libvirt/test-guest/build.js';
import { registerTestGuest } from '../src/cli/register-test-guest.js';

const run = promisify(execFile);
const URI = 'qemu:///system';
// Both figures are medians of noisy timings (guests booting under TCG share two cores with everything else): enough rounds to steady them.
const ROUNDS = 10;

async function virsh(...args: string[]): Promise<string> {
  return (await run('virsh', ['-q', '-c', URI, ...args])).stdout;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
}

async function deleteAll(api: Api, ids: string[]): Promise<void> {
  await Promise.all(ids.map((id) => api.compute('DELETE', `/servers/${id}`)));
  for (const id of ids) {
    for (;;) {
      const r = await api.call('GET', `/compute/v2.1/servers/${id}`);
      if (r.status === 404) break;
      await sleep(20);
    }
  }
}

/**
 * N servers at once; each one's POST→ACTIVE time. One poller watches the
 * batch through GET /servers/detail every 10 ms, so observing does not load
 * the cloud more with more servers. The servers stay (the caller copies a domain first).
 */
async function bootBatch(api: Api, n: number, imageRef: string, flavorRef: string, prefix: string): Promise<{ ids: string[]; ms: number[] }> {
  const posted = new Map<string, number>();
  const active = new Map<string, number>();
  await Promise.all(Array.from({ length: n }, async (_, i) => {
    const t = performance.now();
    const body = await api.compute('POST', '/servers', { server: { name: `${prefix}-${i}`, imageRef, flavorRef, networks: 'none' } });
    posted.set(body.server.id as string, t);
  }));
  while (active.size < n) {
    const { servers } = await api.compute('GET', `/servers/detail?name=^${prefix}-`);
    const now = performance.now();
    for (const s of servers as Array<{ id: string; status: string; fault?: unknown }>) {
      if (s.status === 'ERROR') throw new Error(`server ${s.id} went to ERROR: ${JSON.stringify(s.fault)}`);
      if (s.status === 'ACTIVE' && posted.has(s.id) && !active.has(s.id)) active.set(s.id, now - posted.get(s.id)!);
    }
    if (active.size < n) await sleep(10);
  }
  const ids = [...posted.keys()];
  return { ids, ms: ids.map((id) => active.get(id)!) };
}

/**
 * The domain XML of a running instance, rewritten onto copies of its files
 * with a fresh name and UUID, so `virsh create` starts the very same guest
 * definition without Kilonova.
 */
async function cloneDomainXml(instanceDir: string, uuid: string, into: string, index: number): Promise<{ xml: string; name: string }> {
  const dir = path.join(into, `clone-${index}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(instanceDir)) {
    if (f === 'console.log' || f.startsWith('.')) continue;
    fs.copyFileSync(path.join(instanceDir, f), path.join(dir, f));
  }
  const name = `kilonova-bench-${index}-${process.pid}`;
  let xml = await virsh('dumpxml', '--inactive', uuid);
  xml = xml.split(instanceDir).join(dir)
    .replace(/<uuid>[^<]+<\/uuid>/, `<uuid>${randomUUID()}</uuid>`)
    .replace(/<name>[^<]+<\/name>/, `<name>${name}</name>`)
    .replace(/<entry name='(serial|uuid)'>[^<]+<\/entry>/g, '');
  const file = path.join(dir, 'domain.xml');
  fs.writeFileSync(file, xml);
  return { xml: file, name };
}

/** `virsh create` of each clone at once; each one's time until virsh returns (the domain is running then). */
async function virshCreateBatch(clones: Array<{ xml: string; name: string }>): Promise<number[]> {
  const times = await Promise.all(clones.map(async (c) => (await timed(() => virsh('create', c.xml)))[1]));
  await Promise.all(clones.map((c) => virsh('destroy', c.name).catch(() => undefined)));
  return times;
}

export async function runLibvirtBench(): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-bench-virsh-'));
  const removeScratch = () => fs.rmSync(scratch, { recursive: true, force: true });
  await withCloud({ driver: 'libvirt', env: { KILONOVA_LIBVIRT__VIRT_TYPE: 'qemu' } }, async (cloud, statePath) => {
    const { api } = cloud;
    await login(api);
    const guest = await buildTestGuest({ outputDir: process.env.KILONOVA_TEST_GUEST_DIR ?? path.join(os.tmpdir(), 'kilonova-test-guest') });
    const reg = await registerTestGuest({
      authUrl: `${api.base}/identity`, username: 'admin', password: ADMIN_PASSWORD, projectName: 'admin', userDomainName: 'Default', projectDomainName: 'Default',
    }, guest, { name: 'bench-guest', visibility: 'public' });
    const flavors = await api.compute('GET', '/flavors');
    const flavorRef = flavors.flavors.find((f: any) => f.name === 'm1.tiny').id as string;

    // Warm the image cache: the figures are for a cached image, as the target says.
    const warm = await bootBatch(api, 1, reg.imageId, flavorRef, 'warm');
    await deleteAll(api, warm.ids);

    const summary: Record<string, unknown> = {};
    for (const n of [1, 5]) {
      const boots: number[] = [];
      const creates: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const batch = await bootBatch(api, n, reg.imageId, flavorRef, `b${n}-${r}`);
        boots.push(...batch.ms);
        const clones = await Promise.all(batch.ids.map((id, i) => cloneDomainXml(path.join(statePath, 'instances', id), id, scratch, r * 10 + i)));
        await deleteAll(api, batch.ids);
        creates.push(...(await virshCreateBatch(clones)));
        for (const c of clones) fs.rmSync(path.dirname(c.xml), { recursive: true, force: true });
      }
      const bootMs = percentile(boots, 50);
      const createMs = percentile(creates, 50);
      const overhead = bootMs - createMs;
      emit({ phase: `libvirt_boots_${n}`, concurrent: n, rounds: ROUNDS, boot_ms_p50: round(bootMs), virsh_create_ms_p50: round(createMs), overhead_ms: round(overhead), boot_ms: boots.map((v) => round(v)), virsh_create_ms: creates.map((v) => round(v)) });
      summary[`libvirt_overhead_ms_${n}`] = round(overhead);
      summary[`boot_ms_${n}`] = round(bootMs);
      summary[`virsh_create_ms_${n}`] = round(createMs);
    }
    emit({ ...summary, machine: machineInfo() });
  }, removeScratch);
}
