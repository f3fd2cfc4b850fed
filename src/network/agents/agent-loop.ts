/**
 * What every network agent does besides its own sync (Neutron's agent base):
 * a full sync at start, so a restarted agent rebuilds its state; another sync
 * on each change it cares about (from the q-agent-notifier fanout), coalesced;
 * report_state every [agent] report_interval; and a resync after a failed one
 * at the next report, so nothing stays half-applied.
 */
import type { Logger } from 'pino';
import { RpcServer } from '../../bus/rpc.js';
import type { Transport } from '../../bus/transport.js';
import { internalContext, newRequestId, type RequestContext } from '../../bus/context.js';
import { rpcEndpoint, type RpcArgs } from '../../rpc/rpc-api.js';
import { CoalescingRun } from './coalescing-run.js';
import { AGENT_NOTIFIER_RPC_API, type ResourceChange } from './notifications.js';
import type { PluginRpcClient } from './plugin-rpc.js';
import type { AgentIdentity } from './agent-types.js';
import { childLogger } from '../../logger.js';

/** What one kind of agent is: its identity in the agents table and its sync. */
export interface AgentKind {
  readonly identity: AgentIdentity;
  /** Whether a change can alter what this agent makes real. */
  cares(change: ResourceChange): boolean;
  /** Asks the plugin for the desired state and hands it to the driver. */
  sync(): Promise<void>;
  /**
   * Applies one change on its own when it can (true), sparing a full sync:
   * a port bound to this host is wired alone. False: the loop syncs.
   */
  handle?(change: ResourceChange): Promise<boolean>;
  /** What the agent reports about itself (Neutron's configurations). */
  configurations(): Promise<Record<string, unknown>>;
  /** Releases what the driver holds (dnsmasq processes, proxies); optional. */
  stop?(): Promise<void>;
}

export interface AgentLoopDeps {
  host: string;
  transport: Transport;
  plugin: PluginRpcClient;
  /** Seconds between state reports ([agent] report_interval). */
  reportInterval: number;
  logger: Logger;
}

export class AgentLoop {
  private readonly run: CoalescingRun;
  private readonly log: Logger;
  private server?: RpcServer;
  private timer?: NodeJS.Timeout;
  private started = false;
  private needsResync = false;
  private reporting?: Promise<void>;
  /** Syncs done, for the agent's report and the tests. */
  syncs = 0;

  constructor(private readonly kind: AgentKind, private readonly deps: AgentLoopDeps) {
    this.log = childLogger(deps.logger, { agent: kind.identity.binary, host: deps.host });
    this.run = new CoalescingRun(async () => {
      try {
        await kind.sync();
        this.syncs++;
        this.needsResync = false;
      } catch (err) {
        this.needsResync = true;
        throw err;
      }
    });
  }

  /** Listens for changes first (none is missed), then starts a full sync and the reports. */
  async start(): Promise<void> {
    const endpoint = rpcEndpoint(AGENT_NOTIFIER_RPC_API, {
      changed: async (_ctx: RequestContext, change: RpcArgs<typeof AGENT_NOTIFIER_RPC_API, 'changed'>) => {
        if (!this.kind.cares(change)) return;
        const handled = await this.kind.handle?.(change).catch((err: unknown) => {
          this.log.warn({ err, change }, 'a change could not be applied alone; syncing');
          return false;
        });
        if (handled) return;
        await this.sync().catch((err: unknown) => this.log.warn({ err, change }, 'sync after a change failed; retried at the next report'));
      },
    });
    this.server = new RpcServer(this.deps.transport, AGENT_NOTIFIER_RPC_API.topic, endpoint, this.log);
    await this.server.start();
    // Neither waits: the plugin may not serve yet (a compute process starting before the API), and the calls wait for it.
    void this.sync().catch((err: unknown) => this.log.error({ err }, 'the first sync failed; retried at the next report'));
    void this.report(true);
    this.timer = setInterval(() => void this.tick(), this.deps.reportInterval * 1000);
    this.timer.unref();
  }

  /** A full sync now (coalesced with any other asked for meanwhile). */
  sync(): Promise<void> {
    return this.run.request();
  }

  private async tick(): Promise<void> {
    if (this.needsResync) await this.sync().catch((err: unknown) => this.log.warn({ err }, 'resync failed'));
    await this.report(false);
  }

  private async report(startFlag: boolean): Promise<void> {
    // One report at a time: a slow plugin must not pile them up.
    if (this.reporting) return;
    this.reporting = (async () => {
      try {
        const configurations = await this.kind.configurations();
        const { agentType, binary, topic, availabilityZone } = this.kind.identity;
        await this.deps.plugin.reportState(internalContext(newRequestId()), {
          agent: {
            agent_type: agentType, binary, host: this.deps.host, topic,
            availability_zone: availabilityZone, configurations, start_flag: startFlag || !this.started,
          },
        });
        this.started = true;
      } catch (err) {
        this.log.warn({ err }, 'could not report the agent\'s state');
      } finally {
        this.reporting = undefined;
      }
    })();
    await this.reporting;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.server?.stop();
    await this.kind.stop?.();
  }
}
