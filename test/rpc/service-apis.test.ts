/**
 * The services' declared RPC APIs: every declared method has its handler on
 * the manager that serves it (checked at run time as well as by `implements`),
 * and the wire names stay the ones peers of other releases send.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { COMPUTE_RPC_API } from '../../src/compute/rpc-methods.js';
import { ComputeManager } from '../../src/compute/manager.js';
import { CONDUCTOR_RPC_API } from '../../src/conductor/rpc-methods.js';
import { ComputeTaskManager, ConductorManager } from '../../src/conductor/manager.js';
import { CONDUCTOR_OBJECT_RPC_API } from '../../src/conductor/object-rpc-methods.js';
import { DatabaseComputeHostStore } from '../../src/compute/host-objects/database.js';
import { SCHEDULER_RPC_API } from '../../src/scheduler/rpc-methods.js';
import { SchedulerManager } from '../../src/scheduler/manager.js';
import { camelCase, unimplementedMethods, type RpcApi } from '../../src/rpc/rpc-api.js';

const OBJECT_METHODS = [
  'add_instance_fault', 'create_compute_node', 'delete_console_tokens', 'destroy_instance', 'fail_interrupted_events', 'find_interrupted_action',
  'finish_action', 'finish_action_event', 'get_compute_node', 'get_group_placement', 'get_instance', 'get_migration', 'get_node_usage', 'list_compute_nodes',
  'list_evacuations_from', 'list_in_progress_live_migrations', 'list_instances_on_host', 'list_unconfirmed_migrations', 'register_service',
  'remove_system_metadata', 'report_service_up', 'save_compute_node', 'save_instance', 'save_instance_with_event', 'save_migration', 'set_system_metadata', 'start_action',
  'start_action_event',
];

const SERVICES: Array<{ api: RpcApi; manager: object; methods: string[]; label?: string }> = [
  {
    api: COMPUTE_RPC_API, manager: ComputeManager.prototype,
    methods: [
      'attach_interface', 'build_and_run_instance', 'confirm_resize', 'detach_interface', 'evacuate_instance', 'finish_resize',
      'finish_revert_resize', 'get_console_output', 'get_host_uptime', 'get_instance_diagnostics', 'get_remote_console',
      'instance_action', 'live_migration', 'live_migration_abort', 'live_migration_force_complete',
      'post_live_migration_at_destination', 'pre_live_migration', 'rebuild_instance', 'rescue_instance', 'resize_instance',
      'restore_instance', 'revert_resize', 'rollback_live_migration_at_destination', 'set_admin_password', 'shelve_instance',
      'shelve_offload_instance', 'snapshot_instance', 'soft_delete_instance', 'terminate_instance', 'trigger_crash_dump',
      'unrescue_instance', 'unshelve_instance',
    ],
  },
  {
    api: CONDUCTOR_RPC_API, manager: ComputeTaskManager.prototype,
    methods: ['build_instances', 'evacuate_instance', 'live_migrate_instance', 'migrate_server', 'reschedule_instance', 'unshelve_instance'],
  },
  { api: CONDUCTOR_OBJECT_RPC_API, manager: ConductorManager.prototype, methods: OBJECT_METHODS, label: 'conductor (objects)' },
  { api: SCHEDULER_RPC_API, manager: SchedulerManager.prototype, methods: ['select_destinations'] },
];

describe('the services\' RPC APIs', () => {
  for (const { api, manager, methods, label } of SERVICES) {
    describe(label ?? api.service, () => {
      test('its manager has a handler for every declared method', () => {
        assert.deepEqual(unimplementedMethods(api, manager), []);
      });

      test('the wire names are the ones its peers send', () => {
        assert.deepEqual(Object.keys(api.methods).sort(), methods);
      });

      test('every method is within the current version, which is Nova-style MAJOR.MINOR', () => {
        assert.match(api.version, /^\d+\.\d+$/);
        const [major] = api.version.split('.');
        for (const [name, m] of Object.entries(api.methods)) assert.equal(m.since.split('.')[0], major, name);
      });
    });
  }

  test('the conductor\'s object API has one call per ComputeHostStore operation, named as the port names it', () => {
    const operations = Object.getOwnPropertyNames(DatabaseComputeHostStore.prototype).filter((n) => n !== 'constructor').sort();
    assert.deepEqual(OBJECT_METHODS.map(camelCase).sort(), operations);
    for (const m of Object.values(CONDUCTOR_OBJECT_RPC_API.methods)) assert.equal(m.kind, 'call');
  });

  test('the conductor\'s task and object APIs share its topic without sharing a method name', () => {
    assert.equal(CONDUCTOR_OBJECT_RPC_API.topic, CONDUCTOR_RPC_API.topic);
    assert.deepEqual(Object.keys(CONDUCTOR_OBJECT_RPC_API.methods).filter((n) => Object.hasOwn(CONDUCTOR_RPC_API.methods, n)), []);
  });

  test('compute is addressed per host; conductor and scheduler by topic', () => {
    assert.equal(COMPUTE_RPC_API.routing, 'host');
    assert.equal(CONDUCTOR_RPC_API.routing, 'topic');
    assert.equal(SCHEDULER_RPC_API.routing, 'topic');
  });
});
