/**
 * The guest XML builder against golden files, each also validated by libvirt's
 * own RelaxNG schema (virt-xml-validate). UPDATE_GOLDEN=1 rewrites the files;
 * review the diff before committing it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildGuestXml, KILONOVA_METADATA_NS, type GuestConfig } from '../../../src/virt/libvirt/guest-config.js';
import { vncPortOf } from '../../../src/virt/libvirt/driver.js';
import { InvalidXmlValue, escapeAttribute, escapeText } from '../../../src/virt/libvirt/xml.js';

// Compiled to dist/test/virt/libvirt; the golden files stay in the source tree.
const GOLDEN_DIR = fileURLToPath(new URL('../../../../test/virt/libvirt/golden/', import.meta.url));

function uecGuest(): GuestConfig {
  const dir = '/var/lib/kilonova/instances/6f1c1a52-3c1e-4c57-9a43-6a3e3e0f6a10';
  return {
    virtType: 'qemu', name: 'instance-0000002a', uuid: '6f1c1a52-3c1e-4c57-9a43-6a3e3e0f6a10', memoryMb: 512, vcpus: 1,
    arch: 'x86_64', machineType: 'pc', kernel: `${dir}/kernel`, ramdisk: `${dir}/ramdisk`,
    cmdline: 'root=/dev/vda console=tty0 console=ttyS0',
    disks: [
      { source: `${dir}/disk`, format: 'qcow2', device: 'disk', targetDev: 'vda', bus: 'virtio', cache: 'none' },
      { source: `${dir}/disk.config`, format: 'raw', device: 'cdrom', targetDev: 'hdd', bus: 'ide', cache: 'none', readonly: true },
    ],
    interfaces: [{ mac: 'fa:16:3e:12:34:56', targetDev: 'tap0a1b2c3d-4e', model: 'virtio' }],
    consoleLog: `${dir}/console.log`,
    metadata: {
      packageVersion: '0.1.0', displayName: 'web-1', creationTime: '2026-11-25 01:02:03',
      flavor: { name: 'm1.tiny', memoryMb: 512, diskGb: 1, swapMb: 0, ephemeralGb: 0, vcpus: 1 },
      owner: { userId: 'f2b0c6b4d8a94f6f9c1e2d3a4b5c6d7e', projectId: '0a1b2c3d4e5f60718293a4b5c6d7e8f9' },
      rootImageId: '2c6e4a1e-8d7b-4b8e-9a55-1f0c9f1e2d3c',
      ports: [{ uuid: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', ips: ['10.0.0.5'] }],
    },
    sysinfo: { manufacturer: 'Kilonova', product: 'OpenStack Compute', version: '0.1.0', family: 'Virtual Machine' },
  };
}

function diskOnlyGuest(): GuestConfig {
  const g = uecGuest();
  return {
    ...g, virtType: 'kvm', kernel: undefined, ramdisk: undefined, cmdline: undefined, vcpus: 2, memoryMb: 2048,
    disks: [{ ...g.disks[0], cache: 'writeback' }], interfaces: [],
    metadata: { ...g.metadata, rootImageId: null, ports: [] },
  };
}

function hostileGuest(): GuestConfig {
  const g = uecGuest();
  return {
    ...g,
    disks: [{ ...g.disks[0], source: '/srv/a "quoted" & <odd> dir/disk' }],
    metadata: { ...g.metadata, displayName: `</kilonova:name><devices><disk type='block'>&amp; "x"`, flavor: { ...g.metadata.flavor, name: 'm1.<tiny>&"' } },
  };
}

const CASES: Array<[string, () => GuestConfig]> = [
  ['uec-config-drive-one-port', uecGuest],
  ['disk-only-kvm', diskOnlyGuest],
  ['hostile-names', hostileGuest],
];

function validateWithLibvirtSchema(xml: string): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-xml-'));
  try {
    const file = path.join(dir, 'domain.xml');
    fs.writeFileSync(file, xml);
    execFileSync('virt-xml-validate', [file, 'domain'], { stdio: 'pipe' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const haveValidator = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v virt-xml-validate && command -v xmllint'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();

describe('guest XML builder', () => {
  for (const [name, make] of CASES) {
    test(`${name} matches its golden file`, () => {
      const xml = buildGuestXml(make());
      const file = path.join(GOLDEN_DIR, `${name}.xml`);
      if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, xml);
      assert.equal(xml, fs.readFileSync(file, 'utf8'));
    });

    test(`${name} is valid against libvirt's domain schema`, { skip: !haveValidator && process.env.CI !== 'true' ? 'virt-xml-validate/xmllint not installed' : false }, () => {
      validateWithLibvirtSchema(buildGuestXml(make()));
    });
  }

  test('hostile names stay text: no element or attribute is injected', () => {
    const xml = buildGuestXml(hostileGuest());
    assert.equal((xml.match(/<devices>/g) ?? []).length, 1, 'one devices element');
    assert.equal((xml.match(/<disk /g) ?? []).length, 1, 'one disk');
    assert.ok(xml.includes('&lt;/kilonova:name&gt;&lt;devices&gt;'));
    assert.ok(xml.includes('file="/srv/a &quot;quoted&quot; &amp; &lt;odd&gt; dir/disk"'));
  });

  test('instance metadata sits in Kilonova\'s namespace', () => {
    const xml = buildGuestXml(uecGuest());
    assert.ok(xml.includes(`<kilonova:instance xmlns:kilonova="${KILONOVA_METADATA_NS}">`));
    assert.match(xml, /<kilonova:root type="image" uuid="2c6e4a1e-8d7b-4b8e-9a55-1f0c9f1e2d3c"\/>/);
  });

  test('[vnc] enabled: a VNC display on server_listen with a port libvirt picks (valid for libvirt); none without it', { skip: !haveValidator && process.env.CI !== 'true' ? 'virt-xml-validate/xmllint not installed' : false }, () => {
    const xml = buildGuestXml({ ...uecGuest(), vnc: { listen: '127.0.0.1' } });
    assert.match(xml, /<graphics type="vnc" autoport="yes" listen="127\.0\.0\.1"\/>/);
    validateWithLibvirtSchema(xml);
    assert.doesNotMatch(buildGuestXml(uecGuest()), /<graphics/);
  });

  test('the VNC port of a live domain\'s XML; none for a stopped domain (-1) or one without a VNC display', () => {
    assert.equal(vncPortOf("<domain><devices><graphics type='spice' port='5901'/><graphics type='vnc' port='5902' autoport='yes' listen='127.0.0.1'>\n<listen type='address' address='127.0.0.1'/></graphics></devices></domain>"), 5902);
    assert.equal(vncPortOf("<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'>"), null);
    assert.equal(vncPortOf('<domain><devices><serial type="pty"/></devices></domain>'), null);
  });

  test('a kernel boot has kernel, initrd and cmdline; a disk boot boots from hd', () => {
    const uec = buildGuestXml(uecGuest());
    assert.match(uec, /<kernel>[^<]+\/kernel<\/kernel>/);
    assert.match(uec, /<initrd>[^<]+\/ramdisk<\/initrd>/);
    assert.doesNotMatch(uec, /<boot /);
    const disk = buildGuestXml(diskOnlyGuest());
    assert.doesNotMatch(disk, /<kernel>/);
    assert.match(disk, /<boot dev="hd"\/>/);
  });

  test('characters XML cannot carry are refused, not dropped', () => {
    const g = uecGuest();
    g.metadata.displayName = 'bad\u0001name';
    assert.throws(() => buildGuestXml(g), InvalidXmlValue);
  });

  test('escaping covers markup, quotes and whitespace in attributes', () => {
    assert.equal(escapeText('a<b>&c'), 'a&lt;b&gt;&amp;c');
    assert.equal(escapeAttribute('"\n\t'), '&quot;&#10;&#9;');
  });
});
