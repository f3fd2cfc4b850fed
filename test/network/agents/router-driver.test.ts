/**
 * The L3 agent's Linux driver against the real kernel (root only): routing
 * between two networks, SNAT to the outside at the gateway address, floating
 * IPs both ways, removal, and adoption by a new driver instance. Every
 * namespace (and so every bridge and veth) is made per test and removed after
 * it, pass or fail; no address ever lives in the root namespace.
 */
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { LinuxBridgeRouterDriver } from '../../../src/network/agents/linuxbridge/router-driver.js';
import { runHostCommand } from '../../../src/network/agents/host-commands.js';
import { deviceNames, namespaceNames, type RouterState } from '../../../src/network/agents/state.js';
import { testLogger } from '../../helpers/logger.js';
import { eventually, ipIn, namespaceExists, RouterWorld, type Endpoint } from './router-driver-world.js';

const isRoot = process.getuid?.() === 0;

describe('linuxbridge router driver', { skip: isRoot ? false : 'needs root: it makes namespaces, veths, bridges and nftables rules' }, () => {
  let world: RouterWorld;
  const extraNamespaces: string[] = [];

  const newWorld = async () => {
    world = new RouterWorld();
    await world.start();
    return world;
  };
  const driver = () => new LinuxBridgeRouterDriver({ hostNamespace: world.hostNamespace, logger: testLogger });
  const withFloating = (r: RouterState, fixed: Endpoint): RouterState => ({
    ...r, floatingIps: [{ id: randomUUID(), floatingIpAddress: world.floatingAddress, fixedIpAddress: fixed.address }],
  });
  const routerNs = () => namespaceNames.router(world.routerId);
  /** A guest on netA routed by the router's interface there, and the outside, both answering with their caller's address. */
  const guestAndOutside = async () => {
    const w = await newWorld();
    const a = await w.endpoint('a', w.netA, 10, `${w.netA.prefix}.1`);
    const outside = await w.endpoint('out', w.external, 1);
    await w.serveCallerAddress(outside);
    await w.serveCallerAddress(a);
    return { w, a, outside };
  };

  afterEach(async () => {
    await world?.end();
    for (const ns of extraNamespaces.splice(0)) await runHostCommand('ip', ['netns', 'del', ns]).catch(() => undefined);
  });

  test('guests on two networks reach each other only through the router, which does not translate between them', async () => {
    const w = await newWorld();
    const a = await w.endpoint('a', w.netA, 10, `${w.netA.prefix}.1`);
    const b = await w.endpoint('b', w.netB, 10, `${w.netB.prefix}.1`);
    await w.serveCallerAddress(b);
    const l3 = driver();
    await l3.syncRouters([]);
    assert.equal(await w.pings(a, b.address), false, 'no router yet');

    const router = w.router();
    await l3.syncRouters([router]);
    await l3.syncRouters([router]);
    assert.ok(await eventually(() => w.pings(a, b.address)), 'a pings b through the router (synced twice: idempotent)');
    assert.equal(await w.callerAddress(a, b), a.address, 'b sees a\'s own address');
  });

  test('a guest reaches the outside through SNAT at the gateway address; the outside cannot reach the guest', async () => {
    const { w, a, outside } = await guestAndOutside();
    await driver().syncRouters([w.router()]);

    assert.ok(await eventually(async () => (await w.callerAddress(a, outside)) === w.gatewayAddress), 'the outside sees the gateway address');
    assert.equal(await w.callerAddress(outside, a), null, 'no route from outside to the fixed address');
  });

  test('a floating IP makes the guest reachable at it from outside and its traffic leave from it, until it is removed', async () => {
    const { w, a, outside } = await guestAndOutside();
    const l3 = driver();
    const router = w.router();
    const floating: Endpoint = { namespace: outside.namespace, address: w.floatingAddress };

    // The outside last saw the floating IP elsewhere: the router's gratuitous ARP must correct it.
    await ipIn(outside.namespace, 'neigh', 'replace', w.floatingAddress, 'lladdr', '02:00:00:00:00:01', 'dev', 'eth0', 'nud', 'stale');
    await l3.syncRouters([withFloating(router, a)]);
    assert.match(await ipIn(outside.namespace, 'neigh', 'show', w.floatingAddress), new RegExp(router.gateway!.macAddress),
      'the outside learnt the floating IP\'s new place from a gratuitous ARP');
    assert.ok(await eventually(async () => (await w.callerAddress(outside, floating)) === outside.address),
      'the guest answers at its floating IP and sees the caller\'s real address');
    assert.equal(await w.callerAddress(a, outside), w.floatingAddress, 'the guest\'s own traffic leaves from its floating IP');

    await l3.syncRouters([router]);
    assert.equal(await w.callerAddress(outside, floating), null, 'unreachable once the floating IP is gone');
    assert.equal(await w.callerAddress(a, outside), w.gatewayAddress, 'back to SNAT at the gateway address');
    const gw = await ipIn(routerNs(), '-o', 'addr', 'show', 'dev', deviceNames.routerGateway(router.gateway!.portId));
    assert.doesNotMatch(gw, new RegExp(`${w.floatingAddress}/32`), 'the /32 left the gateway');
  });

  test('a router that is administratively down has no namespace', async () => {
    const w = await newWorld();
    await driver().syncRouters([{ ...w.router(), adminStateUp: false }]);
    assert.equal(await namespaceExists(routerNs()), false);
  });

  test('removing an interface and then the router removes their veths, the namespace and the bridges left empty', async () => {
    const w = await newWorld();
    const l3 = driver();
    const router = w.router();
    await l3.syncRouters([router]);
    assert.equal(await namespaceExists(routerNs()), true);
    assert.deepEqual((await w.hostLinks()).sort(), [
      deviceNames.bridge(w.netA.id), deviceNames.bridge(w.netB.id), deviceNames.bridge(w.external.id),
      ...[...router.interfaces, router.gateway!].map((p) => deviceNames.tap(p.portId)),
    ].sort());

    const [keep, drop] = router.interfaces;
    await l3.syncRouters([{ ...router, interfaces: [keep!] }]);
    const links = await w.hostLinks();
    assert.ok(!links.includes(deviceNames.tap(drop!.portId)) && !links.includes(deviceNames.bridge(w.netB.id)), 'interface and its bridge gone');
    assert.ok(links.includes(deviceNames.tap(keep!.portId)), 'the other interface stays');
    assert.doesNotMatch(await ipIn(routerNs(), 'link', 'show'), new RegExp(deviceNames.routerInterface(drop!.portId)));

    await l3.syncRouters([]);
    assert.equal(await namespaceExists(routerNs()), false, 'namespace gone');
    assert.deepEqual(await w.hostLinks(), [], 'no veth or bridge left');
  });

  test('a new driver instance adopts the routers a previous one made, reconciles and removes them, and leaves other namespaces alone', async () => {
    const w = await newWorld();
    const a = await w.endpoint('a', w.netA, 10, `${w.netA.prefix}.1`);
    const b = await w.endpoint('b', w.netB, 10, `${w.netB.prefix}.1`);
    const router = w.router();
    await driver().syncRouters([router]);
    assert.ok(await eventually(() => w.pings(a, b.address)));
    // A router namespace some other data path (another host namespace) owns.
    const foreign = namespaceNames.router(randomUUID());
    await runHostCommand('ip', ['netns', 'add', foreign]);
    extraNamespaces.push(foreign);

    const restarted = driver();
    await restarted.syncRouters([{ ...router, interfaces: [router.interfaces[0]!] }]);
    assert.equal(await w.pings(a, b.address), false, 'the interface dropped while down is removed');
    await restarted.syncRouters([]);
    assert.equal(await namespaceExists(routerNs()), false, 'the adopted router is removed');
    assert.equal(await namespaceExists(foreign), true, 'a namespace it did not make is left alone');
  });
});
