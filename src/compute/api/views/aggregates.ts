/** The aggregate as Nova renders it: every field of the object, uuid from 2.41. */
import { AZ_KEY, type Aggregate } from '../../aggregate-store.js';
import { novaTimestamp } from './keypairs.js';

export function aggregateView(agg: Aggregate, atLeast: (v: string) => boolean, opts: { forCreate?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    availability_zone: agg.metadata[AZ_KEY] ?? null,
    created_at: novaTimestamp(agg.created_at),
    deleted: false,
    deleted_at: null,
    id: agg.id,
    name: agg.name,
    updated_at: novaTimestamp(agg.updated_at),
  };
  // Nova's create answer leaves out what a new aggregate cannot have yet.
  if (!opts.forCreate) {
    out.hosts = agg.hosts;
    out.metadata = agg.metadata;
  }
  if (atLeast('2.41')) out.uuid = agg.uuid;
  return out;
}
