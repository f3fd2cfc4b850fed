/** Client side of the conductor's RPC API (topic `conductor`). */
import type { InjectedFile } from '../virt/driver.js';
import type { RpcClient } from '../bus/rpc.js';
import type { RequestContext } from '../bus/context.js';
import { toPrimitive, FlavorObject, type Flavor, InstanceObject, RequestSpecObject, NetworkRequestListObject, BlockDeviceMappingObject, SelectionObject,
  type Instance, type RequestSpec, type NetworkRequestList, type BlockDeviceMapping, type Selection } from '../objects/index.js';

export const CONDUCTOR_TOPIC = 'conductor';

export interface BuildInstancesArgs {
  instances: Instance[];
  requestSpec: RequestSpec;
  requestedNetworks: NetworkRequestList;
  blockDeviceMappings: BlockDeviceMapping[][];
  injectedFiles?: InjectedFile[];
}

export class ConductorRpcClient {
  constructor(private readonly rpc: RpcClient) {}

  buildInstances(ctx: RequestContext, args: BuildInstancesArgs): Promise<void> {
    return this.rpc.cast(ctx, CONDUCTOR_TOPIC, 'build_instances', {
      instances: args.instances.map((i) => toPrimitive(InstanceObject, i)),
      request_spec: toPrimitive(RequestSpecObject, args.requestSpec),
      requested_networks: toPrimitive(NetworkRequestListObject, args.requestedNetworks),
      block_device_mappings: args.blockDeviceMappings.map((l) => l.map((b) => toPrimitive(BlockDeviceMappingObject, b))),
      injected_files: args.injectedFiles ?? [],
    });
  }

  /** A compute host asks for the build to go to the next alternate host. */
  rescheduleInstance(ctx: RequestContext, args: { instance: Instance; requestSpec: RequestSpec; requestedNetworks: NetworkRequestList;
    blockDeviceMappings: BlockDeviceMapping[]; alternates: Selection[]; reason: string; injectedFiles?: InjectedFile[] }): Promise<void> {
    return this.rpc.cast(ctx, CONDUCTOR_TOPIC, 'reschedule_instance', {
      instance: toPrimitive(InstanceObject, args.instance),
      request_spec: toPrimitive(RequestSpecObject, args.requestSpec),
      requested_networks: toPrimitive(NetworkRequestListObject, args.requestedNetworks),
      block_device_mappings: args.blockDeviceMappings.map((b) => toPrimitive(BlockDeviceMappingObject, b)),
      alternates: args.alternates.map((s) => toPrimitive(SelectionObject, s)),
      reason: args.reason,
      injected_files: args.injectedFiles ?? [],
    });
  }

  /** Resize or cold-migrate: schedules and starts it (a call, so NoValidHost reaches the API). */
  migrateServer(ctx: RequestContext, args: { instance: Instance; flavor: Flavor; migrationUuid: string; allowSameHost: boolean; host: string | null }): Promise<void> {
    return this.rpc.call<void>(ctx, CONDUCTOR_TOPIC, 'migrate_server', {
      instance: toPrimitive(InstanceObject, args.instance), flavor: toPrimitive(FlavorObject, args.flavor),
      migration_uuid: args.migrationUuid, allow_same_host: args.allowSameHost, host: args.host,
    });
  }

  /** Unshelve: back on its host, or (offloaded) scheduled again and spawned there. A cast, as in Nova. */
  unshelveInstance(ctx: RequestContext, args: { instance: Instance; availabilityZone: string | null; host: string | null }): Promise<void> {
    return this.rpc.cast(ctx, CONDUCTOR_TOPIC, 'unshelve_instance', {
      instance: toPrimitive(InstanceObject, args.instance), availability_zone: args.availabilityZone, host: args.host,
    });
  }

  /** Live migration: checks, schedules and starts it (a call, so a refusal reaches the API). */
  liveMigrateInstance(ctx: RequestContext, args: { instance: Instance; migrationUuid: string; host: string | null; force: boolean; blockMigration: boolean | null }): Promise<void> {
    return this.rpc.call<void>(ctx, CONDUCTOR_TOPIC, 'live_migrate_instance', {
      instance: toPrimitive(InstanceObject, args.instance), migration_uuid: args.migrationUuid, host: args.host, force: args.force, block_migration: args.blockMigration,
    });
  }

  /** Evacuate: a cast, as Nova's; a refusal leaves a fault on the server and the migration in error. */
  evacuateInstance(ctx: RequestContext, args: { instance: Instance; migrationUuid: string; host: string | null; force: boolean; origVmState: string; adminPass: string | null }): Promise<void> {
    return this.rpc.cast(ctx, CONDUCTOR_TOPIC, 'evacuate_instance', {
      instance: toPrimitive(InstanceObject, args.instance), migration_uuid: args.migrationUuid, host: args.host, force: args.force,
      orig_vm_state: args.origVmState, admin_password: args.adminPass,
    });
  }
}
