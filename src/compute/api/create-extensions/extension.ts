import type { APIVersion } from '../../../http/microversion.js';
import type { CreateOptions } from '../../create-options.js';

/** The validated request body of POST /servers. */
export interface CreateBody {
  server: Record<string, any>;
  'os:scheduler_hints'?: Record<string, unknown>;
  'OS-SCH-HNT:scheduler_hints'?: Record<string, unknown>;
}

/**
 * A create extension point (Nova's server create extensions): each reads its
 * part of the request and adds it to the create arguments.
 */
export interface CreateExtension {
  readonly name: string;
  extend(body: CreateBody, args: CreateOptions, version: APIVersion): void;
}

export function parseBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  return ['true', '1', 'yes', 'on', 't', 'y'].includes(String(v).toLowerCase());
}
