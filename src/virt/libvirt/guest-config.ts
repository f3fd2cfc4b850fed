/**
 * The guest's domain XML (Nova's libvirt/config.py objects plus the parts of
 * driver._get_guest_config that apply here). Input is plain data the driver
 * has already decided on; the output is a libvirt <domain> document.
 */
import { el, type XmlElement } from './xml.js';

/** Kilonova's namespace for the instance metadata libvirt keeps with the domain. */
export const KILONOVA_METADATA_NS = 'http://kilonova.dev/xmlns/libvirt/instance/1.0';
export const KILONOVA_METADATA_PREFIX = 'kilonova';

export interface GuestDisk {
  /** file path on the host */
  source: string;
  /** qemu driver type: qcow2 | raw */
  format: 'qcow2' | 'raw';
  device: 'disk' | 'cdrom';
  targetDev: string;
  bus: 'virtio' | 'ide' | 'sata' | 'scsi';
  cache: 'none' | 'writeback' | 'writethrough' | 'unsafe';
  readonly?: boolean;
}

export interface GuestInterface {
  mac: string;
  /** tap device libvirt creates for the port */
  targetDev: string;
  model: 'virtio';
  mtu?: number;
}

export interface GuestMetadata {
  packageVersion: string;
  displayName: string;
  creationTime: string;
  flavor: { name: string; memoryMb: number; diskGb: number; swapMb: number; ephemeralGb: number; vcpus: number };
  owner: { userId: string; projectId: string };
  rootImageId: string | null;
  ports: Array<{ uuid: string; ips: string[] }>;
}

export interface GuestConfig {
  virtType: 'kvm' | 'qemu';
  name: string;
  uuid: string;
  memoryMb: number;
  vcpus: number;
  arch: 'x86_64';
  machineType: string;
  kernel?: string;
  ramdisk?: string;
  cmdline?: string;
  disks: GuestDisk[];
  interfaces: GuestInterface[];
  /** the serial console's log file (virtlogd writes it) */
  consoleLog: string;
  /** A VNC display on this address, its port chosen by libvirt ([vnc] enabled, server_listen). */
  vnc?: { listen: string };
  metadata: GuestMetadata;
  sysinfo: { manufacturer: string; product: string; version: string; family: string };
}

export function buildGuestXml(c: GuestConfig): string {
  return `${guestDomain(c).toString()}\n`;
}

function guestDomain(c: GuestConfig): XmlElement {
  const direct = !!c.kernel;
  return el('domain', { type: c.virtType }, [
    el('uuid', {}, [c.uuid]),
    el('name', {}, [c.name]),
    el('memory', { unit: 'KiB' }, [String(c.memoryMb * 1024)]),
    el('vcpu', {}, [String(c.vcpus)]),
    el('metadata', {}, [metadataElement(c.metadata)]),
    el('sysinfo', { type: 'smbios' }, [
      el('system', {}, [
        el('entry', { name: 'manufacturer' }, [c.sysinfo.manufacturer]),
        el('entry', { name: 'product' }, [c.sysinfo.product]),
        el('entry', { name: 'version' }, [c.sysinfo.version]),
        el('entry', { name: 'serial' }, [c.uuid]),
        el('entry', { name: 'uuid' }, [c.uuid]),
        el('entry', { name: 'family' }, [c.sysinfo.family]),
      ]),
    ]),
    el('os', {}, [
      el('type', { arch: c.arch, machine: c.machineType }, ['hvm']),
      direct && el('kernel', {}, [c.kernel!]),
      direct && c.ramdisk ? el('initrd', {}, [c.ramdisk]) : undefined,
      direct && c.cmdline ? el('cmdline', {}, [c.cmdline]) : undefined,
      !direct && el('boot', { dev: 'hd' }),
      el('smbios', { mode: 'sysinfo' }),
    ]),
    el('features', {}, [el('acpi'), el('apic')]),
    // Nova's defaults for x86: the PIT delays ticks, the RTC catches up, and HPET is off.
    el('clock', { offset: 'utc' }, [
      el('timer', { name: 'pit', tickpolicy: 'delay' }),
      el('timer', { name: 'rtc', tickpolicy: 'catchup' }),
      el('timer', { name: 'hpet', present: 'no' }),
    ]),
    el('on_poweroff', {}, ['destroy']),
    el('on_reboot', {}, ['restart']),
    el('on_crash', {}, ['destroy']),
    el('devices', {}, [
      ...c.disks.map(diskElement),
      ...c.interfaces.map(interfaceElement),
      // A pty for interactive use; its output also goes to a file that virtlogd
      // owns, which is what os-getConsoleOutput reads.
      el('serial', { type: 'pty' }, [el('log', { file: c.consoleLog, append: 'off' })]),
      el('console', { type: 'pty' }, [el('target', { type: 'serial', port: 0 })]),
      c.vnc && el('graphics', { type: 'vnc', autoport: 'yes', listen: c.vnc.listen }),
      el('memballoon', { model: 'virtio' }, [el('stats', { period: 10 })]),
    ]),
  ]);
}

function diskElement(d: GuestDisk): XmlElement {
  return el('disk', { type: 'file', device: d.device }, [
    el('driver', { name: 'qemu', type: d.format, cache: d.cache }),
    el('source', { file: d.source }),
    el('target', { dev: d.targetDev, bus: d.bus }),
    d.readonly && el('readonly'),
  ]);
}

/** One interface's device XML, for hot-plugging it into a defined domain (attach-device). */
export function buildInterfaceXml(i: GuestInterface): string {
  return `${interfaceElement(i).toString()}\n`;
}

function interfaceElement(i: GuestInterface): XmlElement {
  return el('interface', { type: 'ethernet' }, [
    el('mac', { address: i.mac }),
    el('model', { type: i.model }),
    el('target', { dev: i.targetDev }),
    i.mtu !== undefined && el('mtu', { size: i.mtu }),
  ]);
}

function metadataElement(m: GuestMetadata): XmlElement {
  const p = (name: string) => `${KILONOVA_METADATA_PREFIX}:${name}`;
  return el(p('instance'), { [`xmlns:${KILONOVA_METADATA_PREFIX}`]: KILONOVA_METADATA_NS }, [
    el(p('package'), { version: m.packageVersion }),
    el(p('name'), {}, [m.displayName]),
    el(p('creationTime'), {}, [m.creationTime]),
    el(p('flavor'), { name: m.flavor.name }, [
      el(p('memory'), {}, [String(m.flavor.memoryMb)]),
      el(p('disk'), {}, [String(m.flavor.diskGb)]),
      el(p('swap'), {}, [String(m.flavor.swapMb)]),
      el(p('ephemeral'), {}, [String(m.flavor.ephemeralGb)]),
      el(p('vcpus'), {}, [String(m.flavor.vcpus)]),
    ]),
    el(p('owner'), {}, [
      el(p('user'), { uuid: m.owner.userId }),
      el(p('project'), { uuid: m.owner.projectId }),
    ]),
    m.rootImageId ? el(p('root'), { type: 'image', uuid: m.rootImageId }) : undefined,
    el(p('ports'), {}, m.ports.map((port) => el(p('port'), { uuid: port.uuid }, port.ips.map((ip) => el(p('ip'), { type: 'fixed', address: ip }))))),
  ]);
}
