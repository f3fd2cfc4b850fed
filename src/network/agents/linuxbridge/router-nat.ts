/**
 * A router's NAT as one nftables table inside its qrouter- namespace, the
 * rules Neutron's L3 agent writes with iptables: DNAT of each floating IP to
 * its fixed address, SNAT of that fixed address to its floating IP, and SNAT
 * of everything else leaving by the gateway to the gateway's address. The
 * text replaces the whole table in one `nft -f` transaction, so a sync never
 * leaves the router half-translated.
 */
import { isIPv4 } from 'node:net';
import { deviceNames, type RouterState } from '../state.js';

export const NAT_TABLE = 'kilonova-nat';

/** Set on connections that came in by the gateway (Neutron's 0x2 mark), so hairpin SNAT leaves them alone. */
const FROM_OUTSIDE_MARK = '0x2';

function ipv4(addr: string, what: string): string {
  if (!isIPv4(addr)) throw new Error(`router NAT: ${what} ${JSON.stringify(addr)} is not an IPv4 address`);
  return addr;
}

/** The gateway's first IPv4 address (without prefix), the source of SNAT; null when it has none. */
export function gatewayAddress(router: RouterState): string | null {
  const cidr = router.gateway?.cidrs.find((c) => isIPv4(c.split('/')[0]!));
  return cidr ? cidr.split('/')[0]! : null;
}

/**
 * The nft script making the router's NAT table exactly what `router` needs.
 * Without a gateway the table is empty: as in Neutron, floating IPs and SNAT
 * need the external gateway.
 */
export function natRuleset(router: RouterState): string {
  const prerouting: string[] = [];
  const output: string[] = [];
  const postrouting: string[] = [];
  if (router.gateway) {
    const gw = `"${deviceNames.routerGateway(router.gateway.portId)}"`;
    prerouting.push(`iifname ${gw} meta mark set ${FROM_OUTSIDE_MARK}`);
    // Traffic between internal subnets is routed as it is; only what leaves by the gateway, or was DNAT'd, is translated.
    postrouting.push(`oifname != ${gw} ct status & dnat == 0 accept`);
    for (const fip of router.floatingIps) {
      const floating = ipv4(fip.floatingIpAddress, 'floating IP');
      const fixed = ipv4(fip.fixedIpAddress, 'fixed IP');
      prerouting.push(`ip daddr ${floating} dnat to ${fixed}`);
      // The router's own packets to a floating IP (Neutron's OUTPUT rule).
      output.push(`ip daddr ${floating} dnat to ${fixed}`);
      postrouting.push(`ip saddr ${fixed} snat to ${floating}`);
    }
    const snatSource = router.gateway.enableSnat ? gatewayAddress(router) : null;
    if (snatSource) {
      postrouting.push(`oifname ${gw} snat to ${ipv4(snatSource, 'gateway address')}`);
      // A guest reaching another guest's floating IP from inside: the reply must come back through the router.
      postrouting.push(`meta mark != ${FROM_OUTSIDE_MARK} ct status & dnat != 0 snat to ${snatSource}`);
    }
  }
  const chain = (name: string, hook: string, priority: string, rules: string[]) => [
    `  chain ${name} {`,
    `    type nat hook ${hook} priority ${priority}; policy accept;`,
    ...rules.map((r) => `    ${r}`),
    '  }',
  ];
  return [
    // Declaring then deleting the table makes the replacement work whether or not it exists yet.
    `table ip ${NAT_TABLE}`,
    `delete table ip ${NAT_TABLE}`,
    `table ip ${NAT_TABLE} {`,
    ...chain('prerouting', 'prerouting', 'dstnat', prerouting),
    ...chain('output', 'output', '-100', output),
    ...chain('postrouting', 'postrouting', 'srcnat', postrouting),
    '}',
    '',
  ].join('\n');
}
