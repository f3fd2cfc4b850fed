/**
 * The text of ARP spoofing protection, without a kernel: which senders a
 * port's chain accepts, and the nft transactions that write, replace and
 * remove chains.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { arpChainRules, parseListing, setupText, transactionText } from '../../../src/network/agents/linuxbridge/arp-rules.js';
import type { HostPortState } from '../../../src/network/agents/state.js';

const MAC = 'fa:16:3e:11:22:33';

function port(overrides: Partial<HostPortState> = {}): HostPortState {
  return {
    portId: '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b', networkId: 'net', macAddress: 'FA:16:3E:11:22:33',
    fixedIps: [{ subnetId: 's4', ipAddress: '10.0.0.5' }, { subnetId: 's6', ipAddress: 'fd00::5' }],
    portSecurityEnabled: true, allowedAddressPairs: [], rules: [], mtu: 1450, ...overrides,
  };
}

const accepts = (rules: string[]) => rules.filter((r) => r.endsWith(' accept'));

describe('ARP protection rules', () => {
  it("accept ARP only from the port's IPv4 address under its MAC, then drop the rest", () => {
    const rules = arpChainRules(port())!;
    assert.deepEqual(rules, [
      `ether saddr ${MAC} arp htype 1 arp ptype ip arp hlen 6 arp plen 4 arp saddr ether ${MAC} arp saddr ip 10.0.0.5 accept`,
      'drop',
    ]);
  });

  it("an allowed address pair's address or CIDR is accepted under the pair's MAC, or the port's when it names none", () => {
    const rules = arpChainRules(port({
      allowedAddressPairs: [
        { ipAddress: '10.0.0.160/28', macAddress: 'FA:16:3E:00:00:77' },
        { ipAddress: '10.0.0.9', macAddress: '' },
        { ipAddress: 'fd00::9', macAddress: '' },
      ],
    }))!;
    assert.equal(accepts(rules).length, 3, rules.join('\n'));
    assert.ok(rules.some((r) => r.startsWith('ether saddr fa:16:3e:00:00:77 ') && r.includes('arp saddr ether fa:16:3e:00:00:77 arp saddr ip 10.0.0.160/28 accept')));
    assert.ok(rules.some((r) => r.startsWith(`ether saddr ${MAC} `) && r.endsWith('arp saddr ip 10.0.0.9 accept')));
    assert.equal(rules.some((r) => r.includes('fd00')), false, 'IPv6 has no ARP');
    assert.equal(rules.at(-1), 'drop');
  });

  it('a /0 pair lets its MAC speak for any address, and no other MAC', () => {
    const rules = arpChainRules(port({ allowedAddressPairs: [{ ipAddress: '0.0.0.0/0', macAddress: 'fa:16:3e:00:00:88' }] }))!;
    const any = rules.find((r) => r.startsWith('ether saddr fa:16:3e:00:00:88 '))!;
    assert.equal(any.includes('arp saddr ip'), false, any);
    assert.ok(any.includes('arp saddr ether fa:16:3e:00:00:88'));
    assert.equal(rules.at(-1), 'drop');
  });

  it('an IPv6-only port may send no ARP; a port with port security off gets no chain', () => {
    assert.deepEqual(arpChainRules(port({ fixedIps: [{ subnetId: 's6', ipAddress: 'fd00::5' }] })), ['drop']);
    assert.equal(arpChainRules(port({ portSecurityEnabled: false })), null);
  });

  it('a duplicate pair yields one rule', () => {
    const rules = arpChainRules(port({ allowedAddressPairs: [{ ipAddress: '10.0.0.5', macAddress: '' }] }))!;
    assert.equal(accepts(rules).length, 1);
  });
});

describe('ARP protection transactions', () => {
  const tap = 'tap3f2a1b4c-5d';

  it('a new chain is created without a flush and entered in the map; an existing one is flushed first', () => {
    const fresh = transactionText({ write: [{ tap, rules: ['drop'], exists: false }], remove: [] });
    assert.equal(fresh.includes('flush'), false, fresh);
    assert.deepEqual(fresh.trim().split('\n'), [
      `add chain bridge kilonova-arp ${tap}`,
      `add rule bridge kilonova-arp ${tap} drop`,
      `add element bridge kilonova-arp ports { "${tap}" : jump ${tap} }`,
    ]);
    const again = transactionText({ write: [{ tap, rules: ['drop'], exists: true }], remove: [] }).split('\n');
    assert.ok(again.indexOf(`flush chain bridge kilonova-arp ${tap}`) < again.indexOf(`add rule bridge kilonova-arp ${tap} drop`));
  });

  it('a removal takes the map entry before the chain, whatever the kernel holds', () => {
    const lines = transactionText({ write: [], remove: [tap] }).trim().split('\n');
    const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
    assert.ok(at('add chain') < at('add element') && at('add element') < at('delete element'));
    assert.ok(at('delete element') < at('flush chain') && at('flush chain') < at('delete chain'), lines.join('\n'));
  });

  it("a listing gives back the protected taps and whether the base chain dispatches; setup's text lists as dispatching", () => {
    const listing = [
      'table bridge kilonova-arp {',
      '\tmap ports {', '\t\ttype ifname : verdict', `\t\telements = { "${tap}" : jump ${tap} }`, '\t}',
      '\tchain prerouting {', '\t\ttype filter hook prerouting priority dstnat; policy accept;', '\t\tether type arp iifname vmap @ports', '\t}',
      `\tchain ${tap} {`, '\t\tdrop', '\t}', '}',
    ].join('\n');
    assert.deepEqual(parseListing(listing), { dispatching: true, taps: [tap] });
    assert.deepEqual(parseListing(''), { dispatching: false, taps: [] });
    assert.deepEqual(parseListing(listing.replace('\t\tether type arp iifname vmap @ports\n', '')), { dispatching: false, taps: [tap] });
    assert.ok(setupText().includes('add rule bridge kilonova-arp prerouting ether type arp iifname vmap @ports'));
  });
});
