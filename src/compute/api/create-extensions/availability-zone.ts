import type { CreateExtension } from './extension.js';

export const availabilityZone: CreateExtension = {
  name: 'availability_zone',
  extend(body, args) {
    if (body.server.availability_zone !== undefined) args.availabilityZone = body.server.availability_zone;
  },
};
