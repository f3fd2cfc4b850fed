/**
 * What the network service tells its agents after each change (Neutron's
 * agent notifier, topic q-agent-notifier): a small fanout naming the
 * resource, its id, the action and the network when known. Agents do not
 * apply the message; it only tells them to ask the plugin again (their
 * drivers are level-triggered), so a lost or duplicated message costs at most
 * one sync and the periodic resync catches anything missed.
 */
import type { Logger } from 'pino';
import { internalContext, newRequestId, type RequestContext } from '../../bus/context.js';
import type { RpcClient } from '../../bus/rpc.js';
import { nullable, oneOf, optional, str } from '../../rpc/codecs.js';
import { createRpcClient, declareRpcApi, fanoutCast } from '../../rpc/rpc-api.js';

export const CHANGE_ACTIONS = ['create', 'update', 'delete'] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

/** The resource kinds a change names, in Neutron's singular resource names. */
export type ChangedResource =
  | 'network' | 'subnet' | 'port' | 'security_group' | 'security_group_rule' | 'router' | 'floatingip' | 'trunk' | 'subnetpool'
  | 'address_scope' | 'agent' | 'instance_ports';

export interface ResourceChange {
  resource: ChangedResource | string;
  id: string;
  action: ChangeAction;
  /** The network the change touches, when the notifier knows it (null: any network may be affected). */
  networkId: string | null;
  /** The host the changed ports are bound to, when known: the L2 agents of other hosts need not sync (absent or null: any host). */
  host?: string | null;
}

export const AGENT_NOTIFIER_RPC_API = declareRpcApi({
  service: 'agent-notifier',
  topic: 'q-agent-notifier',
  routing: 'topic',
  version: '1.0',
  methods: {
    changed: fanoutCast('1.0', { resource: str, id: str, action: oneOf(CHANGE_ACTIONS), network_id: nullable(str), host: optional(nullable(str)) }),
  },
});

/** Where the network service puts its changes; it never waits for the agents. */
export type ChangeSink = (change: ResourceChange) => void;

/** A ChangeSink that fans each change out on the bus; a failed send is logged (the agents' resync covers it). */
export function busChangeSink(rpc: RpcClient, logger: Logger): ChangeSink {
  const client = createRpcClient(AGENT_NOTIFIER_RPC_API, rpc);
  return (change) => {
    const ctx: RequestContext = internalContext(newRequestId());
    client.changed(ctx, { resource: change.resource, id: change.id, action: change.action, networkId: change.networkId, host: change.host ?? null })
      .catch((err: unknown) => logger.warn({ err, change }, 'could not tell the agents about a change'));
  };
}

/** Several sinks as one (the bus, and a test's recorder). */
export function allSinks(sinks: readonly ChangeSink[]): ChangeSink {
  return (change) => {
    for (const s of sinks) s(change);
  };
}
