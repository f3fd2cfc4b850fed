import { parseBool, type CreateExtension } from './extension.js';

export const configDrive: CreateExtension = {
  name: 'config_drive',
  extend(body, args) {
    if (body.server.config_drive !== undefined) args.configDrive = parseBool(body.server.config_drive);
  },
};
