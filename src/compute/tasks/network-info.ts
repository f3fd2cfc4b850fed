import type { VifInfo } from '../../virt/driver.js';
import type { ComputeHostStore } from '../host-objects/port.js';

/** The server's VIFs as last recorded; [] when it has none (or is gone). */
export async function networkInfoOf(deps: { store: Pick<ComputeHostStore, 'getInstance'> }, uuid: string): Promise<VifInfo[]> {
  return (await deps.store.getInstance(uuid))?.networkInfo ?? [];
}
