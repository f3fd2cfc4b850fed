/**
 * Glance's default image policies. IMAGE_POLICY_DEFAULTS carries them as
 * oslo.policy check strings (for the policy engine and policy.yaml overrides);
 * defaultImagePolicy applies the same rules directly, for when no engine is
 * given. Targets follow Glance's ImageTarget: project_id is the image owner,
 * member_id the caller's project when it looks at another project's shared
 * image (which it can only have found through a membership).
 */
import { PolicyNotAuthorized } from '../errors.js';
import type { AuthContext } from '../http/auth.js';
import type { Authorizer, PolicyRuleDefault, PolicyTarget } from '../policy/types.js';
import type { Image } from './model.js';

const ADMIN = 'role:admin';
const PROJECT_MEMBER = 'role:member and project_id:%(project_id)s';
const PROJECT_READER = 'role:reader and project_id:%(project_id)s';
const IMAGE_MEMBER = 'project_id:%(member_id)s';
const VISIBLE = `${IMAGE_MEMBER} or 'community':%(visibility)s or 'public':%(visibility)s or 'shared':%(visibility)s`;
const PROJECT_READER_OR_SHARED_MEMBER = `role:reader and (project_id:%(project_id)s or ${IMAGE_MEMBER})`;

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
  { name: 'add_member', checkStr: `${ADMIN} or (${PROJECT_MEMBER})`, description: 'Create an image member.' },
  { name: 'delete_member', checkStr: `${ADMIN} or (${PROJECT_MEMBER})`, description: 'Delete an image member.' },
  { name: 'get_member', checkStr: `${ADMIN} or ${PROJECT_READER_OR_SHARED_MEMBER}`, description: 'Show an image member.' },
  { name: 'get_members', checkStr: `${ADMIN} or ${PROJECT_READER_OR_SHARED_MEMBER}`, description: 'List image members.' },
  { name: 'modify_member', checkStr: `${ADMIN} or (role:member and ${IMAGE_MEMBER})`, description: "Change an image member's status." },
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
  const imageMember = target.member_id === auth.projectId;
  const visibleToAll = imageMember || ['community', 'public', 'shared'].includes(String(target.visibility));
  switch (action) {
    case 'get_images': return hasRole(auth, 'reader') && ownProject;
    case 'get_image': return hasRole(auth, 'reader') && (ownProject || visibleToAll);
    case 'download_image': return hasRole(auth, 'member') && (ownProject || visibleToAll);
    case 'add_image': return hasRole(auth, 'member') && ownProject && target.owner === auth.projectId;
    case 'publicize_image': return false;
    case 'get_member': case 'get_members': return hasRole(auth, 'reader') && (ownProject || imageMember);
    case 'modify_member': return hasRole(auth, 'member') && imageMember;
    case 'modify_image': case 'delete_image': case 'communitize_image': case 'upload_image':
    case 'deactivate': case 'reactivate': case 'add_member': case 'delete_member':
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

/**
 * Glance's ImageTarget: the image's attributes, with project_id standing for
 * its owner, and member_id for the viewing project when the image is another
 * project's shared image.
 */
export function imageTarget(image: Pick<Image, 'id' | 'owner' | 'visibility' | 'protected' | 'status' | 'name'>, viewer?: AuthContext): PolicyTarget {
  const member = viewer !== undefined && image.visibility === 'shared' && viewer.projectId !== image.owner ? viewer.projectId : null;
  return {
    id: image.id,
    project_id: image.owner,
    owner: image.owner,
    member_id: member,
    visibility: image.visibility,
    protected: image.protected,
    status: image.status,
    name: image.name,
  };
}
