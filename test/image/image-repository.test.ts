/**
 * The image data layer on every database target: migrations, round trips of
 * every column, Glance's visibility rules for listing, filters, keyset
 * pagination over nullable sort keys, and the compare-and-set transitions
 * uploads rely on.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { syncDatabase } from '../../src/db/migrate.js';
import { ImageRepository, type ListSpec } from '../../src/image/db/repository.js';
import type { ImageDb } from '../../src/image/db/tables.js';
import { imageMigrations } from '../../src/image/migrations.js';
import type { Image } from '../../src/image/model.js';
import { databaseTargets } from '../helpers/databases.js';

let clock = Date.parse('2024-01-01T00:00:00Z');
function makeImage(over: Partial<Image> = {}): Image {
  const t = new Date(clock += 1000).toISOString();
  return {
    id: randomUUID(), name: 'img', status: 'queued', visibility: 'shared', owner: 'p1',
    disk_format: 'raw', container_format: 'bare', size: null, virtual_size: null, checksum: null,
    os_hash_algo: null, os_hash_value: null, min_disk: 0, min_ram: 0, protected: false, os_hidden: false,
    created_at: t, updated_at: t, properties: {}, tags: [], ...over,
  };
}

const P1 = { projectId: 'p1', isAdmin: false };
const ADMIN = { projectId: 'admin', isAdmin: true };

function spec(over: Partial<ListSpec>): ListSpec {
  return { viewer: P1, filters: [{ kind: 'eq', column: 'os_hidden', value: 0 }], sort: [], limit: 100, ...over };
}

for (const target of await databaseTargets()) {
  describe(`image repository on ${target.name}`, () => {
    let handle: Awaited<ReturnType<typeof target.open>>;
    let repo: ImageRepository;
    before(async () => {
      handle = await target.open();
      await syncDatabase(handle.db, [imageMigrations]);
      repo = new ImageRepository(handle.db as ImageDb);
    });
    after(async () => { await handle.dispose(); });

    test('migrations are recorded in their own history and re-running applies nothing', async () => {
      assert.deepEqual(await syncDatabase(handle.db, [imageMigrations]), []);
    });

    test('an image round-trips with every column, its properties and tags', async () => {
      const image = makeImage({
        name: 'full', status: 'active', visibility: 'public', size: 5 * 1024 ** 3, virtual_size: 10 * 1024 ** 3,
        checksum: 'a'.repeat(32), os_hash_algo: 'sha512', os_hash_value: 'b'.repeat(128), min_disk: 3, min_ram: 512,
        protected: true, os_hidden: true, properties: { hw_disk_bus: 'virtio', 'owner_specified.openstack.md5': '' },
        tags: ['alpha', 'beta'],
      });
      await repo.insert(image);
      assert.deepEqual(await repo.get(image.id), image);
    });

    test('a duplicate id is refused and the first image is untouched', async () => {
      const image = makeImage({ name: 'first', properties: { a: '1' } });
      await repo.insert(image);
      await assert.rejects(repo.insert({ ...image, name: 'second', properties: { b: '2' } }));
      assert.deepEqual(await repo.get(image.id), image);
    });

    test('list applies Glance visibility: own, public; community only when asked; shared only to its owner', async () => {
      const owner = `vis-${randomUUID()}`;
      const tag = `vis-${randomUUID()}`;
      const mk = (visibility: Image['visibility'], o: string) => makeImage({ visibility, owner: o, tags: [tag] });
      const images = {
        ownPrivate: mk('private', owner), ownShared: mk('shared', owner), ownCommunity: mk('community', owner),
        otherPrivate: mk('private', 'x'), otherShared: mk('shared', 'x'), otherPublic: mk('public', 'x'), otherCommunity: mk('community', 'x'),
      };
      for (const i of Object.values(images)) await repo.insert(i);
      const names = (list: Image[]) => new Set(list.map((i) => Object.entries(images).find(([, v]) => v.id === i.id)![0]));
      const tagged = [{ kind: 'tag' as const, value: tag }];
      const viewer = { projectId: owner, isAdmin: false };
      assert.deepEqual(names(await repo.list(spec({ viewer, filters: tagged }))),
        new Set(['ownPrivate', 'ownShared', 'ownCommunity', 'otherPublic']));
      assert.deepEqual(names(await repo.list(spec({ viewer, filters: tagged, visibility: 'community' }))),
        new Set(['ownCommunity', 'otherCommunity']));
      assert.deepEqual(names(await repo.list(spec({ viewer, filters: tagged, visibility: 'all' }))),
        new Set(['ownPrivate', 'ownShared', 'ownCommunity', 'otherPublic', 'otherCommunity']));
      // Admin sees every project's images, but community ones (not its own) only when asked, as Glance.
      assert.deepEqual(names(await repo.list(spec({ viewer: ADMIN, filters: tagged }))),
        new Set(['ownPrivate', 'ownShared', 'otherPrivate', 'otherShared', 'otherPublic']));
      assert.deepEqual(names(await repo.list(spec({ viewer: ADMIN, filters: tagged, visibility: 'private' }))),
        new Set(['ownPrivate', 'otherPrivate']));
    });

    test('filters: name in:, status, property, every tag, size range, protected, os_hidden', async () => {
      const mark = randomUUID();
      const a = makeImage({ name: `a-${mark}`, size: 100, status: 'active', properties: { os_distro: 'debian', mark }, tags: ['x', 'y'] });
      const b = makeImage({ name: `b-${mark}`, size: 2000, status: 'active', properties: { os_distro: 'ubuntu', mark }, tags: ['x'], protected: true });
      const c = makeImage({ name: `c-${mark}`, properties: { mark }, os_hidden: true });
      for (const i of [a, b, c]) await repo.insert(i);
      const ids = async (filters: ListSpec['filters']) =>
        (await repo.list(spec({ filters: [{ kind: 'property', name: 'mark', value: mark }, ...filters] }))).map((i) => i.name).sort();
      const visible = [{ kind: 'eq', column: 'os_hidden', value: 0 }] as ListSpec['filters'];
      assert.deepEqual(await ids([...visible, { kind: 'in', column: 'name', values: [`a-${mark}`, `c-${mark}`] }]), [`a-${mark}`]);
      assert.deepEqual(await ids([{ kind: 'eq', column: 'os_hidden', value: 1 }]), [`c-${mark}`]);
      assert.deepEqual(await ids([...visible, { kind: 'in', column: 'status', values: ['active'] }]), [`a-${mark}`, `b-${mark}`]);
      assert.deepEqual(await ids([...visible, { kind: 'property', name: 'os_distro', value: 'ubuntu' }]), [`b-${mark}`]);
      assert.deepEqual(await ids([...visible, { kind: 'tag', value: 'x' }, { kind: 'tag', value: 'y' }]), [`a-${mark}`]);
      assert.deepEqual(await ids([...visible, { kind: 'compare', column: 'size', op: '>=', value: 1000 }]), [`b-${mark}`]);
      assert.deepEqual(await ids([...visible, { kind: 'eq', column: 'protected', value: 1 }]), [`b-${mark}`]);
      assert.deepEqual(await ids([...visible, { kind: 'in', column: 'name', values: [] }]), []);
    });

    test('keyset pagination walks every image exactly once, over a nullable sort key, both directions', async () => {
      const owner = `page-${randomUUID()}`;
      const names = ['delta', null, 'alpha', 'charlie', null, 'bravo', 'alpha', 'echo'];
      const all = names.map((name) => makeImage({ name, owner, visibility: 'private' }));
      for (const i of all) await repo.insert(i);
      const viewer = { projectId: owner, isAdmin: false };
      const owned = [{ kind: 'eq' as const, column: 'owner' as const, value: owner }];
      for (const dir of ['asc', 'desc'] as const) {
        const seen: Image[] = [];
        let marker: Image | undefined;
        for (let guard = 0; guard < 10; guard++) {
          const page = await repo.list(spec({ viewer, filters: owned, sort: [{ key: 'name', dir }], limit: 3, ...(marker ? { marker } : {}) }));
          seen.push(...page);
          if (page.length < 3) break;
          marker = page[page.length - 1];
        }
        assert.equal(seen.length, all.length);
        assert.equal(new Set(seen.map((i) => i.id)).size, all.length);
        const order = seen.map((i) => i.name ?? '');
        const sorted = [...order].sort();
        assert.deepEqual(order, dir === 'asc' ? sorted : sorted.reverse());
      }
    });

    test('the default order is newest first', async () => {
      const owner = `order-${randomUUID()}`;
      const first = makeImage({ owner });
      const second = makeImage({ owner });
      await repo.insert(first);
      await repo.insert(second);
      const list = await repo.list(spec({ viewer: { projectId: owner, isAdmin: false }, filters: [{ kind: 'eq', column: 'owner', value: owner }] }));
      assert.deepEqual(list.map((i) => i.id), [second.id, first.id]);
    });

    test('save writes columns, changed and removed properties, and tags', async () => {
      const before = makeImage({ properties: { keep: '1', change: '2', drop: '3' }, tags: ['a'] });
      await repo.insert(before);
      const after: Image = { ...before, name: 'renamed', min_ram: 64, protected: true, properties: { keep: '1', change: 'two', added: '4' }, tags: ['b', 'c'] };
      assert.equal(await repo.save(before, after), true);
      assert.deepEqual(await repo.get(before.id), after);
    });

    test('transition is a compare-and-set: only one of two racing uploads wins', async () => {
      const image = makeImage();
      await repo.insert(image);
      const results = await Promise.all([
        repo.transition(image.id, ['queued'], 'saving'),
        repo.transition(image.id, ['queued'], 'saving'),
      ]);
      assert.deepEqual(results.sort(), [false, true]);
      assert.equal(await repo.transition(image.id, ['saving'], 'active', { size: 42, checksum: 'c'.repeat(32) }), true);
      const got = await repo.get(image.id);
      assert.equal(got?.status, 'active');
      assert.equal(got?.size, 42);
    });

    test('soft delete hides the image, keeps its id taken, and cannot happen twice', async () => {
      const image = makeImage();
      await repo.insert(image);
      assert.equal(await repo.softDelete(image.id), true);
      assert.equal(await repo.get(image.id), undefined);
      assert.equal(await repo.idTaken(image.id), true);
      assert.equal(await repo.softDelete(image.id), false);
      assert.equal(await repo.transition(image.id, ['queued'], 'saving'), false);
      assert.equal((await repo.list(spec({ viewer: ADMIN, filters: [{ kind: 'in', column: 'id', values: [image.id] }] }))).length, 0);
    });

    test('tags: adding twice is harmless, removing a missing tag says so', async () => {
      const image = makeImage();
      await repo.insert(image);
      assert.equal(await repo.addTag(image.id, 'one'), true);
      assert.equal(await repo.addTag(image.id, 'one'), false);
      assert.deepEqual((await repo.get(image.id))?.tags, ['one']);
      assert.equal(await repo.removeTag(image.id, 'one'), true);
      assert.equal(await repo.removeTag(image.id, 'one'), false);
    });
  });
}
