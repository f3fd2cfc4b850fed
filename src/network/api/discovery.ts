/**
 * The documents clients read before anything else: the versions document
 * (keystoneauth's discovery), the v2.0 resource list, and the extension
 * list — which names only what this service actually implements.
 */
import type { FastifyInstance } from 'fastify';
import { NotFound } from '../../errors.js';
import { baseUrl, type NetworkApiContext } from './common.js';

interface Extension { alias: string; name: string; description: string }

const EXTENSIONS: Extension[] = [
  { alias: 'binding', name: 'Port Binding', description: 'Expose port bindings of a virtual port to external application' },
  { alias: 'external-net', name: 'Neutron external network', description: 'Adds external network attribute to network resource.' },
  { alias: 'net-mtu', name: 'Network MTU', description: 'Provides MTU attribute for a network resource.' },
  { alias: 'net-mtu-writable', name: 'Network MTU (writable)', description: 'Provides a writable MTU attribute for a network resource.' },
  { alias: 'project-id', name: 'project_id field enabled', description: 'Extension that indicates that project_id field is enabled.' },
  { alias: 'pagination', name: 'Pagination support', description: 'Extension that indicates that pagination is enabled.' },
  { alias: 'sorting', name: 'Sorting support', description: 'Extension that indicates that sorting is enabled.' },
  { alias: 'filter-validation', name: 'Filter parameters validation', description: 'Provides validation on filter parameters.' },
  { alias: 'standard-attr-description', name: 'standard-attr-description', description: 'Extension to add descriptions to standard attributes' },
  { alias: 'standard-attr-revisions', name: 'Resource revision numbers', description: 'This extension will display the revision number of neutron resources.' },
  { alias: 'standard-attr-timestamp', name: 'Resource timestamps', description: 'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.' },
  { alias: 'standard-attr-tag', name: 'Tag support for resources with standard attribute: subnet, trunk, router, network, floatingip, subnetpool, port', description: 'Enables to set tag on resources with standard attribute.' },
  { alias: 'security-group', name: 'security-group', description: 'The security groups extension.' },
  { alias: 'port-security', name: 'Port Security', description: 'Provides port security' },
  { alias: 'allowed-address-pairs', name: 'Allowed Address Pairs', description: 'Provides allowed address pairs' },
  { alias: 'trunk', name: 'Trunk Extension', description: 'Provides support for trunk ports' },
  { alias: 'trunk-details', name: 'Trunk port details', description: 'Expose trunk port details' },
  { alias: 'router', name: 'Neutron L3 Router', description: 'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.' },
  { alias: 'ext-gw-mode', name: 'Neutron L3 Configurable external gateway mode', description: 'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway' },
  { alias: 'provider', name: 'Provider Network', description: 'Expose mapping of virtual networks to physical networks' },
  { alias: 'network-ip-availability', name: 'Network IP Availability', description: 'Provides IP availability data for each network and subnet.' },
  { alias: 'availability_zone', name: 'Availability Zone', description: 'The availability zone extension.' },
  { alias: 'network_availability_zone', name: 'Network Availability Zone', description: 'Availability zone support for network.' },
  { alias: 'router_availability_zone', name: 'Router Availability Zone', description: 'Availability zone support for router.' },
  { alias: 'address-scope', name: 'Address scope', description: 'Address scopes extension.' },
  { alias: 'subnet_allocation', name: 'Subnet Allocation', description: 'Enables allocation of subnets from a subnet pool' },
  { alias: 'rbac-policies', name: 'RBAC Policies', description: 'Allows creation and modification of policies that control tenant access to resources.' },
  { alias: 'agent', name: 'agent', description: 'The agent management extension.' },
  { alias: 'service-type', name: 'Neutron Service Type Management', description: 'API for retrieving service providers for Neutron advanced services' },
];

const UPDATED = '2024-01-01T00:00:00-00:00';

function extensionView(e: Extension) {
  return { alias: e.alias, name: e.name, description: e.description, updated: UPDATED, links: [] };
}

export function registerDiscoveryRoutes(app: FastifyInstance, ctx: NetworkApiContext): void {
  app.get('/', { config: { public: true } }, async (request) => ({
    versions: [{
      id: 'v2.0',
      status: 'CURRENT',
      links: [{ href: `${baseUrl(request)}${ctx.prefix}/v2.0/`, rel: 'self' }],
    }],
  }));

  app.get('/v2.0', { config: { public: true } }, async (request) => {
    const base = `${baseUrl(request)}${ctx.prefix}/v2.0`;
    return {
      resources: [
        ['network', 'networks'], ['subnet', 'subnets'], ['port', 'ports'], ['trunk', 'trunks'], ['router', 'routers'], ['floatingip', 'floatingips'],
        ['subnetpool', 'subnetpools'], ['address_scope', 'address-scopes'],
      ].map(([name, collection]) => ({
        name, collection, links: [{ href: `${base}/${collection}`, rel: 'self' }],
      })),
    };
  });

  app.get('/v2.0/extensions', async () => ({ extensions: EXTENSIONS.map(extensionView) }));

  app.get('/v2.0/extensions/:alias', async (request) => {
    const { alias } = request.params as { alias: string };
    const ext = EXTENSIONS.find((e) => e.alias === alias);
    if (!ext) throw new NotFound(`Extension with alias ${alias} does not exist`, { type: 'ExtensionNotFound' });
    return { extension: extensionView(ext) };
  });
}
