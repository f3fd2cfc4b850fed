/**
 * Neutron's metadata agent in front of a real metadata API: the guest's
 * network and address name the instance, the agent signs for it, and nothing
 * is served for an address no server's port holds on that network.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { startMetadataAgent, guestAddress, type MetadataAgent, type MetadataPort } from '../../../src/network/agents/metadata/agent.js';
import { networkServicePortLookup } from '../../../src/network/agents/metadata/port-lookup.js';
import { SECRET, startMetadataCloud, type MetadataCloud, type TestInstance } from '../../metadata/fixtures.js';
import { databaseTargets } from '../../helpers/databases.js';
import { makeNetwork, openNetworkService, portInput } from '../fixtures.js';
import { testLogger } from '../../helpers/logger.js';
import { loadConfig } from '../../../src/conf/loader.js';
import { metadataAgentSettings, metadataProxyStateDir } from '../../../src/network/agents/metadata/config.js';

interface Reply { status: number; type: string | undefined; text: string }

function ask(socketPath: string, urlPath: string, headers: Record<string, string | string[]>, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: urlPath, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('metadata agent', () => {
  let cloud: MetadataCloud;
  let dir: string;
  let agent: MetadataAgent;
  let vm: TestInstance;
  const networkId = randomUUID();
  const otherNetworkId = randomUUID();
  const ports = new Map<string, MetadataPort>();
  const lookups: Array<[string, string]> = [];

  before(async () => {
    cloud = await startMetadataCloud();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-mdagent-'));
    vm = await cloud.addInstance({ networkId, fixedIp: '10.0.0.5' });
    ports.set(`${networkId} 10.0.0.5`, { deviceId: vm.uuid, projectId: vm.projectId, deviceOwner: 'compute:nova' });
    ports.set(`${networkId} 10.0.0.2`, { deviceId: `dhcp-${networkId}`, projectId: vm.projectId, deviceOwner: 'network:dhcp' });
    agent = await startMetadataAgent({
      socketPath: path.join(dir, 'sub', 'metadata_proxy'), novaMetadataUrl: cloud.api.url, sharedSecret: SECRET, logger: testLogger,
      lookupPort: async (net, ip) => {
        lookups.push([net, ip]);
        return ports.get(`${net} ${ip}`) ?? null;
      },
    });
  });
  after(async () => {
    await agent?.close();
    await cloud?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const from = (ip: string, net = networkId) => ({ 'X-Neutron-Network-ID': net, 'X-Forwarded-For': ip });

  test('a guest\'s request is answered with its own instance\'s metadata, signed for by the agent', async () => {
    const r = await ask(agent.socketPath, '/openstack/latest/meta_data.json', from('10.0.0.5'));
    assert.equal(r.status, 200);
    assert.equal(r.type, 'application/json');
    assert.equal(JSON.parse(r.text).uuid, vm.uuid);
    assert.deepEqual(lookups.at(-1), [networkId, '10.0.0.5']);
    const ec2 = await ask(agent.socketPath, '/latest/meta-data/local-ipv4', from('10.0.0.5'));
    assert.equal(ec2.text, '10.0.0.5');
    assert.match(ec2.type!, /^text\/plain/);
  });

  test('the same address on another network gets 404: the agent never serves another network\'s instance', async () => {
    const r = await ask(agent.socketPath, '/openstack/latest/meta_data.json', from('10.0.0.5', otherNetworkId));
    assert.equal(r.status, 404);
    assert.match(r.text, /^404 Not Found/);
    assert.ok(!r.text.includes(vm.uuid));
  });

  test('an address no port holds, or a port that is not a server\'s, gets 404', async () => {
    assert.equal((await ask(agent.socketPath, '/openstack/latest/meta_data.json', from('10.0.0.66'))).status, 404);
    assert.equal((await ask(agent.socketPath, '/openstack/latest/meta_data.json', from('10.0.0.2'))).status, 404);
  });

  test('requests the proxy did not shape are refused: no network, a router id too, a doubled or bogus address', async () => {
    assert.equal((await ask(agent.socketPath, '/latest/meta-data/', { 'X-Forwarded-For': '10.0.0.5' })).status, 404);
    assert.equal((await ask(agent.socketPath, '/latest/meta-data/', { ...from('10.0.0.5'), 'X-Neutron-Router-ID': randomUUID() })).status, 404);
    assert.equal((await ask(agent.socketPath, '/latest/meta-data/', { 'X-Neutron-Network-ID': networkId, 'X-Forwarded-For': ['10.0.0.5', '10.0.0.5'] })).status, 404);
    assert.equal((await ask(agent.socketPath, '/latest/meta-data/', from('not-an-address'))).status, 404);
    // Whatever identity a guest claims itself is replaced by the agent's.
    const other = await cloud.addInstance();
    const r = await ask(agent.socketPath, '/openstack/latest/meta_data.json', { ...from('10.0.0.5'), 'X-Instance-ID': other.uuid, 'X-Tenant-ID': other.projectId });
    assert.equal(JSON.parse(r.text).uuid, vm.uuid);
  });

  test('an IPv4-mapped IPv6 source is read as the IPv4 address', () => {
    assert.equal(guestAddress('::ffff:10.0.0.5'), '10.0.0.5');
    assert.equal(guestAddress('fe80::1'), 'fe80::1');
    assert.equal(guestAddress('10.0.0.5, 10.0.0.6'), null);
  });

  test('a body reaches the metadata API: the guest sets its password through the agent', async () => {
    const pw = await ask(agent.socketPath, '/openstack/latest/password', { ...from('10.0.0.5'), 'Content-Type': 'text/plain' }, 'POST', 'secret-blob');
    assert.equal(pw.status, 200);
    assert.equal((await ask(agent.socketPath, '/openstack/latest/password', from('10.0.0.5'))).text, 'secret-blob');
    assert.equal((await ask(agent.socketPath, '/openstack/latest/password', from('10.0.0.5'), 'POST', 'again')).status, 409);
  });

  test('an agent with the wrong secret is refused by the metadata API, and says 403', async () => {
    const wrong = await startMetadataAgent({
      socketPath: path.join(dir, 'wrong.sock'), novaMetadataUrl: cloud.api.url, sharedSecret: 'not-the-secret', logger: testLogger,
      lookupPort: async () => ports.get(`${networkId} 10.0.0.5`)!,
    });
    try {
      const r = await ask(wrong.socketPath, '/openstack/latest/meta_data.json', from('10.0.0.5'));
      assert.equal(r.status, 403);
      assert.ok(!r.text.includes(vm.uuid));
    } finally {
      await wrong.close();
    }
    assert.ok(!fs.existsSync(path.join(dir, 'wrong.sock')));
  });

  test('a socket left behind by an earlier agent is replaced', async () => {
    const stale = path.join(dir, 'stale.sock');
    fs.writeFileSync(stale, '');
    const again = await startMetadataAgent({ socketPath: stale, novaMetadataUrl: cloud.api.url, sharedSecret: SECRET, logger: testLogger, lookupPort: async () => null });
    try {
      assert.ok(fs.statSync(stale).isSocket());
      assert.equal((await ask(stale, '/', from('10.0.0.5'))).status, 404);
    } finally {
      await again.close();
    }
  });
});

describe('metadata agent port lookup on the network service', () => {
  test('finds the server port holding the address on that network, and nothing on another', async () => {
    const [sqlite] = await databaseTargets();
    const fx = await openNetworkService(sqlite!);
    try {
      const a = await makeNetwork(fx.svc, { cidr: '10.9.0.0/24' });
      const b = await makeNetwork(fx.svc, { cidr: '10.9.0.0/24', name: 'twin' });
      const [port] = await fx.svc.ports.create([portInput(a.networkId, { device_id: 'vm-uuid', device_owner: 'compute:nova', fixed_ips: [{ ip_address: '10.9.0.7' }] })]);
      await fx.svc.ports.create([portInput(b.networkId, { device_id: 'other-vm', device_owner: 'compute:nova', fixed_ips: [{ ip_address: '10.9.0.8' }] })]);
      const lookup = networkServicePortLookup(fx.svc);
      assert.deepEqual(await lookup(a.networkId, '10.9.0.7'), { deviceId: 'vm-uuid', projectId: port!.port.project_id, deviceOwner: 'compute:nova' });
      assert.equal(await lookup(b.networkId, '10.9.0.7'), null);
      assert.equal(await lookup(a.networkId, '10.9.0.8'), null);
    } finally {
      await fx.dispose();
    }
  });
});

describe('metadata agent settings', () => {
  test('the socket defaults to the state directory, and an all-in-one\'s picked port wins over nova_metadata_port', () => {
    const conf = loadConfig({ env: {}, overrides: { DEFAULT: { state_path: '/var/lib/kn', nova_metadata_host: '::1' }, neutron: { metadata_proxy_shared_secret: 's3' } } });
    assert.deepEqual(metadataAgentSettings(conf), { socketPath: '/var/lib/kn/metadata_proxy', novaMetadataUrl: 'http://[::1]:8775', sharedSecret: 's3' });
    assert.equal(metadataAgentSettings(conf, 40123).novaMetadataUrl, 'http://[::1]:40123');
    assert.equal(metadataProxyStateDir(conf), '/var/lib/kn/ns-metadata-proxy');
    const explicit = loadConfig({ env: {}, overrides: { DEFAULT: { metadata_proxy_socket: '/run/kn/md.sock' } } });
    assert.equal(metadataAgentSettings(explicit).socketPath, '/run/kn/md.sock');
  });
});
