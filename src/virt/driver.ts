/**
 * The one seam between the cloud and a hypervisor (Nova's virt/driver.py).
 * Drivers get plain objects in and return plain results: they never reach the
 * database, the bus or HTTP.
 */
import type { Flavor } from '../objects/flavor.js';
import type { ImageMeta } from '../objects/image-meta.js';

/** Nova's power_state values. */
export const PowerState = {
  NOSTATE: 0,
  RUNNING: 1,
  PAUSED: 3,
  SHUTDOWN: 4,
  CRASHED: 6,
  SUSPENDED: 7,
} as const;
export type PowerStateValue = (typeof PowerState)[keyof typeof PowerState];

export interface VifInfo {
  id: string;
  address: string;
  devname?: string;
  /** Nova's network_info shape: the gateway and DNS servers are address objects. */
  network: { id: string; label: string; subnets: Array<{ cidr: string; gateway: { address: string | null } | null; ips: Array<{ address: string; type: string; version: number }> }> };
}

export interface DriverInstance {
  uuid: string;
  /** Hypervisor name, e.g. instance-0000002a. */
  name: string;
  hostname: string;
  displayName: string;
  projectId: string;
  userId: string;
  availabilityZone: string | null;
  launchIndex: number;
  createdAt: string;
  flavor: Flavor;
  image: ImageMeta;
  userData: string | null;
  keyName: string | null;
  keyData: string | null;
  metadata: Record<string, string>;
  configDrive: boolean;
}

export interface BlockDeviceInfo {
  rootDeviceName: string;
  devices: Array<{ deviceName: string; sourceType: string; destinationType: string; bootIndex: number | null; size: number | null }>;
}

/** A personality file (before 2.57): its path in the guest and its contents, base64 as the API took them. */
export interface InjectedFile {
  path: string;
  contents: string;
}

export interface SpawnRequest {
  instance: DriverInstance;
  networkInfo: VifInfo[];
  blockDeviceInfo: BlockDeviceInfo;
  /** Files to place in the guest (the config drive carries them under openstack/content/). */
  injectedFiles?: InjectedFile[];
}

export interface InstanceInfo {
  state: PowerStateValue;
}

export interface HostResources {
  hypervisorHostname: string;
  hypervisorType: string;
  hypervisorVersion: number;
  vcpus: number;
  memoryMb: number;
  localGb: number;
  vcpusUsed: number;
  memoryMbUsed: number;
  localGbUsed: number;
  diskAvailableLeast: number | null;
  cpuInfo: Record<string, unknown>;
}

/** A guest changed power state on its own or by an operation (libvirt lifecycle events). */
export interface LifecycleEvent {
  uuid: string;
  state: PowerStateValue;
}

/**
 * What a driver can do beyond the core lifecycle (Nova's driver
 * `capabilities`). A method whose flag is false throws DriverNotSupported;
 * the compute API then answers as Nova does for a driver without it.
 */
export interface DriverCapabilities {
  /** setAdminPassword changes the guest's password. */
  supportsSetAdminPassword: boolean;
  /** injectNmi (trigger_crash_dump) reaches the guest. */
  supportsTriggerCrashDump: boolean;
  /** rescue / unrescue boot the guest from a rescue image and back. */
  supportsRescue: boolean;
  /** snapshot gives the guest's disk as image data. */
  supportsSnapshot: boolean;
  /** attachInterface / detachInterface hot-plug a VIF into a guest and out again. */
  supportsAttachInterface: boolean;
  /** The resize / cold migration steps (migrateDiskAndPowerOff, finishMigration, confirm and revert). */
  supportsMigration: boolean;
}

export type ConsoleProtocol = 'vnc' | 'spice' | 'serial' | 'rdp' | 'mks';

/** Where the hypervisor serves a guest's console (what a console proxy would connect to). */
export interface ConsoleEndpoint {
  host: string;
  port: number;
  internalAccessPath: string | null;
}

/** A guest's root disk as image data (what a snapshot or backup uploads). */
export interface SnapshotData {
  diskFormat: 'raw' | 'qcow2';
  containerFormat: 'bare';
  data: Buffer;
}

export interface VirtDriver {
  readonly type: string;
  readonly capabilities: DriverCapabilities;
  /**
   * Optional: the driver reports guests' power-state changes as they happen,
   * so the compute manager syncs one guest at once instead of waiting for the
   * periodic sync (Nova's handle_lifecycle_event).
   */
  registerLifecycleListener?(listener: (event: LifecycleEvent) => void): void;
  /** Called once as the compute service starts. */
  initHost(host: string): Promise<void>;
  /** Called once as the compute service stops. */
  cleanupHost(): Promise<void>;
  getAvailableNodes(): Promise<string[]>;
  getAvailableResource(nodename: string): Promise<HostResources>;
  spawn(req: SpawnRequest): Promise<void>;
  /** Stops and removes the guest; succeeds when it is already gone. */
  destroy(instance: DriverInstance, networkInfo: VifInfo[]): Promise<void>;
  getInfo(instance: DriverInstance): Promise<InstanceInfo>;
  /** UUIDs of the guests the hypervisor has. */
  listInstances(): Promise<string[]>;
  reboot(instance: DriverInstance, type: 'SOFT' | 'HARD'): Promise<void>;
  powerOff(instance: DriverInstance): Promise<void>;
  powerOn(instance: DriverInstance): Promise<void>;
  pause(instance: DriverInstance): Promise<void>;
  unpause(instance: DriverInstance): Promise<void>;
  suspend(instance: DriverInstance): Promise<void>;
  resume(instance: DriverInstance): Promise<void>;
  getConsoleOutput(instance: DriverInstance): Promise<string>;
  /** The host's uptime line, as `uptime` prints it (os-hypervisors/{id}/uptime). */
  getHostUptime(): Promise<string>;
  /** The guest's diagnostics in Nova's standard form (2.48); DriverNotSupported where the driver cannot tell. */
  getDiagnostics(instance: DriverInstance, networkInfo: VifInfo[]): Promise<Diagnostics>;
  /** Sets the guest's administrator password; the guest must be running. */
  setAdminPassword(instance: DriverInstance, password: string): Promise<void>;
  /** Sends the guest a non-maskable interrupt (Nova's inject_nmi, for trigger_crash_dump). */
  injectNmi(instance: DriverInstance): Promise<void>;
  /**
   * Boots the guest from `rescueImage` with its own disk attached, running,
   * with `adminPass` for the rescue system. Works from a running or stopped guest.
   */
  rescue(instance: DriverInstance, rescueImage: ImageMeta, adminPass: string): Promise<void>;
  /** Boots a rescued guest from its own disk again, running. */
  unrescue(instance: DriverInstance): Promise<void>;
  /** The guest's root disk as image data, in any power state; the guest is left as it was. */
  snapshot(instance: DriverInstance): Promise<SnapshotData>;
  /**
   * Where a graphical or serial console of the guest is served (Nova's
   * get_vnc_console and siblings); DriverNotSupported for a protocol the driver lacks.
   */
  getRemoteConsole(instance: DriverInstance, protocol: ConsoleProtocol): Promise<ConsoleEndpoint>;
  /** Hot-plugs a VIF (a bound port) into the guest, running or not (Nova's attach_interface). */
  attachInterface(instance: DriverInstance, vif: VifInfo): Promise<void>;
  /** Unplugs a VIF from the guest; succeeds when it is not plugged. */
  detachInterface(instance: DriverInstance, vif: VifInfo): Promise<void>;
  /**
   * Resize / cold migration, on the source: powers the guest off and hands
   * its disk over for `flavor` (Nova's migrate_disk_and_power_off).
   */
  migrateDiskAndPowerOff(instance: DriverInstance, flavor: Flavor, destHost: string): Promise<void>;
  /** On the destination: the guest, now of instance.flavor, runs there (powered on when asked). */
  finishMigration(instance: DriverInstance, networkInfo: VifInfo[], opts: { sameHost: boolean; powerOn: boolean }): Promise<void>;
  /** On the source, once confirmed: what the source kept of the guest goes (nothing on the same host). */
  confirmMigration(instance: DriverInstance, opts: { sameHost: boolean }): Promise<void>;
  /** On the source, when reverted: the guest of instance.flavor (the old one) runs again here. */
  finishRevertMigration(instance: DriverInstance, networkInfo: VifInfo[], opts: { powerOn: boolean }): Promise<void>;
  /**
   * Live migration, optional (a driver without it cannot be a source or a
   * destination). On the destination: ready to receive the running guest
   * (Nova's pre_live_migration).
   */
  preLiveMigration?(instance: DriverInstance, networkInfo: VifInfo[]): Promise<void>;
  /**
   * On the source: copies the running guest to `destHost`; once it returns the
   * guest runs there and is gone from here. `control.signal` aborts it (the
   * guest stays here); `control.completeNow` asks it to finish at once
   * (Nova's live_migration_force_complete).
   */
  liveMigration?(instance: DriverInstance, destHost: string, control: LiveMigrationControl): Promise<void>;
  /** On the destination, after the copy: the guest runs here in `powerState`. */
  postLiveMigrationAtDestination?(instance: DriverInstance, networkInfo: VifInfo[], opts: { powerState: PowerStateValue }): Promise<void>;
  /** On the destination, when the migration failed or was aborted: what pre_live_migration made goes. */
  rollbackLiveMigrationAtDestination?(instance: DriverInstance, networkInfo: VifInfo[]): Promise<void>;
}

/** How the compute host steers a live migration in flight. */
export interface LiveMigrationControl {
  signal: AbortSignal;
  /** Resolves when an administrator forces the migration to complete. */
  completeNow: Promise<void>;
}

/** A live migration aborted on request (the guest stayed on the source). */
export class LiveMigrationAborted extends Error {
  constructor() {
    super('the live migration was aborted');
    this.name = 'LiveMigrationAborted';
  }
}

/** Nova's standard diagnostics (nova.virt.diagnostics.Diagnostics). */
export interface Diagnostics {
  state: 'pending' | 'running' | 'paused' | 'shutdown' | 'crashed' | 'suspended';
  driver: string;
  hypervisor: string | null;
  hypervisor_os: string | null;
  uptime: number | null;
  config_drive: boolean;
  num_cpus: number;
  num_nics: number;
  num_disks: number;
  memory_details: { maximum: number; used: number };
  cpu_details: Array<{ id: number | null; time: number | null; utilisation: number | null }>;
  nic_details: Array<{
    mac_address: string | null; rx_octets: number | null; rx_errors: number | null; rx_drop: number | null; rx_packets: number | null;
    rx_rate: number | null; tx_octets: number | null; tx_errors: number | null; tx_drop: number | null; tx_packets: number | null; tx_rate: number | null;
  }>;
  disk_details: Array<{ read_bytes: number | null; read_requests: number | null; write_bytes: number | null; write_requests: number | null; errors_count: number | null }>;
}


/** The driver cannot do this at all (Nova's NotImplementedError from a driver). */
export class DriverNotSupported extends Error {
  constructor(readonly operation: string) {
    super(`The driver does not support ${operation}.`);
    this.name = 'DriverNotSupported';
  }
}

/** The guest has no console of this kind now (Nova's ConsoleTypeUnavailable: e.g. a stopped guest's VNC display). */
export class ConsoleTypeUnavailable extends Error {
  constructor(readonly consoleType: string) {
    super(`Unavailable console type ${consoleType}.`);
    this.name = 'ConsoleTypeUnavailable';
  }
}

/** The guest the operation names does not exist on this hypervisor. */
export class InstanceNotFoundOnHost extends Error {
  constructor(readonly uuid: string) {
    super(`Instance ${uuid} could not be found on the hypervisor.`);
    this.name = 'InstanceNotFoundOnHost';
  }
}

/** A spawn that failed; `message` is safe to show the user as a fault. */
export class SpawnFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpawnFailed';
  }
}

/** The guest did not release a device it was asked to let go of (Nova's DeviceDetachFailed). */
export class DeviceDetachFailed extends Error {
  constructor(readonly uuid: string, readonly deviceId: string) {
    super(`Device detach failed for ${deviceId}: the guest ${uuid} did not release it.`);
    this.name = 'DeviceDetachFailed';
  }
}

/** The operation does not apply in the guest's current power state. */
export class InvalidPowerState extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPowerState';
  }
}
