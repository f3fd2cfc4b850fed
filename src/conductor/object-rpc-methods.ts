/**
 * The conductor's object API (topic `conductor`): what a compute host reads
 * and saves, served by the conductor from its database — Nova's object
 * indirection (ConductorAPI.object_class_action_versions / object_action,
 * the conductor/rpcapi.py API beside ComputeTaskAPI on the same topic).
 * Nova sends one generic message naming the object and its method; here each
 * operation of the ComputeHostStore port (src/compute/host-objects/port.ts)
 * is a call of its own, named as the port names it (getInstance →
 * get_instance), so its arguments and result are checked exactly.
 *
 * Rows and partial updates of a table (instance values, migrations, compute
 * nodes) are open records of that table's columns, checked to be records;
 * every other shape is a struct of known fields.
 */
import { FlavorObject, InstanceObject } from '../objects/index.js';
import { bool, int, listOf, none, nullable, num, obj, oneOf, optional, defaulted, record, str, stringMap, struct } from '../rpc/codecs.js';
import { call, declareRpcApi } from '../rpc/rpc-api.js';
import type { VifInfo } from '../virt/driver.js';
import type { ComputeNodeRow, ComputeNodeValues, InstanceUpdate, MigrationRow } from '../compute/host-objects/port.js';

const instance = obj(InstanceObject);
const uuid = str;
const migration = record<MigrationRow>('a migration record');
const computeNode = record<ComputeNodeRow>('a compute node record');
const computeNodeValues = record<ComputeNodeValues>('compute node fields');

const instanceRecord = struct('an instance record', {
  instance,
  networkInfo: listOf(record<VifInfo>('a VIF')),
  oldFlavor: nullable(obj(FlavorObject)),
  systemMetadata: stringMap,
  deleted: bool,
});

const hostInstanceFilter = struct('a host instance filter', {
  vmState: optional(str),
  idle: optional(bool),
  deletedAtOrBefore: optional(str),
});

const groupPlacement = struct('an instance group placement', {
  uuid,
  policy: str,
  rules: struct('instance group rules', { max_server_per_host: optional(int) }),
  hosts: record<Record<string, number>>('member counts by host'),
});

const actionEventRef = struct('an action event reference', { eventId: int, actionId: int });
const eventResult = oneOf(['Success', 'Error'] as const);

const eventStep = struct('an event step', {
  start: optional(struct('an event start', { event: str, host: nullable(str) })),
  finish: optional(struct('an event finish', { ref: actionEventRef, result: eventResult, details: nullable(str), finishAction: bool })),
});

/** The request context an interrupted action carries (its request id, user and project). */
const requestContext = struct('a request context', {
  requestId: str,
  userId: nullable(str),
  projectId: nullable(str),
  roles: listOf(str),
  userName: optional(str),
  projectName: optional(str),
});

export const CONDUCTOR_OBJECT_RPC_API = declareRpcApi({
  service: 'conductor',
  topic: 'conductor',
  routing: 'topic',
  // 1.1: get_group_placement. 1.2: save_instance_with_event. 1.3: its guard.
  version: '1.3',
  methods: {
    // Instance
    get_instance: call('1.0', { uuid, read_deleted: defaulted(bool, () => false) }, nullable(instanceRecord)),
    list_instances_on_host: call('1.0', { host: str, filter: defaulted(hostInstanceFilter, () => ({})) }, listOf(instance)),
    save_instance: call('1.0', {
      uuid, values: record<InstanceUpdate>('instance fields'), expected_task_state: optional(listOf(nullable(str))),
    }, bool),
    save_instance_with_event: call('1.3', {
      uuid, values: record<InstanceUpdate>('instance fields'), expected_task_state: optional(listOf(nullable(str))), event: eventStep,
      guard: optional(struct('a save guard', { vmState: optional(str), host: optional(str) })),
    }, struct('a save and its event', { saved: bool, event: nullable(actionEventRef) })),
    destroy_instance: call('1.0', { uuid }, none),
    add_instance_fault: call('1.0', {
      uuid, fault: struct('an instance fault', { code: int, message: str, details: optional(str), host: optional(nullable(str)) }),
    }, none),
    set_system_metadata: call('1.0', { uuid, values: stringMap }, none),
    remove_system_metadata: call('1.0', { uuid, keys: listOf(str) }, none),
    // InstanceAction / InstanceActionEvent: the action is the request's (the message's context).
    start_action: call('1.0', { instance_uuid: uuid, action: str }, none),
    finish_action: call('1.0', { instance_uuid: uuid }, none),
    start_action_event: call('1.0', { instance_uuid: uuid, event: str, host: nullable(str) }, nullable(actionEventRef)),
    finish_action_event: call('1.0', {
      ref: actionEventRef, result: eventResult, details: nullable(str), finish_action: bool,
    }, none),
    find_interrupted_action: call('1.0', { instance_uuid: uuid }, struct('an interrupted action', { ctx: requestContext, action: nullable(str) })),
    fail_interrupted_events: call('1.0', {
      instance_uuid: uuid, fallback: nullable(struct('an interrupted event fallback', { event: str, host: nullable(str) })),
    }, none),
    // Migration
    get_migration: call('1.0', { uuid }, nullable(migration)),
    save_migration: call('1.0', { uuid, values: record<Partial<MigrationRow>>('migration fields'), from_statuses: optional(listOf(str)) }, bool),
    list_unconfirmed_migrations: call('1.0', { dest_host: str, window_s: num }, listOf(migration)),
    list_in_progress_live_migrations: call('1.0', { instance_uuid: uuid }, listOf(migration)),
    list_evacuations_from: call('1.0', { source_host: str }, listOf(migration)),
    // InstanceGroup
    get_group_placement: call('1.1', { group_uuid: uuid, excluding_instance_uuid: uuid }, nullable(groupPlacement)),
    // ComputeNode
    get_node_usage: call('1.0', { host: str, nodename: str }, struct('a node usage', { instances: int, vcpus: int, memory_mb: int, local_gb: int })),
    get_compute_node: call('1.0', { host: str, nodename: str }, nullable(computeNode)),
    list_compute_nodes: call('1.0', { host: str }, listOf(computeNode)),
    create_compute_node: call('1.0', { host: str, nodename: str, values: computeNodeValues }, computeNode),
    save_compute_node: call('1.0', { uuid, values: computeNodeValues }, bool),
    // ConsoleAuthToken
    delete_console_tokens: call('1.0', { instance_uuid: uuid }, none),
    // Service
    register_service: call('1.0', { host: str, binary: str, topic: str }, none),
    report_service_up: call('1.0', { host: str, binaries: listOf(str) }, none),
  },
});
