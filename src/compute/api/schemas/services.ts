/** Request schemas for PUT /os-services, per microversion as Nova defines them. */
import { booleanParam } from './flavors.js';

const host = { type: 'string', minLength: 1, maxLength: 255 };
const binary = { type: 'string', minLength: 1, maxLength: 255 };
const reason = { type: 'string', minLength: 1, maxLength: 255 };

/** 2.1–2.10: PUT /os-services/{enable,disable,disable-log-reason} with host and binary. */
export const serviceActionV21 = {
  type: 'object',
  properties: { host, binary, disabled_reason: reason },
  required: ['host', 'binary'],
  additionalProperties: false,
};

/** 2.11–2.52: adds force-down. */
export const serviceActionV211 = {
  type: 'object',
  properties: { host, binary, disabled_reason: reason, forced_down: booleanParam },
  required: ['host', 'binary'],
  additionalProperties: false,
};

/** 2.53+: PUT /os-services/{uuid}. */
export const serviceUpdateV253 = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['enabled', 'disabled'] }, disabled_reason: reason, forced_down: booleanParam },
  additionalProperties: false,
};

export interface ServiceActionBody {
  host: string;
  binary: string;
  disabled_reason?: string;
  forced_down?: boolean | string;
}

export interface ServiceUpdateBody {
  status?: 'enabled' | 'disabled';
  disabled_reason?: string;
  forced_down?: boolean | string;
}

export const SERVICE_INDEX_QUERY = ['host', 'binary'] as const;
