/**
 * ComputeHostStore: every record a compute host reads or writes, as
 * object-level operations — the part of Nova's object API a nova-compute
 * uses, whose persistence Nova sends through the conductor
 * (object_class_action / object_action, "object indirection") because a
 * compute host has no database credentials.
 *
 * Today the all-in-one gives each host the local implementation
 * (./database.ts); a compute process of its own will get one that makes each
 * operation a conductor RPC call. So every argument and result is plain
 * JSON data — strings, numbers, booleans, null, arrays, plain objects; times
 * as ISO strings — never a database handle, a function or a class instance,
 * and an operation that must be atomic is one operation.
 */
import type { RequestContext } from '../../bus/context.js';
import type { Flavor } from '../../objects/flavor.js';
import type { Instance } from '../../objects/instance.js';
import type { VifInfo } from '../../virt/driver.js';
import type { ComputeNodeRow } from '../hypervisor-store.js';
import type { ComputeNodeValues, NodeUsage } from '../compute-node-store.js';
import type { HostInstanceFilter, InstanceUpdate } from '../instance-store.js';
import type { ActionEventRef, ActionEventResult } from '../instance-action-kinds.js';
import type { InterruptedAction } from '../interrupted-action.js';
import type { MigrationRow } from '../migration-store.js';

export type { ActionEventRef, ActionEventResult, ComputeNodeRow, ComputeNodeValues, HostInstanceFilter, InstanceUpdate, InterruptedAction, MigrationRow, NodeUsage };

/** A server with what a host needs beyond the Instance object (Nova's instance with info_cache, system_metadata, old_flavor). */
export interface InstanceRecord {
  instance: Instance;
  /** The server's VIFs as last recorded (Nova's info_cache.network_info); [] when there are none or the record is unreadable. */
  networkInfo: VifInfo[];
  /** The flavor before a resize, until it is confirmed or reverted. */
  oldFlavor: Flavor | null;
  systemMetadata: Record<string, string>;
  /** Whether this is a deleted server's record (only with readDeleted). */
  deleted: boolean;
}

export interface InstanceFault {
  code: number;
  /** What users see; cut to 255 characters. */
  message: string;
  details?: string;
  host?: string | null;
}

/** A server group as a host re-checks its policy (Nova's InstanceGroup with get_hosts(exclude=[instance])). */
export interface InstanceGroupPlacement {
  uuid: string;
  policy: string;
  rules: { max_server_per_host?: number };
  /** How many of the group's other live members run on each host. */
  hosts: Record<string, number>;
}

/**
 * What saveInstanceWithEvent does to an event of the request's action beside
 * the save: start one (of that name, on that host), finish one, or neither
 * (both left out).
 */
export interface EventStep {
  start?: { event: string; host: string | null };
  finish?: { ref: ActionEventRef; result: ActionEventResult; details: string | null; finishAction: boolean };
}

/**
 * What a save expects of the server beside its task state: a build's first
 * step applies only to a server still being built on that host, so a build
 * cast twice (a conductor that died after casting it, its request handed to
 * another) cannot start over a server already built, failed or moved on.
 */
export interface SaveGuard {
  vmState?: string;
  host?: string;
}

/** When a build never started its events (a lost cast), the one recorded as failed instead. */
export interface InterruptedEventFallback {
  event: string;
  host: string | null;
}

export interface ComputeHostStore {
  // --- Instance -------------------------------------------------------------
  /** The live server of that uuid (with readDeleted, the newest record even if deleted); null when there is none. */
  getInstance(uuid: string, opts?: { readDeleted?: boolean }): Promise<InstanceRecord | null>;
  /** A host's live servers, with their metadata, oldest first. */
  listInstancesOnHost(host: string, filter?: HostInstanceFilter): Promise<Instance[]>;
  /**
   * Nova's instance.save(expected_task_state): applies `values` to the live
   * server; with `expectedTaskState`, only while its task_state still is one
   * of those. False when nothing was changed (deleted, or the task moved on).
   */
  saveInstance(uuid: string, values: InstanceUpdate, expectedTaskState?: Array<string | null>): Promise<boolean>;
  /**
   * saveInstance and, only when it applied, the event step (a started
   * event's reference is answered): one operation, so the steps of a build
   * that move the server and its action together cost one conductor round
   * trip, where Nova's instance.save() and wrap_instance_event make two.
   */
  saveInstanceWithEvent(
    ctx: RequestContext, uuid: string, values: InstanceUpdate, expectedTaskState: Array<string | null> | undefined, event: EventStep,
    guard?: SaveGuard,
  ): Promise<{ saved: boolean; event: ActionEventRef | null }>;
  /** Nova's instance.destroy(): the record is soft-deleted with what belongs to it. */
  destroyInstance(uuid: string): Promise<void>;
  addInstanceFault(uuid: string, fault: InstanceFault): Promise<void>;
  /** Sets these system metadata keys, leaving the others as they are. */
  setSystemMetadata(uuid: string, values: Record<string, string>): Promise<void>;
  removeSystemMetadata(uuid: string, keys: string[]): Promise<void>;

  // --- InstanceAction / InstanceActionEvent ----------------------------------
  /** Records an action of this request on the server (a periodic task's own, e.g. an automatic offload). */
  startAction(ctx: RequestContext, instanceUuid: string, action: string): Promise<void>;
  finishAction(ctx: RequestContext, instanceUuid: string): Promise<void>;
  /** Starts an event of this request's action; null when the request recorded no action on the server. */
  startActionEvent(ctx: RequestContext, instanceUuid: string, event: string, host: string | null): Promise<ActionEventRef | null>;
  finishActionEvent(ref: ActionEventRef, result: ActionEventResult, details: string | null, finishAction: boolean): Promise<void>;
  /** The server's newest unfinished action, whose request a restart cut short. */
  findInterruptedAction(instanceUuid: string): Promise<InterruptedAction>;
  /** Ends the events a restart left open as errors (or records `fallback` as failed when none was open). */
  failInterruptedEvents(ctx: RequestContext, instanceUuid: string, fallback: InterruptedEventFallback | null): Promise<void>;

  // --- Migration -------------------------------------------------------------
  getMigration(uuid: string): Promise<MigrationRow | null>;
  /** Nova's migration.save(); with `fromStatuses`, only while its status still is one of those. */
  saveMigration(uuid: string, values: Partial<Omit<MigrationRow, 'id' | 'uuid' | 'created_at'>>, fromStatuses?: string[]): Promise<boolean>;
  /** Resizes finished on this destination at least `windowS` seconds ago (get_unconfirmed_by_dest_compute). */
  listUnconfirmedMigrations(destHost: string, windowS: number): Promise<MigrationRow[]>;
  /** The server's live migrations still under way (get_in_progress_by_instance). */
  listInProgressLiveMigrations(instanceUuid: string): Promise<MigrationRow[]>;
  /** Evacuations away from this host whose leftovers it has not cleaned yet. */
  listEvacuationsFrom(sourceHost: string): Promise<MigrationRow[]>;

  // --- InstanceGroup ---------------------------------------------------------
  /** The group and where its members other than `excludingInstanceUuid` run; null when there is no such group. */
  getGroupPlacement(groupUuid: string, excludingInstanceUuid: string): Promise<InstanceGroupPlacement | null>;

  // --- ComputeNode -----------------------------------------------------------
  /** What the live servers of the node take (the resource tracker's view of its instances). */
  getNodeUsage(host: string, nodename: string): Promise<NodeUsage>;
  getComputeNode(host: string, nodename: string): Promise<ComputeNodeRow | null>;
  listComputeNodes(host: string): Promise<ComputeNodeRow[]>;
  createComputeNode(host: string, nodename: string, values: ComputeNodeValues): Promise<ComputeNodeRow>;
  /** False when the node is gone. */
  saveComputeNode(uuid: string, values: ComputeNodeValues): Promise<boolean>;

  // --- ConsoleAuthToken ------------------------------------------------------
  /** Nova's clean_console_auths_for_instance: the server's console URLs stop working (it moved to another host). */
  deleteConsoleTokens(instanceUuid: string): Promise<void>;

  // --- Service ---------------------------------------------------------------
  /** Creates the service record of this host and binary, or marks the existing one seen. */
  registerService(host: string, binary: string, topic: string): Promise<void>;
  /** The servicegroup heartbeat: these services of the host are up now. */
  reportServiceUp(host: string, binaries: string[]): Promise<void>;
}
