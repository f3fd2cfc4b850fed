/**
 * Image memberships on SQLite and PostgreSQL. As the image repository, it
 * knows nothing of policy: the member service decides who may see or change
 * which membership and says so with `viewer` where it narrows a lookup.
 */
import { isUniqueViolation } from '../../db/schema-helpers.js';
import type { ImageMember, MemberStatus } from '../member-model.js';
import type { ImageDb, ImageMembersTable } from './tables.js';

function rowToMember(row: ImageMembersTable): ImageMember {
  return {
    image_id: row.image_id,
    member_id: row.member_id,
    status: row.status as MemberStatus,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export class ImageMemberRepository {
  constructor(private readonly db: ImageDb) {}

  /** Insert a membership; false when the project is already a member of the image. */
  async add(member: ImageMember): Promise<boolean> {
    try {
      await this.db.insertInto('image_members').values({ ...member }).execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /**
   * The image's memberships, oldest first. With `onlyFor`, just that
   * project's own: what a member (not the owner) is allowed to see.
   */
  async list(imageId: string, onlyFor?: string): Promise<ImageMember[]> {
    let query = this.db.selectFrom('image_members').selectAll().where('image_id', '=', imageId);
    if (onlyFor !== undefined) query = query.where('member_id', '=', onlyFor);
    const rows = await query.orderBy('created_at').orderBy('member_id').execute();
    return rows.map(rowToMember);
  }

  async get(imageId: string, memberId: string): Promise<ImageMember | undefined> {
    const row = await this.db.selectFrom('image_members').selectAll()
      .where('image_id', '=', imageId).where('member_id', '=', memberId).executeTakeFirst();
    return row ? rowToMember(row) : undefined;
  }

  async count(imageId: string): Promise<number> {
    const row = await this.db.selectFrom('image_members').select((eb) => eb.fn.countAll().as('n'))
      .where('image_id', '=', imageId).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The membership with its new status, or undefined when it went away meanwhile. */
  async setStatus(imageId: string, memberId: string, status: MemberStatus, now: string): Promise<ImageMember | undefined> {
    const res = await this.db.updateTable('image_members').set({ status, updated_at: now })
      .where('image_id', '=', imageId).where('member_id', '=', memberId).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return undefined;
    return this.get(imageId, memberId);
  }

  /** False when there was no such membership. */
  async remove(imageId: string, memberId: string): Promise<boolean> {
    const res = await this.db.deleteFrom('image_members')
      .where('image_id', '=', imageId).where('member_id', '=', memberId).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}
