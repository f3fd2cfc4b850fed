/**
 * The fake hypervisor: Kilonova's emulator mode. It keeps guests in memory with
 * honest power-state transitions, reports configurable capacity, and lets a
 * caller inject delays and failures. Its call history can be asserted on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  InstanceNotFoundOnHost, InvalidPowerState, PowerState, SpawnFailed,
  type DriverInstance, type HostResources, type InstanceInfo, type PowerStateValue,
  type SpawnRequest, type VifInfo, type VirtDriver,
} from '../driver.js';

export interface FakeDriverOptions {
  vcpus: number;
  memoryMb: number;
  localGb: number;
  spawnDelayMs?: number;
  failSpawn?: boolean;
  /**
   * Where the fake hypervisor keeps its guests, so they survive a restart as a
   * real hypervisor's do. Without it, guests live in memory only.
   */
  stateFile?: string;
}

interface FakeGuest {
  uuid: string;
  name: string;
  state: PowerStateValue;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  console: string[];
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
  private readonly guests = new Map<string, FakeGuest>();
  private host = 'fake-host';
  private readonly spawnFaults: SpawnFaultRule[] = [];
  readonly calls: FakeCall[] = [];
  private static readonly MAX_CALLS = 10_000;
  /** The write that has not started yet (changes join it), and the chain of writes. */
  private nextWrite?: Promise<void>;
  private writing: Promise<void> = Promise.resolve();

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
    void this.changed();
  }

  async initHost(host: string): Promise<void> {
    this.host = host;
    this.record('initHost');
    if (this.opts.stateFile && fs.existsSync(this.opts.stateFile)) {
      const saved = JSON.parse(fs.readFileSync(this.opts.stateFile, 'utf8')) as FakeGuest[];
      for (const g of saved) this.guests.set(g.uuid, g);
    }
  }

  /** Writes the guests out now (Nova's cleanup_host, at service stop). */
  async cleanupHost(): Promise<void> {
    await this.writing;
    this.save();
  }

  /**
   * Resolves once the guests, as they are now, are on disk: an operation
   * reports success only after its guest would survive a crash of this
   * process, as a real hypervisor's guests outlive the compute service.
   * Writes are coalesced: every change made while one write runs shares the
   * next, so a burst of boots costs a few writes, not one each.
   */
  private changed(): Promise<void> {
    if (!this.opts.stateFile) return Promise.resolve();
    if (!this.nextWrite) {
      const write = this.writing.then(() => {
        this.nextWrite = undefined;
        return this.saveAsync();
      });
      this.nextWrite = write;
      this.writing = write.catch(() => undefined);
    }
    return this.nextWrite;
  }

  private async saveAsync(): Promise<void> {
    const file = this.opts.stateFile;
    if (!file) return;
    // The snapshot is taken before the first await: a change after this point waits for the next write.
    const snapshot = JSON.stringify([...this.guests.values()]);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await fs.promises.writeFile(`${file}.tmp`, snapshot);
    await fs.promises.rename(`${file}.tmp`, file);
  }

  private save(): void {
    const file = this.opts.stateFile;
    if (!file) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, JSON.stringify([...this.guests.values()]));
    fs.renameSync(`${file}.tmp`, file);
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
      // A few lines, as a real boot log has: clients tail it by line count.
      console: [
        `Kilonova fake guest ${instance.name} (${instance.hostname}) powering on`,
        `${f.vcpus} vCPUs, ${f.memory_mb} MiB RAM, ${f.root_gb + f.ephemeral_gb} GiB disk`,
        `Kilonova fake guest ${instance.name} (${instance.hostname}) booted`,
      ],
    });
    await this.changed();
  }

  async destroy(instance: DriverInstance, _networkInfo: VifInfo[]): Promise<void> {
    this.record('destroy', instance.uuid);
    if (this.guests.delete(instance.uuid)) await this.changed();
  }

  async getInfo(instance: DriverInstance): Promise<InstanceInfo> {
    return { state: this.guest(instance.uuid).state };
  }

  async listInstances(): Promise<string[]> {
    return [...this.guests.keys()];
  }

  async reboot(instance: DriverInstance, type: 'SOFT' | 'HARD'): Promise<void> {
    this.record(`reboot:${type}`, instance.uuid);
    const g = this.guest(instance.uuid);
    g.state = PowerState.RUNNING;
    g.console.push(`${type === 'SOFT' ? 'soft' : 'hard'} reboot`);
    await this.changed();
  }

  async powerOff(instance: DriverInstance): Promise<void> {
    this.record('powerOff', instance.uuid);
    this.guest(instance.uuid).state = PowerState.SHUTDOWN;
    await this.changed();
  }

  async powerOn(instance: DriverInstance): Promise<void> {
    this.record('powerOn', instance.uuid);
    this.guest(instance.uuid).state = PowerState.RUNNING;
    await this.changed();
  }

  async pause(instance: DriverInstance): Promise<void> {
    this.record('pause', instance.uuid);
    await this.transition(instance.uuid, PowerState.RUNNING, PowerState.PAUSED, 'pause');
  }

  async unpause(instance: DriverInstance): Promise<void> {
    this.record('unpause', instance.uuid);
    await this.transition(instance.uuid, PowerState.PAUSED, PowerState.RUNNING, 'unpause');
  }

  async suspend(instance: DriverInstance): Promise<void> {
    this.record('suspend', instance.uuid);
    await this.transition(instance.uuid, PowerState.RUNNING, PowerState.SUSPENDED, 'suspend');
  }

  async resume(instance: DriverInstance): Promise<void> {
    this.record('resume', instance.uuid);
    await this.transition(instance.uuid, PowerState.SUSPENDED, PowerState.RUNNING, 'resume');
  }

  async getConsoleOutput(instance: DriverInstance): Promise<string> {
    return this.guest(instance.uuid).console.join('\n') + '\n';
  }

  private transition(uuid: string, from: PowerStateValue, to: PowerStateValue, what: string): Promise<void> {
    const g = this.guest(uuid);
    if (g.state !== from) throw new InvalidPowerState(`Cannot ${what} a guest in power state ${g.state}`);
    g.state = to;
    return this.changed();
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
