import type { CreateExtension } from './extension.js';

export const schedulerHints: CreateExtension = {
  name: 'scheduler_hints',
  extend(body, args) {
    args.schedulerHints = { ...(body['OS-SCH-HNT:scheduler_hints'] ?? {}), ...(body['os:scheduler_hints'] ?? {}) };
  },
};
