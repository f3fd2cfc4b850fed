import type { RequestSpec } from '../../objects/request-spec.js';
import type { HostState } from '../host-state.js';

/** A host filter (Nova's BaseHostFilter): true keeps the host. */
export interface HostFilter {
  readonly name: string;
  hostPasses(host: HostState, spec: RequestSpec): boolean;
}
