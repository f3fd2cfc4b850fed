#!/usr/bin/env node
// Bundles the kilonova command. Node 20 spends most of a cold start resolving
// and loading hundreds of small ESM files (Kysely alone ships several
// hundred); a bundle loads in a fraction of that. It is split along the
// command's dynamic imports (src/cli/main.ts, src/cli/roles/service.ts): the
// entry stays dist/kilonova.mjs, and each role loads only the chunks it
// imports, so a compute process never evaluates the database layer, the HTTP
// server or the services' APIs. Native and optional packages stay external.
// pino is bundled too: loaded from node_modules it is some thirty CommonJS
// files that every process resolves one by one at start (about 1 MB of an
// idle compute process); Kilonova uses no pino transports, the one part of
// pino (its worker threads) that needs its files on disk.
import fs from 'node:fs';
import { build } from 'esbuild';

const CHUNKS = 'dist/cli-chunks';
// Chunk names carry a content hash: a build leaves the previous build's behind unless they go first.
fs.rmSync(CHUNKS, { recursive: true, force: true });

const result = await build({
  entryPoints: { kilonova: 'src/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'cli-chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  metafile: process.env.KILONOVA_BUNDLE_METAFILE !== undefined,
  external: ['better-sqlite3', 'pg-native', 'pino-pretty'],
  // CommonJS dependencies (fastify, ajv) call require() for Node builtins.
  banner: { js: "import { createRequire as __kilonovaCreateRequire } from 'node:module'; const require = __kilonovaCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
if (result.metafile) fs.writeFileSync(process.env.KILONOVA_BUNDLE_METAFILE, JSON.stringify(result.metafile));
