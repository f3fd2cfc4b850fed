/**
 * The metadata path in the kernel, end to end: a namespace standing for a
 * network's qdhcp- namespace holds 169.254.169.254 and runs the haproxy of
 * HaproxyMetadataProxyDriver; a guest namespace reaches it over a veth; the
 * proxy forwards to the metadata agent's socket, the agent to a real
 * metadata API. The guest reads its own metadata with busybox wget, and a
 * source address no port holds gets nothing, whatever headers it sends.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { HaproxyMetadataProxyDriver } from '../../../src/network/agents/linuxbridge/metadata-proxy.js';
import { startMetadataAgent, type MetadataAgent } from '../../../src/network/agents/metadata/agent.js';
import { runHostCommand, HostCommandError } from '../../../src/network/agents/host-commands.js';
import { SECRET, startMetadataCloud, type MetadataCloud, type TestInstance } from '../../metadata/fixtures.js';
import { testLogger } from '../../helpers/logger.js';

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

function missingPrerequisite(): string | null {
  if (process.getuid?.() !== 0) return 'not running as root (network namespaces need it)';
  for (const tool of ['ip', 'haproxy', 'busybox']) if (!onPath(tool)) return `${tool} is not installed`;
  return null;
}

const missing = missingPrerequisite();
const skip = missing !== null && process.env.CI !== 'true' ? missing : false;

const GUEST_IP = '10.77.0.5';
const STRANGER_IP = '10.77.0.66';
const PROXY_SIDE_IP = '10.77.0.2';

describe('metadata proxy in a namespace', { skip }, () => {
  const suffix = randomBytes(4).toString('hex');
  // Short names: interface names stop at 15 characters.
  const proxyNs = `kmdp-${suffix}`;
  const guestNs = `kmdg-${suffix}`;
  const networkId = randomUUID();
  let dir: string;
  let cloud: MetadataCloud;
  let agent: MetadataAgent;
  let driver: HaproxyMetadataProxyDriver;
  let vm: TestInstance;
  const namespaces: string[] = [];

  const inGuest = (args: string[]) => runHostCommand(args[0]!, args.slice(1), { namespace: guestNs, timeoutMs: 10_000 });
  // No -T: this busybox's wget crashes on it; runHostCommand's timeout bounds the wait instead.
  const wget = (url: string, headers: string[] = []) => inGuest(['busybox', 'wget', '-qO-', ...headers.flatMap((h) => ['--header', h]), url]);
  const newDriver = () => new HaproxyMetadataProxyDriver({ stateDir: path.join(dir, 'proxies'), agentSocket: path.join(dir, 'metadata_proxy'), logger: testLogger });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-mdproxy-'));
    cloud = await startMetadataCloud();
    vm = await cloud.addInstance({ name: 'guest-1', networkId, fixedIp: GUEST_IP });
    agent = await startMetadataAgent({
      socketPath: path.join(dir, 'metadata_proxy'), novaMetadataUrl: cloud.api.url, sharedSecret: SECRET, logger: testLogger,
      lookupPort: async (net, ip) => (net === networkId && ip === GUEST_IP ? { deviceId: vm.uuid, projectId: vm.projectId, deviceOwner: 'compute:nova' } : null),
    });
    for (const ns of [proxyNs, guestNs]) {
      await runHostCommand('ip', ['netns', 'add', ns]);
      namespaces.push(ns);
      await runHostCommand('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    // The veth is made inside the namespaces: nothing of this test ever exists in the root namespace.
    await runHostCommand('ip', ['-n', proxyNs, 'link', 'add', 'md0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', guestNs]);
    await runHostCommand('ip', ['-n', proxyNs, 'addr', 'add', `${PROXY_SIDE_IP}/24`, 'dev', 'md0']);
    await runHostCommand('ip', ['-n', proxyNs, 'addr', 'add', '169.254.169.254/32', 'dev', 'md0']);
    await runHostCommand('ip', ['-n', proxyNs, 'link', 'set', 'md0', 'up']);
    await runHostCommand('ip', ['-n', guestNs, 'addr', 'add', `${GUEST_IP}/24`, 'dev', 'eth0']);
    await runHostCommand('ip', ['-n', guestNs, 'addr', 'add', `${STRANGER_IP}/24`, 'dev', 'eth0']);
    await runHostCommand('ip', ['-n', guestNs, 'link', 'set', 'eth0', 'up']);
    // What DHCP's classless route tells a guest: the metadata address via the DHCP port.
    await runHostCommand('ip', ['-n', guestNs, 'route', 'add', '169.254.169.254/32', 'via', PROXY_SIDE_IP, 'src', GUEST_IP]);
    driver = newDriver();
    await driver.ensureProxy(proxyNs, networkId);
  });

  after(async () => {
    const pidFile = path.join(dir ?? '', 'proxies', `${networkId}.pid`);
    await driver?.stop().catch(() => undefined);
    // Whatever the driver could not stop dies with a signal here, so no haproxy outlives the test.
    const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').trim()) : NaN;
    if (Number.isInteger(pid) && pid > 0) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone already */ }
    }
    for (const ns of namespaces) await runHostCommand('ip', ['netns', 'del', ns]).catch(() => undefined);
    await agent?.close();
    await cloud?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the guest reads its own instance\'s metadata at 169.254.169.254', async () => {
    const md = JSON.parse(await wget('http://169.254.169.254/openstack/latest/meta_data.json'));
    assert.equal(md.uuid, vm.uuid);
    assert.equal(md.hostname, 'guest-1.novalocal');
    assert.equal(await wget('http://169.254.169.254/latest/meta-data/local-ipv4'), GUEST_IP);
    assert.equal(await wget('http://169.254.169.254/openstack/latest/user_data'), '#!/bin/sh\necho hello\n');
  });

  test('a source address no port holds gets 404, even claiming the guest\'s address and another network in headers', async () => {
    await inGuest(['ip', 'route', 'replace', '169.254.169.254/32', 'via', PROXY_SIDE_IP, 'src', STRANGER_IP]);
    try {
      await assert.rejects(wget('http://169.254.169.254/openstack/latest/meta_data.json'), (err: HostCommandError) => /404/.test(err.stderrTail));
      await assert.rejects(
        wget('http://169.254.169.254/openstack/latest/meta_data.json', [`X-Forwarded-For: ${GUEST_IP}`, `X-Neutron-Network-ID: ${networkId}`]),
        (err: HostCommandError) => /404/.test(err.stderrTail),
      );
    } finally {
      await inGuest(['ip', 'route', 'replace', '169.254.169.254/32', 'via', PROXY_SIDE_IP, 'src', GUEST_IP]);
    }
  });

  test('ensureProxy is idempotent, and a restarted driver adopts the running haproxy', async () => {
    const pid = driver.pidOf(networkId);
    assert.ok(pid !== null, 'haproxy runs');
    await driver.ensureProxy(proxyNs, networkId);
    assert.equal(driver.pidOf(networkId), pid);
    const restarted = newDriver();
    await restarted.ensureProxy(proxyNs, networkId);
    assert.equal(restarted.pidOf(networkId), pid);
    assert.deepEqual(restarted.managedNetworks(), [networkId]);
    driver = restarted;
  });

  test('removeProxy stops the haproxy and the address answers no more', async () => {
    const pid = driver.pidOf(networkId)!;
    await driver.removeProxy(networkId);
    assert.equal(driver.pidOf(networkId), null);
    assert.ok(!fs.existsSync(path.join(dir, 'proxies', `${networkId}.conf`)));
    const stat = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
    assert.ok(stat === '' || / Z /.test(stat), 'the process is gone (or a zombie awaiting init)');
    await assert.rejects(wget('http://169.254.169.254/latest/meta-data/instance-id'));
    // And ensureProxy brings it back.
    await driver.ensureProxy(proxyNs, networkId);
    assert.equal(await wget('http://169.254.169.254/latest/meta-data/hostname'), 'guest-1.novalocal');
  });
});
