/**
 * With no compute_driver configured, the all-in-one runs real guests when
 * libvirtd answers and the fake driver when it does not — and its start line
 * says which, and how to switch.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runFailingStart, startCloudProcess } from '../helpers/cloud.js';
import { skipWithoutLibvirt } from '../helpers/libvirt.js';

describe('compute driver chosen at start', () => {
  test('libvirtd that does not answer: the fake driver, with the way to real guests', async () => {
    const cloud = await startCloudProcess({
      env: { KILONOVA_DEFAULT__COMPUTE_DRIVER: '', KILONOVA_LIBVIRT__CONNECTION_URI: 'qemu+unix:///system?socket=/nonexistent/libvirt-sock' },
    });
    try {
      assert.match(cloud.stdout(), /compute driver: fake\.FakeDriver \(libvirtd does not answer on qemu\+unix:\/\/\/system\?socket=\/nonexistent\/libvirt-sock: running the fake driver .*setup-libvirt-host\.sh/);
    } finally {
      await cloud.stop();
    }
  });

  test('libvirtd that answers: the libvirt driver', { skip: skipWithoutLibvirt }, async () => {
    const cloud = await startCloudProcess({ env: { KILONOVA_DEFAULT__COMPUTE_DRIVER: '' } });
    try {
      assert.match(cloud.stdout(), /compute driver: libvirt\.LibvirtDriver \(libvirtd answers on qemu:\/\/\/system: real guests \(virt_type qemu\)/);
      const hv = await cloud.request('GET', '/compute/v2.1/os-hypervisors/detail');
      assert.equal(hv.status, 200);
      assert.equal(hv.json.hypervisors[0].hypervisor_type, 'QEMU');
    } finally {
      await cloud.stop();
    }
  });
});

describe('compute driver asked for but unusable', () => {
  test('--driver libvirt with no libvirtd stops at start with one line saying what to do', async () => {
    const result = await runFailingStart({
      env: { KILONOVA_LIBVIRT__CONNECTION_URI: 'qemu+unix:///system?socket=/nonexistent/libvirt-sock' }, args: ['--driver', 'libvirt'],
    });
    assert.notEqual(result.code, 0);
    const lines = result.stderr.trim().split('\n').filter((l) => l.startsWith('kilonova:'));
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], /the compute driver libvirt\.LibvirtDriver could not start: libvirtd does not answer .*setup-libvirt-host\.sh/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });
});
