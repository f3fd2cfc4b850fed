/**
 * Booting from another project's shared image: Nova fetches the image with the
 * user's own context, so a project the image is shared with boots from it
 * (whatever its answer to the offer, as Glance shows the image to any member),
 * and a project it is not shared with gets Nova's 400, "Image ... could not be
 * found."
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { functionalSuite, startFunctionalCloud, type FunctionalCloud } from '../helpers/functional-cloud.js';
import { bootActive, createServer, privateNetworkId, uploadImage } from './fixtures.js';

describe(...functionalSuite('boot from a shared image'), () => {
  let cloud: FunctionalCloud;
  let image: string;
  let net: string;
  let demoProject: string;

  before(async () => {
    cloud = await startFunctionalCloud();
    image = await uploadImage(cloud, 'shared-cirros', 'admin', 'shared');
    net = await privateNetworkId(cloud);
    const projects = await cloud.request('GET', '/identity/v3/projects?name=demo');
    assert.equal(projects.status, 200);
    demoProject = projects.json.projects[0].id;
  });
  after(async () => cloud?.close());

  test('a project the image is not shared with cannot boot from it (400, not found)', async () => {
    const res = await createServer(cloud, { name: 'no-share', imageRef: image, flavorRef: '1', networks: [{ uuid: net }] }, { who: 'demo' });
    assert.equal(res.status, 400, JSON.stringify(res.json));
    assert.equal(res.json.badRequest.message, `Image ${image} could not be found.`);
  });

  test('a member project boots from it, pending or accepted, and loses it when the membership goes', async () => {
    const add = await cloud.request('POST', `/image/v2/images/${image}/members`, { body: { member: demoProject } });
    assert.equal(add.status, 200, JSON.stringify(add.json));
    const pending = await bootActive(cloud, { name: 'shared-pending', imageRef: image, flavorRef: '1', networks: [{ uuid: net }] }, 'demo');
    assert.equal(pending.image.id, image);

    const accept = await cloud.request('PUT', `/image/v2/images/${image}/members/${demoProject}`, { who: 'demo', body: { status: 'accepted' } });
    assert.equal(accept.status, 200, JSON.stringify(accept.json));
    const listed = await cloud.request('GET', '/compute/v2.1/images', { who: 'demo' });
    assert.ok(listed.json.images.some((i: { id: string }) => i.id === image));
    await bootActive(cloud, { name: 'shared-accepted', imageRef: image, flavorRef: '1', networks: [{ uuid: net }] }, 'demo');

    const remove = await cloud.request('DELETE', `/image/v2/images/${image}/members/${demoProject}`);
    assert.equal(remove.status, 204);
    const after = await createServer(cloud, { name: 'removed', imageRef: image, flavorRef: '1', networks: [{ uuid: net }] }, { who: 'demo' });
    assert.equal(after.status, 400);
    assert.equal(after.json.badRequest.message, `Image ${image} could not be found.`);
  });
});
