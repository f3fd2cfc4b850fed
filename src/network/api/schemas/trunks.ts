/**
 * Trunk bodies (neutron-lib's trunk attribute map) and the subport list
 * check Neutron's validators apply (validate_subports): each entry a
 * dictionary with a distinct port UUID, and a segmentation given whole and
 * not repeated. The rules needing the database are in ../../trunk-rules.ts.
 */
import { BadRequest } from '../../../errors.js';
import { showValue } from '../../../http/validation.js';
import type { SubportRequest } from '../../model.js';
import { boolean, resource, string, tags, UUID, uuid, type Body } from './common.js';


const subportList = {
  type: 'array',
  items: { type: 'object', 'x-reason': "Invalid data format for subport: '%v' is not a dict" },
  'x-reason': { type: "Invalid data format for subports: '%v' is not a list" },
} as const;

const settable = { name: string(), description: string(), admin_state_up: boolean };
const READ_ONLY = ['id', 'status', 'created_at', 'updated_at', 'revision_number', 'tags'];

export const trunkCreate = resource('POST', {
  ...settable, port_id: uuid, sub_ports: subportList, tenant_id: string(), project_id: string(), tags,
}, READ_ONLY, ['port_id']);

export const trunkUpdate = resource('PUT', settable, [...READ_ONLY, 'port_id', 'sub_ports', 'tenant_id', 'project_id']);

/** The body of add_subports and remove_subports: `{"sub_ports": [...]}`. */
export const subportsBody = {
  type: 'object',
  properties: { sub_ports: subportList },
  required: ['sub_ports'],
  additionalProperties: true,
  'x-readOnly': [],
} as const;

/** Why Neutron's subport list validator refuses the (schema-checked) list, or undefined when it passes. */
export function subportListProblem(entries: readonly Body[]): string | undefined {
  const ids = new Set<string>();
  const segmentations = new Map<string, Set<string>>();
  for (const s of entries) {
    if (s.port_id === undefined) return 'A valid port UUID must be specified';
    if (typeof s.port_id !== 'string' || !UUID.test(s.port_id)) return `Invalid UUID for subport: '${showValue(s.port_id)}'`;
    if (ids.has(s.port_id)) return `Non unique UUID for subport: '${s.port_id}'`;
    ids.add(s.port_id);
    // Its segmentation comes from its network (refused later); Neutron checks no further, we still check the port ids.
    if (s.segmentation_type === 'inherit') continue;
    const type = s.segmentation_type;
    const id = s.segmentation_id;
    if ((!type || id === undefined || id === null) && Object.keys(s).length > 1) {
      return `Invalid subport details '${showValue(s)}': missing segmentation information. Must specify both segmentation_id and segmentation_type`;
    }
    const seen = segmentations.get(showValue(type)) ?? new Set<string>();
    if (id !== undefined && id !== null && seen.has(showValue(id))) {
      return `Segmentation ID '${showValue(id)}' for '${s.port_id}' is not unique`;
    }
    if (id !== undefined && id !== null) seen.add(showValue(id));
    segmentations.set(showValue(type), seen);
  }
  return undefined;
}

export function subportRequests(entries: readonly Body[]): SubportRequest[] {
  return entries.map((s) => ({
    port_id: s.port_id as string,
    ...(s.segmentation_type !== undefined ? { segmentation_type: s.segmentation_type } : {}),
    ...(s.segmentation_id !== undefined ? { segmentation_id: s.segmentation_id } : {}),
  }));
}

/** add_subports and remove_subports take their list outside any resource wrapper. */
export function subportsOf(body: unknown): Body[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('sub_ports' in body)) {
    throw new BadRequest("Unable to find 'sub_ports' in request body");
  }
  return (body as { sub_ports: Body[] }).sub_ports;
}
