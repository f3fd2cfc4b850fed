/**
 * Remote consoles (os-remote-consoles, and before 2.6 the os-get*Console
 * actions): Nova's get_vnc_console and siblings. The server's host says where
 * the hypervisor serves the console; a token authorised for that place (kept
 * hashed, for [consoleauth] token_ttl) goes into the configured proxy's base
 * URL, which the console proxy (src/console) validates when the client connects.
 */
import { authorizeConsole } from '../console/auth-tokens.js';
import type { AuthContext } from '../http/auth.js';
import { BadRequest, Conflict, NotImplementedError } from '../errors.js';
import { RemoteError } from '../bus/rpc.js';
import { contextFromAuth } from '../bus/context.js';
import type { ConsoleEndpoint, ConsoleProtocol } from '../virt/driver.js';
import { getMetadata, instanceFromRow } from './instance-store.js';
import type { ServerActionDeps, ServerLookup } from './server-action-api.js';
import { TaskState } from './vm-states.js';

/** The console types each protocol serves. */
const TYPES: Record<ConsoleProtocol, readonly string[]> = {
  vnc: ['novnc'], spice: ['spice-html5'], serial: ['serial'], rdp: ['rdp-html5'], mks: ['webmks'],
};

export class ConsoleAPI {
  constructor(private readonly deps: ServerActionDeps, private readonly servers: ServerLookup) {}

  /**
   * The console URL. `legacy` (the pre-2.6 actions) checks the policy
   * without the server as target, as Nova does there.
   */
  async getRemoteConsole(auth: AuthContext, requestId: string, uuid: string, protocol: ConsoleProtocol, type: string, legacy = false): Promise<string> {
    const row = legacy
      ? (this.deps.policy.authorize('os_compute_api:os-remote-consoles', { project_id: auth.projectId, user_id: auth.userId }, auth), await this.servers.get(auth, uuid, 'os_compute_api:servers:show'))
      : await this.servers.get(auth, uuid, 'os_compute_api:os-remote-consoles');
    if (!TYPES[protocol].includes(type)) throw new BadRequest(`Invalid console type ${type}`);
    const base = this.baseUrl(protocol);
    if (base === null) throw new BadRequest(`Unavailable console type ${type}.`);
    if (!row.host) throw new Conflict(`Instance ${uuid} is not ready`);
    if (row.task_state === TaskState.DELETING || row.task_state === 'migrating') {
      throw new Conflict(`Cannot 'get_${protocol}_console' instance ${uuid} while it is in task_state ${row.task_state}`);
    }
    const md = await getMetadata(this.deps.db, [uuid]);
    let endpoint: ConsoleEndpoint;
    try {
      endpoint = await this.deps.compute.getRemoteConsole(contextFromAuth(auth, requestId), row.host, { instance: instanceFromRow(row, md.get(uuid) ?? {}), protocol });
    } catch (err) {
      const remote = err instanceof RemoteError ? err.remoteName : undefined;
      if (remote === 'DriverNotSupported') throw new NotImplementedError('Action not supported by this hypervisor.');
      if (remote === 'InstanceNotFoundOnHost') throw new Conflict(`Instance ${uuid} is not ready`);
      if (remote === 'ConsoleTypeUnavailable') throw new BadRequest(`Unavailable console type ${type}.`);
      throw err;
    }
    const token = await authorizeConsole(this.deps.db, {
      instanceUuid: uuid, consoleType: type, host: endpoint.host, port: endpoint.port,
      internalAccessPath: endpoint.internalAccessPath, accessUrlBase: base,
    }, this.deps.conf.consoleauth.token_ttl);
    // noVNC takes the token inside its "path" parameter; the other proxies as a plain parameter.
    return type === 'novnc' ? `${base}?path=%3Ftoken%3D${token}` : `${base}?token=${token}`;
  }

  private baseUrl(protocol: ConsoleProtocol): string | null {
    const { conf } = this.deps;
    if (protocol === 'vnc') return conf.vnc.enabled ? conf.vnc.novncproxy_base_url : null;
    if (protocol === 'spice') return conf.spice.enabled ? conf.spice.html5proxy_base_url : null;
    if (protocol === 'serial') return conf.serial_console.enabled ? conf.serial_console.base_url : null;
    return null;
  }
}
