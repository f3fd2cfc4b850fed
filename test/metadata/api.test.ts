/**
 * Nova's metadata API behind Neutron's proxy: who may read what (the signed
 * instance id, the tenant), Nova's status codes, and the EC2 and OpenStack
 * trees of one instance as a guest reads them.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { signInstanceId, instanceSignatureValid } from '../../src/metadata/signature.js';
import { SECRET, startMetadataCloud, type MetadataCloud, type TestInstance } from './fixtures.js';

interface Reply { status: number; type: string | null; text: string }

describe('metadata API', () => {
  let cloud: MetadataCloud;
  let vm: TestInstance;

  before(async () => {
    cloud = await startMetadataCloud();
    vm = await cloud.addInstance({ name: 'web-1', metadata: { role: 'web' } });
  });
  after(async () => cloud?.close());

  async function get(path: string, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<Reply> {
    const res = await fetch(`${cloud.api.url}${path}`, { ...init, headers });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  }

  function signed(instance: TestInstance, over: Record<string, string> = {}): Record<string, string> {
    return {
      'X-Instance-ID': instance.uuid, 'X-Tenant-ID': instance.projectId,
      'X-Instance-ID-Signature': signInstanceId(SECRET, instance.uuid), 'X-Forwarded-For': '10.0.0.5', ...over,
    };
  }

  test('the signature is the HMAC-SHA256 of the instance id under the shared secret', () => {
    // A value computed independently: python3 -c "import hmac,hashlib; print(hmac.new(b'k', b'i', hashlib.sha256).hexdigest())"
    assert.equal(signInstanceId('k', 'i'), '0ceac8835f87631f849f34fd2045c51cfddd172d7cd65122750c3f8ae0fb3494');
    assert.ok(instanceSignatureValid('k', 'i', signInstanceId('k', 'i')));
    assert.ok(!instanceSignatureValid('k', 'i', signInstanceId('other', 'i')));
    assert.ok(!instanceSignatureValid('k', 'i', signInstanceId('k', 'i').slice(0, 63)));
  });

  test('the version list at / needs no identification', async () => {
    const r = await get('/');
    assert.equal(r.status, 200);
    assert.match(r.type!, /^text\/plain/);
    assert.deepEqual(r.text.split('\n'), ['1.0', '2007-01-19', '2007-03-01', '2007-08-29', '2007-10-10', '2007-12-15', '2008-02-01', '2008-09-01', '2009-04-04', 'latest']);
  });

  test('a request without the headers is refused with 400, naming the missing header', async () => {
    const none = await get('/openstack/latest/meta_data.json');
    assert.equal(none.status, 400);
    assert.match(none.text, /^400 Bad Request\n\nX-Instance-ID header is missing from request\./);
    const { 'X-Instance-ID-Signature': _s, ...unsigned } = signed(vm);
    const noSig = await get('/openstack/latest/meta_data.json', unsigned);
    assert.equal(noSig.status, 400);
    assert.match(noSig.text, /X-Instance-ID-Signature header is missing/);
    const { 'X-Tenant-ID': _t, ...noTenant } = signed(vm);
    assert.equal((await get('/latest/meta-data/', noTenant)).status, 400);
  });

  test('a wrong signature is refused with 403, and so is one made with another secret', async () => {
    const bad = await get('/openstack/latest/meta_data.json', signed(vm, { 'X-Instance-ID-Signature': 'f'.repeat(64) }));
    assert.equal(bad.status, 403);
    assert.match(bad.type!, /^text\/plain/);
    assert.match(bad.text, /^403 Forbidden\n\nInvalid proxy request signature\./);
    const other = await get('/latest/meta-data/instance-id', signed(vm, { 'X-Instance-ID-Signature': signInstanceId('not-the-secret', vm.uuid) }));
    assert.equal(other.status, 403);
    // A signature of one instance does not open another.
    const other2 = await cloud.addInstance();
    assert.equal((await get('/latest/meta-data/', signed(vm, { 'X-Instance-ID': other2.uuid }))).status, 403);
  });

  test('an unknown instance and a tenant that is not the instance\'s get 404', async () => {
    const ghost = randomUUID();
    const unknown = await get('/openstack/latest/meta_data.json', signed({ uuid: ghost, projectId: vm.projectId, id: 0 }));
    assert.equal(unknown.status, 404);
    assert.match(unknown.text, /^404 Not Found\n\nThe resource could not be found\./);
    const wrongTenant = await get('/openstack/latest/meta_data.json', signed(vm, { 'X-Tenant-ID': 'someone-else' }));
    assert.equal(wrongTenant.status, 404);
  });

  test('meta_data.json is the instance\'s, as JSON', async () => {
    const r = await get('/openstack/latest/meta_data.json', signed(vm));
    assert.equal(r.status, 200);
    assert.equal(r.type, 'application/json');
    const md = JSON.parse(r.text);
    assert.equal(md.uuid, vm.uuid);
    assert.equal(md.name, 'web-1');
    assert.equal(md.hostname, 'web-1.novalocal');
    assert.equal(md.project_id, vm.projectId);
    assert.deepEqual(md.meta, { role: 'web' });
    assert.deepEqual(md.public_keys, { mykey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample test@kilonova' });
    assert.deepEqual(md.keys, [{ name: 'mykey', type: 'ssh', data: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample test@kilonova' }]);
    // Older versions lack what came later.
    const folsom = JSON.parse((await get('/openstack/2012-08-10/meta_data.json', signed(vm))).text);
    assert.equal(folsom.project_id, undefined);
    assert.equal(folsom.random_seed, undefined);
  });

  test('the OpenStack tree lists its versions and each version\'s files', async () => {
    const versions = (await get('/openstack', signed(vm))).text.split('\n');
    assert.equal(versions[0], '2012-08-10');
    assert.equal(versions.at(-1), 'latest');
    assert.deepEqual((await get('/openstack/latest', signed(vm))).text.split('\n'),
      ['meta_data.json', 'user_data', 'password', 'vendor_data.json', 'network_data.json', 'vendor_data2.json']);
    assert.deepEqual((await get('/openstack/2012-08-10/', signed(vm))).text.split('\n'), ['meta_data.json', 'user_data']);
    assert.equal((await get('/openstack/2011-01-01/meta_data.json', signed(vm))).status, 404);
    assert.equal((await get('/openstack/latest/nothing.json', signed(vm))).status, 404);
  });

  test('user data comes back as the bytes given at boot; without any it is 404 and not listed', async () => {
    const r = await get('/openstack/latest/user_data', signed(vm));
    assert.equal(r.status, 200);
    assert.equal(r.text, '#!/bin/sh\necho hello\n');
    assert.equal((await get('/latest/user-data', signed(vm))).text, '#!/bin/sh\necho hello\n');
    const bare = await cloud.addInstance({ userData: null, keyName: null, keyData: null });
    assert.equal((await get('/openstack/latest/user_data', signed(bare))).status, 404);
    assert.equal((await get('/latest/user-data', signed(bare))).status, 404);
    assert.ok(!(await get('/openstack/latest', signed(bare))).text.split('\n').includes('user_data'));
    assert.deepEqual((await get('/latest', signed(bare))).text.split('\n'), ['meta-data/']);
    // No key pair: no public-keys directory.
    assert.ok(!(await get('/latest/meta-data/', signed(bare))).text.split('\n').includes('public-keys/'));
  });

  test('network_data.json and the vendor data are served as Nova serves them', async () => {
    const net = await get('/openstack/latest/network_data.json', signed(vm));
    assert.equal(net.status, 200);
    assert.match(net.type!, /^text\/plain/);
    const nd = JSON.parse(net.text);
    assert.equal(nd.networks[0].ip_address, '10.0.0.5');
    assert.equal(nd.links[0].ethernet_mac_address, 'fa:16:3e:00:00:01');
    const vd = await get('/openstack/latest/vendor_data.json', signed(vm));
    assert.equal(vd.type, 'application/json');
    assert.deepEqual(JSON.parse(vd.text), {});
    assert.deepEqual(JSON.parse((await get('/openstack/latest/vendor_data2.json', signed(vm))).text), { static: {} });
    assert.equal((await get('/openstack/2013-04-04/vendor_data.json', signed(vm))).status, 404);
  });

  test('the EC2 tree: directory listings, leaves and the public key', async () => {
    const listing = (await get('/latest/meta-data/', signed(vm))).text.split('\n');
    for (const entry of ['ami-id', 'hostname', 'instance-id', 'local-ipv4', 'placement/', 'public-keys/', 'block-device-mapping/', 'security-groups']) {
      assert.ok(listing.includes(entry), `${entry} listed in ${listing.join(',')}`);
    }
    assert.deepEqual(listing, [...listing].sort());
    assert.equal((await get('/latest/meta-data/instance-id', signed(vm))).text, `i-${vm.id.toString(16).padStart(8, '0')}`);
    assert.equal((await get('/latest/meta-data/hostname', signed(vm))).text, 'web-1.novalocal');
    assert.equal((await get('/latest/meta-data/local-ipv4', signed(vm))).text, '10.0.0.5');
    assert.equal((await get('/latest/meta-data/placement/availability-zone', signed(vm))).text, 'nova');
    assert.equal((await get('/latest/meta-data/security-groups', signed(vm))).text, 'default');
    assert.equal((await get('/latest/meta-data/public-keys/', signed(vm))).text, '0=mykey');
    assert.equal((await get('/latest/meta-data/public-keys/0/', signed(vm))).text, 'openssh-key');
    assert.equal((await get('/latest/meta-data/public-keys/0/openssh-key', signed(vm))).text, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample test@kilonova');
    // The same tree answers under /ec2 and at a dated version; unknown paths and versions are 404.
    assert.equal((await get('/ec2/2009-04-04/meta-data/hostname', signed(vm))).text, 'web-1.novalocal');
    assert.equal((await get('/1.0/meta-data/local-hostname', signed(vm))).status, 404);
    assert.equal((await get('/latest/meta-data/no-such-key', signed(vm))).status, 404);
    assert.equal((await get('/latest/meta-data/hostname/deeper', signed(vm))).status, 404);
    assert.equal((await get('/2010-01-01/meta-data/', signed(vm))).status, 404);
    assert.equal((await get('/ec2', signed(vm))).text.split('\n').at(-1), 'latest');
  });

  test('the guest may set its password once; a second one is a conflict', async () => {
    const pwVm = await cloud.addInstance();
    assert.equal((await get('/openstack/latest/password', signed(pwVm))).text, '');
    const set = await get('/openstack/latest/password', signed(pwVm), { method: 'POST', body: 'encrypted-password' });
    assert.equal(set.status, 200);
    assert.equal((await get('/openstack/latest/password', signed(pwVm))).text, 'encrypted-password');
    const again = await get('/openstack/latest/password', signed(pwVm), { method: 'POST', body: 'another' });
    assert.equal(again.status, 409);
    const tooBig = await get('/openstack/latest/password', signed(await cloud.addInstance()), { method: 'POST', body: 'x'.repeat(1021) });
    assert.equal(tooBig.status, 400);
  });
});
