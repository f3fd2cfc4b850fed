/** Client side of a compute host's RPC API (topic `compute.<host>`). */
import type { InjectedFile } from '../virt/driver.js';
import type { RpcClient } from '../bus/rpc.js';
import type { RequestContext } from '../bus/context.js';
import type { ConsoleEndpoint, ConsoleProtocol, Diagnostics } from '../virt/driver.js';
import { toPrimitive, InstanceObject, ImageMetaObject, type ImageMeta, FlavorObject, type Flavor, RequestSpecObject, NetworkRequestListObject, BlockDeviceMappingObject, SelectionObject,
  type Instance, type RequestSpec, type NetworkRequestList, type BlockDeviceMapping, type Selection } from '../objects/index.js';

export const COMPUTE_TOPIC = 'compute';
export const computeTopic = (host: string) => `${COMPUTE_TOPIC}.${host}`;

export interface BuildAndRunInstanceArgs {
  instance: Instance;
  requestSpec: RequestSpec;
  requestedNetworks: NetworkRequestList;
  blockDeviceMappings: BlockDeviceMapping[];
  /** The host chosen (allocation claimed), then the alternates. */
  selection: Selection;
  alternates: Selection[];
  injectedFiles?: InjectedFile[];
}

export class ComputeRpcClient {
  constructor(private readonly rpc: RpcClient) {}

  buildAndRunInstance(ctx: RequestContext, host: string, args: BuildAndRunInstanceArgs): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'build_and_run_instance', {
      instance: toPrimitive(InstanceObject, args.instance),
      request_spec: toPrimitive(RequestSpecObject, args.requestSpec),
      requested_networks: toPrimitive(NetworkRequestListObject, args.requestedNetworks),
      block_device_mappings: args.blockDeviceMappings.map((b) => toPrimitive(BlockDeviceMappingObject, b)),
      selection: toPrimitive(SelectionObject, args.selection),
      alternates: args.alternates.map((s) => toPrimitive(SelectionObject, s)),
      injected_files: args.injectedFiles ?? [],
    });
  }

  terminateInstance(ctx: RequestContext, host: string, instance: Instance): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'terminate_instance', { instance: toPrimitive(InstanceObject, instance) });
  }

  /** The guest's console log, read on its host (a call: the API answers with it). */
  getConsoleOutput(ctx: RequestContext, host: string, instance: Instance): Promise<string> {
    return this.rpc.call<string>(ctx, computeTopic(host), 'get_console_output', { instance: toPrimitive(InstanceObject, instance) });
  }

  /** The host's uptime line, read by its compute service. */
  getHostUptime(ctx: RequestContext, host: string): Promise<string> {
    return this.rpc.call<string>(ctx, computeTopic(host), 'get_host_uptime', {});
  }

  /** The guest's diagnostics (Nova's standard form), read on its host. */
  getDiagnostics(ctx: RequestContext, host: string, instance: Instance, networkInfo: string): Promise<Diagnostics> {
    return this.rpc.call<Diagnostics>(ctx, computeTopic(host), 'get_instance_diagnostics', { instance: toPrimitive(InstanceObject, instance), network_info: networkInfo });
  }

  /** Power actions (stop, start, reboot, pause, ...): cast, the API returns 202. */
  instanceAction(ctx: RequestContext, host: string, action: string, instance: Instance, extra: Record<string, unknown> = {}): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'instance_action', { action, instance: toPrimitive(InstanceObject, instance), ...extra });
  }

  /** Sets the guest's admin password; a call, so the API can answer 409 / 501 from the host's outcome. */
  setAdminPassword(ctx: RequestContext, host: string, instance: Instance, newPass: string): Promise<void> {
    return this.rpc.call<void>(ctx, computeTopic(host), 'set_admin_password', { instance: toPrimitive(InstanceObject, instance), new_pass: newPass });
  }

  triggerCrashDump(ctx: RequestContext, host: string, instance: Instance): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'trigger_crash_dump', { instance: toPrimitive(InstanceObject, instance) });
  }

  softDeleteInstance(ctx: RequestContext, host: string, instance: Instance): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'soft_delete_instance', { instance: toPrimitive(InstanceObject, instance) });
  }

  restoreInstance(ctx: RequestContext, host: string, instance: Instance): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'restore_instance', { instance: toPrimitive(InstanceObject, instance) });
  }

  /** Rebuilds the guest from `image` on its host (Nova's rebuild_instance, on the same host). */
  rebuildInstance(ctx: RequestContext, host: string, instance: Instance, image: ImageMeta, opts: { preserveEphemeral: boolean; origVmState: string; injectedFiles?: InjectedFile[] }): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'rebuild_instance', {
      instance: toPrimitive(InstanceObject, instance), image: toPrimitive(ImageMetaObject, image),
      preserve_ephemeral: opts.preserveEphemeral, orig_vm_state: opts.origVmState, injected_files: opts.injectedFiles ?? [],
    });
  }

  rescueInstance(ctx: RequestContext, host: string, instance: Instance, rescueImage: ImageMeta, adminPass: string): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'rescue_instance', {
      instance: toPrimitive(InstanceObject, instance), rescue_image: toPrimitive(ImageMetaObject, rescueImage), rescue_password: adminPass,
    });
  }

  unrescueInstance(ctx: RequestContext, host: string, instance: Instance): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'unrescue_instance', { instance: toPrimitive(InstanceObject, instance) });
  }

  /** Snapshot (or, with `backup`, backup with rotation) into the image record the API made. */
  snapshotInstance(ctx: RequestContext, host: string, instance: Instance, imageId: string, backup?: { type: string; rotation: number }): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'snapshot_instance', {
      instance: toPrimitive(InstanceObject, instance), image_id: imageId,
      ...(backup ? { backup_type: backup.type, rotation: backup.rotation } : {}),
    });
  }

  // ---- shelve (on the server's host) and unshelve (on the host it runs on next) ----

  shelveInstance(ctx: RequestContext, host: string, instance: Instance, imageId: string): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'shelve_instance', { instance: toPrimitive(InstanceObject, instance), image_id: imageId });
  }

  shelveOffloadInstance(ctx: RequestContext, host: string, instance: Instance): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'shelve_offload_instance', { instance: toPrimitive(InstanceObject, instance) });
  }

  unshelveInstance(ctx: RequestContext, host: string, instance: Instance, node: string | null): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'unshelve_instance', { instance: toPrimitive(InstanceObject, instance), node });
  }

  /** Where the guest's console of this protocol is served (a call). */
  getRemoteConsole(ctx: RequestContext, host: string, instance: Instance, protocol: ConsoleProtocol): Promise<ConsoleEndpoint> {
    return this.rpc.call<ConsoleEndpoint>(ctx, computeTopic(host), 'get_remote_console', { instance: toPrimitive(InstanceObject, instance), protocol });
  }

  // ---- os-interface ----

  /** Attaches a port (made on a network, or the user's); a call that answers with the port's id. */
  attachInterface(ctx: RequestContext, host: string, instance: Instance, req: { networkId: string | null; portId: string | null; fixedIp: string | null; tag: string | null }): Promise<string> {
    return this.rpc.call<string>(ctx, computeTopic(host), 'attach_interface', {
      instance: toPrimitive(InstanceObject, instance), network_id: req.networkId, port_id: req.portId, requested_ip: req.fixedIp, tag: req.tag,
    });
  }

  detachInterface(ctx: RequestContext, host: string, instance: Instance, portId: string): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'detach_interface', { instance: toPrimitive(InstanceObject, instance), port_id: portId });
  }

  // ---- resize and cold migration (source: resize, confirm, finish revert; destination: finish, revert) ----

  resizeInstance(ctx: RequestContext, host: string, instance: Instance, migrationUuid: string, flavor: Flavor): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'resize_instance', { instance: toPrimitive(InstanceObject, instance), migration_uuid: migrationUuid, flavor: toPrimitive(FlavorObject, flavor) });
  }

  finishResize(ctx: RequestContext, host: string, instance: Instance, migrationUuid: string, flavor: Flavor): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'finish_resize', { instance: toPrimitive(InstanceObject, instance), migration_uuid: migrationUuid, flavor: toPrimitive(FlavorObject, flavor) });
  }

  confirmResize(ctx: RequestContext, host: string, instance: Instance, migrationUuid: string): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'confirm_resize', { instance: toPrimitive(InstanceObject, instance), migration_uuid: migrationUuid });
  }

  revertResize(ctx: RequestContext, host: string, instance: Instance, migrationUuid: string): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'revert_resize', { instance: toPrimitive(InstanceObject, instance), migration_uuid: migrationUuid });
  }

  finishRevertResize(ctx: RequestContext, host: string, instance: Instance, migrationUuid: string): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'finish_revert_resize', { instance: toPrimitive(InstanceObject, instance), migration_uuid: migrationUuid });
  }

  // ---- live migration (source: live_migration, abort, force complete; destination: pre, post, rollback) ----

  liveMigration(ctx: RequestContext, host: string, instance: Instance, migrationUuid: string, dest: string): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'live_migration', { instance: toPrimitive(InstanceObject, instance), migration_uuid: migrationUuid, dest });
  }

  /** A call: the source starts the copy only once the destination is ready. */
  preLiveMigration(ctx: RequestContext, host: string, instance: Instance, migrationUuid: string): Promise<void> {
    return this.rpc.call<void>(ctx, computeTopic(host), 'pre_live_migration', { instance: toPrimitive(InstanceObject, instance), migration_uuid: migrationUuid });
  }

  postLiveMigrationAtDestination(ctx: RequestContext, host: string, instance: Instance, migrationUuid: string, powerState: number): Promise<void> {
    return this.rpc.call<void>(ctx, computeTopic(host), 'post_live_migration_at_destination', {
      instance: toPrimitive(InstanceObject, instance), migration_uuid: migrationUuid, power_state: powerState,
    });
  }

  rollbackLiveMigrationAtDestination(ctx: RequestContext, host: string, instance: Instance, migrationUuid: string): Promise<void> {
    return this.rpc.call<void>(ctx, computeTopic(host), 'rollback_live_migration_at_destination', { instance: toPrimitive(InstanceObject, instance), migration_uuid: migrationUuid });
  }

  liveMigrationForceComplete(ctx: RequestContext, host: string, instance: Instance, migrationUuid: string): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'live_migration_force_complete', { instance: toPrimitive(InstanceObject, instance), migration_uuid: migrationUuid });
  }

  liveMigrationAbort(ctx: RequestContext, host: string, instance: Instance, migrationUuid: string): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'live_migration_abort', { instance: toPrimitive(InstanceObject, instance), migration_uuid: migrationUuid });
  }

  // ---- evacuate (on the destination) ----

  evacuateInstance(ctx: RequestContext, host: string, instance: Instance, migrationUuid: string, origVmState: string, adminPass: string | null): Promise<void> {
    return this.rpc.cast(ctx, computeTopic(host), 'evacuate_instance', {
      instance: toPrimitive(InstanceObject, instance), migration_uuid: migrationUuid, orig_vm_state: origVmState, admin_password: adminPass,
    });
  }
}
