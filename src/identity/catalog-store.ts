/**
 * Regions, services and endpoints made through the API. The built-in catalog
 * (catalog.ts) stays derived from the public URL and is not stored; this store
 * holds what operators add beside it, and the service merges the two.
 */
import type { Selectable } from 'kysely';
import { BadRequest, Conflict, NotFound } from '../errors.js';
import { isUniqueViolation, nowIso } from '../db/schema-helpers.js';
import { newId, parseObject } from './model.js';
import type { EndpointRow, IdentityDb, RegionRow, ServiceRow } from './tables.js';

export interface Region {
  id: string;
  description: string;
  parentRegionId: string | null;
  extra: Record<string, unknown>;
}

export interface CatalogServiceRecord {
  id: string;
  type: string;
  enabled: boolean;
  /** name, description and whatever else the client sent. */
  extra: Record<string, unknown>;
}

export interface EndpointRecord {
  id: string;
  serviceId: string;
  interface: 'public' | 'internal' | 'admin';
  regionId: string | null;
  url: string;
  enabled: boolean;
  extra: Record<string, unknown>;
}

const toRegion = (r: Selectable<RegionRow>): Region => ({
  id: r.id, description: r.description, parentRegionId: r.parent_region_id, extra: parseObject(r.extra),
});
const toService = (r: Selectable<ServiceRow>): CatalogServiceRecord => ({
  id: r.id, type: r.type, enabled: r.enabled === 1, extra: parseObject(r.extra),
});
const toEndpoint = (r: Selectable<EndpointRow>): EndpointRecord => ({
  id: r.id, serviceId: r.service_id, interface: r.interface as EndpointRecord['interface'], regionId: r.region_id,
  url: r.url, enabled: r.enabled === 1, extra: parseObject(r.extra),
});

export class CatalogStore {
  constructor(private readonly db: IdentityDb) {}

  // -- regions

  async getRegion(id: string): Promise<Region | undefined> {
    const r = await this.db.selectFrom('identity_regions').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRegion(r);
  }

  async listRegions(filter: { parentRegionId?: string } = {}): Promise<Region[]> {
    let q = this.db.selectFrom('identity_regions').selectAll().orderBy('id');
    if (filter.parentRegionId !== undefined) q = q.where('parent_region_id', '=', filter.parentRegionId);
    return (await q.execute()).map(toRegion);
  }

  /** Makes the region unless it exists (the configured region, at every start). */
  async ensureRegion(id: string, description: string): Promise<void> {
    if (await this.getRegion(id)) return;
    try {
      await this.db.insertInto('identity_regions').values({ id, description, parent_region_id: null, extra: '{}', created_at: nowIso() }).execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }

  async createRegion(input: Omit<Region, 'id'> & { id?: string }): Promise<Region> {
    const id = input.id ?? newId();
    if (await this.getRegion(id)) throw new Conflict(`Conflict occurred attempting to store region - Duplicate ID, ${id}.`);
    if (input.parentRegionId !== null && !(await this.getRegion(input.parentRegionId))) {
      throw new NotFound(`Could not find region: ${input.parentRegionId}.`);
    }
    try {
      await this.db.insertInto('identity_regions').values({
        id, description: input.description, parent_region_id: input.parentRegionId, extra: JSON.stringify(input.extra), created_at: nowIso(),
      }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Conflict occurred attempting to store region - Duplicate ID, ${id}.`);
      throw err;
    }
    return (await this.getRegion(id))!;
  }

  async updateRegion(id: string, patch: Partial<Omit<Region, 'id'>>): Promise<Region> {
    const current = await this.getRegion(id);
    if (!current) throw new NotFound(`Could not find region: ${id}.`);
    const parent = patch.parentRegionId === undefined ? current.parentRegionId : patch.parentRegionId;
    if (parent !== null && parent !== current.parentRegionId) {
      if (!(await this.getRegion(parent))) throw new NotFound(`Could not find region: ${parent}.`);
      // Keystone refuses a parent that would make the tree a cycle.
      for (let at: string | null = parent, hops = 0; at !== null && hops < 1000; hops++) {
        if (at === id) throw new BadRequest(`Circular reference or a repeated entry found in region tree - ${id}.`);
        at = (await this.getRegion(at))?.parentRegionId ?? null;
      }
    }
    await this.db.updateTable('identity_regions').set({
      description: patch.description ?? current.description,
      parent_region_id: parent,
      extra: JSON.stringify({ ...current.extra, ...(patch.extra ?? {}) }),
    }).where('id', '=', id).execute();
    return (await this.getRegion(id))!;
  }

  /** Deletes the region; refused while endpoints or child regions use it. */
  async deleteRegion(id: string): Promise<void> {
    if (!(await this.getRegion(id))) throw new NotFound(`Could not find region: ${id}.`);
    const child = await this.db.selectFrom('identity_regions').select('id').where('parent_region_id', '=', id).executeTakeFirst();
    const endpoint = await this.db.selectFrom('identity_endpoints').select('id').where('region_id', '=', id).executeTakeFirst();
    if (child || endpoint) throw new Conflict(`Conflict occurred attempting to delete region - region ${id} is still in use.`);
    await this.db.deleteFrom('identity_regions').where('id', '=', id).execute();
  }

  // -- services

  async getService(id: string): Promise<CatalogServiceRecord | undefined> {
    const r = await this.db.selectFrom('identity_services').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toService(r);
  }

  async listServices(): Promise<CatalogServiceRecord[]> {
    return (await this.db.selectFrom('identity_services').selectAll().orderBy('created_at').orderBy('id').execute()).map(toService);
  }

  async createService(input: Omit<CatalogServiceRecord, 'id'>): Promise<CatalogServiceRecord> {
    const id = newId();
    await this.db.insertInto('identity_services').values({
      id, type: input.type, enabled: input.enabled ? 1 : 0, extra: JSON.stringify(input.extra), created_at: nowIso(),
    }).execute();
    return (await this.getService(id))!;
  }

  async updateService(id: string, patch: Partial<Omit<CatalogServiceRecord, 'id'>>): Promise<CatalogServiceRecord> {
    const current = await this.getService(id);
    if (!current) throw new NotFound(`Could not find service: ${id}.`);
    await this.db.updateTable('identity_services').set({
      type: patch.type ?? current.type,
      enabled: (patch.enabled ?? current.enabled) ? 1 : 0,
      extra: JSON.stringify({ ...current.extra, ...(patch.extra ?? {}) }),
    }).where('id', '=', id).execute();
    return (await this.getService(id))!;
  }

  /** Deletes the service and its endpoints, as Keystone does. */
  async deleteService(id: string): Promise<void> {
    const deleted = await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('identity_endpoints').where('service_id', '=', id).execute();
      const r = await tx.deleteFrom('identity_services').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
    if (!deleted) throw new NotFound(`Could not find service: ${id}.`);
  }

  // -- endpoints

  async getEndpoint(id: string): Promise<EndpointRecord | undefined> {
    const r = await this.db.selectFrom('identity_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toEndpoint(r);
  }

  async listEndpoints(): Promise<EndpointRecord[]> {
    return (await this.db.selectFrom('identity_endpoints').selectAll().orderBy('created_at').orderBy('id').execute()).map(toEndpoint);
  }

  async createEndpoint(input: Omit<EndpointRecord, 'id'>): Promise<EndpointRecord> {
    const id = newId();
    await this.db.insertInto('identity_endpoints').values({
      id, service_id: input.serviceId, interface: input.interface, region_id: input.regionId, url: input.url,
      enabled: input.enabled ? 1 : 0, extra: JSON.stringify(input.extra), created_at: nowIso(),
    }).execute();
    return (await this.getEndpoint(id))!;
  }

  async updateEndpoint(id: string, patch: Partial<Omit<EndpointRecord, 'id'>>): Promise<EndpointRecord> {
    const current = await this.getEndpoint(id);
    if (!current) throw new NotFound(`Could not find endpoint: ${id}.`);
    await this.db.updateTable('identity_endpoints').set({
      service_id: patch.serviceId ?? current.serviceId,
      interface: patch.interface ?? current.interface,
      region_id: patch.regionId === undefined ? current.regionId : patch.regionId,
      url: patch.url ?? current.url,
      enabled: (patch.enabled ?? current.enabled) ? 1 : 0,
      extra: JSON.stringify({ ...current.extra, ...(patch.extra ?? {}) }),
    }).where('id', '=', id).execute();
    return (await this.getEndpoint(id))!;
  }

  async deleteEndpoint(id: string): Promise<void> {
    const r = await this.db.deleteFrom('identity_endpoints').where('id', '=', id).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw new NotFound(`Could not find endpoint: ${id}.`);
  }
}
