/**
 * os-interface: the business rules of Nova's attach_interface and
 * detach_interface (compute/api.py) and of its listing — policy on the
 * server, the lock, the states a hot-plug is allowed from — then the call
 * (attach answers with the port) or cast (detach) to the server's host.
 */
import type { AuthContext } from '../http/auth.js';
import { ApiError, BadRequest, Conflict, NotFound } from '../errors.js';
import { RemoteError } from '../bus/rpc.js';
import { contextFromAuth } from '../bus/context.js';
import type { InstancePortInfo } from './clients.js';
import { finishAction, InstanceAction, recordActionStart } from './instance-actions.js';
import { getMetadata, instanceFromRow, type InstanceRow } from './instance-store.js';
import type { ServerActionAPI, ServerActionDeps, ServerLookup } from './server-action-api.js';
import { VmState } from './vm-states.js';
import type { NetworkClient } from './clients.js';

/** What Nova lets a server hot-plug from (task_state none). */
const HOTPLUG_STATES: readonly string[] = [VmState.ACTIVE, VmState.PAUSED, VmState.STOPPED];

export interface AttachOptions {
  netId?: string;
  portId?: string;
  fixedIp?: string;
  tag?: string;
}

/** An attached port with the tag the attach gave it (null when none). */
export type InterfaceAttachment = InstancePortInfo & { tag: string | null };

export class InterfaceAPI {
  constructor(
    private readonly deps: ServerActionDeps & { network: NetworkClient },
    private readonly servers: ServerLookup,
    private readonly checks: ServerActionAPI,
  ) {}

  async list(auth: AuthContext, uuid: string): Promise<InterfaceAttachment[]> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:os-attach-interfaces:list');
    const tags = tagsOf(row);
    return (await this.deps.network.instancePorts(uuid)).map((p) => ({ ...p, tag: tags.get(p.id) ?? null }));
  }

  async show(auth: AuthContext, uuid: string, portId: string): Promise<InterfaceAttachment> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:os-attach-interfaces:show');
    const port = await this.deps.network.findPort(portId);
    if (!port) throw new NotFound(`Port ${portId} could not be found.`);
    if (port.device_id !== uuid) throw new NotFound(`Instance ${uuid} does not have a port with id ${portId}`);
    return { ...port, tag: tagsOf(row).get(portId) ?? null };
  }

  async attach(auth: AuthContext, requestId: string, uuid: string, opts: AttachOptions): Promise<InterfaceAttachment> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:os-attach-interfaces:create');
    if (opts.netId && opts.portId) throw new BadRequest('Must not input both network_id and port_id');
    if (opts.fixedIp && !opts.netId) throw new BadRequest('Must input network_id when request IP address');
    this.checks.checkLock(auth, row);
    this.checks.checkState(row, 'attach_interface', HOTPLUG_STATES);
    if (!row.host) throw new Conflict(`Instance ${uuid} is not ready`);
    let netId = opts.netId;
    if (opts.portId) {
      const port = await this.deps.network.findPort(opts.portId);
      if (!port) throw new NotFound(`Port ${opts.portId} could not be found.`);
      if (port.device_id) throw new Conflict(`Port ${opts.portId} is still in use.`);
    } else if (netId) {
      await this.deps.network.getNetworkSummary(auth, netId).catch((err) => {
        if (err instanceof NotFound) throw new NotFound(`Network ${netId} could not be found.`);
        throw err;
      });
      if (opts.fixedIp) await this.deps.network.validateNetworks(auth, [{ networkId: netId, fixedIp: opts.fixedIp }]);
    } else {
      const auto = await this.deps.network.networksForAutoAllocation(auth).catch((err) => {
        if (err instanceof Conflict) throw new BadRequest(err.message);
        throw err;
      });
      if (auto.length === 0) throw new BadRequest(`No specific network was requested and none are available for project '${row.project_id}'.`);
      netId = auto[0].networkId;
    }
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.ATTACH_INTERFACE);
    let portId: string;
    try {
      portId = await this.deps.compute.attachInterface(ctx, row.host, {
        instance: await this.instance(row),
        networkId: opts.portId ? null : netId ?? null, portId: opts.portId ?? null, requestedIp: opts.fixedIp ?? null, tag: opts.tag ?? null,
      });
    } catch (err) {
      await finishAction(this.deps.db, ctx, uuid);
      if (!(err instanceof RemoteError)) throw err;
      if (err.remoteName === 'DriverNotSupported') throw new BadRequest('Attaching interfaces is not supported for this instance.');
      if (err.remoteName === 'BadRequest') throw new BadRequest(err.message);
      if (err.remoteName === 'Conflict') throw new Conflict(err.message);
      this.deps.logger.warn({ err, instance: uuid, request_id: requestId }, 'interface attach failed');
      // Nova's InterfaceAttachFailed, a 500 in its words.
      throw new ApiError(500, `Failed to attach network adapter device to ${uuid}`);
    }
    return this.show(auth, uuid, portId);
  }

  async detach(auth: AuthContext, requestId: string, uuid: string, portId: string): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:os-attach-interfaces:delete');
    this.checks.checkLock(auth, row);
    this.checks.checkState(row, 'detach_interface', HOTPLUG_STATES);
    if (!row.host) throw new Conflict(`Instance ${uuid} is not ready`);
    const ports = await this.deps.network.instancePorts(uuid);
    if (!ports.some((p) => p.id === portId)) throw new NotFound(`Port ${portId} could not be found.`);
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.DETACH_INTERFACE);
    await this.deps.compute.detachInterface(ctx, row.host, { instance: await this.instance(row), portId });
  }

  private async instance(row: InstanceRow) {
    const md = await getMetadata(this.deps.db, [row.uuid]);
    return instanceFromRow(row, md.get(row.uuid) ?? {});
  }
}

/** The tags attaches gave the server's ports, from its network info. */
function tagsOf(row: InstanceRow): Map<string, string | null> {
  const out = new Map<string, string | null>();
  try {
    for (const v of JSON.parse(row.network_info ?? '[]') as Array<{ id: string; tag?: string | null }>) out.set(v.id, v.tag ?? null);
  } catch {
    // an unreadable cache shows no tags
  }
  return out;
}
