import { BadRequest } from '../../../errors.js';
import type { CreateExtension } from './extension.js';

export const blockDeviceMapping: CreateExtension = {
  name: 'block_device_mapping',
  extend(body, args) {
    if (body.server.block_device_mapping !== undefined && body.server.block_device_mapping_v2 !== undefined) {
      throw new BadRequest('Using different block_device_mapping syntaxes is not allowed in the same request.');
    }
    if (body.server.block_device_mapping?.length) {
      // The legacy syntax only ever described volumes.
      args.blockDeviceMappings = body.server.block_device_mapping.map(() => ({ source_type: 'volume', destination_type: 'volume' }));
    }
    if (body.server.block_device_mapping_v2) args.blockDeviceMappings = body.server.block_device_mapping_v2;
  },
};
