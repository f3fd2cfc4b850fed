/**
 * The contract of the image, network and placement clients a compute host
 * uses (src/compute/clients.ts), defined once and run against both
 * implementations: the services' Node APIs in-process, and the HTTP clients
 * pointed at the same running all-in-one as a service user. The same calls
 * must give the same results and the same errors, so a caller cannot tell
 * which one it has.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { ApiError, BadRequest, Conflict, Forbidden, NotFound } from '../../../src/errors.js';
import type { AuthContext } from '../../../src/http/auth.js';
import type { ImageClient, NetworkClient, PlacementClient } from '../../../src/compute/clients.js';
import type { ImageDataSource } from '../../../src/virt/libvirt/image-backend.js';
import { HttpImageClient } from '../../../src/compute/clients/http-image-client.js';
import { HttpNetworkClient } from '../../../src/compute/clients/http-network-client.js';
import { HttpPlacementClient } from '../../../src/compute/clients/http-placement-client.js';
import { KeystoneSession, ServiceAuthFailed } from '../../../src/compute/clients/keystone-session.js';
import { startTestCloud, ADMIN_PASSWORD, type TestCloud } from '../../helpers/cloud.js';
import { privateNetworkId } from '../fixtures.js';

interface Clients {
  images: ImageClient & ImageDataSource;
  network: NetworkClient;
  placement: PlacementClient;
  /** The HTTP implementation's sessions (none in-process). */
  sessions?: KeystoneSession[];
}

let cloud: TestCloud;
let admin: AuthContext;
let demo: AuthContext;

before(async () => {
  cloud = await startTestCloud();
  const validate = async (who: 'admin' | 'demo') => {
    const ctx = await cloud.services.identity.validateToken(await cloud.token(who));
    assert.ok(ctx);
    return ctx;
  };
  admin = await validate('admin');
  demo = await validate('demo');
});
after(async () => cloud?.close());

function serviceSession(): KeystoneSession {
  return new KeystoneSession({
    authUrl: `${cloud.url}/identity`, username: 'admin', password: ADMIN_PASSWORD, projectName: 'admin',
    userDomainName: 'Default', projectDomainName: 'Default', regionName: '', validInterfaces: ['internal', 'public'],
    endpointOverride: '', timeoutMs: 30_000,
  });
}

const IMPLEMENTATIONS: Array<{ name: string; make: () => Clients }> = [
  {
    name: 'in-process',
    make: () => ({ images: cloud.services.images, network: cloud.services.network, placement: cloud.services.placement }),
  },
  {
    name: 'over HTTP',
    make: () => {
      const sessions = [serviceSession(), serviceSession(), serviceSession()];
      return {
        images: new HttpImageClient(sessions[0]!), network: new HttpNetworkClient(sessions[1]!), placement: new HttpPlacementClient(sessions[2]!), sessions,
      };
    },
  },
];

async function rejectsWith(work: Promise<unknown>, type: new (...args: any[]) => ApiError, message?: RegExp): Promise<void> {
  await assert.rejects(work, (err: unknown) => {
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
    if (message) assert.match((err as Error).message, message);
    return true;
  });
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

for (const impl of IMPLEMENTATIONS) {
  describe(`ImageClient ${impl.name}`, () => {
    let c: Clients;
    before(() => { c = impl.make(); });

    test('an image is created queued, found by id and by list, and pages carry a next marker', async () => {
      const name = `contract-${randomUUID()}`;
      const made = await c.images.createImage({ name, disk_format: 'raw', container_format: 'bare', hw_foo: 'bar' }, demo);
      assert.equal(made.status, 'queued');
      assert.equal(made.name, name);
      assert.equal(made.hw_foo, 'bar');
      const got = await c.images.getImage(made.id, demo);
      assert.equal(got.id, made.id);
      assert.equal(got.owner, demo.projectId);
      const listed = await c.images.listImages({ name }, demo);
      assert.deepEqual(listed.images.map((i) => i.id), [made.id]);
      const second = await c.images.createImage({ name, disk_format: 'raw', container_format: 'bare' }, demo);
      const page = await c.images.listImages({ name, limit: '1' }, demo);
      assert.equal(page.images.length, 1);
      assert.equal(page.nextMarker, page.images[0]!.id);
      const rest = await c.images.listImages({ name, limit: '1', marker: page.nextMarker! }, demo);
      assert.deepEqual([...page.images, ...rest.images].map((i) => i.id).sort(), [made.id, second.id].sort());
    });

    test('image data streams up, makes the image active, and streams back out', async () => {
      const made = await c.images.createImage({ name: 'data', disk_format: 'raw', container_format: 'bare' }, demo);
      const data = Buffer.alloc(256 * 1024, 9);
      await c.images.uploadImageData(made.id, Readable.from([data.subarray(0, 1000), data.subarray(1000)]), demo, { contentLength: data.length });
      const active = await c.images.getImage(made.id, demo);
      assert.equal(active.status, 'active');
      assert.equal(active.size, data.length);
      const opened = await c.images.openImageData(made.id);
      assert.equal(opened.size, data.length);
      assert.equal(opened.diskFormat, 'raw');
      assert.ok((await bytesOf(opened.stream)).equals(data));
      await rejectsWith(c.images.uploadImageData(made.id, Readable.from([Buffer.from('again')]), demo), Conflict, /transition from active/);
    });

    test('properties are replaced whole; a reserved attribute is refused', async () => {
      const made = await c.images.createImage({ name: 'props', disk_format: 'raw', container_format: 'bare', old_one: 'x', kept: '1' }, demo);
      const after = await c.images.replaceImageProperties(made.id, { kept: '2', new_one: 'y' }, demo);
      assert.equal(after.kept, '2');
      assert.equal(after.new_one, 'y');
      assert.equal(after.old_one, undefined);
      assert.equal(after.name, 'props');
      await rejectsWith(c.images.replaceImageProperties(made.id, { status: 'active' }, demo), Forbidden, /reserved/);
    });

    test('an unknown image is NotFound; a deleted one is gone; another project cannot see a private one', async () => {
      await rejectsWith(c.images.getImage(randomUUID(), demo), NotFound);
      const made = await c.images.createImage({ name: 'doomed', disk_format: 'raw', container_format: 'bare', visibility: 'private' }, admin);
      await rejectsWith(c.images.getImage(made.id, demo), NotFound);
      await rejectsWith(c.images.deleteImage(made.id, demo), NotFound);
      await c.images.deleteImage(made.id, admin);
      await rejectsWith(c.images.getImage(made.id, admin), NotFound);
      await rejectsWith(c.images.openImageData(randomUUID()), NotFound);
    });
  });

  describe(`NetworkClient ${impl.name}`, () => {
    let c: Clients;
    let privateNet: string;
    const userPort = async (who: 'admin' | 'demo' = 'demo') => {
      const res = await cloud.request('POST', '/network/v2.0/ports', { who, body: { port: { network_id: privateNet, name: 'mine' } } });
      assert.equal(res.status, 201, JSON.stringify(res.json));
      return res.json.port.id as string;
    };
    const portOf = async (id: string) => (await cloud.request('GET', `/network/v2.0/ports/${id}`)).json?.port;
    before(async () => {
      c = impl.make();
      privateNet = await privateNetworkId(cloud);
    });

    test('requested networks are checked with the in-process wording', async () => {
      await c.network.validateNetworks(demo, [{ networkId: privateNet }]);
      const missing = randomUUID();
      await rejectsWith(c.network.validateNetworks(demo, [{ networkId: missing }]), BadRequest, new RegExp(`Network ${missing} could not be found`));
      await rejectsWith(c.network.validateNetworks(demo, [{ portId: missing }]), BadRequest, new RegExp(`Port ${missing} could not be found`));
      await rejectsWith(c.network.validateNetworks(demo, [{ networkId: privateNet, fixedIp: '192.168.77.5' }]), BadRequest, /not valid on network/);
      const port = await userPort();
      await rejectsWith(c.network.validateNetworks(demo, [{ portId: port }, { portId: port }]), Conflict, /still in use/);
      assert.deepEqual(await c.network.networksForAutoAllocation(demo), [{ networkId: privateNet }]);
    });

    test('a server\'s ports are made and bound, listed, moved to another host, and released on deallocation', async () => {
      const instance = randomUUID();
      const mine = await userPort();
      const vifs = await c.network.allocateForInstance({
        instanceUuid: instance, projectId: demo.projectId, userId: demo.userId, host: 'host-a', requested: [{ networkId: privateNet }, { portId: mine }],
      });
      assert.equal(vifs.length, 2);
      const [made, brought] = vifs as Array<Record<string, any>>;
      assert.equal(brought!.id, mine);
      assert.equal(made!.network.id, privateNet);
      assert.equal(made!.network.label, 'private');
      assert.equal(made!.type, 'bridge');
      assert.equal(made!.devname, `tap${made!.id.slice(0, 11)}`);
      assert.equal(made!.preserve_on_delete, false);
      assert.equal(brought!.preserve_on_delete, true);
      assert.equal(made!.network.subnets[0].ips.length, 1);
      assert.equal(made!.network.subnets[0].gateway.address, '10.0.0.1');

      const ports = await c.network.instancePorts(instance);
      // In creation order: the user's port was there first.
      assert.deepEqual(ports.map((p) => p.id), [mine, made!.id]);
      assert.ok(ports.every((p) => p.device_id === instance && p.fixed_ips.length === 1));
      assert.deepEqual(await c.network.findPort(mine), ports[0]);
      assert.equal(await c.network.findPort(randomUUID()), undefined);

      await c.network.bindInstancePorts(instance, 'host-b');
      assert.equal((await portOf(made!.id))['binding:host_id'], 'host-b');
      assert.equal((await portOf(mine))['binding:host_id'], 'host-b');

      await c.network.deallocateForInstance(instance);
      assert.equal(await portOf(made!.id), undefined, 'the port compute made is deleted');
      const released = await portOf(mine);
      assert.equal(released.device_id, '');
      assert.equal(released['binding:host_id'], '');
      assert.deepEqual(await c.network.instancePorts(instance), []);
    });

    test('a port already in use fails the allocation and leaves nothing behind', async () => {
      const first = randomUUID();
      const port = await userPort();
      await c.network.allocateForInstance({ instanceUuid: first, projectId: demo.projectId, userId: demo.userId, host: 'h', requested: [{ portId: port }] });
      const second = randomUUID();
      await rejectsWith(c.network.allocateForInstance({
        instanceUuid: second, projectId: demo.projectId, userId: demo.userId, host: 'h', requested: [{ networkId: privateNet }, { portId: port }],
      }), Conflict, new RegExp(`Port ${port} is still in use`));
      assert.deepEqual(await c.network.instancePorts(second), []);
      await c.network.deallocateForInstance(first);
    });

    test('detaching takes one port off: compute\'s is deleted, the user\'s released, a stranger\'s refused', async () => {
      const instance = randomUUID();
      const mine = await userPort();
      const [made] = await c.network.allocateForInstance({
        instanceUuid: instance, projectId: demo.projectId, userId: demo.userId, host: 'h', requested: [{ networkId: privateNet }, { portId: mine }],
      });
      assert.equal(await c.network.detachPort(randomUUID(), mine), false);
      assert.equal(await c.network.detachPort(instance, mine), true);
      assert.equal((await portOf(mine)).device_id, '');
      assert.equal(await c.network.detachPort(instance, made!.id), true);
      assert.equal(await portOf(made!.id), undefined);
      assert.equal(await c.network.detachPort(instance, made!.id), false);
    });

    test('network summaries are the caller\'s view; an unknown network is NotFound', async () => {
      const nets = await c.network.listNetworkSummaries(demo);
      assert.ok(nets.some((n) => n.id === privateNet && n.name === 'private'));
      assert.deepEqual(await c.network.getNetworkSummary(demo, privateNet), nets.find((n) => n.id === privateNet));
      await rejectsWith(c.network.getNetworkSummary(demo, randomUUID()), NotFound);
    });

    test('security groups and rules are made, found, changed and removed; unknown ones are NotFound', async () => {
      const name = `sg-${randomUUID().slice(0, 8)}`;
      const group = await c.network.createSecurityGroup(demo, { name, description: 'web' });
      assert.equal(group.project_id, demo.projectId);
      assert.equal(group.name, name);
      assert.ok((await c.network.listSecurityGroups(demo, { allProjects: false })).some((g) => g.id === group.id));
      assert.ok((await c.network.listSecurityGroups(demo, { allProjects: false })).some((g) => g.name === 'default'));
      assert.equal((await c.network.findSecurityGroup(demo, name)).id, group.id);
      assert.equal((await c.network.findSecurityGroup(demo, group.id)).name, name);
      await rejectsWith(c.network.findSecurityGroup(demo, `nope-${name}`), NotFound);
      const renamed = await c.network.updateSecurityGroup(demo, group.id, { description: 'www' });
      assert.equal(renamed.description, 'www');
      const rule = await c.network.createSecurityGroupRule(demo, {
        security_group_id: group.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22,
        remote_ip_prefix: '0.0.0.0/0', remote_group_id: null,
      });
      assert.equal((await c.network.getSecurityGroupRule(demo, rule.id)).port_range_min, 22);
      assert.ok((await c.network.getSecurityGroup(demo, group.id)).security_group_rules.some((r) => r.id === rule.id));
      await c.network.deleteSecurityGroupRule(demo, rule.id);
      await rejectsWith(c.network.getSecurityGroupRule(demo, rule.id), NotFound);
      assert.deepEqual((await c.network.securityGroupsByIds([group.id])).map((g) => g.id), [group.id]);
      await c.network.deleteSecurityGroup(demo, group.id);
      await rejectsWith(c.network.getSecurityGroup(demo, group.id), NotFound);
    });

    test('an instance\'s ports carry the groups set on them', async () => {
      const instance = randomUUID();
      const [vif] = await c.network.allocateForInstance({ instanceUuid: instance, projectId: demo.projectId, userId: demo.userId, host: 'h', requested: [{ networkId: privateNet }] });
      const g1 = await c.network.createSecurityGroup(demo, { name: `a-${randomUUID().slice(0, 6)}`, description: '' });
      const g2 = await c.network.createSecurityGroup(demo, { name: `b-${randomUUID().slice(0, 6)}`, description: '' });
      await c.network.setPortSecurityGroups(vif!.id, [g1.id, g2.id]);
      assert.deepEqual(await c.network.instancePortSecurityGroups(instance), [{ portId: vif!.id, groupIds: [g1.id, g2.id].sort() }]);
      await c.network.setPortSecurityGroups(vif!.id, [g2.id]);
      assert.deepEqual(await c.network.instancePortSecurityGroups(instance), [{ portId: vif!.id, groupIds: [g2.id] }]);
      await c.network.deallocateForInstance(instance);
    });
  });

  describe(`PlacementClient ${impl.name}`, () => {
    let c: Clients;
    let rp: string;
    before(async () => {
      c = impl.make();
      rp = randomUUID();
      // Custom classes are made by whoever defines them, not by the inventory that names them.
      await cloud.services.placement.ensureResourceClass('CUSTOM_CONTRACT');
      await c.placement.ensureResourceProvider({ uuid: rp, name: `contract-${rp}` });
      // Twice is the same provider: ensuring is idempotent.
      const again = await c.placement.ensureResourceProvider({ uuid: rp, name: `contract-${rp}` }) as { uuid: string };
      assert.equal(again.uuid, rp);
      await c.placement.setInventories(rp, { CUSTOM_CONTRACT: { total: 10, max_unit: 10 } });
    });

    test('candidates offer the provider; a claim holds, shows, and is released', async () => {
      const { allocationRequests, providerSummaries } = await c.placement.getAllocationCandidates({ resources: { CUSTOM_CONTRACT: 4 } });
      assert.ok(allocationRequests.some((a) => a.allocations[rp]?.resources.CUSTOM_CONTRACT === 4));
      assert.deepEqual((providerSummaries[rp] as { resources: unknown }).resources, { CUSTOM_CONTRACT: { capacity: 10, used: 0 } });
      const consumer = randomUUID();
      const claimed = await c.placement.claimResources({
        consumerUuid: consumer, allocations: { [rp]: { resources: { CUSTOM_CONTRACT: 4 } } }, projectId: demo.projectId, userId: demo.userId, consumerGeneration: null,
      });
      assert.equal(claimed, true);
      assert.deepEqual((await c.placement.getAllocations(consumer)).allocations[rp]?.resources, { CUSTOM_CONTRACT: 4 });
      assert.equal(await c.placement.deleteAllocations(consumer), true);
      assert.deepEqual((await c.placement.getAllocations(consumer)).allocations, {});
      assert.equal(await c.placement.deleteAllocations(consumer), false);
    });

    test('a claim beyond the capacity is refused with false; a stale consumer generation is a Conflict', async () => {
      const consumer = randomUUID();
      const base = { consumerUuid: consumer, projectId: demo.projectId, userId: demo.userId };
      assert.equal(await c.placement.claimResources({ ...base, allocations: { [rp]: { resources: { CUSTOM_CONTRACT: 11 } } }, consumerGeneration: null }), false);
      assert.equal(await c.placement.claimResources({ ...base, allocations: { [rp]: { resources: { CUSTOM_CONTRACT: 2 } } }, consumerGeneration: null }), true);
      await rejectsWith(c.placement.claimResources({ ...base, allocations: { [rp]: { resources: { CUSTOM_CONTRACT: 3 } } }, consumerGeneration: null }), Conflict, /consumer generation conflict/);
      assert.deepEqual((await c.placement.getAllocations(consumer)).allocations[rp]?.resources, { CUSTOM_CONTRACT: 2 });
      await c.placement.deleteAllocations(consumer);
    });

    test('inventories set again replace the old ones', async () => {
      const other = randomUUID();
      await c.placement.ensureResourceProvider({ uuid: other, name: `contract-${other}` });
      await c.placement.setInventories(other, { CUSTOM_CONTRACT: { total: 1 } });
      await c.placement.setInventories(other, { CUSTOM_CONTRACT: { total: 3 } });
      const { providerSummaries } = await c.placement.getAllocationCandidates({ resources: { CUSTOM_CONTRACT: 3 } });
      assert.equal((providerSummaries[other] as { resources: Record<string, { capacity: number }> }).resources.CUSTOM_CONTRACT!.capacity, 3);
    });
  });
}

describe('the HTTP clients\' service token', () => {
  test('a revoked service token is renewed once and the call succeeds', async () => {
    const session = serviceSession();
    const images = new HttpImageClient(session);
    const made = await images.createImage({ name: 'renewal', disk_format: 'raw', container_format: 'bare' }, admin);
    const first = await session.token();
    const revoked = await fetch(`${cloud.url}/identity/v3/auth/tokens`, { method: 'DELETE', headers: { 'x-auth-token': first, 'x-subject-token': first } });
    assert.equal(revoked.status, 204);
    // No user token: the call is the service user's alone, so the revoked token is what the image service sees.
    const seen = await new HttpPlacementClient(session).getAllocations(randomUUID());
    assert.deepEqual(seen.allocations, {});
    assert.notEqual(await session.token(), first, 'a new token was issued');
    assert.equal((await images.openImageData(made.id).catch((e: Error) => e)).constructor, Conflict, 'a queued image is not readable, with the same error as in-process');
  });

  test('a token about to expire is renewed before it is used', async () => {
    // Tokens valid for less than keystoneauth's 30 s margin are stale as soon as they are issued.
    const shortLived = await startTestCloud({ token: { expiration: '20' } });
    try {
      const session = new KeystoneSession({
        authUrl: `${shortLived.url}/identity`, username: 'admin', password: ADMIN_PASSWORD, projectName: 'admin',
        userDomainName: 'Default', projectDomainName: 'Default', regionName: '', validInterfaces: ['public'], endpointOverride: '', timeoutMs: 30_000,
      });
      const first = await session.token();
      assert.deepEqual((await new HttpPlacementClient(session).getAllocations(randomUUID())).allocations, {});
      assert.notEqual(await session.token(), first);
    } finally {
      await shortLived.close();
    }
  });

  test('a wrong service password is this host\'s failure (no 401 for the user), named without the password', async () => {
    const session = new KeystoneSession({
      authUrl: `${cloud.url}/identity`, username: 'admin', password: 'wrong-secret', projectName: 'admin',
      userDomainName: 'Default', projectDomainName: 'Default', regionName: '', validInterfaces: ['public'], endpointOverride: '', timeoutMs: 30_000,
    });
    await assert.rejects(new HttpPlacementClient(session).getAllocations(randomUUID()), (err: Error) => {
      assert.ok(err instanceof ServiceAuthFailed);
      assert.ok(!(err instanceof ApiError));
      assert.match(err.message, /service user admin/);
      assert.doesNotMatch(err.message, /wrong-secret/);
      return true;
    });
  });
});
