/** The arguments of a server create, as the API's create extensions fill them in. */
import type { InjectedFile } from '../virt/driver.js';
import type { NetworkRequestList } from '../objects/network-request.js';

export interface BlockDeviceMappingRequest {
  source_type: string;
  destination_type?: string;
  boot_index?: number | string | null;
  uuid?: string;
  volume_size?: number;
  device_name?: string;
  delete_on_termination?: boolean;
  guest_format?: string;
  disk_bus?: string;
  device_type?: string;
}

export interface CreateOptions {
  name: string;
  imageRef: string;
  flavorRef: string;
  description?: string | null;
  metadata: Record<string, string>;
  minCount: number;
  maxCount: number;
  returnReservationId: boolean;
  keyName?: string | null;
  userData?: string | null;
  configDrive: boolean;
  availabilityZone?: string | null;
  networks: NetworkRequestList | 'default';
  securityGroups: string[];
  accessIPv4?: string | null;
  accessIPv6?: string | null;
  adminPass?: string;
  blockDeviceMappings: BlockDeviceMappingRequest[];
  schedulerHints: Record<string, unknown>;
  /** OS-DCF:diskConfig: AUTO is true, MANUAL false; absent, the image's auto_disk_config decides. */
  autoDiskConfig?: boolean;
  /** 2.63: ids of the certificates the image must be signed by. */
  trustedCerts?: string[] | null;
  /** Personality files (before 2.57), contents base64 as given. */
  injectedFiles?: InjectedFile[];
  /** Server tags given at create (2.52). */
  tags?: string[];
  /** The guest's hostname (2.90); else one made from the name. */
  hostname?: string;
}
