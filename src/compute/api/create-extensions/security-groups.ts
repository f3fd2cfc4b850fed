import type { CreateExtension } from './extension.js';

export const securityGroups: CreateExtension = {
  name: 'security_groups',
  extend(body, args) {
    const groups = (body.server.security_groups as Array<{ name?: string }> | undefined)?.map((g) => g.name).filter((n): n is string => !!n);
    args.securityGroups = groups && groups.length > 0 ? [...new Set(groups)] : ['default'];
  },
};
