/** The router's NAT table as text (no kernel needed): what each part of the router's state translates. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { natRuleset, NAT_TABLE } from '../../../src/network/agents/linuxbridge/router-nat.js';
import type { RouterState } from '../../../src/network/agents/state.js';

const router = (over: Partial<RouterState> = {}): RouterState => ({
  routerId: 'r1',
  adminStateUp: true,
  gateway: { portId: 'gwport-0000-1111', networkId: 'ext', macAddress: 'fa:16:3e:00:00:01', cidrs: ['172.24.4.10/24'], gatewayIp: '172.24.4.1', enableSnat: true },
  interfaces: [{ portId: 'qrport-0000-2222', networkId: 'n1', macAddress: 'fa:16:3e:00:00:02', cidrs: ['10.0.0.1/24'] }],
  floatingIps: [{ id: 'f1', floatingIpAddress: '172.24.4.20', fixedIpAddress: '10.0.0.5' }],
  ...over,
});

test('floating IPs get DNAT in and SNAT out, the rest SNAT to the gateway address, internal traffic none', () => {
  const text = natRuleset(router());
  assert.match(text, /ip daddr 172\.24\.4\.20 dnat to 10\.0\.0\.5/);
  assert.match(text, /ip saddr 10\.0\.0\.5 snat to 172\.24\.4\.20/);
  assert.match(text, /oifname "qg-gwport-0000" snat to 172\.24\.4\.10/);
  assert.match(text, /oifname != "qg-gwport-0000" ct status & dnat == 0 accept/);
  // The floating SNAT must come before the gateway SNAT, which would otherwise win.
  assert.ok(text.indexOf('snat to 172.24.4.20') < text.indexOf('snat to 172.24.4.10'));
});

test('the table is replaced whole: declared, deleted and written again in one script', () => {
  const lines = natRuleset(router()).split('\n');
  assert.deepEqual(lines.slice(0, 3), [`table ip ${NAT_TABLE}`, `delete table ip ${NAT_TABLE}`, `table ip ${NAT_TABLE} {`]);
});

test('without SNAT only floating IPs are translated; without a gateway nothing is', () => {
  const noSnat = natRuleset(router({ gateway: { ...router().gateway!, enableSnat: false } }));
  assert.doesNotMatch(noSnat, /snat to 172\.24\.4\.10/);
  assert.match(noSnat, /dnat to 10\.0\.0\.5/);
  assert.doesNotMatch(natRuleset(router({ gateway: null })), /nat to/);
});

test('an address that is not IPv4 is refused rather than written into the ruleset', () => {
  assert.throws(() => natRuleset(router({ floatingIps: [{ id: 'f', floatingIpAddress: '1.2.3.4; flush ruleset', fixedIpAddress: '10.0.0.5' }] })), /not an IPv4 address/);
});
