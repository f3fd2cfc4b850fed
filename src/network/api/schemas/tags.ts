/** PUT /{resources}/{id}/tags: the whole set of a resource's tags. */
import { tags } from './common.js';

export const tagsReplace = {
  type: 'object',
  properties: { tags },
  required: ['tags'],
  additionalProperties: true,
  'x-readOnly': [],
} as const;
