/**
 * The network service over Neutron's v2.0 HTTP API, for a compute host that
 * does not run it (Nova's nova/network/neutron.py). What a user asks (the
 * API's checks, security groups) goes with the user's token; what compute
 * does to ports for an instance goes as the service user, as Nova's admin
 * client does. Refusals carry the same errors and wording as in-process.
 */
import { BadRequest, Conflict, NotFound } from '../../errors.js';
import type { AuthContext } from '../../http/auth.js';
import { cidrContains, parseCidr, parseIpv4, usableRange } from '../../network/ipv4.js';
import type { VifInfo } from '../../virt/driver.js';
import type {
  InstancePortInfo, NetworkClient, NetworkSummary, RequestedNetwork, SecurityGroupInfo, SecurityGroupRuleInfo, SecurityGroupRuleRequest,
} from '../clients.js';
import type { KeystoneSession, SessionRequest } from './keystone-session.js';
import { networkInfoFrom, type NeutronFloatingIp, type NeutronNetwork, type NeutronPort, type NeutronSubnet } from './neutron-network-info.js';

const portNotFound = (id: string) => new BadRequest(`Port ${id} could not be found.`);
const portInUse = (id: string) => new Conflict(`Port ${id} is still in use.`);
const networkNotFound = (id: string) => new BadRequest(`Network ${id} could not be found.`);
const needsSubnet = (id: string) => new BadRequest(`Network ${id} requires a subnet in order to boot instances on.`);

/** The binding a port loses when released (Nova's _unbind_ports). */
const UNBOUND = { device_id: '', device_owner: '', 'binding:host_id': '' };

function q(params: Record<string, string | string[]>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of Array.isArray(v) ? v : [v]) s.append(k, one);
  return s.toString();
}

function instancePort(p: NeutronPort): InstancePortInfo {
  return { id: p.id, network_id: p.network_id, mac_address: p.mac_address, status: p.status, device_id: p.device_id, fixed_ips: p.fixed_ips };
}

/** An instance's ports in creation order (Neutron sorts on the stored time, finer than the second it shows). */
const IN_CREATION_ORDER = { sort_key: 'created_at', sort_dir: 'asc' };

export class HttpNetworkClient implements NetworkClient {
  constructor(private readonly session: KeystoneSession) {}

  private async call<T>(req: Omit<SessionRequest, 'service'>): Promise<T> {
    const res = await this.session.request('network', { ...req, service: 'network' });
    if (res.status === 204) {
      await res.drain();
      return undefined as T;
    }
    return res.json() as Promise<T>;
  }

  private async optional<T>(req: Omit<SessionRequest, 'service'>): Promise<T | undefined> {
    try {
      return await this.call<T>(req);
    } catch (err) {
      if (err instanceof NotFound) return undefined;
      throw err;
    }
  }

  private async ports(params: Record<string, string | string[]>, userToken?: string): Promise<NeutronPort[]> {
    return (await this.call<{ ports: NeutronPort[] }>({ path: `/v2.0/ports?${q(params)}`, userToken })).ports;
  }

  private async subnetsOf(networkIds: string[], userToken?: string): Promise<NeutronSubnet[]> {
    if (networkIds.length === 0) return [];
    return (await this.call<{ subnets: NeutronSubnet[] }>({ path: `/v2.0/subnets?${q({ network_id: networkIds })}`, userToken })).subnets;
  }

  async validateNetworks(auth: AuthContext, requested: RequestedNetwork[]): Promise<void> {
    const seenPorts = new Set<string>();
    const seenIps = new Set<string>();
    for (const req of requested) {
      if (req.portId !== undefined) {
        if (seenPorts.has(req.portId)) throw portInUse(req.portId);
        seenPorts.add(req.portId);
        const port = await this.optional<{ port: NeutronPort }>({ path: `/v2.0/ports/${encodeURIComponent(req.portId)}`, userToken: auth.token });
        if (!port) throw portNotFound(req.portId);
        if (port.port.device_id !== '') throw portInUse(req.portId);
        if (port.port.fixed_ips.length === 0) throw new BadRequest(`Port ${req.portId} requires a FixedIP in order to be used.`);
        continue;
      }
      if (req.networkId === undefined) throw new BadRequest('A requested network needs a network id or a port id.');
      const network = await this.optional<{ network: NeutronNetwork }>({ path: `/v2.0/networks/${encodeURIComponent(req.networkId)}`, userToken: auth.token });
      if (!network) throw networkNotFound(req.networkId);
      const subnets = await this.subnetsOf([network.network.id]);
      if (subnets.length === 0) throw needsSubnet(network.network.id);
      if (req.fixedIp !== undefined) {
        await this.checkFixedIp(network.network.id, subnets, req.fixedIp, seenIps);
      }
    }
  }

  /** The requested address must be a free, usable one of the network's subnets (not the gateway). */
  private async checkFixedIp(networkId: string, subnets: NeutronSubnet[], fixedIp: string, seen: Set<string>): Promise<void> {
    const ip = parseIpv4(fixedIp);
    if (ip === null) throw new BadRequest(`Invalid fixed IP address (${fixedIp})`);
    if (seen.has(fixedIp)) throw new BadRequest(`Fixed IP address ${fixedIp} is already in use.`);
    seen.add(fixedIp);
    const subnet = subnets.find((sn) => {
      const cidr = parseCidr(sn.cidr);
      if (!cidr.ok) return false;
      const usable = usableRange(cidr.cidr);
      return cidrContains(cidr.cidr, ip) && usable !== null && ip >= usable.first && ip <= usable.last
        && (sn.gateway_ip === null || parseIpv4(sn.gateway_ip) !== ip);
    });
    if (!subnet) throw new BadRequest(`Fixed IP address ${fixedIp} is not valid on network ${networkId}.`);
    const holder = (await this.ports({ network_id: networkId, fixed_ips: `ip_address=${fixedIp}` }))
      .find((p) => p.fixed_ips.some((f) => f.ip_address === fixedIp && f.subnet_id === subnet.id));
    if (holder) {
      throw new BadRequest(holder.device_id !== ''
        ? `Fixed IP address ${fixedIp} is already in use on instance ${holder.device_id}.`
        : `Fixed IP address ${fixedIp} is already in use.`);
    }
  }

  async networksForAutoAllocation(auth: AuthContext): Promise<RequestedNetwork[]> {
    // Nova's _get_available_networks: the project's own networks and the shared ones.
    const [own, shared] = await Promise.all([
      this.call<{ networks: NeutronNetwork[] }>({ path: `/v2.0/networks?${q({ project_id: auth.projectId, shared: 'false' })}`, userToken: auth.token }),
      this.call<{ networks: NeutronNetwork[] }>({ path: `/v2.0/networks?${q({ shared: 'true' })}`, userToken: auth.token }),
    ]);
    const nets = [...own.networks, ...shared.networks];
    if (nets.length === 0) return [];
    if (nets.length > 1) throw new Conflict('Multiple possible networks found, use a Network ID to be more specific.');
    const id = nets[0]!.id;
    if ((await this.subnetsOf([id])).length === 0) throw needsSubnet(id);
    return [{ networkId: id }];
  }

  /**
   * Nova's allocate_for_instance: a port made on each requested network (bound
   * to the host in the same request), the user's ports bound; all or nothing.
   */
  async allocateForInstance(req: {
    instanceUuid: string; projectId: string; userId: string; host: string; requested: RequestedNetwork[]; availabilityZone?: string; securityGroups?: string[];
  }): Promise<VifInfo[]> {
    const deviceOwner = `compute:${req.availabilityZone ?? 'nova'}`;
    const created: string[] = [];
    const bound: string[] = [];
    const ports: NeutronPort[] = [];
    try {
      // As Nova: the named groups by id; none named (or only the default one), Neutron gives its default group.
      const named = (req.securityGroups ?? []).filter((g) => g !== 'default');
      const groups = named.length > 0 ? { security_groups: await this.securityGroupIds(req.projectId, req.securityGroups!) } : {};
      for (const r of req.requested) {
        if (r.portId !== undefined) {
          ports.push(await this.bindPort(r.portId, req.instanceUuid, deviceOwner, req.host));
          bound.push(r.portId);
          continue;
        }
        if (r.networkId === undefined) throw new BadRequest('A requested network needs a network id or a port id.');
        const { port } = await this.call<{ port: NeutronPort }>({
          method: 'POST', path: '/v2.0/ports',
          json: {
            port: {
              network_id: r.networkId, project_id: req.projectId, device_id: req.instanceUuid, device_owner: deviceOwner,
              'binding:host_id': req.host, ...(r.fixedIp !== undefined ? { fixed_ips: [{ ip_address: r.fixedIp }] } : {}), ...groups,
              // Nova keeps this in its info cache; here Neutron keeps it, so whichever client deallocates knows.
              'kilonova:created_by_compute': true,
            },
          },
        });
        created.push(port.id);
        ports.push(port);
      }
      return await this.networkInfo(ports);
    } catch (err) {
      await this.release(created, bound);
      throw err;
    }
  }

  /** Group names (or ids) of the project as ids, one request for all. */
  private async securityGroupIds(projectId: string, namesOrIds: readonly string[]): Promise<string[]> {
    const { security_groups: groups } = await this.call<{ security_groups: Array<{ id: string; name: string }> }>({
      path: `/v2.0/security-groups?${q({ project_id: [projectId] })}`,
    });
    return namesOrIds.map((n) => {
      const match = groups.filter((g) => g.id === n || g.name === n);
      if (match.length !== 1) throw new BadRequest(`Security group ${n} not found for project ${projectId}.`);
      return match[0]!.id;
    });
  }

  private async bindPort(portId: string, instanceUuid: string, deviceOwner: string, host: string): Promise<NeutronPort> {
    const have = await this.optional<{ port: NeutronPort }>({ path: `/v2.0/ports/${encodeURIComponent(portId)}` });
    if (!have) throw portNotFound(portId);
    if (have.port.device_id !== '') throw portInUse(portId);
    const { port } = await this.call<{ port: NeutronPort }>({
      method: 'PUT', path: `/v2.0/ports/${encodeURIComponent(portId)}`,
      json: { port: { device_id: instanceUuid, device_owner: deviceOwner, 'binding:host_id': host } },
    });
    return port;
  }

  /** Undoes a failed allocation as far as it can; what cannot be undone is left to the audit. */
  private async release(created: string[], bound: string[]): Promise<void> {
    for (const id of created) await this.call({ method: 'DELETE', path: `/v2.0/ports/${encodeURIComponent(id)}` }).catch(() => undefined);
    for (const id of bound) await this.unbind(id).catch(() => undefined);
  }

  private async unbind(portId: string): Promise<void> {
    await this.call({ method: 'PUT', path: `/v2.0/ports/${encodeURIComponent(portId)}`, json: { port: UNBOUND } });
  }

  private async networkInfo(ports: NeutronPort[]): Promise<VifInfo[]> {
    if (ports.length === 0) return [];
    const networkIds = [...new Set(ports.map((p) => p.network_id))];
    const [{ networks }, subnets, { floatingips }] = await Promise.all([
      this.call<{ networks: NeutronNetwork[] }>({ path: `/v2.0/networks?${q({ id: networkIds })}` }),
      this.subnetsOf(networkIds),
      this.call<{ floatingips: NeutronFloatingIp[] }>({ path: `/v2.0/floatingips?${q({ port_id: ports.map((p) => p.id) })}` }),
    ]);
    return networkInfoFrom(ports, networks, subnets, floatingips);
  }

  /** Deletes the ports compute made (or releases one a trunk now uses, as Neutron refuses its deletion); releases the user's. */
  async deallocateForInstance(instanceUuid: string): Promise<void> {
    for (const port of await this.ports({ device_id: instanceUuid })) await this.takeOff(port);
  }

  private async takeOff(port: NeutronPort): Promise<void> {
    if (port['kilonova:created_by_compute'] && !port.trunk_details) {
      const gone = await this.call({ method: 'DELETE', path: `/v2.0/ports/${encodeURIComponent(port.id)}` }).then(() => true, (err: unknown) => {
        if (err instanceof NotFound) return true;
        if (err instanceof Conflict) return false;
        throw err;
      });
      if (gone) return;
    }
    await this.unbind(port.id).catch((err: unknown) => { if (!(err instanceof NotFound)) throw err; });
  }

  async bindInstancePorts(instanceUuid: string, host: string): Promise<void> {
    for (const port of await this.ports({ device_id: instanceUuid })) {
      if (port['binding:host_id'] !== host) {
        await this.call({ method: 'PUT', path: `/v2.0/ports/${encodeURIComponent(port.id)}`, json: { port: { 'binding:host_id': host } } });
      }
    }
  }

  async networkInfoForInstance(instanceUuid: string): Promise<VifInfo[]> {
    return this.networkInfo(await this.ports({ device_id: instanceUuid, ...IN_CREATION_ORDER }));
  }

  async instancePorts(instanceUuid: string): Promise<InstancePortInfo[]> {
    return (await this.ports({ device_id: instanceUuid, ...IN_CREATION_ORDER })).map(instancePort);
  }

  async findPort(portId: string): Promise<InstancePortInfo | undefined> {
    const found = await this.optional<{ port: NeutronPort }>({ path: `/v2.0/ports/${encodeURIComponent(portId)}` });
    return found ? instancePort(found.port) : undefined;
  }

  async detachPort(instanceUuid: string, portId: string): Promise<boolean> {
    const found = await this.optional<{ port: NeutronPort }>({ path: `/v2.0/ports/${encodeURIComponent(portId)}` });
    if (!found || found.port.device_id !== instanceUuid) return false;
    await this.takeOff(found.port);
    return true;
  }

  async listNetworkSummaries(auth: AuthContext): Promise<NetworkSummary[]> {
    const { networks } = await this.call<{ networks: NeutronNetwork[] }>({ path: '/v2.0/networks', userToken: auth.token });
    return [...networks].sort((a, b) => (a.created_at ?? '').localeCompare(b.created_at ?? '') || a.id.localeCompare(b.id))
      .map((n) => ({ id: n.id, name: n.name, project_id: n.project_id }));
  }

  async getNetworkSummary(auth: AuthContext, id: string): Promise<NetworkSummary> {
    const { network: n } = await this.call<{ network: NeutronNetwork }>({ path: `/v2.0/networks/${encodeURIComponent(id)}`, userToken: auth.token });
    return { id: n.id, name: n.name, project_id: n.project_id };
  }

  // ---- security groups: Neutron's own resources, asked with the user's token

  async listSecurityGroups(auth: AuthContext, opts: { allProjects: boolean }): Promise<SecurityGroupInfo[]> {
    const isAdmin = auth.roles.includes('admin');
    const query = isAdmin && opts.allProjects ? '' : `?${q({ project_id: auth.projectId })}`;
    return (await this.call<{ security_groups: SecurityGroupInfo[] }>({ path: `/v2.0/security-groups${query}`, userToken: auth.token })).security_groups;
  }

  async getSecurityGroup(auth: AuthContext, id: string): Promise<SecurityGroupInfo> {
    return (await this.call<{ security_group: SecurityGroupInfo }>({ path: `/v2.0/security-groups/${encodeURIComponent(id)}`, userToken: auth.token })).security_group;
  }

  /** Nova's _find_security_group: by id, else by name in the project (ambiguous names are a 409). */
  async findSecurityGroup(auth: AuthContext, nameOrId: string, projectId = auth.projectId): Promise<SecurityGroupInfo> {
    const byId = await this.optional<{ security_group: SecurityGroupInfo }>({ path: `/v2.0/security-groups/${encodeURIComponent(nameOrId)}`, userToken: auth.token });
    if (byId) return byId.security_group;
    const named = (await this.call<{ security_groups: SecurityGroupInfo[] }>({
      path: `/v2.0/security-groups?${q({ name: nameOrId, project_id: projectId })}`, userToken: auth.token,
    })).security_groups;
    if (named.length > 1) throw new Conflict(`Multiple security_group matches found for name '${nameOrId}', use an ID to be more specific.`, { type: 'NeutronClientNoUniqueMatch' });
    if (named.length === 0) throw new NotFound(`Security group ${nameOrId} does not exist`, { type: 'SecurityGroupNotFound' });
    return named[0]!;
  }

  async createSecurityGroup(auth: AuthContext, group: { name: string; description: string }): Promise<SecurityGroupInfo> {
    return (await this.call<{ security_group: SecurityGroupInfo }>({ method: 'POST', path: '/v2.0/security-groups', json: { security_group: group }, userToken: auth.token })).security_group;
  }

  async updateSecurityGroup(auth: AuthContext, id: string, changes: { name?: string; description?: string }): Promise<SecurityGroupInfo> {
    return (await this.call<{ security_group: SecurityGroupInfo }>({
      method: 'PUT', path: `/v2.0/security-groups/${encodeURIComponent(id)}`, json: { security_group: changes }, userToken: auth.token,
    })).security_group;
  }

  async deleteSecurityGroup(auth: AuthContext, id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/v2.0/security-groups/${encodeURIComponent(id)}`, userToken: auth.token });
  }

  async getSecurityGroupRule(auth: AuthContext, id: string): Promise<SecurityGroupRuleInfo> {
    return (await this.call<{ security_group_rule: SecurityGroupRuleInfo }>({ path: `/v2.0/security-group-rules/${encodeURIComponent(id)}`, userToken: auth.token })).security_group_rule;
  }

  async createSecurityGroupRule(auth: AuthContext, rule: SecurityGroupRuleRequest): Promise<SecurityGroupRuleInfo> {
    return (await this.call<{ security_group_rule: SecurityGroupRuleInfo }>({
      method: 'POST', path: '/v2.0/security-group-rules', json: { security_group_rule: rule }, userToken: auth.token,
    })).security_group_rule;
  }

  async deleteSecurityGroupRule(auth: AuthContext, id: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/v2.0/security-group-rules/${encodeURIComponent(id)}`, userToken: auth.token });
  }

  async instancePortSecurityGroups(instanceUuid: string): Promise<Array<{ portId: string; groupIds: string[] }>> {
    return (await this.ports({ device_id: instanceUuid, ...IN_CREATION_ORDER }))
      .map((p) => ({ portId: p.id, groupIds: [...(p.security_groups ?? [])].sort() }));
  }

  async setPortSecurityGroups(portId: string, groupIds: readonly string[]): Promise<void> {
    await this.call({ method: 'PUT', path: `/v2.0/ports/${encodeURIComponent(portId)}`, json: { port: { security_groups: [...new Set(groupIds)] } } });
  }

  async securityGroupsByIds(ids: readonly string[]): Promise<SecurityGroupInfo[]> {
    if (ids.length === 0) return [];
    const wanted = new Set(ids);
    // Neutron filters by id; this API filters by name and project only, so the service user's full list is narrowed here.
    return (await this.call<{ security_groups: SecurityGroupInfo[] }>({ path: '/v2.0/security-groups' })).security_groups.filter((g) => wanted.has(g.id));
  }
}
