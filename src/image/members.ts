/**
 * Image members, by Glance's rules: only a shared image has members; its
 * owner (or an admin) offers it to other projects and takes the offer back;
 * only the member project answers (pending, accepted, rejected). A member sees
 * its own membership and nothing of the others'. The image service supplies
 * the image lookup (visibility) and its policy enforcement, so both read the
 * same way here as for every other image action.
 */
import type { Logger } from 'pino';
import type { AuthContext } from '../http/auth.js';
import { BadRequest, Conflict, Forbidden, NotFound, OverLimit } from '../errors.js';
import { nowIso } from '../db/schema-helpers.js';
import type { Authorizer } from '../policy/types.js';
import type { ImageMemberRepository } from './db/member-repository.js';
import { isMemberStatus, toMemberRecord, type ImageMember, type ImageMemberRecord } from './member-model.js';
import type { Image } from './model.js';
import { imageTarget, isImageAdmin } from './policy.js';

export interface ImageMembersOptions {
  repo: ImageMemberRepository;
  policy: Authorizer;
  logger: Logger;
  /** Glance's image_member_quota; negative is unlimited. */
  quota: number;
  /** The image as `auth` may see it; NotFound otherwise. */
  lookup(id: string, auth: AuthContext): Promise<Image>;
  /** Glance's image policy check: 404 when the caller may not even see the image, else 403. */
  enforce(action: string, image: Image, auth: AuthContext): void;
}

type Operation = 'create' | 'update' | 'delete';

function memberNotFound(memberId: string, imageId: string): NotFound {
  return new NotFound(`${memberId} not found in the member list of the image ${imageId}.`);
}

export class ImageMembers {
  constructor(private readonly opts: ImageMembersOptions) {}

  /**
   * Glance's visibility and ownership check before any change: members exist
   * only on shared images; the owner offers and withdraws, the member answers.
   * Admins are not held to ownership. Glance words every refusal alike.
   */
  private checkChange(op: Operation, image: Image, auth: AuthContext): void {
    const refused = () => new Forbidden(`Not allowed to ${op} members for image ${image.id}.`);
    if (image.visibility !== 'shared') throw refused();
    if (isImageAdmin(auth)) return;
    const owner = image.owner !== null && image.owner === auth.projectId;
    if ((op === 'create' || op === 'delete') && !owner) throw refused();
    if (op === 'update' && owner) throw refused();
  }

  /** Image members policy: the image must be visible to the caller first (Glance's MemberAPIPolicy). */
  private enforce(action: string, image: Image, auth: AuthContext): void {
    this.opts.enforce('get_image', image, auth);
    this.opts.enforce(action, image, auth);
  }

  /** Owners and admins see every membership; anyone else only their own project's. */
  private viewerScope(image: Image, auth: AuthContext): string | undefined {
    if (isImageAdmin(auth) || (image.owner !== null && image.owner === auth.projectId)) return undefined;
    return auth.projectId;
  }

  /** The membership as the caller may see it, after the get_member policy. */
  private async lookupMember(image: Image, memberId: string, auth: AuthContext): Promise<ImageMember> {
    this.enforce('get_member', image, auth);
    const scope = this.viewerScope(image, auth);
    if (scope !== undefined && scope !== memberId) throw memberNotFound(memberId, image.id);
    const member = await this.opts.repo.get(image.id, memberId);
    if (!member) throw memberNotFound(memberId, image.id);
    return member;
  }

  async add(imageId: string, memberId: string, auth: AuthContext): Promise<ImageMemberRecord> {
    const image = await this.opts.lookup(imageId, auth);
    this.checkChange('create', image, auth);
    this.enforce('add_member', image, auth);
    const { quota } = this.opts;
    if (quota >= 0) {
      const attempted = (await this.opts.repo.count(image.id)) + 1;
      if (attempted > quota) {
        throw new OverLimit(`Image member limit exceeded for image ${image.id}: The limit has been exceeded on the number of allowed image members for this image. Attempted: ${attempted}, Maximum: ${quota}`);
      }
    }
    const now = nowIso();
    const member: ImageMember = { image_id: image.id, member_id: memberId, status: 'pending', created_at: now, updated_at: now };
    if (!(await this.opts.repo.add(member))) throw new Conflict(`Member ${memberId} is duplicated for image ${image.id}`);
    this.opts.logger.info({ image_id: image.id, member_id: memberId }, 'image member added');
    return toMemberRecord(member);
  }

  async list(imageId: string, auth: AuthContext): Promise<ImageMemberRecord[]> {
    const image = await this.opts.lookup(imageId, auth);
    if (image.visibility !== 'shared') {
      throw new Forbidden(`Not allowed to list members for image ${image.id}: Only shared images have members.`);
    }
    this.enforce('get_members', image, auth);
    const members = await this.opts.repo.list(image.id, this.viewerScope(image, auth));
    // Glance filters each member by get_member; the target is the image, so it is all or none.
    if (!this.opts.policy.allowed('get_member', imageTarget(image, auth), auth)) return [];
    return members.map(toMemberRecord);
  }

  /** GET of one membership: any refusal reads as 404, so nothing leaks about the image. */
  async get(imageId: string, memberId: string, auth: AuthContext): Promise<ImageMemberRecord> {
    const image = await this.opts.lookup(imageId, auth);
    if (image.visibility !== 'shared') throw new NotFound('Only shared images have members.');
    try {
      return toMemberRecord(await this.lookupMember(image, memberId, auth));
    } catch (err) {
      if (err instanceof Forbidden) throw new NotFound(err.message);
      throw err;
    }
  }

  async update(imageId: string, memberId: string, status: unknown, auth: AuthContext): Promise<ImageMemberRecord> {
    const image = await this.opts.lookup(imageId, auth);
    this.checkChange('update', image, auth);
    await this.lookupMember(image, memberId, auth);
    this.enforce('modify_member', image, auth);
    // Glance checks the value last, once the caller is known to be allowed to answer.
    if (!isMemberStatus(status)) throw new BadRequest('Incorrect request: Status must be "pending", "accepted" or "rejected".');
    const updated = await this.opts.repo.setStatus(image.id, memberId, status, nowIso());
    if (!updated) throw memberNotFound(memberId, image.id);
    this.opts.logger.info({ image_id: image.id, member_id: memberId, status }, 'image member status changed');
    return toMemberRecord(updated);
  }

  async remove(imageId: string, memberId: string, auth: AuthContext): Promise<void> {
    const image = await this.opts.lookup(imageId, auth);
    this.checkChange('delete', image, auth);
    await this.lookupMember(image, memberId, auth);
    this.enforce('delete_member', image, auth);
    if (!(await this.opts.repo.remove(image.id, memberId))) throw memberNotFound(memberId, image.id);
    this.opts.logger.info({ image_id: image.id, member_id: memberId }, 'image member removed');
  }
}
