/**
 * ARP spoofing protection on the Linux bridge data path with real ARP
 * (iputils arping) between guests played by namespaces (linuxbridge-lab.ts):
 * a guest answering or announcing for an address not its own is not heard,
 * its own ARP is; and what updates, unplug and a restarted agent leave in
 * the nft table.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ARP_TABLE, parseListing } from '../../../src/network/agents/linuxbridge/arp-rules.js';
import { LinuxBridgePortDataPath } from '../../../src/network/agents/linuxbridge/port-data-path.js';
import { deviceNames, type HostPortState } from '../../../src/network/agents/state.js';
import { HostLab, defaultGroupRules, kernelSkipReason, pollUntil, type Guest } from './linuxbridge-lab.js';

const skip = kernelSkipReason() || (spawnSync('sh', ['-c', 'command -v arping']).status === 0 ? false : 'arping (iputils-arping) is not installed');
const REACH_MS = 5000;

describe('ARP spoofing protection with real ARP', { skip }, () => {
  let lab: HostLab;
  let dataPath: LinuxBridgePortDataPath;

  beforeEach(async () => {
    lab = new HostLab();
    await lab.create();
    dataPath = new LinuxBridgePortDataPath({ hostNamespace: lab.hostNamespace });
  });
  afterEach(async () => {
    await lab.destroy();
  });

  async function guests(ips: string[]): Promise<Guest[]> {
    const out: Guest[] = [];
    for (const ip of ips) out.push(await lab.addGuest(lab.portState(ip, defaultGroupRules(ips))));
    for (const g of out) await dataPath.plugPort(g.port);
    return out;
  }

  /** The MACs that answered `from`'s ARP requests for `ip` (two requests, or two answers, within 2 s). */
  async function answerers(from: Guest, ip: string): Promise<string[]> {
    const out = await lab.arping(from, ['-c', '2', '-w', '2', '-I', 'eth0', ip]);
    return [...new Set([...out.matchAll(/reply from \S+ \[([0-9A-Fa-f:]+)\]/g)].map((m) => m[1]!.toLowerCase()))].sort();
  }

  /** The MAC `guest`'s neighbour table holds for `ip`, or null. */
  async function neighbour(guest: Guest, ip: string): Promise<string | null> {
    const line = await lab.guestIp(guest, ['neigh', 'show', ip, 'dev', 'eth0']);
    return /lladdr (\S+)/.exec(line)?.[1] ?? null;
  }

  const unprotected = (port: HostPortState): HostPortState => ({ ...port, portSecurityEnabled: false, rules: [] });

  it("a guest answering ARP for another guest's address is not heard; its answers for its own are", async () => {
    const [a, b, c] = await guests(['10.31.0.11', '10.31.0.12', '10.31.0.13']);
    await lab.guestIp(b!, ['addr', 'add', `${a!.ip}/32`, 'dev', 'eth0']);
    assert.deepEqual(await answerers(c!, a!.ip), [a!.port.macAddress]);
    assert.deepEqual(await answerers(c!, b!.ip), [b!.port.macAddress]);

    // The same guest with port security off is heard: its chain goes, and the spoofed answer is real.
    await dataPath.plugPort(unprotected(b!.port));
    assert.equal(parseListing(await lab.nftTable(ARP_TABLE)).taps.includes(deviceNames.tap(b!.port.portId)), false);
    await pollUntil(async () => (await answerers(c!, a!.ip)).includes(b!.port.macAddress), REACH_MS, "b's spoofed answer to get through");
  });

  it("a gratuitous announcement claiming another guest's address leaves the neighbours' caches alone", async () => {
    const [a, b, c] = await guests(['10.31.0.21', '10.31.0.22', '10.31.0.23']);
    // Any announcement may override an entry at once (the default locktime would ignore one within a second).
    await lab.guestIp(c!, ['ntable', 'change', 'name', 'arp_cache', 'dev', 'eth0', 'locktime', '0']);
    await pollUntil(() => lab.ping(c!, a!), REACH_MS, 'c to reach a');
    assert.equal(await neighbour(c!, a!.ip), a!.port.macAddress);
    await lab.guestIp(b!, ['addr', 'add', `${a!.ip}/32`, 'dev', 'eth0']);
    const announce = () => lab.arping(b!, ['-U', '-c', '1', '-I', 'eth0', a!.ip]);
    await announce();
    assert.equal(await neighbour(c!, a!.ip), a!.port.macAddress, "c still has a's MAC for a's address");

    await dataPath.plugPort(unprotected(b!.port));
    await pollUntil(async () => { await announce(); return (await neighbour(c!, a!.ip)) === b!.port.macAddress; }, REACH_MS, "the unfiltered announcement to take over c's entry");
  });

  it("an allowed address pair added to a wired port lets its guest answer for the pair's address", async () => {
    const [b, c] = await guests(['10.31.0.32', '10.31.0.33']);
    const pairIp = '10.31.0.150';
    await lab.guestIp(b!, ['addr', 'add', `${pairIp}/32`, 'dev', 'eth0']);
    assert.deepEqual(await answerers(c!, pairIp), [], 'before the pair');
    await dataPath.plugPort({ ...b!.port, allowedAddressPairs: [{ ipAddress: '10.31.0.144/28', macAddress: '' }] });
    assert.deepEqual(await answerers(c!, pairIp), [b!.port.macAddress]);
    await dataPath.plugPort(b!.port);
    assert.deepEqual(await answerers(c!, pairIp), [], 'after the pair is removed');
  });

  it("unplug removes the port's ARP chain; a restarted agent's sync keeps the wanted and removes what an earlier run left", async () => {
    const [a, b] = await guests(['10.31.0.41', '10.31.0.42']);
    const taps = async () => parseListing(await lab.nftTable(ARP_TABLE)).taps.sort();
    const [tapA, tapB] = [deviceNames.tap(a!.port.portId), deviceNames.tap(b!.port.portId)];
    assert.deepEqual(await taps(), [tapA, tapB].sort());

    const after = new LinuxBridgePortDataPath({ hostNamespace: lab.hostNamespace });
    await after.syncPorts([a!.port]);
    assert.deepEqual(await taps(), [tapA]);
    const listing = await lab.nftTable(ARP_TABLE);
    assert.equal(listing.includes(`"${tapB}"`), false, "b's map entry went with its chain");
    assert.equal(listing.split('\n').filter((l) => l.includes('vmap @ports')).length, 1, 'dispatch not duplicated');

    await after.unplugPort(a!.port.portId);
    assert.deepEqual(await taps(), []);
    assert.equal(parseListing(await lab.nftTable(ARP_TABLE)).dispatching, true);
  });
});
