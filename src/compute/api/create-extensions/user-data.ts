import { BadRequest } from '../../../errors.js';
import type { CreateExtension } from './extension.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const userData: CreateExtension = {
  name: 'user_data',
  extend(body, args) {
    const ud = body.server.user_data;
    if (ud === undefined || ud === null) return;
    if (!BASE64.test(String(ud).replace(/\s+/g, ''))) throw new BadRequest('User data needs to be valid base 64.');
    args.userData = ud;
  },
};
