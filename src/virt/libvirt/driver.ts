/**
 * LibvirtDriver: real QEMU guests through libvirtd (Nova's
 * nova/virt/libvirt/driver.py). spawn is Nova's three steps — createImage,
 * getGuestXml, createDomainAndNetwork (define + start) — and
 * every lifecycle action acts on the libvirt domain. Domains are persistent
 * (defined), so a stopped guest keeps its definition and a hard reboot
 * restarts the same XML.
 */
import { decodedInjectedFiles } from '../injected-files.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import {
  ConsoleTypeUnavailable, DeviceDetachFailed, DriverNotSupported, InstanceNotFoundOnHost, InvalidPowerState, PowerState, SpawnFailed,
  type Diagnostics, type DriverCapabilities, type DriverInstance, type SnapshotData, type HostResources, type InstanceInfo, type LifecycleEvent as DriverLifecycleEvent,
  type PowerStateValue, type SpawnRequest, type VifInfo, type VirtDriver, type ConsoleEndpoint, type ConsoleProtocol,
} from '../driver.js';
import { buildInstanceMetadataFiles, instanceMetadataSource } from '../../metadata/instance-metadata.js';
import { makeConfigDrive } from '../configdrive.js';
import type { ImageMeta } from '../../objects/image-meta.js';
import type { Flavor } from '../../objects/flavor.js';
import { LibvirtConnection, LibvirtError, type DomainState, type LifecycleEvent as LifecycleEventFromLibvirt } from './connection.js';
import { buildGuestXml, buildInterfaceXml, type GuestConfig, type GuestDisk, type GuestInterface } from './guest-config.js';
import { deviceNames } from '../../network/agents/state.js';
import { FlavorDiskSmallerThanImage, ImageCache, ImageUnacceptable, type CachedImage, type ImageDataSource } from './image-backend.js';
import { InstanceDirectory, type InstanceFiles } from './instance-directory.js';
import { uptimeLine } from '../uptime.js';

export interface LibvirtDriverOptions {
  virtType: 'kvm' | 'qemu';
  connectionUri: string;
  /** Nova's [DEFAULT] instances_path */
  instancesPath: string;
  /** Nova's [DEFAULT] force_config_drive */
  forceConfigDrive: boolean;
  /** Nova's [DEFAULT] shutdown_timeout: seconds a clean stop waits before destroying */
  shutdownTimeoutS: number;
  /** Nova's [libvirt] wait_soft_reboot_seconds */
  softRebootTimeoutS: number;
  /** seconds spawn waits for the domain to run */
  bootTimeoutS: number;
  /** seconds a running guest gets to release a detached interface (default 160: Nova's 20 s × 8 attempts) */
  deviceDetachTimeoutS?: number;
  images: ImageDataSource;
  logger: Logger;
  packageVersion: string;
  /** [vnc] enabled: guests get a VNC display on `listen` (server_listen), which the proxy reaches at `proxyclientAddress`. */
  vnc?: { listen: string; proxyclientAddress: string };
}

// Nova's LIBVIRT_POWER_STATE: libvirt's state → Nova's power_state. A guest
// suspended with managed save is a shut-off domain, so it reads SHUTDOWN, as
// in Nova.
const POWER_STATE: Record<DomainState, PowerStateValue> = {
  'no state': PowerState.NOSTATE,
  running: PowerState.RUNNING,
  idle: PowerState.RUNNING,
  paused: PowerState.PAUSED,
  'in shutdown': PowerState.SHUTDOWN,
  'shut off': PowerState.SHUTDOWN,
  crashed: PowerState.CRASHED,
  pmsuspended: PowerState.SUSPENDED,
};

// libvirt's lifecycle event names (as virsh prints them) → the power state they announce.
const EVENT_POWER_STATE: Record<string, PowerStateValue> = {
  Started: PowerState.RUNNING,
  Resumed: PowerState.RUNNING,
  Suspended: PowerState.PAUSED,
  // "Shutdown" (the guest finished shutting down, QEMU not yet gone) is left
  // out, as Nova leaves it out: "Stopped" follows when the domain is off.
  Stopped: PowerState.SHUTDOWN,
  Crashed: PowerState.CRASHED,
  PMSuspended: PowerState.SUSPENDED,
};

interface GuestFilesPlan {
  disks: GuestDisk[];
  configDrive: boolean;
  kernelId?: string;
  ramdiskId?: string;
  /** where the kernel and ramdisk go in the instance directory */
  kernel?: string;
  ramdisk?: string;
}

/** Nova's MAX_CONSOLE_BYTES: the console log is tailed to this much. */
const MAX_CONSOLE_BYTES = 100 * 1024;
/** How long a running guest gets to release a hot-unplugged device: Nova's device_detach_timeout (20 s) times its attempts (8). */
const DEFAULT_DEVICE_DETACH_TIMEOUT_S = 160;
const DEVICE_DETACH_RESEND_MS = 5_000;
const DEVICE_DETACH_POLL_MS = 200;

/** Domain states in which a QEMU process holds the guest, so devices change live too. */
const LIVE_STATES: readonly DomainState[] = ['running', 'idle', 'paused', 'in shutdown', 'pmsuspended'];
const isLive = (state: DomainState) => LIVE_STATES.includes(state);

/** A port as the guest's NIC: virtio, with the tap libvirt creates named after the port. */
function guestInterfaceOf(vif: VifInfo): GuestInterface {
  return { mac: vif.address, targetDev: vif.devname ?? deviceNames.tap(vif.id), model: 'virtio' };
}

/** The MAC addresses of a domain XML's interfaces, lower case. */
function interfaceMacs(domainXml: string): string[] {
  return [...domainXml.matchAll(/<interface\b[\s\S]*?<mac address=['"]([0-9a-fA-F:]+)['"]/g)].map((m) => m[1]!.toLowerCase());
}
const DEFAULT_CMDLINE = 'root=/dev/vda console=tty0 console=ttyS0';

export class LibvirtDriver implements VirtDriver {
  readonly type = 'libvirt';
  // Setting a password needs the QEMU guest agent and crash dumps an NMI path
  // neither of which this driver drives yet.
  readonly capabilities: DriverCapabilities = { supportsSetAdminPassword: false, supportsTriggerCrashDump: false, supportsRescue: false, supportsSnapshot: false, supportsMigration: false, supportsAttachInterface: true };
  private host = os.hostname();
  readonly connection: LibvirtConnection;
  readonly imageCache: ImageCache;
  private readonly dirs: InstanceDirectory;
  private readonly log: Logger;
  private listeners: Array<(e: DriverLifecycleEvent) => void> = [];
  /** domain name → uuid, so an event needs no lookup for the guests this driver defined */
  private readonly uuidByName = new Map<string, string>();
  private diskCacheMode?: GuestDisk['cache'];

  constructor(private readonly opts: LibvirtDriverOptions) {
    this.log = opts.logger;
    this.connection = new LibvirtConnection({ uri: opts.connectionUri, logger: opts.logger });
    this.imageCache = new ImageCache({ instancesPath: opts.instancesPath, images: opts.images, logger: opts.logger });
    this.dirs = new InstanceDirectory(opts.instancesPath);
  }

  async initHost(host: string): Promise<void> {
    this.host = host;
    if (!(await this.connection.ping(10_000))) {
      throw new LibvirtError(`libvirtd does not answer on ${this.opts.connectionUri}`, 'connect', 'connect');
    }
    await fs.promises.mkdir(this.opts.instancesPath, { recursive: true });
    this.connection.watchLifecycleEvents((e) => void this.relayLifecycleEvent(e));
  }

  async cleanupHost(): Promise<void> {
    this.connection.close();
  }

  registerLifecycleListener(listener: (event: DriverLifecycleEvent) => void): void {
    this.listeners.push(listener);
  }

  /**
   * A libvirt lifecycle event, passed on as Nova's LifecycleEvent: only the
   * events that change power state (not define/undefine), mapped without a
   * call back into libvirt — the manager reads the state again anyway.
   */
  private async relayLifecycleEvent(event: LifecycleEventFromLibvirt): Promise<void> {
    const state = EVENT_POWER_STATE[event.event];
    if (state === undefined || this.listeners.length === 0) return;
    try {
      let uuid = this.uuidByName.get(event.domain);
      if (!uuid) {
        uuid = (await this.connection.domain('domuuid', event.domain)).trim();
        this.uuidByName.set(event.domain, uuid);
      }
      for (const l of this.listeners) l({ uuid, state });
    } catch (err) {
      // The domain may be gone already (undefined right after a stop event).
      if (!(err instanceof LibvirtError && err.code === 'no-domain')) this.log.debug({ err, domain: event.domain }, 'lifecycle event not relayed');
    }
  }

  async getAvailableNodes(): Promise<string[]> {
    return [this.host];
  }

  async getAvailableResource(nodename: string): Promise<HostResources> {
    const [node, version, vcpusUsed, disk] = await Promise.all([
      this.connection.nodeInfo(), this.connection.version(), this.vcpusUsed(), fs.promises.statfs(this.opts.instancesPath),
    ]);
    const GiB = 1024 ** 3;
    const localGb = Math.floor((disk.blocks * disk.bsize) / GiB);
    const freeGb = Math.floor((disk.bavail * disk.bsize) / GiB);
    return {
      hypervisorHostname: nodename,
      hypervisorType: version.hypervisor,
      hypervisorVersion: version.hypervisorVersion,
      vcpus: node.cpus,
      // libvirt's nodeinfo can report one NUMA node's memory; the host's total is what guests share.
      memoryMb: Math.floor(os.totalmem() / (1024 * 1024)),
      localGb,
      vcpusUsed,
      memoryMbUsed: memoryMbUsed(),
      localGbUsed: localGb - freeGb,
      diskAvailableLeast: freeGb,
      cpuInfo: { arch: os.arch() === 'x64' ? 'x86_64' : os.arch(), model: node.model, topology: { sockets: node.sockets, cores: node.cores, threads: node.threads } },
    };
  }

  /** Nova counts the vCPUs of running domains; one domstats call reads them all. */
  private async vcpusUsed(): Promise<number> {
    const out = await this.connection.run(['domstats', '--list-active', '--vcpu']);
    let total = 0;
    for (const m of out.matchAll(/^\s*vcpu\.current=(\d+)/gm)) total += Number(m[1]);
    return total;
  }

  // ---- spawn ----------------------------------------------------------------

  async spawn(req: SpawnRequest): Promise<void> {
    const { instance } = req;
    const dir = this.dirs.forInstance(instance.uuid);
    const log = this.log.child({ instance: instance.uuid });
    const t0 = performance.now();
    // The image is fetched into the shared cache meanwhile: nothing of this instance is touched before the check.
    const [exists, image] = await Promise.allSettled([this.domainExists(instance.uuid), this.imageCache.fetch(instance.image.id, 'disk')]);
    if (exists.status === 'fulfilled' && exists.value) throw new SpawnFailed(`Instance ${instance.uuid} already exists on this hypervisor.`);
    try {
      if (exists.status === 'rejected') throw exists.reason;
      if (image.status === 'rejected') throw image.reason;
      await dir.create();
      const plan = this.planGuestFiles(req, dir, await this.diskCache(dir.path));
      const xml = this.getGuestXml(req, dir, plan);
      const t1 = performance.now();
      await this.createDomainAndNetwork(instance, xml, this.createImage(req, dir, image.value, plan));
      log.info({ domain: instance.name, prepare_ms: Math.round(t1 - t0), create_ms: Math.round(performance.now() - t1) }, 'guest running');
    } catch (err) {
      await this.removeGuest(instance).catch((e) => log.warn({ err: e }, 'could not clean up after the failed spawn'));
      throw toSpawnFailure(err, log);
    }
  }

  /** Which disks and boot files the guest gets, and where (decided before any is made). */
  private planGuestFiles(req: SpawnRequest, dir: InstanceFiles, cache: GuestDisk['cache']): GuestFilesPlan {
    const { instance } = req;
    const disks: GuestDisk[] = [{ source: dir.disk, format: 'qcow2', device: 'disk', targetDev: 'vda', bus: 'virtio', cache }];
    const configDrive = this.configDriveRequired(instance);
    // Nova attaches the ISO config drive as an IDE cdrom on the pc machine type.
    if (configDrive) disks.push({ source: dir.configDrive, format: 'raw', device: 'cdrom', targetDev: 'hdd', bus: 'ide', cache, readonly: true });
    const kernelId = instance.image.properties.kernel_id || undefined;
    const ramdiskId = instance.image.properties.ramdisk_id || undefined;
    return { disks, configDrive, kernelId, ramdiskId, kernel: kernelId ? dir.kernel : undefined, ramdisk: ramdiskId ? dir.ramdisk : undefined };
  }

  /** Nova's _create_image: the root disk overlay, kernel and ramdisk, and the config drive, in the instance directory. */
  private async createImage(req: SpawnRequest, dir: InstanceFiles, image: CachedImage, plan: GuestFilesPlan): Promise<void> {
    const { instance } = req;
    const [kernel, ramdisk] = await Promise.all([
      plan.kernelId ? this.imageCache.fetch(plan.kernelId, 'kernel') : undefined,
      plan.ramdiskId ? this.imageCache.fetch(plan.ramdiskId, 'ramdisk') : undefined,
    ]);
    await this.imageCache.createRootDisk(image, dir.disk, instance.flavor.root_gb);
    if (kernel) await dir.placeFile(kernel.path, dir.kernel);
    if (ramdisk) await dir.placeFile(ramdisk.path, dir.ramdisk);
    if (plan.configDrive) {
      const files = buildInstanceMetadataFiles(instanceMetadataSource(instance, req.networkInfo, {
        rootDeviceName: req.blockDeviceInfo.rootDeviceName, files: decodedInjectedFiles(req.injectedFiles),
      }));
      await makeConfigDrive(files, dir.configDrive);
    }
  }

  /** Nova's configdrive.required_by: asked for, forced by the operator, or demanded by the image. */
  configDriveRequired(instance: DriverInstance): boolean {
    return instance.configDrive || this.opts.forceConfigDrive || instance.image.properties.img_config_drive === 'mandatory';
  }

  /** cache=none needs O_DIRECT, which some filesystems (tmpfs) lack; Nova falls back to writeback the same way. */
  private async diskCache(dirPath: string): Promise<GuestDisk['cache']> {
    if (this.diskCacheMode) return this.diskCacheMode;
    const probe = path.join(dirPath, '.direct_io.test');
    try {
      const fh = await fs.promises.open(probe, fs.constants.O_CREAT | fs.constants.O_WRONLY | fs.constants.O_DIRECT, 0o600);
      await fh.close();
      this.diskCacheMode = 'none';
    } catch {
      this.diskCacheMode = 'writeback';
    } finally {
      await fs.promises.rm(probe, { force: true });
    }
    return this.diskCacheMode;
  }

  private getGuestXml(req: SpawnRequest, dir: InstanceFiles, files: GuestFilesPlan): string {
    const { instance, networkInfo } = req;
    const f = instance.flavor;
    const config: GuestConfig = {
      virtType: this.opts.virtType,
      name: instance.name,
      uuid: instance.uuid,
      memoryMb: f.memory_mb,
      vcpus: f.vcpus,
      arch: 'x86_64',
      machineType: 'pc',
      kernel: files.kernel,
      ramdisk: files.ramdisk,
      cmdline: files.kernel ? (instance.image.properties.os_command_line || DEFAULT_CMDLINE) : undefined,
      disks: files.disks,
      interfaces: networkInfo.map(guestInterfaceOf),
      consoleLog: dir.consoleLog,
      ...(this.opts.vnc ? { vnc: { listen: this.opts.vnc.listen } } : {}),
      metadata: {
        packageVersion: this.opts.packageVersion,
        displayName: instance.displayName,
        creationTime: new Date().toISOString().replace('T', ' ').slice(0, 19),
        flavor: { name: f.name, memoryMb: f.memory_mb, diskGb: f.root_gb, swapMb: f.swap, ephemeralGb: f.ephemeral_gb, vcpus: f.vcpus },
        owner: { userId: instance.userId, projectId: instance.projectId },
        rootImageId: instance.image.id,
        ports: networkInfo.map((vif) => ({ uuid: vif.id, ips: vif.network.subnets.flatMap((s) => s.ips.map((ip) => ip.address)) })),
      },
      sysinfo: { manufacturer: 'Kilonova', product: 'OpenStack Compute', version: this.opts.packageVersion, family: 'Virtual Machine' },
    };
    return buildGuestXml(config);
  }

  private async defineDomain(instance: DriverInstance, xml: string): Promise<void> {
    await this.connection.defineDomain(xml);
    this.uuidByName.set(instance.name, instance.uuid);
  }

  /**
   * Nova's _create_domain_and_network: define, start, wait for RUNNING
   * (bounded). libvirt reads the disk and kernel files only when the domain
   * starts, so the domain is defined while `files` are still being made.
   */
  private async createDomainAndNetwork(instance: DriverInstance, xml: string, files: Promise<void>): Promise<void> {
    const ready = await Promise.allSettled([files, this.defineDomain(instance, xml)]);
    const failed = ready.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    await this.connection.domain('start', instance.uuid);
    await this.waitForState(instance, ['running'], this.opts.bootTimeoutS);
  }

  // ---- lifecycle --------------------------------------------------------------

  async destroy(instance: DriverInstance, _networkInfo: VifInfo[]): Promise<void> {
    await this.removeGuest(instance);
  }

  /** destroy + undefine (with its managed save) + the instance directory; each step tolerates "already gone". */
  private async removeGuest(instance: DriverInstance): Promise<void> {
    await this.ignoring(['no-domain', 'operation-invalid'], () => this.connection.domain('destroy', instance.uuid));
    await this.ignoring(['no-domain'], () => this.connection.domain('undefine', instance.uuid, '--managed-save'));
    await this.dirs.forInstance(instance.uuid).remove();
    this.uuidByName.delete(instance.name);
  }

  async getInfo(instance: DriverInstance): Promise<InstanceInfo> {
    const state = await this.state(instance);
    return { state: POWER_STATE[state] };
  }

  async listInstances(): Promise<string[]> {
    return this.connection.listDomainUuids();
  }

  async reboot(instance: DriverInstance, type: 'SOFT' | 'HARD'): Promise<void> {
    const state = await this.state(instance);
    if (type === 'SOFT') {
      if (state !== 'running') throw new InvalidPowerState(`Cannot soft reboot a guest that is ${state}.`);
      if (await this.softReboot(instance)) return;
      this.log.info({ instance: instance.uuid }, 'soft reboot timed out; rebooting hard');
    }
    await this.hardReboot(instance);
  }

  /** Nova's _soft_reboot: an ACPI shutdown, then start again; false when the guest did not shut down in time. */
  private async softReboot(instance: DriverInstance): Promise<boolean> {
    await this.connection.domain('shutdown', instance.uuid, '--mode', 'acpi');
    if (!(await this.waitForState(instance, ['shut off'], this.opts.softRebootTimeoutS, false))) return false;
    await this.connection.domain('start', instance.uuid);
    await this.waitForState(instance, ['running'], this.opts.bootTimeoutS);
    return true;
  }

  /** Power off hard and start the same definition; a managed save is dropped, as Nova's hard reboot discards it. */
  private async hardReboot(instance: DriverInstance): Promise<void> {
    await this.ignoring(['operation-invalid'], () => this.connection.domain('destroy', instance.uuid));
    if (await this.connection.hasManagedSave(instance.uuid)) await this.connection.domain('managedsave-remove', instance.uuid);
    await this.connection.domain('start', instance.uuid);
    await this.waitForState(instance, ['running'], this.opts.bootTimeoutS);
  }

  /** Nova's clean shutdown: ACPI first, destroy when the guest has not stopped in time. */
  async powerOff(instance: DriverInstance): Promise<void> {
    const state = await this.state(instance);
    if (state === 'shut off') return;
    if (state !== 'running' && state !== 'idle') throw new InvalidPowerState(`Cannot stop a guest that is ${state}.`);
    if (this.opts.shutdownTimeoutS > 0) {
      await this.ignoring(['operation-invalid'], () => this.connection.domain('shutdown', instance.uuid, '--mode', 'acpi'));
      if (await this.waitForState(instance, ['shut off'], this.opts.shutdownTimeoutS, false)) return;
      this.log.info({ instance: instance.uuid }, 'guest ignored the ACPI shutdown; destroying it');
    }
    await this.ignoring(['operation-invalid'], () => this.connection.domain('destroy', instance.uuid));
    await this.waitForState(instance, ['shut off'], 30);
  }

  async powerOn(instance: DriverInstance): Promise<void> {
    let state = await this.state(instance);
    if (state === 'running') return;
    // A guest that has just shut itself down is off a moment later: let it get there.
    if (state === 'in shutdown') {
      await this.waitForState(instance, ['shut off'], 30);
      state = 'shut off';
    }
    if (state !== 'shut off' || (await this.connection.hasManagedSave(instance.uuid))) {
      throw new InvalidPowerState(`Cannot start a guest that is ${state === 'shut off' ? 'suspended' : state}.`);
    }
    await this.connection.domain('start', instance.uuid);
    await this.waitForState(instance, ['running'], this.opts.bootTimeoutS);
  }

  async pause(instance: DriverInstance): Promise<void> {
    await this.requireState(instance, ['running', 'idle'], 'pause');
    await this.connection.domain('suspend', instance.uuid);
  }

  async unpause(instance: DriverInstance): Promise<void> {
    await this.requireState(instance, ['paused'], 'unpause');
    await this.connection.domain('resume', instance.uuid);
  }

  /** Nova's suspend on libvirt: managed save (memory to disk, the domain shut off). */
  async suspend(instance: DriverInstance): Promise<void> {
    await this.requireState(instance, ['running', 'idle'], 'suspend');
    await this.connection.domain('managedsave', instance.uuid);
  }

  async resume(instance: DriverInstance): Promise<void> {
    const state = await this.state(instance);
    if (state !== 'shut off' || !(await this.connection.hasManagedSave(instance.uuid))) {
      throw new InvalidPowerState(`Cannot resume a guest that is ${state} and not suspended.`);
    }
    await this.connection.domain('start', instance.uuid);
    await this.waitForState(instance, ['running'], this.opts.bootTimeoutS);
  }

  async getDiagnostics(instance: DriverInstance, _networkInfo: VifInfo[]): Promise<Diagnostics> {
    await this.state(instance);
    throw new DriverNotSupported('diagnostics');
  }

  async setAdminPassword(instance: DriverInstance, _password: string): Promise<void> {
    await this.state(instance);
    throw new DriverNotSupported('setting the admin password');
  }

  async injectNmi(instance: DriverInstance): Promise<void> {
    await this.state(instance);
    throw new DriverNotSupported('injecting an NMI');
  }

  async rescue(instance: DriverInstance, _rescueImage: ImageMeta, _adminPass: string): Promise<void> {
    await this.state(instance);
    throw new DriverNotSupported('rescue');
  }

  async unrescue(instance: DriverInstance): Promise<void> {
    await this.state(instance);
    throw new DriverNotSupported('unrescue');
  }

  async snapshot(instance: DriverInstance): Promise<SnapshotData> {
    await this.state(instance);
    throw new DriverNotSupported('snapshot');
  }

  /**
   * Nova's get_vnc_console: the port libvirt chose for the display, read from
   * the live domain XML. No serial console: Nova's is a TCP chardev on a port
   * it picks each time it writes the XML, but this driver keeps domains
   * defined and restarts the same XML, so a port picked once could be taken
   * by another guest while this one is stopped. The serial line stays a pty
   * with the log os-getConsoleOutput reads.
   */
  async getRemoteConsole(instance: DriverInstance, protocol: ConsoleProtocol): Promise<ConsoleEndpoint> {
    await this.state(instance);
    if (protocol !== 'vnc' || !this.opts.vnc) throw new DriverNotSupported(`${protocol} console`);
    const port = vncPortOf(await this.connection.domain('dumpxml', instance.uuid));
    if (port === null) throw new ConsoleTypeUnavailable('vnc');
    return { host: this.opts.vnc.proxyclientAddress, port, internalAccessPath: null };
  }

  /**
   * Nova's attach_interface: the port's interface goes into the persistent
   * definition, and into the guest when it runs (hot-plug). A MAC already
   * attached is left as it is, so a retried attach does nothing twice.
   */
  async attachInterface(instance: DriverInstance, vif: VifInfo): Promise<void> {
    const state = await this.state(instance);
    if (interfaceMacs(await this.connection.domain('dumpxml', instance.uuid, '--inactive')).includes(vif.address.toLowerCase())) return;
    await this.connection.attachDevice(instance.uuid, buildInterfaceXml(guestInterfaceOf(vif)), isLive(state));
  }

  /**
   * Nova's detach_interface: out of the persistent definition, and out of a
   * running guest, which must release the device (ACPI hot-unplug); it is
   * waited for up to device_detach_timeout, as Nova waits for libvirt's
   * device-removed event, and a guest that never lets go is an error.
   */
  async detachInterface(instance: DriverInstance, vif: VifInfo): Promise<void> {
    const state = await this.state(instance);
    const mac = vif.address.toLowerCase();
    const live = isLive(state);
    const inConfig = interfaceMacs(await this.connection.domain('dumpxml', instance.uuid, '--inactive')).includes(mac);
    const inGuest = live && interfaceMacs(await this.connection.domain('dumpxml', instance.uuid)).includes(mac);
    if (!inConfig && !inGuest) return;
    const xml = buildInterfaceXml(guestInterfaceOf(vif));
    await this.connection.detachDevice(instance.uuid, xml, { config: inConfig, live: inGuest });
    if (!inGuest) return;
    // A guest still booting misses the unplug request; like Nova's detach
    // attempts, the request is sent again until the guest lets go or time is up.
    const deadline = Date.now() + (this.opts.deviceDetachTimeoutS ?? DEFAULT_DEVICE_DETACH_TIMEOUT_S) * 1000;
    let resendAt = Date.now() + DEVICE_DETACH_RESEND_MS;
    while (interfaceMacs(await this.connection.domain('dumpxml', instance.uuid)).includes(mac)) {
      if (Date.now() > deadline) throw new DeviceDetachFailed(instance.uuid, vif.id);
      if (Date.now() >= resendAt) {
        resendAt = Date.now() + DEVICE_DETACH_RESEND_MS;
        await this.connection.detachDevice(instance.uuid, xml, { config: false, live: true }).catch(() => undefined);
      }
      await sleep(DEVICE_DETACH_POLL_MS);
    }
  }

  async migrateDiskAndPowerOff(instance: DriverInstance, _flavor: Flavor, _destHost: string): Promise<void> {
    await this.state(instance);
    throw new DriverNotSupported('resize and cold migration');
  }

  async finishMigration(_instance: DriverInstance, _networkInfo: VifInfo[], _opts: { sameHost: boolean; powerOn: boolean }): Promise<void> {
    throw new DriverNotSupported('resize and cold migration');
  }

  async confirmMigration(_instance: DriverInstance, _opts: { sameHost: boolean }): Promise<void> {
    throw new DriverNotSupported('resize and cold migration');
  }

  async finishRevertMigration(_instance: DriverInstance, _networkInfo: VifInfo[], _opts: { powerOn: boolean }): Promise<void> {
    throw new DriverNotSupported('resize and cold migration');
  }

  /** This machine's own uptime and load: the hypervisor runs here. */
  async getHostUptime(): Promise<string> {
    return uptimeLine(new Date(), os.uptime(), os.loadavg());
  }

  async getConsoleOutput(instance: DriverInstance): Promise<string> {
    await this.state(instance);
    const file = this.dirs.forInstance(instance.uuid).consoleLog;
    let fh;
    try {
      fh = await fs.promises.open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw err;
    }
    try {
      const { size } = await fh.stat();
      const length = Math.min(size, MAX_CONSOLE_BYTES);
      const buf = Buffer.alloc(length);
      await fh.read(buf, 0, length, size - length);
      return buf.toString('utf8');
    } finally {
      await fh.close();
    }
  }

  // ---- helpers ------------------------------------------------------------------

  private async domainExists(uuid: string): Promise<boolean> {
    try {
      await this.connection.domainState(uuid);
      return true;
    } catch (err) {
      if (err instanceof LibvirtError && err.code === 'no-domain') return false;
      throw err;
    }
  }

  /** The domain's libvirt state; InstanceNotFoundOnHost when libvirt has no such domain. */
  private async state(instance: DriverInstance): Promise<DomainState> {
    try {
      return (await this.connection.domainState(instance.uuid)).state;
    } catch (err) {
      if (err instanceof LibvirtError && err.code === 'no-domain') throw new InstanceNotFoundOnHost(instance.uuid);
      throw err;
    }
  }

  private async requireState(instance: DriverInstance, allowed: DomainState[], action: string): Promise<void> {
    const state = await this.state(instance);
    if (!allowed.includes(state)) throw new InvalidPowerState(`Cannot ${action} a guest that is ${state}.`);
  }

  /** Polls until the domain is in one of `states`; false (or an error when `required`) after `timeoutS`. */
  private async waitForState(instance: DriverInstance, states: DomainState[], timeoutS: number, required = true): Promise<boolean> {
    const deadline = Date.now() + timeoutS * 1000;
    let delay = 20;
    for (;;) {
      const state = await this.state(instance);
      if (states.includes(state)) return true;
      if (Date.now() >= deadline) {
        if (!required) return false;
        throw new LibvirtError(`the guest did not reach ${states.join(' or ')} within ${timeoutS} s (it is ${state})`, 'wait', 'timeout');
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 500);
    }
  }

  private async ignoring(codes: LibvirtError['code'][], fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (!(err instanceof LibvirtError && codes.includes(err.code))) throw err;
    }
  }
}

/** Nova's libvirt host memory accounting: total minus what the kernel says is available. */
function memoryMbUsed(): number {
  return Math.floor((os.totalmem() - os.freemem()) / (1024 * 1024));
}

/** A spawn failure as a fault a user may read: our own words plus libvirt's one-line reason, never a stack. */
function toSpawnFailure(err: unknown, log: Logger): SpawnFailed {
  if (err instanceof SpawnFailed) return err;
  if (err instanceof ImageUnacceptable || err instanceof FlavorDiskSmallerThanImage) return new SpawnFailed(err.message);
  if (err instanceof LibvirtError) return new SpawnFailed(`The hypervisor could not start the guest: ${err.message}`);
  log.error({ err }, 'spawn failed unexpectedly');
  return new SpawnFailed('The guest could not be prepared on the compute host.');
}

/**
 * The VNC display's port in a live domain's XML, or null when it has none
 * (a domain not running shows port -1; one defined without a display, no element).
 */
export function vncPortOf(domainXml: string): number | null {
  for (const m of domainXml.matchAll(/<graphics\b([^>]*)>/g)) {
    const attrs = new Map([...m[1].matchAll(/([\w:-]+)=(?:'([^']*)'|"([^"]*)")/g)].map((a) => [a[1], a[2] ?? a[3]]));
    if (attrs.get('type') !== 'vnc') continue;
    const port = Number(attrs.get('port'));
    return Number.isInteger(port) && port > 0 ? port : null;
  }
  return null;
}
