/** An image API on its own (SQLite, a temp file store, the fixed test tokens) for app.inject tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { syncDatabase } from '../../src/db/migrate.js';
import { createHttpServer } from '../../src/http/server.js';
import type { TokenValidator } from '../../src/http/auth.js';
import { imageApi } from '../../src/image/api/routes.js';
import { imageMigrations } from '../../src/image/migrations.js';
import { ImageService, type ImageServiceOptions } from '../../src/image/service.js';
import { FileImageStore } from '../../src/image/store/file/store.js';
import { staticTokens } from '../helpers/auth.js';
import { testLogger } from '../helpers/logger.js';

export interface ImageTestApp {
  app: FastifyInstance;
  images: ImageService;
  store: FileImageStore;
  storeDir: string;
  db: DatabaseHandle;
  close(): Promise<void>;
}

/** `tokens` replaces the fixed test tokens (for tests that need more projects than TEST_AUTH has). */
export async function startImageApp(extra: Partial<ImageServiceOptions> = {}, tokens: TokenValidator = staticTokens): Promise<ImageTestApp> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-image-api-'));
  const db = openDatabase(`sqlite:///${dir}/image.db`);
  await syncDatabase(db.db, [imageMigrations]);
  const storeDir = path.join(dir, 'images');
  const store = new FileImageStore(storeDir);
  const images = new ImageService({ db: db.db, store, logger: testLogger, ...extra });
  const app = createHttpServer({ logger: testLogger });
  await app.register(imageApi, { prefix: '/image', images, tokens });
  await app.ready();
  return {
    app, images, store, storeDir, db,
    async close() {
      await app.close();
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
