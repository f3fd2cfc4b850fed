/** Request bodies of os-quota-sets and os-quota-class-sets, per microversion (Nova's schemas/quota_sets.py, quota_classes.py). */
import { NETWORK_QUOTAS, PERSONALITY_QUOTAS, QUOTA_RESOURCES, type QuotaResource } from '../../quota.js';
import { booleanLike } from './common.js';

/** An integer or its digits; -1 is unlimited. Strings are range-checked by the controller, as schema bounds only bind numbers. */
const quotaValue = { type: ['integer', 'string'], pattern: '^-?[0-9]+$', minimum: -1, maximum: 0x7fffffff } as const;

function resources(dropped: readonly QuotaResource[], extra: Record<string, unknown>): Record<string, unknown> {
  const props: Record<string, unknown> = { ...extra };
  for (const r of QUOTA_RESOURCES) if (!dropped.includes(r)) props[r] = quotaValue;
  return props;
}

function body(key: string, props: Record<string, unknown>) {
  return {
    type: 'object',
    properties: { [key]: { type: 'object', properties: props, additionalProperties: false } },
    required: [key],
    additionalProperties: false,
  } as const;
}

// `networks` is accepted by the schema before 2.36 only so that it can be refused with Nova's own message.
const quotaSetV21 = body('quota_set', resources([], { force: booleanLike, networks: quotaValue }));
const quotaSetV236 = body('quota_set', resources(NETWORK_QUOTAS, { force: booleanLike }));
const quotaSetV257 = body('quota_set', resources([...NETWORK_QUOTAS, ...PERSONALITY_QUOTAS], { force: booleanLike }));

export function updateQuotaSetSchema(atLeast: (v: string) => boolean): object {
  return atLeast('2.57') ? quotaSetV257 : atLeast('2.36') ? quotaSetV236 : quotaSetV21;
}

const classV21 = body('quota_class_set', resources([], { networks: quotaValue }));
const classV250 = body('quota_class_set', resources(NETWORK_QUOTAS, {}));
const classV257 = body('quota_class_set', resources([...NETWORK_QUOTAS, ...PERSONALITY_QUOTAS], {}));

export function updateQuotaClassSchema(atLeast: (v: string) => boolean): object {
  return atLeast('2.57') ? classV257 : atLeast('2.50') ? classV250 : classV21;
}

/** The resources a response shows at this version (quota sets drop network ones at 2.36, classes at 2.50). */
export function shownResources(atLeast: (v: string) => boolean, networkDropVersion: string): QuotaResource[] {
  const dropped = [...(atLeast(networkDropVersion) ? NETWORK_QUOTAS : []), ...(atLeast('2.57') ? PERSONALITY_QUOTAS : [])];
  return QUOTA_RESOURCES.filter((r) => !dropped.includes(r));
}
