/** 2.84: instance action events carry `details` for those the events:details policy lets see them (admin by default). */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { functionalSuite, startFunctionalCloud, type FunctionalCloud } from '../helpers/functional-cloud.js';
import { bootActive, uploadImage, computeVersion as at } from './fixtures.js';

describe(...functionalSuite('instance action event details (2.84)'), () => {
  let cloud: FunctionalCloud;
  let server: string;
  let requestId: string;
  before(async () => {
    cloud = await startFunctionalCloud();
    const image = await uploadImage(cloud);
    server = (await bootActive(cloud, { name: 'acted-on', imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', at('2.37'))).id;
    const actions = await cloud.request('GET', `/compute/v2.1/servers/${server}/os-instance-actions`, { who: 'demo' });
    requestId = actions.json.instanceActions.find((a: any) => a.action === 'create').request_id;
  });
  after(async () => cloud?.close());

  const events = async (v: string, who: 'admin' | 'demo') => {
    const res = await cloud.request('GET', `/compute/v2.1/servers/${server}/os-instance-actions/${requestId}`, { who, headers: at(v) });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json.instanceAction.events as Array<Record<string, unknown>>;
  };

  test('an admin sees details from 2.84 and not at 2.83', async () => {
    const v284 = await events('2.84', 'admin');
    assert.ok(v284.length > 0);
    for (const e of v284) assert.ok('details' in e, JSON.stringify(e));
    for (const e of await events('2.83', 'admin')) assert.ok(!('details' in e));
  });

  test('the owner sees the events at 2.84 (as from 2.51) without details, traceback or host (admin by default)', async () => {
    const seen = await events('2.84', 'demo');
    assert.ok(seen.length > 0);
    for (const e of seen) for (const k of ['details', 'traceback', 'host']) assert.ok(!(k in e), `${k} in ${JSON.stringify(e)}`);
  });
});
