import { randomUUID } from 'node:crypto';

/** The identity entities as the rest of the service sees them (rows decoded). */
export interface Domain {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
}

export interface Project {
  id: string;
  name: string;
  domainId: string;
  description: string;
  enabled: boolean;
  /** The parent project, or null when the domain is the parent. */
  parentId: string | null;
  tags: string[];
  /** Attributes Keystone keeps for a client without knowing them. */
  extra: Record<string, unknown>;
}

export interface User {
  id: string;
  name: string;
  domainId: string;
  enabled: boolean;
  defaultProjectId: string | null;
  /** description, email and other attributes a client sent. */
  extra: Record<string, unknown>;
}

export interface Role {
  id: string;
  name: string;
  description: string;
}

export interface RoleAssignment {
  userId: string;
  projectId: string;
  roleId: string;
}

export interface DomainInput {
  name: string;
  description?: string;
  enabled?: boolean;
}

export interface ProjectInput {
  name: string;
  domainId: string;
  parentId?: string | null;
  description?: string;
  enabled?: boolean;
  tags?: string[];
  extra?: Record<string, unknown>;
}

export interface UserInput {
  name: string;
  domainId: string;
  password?: string | null;
  enabled?: boolean;
  defaultProjectId?: string | null;
  extra?: Record<string, unknown>;
}

export interface RoleInput {
  name: string;
  description?: string;
}

/** Ids as Keystone makes them: a UUID's 32 hex digits. */
export function newId(): string {
  return randomUUID().replace(/-/g, '');
}

/** A stored JSON object column (extra attributes, blobs) read back; anything else reads as {}. */
export function parseObject(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
