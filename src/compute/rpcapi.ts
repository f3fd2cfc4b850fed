/**
 * Client side of a compute host's RPC API (topic `compute.<host>`): generated
 * from the declaration in rpc-methods.ts, so every method takes the host and
 * its declared arguments, e.g. `compute.terminateInstance(ctx, host, { instance })`.
 */
import type { RpcClient } from '../bus/rpc.js';
import { createRpcClient, serverTopic, type RpcApiClient, type RpcArgs } from '../rpc/rpc-api.js';
import { COMPUTE_RPC_API } from './rpc-methods.js';

export const COMPUTE_TOPIC = COMPUTE_RPC_API.topic;
export const computeTopic = (host: string) => serverTopic(COMPUTE_RPC_API, host);

export type ComputeRpcClient = RpcApiClient<typeof COMPUTE_RPC_API>;

export function computeRpcClient(rpc: RpcClient): ComputeRpcClient {
  return createRpcClient(COMPUTE_RPC_API, rpc);
}

export type BuildAndRunInstanceArgs = RpcArgs<typeof COMPUTE_RPC_API, 'build_and_run_instance'>;
