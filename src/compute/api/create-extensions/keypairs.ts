import type { CreateExtension } from './extension.js';

export const keypairs: CreateExtension = {
  name: 'keypairs',
  extend(body, args) {
    if (body.server.key_name !== undefined) args.keyName = body.server.key_name;
  },
};
