import type { CreateExtension } from './extension.js';

export const accessIps: CreateExtension = {
  name: 'access_ips',
  extend(body, args) {
    if (body.server.accessIPv4 !== undefined) args.accessIPv4 = body.server.accessIPv4 || null;
    if (body.server.accessIPv6 !== undefined) args.accessIPv6 = body.server.accessIPv6 || null;
  },
};
