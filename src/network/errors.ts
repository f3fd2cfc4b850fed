/**
 * The faults the network service raises, with Neutron's error types and
 * wording so that clients matching on NeutronError.type behave as they do
 * against Neutron.
 */
import { BadRequest, Conflict, Forbidden, NotFound } from '../errors.js';

export const networkNotFound = (id: string) => new NotFound(`Network ${id} could not be found.`, { type: 'NetworkNotFound' });
export const subnetNotFound = (id: string) => new NotFound(`Subnet ${id} could not be found.`, { type: 'SubnetNotFound' });
export const portNotFound = (id: string) => new NotFound(`Port ${id} could not be found.`, { type: 'PortNotFound' });

/** A request attribute that failed validation: Neutron answers HTTPBadRequest with this wording. */
export const invalidAttribute = (attr: string, reason: string) =>
  new BadRequest(`Invalid input for ${attr}. Reason: ${reason}`);

export const invalidInput = (message: string) =>
  new BadRequest(`Invalid input for operation: ${message}`, { type: 'InvalidInput' });

export const networkInUse = (id: string) => new Conflict(
  `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`,
  { type: 'NetworkInUse' });

export const subnetInUse = (id: string) => new Conflict(
  `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`,
  { type: 'SubnetInUse' });

export const ipGenerationFailure = (networkId: string) => new Conflict(
  `No more IP addresses available on network ${networkId}.`, { type: 'IpAddressGenerationFailure' });

export const ipAlreadyAllocated = (ip: string, subnetId: string) => new Conflict(
  `IP address ${ip} already allocated in subnet ${subnetId}`, { type: 'IpAddressAlreadyAllocated' });

export const invalidIpForSubnet = (ip: string) => new BadRequest(
  `IP address ${ip} is not a valid IP for the specified subnet.`, { type: 'InvalidIpForSubnet' });

export const invalidIpForNetwork = (ip: string) => new BadRequest(
  `IP address ${ip} is not a valid IP for any of the subnets on the specified network.`, { type: 'InvalidIpForNetwork' });

export const macAddressInUse = (networkId: string, mac: string) => new Conflict(
  `Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`, { type: 'MacAddressInUse' });

export const overlappingPools = (a: string, b: string, cidr: string) => new Conflict(
  `Found overlapping allocation pools: ${a} ${b} for subnet ${cidr}.`, { type: 'OverlappingAllocationPools' });

export const outOfBoundsPool = (pool: string, cidr: string) => new BadRequest(
  `The allocation pool ${pool} spans beyond the subnet cidr ${cidr}.`, { type: 'OutOfBoundsAllocationPool' });

export const invalidPool = (pool: string) => new BadRequest(
  `The allocation pool ${pool} is not valid.`, { type: 'InvalidAllocationPool' });

export const gatewayConflictsWithPool = (ip: string, pool: string) => new Conflict(
  `Gateway ip ${ip} conflicts with allocation pool ${pool}`, { type: 'GatewayConflictWithAllocationPools' });

export const gatewayIpInUse = (ip: string, portId: string) => new Conflict(
  `Current gateway ip ${ip} already in use by port ${portId}. Unable to update.`, { type: 'GatewayIpInUse' });

export const invalidSharedSetting = (id: string) => new Conflict(
  `Unable to reconfigure sharing settings for network ${id}. Multiple tenants are using it.`, { type: 'InvalidSharedSetting' });

export const policyDenied = (action: string) => new Forbidden(
  `(rule:${action}) is disallowed by policy`, { type: 'PolicyNotAuthorized' });

export const trunkNotFound = (id: string) => new NotFound(`Trunk ${id} could not be found.`, { type: 'TrunkNotFound' });

export const subportNotFound = (trunkId: string, portId: string) => new NotFound(
  `SubPort ${portId} on trunk ${trunkId} could not be found.`, { type: 'SubPortNotFound' });

/** The port already serves as a subport. */
export const trunkPortInUse = (portId: string) => new Conflict(`Port ${portId} is in use by another trunk.`, { type: 'TrunkPortInUse' });

export const parentPortInUse = (portId: string) => new Conflict(
  `Port ${portId} is currently in use and is not eligible for use as a parent port.`, { type: 'ParentPortInUse' });

export const duplicateSubport = (type: string, id: number, trunkId: string) => new Conflict(
  `segmentation_type ${type} and segmentation_id ${id} already in use on trunk ${trunkId}.`, { type: 'DuplicateSubPort' });

export const subportMtuTooBig = (portId: string, portMtu: number, trunkId: string, trunkMtu: number) => new Conflict(
  `MTU ${portMtu} of subport ${portId} cannot be greater than MTU ${trunkMtu} of trunk ${trunkId}.`, { type: 'SubPortMtuGreaterThanTrunkPortMtu' });

export const portInUseAsTrunkParent = (portId: string, trunkId: string) => new Conflict(
  `Port ${portId} is currently a parent port for trunk ${trunkId}.`, { type: 'PortInUseAsTrunkParent' });

export const portInUseAsSubport = (portId: string, trunkId: string) => new Conflict(
  `Port ${portId} is currently a subport for trunk ${trunkId}.`, { type: 'PortInUseAsSubPort' });

export const trunkInUse = (id: string) => new Conflict(`Trunk ${id} is currently in use.`, { type: 'TrunkInUse' });

export const trunkDisabled = (id: string) => new Conflict(`Trunk ${id} is currently disabled.`, { type: 'TrunkDisabled' });

export const portInUse = (portId: string, networkId: string, deviceId: string) => new Conflict(
  `Unable to complete operation on port ${portId} for network ${networkId}. Port already has an attached device ${deviceId}.`,
  { type: 'PortInUse' });

/** neutron-lib's generic BadRequest: "Bad <resource> request: <msg>." */
export const badResourceRequest = (resource: string, msg: string) => new BadRequest(`Bad ${resource} request: ${msg}.`, { type: 'BadRequest' });

export const routerNotFound = (id: string) => new NotFound(`Router ${id} could not be found`, { type: 'RouterNotFound' });

export const routerInUse = (id: string) => new Conflict(`Router ${id} still has ports`, { type: 'RouterInUse' });

export const routerInterfaceNotFound = (routerId: string, portId: string) => new NotFound(
  `Router ${routerId} does not have an interface with id ${portId}`, { type: 'RouterInterfaceNotFound' });

export const routerInterfaceNotFoundForSubnet = (routerId: string, subnetId: string) => new NotFound(
  `Router ${routerId} has no interface on subnet ${subnetId}`, { type: 'RouterInterfaceNotFoundForSubnet' });

export const routerInterfaceInUseByFloatingIp = (routerId: string, subnetId: string) => new Conflict(
  `Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, as it is required by one or more floating IPs.`,
  { type: 'RouterInterfaceInUseByFloatingIP' });

export const routerGatewayInUseByFloatingIp = (routerId: string, networkId: string) => new Conflict(
  `Gateway cannot be updated for router ${routerId}, since a gateway to external network ${networkId} is required by one or more floating IPs.`,
  { type: 'RouterExternalGatewayInUseByFloatingIp' });

export const floatingIpNotFound = (id: string) => new NotFound(`Floating IP ${id} could not be found`, { type: 'FloatingIPNotFound' });

export const externalGatewayForFloatingIpNotFound = (networkId: string, subnetId: string, portId: string) => new NotFound(
  `External network ${networkId} is not reachable from subnet ${subnetId}.  Therefore, cannot associate Port ${portId} with a Floating IP.`,
  { type: 'ExternalGatewayForFloatingIPNotFound' });

export const floatingIpPortAlreadyAssociated = (fip: { id: string; floating_ip_address: string; floating_network_id: string }, portId: string, fixedIp: string) =>
  new Conflict(`Cannot associate floating IP ${fip.floating_ip_address} (${fip.id}) with port ${portId} using fixed IP ${fixedIp}, as that fixed IP already has a floating IP on external network ${fip.floating_network_id}.`,
    { type: 'FloatingIPPortAlreadyAssociated' });

/** A port the L3 service owns (a router's interface or gateway, a floating IP's address) goes away with its owner only. */
export const servicePortInUse = (portId: string, deviceOwner: string) => new Conflict(
  `Port ${portId} cannot be deleted directly via the port API: has device owner ${deviceOwner}.`, { type: 'ServicePortInUse' });

export const externalNetworkInUse = (id: string) => new Conflict(
  `External network ${id} cannot be updated to be made non-external, since it has existing gateway ports.`, { type: 'ExternalNetworkInUse' });

export const flatNetworkInUse = (physnet: string) => new Conflict(
  `Unable to create the flat network. Physical network ${physnet} is in use.`, { type: 'FlatNetworkInUse' });

export const overQuota = (resource: string) => new Conflict(`Quota exceeded for resources: ['${resource}'].`, { type: 'OverQuota' });

export const agentNotFound = (id: string) => new NotFound(`Agent ${id} could not be found.`, { type: 'AgentNotFound' });
