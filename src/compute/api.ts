/**
 * ComputeAPI: the compute service's business rules, between the HTTP
 * controllers and the conductor. It checks policy, validates and builds what
 * a request asks for, counts quota, writes the records, and hands the work to
 * the conductor over the bus.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../conf/options.js';
import type { AuthContext } from '../http/auth.js';
import { ApiError, BadRequest, Conflict, NotFound, NotImplementedError, QuotaExceeded } from '../errors.js';
import type { Diagnostics } from '../virt/driver.js';
import type { Authorizer } from '../policy/types.js';
import { contextFromAuth, type RequestContext } from '../bus/context.js';
import { nowIso } from '../db/schema-helpers.js';
import type { ConductorRpcClient } from '../conductor/rpcapi.js';
import type { ComputeRpcClient } from './rpcapi.js';
import type { ComputeDb } from './db/tables.js';
import type { ImageClient, ImageInfo, NetworkClient } from './clients.js';
import type { CreateOptions } from './create-options.js';
import { allowedInstancesFor, checkInjectedFileQuota, lockProjectQuota } from './quota.js';
import { addGroupMembers, getServerGroup, InstanceGroupNotFound, type ServerGroup } from './server-groups.js';
import { setTags } from './tags.js';
import { getFlavorForBoot } from './flavors.js';
import { getKeyPair } from './keypairs.js';
import { sanitizeHostname } from './hostname.js';
import { autoDiskConfigFor } from './disk-config.js';
import { getInstanceRow, getMetadata, instanceFromRow, markInstanceDeleted, updateInstance, InstanceNotFound, type InstanceRow } from './instance-store.js';
import { InstanceAction, actionStartRow, recordActionStart, finishAction } from './instance-actions.js';
import { insertNewInstances, noNewInstanceRecords, type NewInstanceRecords } from './new-instance-records.js';
import { TaskState, VmState } from './vm-states.js';
import type { Flavor } from '../objects/flavor.js';
import type { ImageMeta } from '../objects/image-meta.js';
import type { BlockDeviceMapping, Instance, NetworkRequestList, RequestSpec } from '../objects/index.js';
import { listInstancePage, type InstancePage, type ListOptions } from './instance-list.js';
import { POWER_ACTION_RULES, type PowerActionName } from './power-action-rules.js';
import { ServerActionAPI } from './server-action-api.js';
import { ShelveAPI } from './shelve-api.js';
import { InterfaceAPI } from './interfaces-api.js';
import { ConsoleAPI } from './consoles-api.js';
import { MigrationAPI } from './migration-api.js';
import type { Notifier } from '../bus/notifier.js';
import { AggregateAPI, type ProviderAggregatesClient } from './aggregates.js';
import { availableZones } from './availability-zones.js';

export interface ComputeApiDepsCore {
  db: ComputeDb;
  conf: Config;
  policy: Authorizer;
  images: ImageClient;
  network: NetworkClient;
  conductor: ConductorRpcClient;
  compute: ComputeRpcClient;
  logger: Logger;
  /** Whether the compute service on a host is up (a local delete when it is not). */
  isComputeUp(host: string): Promise<boolean>;
  /** Deletes allocations when a server is deleted without its host. */
  deleteAllocations(consumerUuid: string): Promise<unknown>;
  /** Deletes a compute node's resource provider when its service is deleted. */
  deleteResourceProvider(rpUuid: string): Promise<unknown>;
  /** Placement's provider aggregates, which host aggregate membership is mirrored to. */
  placementAggregates?: ProviderAggregatesClient;
  /** The API's own notifications (instance.lock, ...). */
  notifier?: Notifier;
}

export interface CreateResult {
  instances: InstanceRow[];
  reservationId: string;
  adminPass: string;
}

export class ComputeAPI {
  /** lock, os-resetState, changePassword, restore / forceDelete, trigger_crash_dump. */
  readonly actions: ServerActionAPI;
  /** shelve, shelveOffload, unshelve. */
  readonly shelving: ShelveAPI;
  /** os-interface: list, show, attach, detach. */
  readonly interfaces: InterfaceAPI;
  /** Remote console URLs. */
  readonly consoles: ConsoleAPI;
  /** Live migration (with force-complete and abort) and evacuation. */
  readonly moves: MigrationAPI;
  /** Host aggregates and the availability zones they make. */
  readonly aggregates: AggregateAPI;

  constructor(private readonly deps: ComputeApiDepsCore) {
    this.aggregates = new AggregateAPI({
      db: deps.db, defaultZone: deps.conf.DEFAULT.default_availability_zone, logger: deps.logger, placement: deps.placementAggregates,
    });
    const lookup = {
      get: (auth: AuthContext, uuid: string, rule: string) => this.get(auth, uuid, rule),
      isAdmin: (auth: AuthContext) => this.isAdmin(auth),
      hardDelete: (auth: AuthContext, requestId: string, row: InstanceRow) => this.hardDelete(auth, requestId, row),
    };
    this.actions = new ServerActionAPI(deps, lookup);
    this.shelving = new ShelveAPI(deps, lookup, this.actions);
    this.interfaces = new InterfaceAPI(deps, lookup, this.actions);
    this.consoles = new ConsoleAPI(deps, lookup);
    this.moves = new MigrationAPI(deps, lookup, this.actions);
  }

  private target(auth: AuthContext, projectId = auth.projectId, userId = auth.userId) {
    return { project_id: projectId, user_id: userId };
  }

  private isAdmin(auth: AuthContext): boolean {
    return this.deps.policy.allowed('context_is_admin', {}, auth);
  }

  // ---- create -------------------------------------------------------------

  async create(auth: AuthContext, requestId: string, opts: CreateOptions): Promise<CreateResult> {
    const { policy, db } = this.deps;
    policy.authorize('os_compute_api:servers:create', this.target(auth), auth);
    const ctx = contextFromAuth(auth, requestId);

    const base = await this.validateAndBuildBaseOptions(auth, opts);
    if (opts.minCount > opts.maxCount) throw new BadRequest('min_count must be <= max_count');
    if (opts.hostname !== undefined && opts.maxCount > 1) throw new BadRequest('Unable to allocate a single hostname to multiple instances');

    const { instances, bdms } = await this.provisionInstances(ctx, auth, opts, base);
    const requestSpec: RequestSpec = {
      instance_uuid: instances[0].uuid, project_id: auth.projectId, user_id: auth.userId,
      flavor: base.flavor, image: base.image, num_instances: instances.length,
      availability_zone: base.availabilityZone, scheduler_hints: opts.schedulerHints,
      ignore_hosts: [], force_hosts: base.forcedHost ? [base.forcedHost] : [], force_nodes: base.forcedNode ? [base.forcedNode] : [],
      security_groups: opts.securityGroups,
    };
    try {
      await this.deps.conductor.buildInstances(ctx, {
        instances: instances.map((row) => instanceFromRow(row, opts.metadata)),
        requestSpec, requestedNetworks: base.networks, blockDeviceMappings: bdms, injectedFiles: opts.injectedFiles,
      });
    } catch (err) {
      // The conductor never got the work: leave nothing behind.
      this.deps.logger.error({ err, request_id: requestId }, 'could not cast build_instances');
      for (const row of instances) await markInstanceDeleted(db, row.uuid);
      throw err;
    }
    return { instances, reservationId: instances[0].reservation_id, adminPass: base.adminPass };
  }

  private async validateAndBuildBaseOptions(auth: AuthContext, opts: CreateOptions) {
    const { db, policy } = this.deps;
    const flavorRow = await getFlavorForBoot(db, opts.flavorRef, auth.projectId).catch((err) => {
      if (err instanceof NotFound) throw new BadRequest(`Flavor ${opts.flavorRef} could not be found.`);
      throw err;
    });
    const flavor: Flavor = {
      id: flavorRow.id, flavorid: flavorRow.flavorid, name: flavorRow.name, memory_mb: flavorRow.memory_mb,
      vcpus: flavorRow.vcpus, root_gb: flavorRow.root_gb, ephemeral_gb: flavorRow.ephemeral_gb, swap: flavorRow.swap,
      rxtx_factor: flavorRow.rxtx_factor, is_public: flavorRow.is_public === 1, disabled: flavorRow.disabled === 1,
      description: flavorRow.description, extra_specs: flavorRow.extra_specs ?? {},
    };

    const bootFromVolume = opts.blockDeviceMappings.some((b) => b.source_type === 'volume' || b.destination_type === 'volume');
    if (bootFromVolume) throw new BadRequest('Block device mappings with volumes are not supported: Kilonova has no block storage service.');
    if (!opts.imageRef) throw new BadRequest('Missing imageRef attribute');
    const image = await this.images(auth, opts.imageRef);
    if (image.status !== 'active') throw new BadRequest(`Image ${image.id} is not active.`);
    if (flavor.memory_mb < (image.min_ram ?? 0)) throw new BadRequest("Flavor's memory is too small for requested image.");
    if (flavor.root_gb > 0 && flavor.root_gb < (image.min_disk ?? 0)) throw new BadRequest("Flavor's disk is too small for requested image.");
    // Nova checks the image's size and, when Glance knows it, its virtual size (what the guest sees).
    const virtualSize = typeof image.virtual_size === 'number' ? image.virtual_size : 0;
    const imageBytes = Math.max(image.size ?? 0, virtualSize);
    if (flavor.root_gb > 0 && imageBytes > flavor.root_gb * 1024 ** 3) {
      throw new BadRequest(`Flavor's disk is too small for requested image. Flavor disk is ${flavor.root_gb * 1024 ** 3} bytes, image is ${imageBytes} bytes.`);
    }

    let keyData: string | null = null;
    if (opts.keyName) {
      const kp = await getKeyPair(db, auth.userId, opts.keyName).catch((err) => {
        if (err instanceof NotFound) throw new BadRequest('Invalid key_name provided.');
        throw err;
      });
      keyData = kp.public_key;
    }

    const { availabilityZone, forcedHost, forcedNode } = await this.parseAvailabilityZone(opts.availabilityZone ?? null);
    if (forcedHost) policy.authorize('os_compute_api:servers:create:forced_host', this.target(auth), auth);

    const networks = await this.requestedNetworks(auth, opts);
    await this.checkRequestedSecurityGroups(auth, opts.securityGroups);
    await checkInjectedFileQuota(db, this.deps.conf.quota, auth.projectId, auth.userId, opts.injectedFiles);
    const group = await this.requestedGroup(opts.schedulerHints);
    const autoDiskConfig = autoDiskConfigFor(image, opts.autoDiskConfig);
    return {
      flavor, image: imageMeta(image), keyData, availabilityZone, forcedHost, forcedNode, networks, group, autoDiskConfig,
      adminPass: opts.adminPass ?? randomBytes(9).toString('base64url').slice(0, 12),
    };
  }

  /**
   * Every requested security group must exist for the caller (by name or id; `default` is
   * made on demand): an unknown one is a 400 and an ambiguous name a 409, as Nova answers
   * after asking Neutron, before anything is written.
   */
  private async checkRequestedSecurityGroups(auth: AuthContext, names: readonly string[]): Promise<void> {
    for (const name of names) {
      if (name === 'default') continue;
      try {
        await this.deps.network.findSecurityGroup(auth, name);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) throw new BadRequest(`Unable to find security_group with name or id '${name}'`);
        if (err instanceof ApiError && err.status === 409) throw new Conflict(`Multiple security_group matches found for name '${name}', use an ID to be more specific.`);
        throw err;
      }
    }
  }

  /** The server group the `group` scheduler hint names: a group that does not exist is a bad request (as Nova). */
  private async requestedGroup(hints: Record<string, unknown>): Promise<ServerGroup | null> {
    if (!Object.hasOwn(hints, 'group')) return null;
    const raw = hints.group;
    const uuid = Array.isArray(raw) ? raw[0] : raw;
    if (typeof uuid !== 'string' || uuid === '') return null;
    try {
      return await getServerGroup(this.deps.db, uuid);
    } catch (err) {
      if (err instanceof InstanceGroupNotFound) throw new BadRequest(err.message);
      throw err;
    }
  }

  private async images(auth: AuthContext, ref: string): Promise<ImageInfo> {
    const id = ref.includes('/') ? ref.slice(ref.lastIndexOf('/') + 1) : ref;
    try {
      return await this.deps.images.getImage(id, auth);
    } catch (err) {
      if (err instanceof NotFound) throw new BadRequest(`Image ${id} could not be found.`);
      throw err;
    }
  }

  private async parseAvailabilityZone(requested: string | null) {
    const { conf, db } = this.deps;
    let zone = requested;
    let forcedHost: string | null = null;
    let forcedNode: string | null = null;
    if (zone && zone.includes(':')) {
      const parts = zone.split(':');
      zone = parts[0] || null;
      forcedHost = parts[1] || null;
      forcedNode = parts[2] || null;
    }
    if (!zone) zone = conf.DEFAULT.default_schedule_zone || null;
    // A forced host names where to go, so the zone is not checked (as Nova).
    if (zone && !forcedHost && !(await availableZones(db, conf)).has(zone)) {
      throw new BadRequest('The requested availability zone is not available');
    }
    return { availabilityZone: zone, forcedHost, forcedNode };
  }

  private async requestedNetworks(auth: AuthContext, opts: CreateOptions): Promise<NetworkRequestList> {
    const { network, policy } = this.deps;
    if (opts.networks === 'default' || opts.networks.mode === 'auto') {
      const available = await network.networksForAutoAllocation(auth);
      if (available.length > 1) throw new Conflict('Multiple possible networks found, use a Network ID to be more specific.');
      return available.length === 1
        ? { mode: 'explicit', objects: [{ network_id: available[0].networkId ?? null, port_id: available[0].portId ?? null, address: null }] }
        : { mode: 'none', objects: [] };
    }
    if (opts.networks.mode === 'none') return opts.networks;
    policy.authorize('os_compute_api:servers:create:attach_network', this.target(auth), auth);
    const requested = opts.networks.objects;
    if (opts.maxCount > 1 && requested.some((r) => r.port_id)) {
      throw new BadRequest('Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.');
    }
    await network.validateNetworks(auth, requested.map((r) => ({
      networkId: r.network_id ?? undefined, portId: r.port_id ?? undefined, fixedIp: r.address ?? undefined,
    })));
    return opts.networks;
  }

  /** Writes the servers' records, each with its request spec, block devices and "create" action. */
  private async provisionInstances(ctx: RequestContext, auth: AuthContext, opts: CreateOptions, base: Awaited<ReturnType<ComputeAPI['validateAndBuildBaseOptions']>>) {
    const { db, conf } = this.deps;
    const reservationId = `r-${randomBytes(6).toString('hex').slice(0, 8)}`;
    const now = nowIso();
    return db.transaction().execute(async (trx) => {
      // Counted inside the transaction, under the project's lock, so concurrent creates cannot both take the last slot.
      await lockProjectQuota(trx, auth.projectId);
      const { count, limits } = await allowedInstancesFor(trx, conf.quota, auth.projectId, auth.userId,
        { cores: base.flavor.vcpus, ram: base.flavor.memory_mb }, opts.minCount, opts.maxCount);
      const mdLimit = limits.user.metadata_items;
      if (mdLimit >= 0 && Object.keys(opts.metadata).length > mdLimit) {
        throw new QuotaExceeded(`Quota exceeded for metadata_items: Requested ${Object.keys(opts.metadata).length}, but already used 0 of ${mdLimit} metadata_items`);
      }
      const records: NewInstanceRecords = noNewInstanceRecords();
      const bdms: BlockDeviceMapping[][] = [];
      for (let i = 0; i < count; i++) {
        const uuid = randomUUID();
        const displayName = count > 1 ? `${opts.name}-${i + 1}` : opts.name;
        records.instances.push({
          uuid, project_id: auth.projectId, user_id: auth.userId, display_name: displayName,
          display_description: opts.description ?? null, hostname: opts.hostname ?? sanitizeHostname(displayName, `server-${uuid}`),
          host: null, node: null, launched_on: null, availability_zone: base.availabilityZone,
          vm_state: VmState.BUILDING, task_state: TaskState.SCHEDULING, power_state: 0,
          image_ref: base.image.id, flavor: JSON.stringify(base.flavor),
          vcpus: base.flavor.vcpus, memory_mb: base.flavor.memory_mb, root_gb: base.flavor.root_gb, ephemeral_gb: base.flavor.ephemeral_gb,
          key_name: opts.keyName ?? null, key_data: base.keyData, user_data: opts.userData ?? null,
          config_drive: opts.configDrive ? 'True' : '', auto_disk_config: base.autoDiskConfig ? 1 : 0,
          trusted_certs: opts.trustedCerts?.length ? JSON.stringify(opts.trustedCerts) : null, access_ip_v4: opts.accessIPv4 ?? null, access_ip_v6: opts.accessIPv6 ?? null,
          locked: 0, locked_reason: null, launch_index: i, reservation_id: reservationId, root_device_name: null, progress: 0,
          network_info: '[]', security_groups: JSON.stringify(opts.securityGroups),
          created_at: now, updated_at: null, launched_at: null, terminated_at: null, deleted_at: null, deleted: 0,
        });
        for (const [key, value] of Object.entries(opts.metadata)) records.metadata.push({ instance_uuid: uuid, key, value });
        const bdm: BlockDeviceMapping = {
          uuid: randomUUID(), instance_uuid: uuid, source_type: 'image', destination_type: 'local', boot_index: 0,
          device_name: '/dev/vda', image_id: base.image.id, volume_id: null, volume_size: null,
          delete_on_termination: true, guest_format: null, disk_bus: null, device_type: 'disk',
        };
        records.blockDevices.push({ ...bdm, delete_on_termination: 1, created_at: now, deleted: 0 });
        bdms.push([bdm]);
        records.requestSpecs.push({ instance_uuid: uuid, spec: JSON.stringify({ flavor: base.flavor.flavorid, image: base.image.id, az: base.availabilityZone }) });
        records.actions.push(actionStartRow(ctx, uuid, InstanceAction.CREATE));
      }
      const instances = await insertNewInstances(trx, records);
      if (opts.tags && opts.tags.length > 0) for (const row of instances) await setTags(trx, row.uuid, opts.tags);
      if (base.group) await addGroupMembers(trx, base.group, limits.user.server_group_members, instances.map((r) => r.uuid));
      return { instances, bdms };
    });
  }

  // ---- read ---------------------------------------------------------------

  /** A live server the caller may see: other projects' servers do not exist for it (404, as Nova). */
  async get(auth: AuthContext, uuid: string, rule = 'os_compute_api:servers:show', readDeleted = false): Promise<InstanceRow> {
    const row = await getInstanceRow(this.deps.db, uuid, { readDeleted });
    if (row.project_id !== auth.projectId && !this.isAdmin(auth)) throw new InstanceNotFound(uuid);
    this.deps.policy.authorize(rule, this.target(auth, row.project_id, row.user_id), auth);
    return row;
  }

  /** The page of servers the caller may list; the views are rendered (and cached) by the API layer. */
  async list(auth: AuthContext, detail: boolean, opts: ListOptions): Promise<InstancePage> {
    const { policy } = this.deps;
    policy.authorize(detail ? 'os_compute_api:servers:detail' : 'os_compute_api:servers:index', this.target(auth), auth);
    if (opts.allTenants) {
      policy.authorize(detail ? 'os_compute_api:servers:detail:get_all_tenants' : 'os_compute_api:servers:index:get_all_tenants', {}, auth);
    }
    // Which filters a caller may use is the API's decision (it depends on the microversion); the project is decided here.
    return listInstancePage(this.deps.db, {
      ...opts,
      projectId: opts.allTenants ? opts.projectId : auth.projectId,
      maxLimit: this.deps.conf.api.max_limit,
    });
  }

  // ---- update -------------------------------------------------------------

  async update(auth: AuthContext, requestId: string, uuid: string, values: { name?: string; description?: string | null; accessIPv4?: string | null; accessIPv6?: string | null; autoDiskConfig?: boolean; hostname?: string }): Promise<InstanceRow> {
    const row = await this.get(auth, uuid, 'os_compute_api:servers:update');
    const set: Parameters<typeof updateInstance>[2] = {};
    if (values.autoDiskConfig !== undefined) {
      // Checked against the server's image, when it still exists.
      const image = row.image_ref ? await this.deps.images.getImage(row.image_ref, auth).catch(() => undefined) : undefined;
      set.auto_disk_config = autoDiskConfigFor(image, values.autoDiskConfig) ? 1 : 0;
    }
    if (values.name !== undefined) set.display_name = values.name;
    if (values.hostname !== undefined) set.hostname = values.hostname;
    if (values.description !== undefined) set.display_description = values.description;
    if (values.accessIPv4 !== undefined) set.access_ip_v4 = values.accessIPv4;
    if (values.accessIPv6 !== undefined) set.access_ip_v6 = values.accessIPv6;
    if (Object.keys(set).length > 0) {
      await updateInstance(this.deps.db, uuid, set);
      await recordActionStart(this.deps.db, contextFromAuth(auth, requestId), uuid, InstanceAction.UPDATE);
      await finishAction(this.deps.db, contextFromAuth(auth, requestId), uuid);
    }
    return getInstanceRow(this.deps.db, uuid);
  }

  // ---- delete -------------------------------------------------------------

  async delete(auth: AuthContext, requestId: string, uuid: string): Promise<void> {
    const row = await this.get(auth, uuid, 'os_compute_api:servers:delete');
    this.actions.checkLock(auth, row);
    // Nova accepts a repeated delete and lets the first one finish.
    if (row.task_state === TaskState.DELETING) return;
    await this.actions.deleteOrSoftDelete(auth, requestId, row);
  }

  /** The delete that removes the server now: on its host when that is up, else here. */
  private async hardDelete(auth: AuthContext, requestId: string, row: InstanceRow): Promise<void> {
    const uuid = row.uuid;
    const ctx = contextFromAuth(auth, requestId);
    if (row.task_state === TaskState.DELETING) return;
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.DELETE);
    await this.shelving.deleteShelvedImage(auth, row);
    const md = await getMetadata(this.deps.db, [uuid]);
    const instance = instanceFromRow(row, md.get(uuid) ?? {});
    if (row.host && (await this.deps.isComputeUp(row.host))) {
      const ok = await updateInstance(this.deps.db, uuid, { task_state: TaskState.DELETING });
      if (!ok) throw new InstanceNotFound(uuid);
      await this.deps.compute.terminateInstance(ctx, row.host, { instance: { ...instance, task_state: TaskState.DELETING } });
      return;
    }
    await this.localDelete(ctx, instance);
  }

  /** Nova's local delete: no host (or its compute is down), so the API cleans up itself. */
  private async localDelete(ctx: RequestContext, instance: Instance): Promise<void> {
    await this.deps.network.deallocateForInstance(instance.uuid);
    await this.deps.deleteAllocations(instance.uuid);
    await finishAction(this.deps.db, ctx, instance.uuid);
    await markInstanceDeleted(this.deps.db, instance.uuid);
  }

  // ---- power actions ------------------------------------------------------

  async powerAction(auth: AuthContext, requestId: string, uuid: string, action: PowerActionName, extra: Record<string, unknown> = {}): Promise<void> {
    const rule = POWER_ACTION_RULES[action];
    const row = await this.get(auth, uuid, rule.policy);
    if (row.locked && !this.isAdmin(auth)) throw new Conflict(`Instance ${uuid} is locked`);
    if (!rule.fromVmStates.includes(row.vm_state) || row.task_state !== null) {
      throw new Conflict(`Cannot '${rule.nova}' instance ${uuid} while it is in vm_state ${row.vm_state}` + (row.task_state ? ` and task_state ${row.task_state}` : ''));
    }
    if (!row.host) throw new Conflict(`Cannot '${rule.nova}' instance ${uuid}: it has no host`);
    const taskState = typeof rule.taskState === 'function' ? rule.taskState(extra) : rule.taskState;
    const ok = await updateInstance(this.deps.db, uuid, { task_state: taskState }, [null]);
    if (!ok) throw new Conflict(`Cannot '${rule.nova}' instance ${uuid} while another action is in progress`);
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, rule.action);
    const md = await getMetadata(this.deps.db, [uuid]);
    await this.deps.compute.instanceAction(ctx, row.host, {
      action, instance: { ...instanceFromRow(row, md.get(uuid) ?? {}), task_state: taskState },
      rebootType: typeof extra.reboot_type === 'string' ? extra.reboot_type : undefined,
    });
  }

  /**
   * The last `length` lines of the guest's console (all when null), read on its
   * host. Nova's wording and codes: 409 while the server has no running guest.
   */
  async getConsoleOutput(auth: AuthContext, requestId: string, uuid: string, length: number | null): Promise<string> {
    const row = await this.get(auth, uuid, 'os_compute_api:os-console-output');
    if (!row.host || row.vm_state === VmState.BUILDING || row.vm_state === VmState.ERROR) {
      throw new Conflict(`Cannot 'get_console_output' instance ${uuid} while it is in vm_state ${row.vm_state}`);
    }
    const md = await getMetadata(this.deps.db, [uuid]);
    let output: string;
    try {
      output = await this.deps.compute.getConsoleOutput(contextFromAuth(auth, requestId), row.host, { instance: instanceFromRow(row, md.get(uuid) ?? {}) });
    } catch (err) {
      this.deps.logger.warn({ err, instance: uuid, request_id: requestId }, 'console output not available');
      throw new Conflict('Guest does not have a console available.');
    }
    if (length === null || length < 0) return output;
    if (length === 0) return '';
    // Nova's tail: the last `length` pieces of the text split at newlines, so a
    // final newline counts as one (clients such as Tempest count lines that way).
    return output.split('\n').slice(-length).join('\n');
  }

  /**
   * A compute host's uptime line (Nova's HostAPI.get_host_uptime): 400 while
   * its service is down, 501 when its driver cannot tell.
   */
  async getHostUptime(auth: AuthContext, requestId: string, host: string): Promise<string> {
    if (!(await this.deps.isComputeUp(host))) throw new BadRequest(`Compute service of ${host} is unavailable at this time.`);
    try {
      return await this.deps.compute.getHostUptime(contextFromAuth(auth, requestId), host);
    } catch (err) {
      if ((err as { remoteName?: string }).remoteName === 'DriverNotSupported') throw new NotImplementedError('The requested functionality is not supported.');
      throw err;
    }
  }

  /**
   * The guest's diagnostics, read on its host. Nova's answers: 409 while the
   * server has no host, 501 when its driver cannot tell.
   */
  async getDiagnostics(auth: AuthContext, requestId: string, uuid: string): Promise<Diagnostics> {
    const row = await this.get(auth, uuid, 'os_compute_api:os-server-diagnostics');
    if (!row.host) throw new Conflict(`Instance ${uuid} is not ready`);
    const md = await getMetadata(this.deps.db, [uuid]);
    try {
      return await this.deps.compute.getInstanceDiagnostics(contextFromAuth(auth, requestId), row.host, {
        instance: instanceFromRow(row, md.get(uuid) ?? {}), networkInfo: row.network_info,
      });
    } catch (err) {
      const remote = (err as { remoteName?: string }).remoteName;
      if (remote === 'DriverNotSupported') throw new NotImplementedError('The requested functionality is not supported.');
      if (remote === 'InstanceNotFoundOnHost') throw new Conflict(`Cannot 'get_diagnostics' instance ${uuid} while it is in vm_state ${row.vm_state}`);
      throw err;
    }
  }

  /** Requires the server to exist and be visible, then checks a rule against it. */
  async authorizeOn(auth: AuthContext, uuid: string, rule: string, opts: { readDeleted?: boolean } = {}): Promise<InstanceRow> {
    return this.get(auth, uuid, rule, opts.readDeleted);
  }

  /** Removes deleted compute nodes from placement; one that cannot go is logged, not fatal (Nova does the same). */
  async deleteResourceProviders(rpUuids: readonly string[]): Promise<void> {
    for (const uuid of rpUuids) {
      await this.deps.deleteResourceProvider(uuid).catch((err) => this.deps.logger.warn({ err, resource_provider: uuid }, 'could not delete the resource provider of a deleted compute node'));
    }
  }
}

/** The ImageMeta object of an image as the image service describes it. */
export function imageMeta(image: ImageInfo): ImageMeta {
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(image)) {
    if (typeof v === 'string' && !['id', 'name', 'status', 'disk_format', 'container_format', 'checksum', 'owner', 'visibility', 'self', 'file', 'schema', 'created_at', 'updated_at', 'os_hash_algo', 'os_hash_value'].includes(k)) {
      properties[k] = v;
    }
  }
  return {
    id: image.id, name: image.name ?? null, disk_format: image.disk_format ?? null, container_format: image.container_format ?? null,
    size: typeof image.size === 'number' ? image.size : null, min_disk: image.min_disk ?? 0, min_ram: image.min_ram ?? 0, properties,
  };
}
