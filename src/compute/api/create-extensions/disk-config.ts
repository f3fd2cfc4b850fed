import type { CreateExtension } from './extension.js';

/** OS-DCF:diskConfig (the schema allows only AUTO and MANUAL). */
export const diskConfig: CreateExtension = {
  name: 'disk_config',
  extend(body, args) {
    const value = body.server['OS-DCF:diskConfig'] as 'AUTO' | 'MANUAL' | undefined;
    if (value !== undefined) args.autoDiskConfig = value === 'AUTO';
  },
};
