/**
 * The text of a port's chains, without a kernel: how security group rules,
 * anti-spoofing and DHCP map to iptables lines as Neutron's iptables firewall
 * maps them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHAIN_PREFIX, FALLBACK_CHAIN, SG_CHAIN, dispatchBodies, ipsetRestoreText, isOurSet, keyOfChain, linkLocalOf, portChainBodies, portChains, portKey,
  restoreText, savedDispatchTaps,
} from '../../../src/network/agents/linuxbridge/firewall-rules.js';
import type { FirewallRule, HostPortState } from '../../../src/network/agents/state.js';

const PORT_ID = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';

function port(rules: FirewallRule[], overrides: Partial<HostPortState> = {}): HostPortState {
  return {
    portId: PORT_ID, networkId: 'net', macAddress: 'FA:16:3E:11:22:33',
    fixedIps: [{ subnetId: 's4', ipAddress: '10.0.0.5' }, { subnetId: 's6', ipAddress: 'fd00::5' }],
    portSecurityEnabled: true, allowedAddressPairs: [], rules, mtu: 1450, ...overrides,
  };
}

const rule = (r: Partial<FirewallRule>): FirewallRule => ({
  direction: 'ingress', ethertype: 'IPv4', protocol: null, portRangeMin: null, portRangeMax: null,
  remoteIpPrefix: null, remoteGroupAddresses: null, ...r,
});

const chain = (p: HostPortState, family: 4 | 6, which: 'ingress' | 'egress' | 'spoof') =>
  portChainBodies(p, family).chains.find(([name]) => name === portChains(portKey(p.portId))[which])![1];

describe('port chain text', () => {
  it("chain names are Neutron's, within iptables' 28 characters, and map back to the port key and its tap", () => {
    for (const name of Object.values(portChains(portKey(PORT_ID)))) {
      assert.ok(name.length <= 28, name);
      assert.equal(keyOfChain(name), PORT_ID.slice(0, 10));
    }
    assert.equal(portChains(portKey(PORT_ID)).ingress, 'neutron-linuxbri-i3f2a1b4c-5');
    for (const [shared] of dispatchBodies([])) assert.equal(keyOfChain(shared), null, shared);
    const saved = dispatchBodies([[portKey(PORT_ID), 'tap3f2a1b4c-5d']]).flatMap(([c, rules]) => rules.map((r) => `-A ${c} ${r}`)).join('\n');
    assert.deepEqual([...savedDispatchTaps(saved)], [[portKey(PORT_ID), 'tap3f2a1b4c-5d']]);
    assert.ok(saved.includes(`-A ${SG_CHAIN} -j ACCEPT`));
  });

  it('a TCP port range, a single UDP port and a remote prefix become matches', () => {
    const p = port([
      rule({ protocol: 'tcp', portRangeMin: 8000, portRangeMax: 8080, remoteIpPrefix: '192.0.2.0/24' }),
      rule({ protocol: '17', portRangeMin: 53, portRangeMax: 53 }),
    ]);
    const ingress = chain(p, 4, 'ingress');
    assert.ok(ingress.includes('-s 192.0.2.0/24 -p tcp -m tcp --dport 8000:8080 -j RETURN'));
    assert.ok(ingress.includes('-p udp -m udp --dport 53 -j RETURN'));
    assert.equal(chain(p, 6, 'ingress').some((l) => l.includes('--dport 8000') || l.includes('--dport 53')), false, 'IPv4 rules stay out of ip6tables');
  });

  it('ICMP type and code come from port_range_min and max, and icmp in an IPv6 rule is ICMPv6', () => {
    const p = port([
      rule({ protocol: 'icmp', portRangeMin: 8, portRangeMax: 0 }),
      rule({ protocol: 'icmp', portRangeMin: 3 }),
      rule({ ethertype: 'IPv6', protocol: 'icmp', portRangeMin: 128 }),
    ]);
    assert.ok(chain(p, 4, 'ingress').includes('-p icmp -m icmp --icmp-type 8/0 -j RETURN'));
    assert.ok(chain(p, 4, 'ingress').includes('-p icmp -m icmp --icmp-type 3 -j RETURN'));
    assert.ok(chain(p, 6, 'ingress').includes('-p ipv6-icmp -m icmp6 --icmpv6-type 128 -j RETURN'));
  });

  it('a remote group is an address set per family, named by the group id when given', () => {
    const p = port([
      rule({ remoteGroupAddresses: ['10.0.0.7', '10.0.0.5', 'fd00::7'], remoteGroupId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' }),
      rule({ direction: 'egress', remoteGroupAddresses: ['10.0.0.9'] }),
    ]);
    const v4 = portChainBodies(p, 4);
    assert.deepEqual(v4.sets.map((s) => s.addresses), [['10.0.0.5', '10.0.0.7'], ['10.0.0.9']]);
    assert.equal(v4.sets[0]!.name, 'kn4-aaaaaaaa-bbbb-cccc-d');
    assert.ok(v4.sets.every((s) => isOurSet(s.name) && s.name.length + '-new'.length <= 31));
    assert.ok(chain(p, 4, 'ingress').includes(`-m set --match-set ${v4.sets[0]!.name} src -j RETURN`));
    assert.ok(chain(p, 4, 'egress').includes(`-m set --match-set ${v4.sets[1]!.name} dst -j RETURN`));
    assert.deepEqual(portChainBodies(p, 6).sets, [], 'an IPv4 rule makes no IPv6 set, whatever the group holds');
  });

  it('a remote group with no member in a family allows nothing in it', () => {
    const p = port([rule({ ethertype: 'IPv6', remoteGroupAddresses: ['10.0.0.7'] })]);
    assert.equal(chain(p, 6, 'ingress').some((l) => l.includes('match-set')), false);
  });

  it('anti-spoofing allows only the fixed IPs and address pairs with their MACs (and the IPv6 link-local)', () => {
    const p = port([], { allowedAddressPairs: [{ ipAddress: '10.0.0.100/32', macAddress: '' }, { ipAddress: '10.0.0.101', macAddress: 'fa:16:3e:aa:bb:cc' }] });
    assert.deepEqual(chain(p, 4, 'spoof'), [
      '-s 10.0.0.5 -m mac --mac-source fa:16:3e:11:22:33 -j RETURN',
      '-s 10.0.0.100/32 -m mac --mac-source fa:16:3e:11:22:33 -j RETURN',
      '-s 10.0.0.101 -m mac --mac-source fa:16:3e:aa:bb:cc -j RETURN',
      '-j DROP',
    ]);
    assert.ok(chain(p, 6, 'spoof').includes(`-s ${linkLocalOf('fa:16:3e:11:22:33')} -m mac --mac-source fa:16:3e:11:22:33 -j RETURN`));
    assert.equal(linkLocalOf('fa:16:3e:11:22:33'), 'fe80::f816:3eff:fe11:2233');
  });

  it("an address pair's source (an address or a CIDR, with its MAC) is let out; any other source or MAC still meets the DROP", () => {
    const p = port([], { allowedAddressPairs: [{ ipAddress: '192.0.2.0/24', macAddress: 'fa:16:3e:aa:bb:cc' }, { ipAddress: '10.0.0.50', macAddress: 'FA:16:3E:11:22:33' }] });
    const spoof = chain(p, 4, 'spoof');
    assert.deepEqual(spoof, [
      '-s 10.0.0.5 -m mac --mac-source fa:16:3e:11:22:33 -j RETURN',
      '-s 192.0.2.0/24 -m mac --mac-source fa:16:3e:aa:bb:cc -j RETURN',
      '-s 10.0.0.50 -m mac --mac-source fa:16:3e:11:22:33 -j RETURN',
      '-j DROP',
    ]);
    // Nothing else returns: a source outside the pairs, or a pair's address under another MAC, falls through to the DROP.
    assert.equal(spoof.filter((l) => l.endsWith('-j RETURN')).length, 3);
    assert.equal(spoof.at(-1), '-j DROP');
    assert.deepEqual(chain(port([]), 4, 'spoof'), ['-s 10.0.0.5 -m mac --mac-source fa:16:3e:11:22:33 -j RETURN', '-j DROP'], 'without pairs, only the fixed IP');
  });

  it('an IPv6 pair under its own MAC also lets that MAC send from its link-local address', () => {
    const p = port([], { allowedAddressPairs: [{ ipAddress: '2001:db8::/64', macAddress: 'fa:16:3e:aa:bb:cc' }, { ipAddress: '10.0.0.60', macAddress: 'fa:16:3e:dd:ee:ff' }] });
    const spoof = chain(p, 6, 'spoof');
    assert.ok(spoof.includes('-s 2001:db8::/64 -m mac --mac-source fa:16:3e:aa:bb:cc -j RETURN'));
    assert.ok(spoof.includes(`-s ${linkLocalOf('fa:16:3e:aa:bb:cc')} -m mac --mac-source fa:16:3e:aa:bb:cc -j RETURN`));
    assert.ok(spoof.includes(`-s ${linkLocalOf('fa:16:3e:11:22:33')} -m mac --mac-source fa:16:3e:11:22:33 -j RETURN`));
    assert.ok(!spoof.some((l) => l.includes('fa:16:3e:dd:ee:ff')), 'an IPv4 pair gives its MAC nothing in IPv6');
    assert.ok(!chain(p, 4, 'spoof').some((l) => l.includes('2001:db8')), 'an IPv6 pair stays out of iptables');
  });

  it('a remote group holding a /0 pair puts its two halves in the set (hash:net cannot hold a /0)', () => {
    const p = port([rule({ remoteGroupAddresses: ['10.0.0.7', '0.0.0.0/0'], remoteGroupId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' }),
      rule({ ethertype: 'IPv6', remoteGroupAddresses: ['::/0'], remoteGroupId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' })]);
    assert.deepEqual(portChainBodies(p, 4).sets[0]!.addresses, ['0.0.0.0/1', '10.0.0.7', '128.0.0.0/1']);
    assert.deepEqual(portChainBodies(p, 6).sets[0]!.addresses, ['8000::/1', '::/1']);
  });

  it('the guest may ask for DHCP but never answer it, and its chains default to deny after conntrack', () => {
    const egress = chain(port([]), 4, 'egress');
    const spoofJump = egress.findIndex((l) => l.startsWith(`-j ${CHAIN_PREFIX}s`));
    assert.ok(egress.indexOf('-s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 --dport 67 -j RETURN') < spoofJump);
    assert.ok(egress.indexOf('-p udp -m udp --sport 67 --dport 68 -j DROP') > spoofJump);
    const ingress = chain(port([]), 4, 'ingress');
    assert.equal(ingress[0], '-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN');
    assert.deepEqual(ingress.slice(-2), ['-m conntrack --ctstate INVALID -j DROP', `-j ${FALLBACK_CHAIN}`]);
  });

  it('a restore transaction empties chains it rewrites or removes before deleting, and ipset swaps sets in whole', () => {
    const text = restoreText({ rewrite: [['kn-ia', ['-j RETURN']]], insert: [['kn-sg-chain', '-j kn-ib']], delete: [], remove: ['kn-ic'] });
    assert.deepEqual(text.trim().split('\n'), ['*filter', ':kn-ia - [0:0]', ':kn-ic - [0:0]', '-A kn-ia -j RETURN', '-I kn-sg-chain 1 -j kn-ib', '-X kn-ic', 'COMMIT']);
    const sets = ipsetRestoreText([{ name: 'kn4-x', family: 4, addresses: ['10.0.0.1'] }]);
    assert.match(sets, /add kn4-x-new 10\.0\.0\.1 -exist\nswap kn4-x-new kn4-x\ndestroy kn4-x-new/);
  });
});
