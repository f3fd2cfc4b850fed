/** The body of PUT /v3/projects/{id}/tags (keystone/resource/schema.py project_tags_update). */
export const TAG_PATTERN = '^[^,/]*$';

export const tag = { type: 'string', minLength: 1, maxLength: 255, pattern: TAG_PATTERN } as const;

export const projectTagsUpdate = {
  type: 'object',
  properties: { tags: { type: 'array', items: tag, maxItems: 80 } },
  required: ['tags'],
  additionalProperties: false,
} as const;
