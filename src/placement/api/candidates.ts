/** GET /allocation_candidates (1.10): single-provider candidates for an unnumbered request group. */
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '../../errors.js';
import { MissingQueryValue } from '../errors.js';
import type { AllocationCandidatesQuery } from '../types.js';
import { allow, atLeast, since, versionOf, type PlacementRouteDeps } from './common.js';
import { requireKnownTraits } from './resource-providers.js';
import { placementQuery, validate } from '../../http/validation.js';
import { candidatesQuery, inTreeOf, many, parseMemberOf, parseRequired, parseResources, refuseNumberedGroups, single, type Query } from './schemas/queries.js';

export function registerCandidateRoutes(app: FastifyInstance, deps: PlacementRouteDeps): void {
  const { placement } = deps;

  app.get('/allocation_candidates', async (req) => {
    since(req, '1.10');
    allow(deps, req, 'placement:allocation_candidates:list');
    const q = req.query as Query;
    if (atLeast(req, '1.25')) refuseNumberedGroups(q);
    validate(candidatesQuery(versionOf(req)), q, placementQuery);
    const resourcesText = single(q, 'resources');
    if (resourcesText === undefined) throw new MissingQueryValue("Invalid query string parameters: 'resources' is a required property");
    const query: AllocationCandidatesQuery = { resources: parseResources(resourcesText), summarizeAllClasses: atLeast(req, '1.27') };
    const unknown = await placement.unknownResourceClasses(Object.keys(query.resources));
    if (unknown.length > 0) throw new BadRequest(`Invalid resource class in resources parameter: No such resource class ${unknown[0]}.`);

    const limit = single(q, 'limit');
    if (limit !== undefined) query.limit = Number(limit);
    const required = atLeast(req, '1.39') ? many(q, 'required') : [single(q, 'required')].filter((x): x is string => x !== undefined);
    if (required.length > 0) {
      query.required = parseRequired(required, { allowForbidden: atLeast(req, '1.22'), allowAnyOf: atLeast(req, '1.39') });
      await requireKnownTraits(deps, query.required);
    }
    const rootRequired = many(q, 'root_required');
    if (rootRequired.length > 0) {
      query.rootRequired = parseRequired(rootRequired, { allowForbidden: true, allowAnyOf: false });
      await requireKnownTraits(deps, query.rootRequired);
    }
    const memberOf = atLeast(req, '1.24') ? many(q, 'member_of') : [single(q, 'member_of')].filter((x): x is string => x !== undefined);
    if (memberOf.length > 0) query.memberOf = parseMemberOf(memberOf, atLeast(req, '1.32'));
    const inTree = inTreeOf(q);
    if (inTree !== undefined) query.inTree = inTree;
    // Its values are the schema's; only a repeat is left to refuse.
    single(q, 'group_policy');

    const result = await placement.getAllocationCandidates(query);
    const dictShape = atLeast(req, '1.12');
    const allocation_requests = result.allocationRequests.map((ar) => {
      const [rp] = Object.keys(ar.allocations);
      if (!dictShape) {
        return { allocations: Object.entries(ar.allocations).map(([uuid, a]) => ({ resource_provider: { uuid }, resources: a.resources })) };
      }
      return atLeast(req, '1.34') ? { allocations: ar.allocations, mappings: { '': [rp] } } : { allocations: ar.allocations };
    });
    const provider_summaries: Record<string, unknown> = {};
    for (const [uuid, s] of Object.entries(result.providerSummaries)) {
      const summary: Record<string, unknown> = { resources: s.resources };
      if (atLeast(req, '1.17')) summary.traits = s.traits;
      if (atLeast(req, '1.29')) {
        summary.parent_provider_uuid = s.parentProviderUuid;
        summary.root_provider_uuid = s.rootProviderUuid;
      }
      provider_summaries[uuid] = summary;
    }
    return { allocation_requests, provider_summaries };
  });
}
