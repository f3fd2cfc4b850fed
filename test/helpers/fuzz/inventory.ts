/**
 * The resources around a fuzz run: fixtures made first so hostile requests can
 * name real things, a snapshot of everything that exists, a record of what the
 * run's successful creates made, and the clean-up after. Whatever exists at
 * the end that was not there before and was not made by a 2xx is a
 * half-created resource.
 */
import assert from 'node:assert/strict';
import type { TestCloud, Who } from '../cloud.js';
import type { Fixtures } from './templates.js';

const PLACEMENT = { 'openstack-api-version': 'placement latest' };
const COMPUTE = { 'openstack-api-version': 'compute latest' };

async function ok(cloud: TestCloud, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, who: Who = 'admin') {
  const res = await cloud.request(method, path, { body, headers, who });
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path} → ${res.status} ${JSON.stringify(res.json)}`);
  return res;
}

/** One of each resource a route can name, so generated requests reach past the "not found" check. */
export async function createFixtures(cloud: TestCloud): Promise<Fixtures> {
  const flavor = (await ok(cloud, 'POST', '/compute/v2.1/flavors', { flavor: { name: 'fuzz-fixture', ram: 64, vcpus: 1, disk: 1 } })).json.flavor.id;
  await ok(cloud, 'POST', `/compute/v2.1/flavors/${flavor}/os-extra_specs`, { extra_specs: { 'fuzz:key': 'v' } });
  const image = (await ok(cloud, 'POST', '/image/v2/images', { name: 'fuzz-fixture', disk_format: 'raw', container_format: 'bare', visibility: 'public', tags: ['fuzztag'] })).json.id;
  const token = await cloud.token('admin');
  const up = await fetch(`${cloud.url}/image/v2/images/${image}/file`, { method: 'PUT', headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(4096, 7) });
  assert.equal(up.status, 204);
  const sharedImage = (await ok(cloud, 'POST', '/image/v2/images', { name: 'fuzz-fixture-shared', disk_format: 'raw', container_format: 'bare', visibility: 'shared' })).json.id;
  const network = (await ok(cloud, 'POST', '/network/v2.0/networks', { network: { name: 'fuzz-fixture', shared: true } })).json.network.id;
  await ok(cloud, 'PUT', `/network/v2.0/networks/${network}/tags/fuzztag`);
  const subnet = (await ok(cloud, 'POST', '/network/v2.0/subnets', { subnet: { network_id: network, cidr: '10.77.0.0/16', ip_version: 4 } })).json.subnet.id;
  const port = (await ok(cloud, 'POST', '/network/v2.0/ports', { port: { network_id: network, name: 'fuzz-fixture' } })).json.port.id;
  const trunkParent = (await ok(cloud, 'POST', '/network/v2.0/ports', { port: { network_id: network, name: 'fuzz-trunk-parent' } })).json.port.id;
  const trunk = (await ok(cloud, 'POST', '/network/v2.0/trunks', { trunk: { port_id: trunkParent, name: 'fuzz-fixture' } })).json.trunk.id;
  const subport = (await ok(cloud, 'POST', '/network/v2.0/ports', { port: { network_id: network, name: 'fuzz-subport' } })).json.port.id;
  const externalNetwork = (await ok(cloud, 'POST', '/network/v2.0/networks', { network: { name: 'fuzz-external', 'router:external': true } })).json.network.id;
  await ok(cloud, 'POST', '/network/v2.0/subnets', { subnet: { network_id: externalNetwork, cidr: '198.18.0.0/16', ip_version: 4 } });
  const routerNet = (await ok(cloud, 'POST', '/network/v2.0/networks', { network: { name: 'fuzz-router-net' } })).json.network.id;
  const routerSubnet = (await ok(cloud, 'POST', '/network/v2.0/subnets', { subnet: { network_id: routerNet, cidr: '10.78.0.0/16', ip_version: 4 } })).json.subnet.id;
  const router = (await ok(cloud, 'POST', '/network/v2.0/routers', { router: { name: 'fuzz-fixture', external_gateway_info: { network_id: externalNetwork } } })).json.router.id;
  await ok(cloud, 'PUT', `/network/v2.0/routers/${router}/add_router_interface`, { subnet_id: subnet });
  const addressScope = (await ok(cloud, 'POST', '/network/v2.0/address-scopes', { address_scope: { name: 'fuzz-fixture', ip_version: 4 } })).json.address_scope.id;
  const subnetpool = (await ok(cloud, 'POST', '/network/v2.0/subnetpools', { subnetpool: { name: 'fuzz-fixture', prefixes: ['10.121.0.0/16'], address_scope_id: addressScope } })).json.subnetpool.id;
  const floatingip = (await ok(cloud, 'POST', '/network/v2.0/floatingips', { floatingip: { floating_network_id: externalNetwork, port_id: port } })).json.floatingip.id;
  const keypair = (await ok(cloud, 'POST', '/compute/v2.1/os-keypairs', { keypair: { name: 'fuzz-fixture' } })).json.keypair.name;
  const project = (await ok(cloud, 'POST', '/identity/v3/projects', { project: { name: 'fuzz-fixture', domain_id: 'default' } })).json.project.id;
  const rbacPolicy = (await ok(cloud, 'POST', '/network/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: routerNet, action: 'access_as_shared', target_tenant: project } })).json.rbac_policy.id;
  const user = (await ok(cloud, 'POST', '/identity/v3/users', { user: { name: 'fuzz-fixture', domain_id: 'default', password: 'pw-123456', default_project_id: project } })).json.user.id;
  const role = (await ok(cloud, 'POST', '/identity/v3/roles', { role: { name: 'fuzz-fixture' } })).json.role.id;
  await ok(cloud, 'PUT', `/identity/v3/projects/${project}/users/${user}/roles/${role}`);
  await ok(cloud, 'POST', `/image/v2/images/${sharedImage}/members`, { member: project });
  // Aggregates may be answered 501 (not implemented); their routes are fuzzed with made-up ids then.
  const agg = await cloud.request('POST', '/compute/v2.1/os-aggregates', { body: { aggregate: { name: 'fuzz-fixture' } } });
  const aggregate = agg.status === 200 ? String(agg.json.aggregate.id) : '1';

  const rp = (await ok(cloud, 'POST', '/placement/resource_providers', { name: 'fuzz-fixture' }, PLACEMENT)).json.uuid;
  await ok(cloud, 'PUT', `/placement/resource_providers/${rp}/inventories`, { resource_provider_generation: 0, inventories: { VCPU: { total: 64 }, MEMORY_MB: { total: 65536 } } }, PLACEMENT);
  const consumer = 'c0c0c0c0-0000-4000-8000-00000000f022';
  await ok(cloud, 'PUT', `/placement/allocations/${consumer}`, { allocations: { [rp]: { resources: { VCPU: 1 } } }, project_id: project, user_id: user, consumer_generation: null, consumer_type: 'INSTANCE' }, PLACEMENT);
  await ok(cloud, 'PUT', '/placement/resource_classes/CUSTOM_FUZZ_FIXTURE', undefined, PLACEMENT);
  await ok(cloud, 'PUT', '/placement/traits/CUSTOM_FUZZ_FIXTURE', undefined, PLACEMENT);

  const created = await ok(cloud, 'POST', '/compute/v2.1/servers', { server: { name: 'fuzz-fixture', imageRef: image, flavorRef: flavor, networks: [{ uuid: network }], metadata: { fuzzkey: 'v' } } }, COMPUTE);
  const server = created.json.server.id;
  await cloud.waitForServer(server, 'ACTIVE');
  const actions = await ok(cloud, 'GET', `/compute/v2.1/servers/${server}/os-instance-actions`, undefined, COMPUTE);
  const hypervisors = await ok(cloud, 'GET', '/compute/v2.1/os-hypervisors', undefined, COMPUTE);
  const services = await ok(cloud, 'GET', '/compute/v2.1/os-services?binary=nova-compute', undefined, COMPUTE);
  const extensions = await ok(cloud, 'GET', '/network/v2.0/extensions');
  const agents = await ok(cloud, 'GET', '/network/v2.0/agents');
  const idServices = await ok(cloud, 'GET', '/identity/v3/services');
  const endpoints = await ok(cloud, 'GET', '/identity/v3/endpoints');
  const regions = await ok(cloud, 'GET', '/identity/v3/regions');
  return {
    server, serverRequestId: actions.json.instanceActions[0].request_id, metaKey: 'fuzzkey',
    flavor, extraSpecKey: 'fuzz:key', keypair,
    hypervisor: String(hypervisors.json.hypervisors[0].id),
    computeService: String(services.json.services[0].id),
    aggregate, image, imageTag: 'fuzztag', sharedImage, imageMember: project, network, subnet, port, trunk, subport, externalNetwork, router, floatingip, routerSubnet, subnetpool, addressScope, rbacPolicy, netTag: 'fuzztag',
    extensionAlias: extensions.json.extensions[0]?.alias ?? 'tag',
    project, user, role,
    identityService: idServices.json.services[0]?.id ?? 'none',
    endpoint: endpoints.json.endpoints[0]?.id ?? 'none',
    region: regions.json.regions[0]?.id ?? 'RegionOne',
    resourceProvider: rp, consumer, resourceClass: 'CUSTOM_FUZZ_FIXTURE', trait: 'CUSTOM_FUZZ_FIXTURE',
    agent: agents.json.agents[0]?.id ?? 'b0f1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b',
  };
}

export type Kind = 'server' | 'network' | 'subnet' | 'port' | 'trunk' | 'router' | 'router_interface' | 'floatingip' | 'subnetpool' | 'address_scope' | 'rbac_policy' | 'image' | 'image_member' | 'flavor' | 'keypair' | 'aggregate' | 'project' | 'user' | 'role'
  | 'resource_provider' | 'allocation' | 'resource_class' | 'trait' | 'security_group' | 'server_group'
  | 'domain' | 'group' | 'region' | 'service' | 'endpoint' | 'credential' | 'policy';

export type Snapshot = Record<Kind, Set<string>>;

const ids = (list: Array<{ id?: unknown }> | undefined) => new Set((list ?? []).map((x) => String(x.id)));

async function listOrEmpty(cloud: TestCloud, path: string, key: string): Promise<Set<string>> {
  const res = await cloud.request('GET', path, { headers: COMPUTE });
  return res.status === 501 ? new Set() : ids(res.json[key]);
}

/** The compute hosts any snapshot saw, by hypervisor hostname. */
const computeHosts = new Set<string>();

/** Every resource of every kind the suite watches, by id (keypairs as `<who>/<name>`, allocations as `<rp>/<consumer>`). */
export async function snapshot(cloud: TestCloud): Promise<Snapshot> {
  const get = async (path: string, headers: Record<string, string> = {}, who: Who = 'admin') => (await ok(cloud, 'GET', path, undefined, headers, who)).json;
  // A compute host's own provider is not counted: deleting its service (DELETE /os-services/{id},
  // a success) removes it, and the running host registers its provider again, as Nova's does —
  // possibly before its hypervisor is listed again, so the hosts of earlier snapshots count too.
  for (const h of (await get('/compute/v2.1/os-hypervisors', COMPUTE)).hypervisors as Array<{ hypervisor_hostname: string }>) computeHosts.add(h.hypervisor_hostname);
  const rps = (await get('/placement/resource_providers', PLACEMENT)).resource_providers as Array<{ uuid: string; name: string }>;
  const allocations = new Set<string>();
  for (const rp of rps) {
    const a = await get(`/placement/resource_providers/${rp.uuid}/allocations`, PLACEMENT);
    for (const consumer of Object.keys(a.allocations ?? {})) allocations.add(`${rp.uuid}/${consumer}`);
  }
  const keypairs = new Set<string>();
  for (const who of ['admin', 'demo'] as const) {
    for (const k of (await get('/compute/v2.1/os-keypairs', COMPUTE, who)).keypairs ?? []) keypairs.add(`${who}/${k.keypair.name}`);
  }
  const images: string[] = [];
  const imageMembers = new Set<string>();
  for (let next: string | undefined = '/image/v2/images?limit=1000'; next;) {
    const page: { images: Array<{ id: string; visibility: string }>; next?: string } = await get(next);
    images.push(...page.images.map((i) => i.id));
    // Only shared images have members.
    for (const image of page.images.filter((i) => i.visibility === 'shared')) {
      for (const m of (await get(`/image/v2/images/${image.id}/members`)).members) imageMembers.add(`${image.id}/${m.member_id}`);
    }
    next = page.next ? `/image${page.next}` : undefined;
  }
  // A port a router or floating IP holds goes with its owner: counted as the owner's interface, or not at all
  // (a gateway's or floating IP's address port is replaced when the gateway moves, by a successful request).
  const routers = ids((await get('/network/v2.0/routers')).routers);
  const floatingips = ids((await get('/network/v2.0/floatingips')).floatingips);
  const ports = (await get('/network/v2.0/ports')).ports as Array<{ id: string; device_id: string; device_owner: string }>;
  const l3Owned = (p: { device_id: string }) => routers.has(p.device_id) || floatingips.has(p.device_id);
  return {
    server: ids((await get('/compute/v2.1/servers?all_tenants=1&limit=1000', COMPUTE)).servers),
    network: ids((await get('/network/v2.0/networks')).networks),
    subnet: ids((await get('/network/v2.0/subnets')).subnets),
    port: ids(ports.filter((p) => !l3Owned(p))),
    router: routers,
    router_interface: new Set(ports.filter((p) => routers.has(p.device_id) && p.device_owner === 'network:router_interface').map((p) => `${p.device_id}/${p.id}`)),
    floatingip: floatingips,
    subnetpool: ids((await get('/network/v2.0/subnetpools')).subnetpools),
    address_scope: ids((await get('/network/v2.0/address-scopes')).address_scopes),
    rbac_policy: ids((await get('/network/v2.0/rbac-policies')).rbac_policies),
    trunk: ids((await get('/network/v2.0/trunks')).trunks),
    image: new Set(images),
    image_member: imageMembers,
    flavor: ids((await get('/compute/v2.1/flavors?is_public=none', COMPUTE)).flavors),
    keypair: keypairs,
    aggregate: await listOrEmpty(cloud, '/compute/v2.1/os-aggregates', 'aggregates'),
    project: ids((await get('/identity/v3/projects')).projects),
    user: ids((await get('/identity/v3/users')).users),
    role: ids((await get('/identity/v3/roles')).roles),
    resource_provider: new Set(rps.filter((r) => !computeHosts.has(r.name)).map((r) => r.uuid)),
    allocation: allocations,
    resource_class: new Set(((await get('/placement/resource_classes', PLACEMENT)).resource_classes as Array<{ name: string }>).map((r) => r.name).filter((n) => n.startsWith('CUSTOM_'))),
    trait: new Set(((await get('/placement/traits', PLACEMENT)).traits as string[]).filter((n) => n.startsWith('CUSTOM_'))),
    // Not a project's `default` group: Neutron makes one whenever a project first needs it (a
    // list, a port made for it by an admin), a side effect of successful requests, not a half-creation.
    security_group: ids(((await get('/network/v2.0/security-groups')).security_groups as Array<{ id: string; name: string }>).filter((g) => g.name !== 'default')),
    server_group: ids((await get('/compute/v2.1/os-server-groups?all_projects=True&limit=1000', COMPUTE)).server_groups),
    domain: ids((await get('/identity/v3/domains')).domains),
    group: ids((await get('/identity/v3/groups')).groups),
    region: ids((await get('/identity/v3/regions')).regions),
    service: ids((await get('/identity/v3/services')).services),
    endpoint: ids((await get('/identity/v3/endpoints')).endpoints),
    credential: ids((await get('/identity/v3/credentials')).credentials),
    policy: ids((await get('/identity/v3/policies')).policies),
  };
}

/** What exists now that did not before, per kind. */
export function added(before: Snapshot, after: Snapshot): Partial<Record<Kind, string[]>> {
  const out: Partial<Record<Kind, string[]>> = {};
  for (const kind of Object.keys(after) as Kind[]) {
    const extra = [...after[kind]].filter((id) => !before[kind].has(id));
    if (extra.length > 0) out[kind] = extra;
  }
  return out;
}

/** A resource a 2xx create made, to delete after the run. */
export interface Created { kind: Kind | 'reservation'; id: string; who: Who }

const lastSegment = (location: string | null | undefined) => (location ? decodeURIComponent(location.split('?')[0]!.split('/').filter(Boolean).pop() ?? '') : '');

/** The resources a successful response says it created. */
export function createdBy(method: string, routeUrl: string, path: string, status: number, body: any, location: string | null, requestJson: unknown, who: Who): Created[] {
  if (status < 200 || status >= 300 || (method !== 'POST' && method !== 'PUT')) return [];
  const one = (kind: Created['kind'], id: unknown): Created[] => (id === undefined || id === null || id === '' ? [] : [{ kind, id: String(id), who }]);
  const many = (kind: Kind, plural: string, singular: string) => [
    ...one(kind, body?.[singular]?.id),
    ...((Array.isArray(body?.[plural]) ? body[plural] : []) as Array<{ id?: string }>).flatMap((x) => one(kind, x?.id)),
  ];
  const seg = (path.split('?')[0] ?? '').split('/');
  switch (`${method} ${routeUrl}`) {
    case 'POST /compute/v2.1/servers': return [...one('server', body?.server?.id), ...one('reservation', body?.reservation_id)];
    case 'POST /compute/v2.1/servers/:id/action': return one('image', body?.image_id ?? (location ? lastSegment(location) : undefined));
    case 'POST /compute/v2.1/flavors': return one('flavor', body?.flavor?.id);
    case 'POST /compute/v2.1/os-keypairs': return one('keypair', body?.keypair?.name ? `${who}/${body.keypair.name}` : undefined);
    case 'POST /compute/v2.1/os-aggregates': return one('aggregate', body?.aggregate?.id);
    case 'POST /identity/v3/projects': return one('project', body?.project?.id);
    case 'POST /identity/v3/users': return one('user', body?.user?.id);
    case 'POST /identity/v3/roles': return one('role', body?.role?.id);
    case 'POST /image/v2/images': return one('image', body?.id);
    case 'POST /image/v2/images/:id/members':
      return one('image_member', typeof body?.image_id === 'string' && typeof body?.member_id === 'string' ? `${body.image_id}/${body.member_id}` : undefined);
    case 'POST /network/v2.0/security-groups': return one('security_group', body?.security_group?.id);
    case 'POST /compute/v2.1/os-security-groups': return one('security_group', body?.security_group?.id);
    case 'POST /compute/v2.1/os-server-groups': return one('server_group', body?.server_group?.id);
    case 'POST /identity/v3/domains': return one('domain', body?.domain?.id);
    case 'POST /identity/v3/groups': return one('group', body?.group?.id);
    case 'POST /identity/v3/regions': return one('region', body?.region?.id);
    case 'PUT /identity/v3/regions/:id': return one('region', body?.region?.id);
    case 'POST /identity/v3/services': return one('service', body?.service?.id);
    case 'POST /identity/v3/endpoints': return [...one('endpoint', body?.endpoint?.id), ...one('region', body?.endpoint?.region_id)];
    case 'POST /identity/v3/credentials': return one('credential', body?.credential?.id);
    case 'POST /identity/v3/policies': return one('policy', body?.policy?.id);
    case 'POST /network/v2.0/networks': return many('network', 'networks', 'network');
    case 'POST /network/v2.0/subnets': return many('subnet', 'subnets', 'subnet');
    case 'POST /network/v2.0/ports': return many('port', 'ports', 'port');
    case 'POST /network/v2.0/trunks': return one('trunk', body?.trunk?.id);
    case 'POST /network/v2.0/routers': return one('router', body?.router?.id);
    case 'PUT /network/v2.0/routers/:id/add_router_interface':
      return one('router_interface', typeof body?.id === 'string' && typeof body?.port_id === 'string' ? `${body.id}/${body.port_id}` : undefined);
    case 'POST /network/v2.0/floatingips': return one('floatingip', body?.floatingip?.id);
    case 'POST /network/v2.0/subnetpools': return one('subnetpool', body?.subnetpool?.id);
    case 'POST /network/v2.0/address-scopes': return one('address_scope', body?.address_scope?.id);
    case 'POST /network/v2.0/rbac-policies': return one('rbac_policy', body?.rbac_policy?.id);
    case 'POST /placement/resource_providers': return one('resource_provider', body?.uuid ?? lastSegment(location));
    case 'POST /placement/resource_classes': return one('resource_class', lastSegment(location) || (requestJson as any)?.name);
    case 'PUT /placement/resource_classes/:name': return one('resource_class', decodeURIComponent(seg[3] ?? ''));
    case 'PUT /placement/traits/:name': return one('trait', decodeURIComponent(seg[3] ?? ''));
    case 'PUT /placement/allocations/:consumer': return one('allocation', decodeURIComponent(seg[3] ?? ''));
    case 'POST /placement/allocations':
      return requestJson && typeof requestJson === 'object' ? Object.keys(requestJson).flatMap((c) => one('allocation', c)) : [];
    default: return [];
  }
}

/** Polls until every listed server has left BUILD (or is gone); the ones still building at the deadline. */
export async function serversStillBuilding(cloud: TestCloud, serverIds: string[], timeoutMs = 20_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let building = [...serverIds];
  while (building.length > 0 && Date.now() < deadline) {
    const next: string[] = [];
    for (const id of building) {
      const res = await cloud.request('GET', `/compute/v2.1/servers/${id}`, { headers: COMPUTE });
      if (res.status === 200 && (res.json.server.status === 'BUILD' || res.json.server['OS-EXT-STS:task_state'])) next.push(id);
    }
    building = next;
    if (building.length > 0) await new Promise((r) => setTimeout(r, 20));
  }
  return building;
}

/**
 * Deletes what the run made. Servers first (their ports and allocations go with
 * them), then what servers used, and providers only after their allocations.
 */
export async function deleteCreated(cloud: TestCloud, created: Created[], newServers: string[]): Promise<string[]> {
  const problems: string[] = [];
  const del = async (path: string, headers: Record<string, string> = {}, who: Who = 'admin') => {
    const res = await cloud.request('DELETE', path, { headers, who });
    if (res.status >= 300 && res.status !== 404) problems.push(`DELETE ${path} → ${res.status} ${JSON.stringify(res.json).slice(0, 200)}`);
  };
  const of = (kind: Created['kind']) => [...new Set(created.filter((c) => c.kind === kind).map((c) => c.id))];

  for (const id of newServers) await del(`/compute/v2.1/servers/${id}`, COMPUTE);
  const deadline = Date.now() + 20_000;
  let remaining = [...newServers];
  while (remaining.length > 0 && Date.now() < deadline) {
    const next: string[] = [];
    for (const id of remaining) if ((await cloud.request('GET', `/compute/v2.1/servers/${id}`, { headers: COMPUTE })).status !== 404) next.push(id);
    remaining = next;
    if (remaining.length > 0) await new Promise((r) => setTimeout(r, 20));
  }
  for (const id of remaining) problems.push(`server ${id} still there 20 s after its DELETE`);

  for (const id of of('image_member')) {
    // <image id>/<member id>: the image id (a UUID) holds no slash; the member id may.
    const cut = id.indexOf('/');
    await del(`/image/v2/images/${id.slice(0, cut)}/members/${encodeURIComponent(id.slice(cut + 1))}`);
  }
  for (const id of of('image')) await del(`/image/v2/images/${id}`);
  // Floating IPs need their router's interface and gateway; interfaces keep their router: in that order.
  for (const id of of('floatingip')) await del(`/network/v2.0/floatingips/${id}`);
  for (const id of of('router_interface')) {
    const [router, port] = id.split('/');
    const res = await cloud.request('PUT', `/network/v2.0/routers/${router}/remove_router_interface`, { body: { port_id: port } });
    if (res.status >= 300 && res.status !== 404) problems.push(`remove_router_interface ${id} → ${res.status} ${JSON.stringify(res.json).slice(0, 200)}`);
  }
  for (const id of of('router')) await del(`/network/v2.0/routers/${id}`);
  // A trunk holds its ports: it goes first.
  for (const id of of('trunk')) await del(`/network/v2.0/trunks/${id}`);
  for (const id of of('port')) await del(`/network/v2.0/ports/${id}`);
  for (const id of of('rbac_policy')) await del(`/network/v2.0/rbac-policies/${id}`);
  for (const id of of('subnet')) await del(`/network/v2.0/subnets/${id}`);
  for (const id of of('network')) await del(`/network/v2.0/networks/${id}`);
  for (const id of of('subnetpool')) await del(`/network/v2.0/subnetpools/${id}`);
  for (const id of of('address_scope')) await del(`/network/v2.0/address-scopes/${id}`);
  for (const id of of('flavor')) await del(`/compute/v2.1/flavors/${encodeURIComponent(id)}`, COMPUTE);
  for (const c of created.filter((x) => x.kind === 'keypair')) {
    const [who, ...name] = c.id.split('/');
    await del(`/compute/v2.1/os-keypairs/${encodeURIComponent(name.join('/'))}`, COMPUTE, who as Who);
  }
  for (const id of of('aggregate')) await del(`/compute/v2.1/os-aggregates/${id}`, COMPUTE);
  for (const id of of('allocation')) await del(`/placement/allocations/${encodeURIComponent(id)}`, PLACEMENT);
  for (const id of of('resource_provider')) await del(`/placement/resource_providers/${encodeURIComponent(id)}`, PLACEMENT);
  for (const id of of('resource_class')) await del(`/placement/resource_classes/${encodeURIComponent(id)}`, PLACEMENT);
  for (const id of of('trait')) await del(`/placement/traits/${encodeURIComponent(id)}`, PLACEMENT);
  for (const id of of('security_group')) await del(`/network/v2.0/security-groups/${id}`);
  for (const id of of('server_group')) await del(`/compute/v2.1/os-server-groups/${id}`, COMPUTE);
  for (const id of of('endpoint')) await del(`/identity/v3/endpoints/${id}`);
  for (const id of of('service')) await del(`/identity/v3/services/${id}`);
  for (const id of of('region')) await del(`/identity/v3/regions/${encodeURIComponent(id)}`);
  for (const id of of('credential')) await del(`/identity/v3/credentials/${id}`);
  for (const id of of('policy')) await del(`/identity/v3/policies/${id}`);
  for (const id of of('group')) await del(`/identity/v3/groups/${id}`);
  for (const id of of('user')) await del(`/identity/v3/users/${id}`);
  for (const id of of('project')) await del(`/identity/v3/projects/${id}`);
  for (const id of of('role')) await del(`/identity/v3/roles/${id}`);
  // A domain is deleted only once disabled, as in Keystone.
  for (const id of of('domain')) {
    await cloud.request('PATCH', `/identity/v3/domains/${id}`, { body: { domain: { enabled: false } } });
    await del(`/identity/v3/domains/${id}`);
  }
  return problems;
}

/** The servers that a create made, directly or through its reservation (multiple create). */
export async function serversOf(cloud: TestCloud, created: Created[]): Promise<string[]> {
  const out = new Set(created.filter((c) => c.kind === 'server').map((c) => c.id));
  const reservations = new Set(created.filter((c) => c.kind === 'reservation').map((c) => c.id));
  for (const id of [...out]) {
    const res = await cloud.request('GET', `/compute/v2.1/servers/${id}`, { headers: COMPUTE });
    const r = res.json?.server?.['OS-EXT-SRV-ATTR:reservation_id'];
    if (typeof r === 'string') reservations.add(r);
  }
  for (const r of reservations) {
    const res = await cloud.request('GET', `/compute/v2.1/servers?all_tenants=1&reservation_id=${encodeURIComponent(r)}`, { headers: COMPUTE });
    for (const s of res.json?.servers ?? []) out.add(s.id);
  }
  return [...out];
}
