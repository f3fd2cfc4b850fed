/**
 * Placement over its HTTP API, for a process that does not run it (Nova's
 * nova/scheduler/client/report.py). Writes that race on a resource provider's
 * generation are read again and retried, as report.py's @retries does; a
 * consumer generation conflict is the caller's to handle and is raised.
 */
import { BadRequest, Conflict, NotFound } from '../../errors.js';
import type { AllocationRequest, PlacementClient, Resources } from '../clients.js';
import type { KeystoneSession, SessionRequest } from './keystone-session.js';

/** report.py tries a generation-conflicted write this many times in all. */
const MAX_ATTEMPTS = 4;
const CONCURRENT_UPDATE = 'placement.concurrent_update';

type Inventories = Record<string, { total: number; reserved?: number; min_unit?: number; max_unit?: number; step_size?: number; allocation_ratio?: number }>;

interface RestProvider {
  uuid: string;
  name: string;
  generation: number;
  parent_provider_uuid?: string | null;
  root_provider_uuid?: string;
}

function provider(p: RestProvider) {
  return { uuid: p.uuid, name: p.name, generation: p.generation, parentProviderUuid: p.parent_provider_uuid ?? null, rootProviderUuid: p.root_provider_uuid ?? p.uuid };
}

function isConcurrentUpdate(err: unknown): err is Conflict {
  return err instanceof Conflict && err.type === CONCURRENT_UPDATE;
}

export class HttpPlacementClient implements PlacementClient {
  constructor(private readonly session: KeystoneSession) {}

  /** One placement call at a microversion (each call names the one it needs, as report.py does). */
  private async call<T>(version: string, req: Omit<SessionRequest, 'service'>): Promise<T> {
    const res = await this.session.request('placement', {
      ...req, service: 'placement', headers: { ...req.headers, 'openstack-api-version': `placement ${version}` },
    });
    if (res.status === 204) {
      await res.drain();
      return undefined as T;
    }
    return res.json() as Promise<T>;
  }

  /** report.py's _ensure_resource_provider: read it, else create it; another creator winning is no failure. */
  async ensureResourceProvider(rp: { uuid: string; name: string }): Promise<unknown> {
    const path = `/resource_providers/${encodeURIComponent(rp.uuid)}`;
    const existing = await this.call<RestProvider>('1.14', { path }).catch((err: unknown) => {
      if (err instanceof NotFound) return undefined;
      throw err;
    });
    if (existing) return provider(existing);
    try {
      return provider(await this.call<RestProvider>('1.20', { method: 'POST', path: '/resource_providers', json: { uuid: rp.uuid, name: rp.name } }));
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
      return provider(await this.call<RestProvider>('1.14', { path }));
    }
  }

  /** report.py's set_inventory_for_provider: PUT with the generation just read, read again on a conflict. */
  async setInventories(rpUuid: string, inventories: Inventories): Promise<unknown> {
    const path = `/resource_providers/${encodeURIComponent(rpUuid)}/inventories`;
    return this.retryingGenerations(async () => {
      const current = await this.call<{ resource_provider_generation: number }>('1.26', { path });
      const body = await this.call<{ resource_provider_generation: number; inventories: Record<string, unknown> }>('1.26', {
        method: 'PUT', path, json: { resource_provider_generation: current.resource_provider_generation, inventories },
      });
      return { generation: body.resource_provider_generation, inventories: body.inventories };
    });
  }

  async getAllocationCandidates(req: { resources: Resources; limit?: number }): Promise<{ allocationRequests: AllocationRequest[]; providerSummaries: Record<string, unknown> }> {
    const params = new URLSearchParams({ resources: Object.entries(req.resources).map(([rc, n]) => `${rc}:${n}`).join(',') });
    if (req.limit !== undefined) params.set('limit', String(req.limit));
    // 1.26: summaries name the requested classes only, as the in-process call gives them.
    const body = await this.call<{
      allocation_requests: Array<{ allocations: AllocationRequest['allocations'] }>;
      provider_summaries: Record<string, { resources: Record<string, { capacity: number; used: number }>; traits?: string[]; parent_provider_uuid?: string | null; root_provider_uuid?: string }>;
    }>('1.26', { path: `/allocation_candidates?${params.toString()}` });
    const providerSummaries: Record<string, unknown> = {};
    for (const [uuid, s] of Object.entries(body.provider_summaries)) {
      providerSummaries[uuid] = { resources: s.resources, traits: s.traits ?? [], parentProviderUuid: s.parent_provider_uuid ?? null, rootProviderUuid: s.root_provider_uuid ?? uuid };
    }
    return { allocationRequests: body.allocation_requests.map((a) => ({ allocations: a.allocations })), providerSummaries };
  }

  /**
   * report.py's claim_resources: PUT /allocations/{consumer}. False when a
   * provider lacks the capacity (or is unknown); a consumer generation
   * conflict is raised; a provider generation race is retried.
   */
  async claimResources(req: { consumerUuid: string; allocations: AllocationRequest['allocations']; projectId: string; userId: string; consumerGeneration?: number | null }): Promise<boolean> {
    const checked = req.consumerGeneration !== undefined;
    const body: Record<string, unknown> = { allocations: req.allocations, project_id: req.projectId, user_id: req.userId };
    if (checked) body.consumer_generation = req.consumerGeneration;
    try {
      await this.retryingGenerations(() => this.call(checked ? '1.28' : '1.27', { method: 'PUT', path: `/allocations/${encodeURIComponent(req.consumerUuid)}`, json: body }), (err) => !/consumer generation/i.test(err.message));
      return true;
    } catch (err) {
      if (isConcurrentUpdate(err)) throw err;
      if (err instanceof Conflict || err instanceof BadRequest) return false;
      throw err;
    }
  }

  async deleteAllocations(consumerUuid: string): Promise<unknown> {
    try {
      await this.call('1.28', { method: 'DELETE', path: `/allocations/${encodeURIComponent(consumerUuid)}` });
      return true;
    } catch (err) {
      if (err instanceof NotFound) return false;
      throw err;
    }
  }

  async getAllocations(consumerUuid: string): Promise<{ allocations: Record<string, { resources: Resources }> }> {
    const body = await this.call<{ allocations: Record<string, { generation: number; resources: Resources }>; project_id?: string; user_id?: string; consumer_generation?: number }>('1.28', {
      path: `/allocations/${encodeURIComponent(consumerUuid)}`,
    });
    const out: { allocations: Record<string, { generation: number; resources: Resources }>; projectId?: string; userId?: string; consumerGeneration?: number } = { allocations: body.allocations };
    if (body.project_id !== undefined) out.projectId = body.project_id;
    if (body.user_id !== undefined) out.userId = body.user_id;
    if (body.consumer_generation !== undefined) out.consumerGeneration = body.consumer_generation;
    return out;
  }

  /** Runs a write again while placement says another writer changed a provider first. */
  private async retryingGenerations<T>(write: () => Promise<T>, retryable: (err: Conflict) => boolean = () => true): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        if (!isConcurrentUpdate(err) || !retryable(err) || attempt >= MAX_ATTEMPTS) throw err;
      }
    }
  }
}
