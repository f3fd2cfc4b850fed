/**
 * One role per process (`kilonova api|conductor|scheduler|compute`), as Nova
 * runs in production: the processes meet only through the bus, the database
 * (api, conductor, scheduler) and the HTTP APIs. A compute process opens no
 * database: its records go through the conductor, image/network/placement
 * over HTTP as a service user.
 *
 * Each role's modules are imported when that role starts, so a process
 * evaluates only its own: a compute process never loads the database layer,
 * the HTTP server or any service's API (ARCHITECTURE.md, "What each process loads").
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../conf/options.js';
import { StartupError } from '../startup-error.js';
import type { Cleanups as CleanupsType } from './common.js';

export const SERVICE_ROLES = ['api', 'conductor', 'scheduler', 'compute'] as const;
export type ServiceRole = typeof SERVICE_ROLES[number];

export interface RunningService {
  /** What the ready line says after "Kilonova <role> ready". */
  summary: string;
  stop(): Promise<void>;
}

/** Separate processes share nothing in memory: memory:// would leave each alone on a bus of its own. */
function requireSharedBus(conf: Config, role: ServiceRole): void {
  if (conf.DEFAULT.transport_url.startsWith('memory:')) {
    throw new StartupError(`kilonova ${role} runs as a separate process and needs a shared bus: set [DEFAULT] transport_url to rabbit://... (memory:// is only for all-in-one)`);
  }
}

export async function startService(role: ServiceRole, conf: Config, logger: Logger): Promise<RunningService> {
  requireSharedBus(conf, role);
  const statePath = path.resolve(conf.DEFAULT.state_path);
  fs.mkdirSync(statePath, { recursive: true });
  const { Cleanups } = await import('./common.js');
  const cleanups: CleanupsType = new Cleanups(logger);
  try {
    const summary = role === 'compute'
      ? await (await import('./compute-process.js')).startComputeProcess(conf, statePath, logger, cleanups)
      : await (await import('./controller-process.js')).startControllerProcess(role, conf, statePath, logger, cleanups);
    return { summary, stop: cleanups.closeAll };
  } catch (err) {
    await cleanups.closeAll();
    throw err;
  }
}
