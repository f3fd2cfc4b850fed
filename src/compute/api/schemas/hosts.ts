/** PUT /os-hosts/{host} (nova/api/openstack/compute/schemas/hosts.py). */
const switchValue = { type: 'string', enum: ['enable', 'disable', 'Enable', 'Disable', 'ENABLE', 'DISABLE'] } as const;

export const hostUpdateBody = {
  type: 'object',
  properties: { status: switchValue, maintenance_mode: switchValue },
  anyOf: [{ required: ['status'] }, { required: ['maintenance_mode'] }],
  additionalProperties: false,
} as const;
