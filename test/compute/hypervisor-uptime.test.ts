/** os-hypervisors/{id}/uptime end to end: the fake host answers through its compute service; a down service is 400. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { functionalSuite, startFunctionalCloud, type FunctionalCloud } from '../helpers/functional-cloud.js';

describe(...functionalSuite('hypervisor uptime'), () => {
  let cloud: FunctionalCloud;
  before(async () => {
    cloud = await startFunctionalCloud();
  });
  after(async () => cloud?.close());

  test('the fake host reports an uptime line; forced down, its uptime cannot be read', async () => {
    const hyper = (await cloud.request('GET', '/compute/v2.1/os-hypervisors/detail')).json.hypervisors[0];
    const res = await cloud.request('GET', `/compute/v2.1/os-hypervisors/${hyper.id}/uptime`);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.match(res.json.hypervisor.uptime, /^ \d\d:\d\d:\d\d up +\d+ min, +0 users, +load average: 0\.00, 0\.00, 0\.00$/);
    assert.equal(res.json.hypervisor.hypervisor_hostname, hyper.hypervisor_hostname);

    const v211 = { 'openstack-api-version': 'compute 2.11' };
    const host = hyper.service.host;
    const down = await cloud.request('PUT', '/compute/v2.1/os-services/force-down', { headers: v211, body: { host, binary: 'nova-compute', forced_down: true } });
    assert.equal(down.status, 200, JSON.stringify(down.json));
    const refused = await cloud.request('GET', `/compute/v2.1/os-hypervisors/${hyper.id}/uptime`);
    assert.equal(refused.status, 400);
    assert.equal(refused.json.badRequest.message, `Compute service of ${host} is unavailable at this time.`);
    await cloud.request('PUT', '/compute/v2.1/os-services/force-down', { headers: v211, body: { host, binary: 'nova-compute', forced_down: false } });
  });
});
