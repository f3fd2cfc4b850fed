/**
 * The fake hypervisor: Kilonova's emulator mode. It keeps guests in memory with
 * honest power-state transitions, reports configurable capacity, and lets a
 * caller inject delays and failures. Its call history can be asserted on.
 */
import { decodedInjectedFiles } from '../injected-files.js';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  InstanceNotFoundOnHost, InvalidPowerState, LiveMigrationAborted, PowerState, SpawnFailed, type LiveMigrationControl,
  type Diagnostics, type DriverCapabilities, type DriverInstance, type SnapshotData, type HostResources, type InstanceInfo, type PowerStateValue,
  type SpawnRequest, type VifInfo, type VirtDriver, type ConsoleEndpoint, type ConsoleProtocol,
} from '../driver.js';
import type { ImageMeta } from '../../objects/image-meta.js';
import type { Flavor } from '../../objects/flavor.js';
import { uptimeLine } from '../uptime.js';
import { FakeConsoles } from './consoles.js';

export interface FakeDriverOptions {
  vcpus: number;
  memoryMb: number;
  localGb: number;
  spawnDelayMs?: number;
  /**
   * How long the newer operations (password, crash dump, ...) take, so a
   * client can see the server in its transitional task_state. 0 by default.
   */
  actionDelayMs?: number;
  failSpawn?: boolean;
  /**
   * Lines of boot log a new guest's console starts with (3 by default), so
   * clients that tail or page a long console can be tried against the fake.
   */
  consoleOutputLines?: number;
  /**
   * Where the fake hypervisor keeps its guests (one JSON file each), so they
   * survive a restart as a real hypervisor's do. Without it, guests live in
   * memory only.
   */
  stateDir?: string;
}

interface FakeGuest {
  uuid: string;
  name: string;
  state: PowerStateValue;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  console: string[];
  /** Sizes before a resize on this host, kept until it is confirmed or reverted. */
  resizedFrom?: { vcpus: number; memoryMb: number; diskGb: number };
  /** Booted from a rescue image (Nova's rescued vm_state, as the hypervisor sees it). */
  rescued?: boolean;
  /** Ports hot-plugged after the boot (attachInterface), by id, with their MAC. */
  hotplugged?: Record<string, string>;
  /** Personality files placed at spawn, by path (contents base64). */
  files?: Record<string, string>;
}

export interface FakeCall {
  method: string;
  uuid?: string;
  at: number;
}

/** Decides whether a spawn fails; return a message to fail it. */
export type SpawnFaultRule = (req: SpawnRequest) => string | undefined;

export class FakeDriver implements VirtDriver {
  readonly type = 'fake';
  readonly capabilities: DriverCapabilities = { supportsSetAdminPassword: true, supportsTriggerCrashDump: true, supportsRescue: true, supportsSnapshot: true, supportsMigration: true, supportsAttachInterface: true };
  private readonly guests = new Map<string, FakeGuest>();
  private host = 'fake-host';
  private readonly spawnFaults: SpawnFaultRule[] = [];
  readonly calls: FakeCall[] = [];
  private static readonly MAX_CALLS = 10_000;
  /** The write that has not started yet (changes join it), and the chain of writes. */
  private nextWrite?: Promise<void>;
  private writing: Promise<void> = Promise.resolve();
  private stateDirMade = false;
  /** Guests changed since the last write began. */
  private readonly dirty = new Set<string>();

  private readonly startedAt = Date.now();
  private readonly consoles = new FakeConsoles();

  constructor(private readonly opts: FakeDriverOptions) {}

  /** Make the next `count` spawns fail with `message`. */
  failNextSpawns(count: number, message = 'Fake spawn failure injected'): void {
    let left = count;
    // A used-up rule removes itself, so a long-running emulator does not test every spawn against dead rules.
    const remove = this.addSpawnFault(() => {
      if (left <= 0) return undefined;
      if (--left === 0) remove();
      return message;
    });
    if (left <= 0) remove();
  }

  /** Fail spawns for which `rule` returns a message, until removed. Returns the remover. */
  addSpawnFault(rule: SpawnFaultRule): () => void {
    this.spawnFaults.push(rule);
    return () => {
      const i = this.spawnFaults.indexOf(rule);
      if (i >= 0) this.spawnFaults.splice(i, 1);
    };
  }

  /** Simulate the guest powering itself off (as a shutdown inside the guest would). */
  simulateGuestShutdown(uuid: string): void {
    this.guest(uuid).state = PowerState.SHUTDOWN;
    void this.changed(uuid);
  }

  async initHost(host: string): Promise<void> {
    this.host = host;
    this.record('initHost');
    const dir = this.opts.stateDir;
    if (!dir) return;
    // Earlier versions kept every guest in one <dir>.json: read it once, then keep one file per guest.
    const legacy = `${dir}.json`;
    if (fs.existsSync(legacy)) {
      for (const g of JSON.parse(fs.readFileSync(legacy, 'utf8')) as FakeGuest[]) this.guests.set(g.uuid, g);
      for (const uuid of this.guests.keys()) this.dirty.add(uuid);
      await this.saveDirty();
      fs.rmSync(legacy, { force: true });
    }
    if (!fs.existsSync(dir)) return;
    for (const name of fs.readdirSync(dir)) {
      if (!name.endsWith('.json')) continue;
      const g = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as FakeGuest;
      this.guests.set(g.uuid, g);
    }
  }

  /** Writes the guests out now (Nova's cleanup_host, at service stop). */
  async cleanupHost(): Promise<void> {
    await this.consoles.closeAll();
    await this.writing;
    await this.saveDirty();
  }

  /**
   * Resolves once the guest, as it is now, is on disk: an operation reports
   * success only after its guest would survive a crash of this process, as a
   * real hypervisor's guests outlive the compute service. Writes are
   * coalesced: every change made while one write runs shares the next, and a
   * write touches only the guests that changed, so a burst of boots costs a
   * few small writes, whatever the number of guests.
   */
  private changed(uuid: string): Promise<void> {
    if (!this.opts.stateDir) return Promise.resolve();
    this.dirty.add(uuid);
    if (!this.nextWrite) {
      const write = this.writing.then(() => {
        this.nextWrite = undefined;
        return this.saveDirty();
      });
      this.nextWrite = write;
      this.writing = write.catch(() => undefined);
    }
    return this.nextWrite;
  }

  /** The changed guests' files to write (text) or remove (null); taken before any await, so a later change waits for the next write. */
  private takeDirty(): Array<[string, string | null]> {
    const dir = this.opts.stateDir!;
    const out: Array<[string, string | null]> = [];
    for (const uuid of this.dirty) {
      const g = this.guests.get(uuid);
      out.push([path.join(dir, `${uuid}.json`), g ? JSON.stringify(g) : null]);
    }
    this.dirty.clear();
    return out;
  }

  /**
   * Synchronous on purpose: the files are a few hundred bytes each, and a
   * write through the thread pool costs a round trip per file operation (and
   * queues behind password hashing there), which made every fake action wait
   * several milliseconds for its guest to be "on disk".
   */
  private async saveDirty(): Promise<void> {
    if (!this.opts.stateDir) return;
    const batch = this.takeDirty();
    // Once per process: every boot's write asking again showed in profiles of many boots.
    if (!this.stateDirMade) fs.mkdirSync(this.opts.stateDir, { recursive: true });
    this.stateDirMade = true;
    for (const [file, text] of batch) {
      if (text === null) {
        fs.rmSync(file, { force: true });
        continue;
      }
      fs.writeFileSync(`${file}.tmp`, text);
      fs.renameSync(`${file}.tmp`, file);
    }
  }

  async getAvailableNodes(): Promise<string[]> {
    return [this.host];
  }

  async getAvailableResource(nodename: string): Promise<HostResources> {
    let vcpusUsed = 0, memoryMbUsed = 0, localGbUsed = 0;
    for (const g of this.guests.values()) {
      vcpusUsed += g.vcpus;
      memoryMbUsed += g.memoryMb;
      localGbUsed += g.diskGb;
    }
    return {
      hypervisorHostname: nodename, hypervisorType: 'fake', hypervisorVersion: 1000,
      vcpus: this.opts.vcpus, memoryMb: this.opts.memoryMb, localGb: this.opts.localGb,
      vcpusUsed, memoryMbUsed, localGbUsed, diskAvailableLeast: this.opts.localGb - localGbUsed,
      cpuInfo: { arch: 'x86_64', model: 'fake', vendor: 'Kilonova', topology: { sockets: 1, cores: this.opts.vcpus, threads: 1 }, features: [] },
    };
  }

  async spawn(req: SpawnRequest): Promise<void> {
    const { instance } = req;
    this.record('spawn', instance.uuid);
    if (this.opts.spawnDelayMs) await sleep(this.opts.spawnDelayMs);
    if (this.opts.failSpawn) throw new SpawnFailed('Fake spawn failure (fake_driver.fail_spawn is set)');
    for (const rule of [...this.spawnFaults]) {
      const message = rule(req);
      if (message) throw new SpawnFailed(message);
    }
    if (this.guests.has(instance.uuid)) throw new SpawnFailed(`A guest for ${instance.uuid} already exists`);
    const f = instance.flavor;
    this.guests.set(instance.uuid, {
      uuid: instance.uuid, name: instance.name, state: PowerState.RUNNING,
      vcpus: f.vcpus, memoryMb: f.memory_mb, diskGb: f.root_gb + f.ephemeral_gb,
      console: bootLog(instance, this.opts.consoleOutputLines ?? 3),
      ...(req.injectedFiles?.length ? { files: Object.fromEntries(req.injectedFiles.map((f) => [f.path, f.contents])) } : {}),
    });
    await this.changed(instance.uuid);
  }

  async destroy(instance: DriverInstance, _networkInfo: VifInfo[]): Promise<void> {
    this.record('destroy', instance.uuid);
    await this.consoles.close(instance.uuid);
    if (this.guests.delete(instance.uuid)) await this.changed(instance.uuid);
  }

  async getInfo(instance: DriverInstance): Promise<InstanceInfo> {
    return { state: this.guest(instance.uuid).state };
  }

  async listInstances(): Promise<string[]> {
    return [...this.guests.keys()];
  }

  async reboot(instance: DriverInstance, type: 'SOFT' | 'HARD'): Promise<void> {
    this.record(`reboot:${type}`, instance.uuid);
    await this.actionDelay();
    const g = this.guest(instance.uuid);
    g.state = PowerState.RUNNING;
    g.console.push(`${type === 'SOFT' ? 'soft' : 'hard'} reboot`);
    await this.changed(instance.uuid);
  }

  async powerOff(instance: DriverInstance): Promise<void> {
    this.record('powerOff', instance.uuid);
    await this.actionDelay();
    this.guest(instance.uuid).state = PowerState.SHUTDOWN;
    await this.changed(instance.uuid);
  }

  async powerOn(instance: DriverInstance): Promise<void> {
    this.record('powerOn', instance.uuid);
    await this.actionDelay();
    this.guest(instance.uuid).state = PowerState.RUNNING;
    await this.changed(instance.uuid);
  }

  async pause(instance: DriverInstance): Promise<void> {
    this.record('pause', instance.uuid);
    await this.actionDelay();
    await this.transition(instance.uuid, PowerState.RUNNING, PowerState.PAUSED, 'pause');
  }

  async unpause(instance: DriverInstance): Promise<void> {
    this.record('unpause', instance.uuid);
    await this.actionDelay();
    await this.transition(instance.uuid, PowerState.PAUSED, PowerState.RUNNING, 'unpause');
  }

  async suspend(instance: DriverInstance): Promise<void> {
    this.record('suspend', instance.uuid);
    await this.actionDelay();
    await this.transition(instance.uuid, PowerState.RUNNING, PowerState.SUSPENDED, 'suspend');
  }

  async resume(instance: DriverInstance): Promise<void> {
    this.record('resume', instance.uuid);
    await this.actionDelay();
    await this.transition(instance.uuid, PowerState.SUSPENDED, PowerState.RUNNING, 'resume');
  }

  /** The fake host has been up since the driver was made, and idles. */
  async getHostUptime(): Promise<string> {
    return uptimeLine(new Date(), (Date.now() - this.startedAt) / 1000, [0, 0, 0]);
  }

  async getConsoleOutput(instance: DriverInstance): Promise<string> {
    return this.guest(instance.uuid).console.join('\n') + '\n';
  }

  /** Plausible figures that grow with the guest's age, so repeated reads look like a running guest's. */
  async getDiagnostics(instance: DriverInstance, networkInfo: VifInfo[]): Promise<Diagnostics> {
    const g = this.guest(instance.uuid);
    const uptime = Math.max(0, Math.floor((Date.now() - Date.parse(instance.createdAt)) / 1000));
    const states: Record<number, Diagnostics['state']> = {
      [PowerState.RUNNING]: 'running', [PowerState.PAUSED]: 'paused', [PowerState.SHUTDOWN]: 'shutdown',
      [PowerState.SUSPENDED]: 'suspended', [PowerState.CRASHED]: 'crashed',
    };
    return {
      // Nova's fake driver also names libvirt: clients (and Tempest's schema) know only the real drivers' names.
      state: states[g.state] ?? 'pending', driver: 'libvirt', hypervisor: 'fake', hypervisor_os: 'fake-os', uptime,
      config_drive: instance.configDrive, num_cpus: g.vcpus, num_nics: networkInfo.length, num_disks: 1,
      memory_details: { maximum: g.memoryMb, used: Math.floor(g.memoryMb / 2) },
      cpu_details: Array.from({ length: g.vcpus }, (_, id) => ({ id, time: uptime * 1_000_000_000, utilisation: 10 })),
      nic_details: networkInfo.map((vif) => ({
        mac_address: vif.address ?? null, rx_octets: uptime * 100, rx_errors: 0, rx_drop: 0, rx_packets: uptime, rx_rate: null,
        tx_octets: uptime * 50, tx_errors: 0, tx_drop: 0, tx_packets: uptime, tx_rate: null,
      })),
      disk_details: [{ read_bytes: 262144 + uptime * 512, read_requests: 112 + uptime, write_bytes: uptime * 1024, write_requests: uptime, errors_count: 0 }],
    };
  }

  async setAdminPassword(instance: DriverInstance, _password: string): Promise<void> {
    this.record('setAdminPassword', instance.uuid);
    await this.actionDelay();
    const g = this.guest(instance.uuid);
    if (g.state !== PowerState.RUNNING) throw new InvalidPowerState(`Cannot set the password of a guest in power state ${g.state}`);
    // The password itself is not kept: a real hypervisor hands it to the guest agent and forgets it.
    g.console.push('administrator password changed');
    await this.changed(instance.uuid);
  }

  async injectNmi(instance: DriverInstance): Promise<void> {
    this.record('injectNmi', instance.uuid);
    await this.actionDelay();
    const g = this.guest(instance.uuid);
    if (g.state !== PowerState.RUNNING && g.state !== PowerState.PAUSED) {
      throw new InvalidPowerState(`Cannot inject an NMI into a guest in power state ${g.state}`);
    }
    g.console.push('NMI received: kernel crash dump');
    await this.changed(instance.uuid);
  }

  async rescue(instance: DriverInstance, rescueImage: ImageMeta, _adminPass: string): Promise<void> {
    this.record('rescue', instance.uuid);
    await this.actionDelay();
    const g = this.guest(instance.uuid);
    if (g.rescued) throw new InvalidPowerState('The guest is already rescued');
    if (g.state !== PowerState.RUNNING && g.state !== PowerState.SHUTDOWN) throw new InvalidPowerState(`Cannot rescue a guest in power state ${g.state}`);
    g.rescued = true;
    g.state = PowerState.RUNNING;
    g.console.push(`rescue boot from image ${rescueImage.id}`);
    await this.changed(instance.uuid);
  }

  async unrescue(instance: DriverInstance): Promise<void> {
    this.record('unrescue', instance.uuid);
    await this.actionDelay();
    const g = this.guest(instance.uuid);
    if (!g.rescued) throw new InvalidPowerState('The guest is not rescued');
    g.rescued = false;
    g.state = PowerState.RUNNING;
    g.console.push('boot from own disk after rescue');
    await this.changed(instance.uuid);
  }

  /**
   * VNC and serial consoles are served for real on 127.0.0.1 (see consoles.ts);
   * the other protocols, as Nova's fake, by a made-up host where nothing listens.
   */
  async getRemoteConsole(instance: DriverInstance, protocol: ConsoleProtocol): Promise<ConsoleEndpoint> {
    const g = this.guest(instance.uuid);
    if (protocol === 'vnc' || protocol === 'serial') return this.consoles.endpoint(g.uuid, g.name, protocol);
    return { host: `fake${protocol}console.invalid`, port: 6969, internalAccessPath: 'FAKE' };
  }

  async attachInterface(instance: DriverInstance, vif: VifInfo): Promise<void> {
    this.record('attachInterface', instance.uuid);
    await this.actionDelay();
    const g = this.guest(instance.uuid);
    g.hotplugged = { ...(g.hotplugged ?? {}), [vif.id]: vif.address };
    g.console.push(`network interface ${vif.address} (port ${vif.id}) plugged in`);
    await this.changed(instance.uuid);
  }

  async detachInterface(instance: DriverInstance, vif: VifInfo): Promise<void> {
    this.record('detachInterface', instance.uuid);
    await this.actionDelay();
    const g = this.guest(instance.uuid);
    if (g.hotplugged && Object.hasOwn(g.hotplugged, vif.id)) {
      const { [vif.id]: _gone, ...rest } = g.hotplugged;
      g.hotplugged = rest;
    }
    g.console.push(`network interface ${vif.address} (port ${vif.id}) unplugged`);
    await this.changed(instance.uuid);
  }

  /** The ports hot-plugged into a guest (for tests and the emulator's users). */
  hotpluggedPorts(uuid: string): string[] {
    return Object.keys(this.guest(uuid).hotplugged ?? {});
  }

  /** The personality files the guest was given at its (last) spawn. */
  injectedFiles(uuid: string): Array<{ path: string; contents: Buffer }> {
    return decodedInjectedFiles(Object.entries(this.guest(uuid).files ?? {}).map(([path, contents]) => ({ path, contents })));
  }

  /**
   * A raw disk image of the guest: a header naming it, then its console so
   * far, padded to whole 512-byte sectors — real bytes a client can download.
   */
  async snapshot(instance: DriverInstance): Promise<SnapshotData> {
    this.record('snapshot', instance.uuid);
    await this.actionDelay();
    const g = this.guest(instance.uuid);
    const content = Buffer.from(`KILONOVA FAKE DISK\nguest ${g.uuid} (${g.name})\nsnapshot at ${new Date().toISOString()}\n${g.console.join('\n')}\n`);
    const data = Buffer.alloc(Math.max(4096, Math.ceil(content.length / 512) * 512));
    content.copy(data);
    g.console.push('disk snapshot taken');
    await this.changed(instance.uuid);
    return { diskFormat: 'raw', containerFormat: 'bare', data };
  }

  async migrateDiskAndPowerOff(instance: DriverInstance, flavor: Flavor, _destHost: string): Promise<void> {
    this.record('migrateDiskAndPowerOff', instance.uuid);
    await this.actionDelay();
    const g = this.guest(instance.uuid);
    g.state = PowerState.SHUTDOWN;
    g.console.push(`disk handed over for flavor ${flavor.name}`);
    await this.changed(instance.uuid);
  }

  async finishMigration(instance: DriverInstance, _networkInfo: VifInfo[], opts: { sameHost: boolean; powerOn: boolean }): Promise<void> {
    this.record('finishMigration', instance.uuid);
    await this.actionDelay();
    const f = instance.flavor;
    const sizes = { vcpus: f.vcpus, memoryMb: f.memory_mb, diskGb: f.root_gb + f.ephemeral_gb };
    const state = opts.powerOn ? PowerState.RUNNING : PowerState.SHUTDOWN;
    const g = this.guests.get(instance.uuid);
    if (g) {
      // The same hypervisor: the guest stays, with its new sizes; the old ones are kept for a revert.
      g.resizedFrom = { vcpus: g.vcpus, memoryMb: g.memoryMb, diskGb: g.diskGb };
      Object.assign(g, sizes, { state });
      g.console.push(`resized to flavor ${f.name}`);
    } else {
      this.guests.set(instance.uuid, {
        uuid: instance.uuid, name: instance.name, state, ...sizes,
        console: [`Kilonova fake guest ${instance.name} (${instance.hostname}) migrated here with flavor ${f.name}`],
      });
    }
    await this.changed(instance.uuid);
  }

  async confirmMigration(instance: DriverInstance, opts: { sameHost: boolean }): Promise<void> {
    this.record('confirmMigration', instance.uuid);
    if (opts.sameHost) {
      const g = this.guests.get(instance.uuid);
      if (g) delete g.resizedFrom;
    } else {
      this.guests.delete(instance.uuid);
      await this.consoles.close(instance.uuid);
    }
    await this.changed(instance.uuid);
  }

  async finishRevertMigration(instance: DriverInstance, _networkInfo: VifInfo[], opts: { powerOn: boolean }): Promise<void> {
    this.record('finishRevertMigration', instance.uuid);
    await this.actionDelay();
    const g = this.guest(instance.uuid);
    if (g.resizedFrom) {
      Object.assign(g, g.resizedFrom);
      delete g.resizedFrom;
    }
    g.state = opts.powerOn ? PowerState.RUNNING : PowerState.SHUTDOWN;
    g.console.push('resize reverted');
    await this.changed(instance.uuid);
  }

  /**
   * The fake hosts of one all-in-one keep separate guests: the destination
   * gets its copy from pre_live_migration's instance, paused until the copy ends.
   */
  async preLiveMigration(instance: DriverInstance, _networkInfo: VifInfo[]): Promise<void> {
    this.record('preLiveMigration', instance.uuid);
    const f = instance.flavor;
    this.guests.set(instance.uuid, {
      uuid: instance.uuid, name: instance.name, state: PowerState.PAUSED,
      vcpus: f.vcpus, memoryMb: f.memory_mb, diskGb: f.root_gb + f.ephemeral_gb,
      console: [`Kilonova fake guest ${instance.name} (${instance.hostname}) arriving by live migration`],
    });
    await this.changed(instance.uuid);
  }

  /** Takes action_delay_ms (the copy), cut short by a forced completion, undone by an abort. */
  async liveMigration(instance: DriverInstance, destHost: string, control: LiveMigrationControl): Promise<void> {
    this.record('liveMigration', instance.uuid);
    this.guest(instance.uuid);
    if (this.opts.actionDelayMs) {
      // One timer, cancelled by either an abort or a forced completion, so none outlives the copy.
      const cut = new AbortController();
      const onAbort = () => cut.abort();
      control.signal.addEventListener('abort', onAbort, { once: true });
      void control.completeNow.then(onAbort);
      await sleep(this.opts.actionDelayMs, undefined, { signal: cut.signal }).catch(() => undefined);
      control.signal.removeEventListener('abort', onAbort);
    }
    if (control.signal.aborted) throw new LiveMigrationAborted();
    this.guests.delete(instance.uuid);
    await this.consoles.close(instance.uuid);
    await this.changed(instance.uuid);
    this.record(`liveMigration:done:${destHost}`, instance.uuid);
  }

  async postLiveMigrationAtDestination(instance: DriverInstance, _networkInfo: VifInfo[], opts: { powerState: PowerStateValue }): Promise<void> {
    this.record('postLiveMigrationAtDestination', instance.uuid);
    const g = this.guest(instance.uuid);
    g.state = opts.powerState;
    g.console.push('live migration complete: running here');
    await this.changed(instance.uuid);
  }

  async rollbackLiveMigrationAtDestination(instance: DriverInstance, _networkInfo: VifInfo[]): Promise<void> {
    this.record('rollbackLiveMigrationAtDestination', instance.uuid);
    await this.consoles.close(instance.uuid);
    if (this.guests.delete(instance.uuid)) await this.changed(instance.uuid);
  }

  /** Whether the guest is booted from a rescue image (for tests and the emulator's users). */
  isRescued(uuid: string): boolean {
    return this.guest(uuid).rescued === true;
  }

  private async actionDelay(): Promise<void> {
    if (this.opts.actionDelayMs) await sleep(this.opts.actionDelayMs);
  }

  private transition(uuid: string, from: PowerStateValue, to: PowerStateValue, what: string): Promise<void> {
    const g = this.guest(uuid);
    if (g.state !== from) throw new InvalidPowerState(`Cannot ${what} a guest in power state ${g.state}`);
    g.state = to;
    return this.changed(uuid);
  }

  private guest(uuid: string): FakeGuest {
    const g = this.guests.get(uuid);
    if (!g) throw new InstanceNotFoundOnHost(uuid);
    return g;
  }

  private record(method: string, uuid?: string): void {
    if (this.calls.length >= FakeDriver.MAX_CALLS) this.calls.splice(0, this.calls.length / 2);
    this.calls.push({ method, uuid, at: Date.now() });
  }
}

/**
 * A new guest's console: `lines` lines of a plausible boot log, its first and
 * last naming the guest (clients tail it by line count, and Tempest counts).
 */
function bootLog(instance: DriverInstance, lines: number): string[] {
  const f = instance.flavor;
  const first = `Kilonova fake guest ${instance.name} (${instance.hostname}) powering on`;
  const last = `Kilonova fake guest ${instance.name} (${instance.hostname}) booted`;
  if (lines <= 0) return [];
  if (lines === 1) return [last];
  const middle = [`${f.vcpus} vCPUs, ${f.memory_mb} MiB RAM, ${f.root_gb + f.ephemeral_gb} GiB disk`];
  for (let i = 1; middle.length < lines - 2; i++) middle.push(`[${(i * 0.013).toFixed(6).padStart(12)}] fake-kernel: boot step ${i}`);
  return [first, ...middle.slice(0, lines - 2), last];
}
