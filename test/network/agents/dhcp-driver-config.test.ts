/**
 * What the DHCP driver tells dnsmasq, as text (no root needed): the command
 * line, the hosts file and the options file, against Neutron's formats.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  addnHostsFileText,
  dhcpPortCidrs,
  dnsmasqCommand,
  dnsmasqFiles,
  hostsFileText,
  leasedPairs,
  optsFileText,
} from '../../../src/network/agents/linuxbridge/dnsmasq-config.js';
import type { DhcpNetworkState, SubnetState } from '../../../src/network/agents/state.js';

const subnet = (id: string, cidr: string, extra: Partial<SubnetState> = {}): SubnetState => ({
  id, networkId: 'net', cidr, ipVersion: 4, gatewayIp: null, enableDhcp: true, dnsNameservers: [], hostRoutes: [], ...extra,
});

function network(extra: Partial<DhcpNetworkState> = {}): DhcpNetworkState {
  return {
    networkId: 'net',
    mtu: 1450,
    dhcpPort: { portId: 'dhcpport-0123456789', macAddress: 'fa:16:3e:00:00:02', fixedIps: [{ subnetId: 'a', ipAddress: '10.0.0.2' }] },
    subnets: [subnet('a', '10.0.0.0/24', { gatewayIp: '10.0.0.1' })],
    hosts: [],
    metadata: false,
    ...extra,
  };
}

describe('dnsmasq configuration of a DHCP network', () => {
  const files = dnsmasqFiles('/state/dhcp/net');

  it('hands out static leases per DHCP-enabled IPv4 subnet only, with the MTU forced', () => {
    const argv = dnsmasqCommand(
      network({ subnets: [subnet('a', '10.0.0.0/24'), subnet('b', '10.1.0.0/16', { enableDhcp: false }), subnet('c', '10.2.0.0/28')] }),
      files,
      { binary: 'dnsmasq', interfaceName: 'ns-dhcpport-01', leaseSeconds: 600 },
    );
    assert.deepEqual(argv.filter((a) => a.startsWith('--dhcp-range')), [
      '--dhcp-range=set:subnet-a,10.0.0.0,static,255.255.255.0,600s',
      '--dhcp-range=set:subnet-c,10.2.0.0,static,255.255.255.240,600s',
    ]);
    assert.ok(argv.includes('--dhcp-option-force=option:mtu,1450'));
    assert.ok(argv.includes('--interface=ns-dhcpport-01'));
    assert.ok(argv.includes('--pid-file=/state/dhcp/net/pid'));
    assert.ok(argv.includes('--dhcp-lease-max=272'));
  });

  it('lists each port as mac,name,ip and leaves out entries dnsmasq could not serve', () => {
    const net = network({
      hosts: [
        { portId: 'p1', macAddress: 'FA:16:3E:00:00:10', ipAddress: '10.0.0.10', hostname: 'web-1.example.org' },
        { portId: 'p2', macAddress: 'fa:16:3e:00:00:11', ipAddress: '10.0.0.11', hostname: '' },
        { portId: 'p3', macAddress: 'fa:16:3e:00:00:12', ipAddress: '192.168.9.9', hostname: 'elsewhere' },
        { portId: 'p4', macAddress: 'not-a-mac', ipAddress: '10.0.0.13', hostname: 'bad' },
      ],
    });
    assert.equal(hostsFileText(net), 'fa:16:3e:00:00:10,web-1,10.0.0.10\nfa:16:3e:00:00:11,host-10-0-0-11,10.0.0.11\n');
    assert.equal(addnHostsFileText(net), '10.0.0.10\tweb-1\n10.0.0.11\thost-10-0-0-11\n');
    assert.deepEqual([...leasedPairs(hostsFileText(net))], ['fa:16:3e:00:00:10,10.0.0.10', 'fa:16:3e:00:00:11,10.0.0.11']);
  });

  it('routes the metadata address via the DHCP port, keeps the default route with it, and names the DNS servers', () => {
    const net = network({
      metadata: true,
      subnets: [subnet('a', '10.0.0.0/24', { gatewayIp: '10.0.0.1', dnsNameservers: ['10.0.0.53', '10.0.0.54'], hostRoutes: [{ destination: '172.16.0.0/12', nexthop: '10.0.0.254' }] })],
    });
    assert.equal(optsFileText(net), [
      'tag:subnet-a,option:dns-server,10.0.0.53,10.0.0.54',
      'tag:subnet-a,option:classless-static-route,172.16.0.0/12,10.0.0.254,169.254.169.254/32,10.0.0.2,0.0.0.0/0,10.0.0.1',
      'tag:subnet-a,249,172.16.0.0/12,10.0.0.254,169.254.169.254/32,10.0.0.2,0.0.0.0/0,10.0.0.1',
      'tag:subnet-a,option:router,10.0.0.1',
      '',
    ].join('\n'));
    assert.deepEqual(dhcpPortCidrs(net), ['10.0.0.2/24', '169.254.169.254/32']);
  });

  it('sends an empty router without a gateway, takes a default host route as the gateway, and makes sibling subnets on-link', () => {
    const noGateway = network({ subnets: [subnet('a', '10.0.0.0/24')] });
    assert.equal(optsFileText(noGateway), 'tag:subnet-a,option:router\n');

    const viaHostRoute = network({ subnets: [subnet('a', '10.0.0.0/24', { hostRoutes: [{ destination: '0.0.0.0/0', nexthop: '10.0.0.9' }] })] });
    assert.equal(optsFileText(viaHostRoute), 'tag:subnet-a,option:router,10.0.0.9\n');

    const twoSubnets = network({ subnets: [subnet('a', '10.0.0.0/24', { gatewayIp: '10.0.0.1' }), subnet('b', '10.1.0.0/24', { enableDhcp: false })] });
    assert.equal(optsFileText(twoSubnets).split('\n')[0], 'tag:subnet-a,option:classless-static-route,10.1.0.0/24,0.0.0.0,0.0.0.0/0,10.0.0.1');
  });
});
