/**
 * The all-in-one runs the metadata API beside the compute API: a server
 * booted through the compute API is served there (user data as given, its
 * key), signed as the metadata agent signs; with metadata not in
 * enabled_apis, or its port taken, the cloud runs without it and says why.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { bootActive, uploadImage, V237 } from '../compute/fixtures.js';
import { signInstanceId } from '../../src/metadata/signature.js';
import { loadConfig } from '../../src/conf/loader.js';
import { startMetadataApi } from '../../src/cli/metadata-api.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import { testLogger } from '../helpers/logger.js';

const SECRET = 'aio-metadata-secret';

describe('the all-in-one\'s metadata API', () => {
  let cloud: TestCloud;

  before(async () => {
    cloud = await startTestCloud({ neutron: { metadata_proxy_shared_secret: SECRET } });
  });
  after(async () => cloud?.close());

  test('serves a server booted through the compute API', async () => {
    assert.ok(cloud.metadataApi.port, cloud.metadataApi.note);
    const image = await uploadImage(cloud);
    const userData = '#cloud-config\nruncmd: [echo from-user-data]\n';
    const booted = await bootActive(cloud, {
      name: 'md-aio', imageRef: image, flavorRef: '1', networks: 'none', user_data: Buffer.from(userData).toString('base64'),
      metadata: { purpose: 'metadata-test' },
    }, 'admin', V237);
    const server = booted.id as string;
    const project = booted.tenant_id as string;
    const headers = { 'X-Instance-ID': server, 'X-Tenant-ID': project, 'X-Instance-ID-Signature': signInstanceId(SECRET, server) };
    const base = `http://127.0.0.1:${cloud.metadataApi.port}`;
    const md = await (await fetch(`${base}/openstack/latest/meta_data.json`, { headers })).json() as Record<string, any>;
    assert.equal(md.uuid, server);
    assert.equal(md.name, 'md-aio');
    assert.deepEqual(md.meta, { purpose: 'metadata-test' });
    assert.equal(await (await fetch(`${base}/openstack/latest/user_data`, { headers })).text(), userData);
    assert.equal((await fetch(`${base}/latest/meta-data/`, { headers: { ...headers, 'X-Instance-ID-Signature': signInstanceId('wrong', server) } })).status, 403);
  });
});

test('without metadata in enabled_apis, or with its port taken, the cloud goes on without it and says why', async () => {
  const noDb = {} as ComputeDb;
  const off = await startMetadataApi(loadConfig({ env: {}, overrides: { DEFAULT: { enabled_apis: 'osapi_compute' } } }), noDb, testLogger);
  assert.match(off.note, /not enabled/);
  assert.equal(off.port, undefined);
  const squatter = net.createServer().listen(0, '127.0.0.1');
  await once(squatter, 'listening');
  const port = (squatter.address() as net.AddressInfo).port;
  try {
    const taken = await startMetadataApi(loadConfig({ env: {}, overrides: { DEFAULT: { metadata_listen: '127.0.0.1', metadata_listen_port: port } } }), noDb, testLogger);
    assert.match(taken.note, new RegExp(`metadata API: not running \\(127\\.0\\.0\\.1:${port} is in use\\)`));
    await taken.close();
  } finally {
    squatter.close();
  }
});
