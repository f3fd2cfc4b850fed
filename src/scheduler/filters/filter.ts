import type { RequestSpec } from '../../objects/request-spec.js';
import type { GroupPlacement } from '../../compute/server-groups.js';
import type { HostState } from '../host-state.js';

/** What a filter may know about the request beyond its spec: the server group being placed into, and where its members run. */
export interface FilterContext {
  group: GroupPlacement | null;
  /** Where the servers named by the same_host / different_host hints run. */
  instanceHosts?: ReadonlyMap<string, string>;
}

/** A host filter (Nova's BaseHostFilter): true keeps the host. */
export interface HostFilter {
  readonly name: string;
  /** Run again for each instance of a request, after the previous ones were placed (their hosts count). */
  readonly perInstance?: boolean;
  hostPasses(host: HostState, spec: RequestSpec, ctx: FilterContext): boolean;
}
