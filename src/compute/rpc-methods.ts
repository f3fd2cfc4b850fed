/**
 * The compute host's RPC API (topic compute.<host>), declared once: the
 * conductor's and the API's client (rpcapi.ts) and ComputeManager's handlers
 * are both typed from it. Nova's compute/rpcapi.py with its version history;
 * ours starts at 6.0 with every method below (6.1: evacuate_instance's group). A new method or argument raises
 * the minor version and names it in `since`; a change a 6.x server could
 * misread raises the major.
 */
import { injectedFilesFrom, type InjectedFile } from '../virt/injected-files.js';
import { PowerState, type ConsoleEndpoint, type ConsoleProtocol, type Diagnostics, type PowerStateValue } from '../virt/driver.js';
import { BlockDeviceMappingObject, FlavorObject, ImageMetaObject, InstanceObject, NetworkRequestListObject, RequestSpecObject, SelectionObject } from '../objects/index.js';
import { bool, int, listOf, none, nullable, obj, oneOf, optional, record, str, type Codec } from '../rpc/codecs.js';
import { call, cast, declareRpcApi } from '../rpc/rpc-api.js';

/**
 * Personality files: a list of { path, contents (base64) }, [] when the caller
 * gives none. Malformed entries are dropped on arrival (injectedFilesFrom), so a
 * bad one injects nothing rather than something wrong.
 */
export const injectedFiles: Codec<InjectedFile[] | undefined, InjectedFile[], true> = {
  what: 'a list of injected files', optional: true,
  encode: (files) => files ?? [],
  decode: (wire) => injectedFilesFrom(wire),
};

// Spelled as a record so that tsc refuses it when the driver's protocols change.
const CONSOLE_PROTOCOLS = Object.keys({ vnc: 1, spice: 1, serial: 1, rdp: 1, mks: 1 } satisfies Record<ConsoleProtocol, 1>) as ConsoleProtocol[];
const POWER_STATES: readonly PowerStateValue[] = Object.values(PowerState);

const instance = obj(InstanceObject);

export const COMPUTE_RPC_API = declareRpcApi({
  service: 'compute',
  topic: 'compute',
  routing: 'host',
  version: '6.1',
  methods: {
    build_and_run_instance: cast('6.0', {
      instance,
      request_spec: obj(RequestSpecObject),
      requested_networks: obj(NetworkRequestListObject),
      block_device_mappings: listOf(obj(BlockDeviceMappingObject)),
      /** The host chosen (its allocation claimed), then the alternates for rescheduling. */
      selection: obj(SelectionObject),
      alternates: listOf(obj(SelectionObject)),
      injected_files: injectedFiles,
    }),
    terminate_instance: cast('6.0', { instance }),
    /** The guest's console log, read on its host (a call: the API answers with it). */
    get_console_output: call('6.0', { instance }, str),
    /** The host's uptime line, read by its compute service. */
    get_host_uptime: call('6.0', {}, str),
    /** The guest's diagnostics (Nova's standard form); network_info is the server's VIF list as JSON. */
    get_instance_diagnostics: call('6.0', { instance, network_info: str }, record<Diagnostics>('diagnostics')),
    /** Where the guest's console of this protocol is served. */
    get_remote_console: call('6.0', { instance, protocol: oneOf(CONSOLE_PROTOCOLS) }, record<ConsoleEndpoint>('a console endpoint')),
    /** Power actions (stop, start, reboot, pause, ...): a cast, the API answers 202. */
    instance_action: cast('6.0', { action: str, instance, reboot_type: optional(str) }),
    /** A call, so the API can answer 409 / 501 from the host's outcome. */
    set_admin_password: call('6.0', { instance, new_pass: str }, none),
    trigger_crash_dump: cast('6.0', { instance }),
    soft_delete_instance: cast('6.0', { instance }),
    restore_instance: cast('6.0', { instance }),
    /** Rebuilds the guest from `image` on its host (Nova's rebuild_instance, on the same host). */
    rebuild_instance: cast('6.0', {
      instance, image: obj(ImageMetaObject), preserve_ephemeral: bool, orig_vm_state: str, injected_files: injectedFiles,
    }),
    rescue_instance: cast('6.0', { instance, rescue_image: obj(ImageMetaObject), rescue_password: str }),
    unrescue_instance: cast('6.0', { instance }),
    /** Snapshot, or with backup_type and rotation a backup with rotation, into the image record the API made. */
    snapshot_instance: cast('6.0', { instance, image_id: str, backup_type: optional(str), rotation: optional(int) }),

    // shelve (on the server's host) and unshelve (on the host it runs on next)
    shelve_instance: cast('6.0', { instance, image_id: str }),
    shelve_offload_instance: cast('6.0', { instance }),
    unshelve_instance: cast('6.0', { instance, node: nullable(str) }),

    // os-interface
    /** Attaches a port (made on a network, or the user's); answers with the port's id. */
    attach_interface: call('6.0', {
      instance, network_id: nullable(str), port_id: nullable(str), requested_ip: nullable(str), tag: nullable(str),
    }, str),
    detach_interface: cast('6.0', { instance, port_id: str }),

    // resize and cold migration (source: resize, confirm, finish revert; destination: finish, revert)
    resize_instance: cast('6.0', { instance, migration_uuid: str, flavor: obj(FlavorObject) }),
    finish_resize: cast('6.0', { instance, migration_uuid: str, flavor: obj(FlavorObject) }),
    confirm_resize: cast('6.0', { instance, migration_uuid: str }),
    revert_resize: cast('6.0', { instance, migration_uuid: str }),
    finish_revert_resize: cast('6.0', { instance, migration_uuid: str }),

    // live migration (source: live_migration, abort, force complete; destination: pre, post, rollback)
    live_migration: cast('6.0', { instance, migration_uuid: str, dest: str }),
    /** A call: the source starts the copy only once the destination is ready. */
    pre_live_migration: call('6.0', { instance, migration_uuid: str }, none),
    post_live_migration_at_destination: call('6.0', { instance, migration_uuid: str, power_state: oneOf(POWER_STATES) }, none),
    rollback_live_migration_at_destination: call('6.0', { instance, migration_uuid: str }, none),
    live_migration_force_complete: cast('6.0', { instance, migration_uuid: str }),
    live_migration_abort: cast('6.0', { instance, migration_uuid: str }),

    // evacuate (on the destination)
    /** `group`: the server's group, whose hard policy the destination checks again before the rebuild (Nova's request_spec hints). */
    evacuate_instance: cast('6.1', { instance, migration_uuid: str, orig_vm_state: str, admin_password: nullable(str), group: optional(str) }),
  },
});
