/**
 * Client side of the conductor's RPC API (topic `conductor`), generated from
 * the declaration in rpc-methods.ts.
 */
import type { RpcClient } from '../bus/rpc.js';
import { createRpcClient, type RpcApiClient, type RpcArgs } from '../rpc/rpc-api.js';
import { CONDUCTOR_RPC_API } from './rpc-methods.js';

export const CONDUCTOR_TOPIC = CONDUCTOR_RPC_API.topic;

export type ConductorRpcClient = RpcApiClient<typeof CONDUCTOR_RPC_API>;

export function conductorRpcClient(rpc: RpcClient): ConductorRpcClient {
  return createRpcClient(CONDUCTOR_RPC_API, rpc);
}

export type BuildInstancesArgs = RpcArgs<typeof CONDUCTOR_RPC_API, 'build_instances'>;
