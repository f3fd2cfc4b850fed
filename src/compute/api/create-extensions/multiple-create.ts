import { BadRequest } from '../../../errors.js';
import { parseBool, type CreateExtension } from './extension.js';

export const multipleCreate: CreateExtension = {
  name: 'multiple_create',
  extend(body, args) {
    const min = body.server.min_count !== undefined ? Number(body.server.min_count) : 1;
    const max = body.server.max_count !== undefined ? Number(body.server.max_count) : min;
    if (min > max) throw new BadRequest(`min_count: ${min} must be <= max_count: ${max}`);
    args.minCount = min;
    args.maxCount = max;
    if (body.server.return_reservation_id !== undefined) args.returnReservationId = parseBool(body.server.return_reservation_id);
  },
};
