/**
 * Nova's load_compute_driver: the configured driver, or — when none is
 * configured — libvirt if libvirtd answers and the fake hypervisor if not, with
 * a sentence for the operator saying which and why. The libvirt modules are
 * loaded only when libvirt is probed or chosen: a fake-driver compute host
 * does not carry them.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../conf/options.js';
import type { VirtDriver } from './driver.js';
import { FakeDriver } from './fake/driver.js';
import type { ImageDataSource } from './libvirt/image-backend.js';

export const KILONOVA_VERSION = '0.1.0';
export const DEFAULT_LIBVIRT_URI = 'qemu:///system';

export interface LoadedDriver {
  driver: VirtDriver;
  /** compute_driver's value for what was loaded */
  name: 'fake.FakeDriver' | 'libvirt.LibvirtDriver';
  /** one line for the operator: what runs, and how to change it */
  note: string;
}

export async function loadComputeDriver(conf: Config, deps: { statePath: string; images: ImageDataSource; logger: Logger; host?: string }): Promise<LoadedDriver> {
  const uri = conf.libvirt.connection_uri || DEFAULT_LIBVIRT_URI;
  let name = conf.DEFAULT.compute_driver;
  let note: string;
  if (name === '') {
    const { LibvirtConnection } = await import('./libvirt/connection.js');
    const probe = new LibvirtConnection({ uri, logger: deps.logger });
    const answers = await probe.ping();
    probe.close();
    name = answers ? 'libvirt.LibvirtDriver' : 'fake.FakeDriver';
    note = answers
      ? `libvirtd answers on ${uri}: real guests (virt_type ${conf.libvirt.virt_type}); set [DEFAULT] compute_driver = fake.FakeDriver for the emulator`
      : `libvirtd does not answer on ${uri}: running the fake driver (no real guests); to boot real ones run scripts/setup-libvirt-host.sh as root and restart, or set [DEFAULT] compute_driver = libvirt.LibvirtDriver`;
  } else {
    note = `compute_driver = ${name}`;
  }
  if (name === 'libvirt.LibvirtDriver') {
    const { LibvirtDriver } = await import('./libvirt/driver.js');
    const driver = new LibvirtDriver({
      virtType: conf.libvirt.virt_type as 'kvm' | 'qemu',
      connectionUri: uri,
      instancesPath: path.resolve(conf.DEFAULT.instances_path || path.join(deps.statePath, 'instances')),
      forceConfigDrive: conf.DEFAULT.force_config_drive,
      shutdownTimeoutS: conf.DEFAULT.shutdown_timeout,
      softRebootTimeoutS: conf.libvirt.wait_soft_reboot_seconds,
      bootTimeoutS: conf.libvirt.boot_timeout,
      images: deps.images,
      logger: deps.logger.child({ driver: 'libvirt' }),
      packageVersion: KILONOVA_VERSION,
      ...(conf.vnc.enabled ? { vnc: { listen: conf.vnc.server_listen, proxyclientAddress: conf.vnc.server_proxyclient_address } } : {}),
    });
    return { driver, name, note };
  }
  const driver = new FakeDriver({
    vcpus: conf.fake_driver.vcpus, memoryMb: conf.fake_driver.memory_mb, localGb: conf.fake_driver.local_gb,
    spawnDelayMs: conf.fake_driver.spawn_delay_ms, actionDelayMs: conf.fake_driver.action_delay_ms, failSpawn: conf.fake_driver.fail_spawn,
    consoleOutputLines: conf.fake_driver.console_output_lines,
    stateDir: path.join(deps.statePath, 'fake-hypervisor', deps.host ?? conf.DEFAULT.host),
  });
  return { driver, name: 'fake.FakeDriver', note };
}
