/** Response shapes of identity entities, as Keystone renders them. */
import type { CatalogService } from '../catalog.js';
import type { Domain, Project, Role, User } from '../model.js';
import type { TokenPayload } from '../token-format.js';

export function domainView(d: Domain, selfUrl: string): Record<string, unknown> {
  return { id: d.id, name: d.name, description: d.description, enabled: d.enabled, tags: [], options: {}, links: { self: selfUrl } };
}

export function projectView(p: Project, selfUrl: string): Record<string, unknown> {
  return {
    ...p.extra,
    id: p.id,
    name: p.name,
    domain_id: p.domainId,
    description: p.description,
    enabled: p.enabled,
    // Keystone's top-level projects have their domain as parent.
    parent_id: p.parentId ?? p.domainId,
    is_domain: false,
    tags: p.tags,
    options: {},
    links: { self: selfUrl },
  };
}

export function userView(u: User, selfUrl: string): Record<string, unknown> {
  const view: Record<string, unknown> = {
    ...u.extra,
    id: u.id,
    name: u.name,
    domain_id: u.domainId,
    enabled: u.enabled,
    password_expires_at: null,
    options: {},
    links: { self: selfUrl },
  };
  if (u.defaultProjectId) view.default_project_id = u.defaultProjectId;
  return view;
}

export function roleView(r: Role, selfUrl: string): Record<string, unknown> {
  return { id: r.id, name: r.name, domain_id: null, description: r.description, options: {}, links: { self: selfUrl } };
}

/** Keystone prints token times with microseconds. */
export function keystoneTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

export function tokenView(p: TokenPayload, catalog: CatalogService[] | undefined): Record<string, unknown> {
  const token: Record<string, unknown> = {
    methods: p.methods,
    user: {
      id: p.user.id,
      name: p.user.name,
      domain: { id: p.user.domainId, name: p.user.domainName },
      password_expires_at: null,
    },
    audit_ids: p.auditIds,
    expires_at: keystoneTime(p.expiresAt),
    issued_at: keystoneTime(p.issuedAt),
  };
  if (p.project) {
    token.project = { id: p.project.id, name: p.project.name, domain: { id: p.project.domainId, name: p.project.domainName } };
    token.is_domain = false;
    token.is_admin_project = p.isAdminProject;
    token.roles = p.roles.map((r) => ({ id: r.id, name: r.name }));
    if (catalog) token.catalog = catalog;
  }
  if (p.appCred) token.application_credential = { id: p.appCred.id, name: p.appCred.name, restricted: p.appCred.restricted };
  return { token };
}
