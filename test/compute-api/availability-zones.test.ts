import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildComputeApi, headers, seedService, targets, type TestApi } from './app.js';

for (const target of targets) {
  describe(`availability zones (${target.name})`, () => {
    let api: TestApi;
    before(async () => {
      api = await buildComputeApi(target, { DEFAULT: { default_availability_zone: 'zone-a', service_down_time: 60 } });
      await seedService(api.db, { host: 'ctl', binary: 'nova-conductor' });
      await seedService(api.db, { host: 'ctl', binary: 'nova-scheduler' });
      await seedService(api.db, { host: 'ctl', binary: 'nova-osapi_compute' });
      await seedService(api.db, { host: 'cmp1', binary: 'nova-compute' });
      await seedService(api.db, { host: 'cmp2', binary: 'nova-compute', lastSeenAgo: 3600 });
    });
    after(async () => api.close());

    test('the list shows the compute zone, hides internal, and anyone may read it', async () => {
      const res = await api.app.inject({ method: 'GET', url: '/compute/v2.1/os-availability-zone', headers: headers('demo') });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { availabilityZoneInfo: [{ zoneName: 'zone-a', zoneState: { available: true }, hosts: null }] });
    });

    test('detail lists internal and compute zones with each host\'s services (admin only)', async () => {
      const res = await api.app.inject({ method: 'GET', url: '/compute/v2.1/os-availability-zone/detail', headers: headers('admin') });
      assert.equal(res.statusCode, 200);
      const zones = res.json().availabilityZoneInfo;
      assert.deepEqual(zones.map((z: { zoneName: string }) => z.zoneName), ['internal', 'zone-a']);
      const internal = zones[0];
      assert.deepEqual(Object.keys(internal.hosts.ctl).sort(), ['nova-conductor', 'nova-scheduler']);
      assert.equal(internal.hosts.ctl['nova-conductor'].available, true);
      assert.equal(internal.hosts.ctl['nova-conductor'].active, true);
      const compute = zones[1];
      assert.equal(compute.hosts.cmp1['nova-compute'].available, true);
      assert.equal(compute.hosts.cmp2['nova-compute'].available, false);
      const denied = await api.app.inject({ method: 'GET', url: '/compute/v2.1/os-availability-zone/detail', headers: headers('demo') });
      assert.equal(denied.statusCode, 403);
    });

    test('a zone whose computes are all down or disabled is not available', async () => {
      await api.db.updateTable('services').set({ disabled: 1 }).where('host', '=', 'cmp1').execute();
      const res = await api.app.inject({ method: 'GET', url: '/compute/v2.1/os-availability-zone', headers: headers('demo') });
      assert.deepEqual(res.json().availabilityZoneInfo, [{ zoneName: 'zone-a', zoneState: { available: false }, hosts: null }]);
      await api.db.updateTable('services').set({ disabled: 0 }).where('host', '=', 'cmp1').execute();
    });
  });
}
