/**
 * Image members through the HTTP API, by Glance's rules: only shared images
 * have members; the owner (or an admin) offers and withdraws; only the member
 * answers; the image appears in the member's list once accepted (or with
 * member_status), and is readable by the member whatever its answer; Glance's
 * default member policies for admin, owner, member, another project and a
 * reader.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TokenValidator } from '../../src/http/auth.js';
import { TEST_AUTH, testAuthContext } from '../helpers/auth.js';
import { startImageApp, type ImageTestApp } from './image-test-app.js';

const PEOPLE = {
  ...TEST_AUTH,
  memberReader: testAuthContext('member-reader-token', 'alt-viewer', 'other', ['reader']),
  stranger: testAuthContext('stranger-token', 'stranger', 'stranger', ['member', 'reader']),
};
type Who = keyof typeof PEOPLE;
const tokens: TokenValidator = { async validateToken(token) { return Object.values(PEOPLE).find((c) => c.token === token) ?? null; } };

const MEMBER = PEOPLE.other.projectId;
const PATCH = { 'content-type': 'application/openstack-images-v2.1-json-patch' };
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe('image members', () => {
  let t: ImageTestApp;
  before(async () => { t = await startImageApp({ memberQuota: 3 }, tokens); });
  after(async () => { await t.close(); });

  const call = (who: Who, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: method as 'GET', url: `/image${url}`,
      headers: { 'x-auth-token': PEOPLE[who].token, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
    });

  async function image(who: Who = 'demo', visibility = 'shared'): Promise<string> {
    const res = await call(who, 'POST', '/v2/images', { name: `m-${randomUUID()}`, disk_format: 'raw', container_format: 'bare', visibility });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id;
  }
  async function share(id: string, member = MEMBER, who: Who = 'demo') {
    const res = await call(who, 'POST', `/v2/images/${id}/members`, { member });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }
  async function answer(id: string, status: string, who: Who = 'other') {
    return call(who, 'PUT', `/v2/images/${id}/members/${PEOPLE[who].projectId}`, { status });
  }
  async function listed(who: Who, query = ''): Promise<string[]> {
    const res = await call(who, 'GET', `/v2/images?limit=1000${query}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json().images.map((i: { id: string }) => i.id);
  }

  test('the owner shares an image: the member view is Glance\'s, pending at first', async () => {
    const id = await image();
    const member = await share(id);
    assert.deepEqual(Object.keys(member).sort(), ['created_at', 'image_id', 'member_id', 'schema', 'status', 'updated_at']);
    assert.equal(member.member_id, MEMBER);
    assert.equal(member.image_id, id);
    assert.equal(member.status, 'pending');
    assert.equal(member.schema, '/v2/schemas/member');
    assert.match(member.created_at, TIME);
    assert.match(member.updated_at, TIME);
    const list = (await call('demo', 'GET', `/v2/images/${id}/members`)).json();
    assert.equal(list.schema, '/v2/schemas/members');
    assert.deepEqual(list.members, [member]);
    assert.deepEqual((await call('demo', 'GET', `/v2/images/${id}/members/${MEMBER}`)).json(), member);
  });

  test('accepting brings the image into the member\'s list; rejecting or pending keeps it out', async () => {
    const id = await image();
    await share(id);
    assert.ok(!(await listed('other')).includes(id));
    const accepted = await answer(id, 'accepted');
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.equal(accepted.json().status, 'accepted');
    assert.ok((await listed('other')).includes(id));
    assert.ok((await listed('other', '&visibility=shared')).includes(id));
    assert.equal((await answer(id, 'rejected')).json().status, 'rejected');
    assert.ok(!(await listed('other')).includes(id));
    assert.equal((await answer(id, 'pending')).json().status, 'pending');
    assert.ok(!(await listed('other')).includes(id));
  });

  test('member_status picks which memberships list their images; the owner sees its shared images whatever', async () => {
    const pending = await image();
    const rejected = await image();
    const accepted = await image();
    for (const id of [pending, rejected, accepted]) await share(id);
    await answer(rejected, 'rejected');
    await answer(accepted, 'accepted');
    const pick = (ids: string[]) => [pending, rejected, accepted].filter((id) => ids.includes(id));
    assert.deepEqual(pick(await listed('other', '&member_status=pending')), [pending]);
    assert.deepEqual(pick(await listed('other', '&member_status=rejected')), [rejected]);
    assert.deepEqual(pick(await listed('other', '&member_status=accepted')), [accepted]);
    assert.deepEqual(pick(await listed('other', '&member_status=all')).sort(), [pending, rejected, accepted].sort());
    assert.deepEqual(pick(await listed('other', '&member_status=all&visibility=shared')).sort(), [pending, rejected, accepted].sort());
    assert.deepEqual(pick(await listed('demo', '&member_status=rejected')).sort(), [pending, rejected, accepted].sort());
    assert.deepEqual(pick(await listed('stranger', '&member_status=all')), []);
    assert.deepEqual(pick(await listed('admin', '&member_status=pending')).sort(), [pending, rejected, accepted].sort());
    assert.equal((await call('other', 'GET', '/v2/images?member_status=maybe')).statusCode, 400);
  });

  test('a member reads and downloads the image whatever its answer; another project gets 404', async () => {
    const id = await image();
    const up = await call('demo', 'PUT', `/v2/images/${id}/file`, 'abcd', { 'content-type': 'application/octet-stream' });
    assert.equal(up.statusCode, 204, up.body);
    await share(id);
    for (const status of ['pending', 'rejected', 'accepted']) {
      await answer(id, status);
      assert.equal((await call('other', 'GET', `/v2/images/${id}`)).statusCode, 200);
      const data = await call('other', 'GET', `/v2/images/${id}/file`);
      assert.equal(data.statusCode, 200);
      assert.equal(data.body, 'abcd');
    }
    assert.equal((await call('stranger', 'GET', `/v2/images/${id}`)).statusCode, 404);
    assert.equal((await call('stranger', 'GET', `/v2/images/${id}/file`)).statusCode, 404);
    // A member may look but not change the image.
    assert.equal((await call('other', 'PATCH', `/v2/images/${id}`, '[{"op":"replace","path":"/name","value":"x"}]', PATCH)).statusCode, 403);
    assert.equal((await call('other', 'DELETE', `/v2/images/${id}`)).statusCode, 403);
  });

  test('only shared images have members (403 in Glance\'s words; 404 on show)', async () => {
    const id = await image('demo', 'private');
    const add = await call('demo', 'POST', `/v2/images/${id}/members`, { member: MEMBER });
    assert.equal(add.statusCode, 403);
    assert.equal(add.json().message, `Not allowed to create members for image ${id}.`);
    const list = await call('demo', 'GET', `/v2/images/${id}/members`);
    assert.equal(list.statusCode, 403);
    assert.equal(list.json().message, `Not allowed to list members for image ${id}: Only shared images have members.`);
    const show = await call('demo', 'GET', `/v2/images/${id}/members/${MEMBER}`);
    assert.equal(show.statusCode, 404);
    assert.equal(show.json().message, 'Only shared images have members.');
  });

  test('leaving shared keeps the members but they stop granting access until it is shared again', async () => {
    const id = await image();
    await share(id);
    await answer(id, 'accepted');
    const toPrivate = await call('demo', 'PATCH', `/v2/images/${id}`, '[{"op":"replace","path":"/visibility","value":"private"}]', PATCH);
    assert.equal(toPrivate.statusCode, 200, toPrivate.body);
    assert.equal((await call('other', 'GET', `/v2/images/${id}`)).statusCode, 404);
    assert.ok(!(await listed('other')).includes(id));
    await call('demo', 'PATCH', `/v2/images/${id}`, '[{"op":"replace","path":"/visibility","value":"shared"}]', PATCH);
    assert.equal((await call('other', 'GET', `/v2/images/${id}`)).statusCode, 200);
    assert.equal((await call('demo', 'GET', `/v2/images/${id}/members/${MEMBER}`)).json().status, 'accepted');
  });

  test('the owner cannot answer for the member (403); a member cannot add, remove or answer for another', async () => {
    const id = await image();
    await share(id);
    await share(id, PEOPLE.stranger.projectId);
    const byOwner = await call('demo', 'PUT', `/v2/images/${id}/members/${MEMBER}`, { status: 'accepted' });
    assert.equal(byOwner.statusCode, 403);
    assert.equal(byOwner.json().message, `Not allowed to update members for image ${id}.`);
    assert.equal((await call('demo', 'GET', `/v2/images/${id}/members/${MEMBER}`)).json().status, 'pending');
    assert.equal((await call('other', 'POST', `/v2/images/${id}/members`, { member: 'x' })).statusCode, 403);
    const removeOther = await call('other', 'DELETE', `/v2/images/${id}/members/${PEOPLE.stranger.projectId}`);
    assert.equal(removeOther.statusCode, 403);
    assert.equal(removeOther.json().message, `Not allowed to delete members for image ${id}.`);
    assert.equal((await call('other', 'PUT', `/v2/images/${id}/members/${PEOPLE.stranger.projectId}`, { status: 'accepted' })).statusCode, 404);
    assert.equal((await call('other', 'GET', `/v2/images/${id}/members/${PEOPLE.stranger.projectId}`)).statusCode, 404);
  });

  test('a member sees only its own membership; the owner and admin see all', async () => {
    const id = await image();
    await share(id);
    await share(id, PEOPLE.stranger.projectId);
    const members = (who: Who) => call(who, 'GET', `/v2/images/${id}/members`).then((r) => r.json().members.map((m: { member_id: string }) => m.member_id).sort());
    assert.deepEqual(await members('demo'), [MEMBER, PEOPLE.stranger.projectId].sort());
    assert.deepEqual(await members('admin'), [MEMBER, PEOPLE.stranger.projectId].sort());
    assert.deepEqual(await members('reader'), [MEMBER, PEOPLE.stranger.projectId].sort());
    assert.deepEqual(await members('other'), [MEMBER]);
    assert.deepEqual(await members('memberReader'), [MEMBER]);
  });

  test('another project sees 404 for the image on every member route', async () => {
    const id = await image();
    await share(id);
    for (const [method, url, body] of [
      ['GET', `/v2/images/${id}/members`], ['POST', `/v2/images/${id}/members`, { member: 'x' }],
      ['GET', `/v2/images/${id}/members/${MEMBER}`], ['PUT', `/v2/images/${id}/members/${MEMBER}`, { status: 'accepted' }],
      ['DELETE', `/v2/images/${id}/members/${MEMBER}`],
    ] as const) {
      const res = await call('stranger', method, url, body);
      assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
    }
    assert.equal((await call('demo', 'GET', `/v2/images/${randomUUID()}/members`)).statusCode, 404);
  });

  test('duplicate member 409, unknown member 404, over the member quota 413', async () => {
    const id = await image();
    await share(id);
    const dup = await call('demo', 'POST', `/v2/images/${id}/members`, { member: MEMBER });
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.json().message, `Member ${MEMBER} is duplicated for image ${id}`);
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await call('demo', method, `/v2/images/${id}/members/nobody`);
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().message, `nobody not found in the member list of the image ${id}.`);
    }
    await share(id, 'p2');
    await share(id, 'p3');
    const over = await call('demo', 'POST', `/v2/images/${id}/members`, { member: 'p4' });
    assert.equal(over.statusCode, 413);
    assert.match(over.json().message, /Attempted: 4, Maximum: 3/);
    assert.equal((await call('demo', 'GET', `/v2/images/${id}/members`)).json().members.length, 3);
  });

  test('the owner removes a member: 204, gone from the list, the image no longer visible to it', async () => {
    const id = await image();
    await share(id);
    await answer(id, 'accepted');
    const del = await call('demo', 'DELETE', `/v2/images/${id}/members/${MEMBER}`);
    assert.equal(del.statusCode, 204);
    assert.equal(del.body, '');
    assert.deepEqual((await call('demo', 'GET', `/v2/images/${id}/members`)).json().members, []);
    assert.equal((await call('other', 'GET', `/v2/images/${id}`)).statusCode, 404);
    assert.equal((await call('demo', 'DELETE', `/v2/images/${id}/members/${MEMBER}`)).statusCode, 404);
    // It can be offered again, and starts over as pending.
    assert.equal((await share(id)).status, 'pending');
  });

  test('deleting the image removes its members', async () => {
    const id = await image();
    await share(id);
    await answer(id, 'accepted');
    assert.equal((await call('demo', 'DELETE', `/v2/images/${id}`)).statusCode, 204);
    const rows = await t.db.db.selectFrom('image_members' as never).selectAll().where('image_id' as never, '=', id as never).execute();
    assert.deepEqual(rows, []);
    assert.equal((await call('other', 'GET', `/v2/images/${id}/members/${MEMBER}`)).statusCode, 404);
  });

  test('admin adds, answers for and removes members of another project\'s image', async () => {
    const id = await image();
    assert.equal((await share(id, MEMBER, 'admin')).status, 'pending');
    const accepted = await call('admin', 'PUT', `/v2/images/${id}/members/${MEMBER}`, { status: 'accepted' });
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.equal((await call('admin', 'DELETE', `/v2/images/${id}/members/${MEMBER}`)).statusCode, 204);
  });

  test('readers: the owner\'s reader lists but may not add or remove; the member\'s reader may not answer', async () => {
    const id = await image();
    await share(id);
    assert.equal((await call('reader', 'GET', `/v2/images/${id}/members/${MEMBER}`)).statusCode, 200);
    const add = await call('reader', 'POST', `/v2/images/${id}/members`, { member: 'someone' });
    assert.equal(add.statusCode, 403);
    assert.equal(add.json().message, "Policy doesn't allow add_member to be performed.");
    assert.equal((await call('reader', 'DELETE', `/v2/images/${id}/members/${MEMBER}`)).statusCode, 403);
    assert.equal((await call('memberReader', 'GET', `/v2/images/${id}/members/${MEMBER}`)).statusCode, 200);
    const ans = await call('memberReader', 'PUT', `/v2/images/${id}/members/${MEMBER}`, { status: 'accepted' });
    assert.equal(ans.statusCode, 403);
    assert.equal(ans.json().message, "Policy doesn't allow modify_member to be performed.");
    assert.equal((await call('demo', 'GET', `/v2/images/${id}/members/${MEMBER}`)).json().status, 'pending');
  });

  test('bad bodies are 400 in Glance\'s words and change nothing', async () => {
    const id = await image();
    const cases: Array<[unknown, string]> = [
      [{}, 'Member to be added not specified'],
      [{ member: '' }, "Member can't be empty"],
      [[MEMBER], 'Expected a member in the form: {"member": "image_id"}'],
      [{ member: 42 }, 'Member must be a project id: a string of at most 255 characters.'],
      [{ member: 'x'.repeat(256) }, 'Member must be a project id: a string of at most 255 characters.'],
    ];
    for (const [body, message] of cases) {
      const res = await call('demo', 'POST', `/v2/images/${id}/members`, body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.equal(res.json().message, message);
    }
    assert.deepEqual((await call('demo', 'GET', `/v2/images/${id}/members`)).json().members, []);
    await share(id);
    const noStatus = await call('other', 'PUT', `/v2/images/${id}/members/${MEMBER}`, { state: 'accepted' });
    assert.equal(noStatus.statusCode, 400);
    assert.equal(noStatus.json().message, 'Status not specified');
    for (const status of ['notavalidstatus', 7, null]) {
      const res = await call('other', 'PUT', `/v2/images/${id}/members/${MEMBER}`, { status });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().message, 'Incorrect request: Status must be "pending", "accepted" or "rejected".');
    }
    assert.equal((await call('other', 'GET', `/v2/images/${id}/members/${MEMBER}`)).json().status, 'pending');
  });

  test('the member and members schemas are served as Glance serves them', async () => {
    const member = (await call('other', 'GET', '/v2/schemas/member')).json();
    assert.equal(member.name, 'member');
    assert.deepEqual(Object.keys(member.properties).sort(), ['created_at', 'image_id', 'member_id', 'schema', 'status', 'updated_at']);
    assert.deepEqual(member.properties.status.enum, ['pending', 'accepted', 'rejected']);
    const members = (await call('other', 'GET', '/v2/schemas/members')).json();
    assert.equal(members.name, 'members');
    assert.deepEqual(members.properties.members.items, member);
  });
});
