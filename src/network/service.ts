/**
 * The network service (a Neutron v2 subset): the stores behind its HTTP API,
 * and the Node API the compute service calls in-process.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuthContext } from '../http/auth.js';
import { isUniqueViolation } from '../db/schema-helpers.js';
import type { NetworkDb } from './tables.js';
import { KeyedMutex } from './keyed-mutex.js';
import { AddressHints } from './ipam.js';
import { NetworkStore } from './networks.js';
import { SubnetStore } from './subnets.js';
import { PortStore } from './ports.js';
import {
  InstanceNetworks, type AllocateForInstanceRequest, type RequestedNetwork, type InstancePort,
} from './instance-networks.js';
import type { NetworkInfo, VifBinding } from './network-info.js';
import { addTag, removeTag, replaceTags, tagsFor } from './tags.js';
import { TrunkStore } from './trunks.js';
import { SecurityGroupStore, type SecurityGroupRecord, type SecurityGroupRuleCreate } from './security-groups.js';
import { scopeOf } from './model.js';
import { RouterStore, ROUTER_GATEWAY, ROUTER_INTERFACE } from './routers.js';
import { FloatingIpStore, FLOATINGIP_OWNER } from './floating-ips.js';
import { DEFAULT_QUOTA_LIMITS, countOwned, withinQuota, type EnforcedResource, type QuotaLimits } from './quotas.js';
import { servicePortInUse } from './errors.js';
import { AddressScopeStore, SubnetPoolStore } from './subnet-pools.js';
import { RbacPolicyStore, type RbacPolicyCreate } from './rbac-policies.js';
import type { RbacPolicyRow } from './tables.js';
import { networkIpAvailabilities, type AvailabilityFilter, type NetworkAvailability } from './ip-availability.js';
import type { PortRow } from './tables.js';
import type { NetworkRow, SecurityGroupRuleRow } from './tables.js';
import { AgentRegistry } from './agents/registry.js';
import { AgentStates } from './agents/plugin-state.js';
import type { ChangeAction, ChangeSink, ResourceChange } from './agents/notifications.js';

export type { RequestedNetwork, AllocateForInstanceRequest, InstancePort } from './instance-networks.js';
export type { NetworkInfo, Vif, VifSubnet, VifIp, VifNetwork } from './network-info.js';

export interface NetworkServiceOptions {
  db: Kysely<any>;
  logger: Logger;
  /** MTU of networks created without one. 1500: our networks are host bridges, not tunnels. */
  defaultMtu?: number;
  /** binding:vif_type of bound ports: 'bridge' (Linux bridge brq<net>), 'ovs' or 'tap'. */
  vifType?: string;
  /** Router and floating IP limits per project; Neutron's defaults (10, 50) when not given. */
  quotas?: Partial<QuotaLimits>;
  /** Where changes go for the agents (the bus's q-agent-notifier fanout); none: nobody is told. */
  changes?: ChangeSink;
  /** Seconds without a report after which an agent is not alive (Neutron's agent_down_time, 75). */
  agentDownTime?: number;
}

export const PRIVATE_NETWORK_NAME = 'private';
export const PRIVATE_SUBNET_NAME = 'private-subnet';
export const PRIVATE_SUBNET_CIDR = '10.0.0.0/20';
export const PRIVATE_SUBNET_GATEWAY = '10.0.0.1';

/** A stable UUID from a name, so that two processes bootstrapping at once create one network, not two. */
function stableUuid(name: string): string {
  const h = createHash('sha1').update(`kilonova:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class NetworkService {
  readonly networks: NetworkStore;
  readonly subnets: SubnetStore;
  readonly ports: PortStore;
  readonly binding: VifBinding;
  readonly securityGroups: SecurityGroupStore;
  readonly trunks: TrunkStore;
  readonly routers: RouterStore;
  readonly floatingIps: FloatingIpStore;
  readonly addressScopes: AddressScopeStore;
  readonly subnetPools: SubnetPoolStore;
  readonly rbacPolicies: RbacPolicyStore;
  readonly quotaLimits: QuotaLimits;
  /** The agents' rows (the agents API and report_state). */
  readonly agents: AgentRegistry;
  /** What each agent should make real (the plugin RPC's answers). */
  readonly agentStates: AgentStates;
  private changes: ChangeSink;
  private readonly locks: KeyedMutex;
  private readonly instances: InstanceNetworks;
  private readonly logger: Logger;
  private readonly db: NetworkDb;

  constructor(opts: NetworkServiceOptions) {
    this.db = opts.db as NetworkDb;
    this.logger = opts.logger;
    const locks = new KeyedMutex();
    this.locks = locks;
    this.quotaLimits = { ...DEFAULT_QUOTA_LIMITS, ...opts.quotas };
    const hints = new AddressHints();
    this.networks = new NetworkStore(this.db, opts.defaultMtu ?? 1500);
    this.subnets = new SubnetStore(this.db, locks, hints);
    this.ports = new PortStore(this.db, locks, hints);
    const vifType = opts.vifType ?? 'bridge';
    this.binding = { vifType, vifDetails: { port_filter: false, connectivity: 'l2' } };
    this.securityGroups = new SecurityGroupStore(this.db);
    // Of Neutron's trunk drivers, Linux bridge's trunks ports already bound; Open vSwitch's and no driver at all do not.
    this.trunks = new TrunkStore(this.db, vifType === 'bridge');
    this.addressScopes = new AddressScopeStore(this.db);
    this.subnetPools = new SubnetPoolStore(this.db, this.addressScopes);
    this.rbacPolicies = new RbacPolicyStore(this.db);
    this.routers = new RouterStore(this.db, this.ports, this.subnets, locks);
    this.floatingIps = new FloatingIpStore(this.db, this.ports, this.routers);
    this.instances = new InstanceNetworks(this.db, this.subnets, this.ports, this.binding, this.securityGroups);
    this.agents = new AgentRegistry(this.db, opts.agentDownTime ?? 75);
    this.agentStates = new AgentStates({ db: this.db, ports: this.ports, locks });
    this.changes = opts.changes ?? (() => undefined);
  }

  /** Where changes go from now on (the bus opens after the service in some roles). */
  setChangeSink(sink: ChangeSink): void {
    this.changes = sink;
  }

  /** Tells the agents a resource changed; never throws and never waits (agents resync on their own as well). */
  notifyChange(resource: ResourceChange['resource'], id: string, action: ChangeAction, networkId: string | null = null, host: string | null = null): void {
    try {
      this.changes({ resource, id, action, networkId, ...(host ? { host } : {}) });
    } catch (err) {
      this.logger.warn({ err, resource, id }, 'could not tell the agents about a change');
    }
  }

  /** Runs a mutation of the Node API, then tells the agents (only when it succeeded). */
  private async changing<T>(work: Promise<T>, change: (result: T) => Array<[ResourceChange['resource'], string, ChangeAction, string | null, (string | null)?]>): Promise<T> {
    const result = await work;
    for (const c of change(result)) this.notifyChange(...c);
    return result;
  }

  /**
   * Make sure the default network exists: `private` (shared, so every
   * project can boot on it) with `private-subnet` 10.0.0.0/20. Idempotent,
   * also across processes starting together.
   */
  async bootstrap(opts: { adminProjectId: string }): Promise<void> {
    const networkId = stableUuid(`network/${opts.adminProjectId}/${PRIVATE_NETWORK_NAME}`);
    const subnetId = stableUuid(`subnet/${opts.adminProjectId}/${PRIVATE_SUBNET_NAME}`);
    const have = await this.db.selectFrom('neutron_networks').select('id').where('id', '=', networkId).executeTakeFirst();
    if (!have) {
      await ignoreDuplicate(this.networks.create([{
        project_id: opts.adminProjectId, name: PRIVATE_NETWORK_NAME, description: '', admin_state_up: true,
        shared: true, port_security_enabled: true, router_external: false,
      }], { id: networkId }));
      this.logger.info({ network_id: networkId }, 'created the default network "private"');
    }
    const haveSubnet = await this.db.selectFrom('neutron_subnets').select('id').where('id', '=', subnetId).executeTakeFirst();
    if (!haveSubnet) {
      await ignoreDuplicate(this.subnets.create([{
        project_id: opts.adminProjectId, network_id: networkId, name: PRIVATE_SUBNET_NAME, description: '',
        ip_version: 4, cidr: PRIVATE_SUBNET_CIDR, gateway_ip: PRIVATE_SUBNET_GATEWAY, enable_dhcp: true,
        dns_nameservers: [], host_routes: [],
      }], { id: subnetId }));
    }
  }

  validateNetworks(auth: AuthContext, requested: RequestedNetwork[]): Promise<void> {
    return this.instances.validateNetworks(auth, requested);
  }

  networksForAutoAllocation(auth: AuthContext): Promise<RequestedNetwork[]> {
    return this.instances.networksForAutoAllocation(auth);
  }

  async allocateForInstance(req: AllocateForInstanceRequest): Promise<NetworkInfo> {
    const info = await this.changing(this.instances.allocateForInstance(req), (vifs) => vifs.map((v) => ['port', v.id, 'update', v.network.id, req.host]));
    this.logger.debug({ instance_uuid: req.instanceUuid, ports: info.map((v) => v.id) }, 'allocated network for instance');
    return info;
  }

  deallocateForInstance(instanceUuid: string): Promise<void> {
    return this.changing(this.instances.deallocateForInstance(instanceUuid), () => [['instance_ports', instanceUuid, 'delete', null]]);
  }

  /** Every port bound to a server (device_owner compute:*), for the audit that finds ports whose server is gone. */
  async computePorts(): Promise<Array<{ id: string; deviceId: string; deviceOwner: string; projectId: string; createdByCompute: boolean }>> {
    const rows = await this.db.selectFrom('neutron_ports').select(['id', 'device_id', 'device_owner', 'project_id', 'created_by_compute'])
      .where('device_owner', 'like', 'compute:%').orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, deviceId: r.device_id, deviceOwner: r.device_owner, projectId: r.project_id, createdByCompute: r.created_by_compute === 1 }));
  }

  /** After a live migration: the instance's ports (and their trunks' subports) bound to the host it runs on now. */
  bindInstancePorts(instanceUuid: string, host: string): Promise<void> {
    return this.changing(this.instances.bindToHost(instanceUuid, host), () => [['instance_ports', instanceUuid, 'update', null]]);
  }

  instancePorts(instanceUuid: string): Promise<InstancePort[]> {
    return this.instances.instancePorts(instanceUuid);
  }

  findPort(portId: string): Promise<InstancePort | undefined> {
    return this.instances.findPort(portId);
  }

  detachPort(instanceUuid: string, portId: string): Promise<boolean> {
    return this.changing(this.instances.detachPort(instanceUuid, portId), () => [['port', portId, 'delete', null]]);
  }

  networkInfoForInstance(instanceUuid: string): Promise<NetworkInfo> {
    return this.instances.networkInfoForInstance(instanceUuid);
  }

  /** How many networks, subnets and ports a project owns (quota details). */
  async usage(projectId: string): Promise<Record<string, number>> {
    const count = async (table: 'neutron_networks' | 'neutron_subnets' | 'neutron_ports') => {
      const r = await this.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'))
        .where('project_id', '=', projectId).executeTakeFirstOrThrow();
      return Number(r.n);
    };
    const [network, subnet, port, router, floatingip, rbac_policy] = await Promise.all([
      count('neutron_networks'), count('neutron_subnets'), count('neutron_ports'),
      countOwned(this.db, 'router', projectId), countOwned(this.db, 'floatingip', projectId), countOwned(this.db, 'rbac_policy', projectId)]);
    return { network, subnet, port, router, floatingip, rbac_policy };
  }

  /** A grant within the project's rbac_policy quota. */
  createRbacPolicy(auth: AuthContext, input: RbacPolicyCreate): Promise<RbacPolicyRow> {
    return this.withinQuota('rbac_policy', input.project_id, () => this.rbacPolicies.create(scopeOf(auth), input));
  }

  ipAvailabilities(filter: AvailabilityFilter): Promise<NetworkAvailability[]> {
    return networkIpAvailabilities(this.db, filter);
  }

  /** Runs `create` when the project is below its limit for the resource (409 OverQuota otherwise). */
  withinQuota<T>(resource: EnforcedResource, projectId: string, create: () => Promise<T>): Promise<T> {
    return withinQuota(this.db, this.locks, this.quotaLimits, resource, projectId, create);
  }

  /**
   * A router's interface or gateway, or a floating IP's address, goes with
   * its router or floating IP, not through the port API (Neutron's
   * prevent_l3_port_deletion); a port whose owner no longer exists may go.
   */
  async assertPortDeletable(port: PortRow): Promise<void> {
    const owner = port.device_owner;
    let exists = false;
    if (owner === ROUTER_INTERFACE || owner === ROUTER_GATEWAY) {
      exists = !!await this.db.selectFrom('neutron_routers').select('id').where('id', '=', port.device_id).executeTakeFirst();
    } else if (owner === FLOATINGIP_OWNER) {
      exists = !!await this.db.selectFrom('neutron_floatingips').select('id').where('id', '=', port.device_id).executeTakeFirst();
    }
    if (exists) throw servicePortInUse(port.id, owner);
  }

  // ---- what the compute API's proxies ask (NetworkClient) -------------------

  async listNetworkSummaries(auth: AuthContext): Promise<Array<{ id: string; name: string; project_id: string }>> {
    const scope = scopeOf(auth);
    let q = this.db.selectFrom('neutron_networks').selectAll();
    if (!scope.isAdmin) q = q.where((eb) => eb.or([eb('project_id', '=', scope.projectId), eb('shared', '=', 1)]));
    return (await q.orderBy('created_at').orderBy('id').execute()).map(networkSummary);
  }

  async getNetworkSummary(auth: AuthContext, id: string): Promise<{ id: string; name: string; project_id: string }> {
    return networkSummary(await this.networks.getRow(scopeOf(auth), id));
  }

  async listSecurityGroups(auth: AuthContext, opts: { allProjects: boolean }): Promise<SecurityGroupJson[]> {
    const scope = scopeOf(auth);
    const records = await this.securityGroups.list(scope, scope.isAdmin && opts.allProjects ? {} : { projectId: auth.projectId });
    return records.map(securityGroupJson);
  }

  async getSecurityGroup(auth: AuthContext, id: string): Promise<SecurityGroupJson> {
    return securityGroupJson(await this.securityGroups.get(scopeOf(auth), id));
  }

  async findSecurityGroup(auth: AuthContext, nameOrId: string, projectId = auth.projectId): Promise<SecurityGroupJson> {
    return securityGroupJson(await this.securityGroups.find(scopeOf(auth), projectId, nameOrId));
  }

  async createSecurityGroup(auth: AuthContext, group: { name: string; description: string }): Promise<SecurityGroupJson> {
    const made = securityGroupJson(await this.securityGroups.create(auth.projectId, group));
    this.notifyChange('security_group', made.id, 'create');
    return made;
  }

  async updateSecurityGroup(auth: AuthContext, id: string, changes: { name?: string; description?: string }): Promise<SecurityGroupJson> {
    return securityGroupJson(await this.securityGroups.update(scopeOf(auth), id, changes));
  }

  deleteSecurityGroup(auth: AuthContext, id: string): Promise<void> {
    return this.changing(this.securityGroups.delete(scopeOf(auth), id), () => [['security_group', id, 'delete', null]]);
  }

  async getSecurityGroupRule(auth: AuthContext, id: string): Promise<SecurityGroupRuleRow> {
    return this.securityGroups.getRule(scopeOf(auth), id);
  }

  createSecurityGroupRule(auth: AuthContext, rule: Omit<SecurityGroupRuleCreate, 'direction' | 'ethertype'> & { direction: string; ethertype: string }): Promise<SecurityGroupRuleRow> {
    return this.changing(this.securityGroups.createRule(scopeOf(auth), rule as SecurityGroupRuleCreate), (r) => [['security_group_rule', r.id, 'create', null]]);
  }

  deleteSecurityGroupRule(auth: AuthContext, id: string): Promise<void> {
    return this.changing(this.securityGroups.deleteRule(scopeOf(auth), id), () => [['security_group_rule', id, 'delete', null]]);
  }

  instancePortSecurityGroups(instanceUuid: string): Promise<Array<{ portId: string; groupIds: string[] }>> {
    return this.securityGroups.portsOfDevice(instanceUuid);
  }

  setPortSecurityGroups(portId: string, groupIds: readonly string[]): Promise<void> {
    return this.changing(this.securityGroups.setPortGroups(portId, groupIds), () => [['port', portId, 'update', null]]);
  }

  async securityGroupsByIds(ids: readonly string[]): Promise<SecurityGroupJson[]> {
    return (await this.securityGroups.byIds(ids)).map(securityGroupJson);
  }

  /** Tags of a network, subnet, port or trunk (the caller checked it may see the resource). */
  async tagsOf(resourceId: string): Promise<string[]> {
    return (await tagsFor(this.db, [resourceId])).get(resourceId) ?? [];
  }

  replaceTags(resourceId: string, tags: readonly string[]): Promise<void> {
    return replaceTags(this.db, resourceId, tags);
  }

  addTag(resourceId: string, tag: string): Promise<void> {
    return addTag(this.db, resourceId, tag);
  }

  removeTag(resourceId: string, tag: string): Promise<boolean> {
    return removeTag(this.db, resourceId, tag);
  }
}

export interface SecurityGroupJson {
  id: string;
  project_id: string;
  name: string;
  description: string;
  security_group_rules: SecurityGroupRuleRow[];
}

function securityGroupJson(r: SecurityGroupRecord): SecurityGroupJson {
  return { id: r.group.id, project_id: r.group.project_id, name: r.group.name, description: r.group.description, security_group_rules: r.rules };
}

function networkSummary(n: NetworkRow): { id: string; name: string; project_id: string } {
  return { id: n.id, name: n.name, project_id: n.project_id };
}

async function ignoreDuplicate(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
}
