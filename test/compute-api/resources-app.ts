/**
 * A compute API with the routes of src/compute/api/compute-resources.ts (and
 * /limits), Nova's real policy defaults, static tokens for admin, member,
 * reader and another project, and a ComputeAPI that only looks servers up.
 */
import { loadConfig, type Overrides } from '../../src/conf/loader.js';
import { syncDatabase } from '../../src/db/migrate.js';
import { createHttpServer } from '../../src/http/server.js';
import { ComputeAPI, type ComputeApiDepsCore } from '../../src/compute/api.js';
import type { ComputeApiDeps } from '../../src/compute/api/deps.js';
import { registerComputeResourceRoutes } from '../../src/compute/api/compute-resources.js';
import { registerLimitsRoutes } from '../../src/compute/api/limits.js';
import { applyComputeScope } from '../../src/compute/api/routes.js';
import { computeMigrations } from '../../src/compute/db/migrations.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import { PolicyEnforcer } from '../../src/policy/enforcer.js';
import { computePolicyDefaults } from '../../src/policy/defaults/compute.js';
import type { DatabaseTarget } from '../helpers/databases.js';
import { staticTokens } from '../helpers/auth.js';
import { testLogger } from '../helpers/logger.js';
import type { TestApi } from './app.js';

export async function buildResourcesApi(target: DatabaseTarget, overrides: Overrides = {}, compute?: Partial<ComputeApiDepsCore['compute']>): Promise<TestApi> {
  const handle = await target.open();
  await syncDatabase(handle.db, [computeMigrations]);
  const db = handle.db as ComputeDb;
  const conf = loadConfig({ env: {}, overrides });
  const policy = new PolicyEnforcer(computePolicyDefaults);
  // These routes reach ComputeAPI for server lookup and policy, and the compute host (given here) for diagnostics.
  const computeApi = new ComputeAPI({ db, conf, policy, logger: testLogger, compute } as unknown as ComputeApiDepsCore);
  const deps: ComputeApiDeps = {
    db, conf, policy, tokens: staticTokens, logger: testLogger, computeApi,
    // These routes reach neither the image nor the network service.
    images: {} as ComputeApiDeps['images'], network: {} as ComputeApiDeps['network'],
  };
  const app = createHttpServer({ logger: testLogger });
  await app.register(async (scope) => {
    applyComputeScope(scope, deps);
    await scope.register(async (v21) => {
      registerLimitsRoutes(v21, deps);
      registerComputeResourceRoutes(v21, deps);
    }, { prefix: '/v2.1' });
  }, { prefix: '/compute' });
  await app.ready();
  return {
    app, db, conf,
    async close() {
      await app.close();
      await handle.dispose();
    },
  };
}
