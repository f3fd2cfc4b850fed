/**
 * A port's port security, as Neutron's port-security extension decides it:
 * the network's setting is a new port's default, the network's own ports
 * (network:*) never have it, and security groups need it.
 */
import { BadRequest, Conflict } from '../errors.js';

export const groupsNeedPortSecurity = () => new BadRequest(
  'Port security must be enabled and port must have an IP address in order to use security groups.',
  { type: 'PortSecurityAndIPRequiredForSecurityGroups' });

export const portHasSecurityGroups = () => new Conflict(
  'Port has security group associated. Cannot disable port security or IP address until security group is removed.',
  { type: 'PortSecurityPortHasSecurityGroup' });

/**
 * A new port's port security: the network's own ports have none; else the
 * value given; else on when groups are named for a port with addresses (the
 * caller plainly wants them enforced); else the network's.
 */
export function newPortSecurity(port: {
  device_owner: string; given?: boolean; fixedIps?: readonly unknown[]; askedGroups?: readonly string[];
}, networkPortSecurity: boolean): boolean {
  if (port.device_owner.startsWith('network:')) return false;
  if (port.given !== undefined) return port.given;
  const hasAddresses = port.fixedIps === undefined || port.fixedIps.length > 0;
  if (hasAddresses && port.askedGroups?.length) return true;
  return networkPortSecurity;
}

/** Groups named for a port without port security are refused; none (`[]`) is fine. */
export function checkGroupsAllowed(portSecurity: boolean, askedGroups: readonly string[] | undefined): void {
  if (!portSecurity && askedGroups?.length) throw groupsNeedPortSecurity();
}

/**
 * An update that leaves a port without port security: it may not name groups,
 * and the port may keep none it has unless the same request clears them.
 */
export function checkPortSecurityOff(askedGroups: readonly string[] | undefined, currentGroups: readonly string[]): void {
  checkGroupsAllowed(false, askedGroups);
  if (askedGroups === undefined && currentGroups.length > 0) throw portHasSecurityGroups();
}
