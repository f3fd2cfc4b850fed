/** RBAC policy bodies (neutron-lib's rbac-policies attribute map). */
import { RBAC_ACTIONS, RBAC_OBJECT_TYPES } from '../../rbac-policies.js';
import { resource, string, uuid } from './common.js';

const oneOf = (values: readonly string[]) =>
  ({ allOf: [string(), { enum: values, 'x-reason': `'%v' is not in [${values.map((v) => `'${v}'`).join(', ')}]` }] });

const READ_ONLY = ['id'];

export const rbacPolicyCreate = resource('POST', {
  object_type: oneOf(RBAC_OBJECT_TYPES), object_id: uuid, action: oneOf(RBAC_ACTIONS),
  target_tenant: string(255), target_project: string(255), tenant_id: string(), project_id: string(),
}, READ_ONLY, ['object_type', 'object_id', 'action']);

export const rbacPolicyUpdate = resource('PUT', { target_tenant: string(255), target_project: string(255) },
  [...READ_ONLY, 'object_type', 'object_id', 'action', 'tenant_id', 'project_id']);
