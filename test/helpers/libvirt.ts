/**
 * What tests of real guests share: whether this machine can run them, where
 * the test guest is built (once per machine: the kernel download and build
 * are cached), and what libvirt and the instances directory still hold.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';

const libvirtAnswers = spawnSync('virsh', ['-c', 'qemu:///system', 'version', '--daemon'], { stdio: 'ignore', timeout: 10_000 }).status === 0;

/**
 * Skip reason for real-guest tests, or false. In CI the test command sets the
 * host up (scripts/setup-libvirt-host.sh), so there a missing libvirtd fails.
 */
export const skipWithoutLibvirt: string | false = !libvirtAnswers && process.env.CI !== 'true'
  ? 'libvirtd does not answer on qemu:///system (run scripts/setup-libvirt-host.sh as root)'
  : false;

export const LIBVIRT_AVAILABLE = libvirtAnswers;

/** Where the test guest is built and cached across test runs. */
export function testGuestDir(): string {
  return process.env.KILONOVA_TEST_GUEST_DIR ?? path.join(os.tmpdir(), 'kilonova-test-guest');
}

/** Every domain libvirt knows, by UUID. */
export function libvirtDomainUuids(): string[] {
  const r = spawnSync('virsh', ['-q', '-c', 'qemu:///system', 'list', '--all', '--uuid'], { encoding: 'utf8' });
  return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

/** Files left under an instances directory for `uuid` (empty when clean). */
export function leftoverFiles(instancesPath: string, uuid: string): string[] {
  const dir = path.join(instancesPath, uuid);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map((f) => path.join(dir, f)).concat(dir);
}

export function virsh(...args: string[]): string {
  const r = spawnSync('virsh', ['-q', '-c', 'qemu:///system', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`virsh ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
