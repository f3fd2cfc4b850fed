/** The role assignment list's filters (keystone/assignment/core.py): combinations Keystone refuses. */
import { BadRequest } from '../../../errors.js';

export function checkAssignmentFilters(f: { effective: boolean; group: boolean; scopes: boolean[] }): void {
  if (f.effective && f.group) throw new BadRequest('Combining effective and group filter will always result in an empty list.');
  if (f.scopes.filter(Boolean).length > 1) throw new BadRequest('Specify one of domain, project or system as the scope of the role assignments.');
}
