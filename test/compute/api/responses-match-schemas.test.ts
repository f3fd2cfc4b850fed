/**
 * Every response the compute API gives conforms to the response schema for
 * its microversion (test/compute/api/response-schemas/, written after
 * Tempest's). The test drives each compute route at 2.1, at every version
 * where a response shape changes and at the maximum the version document
 * announces, and reports every mismatch at once with the route, the version
 * and Ajv's complaint.
 *
 * Coverage is read from the route table: a compute GET/POST/PUT route with no
 * schema, or one this test never reached, fails the test unless it is in
 * NOT_CHECKED with a reason. Requests to routes that other work has not
 * registered yet (404 for a route missing from the table, or 501) are skipped
 * and named, so they are checked the day they land.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud, type Who, type ApiResponse } from '../../helpers/cloud.js';
import { uploadImage } from '../fixtures.js';
import { routeTable } from '../../../src/http/route-table.js';
import { responseSchemas, versionDocumentSchemas, serverActions, Version, type ResponseSpec } from './response-schemas/index.js';
import { responseProblems } from './response-schemas/validator.js';

const BASE = '/compute/v2.1';

/** Versions where some response changes shape (Tempest's schema folders, plus Nova's later changes). */
const SHAPE_VERSIONS = ['2.1', '2.2', '2.3', '2.6', '2.8', '2.9', '2.11', '2.13', '2.16', '2.19', '2.23', '2.26', '2.28',
  '2.33', '2.35', '2.36', '2.39', '2.40', '2.41', '2.45', '2.47', '2.48', '2.50', '2.51', '2.53', '2.54', '2.55', '2.57',
  '2.58', '2.59', '2.61', '2.62', '2.63', '2.64', '2.70', '2.71', '2.73', '2.75', '2.79', '2.80', '2.84', '2.88', '2.92',
  '2.96'];

/** Versions where an action's answer changes (image_id at 2.45, the rebuilt server's fields); the actions run only there, and at the maximum. */
const ACTION_VERSIONS = new Set(['2.1', '2.9', '2.19', '2.26', '2.45', '2.47', '2.54', '2.57', '2.63', '2.71', '2.73', '2.75', '2.96']);

/** Compute routes this test deliberately does not check, with why. */
const NOT_CHECKED: Record<string, string> = {
  'POST /os-networks': 'nova-network is gone: always 410 Gone, as in Nova',
  'POST /os-networks/add': 'nova-network is gone: always 410 Gone, as in Nova',
  'POST /os-networks/:id/action': 'nova-network is gone: always 410 Gone, as in Nova',
  'POST /os-tenant-networks': 'nova-network is gone: always 410 Gone, as in Nova',
  // Their schemas are written (server-resources.ts); reaching them needs a live migration held
  // in progress between two hosts, which test/compute/live-migration.test.ts drives.
  'GET /servers/:id/migrations/:mid': 'needs a live migration in progress (two fake hosts)',
  'POST /servers/:id/migrations/:mid/action': 'needs a live migration in progress (two fake hosts)',
};

let cloud: TestCloud;
let maxVersion: Version;
let registered: Set<string>;
const problems: string[] = [];
const exercised = new Set<string>();
const skipped = new Map<string, string>();

before(async () => {
  // Resize needs somewhere to go on a single fake host.
  cloud = await startTestCloud({ DEFAULT: { allow_resize_to_same_host: 'true' } });
  const doc = await cloud.request('GET', `${BASE}/`, { who: null });
  maxVersion = new Version(doc.json.version.version);
  registered = new Set(routeTable(cloud.http)
    .filter((r) => r.url.startsWith(`${BASE}/`) || r.url === BASE)
    .map((r) => `${r.method} ${r.url.slice(BASE.length) || '/'}`));
});

after(async () => { await cloud?.close(); });

interface CallOptions {
  params?: Record<string, string>;
  body?: unknown;
  who?: Who;
  query?: string;
  /** For POST /servers/:id/action: the action's name. */
  action?: string;
}

/** Sends one request at microversion v, checks the answer against its schema, and returns it. */
async function call(v: Version, method: string, route: string, o: CallOptions = {}): Promise<ApiResponse | undefined> {
  const path = route.replace(/:([A-Za-z_]+)/g, (_, name: string) => {
    const value = o.params?.[name];
    if (value === undefined) throw new Error(`no value for :${name} in ${route}`);
    return encodeURIComponent(value);
  });
  const res = await cloud.request(method, `${BASE}${path}${o.query ? `?${o.query}` : ''}`, {
    who: o.who ?? 'admin', body: o.body, headers: { 'OpenStack-API-Version': `compute ${v}` },
  });
  const key = `${method} ${route}`;
  const label = o.action ? `${key} ${o.action}` : key;
  const missing = res.status === 501
    || (res.status === 404 && !registered.has(key))
    || (res.status === 404 && o.action !== undefined && /no such action/i.test(JSON.stringify(res.json)));
  if (missing) {
    if (!skipped.has(label)) skipped.set(label, `${res.status} at ${v}`);
    return undefined;
  }
  exercised.add(key);
  const spec: ResponseSpec | undefined = o.action ? serverActions[o.action]?.(v) : responseSchemas[key]?.(v);
  if (!spec) {
    problems.push(`${label} at ${v}: no response schema`);
    return res;
  }
  for (const p of responseProblems(spec, res.status, res.json)) {
    problems.push(`${label} at ${v}: ${p}${res.status >= 400 ? ` — ${JSON.stringify(res.json).slice(0, 200)}` : ''}`);
  }
  return res;
}

/** Sends a request whose answer only sets up the next ones (not checked here). */
async function plain(method: string, path: string, body?: unknown, v = '2.1'): Promise<ApiResponse> {
  const res = await cloud.request(method, `${BASE}${path}`, { body, headers: { 'OpenStack-API-Version': `compute ${v}` } });
  if (res.status >= 400) throw new Error(`${method} ${path} gave ${res.status}: ${JSON.stringify(res.json)}`);
  return res;
}

/** Waits until the server shows this status with no task running (status 'DELETED': until it is gone). */
async function waitFor(id: string, status: string): Promise<void> {
  await cloud.waitForServer(id, status, 'admin', 20_000);
  if (status === 'DELETED') return;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await cloud.request('GET', `${BASE}/servers/${id}`);
    const s = res.json?.server;
    if (s?.status === status && s['OS-EXT-STS:task_state'] === null) return;
    if (Date.now() > deadline) throw new Error(`server ${id} not idle in ${status}: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface World {
  imageId: string;
  flavorId: string;
  resizeFlavorId: string;
  networkId: string;
  networkName: string;
  projectId: string;
  publicKey: string;
}

async function world(): Promise<World> {
  const imageId = await uploadImage(cloud);
  const flavors = (await plain('GET', '/flavors/detail')).json.flavors.sort((a: any, b: any) => a.ram - b.ram || a.disk - b.disk);
  const nets = (await plain('GET', '/os-tenant-networks')).json.networks;
  const generated = (await plain('POST', '/os-keypairs', { keypair: { name: 'schema-world' } })).json.keypair;
  const admin = (await cloud.request('GET', '/identity/v3/projects?name=admin')).json.projects[0];
  return {
    imageId, flavorId: flavors[0].id, resizeFlavorId: flavors[1].id,
    networkId: nets[0].id, networkName: nets[0].label, projectId: admin.id, publicKey: generated.public_key,
  };
}

async function serversAndActions(v: Version, w: World, tag: string): Promise<void> {
  const create: Record<string, unknown> = { name: `schema-${tag}`, imageRef: w.imageId, flavorRef: w.flavorId, metadata: { a: 'b' } };
  if (v.atLeast('2.37')) create.networks = [{ uuid: w.networkId }];
  // The project's own member creates it, so the member's views (no extended attributes) are checked beside the admin's.
  const created = await call(v, 'POST', '/servers', { body: { server: create }, who: 'demo' });
  const id: string | undefined = created?.json?.server?.id;
  assert.ok(id, `POST /servers at ${v} gave ${created?.status}: ${JSON.stringify(created?.json)}`);
  await waitFor(id, 'ACTIVE');
  const p = { id };
  await call(v, 'GET', '/servers');
  await call(v, 'GET', '/servers/detail');
  await call(v, 'GET', '/servers/detail', { who: 'demo' });
  await call(v, 'GET', '/servers/:id', { params: p });
  await call(v, 'GET', '/servers/:id', { params: p, who: 'demo' });
  await call(v, 'PUT', '/servers/:id', { params: p, body: { server: { name: `renamed-${tag}`, ...(v.atLeast('2.19') ? { description: 'd' } : {}) } } });

  await call(v, 'POST', '/servers/:id/metadata', { params: p, body: { metadata: { k1: 'v1' } } });
  await call(v, 'PUT', '/servers/:id/metadata', { params: p, body: { metadata: { k1: 'v1', k2: 'v2' } } });
  await call(v, 'GET', '/servers/:id/metadata', { params: p });
  await call(v, 'PUT', '/servers/:id/metadata/:key', { params: { ...p, key: 'k3' }, body: { meta: { k3: 'v3' } } });
  await call(v, 'GET', '/servers/:id/metadata/:key', { params: { ...p, key: 'k3' } });
  if (v.atLeast('2.26')) {
    await call(v, 'PUT', '/servers/:id/tags', { params: p, body: { tags: ['t1', 't2'] } });
    await call(v, 'PUT', '/servers/:id/tags/:tag', { params: { ...p, tag: 't3' } });
    await call(v, 'GET', '/servers/:id/tags', { params: p });
    await call(v, 'GET', '/servers/:id/tags/:tag', { params: { ...p, tag: 't3' } });
  }
  await call(v, 'GET', '/servers/:id/ips', { params: p });
  await call(v, 'GET', '/servers/:id/ips/:network', { params: { ...p, network: w.networkName } });
  const actions = await call(v, 'GET', '/servers/:id/os-instance-actions', { params: p });
  const requestId = actions?.json?.instanceActions?.[0]?.request_id;
  if (requestId) {
    await call(v, 'GET', '/servers/:id/os-instance-actions/:requestId', { params: { ...p, requestId } });
    await call(v, 'GET', '/servers/:id/os-instance-actions/:requestId', { params: { ...p, requestId }, who: 'demo' });
  }
  await call(v, 'GET', '/servers/:id/os-server-password', { params: p });
  await call(v, 'GET', '/servers/:id/diagnostics', { params: p });
  await call(v, 'GET', '/servers/:id/os-security-groups', { params: p });
  const ifaces = await call(v, 'GET', '/servers/:id/os-interface', { params: p });
  const portId = ifaces?.json?.interfaceAttachments?.[0]?.port_id;
  if (portId) await call(v, 'GET', '/servers/:id/os-interface/:portId', { params: { ...p, portId } });
  if (v.atLeast('2.37')) {
    // A second port, attached and then taken off again.
    const attached = await call(v, 'POST', '/servers/:id/os-interface', { params: p, body: { interfaceAttachment: { net_id: w.networkId } } });
    const newPort = attached?.json?.interfaceAttachment?.port_id;
    if (newPort) await cloud.request('DELETE', `${BASE}/servers/${id}/os-interface/${newPort}`);
  }
  await call(v, 'GET', '/servers/:id/os-volume_attachments', { params: p });
  const volumeId = '11111111-2222-4333-8444-555555555555';
  await call(v, 'GET', '/servers/:id/os-volume_attachments/:volumeId', { params: { ...p, volumeId } });
  await call(v, 'POST', '/servers/:id/os-volume_attachments', { params: p, body: { volumeAttachment: { volumeId } } });
  await call(v, 'PUT', '/servers/:id/os-volume_attachments/:volumeId', { params: { ...p, volumeId }, body: { volumeAttachment: { volumeId } } });
  await call(v, 'POST', '/os-server-external-events', { body: { events: [{ name: 'network-changed', server_uuid: id, tag: 'x' }, { name: 'network-changed', server_uuid: volumeId }] } });
  if (v.atLeast('2.6')) {
    await call(v, 'POST', '/servers/:id/remote-consoles', { params: p, body: { remote_console: { protocol: 'vnc', type: 'novnc' } } });
  }
  if (v.atLeast('2.23')) await call(v, 'GET', '/servers/:id/migrations', { params: p });

  if (!ACTION_VERSIONS.has(v.text) && v.compare(maxVersion) !== 0) {
    await plain('DELETE', `/servers/${id}`);
    await waitFor(id, 'DELETED');
    return;
  }
  const act = async (name: string, arg: unknown, then?: string) => {
    const res = await call(v, 'POST', '/servers/:id/action', { params: p, action: name, body: { [name]: arg } });
    if (then && res && res.status < 300) await waitFor(id, then);
    return res;
  };
  await act('os-getConsoleOutput', { length: 5 });
  await act('lock', null);
  await act('unlock', null);
  await act('os-stop', null, 'SHUTOFF');
  await act('os-start', null, 'ACTIVE');
  await act('pause', null, 'PAUSED');
  await act('unpause', null, 'ACTIVE');
  await act('suspend', null, 'SUSPENDED');
  await act('resume', null, 'ACTIVE');
  await act('reboot', { type: 'SOFT' }, 'ACTIVE');
  await act('rescue', {}, 'RESCUE');
  await act('unrescue', null, 'ACTIVE');
  await act('rebuild', { imageRef: w.imageId, name: `rebuilt-${tag}` }, 'ACTIVE');
  await act('changePassword', { adminPass: 'n3w-pass' });
  const sg = await plain('POST', '/os-security-groups', { security_group: { name: `sg-${tag}`, description: 'x' } });
  await act('addSecurityGroup', { name: `sg-${tag}` });
  await act('removeSecurityGroup', { name: `sg-${tag}` });
  await plain('DELETE', `/os-security-groups/${sg.json.security_group.id}`);
  const snap = await act('createImage', { name: `snap-${tag}` });
  const snapId = snap?.json?.image_id ?? snap?.headers.get('location')?.split('/').pop();
  await waitFor(id, 'ACTIVE');
  if (snapId) {
    const ip = { imageId: snapId };
    await call(v, 'GET', '/images/:id', { params: { id: snapId } });
    await call(v, 'POST', '/images/:imageId/metadata', { params: ip, body: { metadata: { m1: 'x' } } });
    await call(v, 'PUT', '/images/:imageId/metadata', { params: ip, body: { metadata: { m1: 'x', m2: 'y' } } });
    await call(v, 'GET', '/images/:imageId/metadata', { params: ip });
    await call(v, 'PUT', '/images/:imageId/metadata/:key', { params: { ...ip, key: 'm3' }, body: { meta: { m3: 'z' } } });
    await call(v, 'GET', '/images/:imageId/metadata/:key', { params: { ...ip, key: 'm3' } });
    await cloud.request('DELETE', `${BASE}/images/${snapId}`);
  }
  const backup = await act('createBackup', { name: `backup-${tag}`, backup_type: 'daily', rotation: 1 });
  await waitFor(id, 'ACTIVE');
  await act('resize', { flavorRef: w.resizeFlavorId }, 'VERIFY_RESIZE');
  await act('confirmResize', null, 'ACTIVE');
  await act('resize', { flavorRef: w.flavorId }, 'VERIFY_RESIZE');
  await act('revertResize', null, 'ACTIVE');
  await act('os-resetState', { state: 'error' }, 'ERROR').catch(() => undefined);
  await act('os-resetState', { state: 'active' }, 'ACTIVE');
  if (v.atLeast('2.17')) await act('trigger_crash_dump', null);
  // Not built yet everywhere: answered "no such action" (skipped) until they land.
  const shelved = await act('shelve', null);
  if (shelved && shelved.status < 300) {
    await cloud.waitForServer(id, 'SHELVED_OFFLOADED', 'admin', 20_000).catch(() => waitFor(id, 'SHELVED'));
    await act('unshelve', null, 'ACTIVE');
  }

  const backupId = backup?.json?.image_id ?? backup?.headers.get('location')?.split('/').pop();
  if (backupId) await cloud.request('DELETE', `${BASE}/images/${backupId}`);
  await plain('DELETE', `/servers/${id}`);
  await waitFor(id, 'DELETED');
}

async function resourcesAt(v: Version, w: World, tag: string): Promise<void> {
  for (const [route, path] of [['GET /', '/compute/'], ['GET /v2', '/compute/v2'], ['GET /v2.1', '/compute/v2.1']] as const) {
    const res = await cloud.request('GET', path, { who: null, headers: { 'OpenStack-API-Version': `compute ${v}` } });
    for (const p of responseProblems(versionDocumentSchemas[route]!(v), res.status, res.json)) problems.push(`${route} at ${v}: ${p}`);
  }
  const ext = await call(v, 'GET', '/extensions');
  const alias = ext?.json?.extensions?.[0]?.alias;
  if (alias) await call(v, 'GET', '/extensions/:alias', { params: { alias } });

  // Flavors, their extra specs and access.
  await call(v, 'GET', '/flavors');
  await call(v, 'GET', '/flavors/detail');
  await call(v, 'GET', '/flavors/:flavor_id', { params: { flavor_id: w.flavorId } });
  const flavor = await call(v, 'POST', '/flavors', { body: { flavor: { name: `fl-${tag}`, ram: 64, vcpus: 1, disk: 1, 'os-flavor-access:is_public': false, ...(v.atLeast('2.55') ? { description: 'x' } : {}) } } });
  const fid = flavor?.json?.flavor?.id;
  if (fid) {
    const fp = { flavor_id: fid };
    if (v.atLeast('2.55')) await call(v, 'PUT', '/flavors/:flavor_id', { params: fp, body: { flavor: { description: 'y' } } });
    await call(v, 'POST', '/flavors/:flavor_id/os-extra_specs', { params: fp, body: { extra_specs: { 'hw:cpu_policy': 'shared' } } });
    await call(v, 'GET', '/flavors/:flavor_id/os-extra_specs', { params: fp });
    await call(v, 'PUT', '/flavors/:flavor_id/os-extra_specs/:key', { params: { ...fp, key: 'hw:cpu_policy' }, body: { 'hw:cpu_policy': 'dedicated' } });
    await call(v, 'GET', '/flavors/:flavor_id/os-extra_specs/:key', { params: { ...fp, key: 'hw:cpu_policy' } });
    await call(v, 'POST', '/flavors/:flavor_id/action', { params: fp, body: { addTenantAccess: { tenant: w.projectId } } });
    await call(v, 'GET', '/flavors/:flavor_id/os-flavor-access', { params: fp });
    await call(v, 'GET', '/flavors/:flavor_id', { params: fp });
    await call(v, 'POST', '/flavors/:flavor_id/action', { params: fp, body: { removeTenantAccess: { tenant: w.projectId } } });
    await plain('DELETE', `/flavors/${fid}`);
  }

  // Key pairs: generated until 2.92, imported after.
  const kpBody = v.atLeast('2.92') ? { name: `kp-${tag}`, public_key: w.publicKey } : { name: `kp-${tag}` };
  await call(v, 'POST', '/os-keypairs', { body: { keypair: kpBody } });
  await call(v, 'GET', '/os-keypairs');
  await call(v, 'GET', '/os-keypairs/:name', { params: { name: `kp-${tag}` } });
  await plain('DELETE', `/os-keypairs/kp-${tag}`);

  // Limits and quotas.
  await call(v, 'GET', '/limits');
  await call(v, 'GET', '/limits', { who: 'demo' });
  const qp = { id: w.projectId };
  await call(v, 'GET', '/os-quota-sets/:id', { params: qp });
  await call(v, 'GET', '/os-quota-sets/:id/defaults', { params: qp });
  await call(v, 'GET', '/os-quota-sets/:id/detail', { params: qp });
  await call(v, 'PUT', '/os-quota-sets/:id', { params: qp, body: { quota_set: { metadata_items: 128 } } });
  await call(v, 'GET', '/os-quota-class-sets/:id', { params: { id: 'default' } });
  await call(v, 'PUT', '/os-quota-class-sets/:id', { params: { id: 'default' }, body: { quota_class_set: { metadata_items: 128 } } });

  // Server groups.
  const sgBody = v.atLeast('2.64') ? { name: `g-${tag}`, policy: 'anti-affinity', rules: { max_server_per_host: 2 } } : { name: `g-${tag}`, policies: ['affinity'] };
  const group = await call(v, 'POST', '/os-server-groups', { body: { server_group: sgBody } });
  await call(v, 'GET', '/os-server-groups');
  const gid = group?.json?.server_group?.id;
  if (gid) {
    await call(v, 'GET', '/os-server-groups/:id', { params: { id: gid } });
    await plain('DELETE', `/os-server-groups/${gid}`);
  }

  // The images proxy (an image's metadata is checked on a snapshot in serversAndActions).
  await call(v, 'GET', '/images');
  await call(v, 'GET', '/images/detail');
  await call(v, 'GET', '/images/:id', { params: { id: w.imageId } });

  // Security groups and networks.
  const group2 = await call(v, 'POST', '/os-security-groups', { body: { security_group: { name: `sec-${tag}`, description: 'd' } } });
  const sid = group2?.json?.security_group?.id;
  await call(v, 'GET', '/os-security-groups');
  if (sid) {
    await call(v, 'GET', '/os-security-groups/:id', { params: { id: sid } });
    await call(v, 'PUT', '/os-security-groups/:id', { params: { id: sid }, body: { security_group: { name: `sec2-${tag}`, description: 'e' } } });
    const rule = await call(v, 'POST', '/os-security-group-rules', { body: { security_group_rule: { parent_group_id: sid, ip_protocol: 'tcp', from_port: 22, to_port: 22, cidr: '10.0.0.0/8' } } });
    await call(v, 'POST', '/os-security-group-rules', { body: { security_group_rule: { parent_group_id: sid, ip_protocol: 'icmp', from_port: -1, to_port: -1, group_id: sid } } });
    await call(v, 'GET', '/os-security-groups/:id', { params: { id: sid } });
    if (rule?.json?.security_group_rule?.id) await plain('DELETE', `/os-security-group-rules/${rule.json.security_group_rule.id}`);
    await plain('DELETE', `/os-security-groups/${sid}`);
  }
  await call(v, 'GET', '/os-networks');
  await call(v, 'GET', '/os-networks', { who: 'demo' });
  await call(v, 'GET', '/os-networks/:id', { params: { id: w.networkId } });
  await call(v, 'GET', '/os-tenant-networks');
  await call(v, 'GET', '/os-tenant-networks/:id', { params: { id: w.networkId } });
}

async function adminAt(v: Version, w: World, tag: string): Promise<void> {
  const hvs = await call(v, 'GET', '/os-hypervisors');
  await call(v, 'GET', '/os-hypervisors/detail');
  const hv = hvs?.json?.hypervisors?.[0];
  if (hv) {
    await call(v, 'GET', '/os-hypervisors/:id', { params: { id: String(hv.id) } });
    await call(v, 'GET', '/os-hypervisors/:id/uptime', { params: { id: String(hv.id) } });
    await call(v, 'GET', '/os-hypervisors/:id/search', { params: { id: hv.hypervisor_hostname } });
    await call(v, 'GET', '/os-hypervisors/:id/servers', { params: { id: hv.hypervisor_hostname } });
    if (v.atLeast('2.53')) await call(v, 'GET', '/os-hypervisors', { query: `hypervisor_hostname_pattern=${encodeURIComponent(hv.hypervisor_hostname)}&with_servers=true` });
  }
  await call(v, 'GET', '/os-hypervisors/statistics');

  const services = await call(v, 'GET', '/os-services');
  const compute = services?.json?.services?.find((s: any) => s.binary === 'nova-compute');
  if (compute) {
    if (v.atLeast('2.53')) {
      await call(v, 'PUT', '/os-services/:id', { params: { id: compute.id }, body: { status: 'enabled' } });
    } else {
      await call(v, 'PUT', '/os-services/:id', { params: { id: 'enable' }, body: { host: compute.host, binary: 'nova-compute' } });
    }
  }

  const host: string | undefined = compute?.host;
  await call(v, 'GET', '/os-hosts');
  if (host) {
    await call(v, 'GET', '/os-hosts/:id', { params: { id: host } });
    await call(v, 'PUT', '/os-hosts/:id', { params: { id: host }, body: { status: 'enable' } });
    for (const power of ['startup', 'shutdown', 'reboot']) await call(v, 'GET', `/os-hosts/:id/${power}`, { params: { id: host } });
  }

  await call(v, 'GET', '/os-availability-zone');
  await call(v, 'GET', '/os-availability-zone', { who: 'demo' });
  await call(v, 'GET', '/os-availability-zone/detail');

  const agg = await call(v, 'POST', '/os-aggregates', { body: { aggregate: { name: `agg-${tag}`, availability_zone: `az-${tag}` } } });
  await call(v, 'GET', '/os-aggregates');
  const aid = agg?.json?.aggregate?.id;
  if (aid !== undefined) {
    const ap = { id: String(aid) };
    await call(v, 'GET', '/os-aggregates/:id', { params: ap });
    await call(v, 'PUT', '/os-aggregates/:id', { params: ap, body: { aggregate: { name: `agg2-${tag}` } } });
    await call(v, 'POST', '/os-aggregates/:id/action', { params: ap, body: { set_metadata: { metadata: { k: 'v' } } } });
    if (host) {
      await call(v, 'POST', '/os-aggregates/:id/action', { params: ap, body: { add_host: { host } } });
      if (v.atLeast('2.81')) await call(v, 'POST', '/os-aggregates/:id/images', { params: ap, body: { cache: [{ id: w.imageId }] } });
      await call(v, 'POST', '/os-aggregates/:id/action', { params: ap, body: { remove_host: { host } } });
    }
    await cloud.request('DELETE', `${BASE}/os-aggregates/${aid}`);
  }

  await call(v, 'GET', '/os-migrations');
  await call(v, 'GET', '/os-simple-tenant-usage', { query: 'detailed=1' });
  await call(v, 'GET', '/os-simple-tenant-usage');
  await call(v, 'GET', '/os-simple-tenant-usage/:id', { params: { id: w.projectId } });
  await call(v, 'GET', '/os-simple-tenant-usage/:id', { params: { id: 'no-such-project' } });
  await call(v, 'GET', '/os-instance_usage_audit_log');
  await call(v, 'GET', '/os-instance_usage_audit_log/:id', { params: { id: '2026-12-01 00:00:00' } });
}

test('every compute response matches the response schema of its microversion', { timeout: 600_000 }, async (t) => {
  const versions = [...new Set([...SHAPE_VERSIONS, maxVersion.text])]
    .map((s) => new Version(s))
    .filter((v) => v.compare(maxVersion) <= 0)
    .sort((a, b) => a.compare(b));
  assert.ok(versions.length > 10, 'the cloud announces the representative versions');
  const w = await world();
  for (const v of versions) {
    const tag = v.text.replace('.', '-');
    await resourcesAt(v, w, tag);
    await adminAt(v, w, tag);
    await serversAndActions(v, w, tag);
  }

  // A shape change the test depends on: the check is not vacuous.
  assert.ok(exercised.size > 60, `only ${exercised.size} routes reached`);

  const uncovered: string[] = [];
  const firstSegment = (route: string) => route.split(' ')[1]!.split('/')[1];
  for (const key of registered) {
    const [method, route] = key.split(' ') as [string, string];
    // GET /compute/v2.1/ is the version document, checked above at every version.
    if (!['GET', 'POST', 'PUT'].includes(method) || NOT_CHECKED[key] || key === 'GET /') continue;
    if (key !== 'POST /servers/:id/action' && !responseSchemas[key]) {
      uncovered.push(`${key}: no response schema`);
      continue;
    }
    // A route whose resource cannot be created yet (its create route is skipped) cannot be reached either.
    const blocked = [...skipped.keys()].some((s) => s.startsWith(key) || firstSegment(s) === firstSegment(key));
    if (!exercised.has(key) && !blocked) uncovered.push(`${key}: has a schema but this test never reaches ${route}`);
  }
  if (skipped.size > 0) {
    t.diagnostic(`not built yet (skipped): ${[...skipped].map(([k, why]) => `${k} (${why})`).join('; ')}`);
  }
  const report = [
    ...uncovered.map((u) => `not covered: ${u}`),
    ...problems,
  ];
  assert.deepEqual(report, [], `${uncovered.length} compute routes not covered, ${problems.length} responses not matching their schema:\n${report.join('\n')}`);
});
