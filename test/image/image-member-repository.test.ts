/**
 * Image memberships on every database target: add, duplicate, status, remove,
 * and how memberships bring shared images into a project's list (by
 * member_status, never a private image), and go when their image is deleted.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { syncDatabase } from '../../src/db/migrate.js';
import { ImageRepository, type ListSpec } from '../../src/image/db/repository.js';
import { ImageMemberRepository } from '../../src/image/db/member-repository.js';
import type { ImageDb } from '../../src/image/db/tables.js';
import { imageMigrations } from '../../src/image/migrations.js';
import type { Image } from '../../src/image/model.js';
import type { ImageMember, MemberStatus } from '../../src/image/member-model.js';
import { databaseTargets } from '../helpers/databases.js';

function makeImage(over: Partial<Image> = {}): Image {
  const t = new Date().toISOString();
  return {
    id: randomUUID(), name: 'img', status: 'queued', visibility: 'shared', owner: 'owner', disk_format: 'raw', container_format: 'bare',
    size: null, virtual_size: null, checksum: null, os_hash_algo: null, os_hash_value: null, min_disk: 0, min_ram: 0,
    protected: false, os_hidden: false, created_at: t, updated_at: t, properties: {}, tags: [], ...over,
  };
}

function member(imageId: string, memberId: string, status: MemberStatus = 'pending'): ImageMember {
  const t = new Date().toISOString();
  return { image_id: imageId, member_id: memberId, status, created_at: t, updated_at: t };
}

for (const target of await databaseTargets()) {
  describe(`image member repository on ${target.name}`, () => {
    let handle: Awaited<ReturnType<typeof target.open>>;
    let images: ImageRepository;
    let members: ImageMemberRepository;
    before(async () => {
      handle = await target.open();
      await syncDatabase(handle.db, [imageMigrations]);
      images = new ImageRepository(handle.db as ImageDb);
      members = new ImageMemberRepository(handle.db as ImageDb);
    });
    after(async () => { await handle.dispose(); });

    test('add, duplicate, get, count, status change and remove', async () => {
      const image = makeImage();
      await images.insert(image);
      const m = member(image.id, 'p-a');
      assert.equal(await members.add(m), true);
      assert.equal(await members.add({ ...m, status: 'accepted' }), false);
      assert.deepEqual(await members.get(image.id, 'p-a'), m);
      await members.add(member(image.id, 'p-b'));
      assert.equal(await members.count(image.id), 2);
      assert.deepEqual((await members.list(image.id)).map((x) => x.member_id), ['p-a', 'p-b']);
      assert.deepEqual((await members.list(image.id, 'p-b')).map((x) => x.member_id), ['p-b']);
      const later = new Date(Date.now() + 1000).toISOString();
      assert.deepEqual(await members.setStatus(image.id, 'p-a', 'accepted', later), { ...m, status: 'accepted', updated_at: later });
      assert.equal(await members.setStatus(image.id, 'nobody', 'accepted', later), undefined);
      assert.equal(await members.remove(image.id, 'p-a'), true);
      assert.equal(await members.remove(image.id, 'p-a'), false);
      assert.equal(await members.count(image.id), 1);
    });

    test('a membership lists a shared image for its project by member_status; never a private one', async () => {
      const viewer = `viewer-${randomUUID()}`;
      const tag = `mem-${randomUUID()}`;
      const mk = async (visibility: Image['visibility'], status?: MemberStatus) => {
        const image = makeImage({ visibility, tags: [tag] });
        await images.insert(image);
        if (status) await members.add(member(image.id, viewer, status));
        return image.id;
      };
      const accepted = await mk('shared', 'accepted');
      const pending = await mk('shared', 'pending');
      const rejected = await mk('shared', 'rejected');
      const notMember = await mk('shared');
      const privateAccepted = await mk('private', 'accepted');
      const list = async (over: Partial<ListSpec>) => new Set((await images.list({
        viewer: { projectId: viewer, isAdmin: false }, filters: [{ kind: 'tag', value: tag }], sort: [], limit: 100, ...over,
      })).map((i) => i.id));
      assert.deepEqual(await list({}), new Set([accepted]));
      assert.deepEqual(await list({ memberStatus: 'pending' }), new Set([pending]));
      assert.deepEqual(await list({ memberStatus: 'rejected', visibility: 'shared' }), new Set([rejected]));
      assert.deepEqual(await list({ memberStatus: 'all' }), new Set([accepted, pending, rejected]));
      assert.deepEqual(await list({ memberStatus: 'all', visibility: 'private' }), new Set());
      assert.deepEqual(await list({ viewer: { projectId: 'admin', isAdmin: true }, memberStatus: 'pending' }),
        new Set([accepted, pending, rejected, notMember, privateAccepted]));
    });

    test('deleting an image deletes its memberships with it', async () => {
      const image = makeImage();
      await images.insert(image);
      await members.add(member(image.id, 'p-a', 'accepted'));
      await members.add(member(image.id, 'p-b'));
      assert.equal(await images.softDelete(image.id), true);
      assert.equal(await members.count(image.id), 0);
    });
  });
}
