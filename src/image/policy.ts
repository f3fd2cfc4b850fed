/**
 * Glance's default image policies. IMAGE_POLICY_DEFAULTS carries them as
 * oslo.policy check strings (for the policy engine and policy.yaml overrides);
 * defaultImagePolicy applies the same rules directly, for when no engine is
 * given. Targets follow Glance's ImageTarget: project_id is the image owner.
 */
import { PolicyNotAuthorized } from '../errors.js';
import type { AuthContext } from '../http/auth.js';
import type { Authorizer, PolicyRuleDefault, PolicyTarget } from '../policy/types.js';
import type { Image } from './model.js';

const ADMIN = 'role:admin';
const PROJECT_MEMBER = 'role:member and project_id:%(project_id)s';
const PROJECT_READER = 'role:reader and project_id:%(project_id)s';
const VISIBLE = "'community':%(visibility)s or 'public':%(visibility)s or 'shared':%(visibility)s";

export const IMAGE_POLICY_DEFAULTS: readonly PolicyRuleDefault[] = [
  { name: 'get_images', checkStr: `${ADMIN} or (${PROJECT_READER})`, description: 'List images.' },
  { name: 'get_image', checkStr: `${ADMIN} or (role:reader and (project_id:%(project_id)s or ${VISIBLE}))`, description: 'Show an image.' },
  { name: 'add_image', checkStr: `${ADMIN} or (${PROJECT_MEMBER} and project_id:%(owner)s)`, description: 'Create an image.' },
  { name: 'modify_image', checkStr: `${ADMIN} or (${PROJECT_MEMBER})`, description: 'Update an image.' },
  { name: 'delete_image', checkStr: `${ADMIN} or (${PROJECT_MEMBER})`, description: 'Delete an image.' },
  { name: 'publicize_image', checkStr: ADMIN, description: 'Make an image public.' },
  { name: 'communitize_image', checkStr: `${ADMIN} or (${PROJECT_MEMBER})`, description: 'Make an image a community image.' },
  { name: 'upload_image', checkStr: `${ADMIN} or (${PROJECT_MEMBER})`, description: 'Upload image data.' },
  { name: 'download_image', checkStr: `${ADMIN} or (role:member and (project_id:%(project_id)s or ${VISIBLE}))`, description: 'Download image data.' },
  { name: 'deactivate', checkStr: `${ADMIN} or (${PROJECT_MEMBER})`, description: 'Deactivate an image.' },
  { name: 'reactivate', checkStr: `${ADMIN} or (${PROJECT_MEMBER})`, description: 'Reactivate an image.' },
];

/** Keystone's default roles imply each other: admin > member > reader. */
function hasRole(auth: AuthContext, role: 'admin' | 'member' | 'reader'): boolean {
  const roles = auth.roles;
  if (roles.includes('admin')) return true;
  if (role === 'admin') return false;
  if (roles.includes('member')) return true;
  return role === 'reader' && roles.includes('reader');
}

export function isImageAdmin(auth: AuthContext): boolean {
  return hasRole(auth, 'admin');
}

function decide(action: string, target: PolicyTarget, auth: AuthContext): boolean {
  if (hasRole(auth, 'admin')) return true;
  const ownProject = target.project_id === auth.projectId;
  const visibleToAll = ['community', 'public', 'shared'].includes(String(target.visibility));
  switch (action) {
    case 'get_images': return hasRole(auth, 'reader') && ownProject;
    case 'get_image': return hasRole(auth, 'reader') && (ownProject || visibleToAll);
    case 'download_image': return hasRole(auth, 'member') && (ownProject || visibleToAll);
    case 'add_image': return hasRole(auth, 'member') && ownProject && target.owner === auth.projectId;
    case 'publicize_image': return false;
    case 'modify_image': case 'delete_image': case 'communitize_image': case 'upload_image':
    case 'deactivate': case 'reactivate':
      return hasRole(auth, 'member') && ownProject;
    default: return false;
  }
}

export const defaultImagePolicy: Authorizer = {
  authorize(action, target, auth) {
    if (!decide(action, target, auth)) throw new PolicyNotAuthorized(action);
  },
  allowed: decide,
};

/** Glance's ImageTarget: the image's attributes, with project_id standing for its owner. */
export function imageTarget(image: Pick<Image, 'id' | 'owner' | 'visibility' | 'protected' | 'status' | 'name'>): PolicyTarget {
  return {
    id: image.id,
    project_id: image.owner,
    owner: image.owner,
    visibility: image.visibility,
    protected: image.protected,
    status: image.status,
    name: image.name,
  };
}
