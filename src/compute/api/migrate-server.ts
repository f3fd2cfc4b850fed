/**
 * The os-migrateLive and evacuate server actions: each body validated with
 * the schema of its microversion (2.25 'auto' and no disk_over_commit, 2.30
 * force, 2.68 force gone; evacuate 2.14 without onSharedStorage, 2.29 force,
 * 2.68 force gone), then ComputeAPI.moves.
 */
import { randomBytes } from 'node:crypto';
import { BadRequest } from '../../errors.js';
import { validate } from '../../http/validation.js';
import type { ActionHandler } from './server-actions.js';
import { novaBooleanValue } from './schemas/server-actions.js';
import {
  evacuateSchema, evacuateV214Schema, evacuateV229Schema, migrateLiveSchema, migrateLiveV225Schema, migrateLiveV230Schema,
} from './schemas/migrate-server.js';

const generatePassword = () => randomBytes(9).toString('base64url').slice(0, 12);

export const MIGRATE_SERVER_ACTIONS: Record<string, ActionHandler> = {
  'os-migrateLive': {
    async handle(a) {
      const v = a.request.apiVersion;
      const forceAllowed = v.atLeast('2.30') && !v.atLeast('2.68');
      validate(!v.atLeast('2.25') ? migrateLiveSchema : forceAllowed ? migrateLiveV230Schema : migrateLiveV225Schema, a.body);
      const arg = a.arg as { block_migration: boolean | string; host: string | null; force?: boolean | string };
      let force: boolean | null = null;
      if (v.atLeast('2.30')) {
        force = arg.force === undefined ? false : novaBooleanValue(arg.force);
        if (force && !arg.host) throw new BadRequest("Can't force to a non-provided destination");
      }
      const blockMigration = arg.block_migration === 'auto' ? null : novaBooleanValue(arg.block_migration);
      await a.deps.computeApi.moves.liveMigrate(a.request.auth, a.rid, a.id, { host: arg.host ?? null, blockMigration, force, async: v.atLeast('2.34') });
      return a.reply.code(202).send();
    },
  },
  evacuate: {
    async handle(a) {
      const v = a.request.apiVersion;
      const forceAllowed = v.atLeast('2.29') && !v.atLeast('2.68');
      validate(!v.atLeast('2.14') ? evacuateSchema : forceAllowed ? evacuateV229Schema : evacuateV214Schema, a.body);
      const arg = a.arg as { host?: string; onSharedStorage?: boolean | string; adminPass?: string; force?: boolean | string };
      let force: boolean | null = null;
      if (v.atLeast('2.29')) {
        force = arg.force === undefined ? false : novaBooleanValue(arg.force);
        if (force && !arg.host) throw new BadRequest("Can't force to a non-provided destination");
      }
      let adminPass: string | null;
      if (v.atLeast('2.14')) {
        adminPass = arg.adminPass ?? generatePassword();
      } else {
        const shared = novaBooleanValue(arg.onSharedStorage);
        if (arg.adminPass !== undefined && shared) throw new BadRequest("admin password can't be changed on existing disk");
        adminPass = arg.adminPass ?? (shared ? null : generatePassword());
      }
      await a.deps.computeApi.moves.evacuate(a.request.auth, a.rid, a.id, { host: arg.host ?? null, force, adminPass });
      // Nova answers 200; before 2.14 with the password when the deployment shows passwords.
      if (!v.atLeast('2.14') && a.deps.conf.api.enable_instance_password) return a.reply.code(200).send({ adminPass });
      return a.reply.code(200).send();
    },
  },
};
