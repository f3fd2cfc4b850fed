/**
 * Serves only the identity API, for trying real clients (the openstack CLI)
 * against it: node dist/test/identity/serve-identity.js [port] [sqlite-url]
 */
import { createHttpServer } from '../../src/http/server.js';
import { openDatabase } from '../../src/db/database.js';
import { syncDatabase } from '../../src/db/migrate.js';
import { identityMigrations } from '../../src/identity/migrations.js';
import { IdentityService } from '../../src/identity/service.js';
import { identityApi } from '../../src/identity/api/routes.js';
import pino from 'pino';

const port = Number(process.argv[2] ?? 5050);
const url = process.argv[3] ?? 'sqlite:///tmp/kilonova-identity-serve.db';
const logger = pino({ level: process.env.KILONOVA_LOG ?? 'info' });
const handle = openDatabase(url);
await syncDatabase(handle.db, [identityMigrations]);
const identity = new IdentityService({ db: handle.db, logger, tokenExpirationSeconds: 3600, region: 'RegionOne' });
const { generated } = await identity.bootstrap({ adminPassword: process.env.ADMIN_PASSWORD ?? 'secret', demoPassword: 'demo-secret' });
if (generated.admin) logger.info(`admin password: ${generated.admin}`);
const app = createHttpServer({ logger });
await app.register(identityApi, { prefix: '/identity', identity });
await app.listen({ port, host: '127.0.0.1' });
identity.setPublicEndpoint(`http://127.0.0.1:${port}`);
logger.info(`identity at http://127.0.0.1:${port}/identity`);
