/**
 * The metadata of a live instance as the metadata API reads it from the
 * compute database (Nova's get_metadata_by_instance_id): the instance row,
 * its metadata, its key pair's type, the network info cached on it. The same
 * InstanceMetadataSource the libvirt driver builds a config drive from, so
 * the guest sees the same answers either way.
 */
import type { ComputeDb } from '../compute/db/tables.js';
import { getInstanceRow, getMetadata, InstanceNotFound } from '../compute/instance-store.js';
import { decodeUserData, type InstanceMetadataSource, type MetadataVif } from './instance-metadata.js';

export interface InstanceMetadataRecord {
  source: InstanceMetadataSource;
  /** The owner, which the proxy's X-Tenant-ID must name. */
  projectId: string;
}

function parsedOr<T>(text: string | null, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** null when no live instance has that uuid. */
export async function loadInstanceMetadata(db: ComputeDb, uuid: string): Promise<InstanceMetadataRecord | null> {
  let row;
  try {
    row = await getInstanceRow(db, uuid);
  } catch (err) {
    if (err instanceof InstanceNotFound) return null;
    throw err;
  }
  const [metadata, keyPair] = await Promise.all([
    getMetadata(db, [uuid]).then((m) => m.get(uuid) ?? {}),
    row.key_name
      ? db.selectFrom('key_pairs').select('type').where('user_id', '=', row.user_id).where('name', '=', row.key_name).executeTakeFirst()
      : Promise.resolve(undefined),
  ]);
  const flavor = parsedOr<{ name?: string }>(row.flavor, {});
  const source: InstanceMetadataSource = {
    uuid: row.uuid, name: row.display_name, hostname: row.hostname, projectId: row.project_id,
    availabilityZone: row.availability_zone, launchIndex: row.launch_index,
    keyName: row.key_name, keyData: row.key_data, keyType: keyPair?.type ?? 'ssh',
    metadata, userData: decodeUserData(row.user_data),
    networkInfo: parsedOr<MetadataVif[]>(row.network_info, []),
    internalId: row.id, imageId: row.image_ref || null, reservationId: row.reservation_id,
    flavorName: flavor.name ?? null, rootDeviceName: row.root_device_name,
    securityGroups: parsedOr<string[]>(row.security_groups, []),
  };
  return { source, projectId: row.project_id };
}
