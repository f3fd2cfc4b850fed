/**
 * Provider segments (Neutron's provider extension with ML2's local and flat
 * type drivers): which physical wire a network is, for the data path to
 * find. A network created without provider attributes is `local`, as ML2's
 * default tenant_network_types makes it.
 */
import { invalidInput } from './errors.js';

export interface ProviderSegment {
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
}

/** What the request gave; undefined means "not given". */
export interface ProviderRequest {
  network_type?: string;
  physical_network?: string;
  segmentation_id?: number;
}

export const LOCAL_SEGMENT: ProviderSegment = { network_type: 'local', physical_network: null, segmentation_id: null };

export const SUPPORTED_NETWORK_TYPES = ['local', 'flat'];

/** The segment a request asks for, with the type drivers' checks and wording. */
export function checkProviderSegment(req: ProviderRequest): ProviderSegment {
  const { network_type: type, physical_network: physnet, segmentation_id: segId } = req;
  if (type === undefined) {
    if (physnet === undefined && segId === undefined) return LOCAL_SEGMENT;
    throw invalidInput('network_type required');
  }
  if (!SUPPORTED_NETWORK_TYPES.includes(type)) throw invalidInput(`network_type value '${type}' not supported`);
  if (type === 'local') {
    if (physnet !== undefined) throw invalidInput('provider:physical_network prohibited for local provider network');
    if (segId !== undefined) throw invalidInput('provider:segmentation_id prohibited for local provider network');
    return LOCAL_SEGMENT;
  }
  if (physnet === undefined || physnet === '') throw invalidInput('physical_network required for flat provider network');
  if (segId !== undefined) throw invalidInput('provider:segmentation_id prohibited for flat provider network');
  return { network_type: 'flat', physical_network: physnet, segmentation_id: null };
}
