/**
 * The ComputeHostStore of a compute host without a database: each operation
 * is a call of the conductor's object API (Nova's object indirection,
 * src/conductor/object-rpc-methods.ts), answered by the conductor's own
 * store. An error that store raises comes back as the same kind of error, so
 * a caller cannot tell this store from the local one.
 */
import type { RpcClient } from '../../bus/rpc.js';
import { RemoteError } from '../../bus/rpc.js';
import { internalContext, newRequestId, type RequestContext } from '../../bus/context.js';
import { CONDUCTOR_OBJECT_RPC_API } from '../../conductor/object-rpc-methods.js';
import { createRpcClient, type RpcApiClient } from '../../rpc/rpc-api.js';
import { InstanceNotFound } from '../instance-not-found.js';
import type { ComputeHostStore } from './port.js';

export type ConductorObjectRpcClient = RpcApiClient<typeof CONDUCTOR_OBJECT_RPC_API>;

export function conductorObjectRpcClient(rpc: RpcClient): ConductorObjectRpcClient {
  return createRpcClient(CONDUCTOR_OBJECT_RPC_API, rpc);
}

/** The errors a local store raises, rebuilt from the name and message they travel under. */
const STORE_ERRORS: Record<string, (message: string) => Error> = {
  InstanceNotFound: (message) => Object.assign(new InstanceNotFound(''), { message }),
};

function localError(err: unknown): unknown {
  if (!(err instanceof RemoteError)) return err;
  const rebuild = STORE_ERRORS[err.remoteName];
  return rebuild ? rebuild(err.message) : err;
}

export class ConductorComputeHostStore implements ComputeHostStore {
  constructor(private readonly conductor: ConductorObjectRpcClient) {}

  /** The context of an operation the port gives none: the conductor's logs still tell one call from another. */
  private get ctx(): RequestContext {
    return internalContext(newRequestId());
  }

  private async ask<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw localError(err);
    }
  }

  getInstance(...[uuid, opts = {}]: Parameters<ComputeHostStore['getInstance']>) {
    return this.ask(() => this.conductor.getInstance(this.ctx, { uuid, readDeleted: opts.readDeleted }));
  }

  listInstancesOnHost(...[host, filter]: Parameters<ComputeHostStore['listInstancesOnHost']>) {
    return this.ask(() => this.conductor.listInstancesOnHost(this.ctx, { host, filter }));
  }

  saveInstance(...[uuid, values, expectedTaskState]: Parameters<ComputeHostStore['saveInstance']>) {
    return this.ask(() => this.conductor.saveInstance(this.ctx, { uuid, values, expectedTaskState }));
  }

  saveInstanceWithEvent(...[ctx, uuid, values, expectedTaskState, event, guard]: Parameters<ComputeHostStore['saveInstanceWithEvent']>) {
    return this.ask(() => this.conductor.saveInstanceWithEvent(ctx, { uuid, values, expectedTaskState, event, guard }));
  }

  destroyInstance(uuid: string) {
    return this.ask(() => this.conductor.destroyInstance(this.ctx, { uuid }));
  }

  addInstanceFault(...[uuid, fault]: Parameters<ComputeHostStore['addInstanceFault']>) {
    return this.ask(() => this.conductor.addInstanceFault(this.ctx, { uuid, fault }));
  }

  setSystemMetadata(uuid: string, values: Record<string, string>) {
    return this.ask(() => this.conductor.setSystemMetadata(this.ctx, { uuid, values }));
  }

  removeSystemMetadata(uuid: string, keys: string[]) {
    return this.ask(() => this.conductor.removeSystemMetadata(this.ctx, { uuid, keys }));
  }

  startAction(ctx: RequestContext, instanceUuid: string, action: string) {
    return this.ask(() => this.conductor.startAction(ctx, { instanceUuid, action }));
  }

  finishAction(ctx: RequestContext, instanceUuid: string) {
    return this.ask(() => this.conductor.finishAction(ctx, { instanceUuid }));
  }

  startActionEvent(ctx: RequestContext, instanceUuid: string, event: string, host: string | null) {
    return this.ask(() => this.conductor.startActionEvent(ctx, { instanceUuid, event, host }));
  }

  finishActionEvent(...[ref, result, details, finishAction]: Parameters<ComputeHostStore['finishActionEvent']>) {
    return this.ask(() => this.conductor.finishActionEvent(this.ctx, { ref, result, details, finishAction }));
  }

  findInterruptedAction(instanceUuid: string) {
    return this.ask(() => this.conductor.findInterruptedAction(this.ctx, { instanceUuid }));
  }

  failInterruptedEvents(...[ctx, instanceUuid, fallback]: Parameters<ComputeHostStore['failInterruptedEvents']>) {
    return this.ask(() => this.conductor.failInterruptedEvents(ctx, { instanceUuid, fallback }));
  }

  getMigration(uuid: string) {
    return this.ask(() => this.conductor.getMigration(this.ctx, { uuid }));
  }

  saveMigration(...[uuid, values, fromStatuses]: Parameters<ComputeHostStore['saveMigration']>) {
    return this.ask(() => this.conductor.saveMigration(this.ctx, { uuid, values, fromStatuses }));
  }

  listUnconfirmedMigrations(destHost: string, windowS: number) {
    return this.ask(() => this.conductor.listUnconfirmedMigrations(this.ctx, { destHost, windowS }));
  }

  listInProgressLiveMigrations(instanceUuid: string) {
    return this.ask(() => this.conductor.listInProgressLiveMigrations(this.ctx, { instanceUuid }));
  }

  listEvacuationsFrom(sourceHost: string) {
    return this.ask(() => this.conductor.listEvacuationsFrom(this.ctx, { sourceHost }));
  }

  getGroupPlacement(groupUuid: string, excludingInstanceUuid: string) {
    return this.ask(() => this.conductor.getGroupPlacement(this.ctx, { groupUuid, excludingInstanceUuid }));
  }

  getNodeUsage(host: string, nodename: string) {
    return this.ask(() => this.conductor.getNodeUsage(this.ctx, { host, nodename }));
  }

  getComputeNode(host: string, nodename: string) {
    return this.ask(() => this.conductor.getComputeNode(this.ctx, { host, nodename }));
  }

  listComputeNodes(host: string) {
    return this.ask(() => this.conductor.listComputeNodes(this.ctx, { host }));
  }

  createComputeNode(...[host, nodename, values]: Parameters<ComputeHostStore['createComputeNode']>) {
    return this.ask(() => this.conductor.createComputeNode(this.ctx, { host, nodename, values }));
  }

  saveComputeNode(...[uuid, values]: Parameters<ComputeHostStore['saveComputeNode']>) {
    return this.ask(() => this.conductor.saveComputeNode(this.ctx, { uuid, values }));
  }

  deleteConsoleTokens(instanceUuid: string) {
    return this.ask(() => this.conductor.deleteConsoleTokens(this.ctx, { instanceUuid }));
  }

  registerService(host: string, binary: string, topic: string) {
    return this.ask(() => this.conductor.registerService(this.ctx, { host, binary, topic }));
  }

  reportServiceUp(host: string, binaries: string[]) {
    return this.ask(() => this.conductor.reportServiceUp(this.ctx, { host, binaries }));
  }
}
