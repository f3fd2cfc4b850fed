/**
 * When the Linux bridge data path takes a guest's tap into its host namespace.
 * libvirt makes the tap in its own namespace and goes on setting it up by name
 * while the guest starts; a tap moved away in that window fails the start. So
 * only the compute manager's wire (after the spawn) moves a tap at once; a port
 * change leaves it where it is, and a sync takes it only once it has stood in
 * the agent's namespace for the settle time, counted again for a new tap of
 * the same name. Real kernel, in a private host namespace (linuxbridge-lab.ts).
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LinuxBridgePortDataPath } from '../../../src/network/agents/linuxbridge/port-data-path.js';
import { linkExists } from '../../../src/network/agents/bridges.js';
import { runHostCommand } from '../../../src/network/agents/host-commands.js';
import { deviceNames, type HostPortState } from '../../../src/network/agents/state.js';
import { HostLab, defaultGroupRules, kernelSkipReason } from './linuxbridge-lab.js';

const SETTLE_MS = 10_000;

describe('Linux bridge data path: when a tap is taken into the host namespace', { skip: kernelSkipReason() }, () => {
  let lab: HostLab;
  let now: number;
  let dataPath: LinuxBridgePortDataPath;
  let port: HostPortState;
  let tap: string;

  beforeEach(async () => {
    lab = new HostLab();
    await lab.create();
    now = 1_000_000;
    dataPath = new LinuxBridgePortDataPath({ hostNamespace: lab.hostNamespace, tapSettleMs: SETTLE_MS, clock: () => now });
    port = lab.portState('10.50.0.5', defaultGroupRules(['10.50.0.5']));
    tap = deviceNames.tap(port.portId);
    await lab.addBareTap(port);
  });
  afterEach(async () => {
    await lab.destroy();
  });

  const inHostNamespace = () => linkExists(lab.hostNamespace, tap);
  const inAgentNamespace = () => linkExists(undefined, tap);

  it('a port change writes the rules but leaves a tap outside where it is; the wire after the spawn takes it at once', async () => {
    await dataPath.plugPort(port, { tapReady: false });
    assert.equal(await inAgentNamespace(), true);
    assert.deepEqual(await dataPath.wiredPorts(), []);
    assert.match(await lab.iptablesSave(4), new RegExp(port.portId.slice(0, 10)), 'the rules are in');
    await dataPath.plugPort(port);
    assert.equal(await inHostNamespace(), true);
    assert.deepEqual(await dataPath.wiredPorts(), [port.portId]);
  });

  it('a port change for a tap that does not exist yet is no error', async () => {
    const later = lab.portState('10.50.0.6');
    await dataPath.plugPort(later, { tapReady: false });
    assert.deepEqual(await dataPath.wiredPorts(), []);
  });

  it('a sync takes a tap only once it has stood in the agent\'s namespace for the settle time', async () => {
    await dataPath.syncPorts([port]);
    assert.equal(await inAgentNamespace(), true, 'a tap just seen stays');
    now += SETTLE_MS - 1;
    await dataPath.syncPorts([port]);
    assert.equal(await inAgentNamespace(), true, 'not yet');
    now += 1;
    await dataPath.syncPorts([port]);
    assert.equal(await inHostNamespace(), true);
    assert.deepEqual(await dataPath.wiredPorts(), [port.portId]);
  });

  it('a new tap of the same name waits the settle time again', async () => {
    await dataPath.syncPorts([port]);
    // The guest started again: libvirt made a new tap under the same name.
    await runHostCommand('ip', ['link', 'del', tap]);
    await runHostCommand('ip', ['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
    now += SETTLE_MS;
    await dataPath.syncPorts([port]);
    assert.equal(await inAgentNamespace(), true, 'the new tap is counted from when it was seen');
    now += SETTLE_MS;
    await dataPath.syncPorts([port]);
    assert.equal(await inHostNamespace(), true);
  });

  it('a tap a sync saw, then no longer wanted, is forgotten: wanted again, it waits again', async () => {
    await dataPath.syncPorts([port]);
    await dataPath.syncPorts([]);
    now += SETTLE_MS;
    await dataPath.syncPorts([port]);
    assert.equal(await inAgentNamespace(), true);
  });
});
