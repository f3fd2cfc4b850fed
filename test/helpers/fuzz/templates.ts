/**
 * What a well-formed request to each route looks like, built from the fixtures
 * the suite creates first. The fuzzer perturbs one field of these at a time:
 * a body that is right but for one field gets past the outer checks and into
 * the handler, where the interesting failures are.
 */

/** Existing resources, so generated path parameters and bodies can name real things. */
export interface Fixtures {
  server: string;
  serverRequestId: string;
  metaKey: string;
  flavor: string;
  extraSpecKey: string;
  keypair: string;
  hypervisor: string;
  computeService: string;
  aggregate: string;
  image: string;
  imageTag: string;
  /** A shared image with one member (imageMember), for the image member routes. */
  sharedImage: string;
  imageMember: string;
  network: string;
  subnet: string;
  port: string;
  /** A trunk (on a port of its own) and a free port to add to it as a subport. */
  trunk: string;
  subport: string;
  /**
   * An external network (with a subnet); a router with its gateway there and
   * an interface on `subnet`; a floating IP on it associated with `port`; and
   * a subnet no router is attached to yet, for add_router_interface.
   */
  externalNetwork: string;
  router: string;
  floatingip: string;
  routerSubnet: string;
  subnetpool: string;
  addressScope: string;
  rbacPolicy: string;
  netTag: string;
  extensionAlias: string;
  project: string;
  user: string;
  role: string;
  identityService: string;
  endpoint: string;
  region: string;
  resourceProvider: string;
  consumer: string;
  resourceClass: string;
  trait: string;
  /** A network agent (one of those the cloud's own agents registered), or a made-up id when none has reported yet. */
  agent: string;
}

/**
 * The fixture a path parameter names, judged by the collection segment before
 * it (`/servers/:id` → a server, `/roles/:roleId` → a role).
 */
export function fixtureForParam(routeUrl: string, param: string, f: Fixtures): string | undefined {
  const segs = routeUrl.split('/');
  const i = segs.indexOf(`:${param}`);
  const before = segs[i - 1];
  const service = segs[1];
  switch (before) {
    case 'servers': return f.server;
    case 'metadata': return f.metaKey;
    case 'os-instance-actions': return f.serverRequestId;
    case 'flavors': return f.flavor;
    case 'os-extra_specs': return f.extraSpecKey;
    case 'os-keypairs': return f.keypair;
    case 'os-hypervisors': return f.hypervisor;
    case 'os-services': return f.computeService;
    case 'os-aggregates': return f.aggregate;
    // Only a shared image has members: the member routes aim at one that has a member.
    case 'images': return service === 'image' && segs[i + 1] === 'members' ? f.sharedImage : f.image;
    case 'members': return f.imageMember;
    case 'tags': return service === 'image' ? f.imageTag : f.netTag;
    case 'networks': return f.network;
    case 'subnets': return f.subnet;
    case 'ports': return f.port;
    case 'trunks': return f.trunk;
    case 'routers': return f.router;
    case 'floatingips': return f.floatingip;
    case 'subnetpools': return f.subnetpool;
    case 'address-scopes': return f.addressScope;
    case 'rbac-policies': return f.rbacPolicy;
    case 'extensions': return f.extensionAlias;
    case 'quotas': return f.project;
    case 'projects': return f.project;
    case 'users': return f.user;
    case 'roles': return f.role;
    case 'domains': return 'default';
    case 'services': return f.identityService;
    case 'endpoints': return f.endpoint;
    case 'regions': return f.region;
    case 'resource_providers': return f.resourceProvider;
    case 'inventories': return 'VCPU';
    case 'allocations': return f.consumer;
    case 'resource_classes': return f.resourceClass;
    case 'traits': return f.trait;
    case 'agents': return f.agent;
    default: return undefined;
  }
}

/** The content type a correct request to this route carries. */
export function contentTypeFor(method: string, routeUrl: string): string {
  if (routeUrl === '/image/v2/images/:id' && method === 'PATCH') return 'application/openstack-images-v2.1-json-patch';
  if (routeUrl === '/image/v2/images/:id/file') return 'application/octet-stream';
  return 'application/json';
}

/**
 * The resource key a body for this URL is wrapped in (`server`, `network`, ...),
 * from the last plain segment of the route: what a perturbed body falls back
 * to when no template is known.
 */
export function resourceKey(routeUrl: string): string {
  const last = routeUrl.split('/').filter((s) => s && !s.startsWith(':')).pop() ?? 'body';
  const name = last.replace(/^os-/, '').replace(/-/g, '_');
  if (name.endsWith('ies')) return `${name.slice(0, -3)}y`;
  if (name.endsWith('ses')) return name.slice(0, -2);
  if (name.endsWith('s')) return name.slice(0, -1);
  return name;
}

const NEW_UUID = 'a0f1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b';

/** Well-formed bodies for a route (more than one where the route takes several shapes). */
export function templatesFor(method: string, routeUrl: string, params: Record<string, string>, f: Fixtures): unknown[] {
  const key = `${method} ${routeUrl}`;
  switch (key) {
    // compute
    case 'POST /compute/v2.1/servers':
      return [{ server: { name: 'fuzz-vm', imageRef: f.image, flavorRef: f.flavor, networks: [{ uuid: f.network }], metadata: { a: 'b' }, key_name: f.keypair, min_count: 1 } }];
    case 'PUT /compute/v2.1/servers/:id':
      return [{ server: { name: 'renamed', description: 'd' } }];
    case 'POST /compute/v2.1/servers/:id/action':
      return [{ reboot: { type: 'SOFT' } }, { 'os-stop': null }, { 'os-start': null }, { pause: null }, { 'os-getConsoleOutput': { length: 10 } }, { createImage: { name: 'snap' } }];
    case 'POST /compute/v2.1/servers/:id/metadata':
    case 'PUT /compute/v2.1/servers/:id/metadata':
      return [{ metadata: { k1: 'v1', [f.metaKey]: 'v' } }];
    case 'PUT /compute/v2.1/servers/:id/metadata/:key':
      return [{ meta: { [params.key ?? f.metaKey]: 'value' } }];
    case 'POST /compute/v2.1/flavors':
      return [{ flavor: { name: 'fuzz-flavor', ram: 64, vcpus: 1, disk: 1, 'os-flavor-access:is_public': true } }];
    case 'PUT /compute/v2.1/flavors/:flavor_id':
      return [{ flavor: { description: 'described' } }];
    case 'POST /compute/v2.1/flavors/:flavor_id/os-extra_specs':
      return [{ extra_specs: { 'hw:cpu_policy': 'shared', [f.extraSpecKey]: 'v' } }];
    case 'PUT /compute/v2.1/flavors/:flavor_id/os-extra_specs/:key':
      return [{ [params.key ?? f.extraSpecKey]: 'v2' }];
    case 'POST /compute/v2.1/flavors/:flavor_id/action':
      return [{ addTenantAccess: { tenant: f.project } }, { removeTenantAccess: { tenant: f.project } }];
    case 'POST /compute/v2.1/os-keypairs':
      return [{ keypair: { name: 'fuzz-key', type: 'ssh' } }];
    case 'PUT /compute/v2.1/os-services/:id':
      return [{ status: 'enabled' }, { forced_down: false }];
    case 'POST /compute/v2.1/os-aggregates':
      return [{ aggregate: { name: 'fuzz-agg', availability_zone: 'fuzz-az' } }];
    // identity
    case 'POST /identity/v3/auth/tokens':
      return [{ auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password: 'wrong-on-purpose' } } }, scope: { project: { name: 'demo', domain: { id: 'default' } } } } }];
    case 'POST /identity/v3/projects':
      return [{ project: { name: 'fuzz-project', domain_id: 'default', description: 'd', enabled: true } }];
    case 'PATCH /identity/v3/projects/:id':
      return [{ project: { description: 'patched' } }];
    case 'POST /identity/v3/users':
      return [{ user: { name: 'fuzz-user', domain_id: 'default', password: 'pw-123456', default_project_id: f.project, enabled: true } }];
    case 'PATCH /identity/v3/users/:id':
      return [{ user: { email: 'fuzz@example.org' } }];
    case 'POST /identity/v3/users/:id/password':
      return [{ user: { password: 'new-pw-123', original_password: 'pw-123456' } }];
    case 'POST /identity/v3/roles':
      return [{ role: { name: 'fuzz-role' } }];
    case 'PATCH /identity/v3/roles/:id':
      return [{ role: { description: 'patched' } }];
    // image
    case 'POST /image/v2/images':
      return [{ name: 'fuzz-image', disk_format: 'raw', container_format: 'bare', visibility: 'private', tags: ['t'], min_ram: 0 }];
    case 'POST /image/v2/images/:id/members':
      return [{ member: 'fuzz-member-project' }];
    case 'PUT /image/v2/images/:id/members/:memberId':
      return [{ status: 'accepted' }];
    case 'PATCH /image/v2/images/:id':
      return [[{ op: 'replace', path: '/name', value: 'n' }, { op: 'add', path: '/fuzz_prop', value: 'v' }]];
    // network
    case 'POST /network/v2.0/networks':
      return [{ network: { name: 'fuzz-net', admin_state_up: true, shared: false } }];
    case 'PUT /network/v2.0/networks/:id':
      return [{ network: { name: 'renamed' } }];
    case 'POST /network/v2.0/subnets':
      return [{ subnet: { network_id: f.network, cidr: '10.99.0.0/24', ip_version: 4, name: 'fuzz-sub', allocation_pools: [{ start: '10.99.0.10', end: '10.99.0.20' }] } }];
    case 'PUT /network/v2.0/subnets/:id':
      return [{ subnet: { name: 'renamed', dns_nameservers: ['8.8.8.8'] } }];
    case 'POST /network/v2.0/ports':
      return [{ port: { network_id: f.network, name: 'fuzz-port', fixed_ips: [{ subnet_id: f.subnet }], admin_state_up: true } }];
    case 'PUT /network/v2.0/ports/:id':
      return [{ port: { name: 'renamed', device_owner: '' } }];
    case 'POST /network/v2.0/trunks':
      return [{ trunk: { port_id: f.port, name: 'fuzz-trunk', sub_ports: [] } }];
    case 'PUT /network/v2.0/trunks/:id':
      return [{ trunk: { name: 'renamed', admin_state_up: true } }];
    case 'PUT /network/v2.0/trunks/:id/add_subports':
      return [{ sub_ports: [{ port_id: f.subport, segmentation_type: 'vlan', segmentation_id: 7 }] }];
    case 'PUT /network/v2.0/trunks/:id/remove_subports':
      return [{ sub_ports: [{ port_id: f.subport }] }];
    case 'POST /network/v2.0/routers':
      return [{ router: { name: 'fuzz-router', admin_state_up: true, external_gateway_info: { network_id: f.externalNetwork } } }];
    case 'PUT /network/v2.0/routers/:id':
      return [{ router: { name: 'renamed', external_gateway_info: { network_id: f.externalNetwork } } }];
    case 'PUT /network/v2.0/routers/:id/add_router_interface':
    case 'PUT /network/v2.0/routers/:id/remove_router_interface':
      return [{ subnet_id: f.routerSubnet }];
    case 'POST /network/v2.0/floatingips':
      return [{ floatingip: { floating_network_id: f.externalNetwork, description: 'fuzz' } }];
    case 'PUT /network/v2.0/floatingips/:id':
      return [{ floatingip: { port_id: f.port, description: 'renamed' } }];
    case 'POST /network/v2.0/subnetpools':
      return [{ subnetpool: { name: 'fuzz-pool', prefixes: ['10.120.0.0/16'], default_prefixlen: 24 } }];
    case 'PUT /network/v2.0/subnetpools/:id':
      return [{ subnetpool: { name: 'renamed', prefixes: ['10.121.0.0/16', '10.122.0.0/16'] } }];
    case 'POST /network/v2.0/rbac-policies':
      return [{ rbac_policy: { object_type: 'network', object_id: f.network, action: 'access_as_shared', target_tenant: 'fuzz-target' } }];
    case 'PUT /network/v2.0/rbac-policies/:id':
      return [{ rbac_policy: { target_tenant: 'fuzz-target-2' } }];
    case 'POST /network/v2.0/address-scopes':
      return [{ address_scope: { name: 'fuzz-scope', ip_version: 4 } }];
    case 'PUT /network/v2.0/address-scopes/:id':
      return [{ address_scope: { name: 'renamed' } }];
    case 'PUT /network/v2.0/subnetpools/:id/tags':
    case 'PUT /network/v2.0/agents/:id':
      return [{ agent: { admin_state_up: true, description: 'fuzz' } }];
    case 'PUT /network/v2.0/routers/:id/tags':
    case 'PUT /network/v2.0/floatingips/:id/tags':
    case 'PUT /network/v2.0/trunks/:id/tags':
    case 'PUT /network/v2.0/networks/:id/tags':
    case 'PUT /network/v2.0/subnets/:id/tags':
    case 'PUT /network/v2.0/ports/:id/tags':
      return [{ tags: ['a', 'b'] }];
    // placement
    case 'POST /placement/resource_providers':
      return [{ name: 'fuzz-rp', uuid: NEW_UUID }];
    case 'PUT /placement/resource_providers/:uuid':
      return [{ name: 'fuzz-rp-renamed' }];
    case 'PUT /placement/resource_providers/:uuid/inventories':
      return [{ resource_provider_generation: 0, inventories: { VCPU: { total: 8, max_unit: 8 }, MEMORY_MB: { total: 1024 } } }];
    case 'POST /placement/resource_providers/:uuid/inventories':
      return [{ resource_class: 'DISK_GB', total: 10 }];
    case 'PUT /placement/resource_providers/:uuid/inventories/:rc':
      return [{ resource_provider_generation: 0, total: 4 }];
    case 'PUT /placement/resource_providers/:uuid/traits':
      return [{ resource_provider_generation: 0, traits: [f.trait] }];
    case 'PUT /placement/resource_providers/:uuid/aggregates':
      return [{ resource_provider_generation: 0, aggregates: [NEW_UUID] }];
    case 'PUT /placement/allocations/:consumer':
      return [{ allocations: { [f.resourceProvider]: { resources: { VCPU: 1 } } }, project_id: f.project, user_id: f.user, consumer_generation: null, consumer_type: 'INSTANCE' }];
    case 'POST /placement/allocations':
      return [{ [NEW_UUID]: { allocations: { [f.resourceProvider]: { resources: { VCPU: 1 } } }, project_id: f.project, user_id: f.user, consumer_generation: null, consumer_type: 'INSTANCE' } }];
    case 'POST /placement/resource_classes':
      return [{ name: 'CUSTOM_FUZZ_NEW' }];
    default:
      return [{ [resourceKey(routeUrl)]: { name: 'fuzz' } }];
  }
}
