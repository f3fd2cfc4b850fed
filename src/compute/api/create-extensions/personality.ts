import type { CreateExtension } from './extension.js';

/** personality (the schema admits it only before 2.57, each file a path and base64 contents). */
export const personality: CreateExtension = {
  name: 'personality',
  extend(body, args) {
    const files = body.server.personality as Array<{ path?: string; contents?: string }> | undefined;
    if (files && files.length > 0) args.injectedFiles = files.map((f) => ({ path: f.path ?? '', contents: f.contents ?? '' }));
  },
};
