/**
 * Image members: the projects a shared image is offered to, and each one's
 * answer. ImageMemberRecord is the Glance v2 JSON shape the API answers with.
 */
import { glanceTime } from './model.js';

export const MEMBER_STATUSES = ['pending', 'accepted', 'rejected'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** A membership as stored (ISO-8601 times with milliseconds). */
export interface ImageMember {
  image_id: string;
  member_id: string;
  status: MemberStatus;
  created_at: string;
  updated_at: string;
}

export interface ImageMemberRecord {
  created_at: string;
  updated_at: string;
  image_id: string;
  member_id: string;
  status: MemberStatus;
  schema: '/v2/schemas/member';
}

export function isMemberStatus(value: unknown): value is MemberStatus {
  return typeof value === 'string' && (MEMBER_STATUSES as readonly string[]).includes(value);
}

export function toMemberRecord(member: ImageMember): ImageMemberRecord {
  return {
    created_at: glanceTime(member.created_at),
    updated_at: glanceTime(member.updated_at),
    image_id: member.image_id,
    member_id: member.member_id,
    status: member.status,
    schema: '/v2/schemas/member',
  };
}
