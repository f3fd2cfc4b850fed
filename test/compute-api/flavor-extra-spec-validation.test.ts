/** 2.86: extra specs in Nova's own namespaces are checked by name and value; others pass as they are. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapDefaultFlavors } from '../../src/compute/flavors.js';
import { buildComputeApi, headers, targets, type TestApi } from './app.js';

const BASE = '/compute/v2.1';

for (const target of targets) {
  describe(`flavor extra spec validation (${target.name})`, () => {
    let api: TestApi;
    before(async () => {
      api = await buildComputeApi(target);
      await bootstrapDefaultFlavors(api.db);
    });
    after(async () => api.close());

    const set = (specs: Record<string, unknown>, version: string, who: 'admin' | 'demo' = 'admin') =>
      api.app.inject({ method: 'POST', url: `${BASE}/flavors/2/os-extra_specs`, headers: headers(who, version), payload: { extra_specs: specs } });
    const put = (key: string, value: unknown, version: string) =>
      api.app.inject({ method: 'PUT', url: `${BASE}/flavors/2/os-extra_specs/${key}`, headers: headers('admin', version), payload: { [key]: value } });
    const stored = async () => (await api.app.inject({ method: 'GET', url: `${BASE}/flavors/2/os-extra_specs`, headers: headers('admin') })).json().extra_specs;

    test('known keys with good values, and keys of other namespaces, are taken at 2.86', async () => {
      const specs = {
        'hw:cpu_policy': 'shared', 'hw:numa_nodes': '2', 'hw:numa_cpus.0': '0-1', 'hw:mem_page_size': '2MB',
        'quota:cpu_shares': 1024, 'resources:VCPU': '2', 'resources1:CUSTOM_GOLD': '1', 'trait:HW_CPU_X86_AVX2': 'required',
        'foo:bar': 'baz', 'plain_key': 'anything', 'hw_rng:allowed': 'True', 'os:monitors': '8',
      };
      const res = await set(specs, '2.86');
      assert.equal(res.statusCode, 200, res.body);
      assert.equal((await stored())['foo:bar'], 'baz');
    });

    const bad: Array<[string, Record<string, string>, RegExp]> = [
      ['a value outside an enum', { 'hw:cpu_policy': 'sometimes' }, /is not one of: dedicated, shared, mixed/],
      ['an integer below its minimum', { 'hw:numa_nodes': '0' }, /less than the min value of '1'/],
      ['an integer above its maximum', { 'os:monitors': '9' }, /greater than the max value of '8'/],
      ['a non-integer', { 'quota:cpu_shares': 'lots' }, /not a valid integer value/],
      ['a non-boolean', { 'hw_rng:allowed': 'perhaps' }, /not a valid boolean-like value/],
      ['a value not of the format', { 'hw:cpu_realtime_mask': 'x' }, /is not of the format/],
      ['an unknown key in Nova\'s hw namespace', { 'hw:cpu_polcy': 'shared' }, /'hw:cpu_polcy' does not appear to be a valid extra spec/],
      ['a trait that is neither required nor forbidden', { 'trait:HW_CPU_X86_AVX2': 'preferred' }, /is not one of: required, forbidden/],
    ];
    for (const [what, specs, message] of bad) {
      test(`${what} is a 400 at 2.86 and stores nothing; 2.85 takes it`, async () => {
        const before = await stored();
        const res = await set({ ...specs, 'fine:key': 'x' }, '2.86');
        assert.equal(res.statusCode, 400, res.body);
        assert.match(res.json().badRequest.message, message);
        assert.deepEqual(await stored(), before);
        assert.equal((await set(specs, '2.85')).statusCode, 200);
      });
    }

    test('PUT of one key is checked the same way', async () => {
      assert.equal((await put('hw:cpu_policy', 'sometimes', '2.86')).statusCode, 400);
      assert.equal((await put('hw:cpu_policy', 'dedicated', '2.86')).statusCode, 200);
      assert.equal((await stored())['hw:cpu_policy'], 'dedicated');
    });

    test('a member may not set extra specs at 2.86 either', async () => {
      assert.equal((await set({ 'hw:cpu_policy': 'shared' }, '2.86', 'demo')).statusCode, 403);
    });
  });
}
