/**
 * The conductor's RPC API (topic `conductor`): Nova's ComputeTaskAPI
 * (conductor/rpcapi.py, namespace compute_task), declared once for the
 * callers' client (rpcapi.ts) and ComputeTaskManager's handlers. Versions as
 * in src/compute/rpc-methods.ts: ours starts at 1.0 with every method below.
 */
import { BlockDeviceMappingObject, FlavorObject, InstanceObject, NetworkRequestListObject, RequestSpecObject, SelectionObject } from '../objects/index.js';
import { injectedFiles } from '../compute/rpc-methods.js';
import { bool, listOf, none, nullable, obj, str } from '../rpc/codecs.js';
import { call, cast, declareRpcApi } from '../rpc/rpc-api.js';

const instance = obj(InstanceObject);

export const CONDUCTOR_RPC_API = declareRpcApi({
  service: 'conductor',
  topic: 'conductor',
  routing: 'topic',
  version: '1.0',
  methods: {
    /** Schedules a create's servers and casts each build to its host. */
    build_instances: cast('1.0', {
      instances: listOf(instance),
      request_spec: obj(RequestSpecObject),
      requested_networks: obj(NetworkRequestListObject),
      /** One list per server, in the order of `instances`. */
      block_device_mappings: listOf(listOf(obj(BlockDeviceMappingObject))),
      injected_files: injectedFiles,
    }),
    /** A compute host gives up a build: it goes to the next alternate host (Nova re-enters build_instances). */
    reschedule_instance: cast('1.0', {
      instance,
      request_spec: obj(RequestSpecObject),
      requested_networks: obj(NetworkRequestListObject),
      block_device_mappings: listOf(obj(BlockDeviceMappingObject)),
      alternates: listOf(obj(SelectionObject)),
      reason: str,
      injected_files: injectedFiles,
    }),
    /** Resize or cold migration: schedules and starts it (a call, so NoValidHost reaches the API). */
    migrate_server: call('1.0', { instance, flavor: obj(FlavorObject), migration_uuid: str, allow_same_host: bool, host: nullable(str) }, none),
    /** Unshelve: back on its host, or (offloaded) scheduled again and spawned there. A cast, as in Nova. */
    unshelve_instance: cast('1.0', { instance, availability_zone: nullable(str), host: nullable(str) }),
    /** Live migration: checks, schedules and starts it (a call, so a refusal reaches the API). */
    live_migrate_instance: call('1.0', { instance, migration_uuid: str, host: nullable(str), force: bool, block_migration: nullable(bool) }, none),
    /** Evacuate: a cast, as Nova's rebuild_instance; a refusal leaves a fault on the server and the migration in error. */
    evacuate_instance: cast('1.0', {
      instance, migration_uuid: str, host: nullable(str), force: bool, orig_vm_state: str, admin_password: nullable(str),
    }),
  },
});
