/**
 * The config drive's file tree: which files exist for which versions, and what
 * meta_data.json, network_data.json, user_data and the EC2 tree hold.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  buildInstanceMetadataFiles, decodeUserData, dumpAsBytes, getNetworkMetadata, InstanceMetadataError,
  instanceMetadataSource, netmaskFromPrefix, OPENSTACK_VERSIONS, type InstanceMetadataSource, type MetadataVif,
} from '../../src/metadata/instance-metadata.js';
import { buildNetworkInfo, type Vif } from '../../src/network/network-info.js';
import type { DriverInstance, VifInfo } from '../../src/virt/driver.js';

const PORT_ID = '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b';
const NET_ID = 'b1c2d3e4-0000-4000-8000-000000000001';

function vif(overrides: Partial<VifInfo> = {}): VifInfo {
  return {
    id: PORT_ID,
    address: 'fa:16:3e:12:34:56',
    network: {
      id: NET_ID, label: 'private',
      subnets: [{ cidr: '10.20.16.0/20', gateway: { address: '10.20.16.1' }, ips: [{ address: '10.20.17.5', type: 'fixed', version: 4 }] }],
    },
    ...overrides,
  };
}

function source(overrides: Partial<InstanceMetadataSource> = {}): InstanceMetadataSource {
  return {
    uuid: randomUUID(), name: 'My Server', hostname: 'my-server', projectId: 'proj-1',
    availabilityZone: 'nova', launchIndex: 0, keyName: null, keyData: null,
    metadata: {}, userData: null, networkInfo: [vif()],
    ...overrides,
  };
}

function json(files: Map<string, Buffer>, file: string): Record<string, any> {
  const data = files.get(file);
  assert.ok(data, `${file} is on the drive`);
  return JSON.parse(data.toString('utf8')) as Record<string, any>;
}

describe('config drive file tree', () => {
  test('every OpenStack version and latest has meta_data.json; newer files appear from the version that introduced them', () => {
    const files = buildInstanceMetadataFiles(source());
    for (const version of [...OPENSTACK_VERSIONS, 'latest']) assert.ok(files.has(`openstack/${version}/meta_data.json`), version);
    assert.ok(!files.has('openstack/2013-04-04/vendor_data.json'));
    assert.ok(files.has('openstack/2013-10-17/vendor_data.json'));
    assert.ok(!files.has('openstack/2013-10-17/network_data.json'));
    assert.ok(files.has('openstack/2015-10-15/network_data.json'));
    assert.ok(!files.has('openstack/2016-06-30/vendor_data2.json'));
    assert.ok(files.has('openstack/2016-10-06/vendor_data2.json'));
    for (const f of ['vendor_data.json', 'network_data.json', 'vendor_data2.json']) assert.ok(files.has(`openstack/latest/${f}`), f);
    assert.deepEqual(json(files, 'openstack/latest/vendor_data.json'), {});
    assert.deepEqual(json(files, 'openstack/latest/vendor_data2.json'), { static: {} });
  });

  test('the EC2 tree carries only 2009-04-04 and latest by default, as Nova skips the older versions', () => {
    const files = buildInstanceMetadataFiles(source());
    const ec2 = [...files.keys()].filter((p) => p.startsWith('ec2/')).sort();
    assert.deepEqual(ec2, ['ec2/2009-04-04/meta-data.json', 'ec2/latest/meta-data.json']);
    const all = buildInstanceMetadataFiles(source(), { configDriveSkipVersions: [] });
    assert.ok(all.has('ec2/1.0/meta-data.json'));
    assert.ok(!('local-hostname' in json(all, 'ec2/1.0/meta-data.json')), 'local-hostname arrived in 2007-01-19');
  });

  test('meta_data.json has the instance identity, zone, project and an empty device list', () => {
    const src = source({ metadata: { role: 'web', tier: '1' }, launchIndex: 2 });
    const md = json(buildInstanceMetadataFiles(src), 'openstack/latest/meta_data.json');
    assert.equal(md.uuid, src.uuid);
    assert.equal(md.name, 'My Server');
    assert.equal(md.hostname, 'my-server.novalocal');
    assert.equal(md.availability_zone, 'nova');
    assert.equal(md.launch_index, 2);
    assert.equal(md.project_id, 'proj-1');
    assert.deepEqual(md.meta, { role: 'web', tier: '1' });
    assert.deepEqual(md.devices, []);
    assert.deepEqual(md.dedicated_cpus, []);
    assert.equal(Buffer.from(md.random_seed, 'base64').length, 512);
  });

  test('fields arrive with the version that introduced them', () => {
    const files = buildInstanceMetadataFiles(source());
    const folsom = json(files, 'openstack/2012-08-10/meta_data.json');
    assert.ok(!('random_seed' in folsom) && !('project_id' in folsom) && !('devices' in folsom));
    const liberty = json(files, 'openstack/2015-10-15/meta_data.json');
    assert.ok('random_seed' in liberty && 'project_id' in liberty && !('devices' in liberty));
    assert.ok('devices' in json(files, 'openstack/2016-06-30/meta_data.json'));
  });

  test('an empty dhcp domain leaves the hostname bare', () => {
    const files = buildInstanceMetadataFiles(source(), { dhcpDomain: '' });
    assert.equal(json(files, 'openstack/latest/meta_data.json').hostname, 'my-server');
    assert.equal(json(files, 'ec2/latest/meta-data.json').hostname, 'my-server');
  });

  test('random_seed comes from the injected generator', () => {
    const seed = randomBytes(512);
    const md = json(buildInstanceMetadataFiles(source(), { randomBytes: () => seed }), 'openstack/latest/meta_data.json');
    assert.equal(md.random_seed, seed.toString('base64'));
  });

  test('a key pair appears as public_keys and keys; without one neither does, nor meta without metadata', () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0 me@host';
    const withKey = buildInstanceMetadataFiles(source({ keyName: 'mykey', keyData: key }));
    const md = json(withKey, 'openstack/latest/meta_data.json');
    assert.deepEqual(md.public_keys, { mykey: key });
    assert.deepEqual(md.keys, [{ name: 'mykey', type: 'ssh', data: key }]);
    assert.deepEqual(json(withKey, 'ec2/latest/meta-data.json')['public-keys'], { 0: { 'openssh-key': key } });

    const none = buildInstanceMetadataFiles(source());
    const bare = json(none, 'openstack/latest/meta_data.json');
    assert.ok(!('public_keys' in bare) && !('keys' in bare) && !('meta' in bare));
    assert.ok(!('public-keys' in json(none, 'ec2/latest/meta-data.json')));
  });

  test('user_data is the decoded bytes, byte for byte, in every version and the EC2 tree', () => {
    const raw = Buffer.concat([Buffer.from('#!/bin/sh\necho marker-\u00e9\n', 'utf8'), randomBytes(300), Buffer.from([0, 255, 10])]);
    // Stored as the API accepted it: base64, possibly wrapped at 76 columns.
    const stored = raw.toString('base64').replace(/(.{76})/g, '$1\n');
    const files = buildInstanceMetadataFiles(source({ userData: decodeUserData(stored) }));
    for (const version of [...OPENSTACK_VERSIONS, 'latest']) assert.ok(files.get(`openstack/${version}/user_data`)?.equals(raw), version);
    assert.ok(files.get('ec2/latest/user-data')?.equals(raw));
  });

  test('no user data means no user_data file', () => {
    const files = buildInstanceMetadataFiles(source());
    assert.ok(![...files.keys()].some((p) => p.endsWith('/user_data') || p.endsWith('/user-data')));
  });

  test('stored user data that is not base64 is refused rather than silently mangled', () => {
    assert.throws(() => decodeUserData('not*base64!'), InstanceMetadataError);
    assert.throws(() => decodeUserData('abc'), InstanceMetadataError);
    assert.equal(decodeUserData(null), null);
  });

  test('admin_pass and personality files are published as Nova publishes them', () => {
    const files = buildInstanceMetadataFiles(source({
      adminPass: 's3cret', files: [{ path: '/etc/motd', contents: Buffer.from('hello\n') }, { path: '/root/x', contents: Buffer.from([1, 2]) }],
    }));
    const md = json(files, 'openstack/latest/meta_data.json');
    assert.equal(md.admin_pass, 's3cret');
    assert.deepEqual(md.files, [{ path: '/etc/motd', content_path: '/content/0000' }, { path: '/root/x', content_path: '/content/0001' }]);
    assert.equal(files.get('openstack/content/0000')?.toString(), 'hello\n');
    assert.deepEqual([...files.get('openstack/content/0001')!], [1, 2]);
  });

  test('JSON is laid out as Python json.dumps lays it out, non-ASCII escaped', () => {
    assert.equal(dumpAsBytes({ a: 1, b: ['x', null], c: {}, d: 'caf\u00e9 \u{1f600}\u007f' }).toString('ascii'),
      '{"a": 1, "b": ["x", null], "c": {}, "d": "caf\\u00e9 \\ud83d\\ude00\\u007f"}');
    const md = json(buildInstanceMetadataFiles(source({ name: 'Serveur \u00e9t\u00e9' })), 'openstack/latest/meta_data.json');
    assert.equal(md.name, 'Serveur \u00e9t\u00e9');
  });
});

describe('network_data.json', () => {
  test('a VIF on a /20 subnet is a phy link and a static ipv4 network with netmask 255.255.240.0 and a default route', () => {
    const files = buildInstanceMetadataFiles(source());
    const nd = json(files, 'openstack/latest/network_data.json');
    assert.deepEqual(nd.links, [{ id: 'tap3f2a9c1e-5b', vif_id: PORT_ID, type: 'phy', mtu: null, ethernet_mac_address: 'fa:16:3e:12:34:56' }]);
    assert.equal(nd.networks.length, 1);
    const net = nd.networks[0];
    assert.equal(net.type, 'ipv4');
    assert.equal(net.link, 'tap3f2a9c1e-5b');
    assert.equal(net.ip_address, '10.20.17.5');
    assert.equal(net.netmask, '255.255.240.0');
    assert.deepEqual(net.routes, [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: '10.20.16.1' }]);
    assert.equal(net.network_id, NET_ID);
    assert.deepEqual(nd.services, []);
    assert.ok(files.get('openstack/2015-10-15/network_data.json')?.equals(files.get('openstack/latest/network_data.json')!));
  });

  test('no gateway means no default route', () => {
    const v = vif();
    v.network.subnets[0]!.gateway = { address: null };
    assert.deepEqual(getNetworkMetadata([v])!.networks[0]!.routes, []);
  });

  test('the full network_info Kilonova builds gives devname, mtu, vif type, host routes and DNS services', () => {
    const [full] = buildNetworkInfo(
      [{ port: { id: PORT_ID, network_id: NET_ID, mac_address: 'fa:16:3e:00:00:01', project_id: 'p', binding_host_id: 'host1', binding_vnic_type: 'normal', binding_profile: '{}', status: 'ACTIVE', created_by_compute: 1 }, fixedIps: [{ subnet_id: 's1', ip_address: '192.168.1.10' }] }] as never,
      [{ id: NET_ID, name: 'net', mtu: 1450 }] as never,
      [{ id: 's1', network_id: NET_ID, cidr: '192.168.1.0/24', gateway_ip: '192.168.1.1', dns_nameservers: '["8.8.8.8","1.1.1.1"]', host_routes: '[{"destination":"172.16.5.0/24","nexthop":"192.168.1.254"}]', enable_dhcp: 1 }] as never,
      { vifType: 'bridge', vifDetails: {} },
    ) as Vif[];
    const nd = getNetworkMetadata([full!])!;
    assert.equal(nd.links[0]!.id, full!.devname);
    assert.equal(nd.links[0]!.mtu, 1450);
    assert.equal(nd.links[0]!.type, 'bridge');
    const net = nd.networks[0]!;
    assert.equal(net.netmask, '255.255.255.0');
    assert.deepEqual(net.routes, [
      { network: '0.0.0.0', netmask: '0.0.0.0', gateway: '192.168.1.1' },
      { network: '172.16.5.0', netmask: '255.255.255.0', gateway: '192.168.1.254' },
    ]);
    assert.deepEqual(net.services, [{ type: 'dns', address: '8.8.8.8' }, { type: 'dns', address: '1.1.1.1' }]);
    assert.deepEqual(nd.services, net.services);
  });

  test('two VIFs get two links and numbered networks; shared DNS servers are listed once', () => {
    const a: MetadataVif = { ...vif(), network: { ...vif().network, subnets: [{ ...vif().network.subnets[0]!, dns: [{ address: '10.0.0.2' }] }] } };
    const b: MetadataVif = {
      id: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', address: 'fa:16:3e:99:99:99', devname: 'tapaaaaaaaa-bb',
      network: { id: 'n2', label: 'other', subnets: [{ cidr: '172.16.0.0/30', gateway: null, ips: [{ address: '172.16.0.2' }], dns: [{ address: '10.0.0.2' }] }] },
    };
    const nd = getNetworkMetadata([a, b])!;
    assert.deepEqual(nd.links.map((l) => l.id), ['tap3f2a9c1e-5b', 'tapaaaaaaaa-bb']);
    assert.deepEqual(nd.networks.map((n) => [n.id, n.link, n.netmask]), [['network0', 'tap3f2a9c1e-5b', '255.255.240.0'], ['network1', 'tapaaaaaaaa-bb', '255.255.255.252']]);
    assert.deepEqual(nd.services, [{ type: 'dns', address: '10.0.0.2' }]);
  });

  test('a VIF without subnets has no link; no VIFs at all gives an empty object as in Nova', () => {
    const bare: VifInfo = { id: PORT_ID, address: 'fa:16:3e:00:00:02', network: { id: NET_ID, label: 'x', subnets: [] } };
    assert.deepEqual(getNetworkMetadata([bare]), { links: [], networks: [], services: [] });
    assert.equal(getNetworkMetadata([]), null);
    assert.deepEqual(json(buildInstanceMetadataFiles(source({ networkInfo: [] })), 'openstack/latest/network_data.json'), {});
  });

  test('an IPv6 subnet is described with its prefix as an IPv6 netmask', () => {
    const v6: MetadataVif = {
      id: PORT_ID, address: 'fa:16:3e:00:00:03',
      network: { id: NET_ID, label: 'v6', subnets: [{ cidr: '2001:db8::/64', gateway: { address: '2001:db8::1' }, ips: [{ address: '2001:db8::5', version: 6 }], meta: { ipv6_address_mode: 'slaac' } }] },
    };
    const net = getNetworkMetadata([v6])!.networks[0]!;
    assert.equal(net.type, 'ipv6_slaac');
    assert.equal(net.netmask, 'ffff:ffff:ffff:ffff::');
    assert.deepEqual(net.routes, [{ network: '::', netmask: '::', gateway: '2001:db8::1' }]);
  });

  test('netmasks for edge prefix lengths', () => {
    assert.equal(netmaskFromPrefix(4, 0), '0.0.0.0');
    assert.equal(netmaskFromPrefix(4, 32), '255.255.255.255');
    assert.equal(netmaskFromPrefix(4, 20), '255.255.240.0');
    assert.equal(netmaskFromPrefix(4, 25), '255.255.255.128');
    assert.equal(netmaskFromPrefix(6, 0), '::');
    assert.equal(netmaskFromPrefix(6, 128), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    assert.equal(netmaskFromPrefix(6, 56), 'ffff:ffff:ffff:ff00::');
  });

  test('a malformed CIDR is refused', () => {
    const bad = vif();
    bad.network.subnets[0]!.cidr = '10.0.0.0/33';
    assert.throws(() => getNetworkMetadata([bad]), InstanceMetadataError);
  });
});

describe('EC2 meta-data.json', () => {
  test('has the EC2 ids, addresses, placement and block device mapping', () => {
    const image = 'abcdef12-3456-4789-8abc-def012345678';
    const src = source({ internalId: 42, imageId: image, kernelId: '0123abcd-0000-4000-8000-000000000000', flavorName: 'm1.tiny', securityGroups: ['default'], reservationId: 'r-abc' });
    const md = json(buildInstanceMetadataFiles(src), 'ec2/2009-04-04/meta-data.json');
    assert.equal(md['instance-id'], 'i-0000002a');
    assert.equal(md['ami-id'], 'ami-abcdef12');
    assert.equal(md['kernel-id'], 'aki-0123abcd');
    assert.ok(!('ramdisk-id' in md));
    assert.equal(md['local-ipv4'], '10.20.17.5');
    assert.equal(md['public-ipv4'], '');
    assert.equal(md['instance-type'], 'm1.tiny');
    assert.equal(md['reservation-id'], 'r-abc');
    assert.deepEqual(md['security-groups'], ['default']);
    assert.deepEqual(md.placement, { 'availability-zone': 'nova' });
    assert.deepEqual(md['block-device-mapping'], { ami: 'vda', root: '/dev/vda' });
    assert.equal(md['local-hostname'], 'my-server.novalocal');
    assert.equal(md['instance-action'], 'none');
  });

  test('without a database id the instance-id comes from the UUID', () => {
    const md = json(buildInstanceMetadataFiles(source({ uuid: '0a1b2c3d-0000-4000-8000-000000000000' })), 'ec2/latest/meta-data.json');
    assert.equal(md['instance-id'], 'i-0a1b2c3d');
  });
});

describe('instanceMetadataSource', () => {
  test('takes a DriverInstance as is and decodes its stored user data once', () => {
    const script = Buffer.from('#!/bin/sh\necho USERDATA-OK\n');
    const inst: DriverInstance = {
      uuid: randomUUID(), name: 'instance-00000007', hostname: 'web-1', displayName: 'Web 1', projectId: 'p9', userId: 'u1',
      availabilityZone: 'az1', launchIndex: 1, createdAt: new Date().toISOString(),
      flavor: { id: 1, flavorid: '1', name: 'm1.tiny', memory_mb: 512, vcpus: 1, root_gb: 1, ephemeral_gb: 0, swap: 0, rxtx_factor: 1, is_public: true, disabled: false, description: null, extra_specs: {} },
      image: { id: randomUUID(), name: 'guest', disk_format: 'qcow2', container_format: 'bare', size: 1, min_disk: 0, min_ram: 0, properties: { kernel_id: randomUUID() } },
      userData: script.toString('base64'), keyName: 'k', keyData: 'ssh-rsa AAAA', metadata: { a: 'b' }, configDrive: true,
    };
    const src = instanceMetadataSource(inst, [vif()], { internalId: 7 });
    assert.equal(src.name, 'Web 1');
    assert.equal(src.hostname, 'web-1');
    assert.equal(src.availabilityZone, 'az1');
    assert.equal(src.launchIndex, 1);
    assert.equal(src.flavorName, 'm1.tiny');
    assert.equal(src.kernelId, inst.image.properties.kernel_id);
    const files = buildInstanceMetadataFiles(src);
    assert.ok(files.get('openstack/latest/user_data')?.equals(script));
    const md = json(files, 'openstack/latest/meta_data.json');
    assert.deepEqual(md.public_keys, { k: 'ssh-rsa AAAA' });
    assert.deepEqual(md.meta, { a: 'b' });
    assert.equal(json(files, 'ec2/latest/meta-data.json')['instance-id'], 'i-00000007');
  });

  test('the network_info Kilonova builds is accepted as metadata VIFs', () => {
    const typed: (v: Vif) => MetadataVif = (v) => v;
    const info: VifInfo = vif();
    const fromDriver: MetadataVif = info;
    assert.equal(typed({ ...vif(), type: 'ovs' } as unknown as Vif).type, 'ovs');
    assert.equal(fromDriver.id, PORT_ID);
  });
});
