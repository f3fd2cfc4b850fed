/**
 * Client side of the scheduler's RPC API (topic `scheduler`), generated from
 * the declaration in rpc-methods.ts.
 */
import type { RpcClient } from '../bus/rpc.js';
import { createRpcClient, type RpcApiClient } from '../rpc/rpc-api.js';
import { SCHEDULER_RPC_API } from './rpc-methods.js';

export const SCHEDULER_TOPIC = SCHEDULER_RPC_API.topic;

export type SchedulerRpcClient = RpcApiClient<typeof SCHEDULER_RPC_API>;

export function schedulerRpcClient(rpc: RpcClient): SchedulerRpcClient {
  return createRpcClient(SCHEDULER_RPC_API, rpc);
}
