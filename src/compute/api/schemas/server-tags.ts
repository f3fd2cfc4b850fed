/** Request bodies of /servers/{id}/tags (Nova's schemas/server_tags.py). */
import { MAX_TAG_COUNT, TAG_PATTERN } from '../../tags.js';

export const tag = { type: 'string', minLength: 1, maxLength: 60, pattern: TAG_PATTERN } as const;

export const updateAllTags = {
  type: 'object',
  properties: { tags: { type: 'array', items: tag, maxItems: MAX_TAG_COUNT } },
  required: ['tags'],
  additionalProperties: false,
} as const;
