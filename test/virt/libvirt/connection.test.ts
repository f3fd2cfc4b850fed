/**
 * The driver's line to libvirtd, against the real libvirtd: long-lived virsh
 * sessions return each command's own output and errors even when many run at
 * once, errors map to the driver's codes, and arguments that are not plain
 * never reach a session's command line.
 */
import { describe, test, before, after } from 'node:test';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { LibvirtConnection, LibvirtError, checkDomainRef, parseLifecycleEvent } from '../../../src/virt/libvirt/connection.js';
import { isPlainArgs } from '../../../src/virt/libvirt/virsh-shell.js';
import { testLogger } from '../../helpers/logger.js';
import { skipWithoutLibvirt } from '../../helpers/libvirt.js';

describe('libvirt connection', { skip: skipWithoutLibvirt }, () => {
  let conn: LibvirtConnection;
  before(() => { conn = new LibvirtConnection({ uri: 'qemu:///system', logger: testLogger }); });
  after(() => conn.close());

  test('answers version and node info', async () => {
    const v = await conn.version();
    assert.ok(v.hypervisorVersion > 1_000_000, `hypervisor version ${v.hypervisorVersion}`);
    const node = await conn.nodeInfo();
    assert.ok(node.cpus >= 1);
  });

  test('an unknown domain is a no-domain error with libvirt\'s reason', async () => {
    await assert.rejects(conn.domainState('00000000-0000-4000-8000-000000000000'), (err: unknown) => {
      assert.ok(err instanceof LibvirtError);
      assert.equal(err.code, 'no-domain');
      assert.doesNotMatch(err.message, /^error:/);
      return true;
    });
  });

  test('many commands at once each get their own answer', async () => {
    const ghosts = Array.from({ length: 12 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const results = await Promise.all([
      ...ghosts.map((g) => conn.domainState(g).then(() => 'found', (e: LibvirtError) => e.code)),
      ...Array.from({ length: 6 }, () => conn.version().then((v) => v.hypervisor)),
    ]);
    assert.deepEqual(results.slice(0, 12), ghosts.map(() => 'no-domain'));
    for (const r of results.slice(12)) assert.equal(r, 'QEMU');
  });

  // Restarting libvirtd is only done where the test command owns the daemon
  // (CI started it by hand); on a developer's machine it may belong to systemd.
  test('after libvirtd restarts, the sessions reconnect and calls succeed', { skip: process.env.CI !== 'true' ? 'restarts libvirtd: CI only' : false }, async () => {
    await Promise.all([conn.version(), conn.version(), conn.version()]);
    execFileSync('pkill', ['-x', 'libvirtd']);
    for (let i = 0; i < 50 && spawnAlive('libvirtd'); i++) await sleep(100);
    execFileSync('libvirtd', ['--daemon']);
    // Wait for the new daemon with one-off calls, leaving the sessions under test alone.
    for (let i = 0; i < 100 && !libvirtdAnswers(); i++) await sleep(100);
    const versions = await Promise.all([conn.version(), conn.version(), conn.version()]);
    for (const v of versions) assert.equal(v.hypervisor, 'QEMU');
  });

  test('only plain arguments go to a session; names and UUIDs are checked before any call', () => {
    assert.equal(isPlainArgs(['domstate', '--reason', 'instance-0000002a']), true);
    assert.equal(isPlainArgs(['define', '/tmp/a b/domain.xml']), false);
    assert.equal(isPlainArgs(['start', 'x;destroy y']), false);
    assert.equal(isPlainArgs(['start', "x'y"]), false);
    assert.throws(() => checkDomainRef('instance-1; destroy all'), LibvirtError);
    assert.throws(() => checkDomainRef('-c'), LibvirtError);
  });

  test('a lifecycle event line parses into domain, event and detail', () => {
    assert.deepEqual(parseLifecycleEvent("event 'lifecycle' for domain 'instance-0000002a': Stopped Shutdown"),
      { domain: 'instance-0000002a', event: 'Stopped', detail: 'Shutdown' });
    assert.equal(parseLifecycleEvent("event 'reboot' for domain 'x'"), undefined);
  });
});

function libvirtdAnswers(): boolean {
  try {
    execFileSync('virsh', ['-c', 'qemu:///system', 'version', '--daemon'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

function spawnAlive(name: string): boolean {
  try {
    execFileSync('pgrep', ['-x', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
