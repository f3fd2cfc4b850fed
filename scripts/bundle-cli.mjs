#!/usr/bin/env node
// Bundles the kilonova command into one file. Node 20 spends most of a cold
// start resolving and loading hundreds of small ESM files (Kysely alone ships
// several hundred); one bundle loads in a fraction of that. Native and
// optional packages stay external.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/kilonova.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  external: ['better-sqlite3', 'pg-native', 'pino', 'pino-pretty'],
  // CommonJS dependencies (fastify, ajv) call require() for Node builtins.
  banner: { js: "import { createRequire as __kilonovaCreateRequire } from 'node:module'; const require = __kilonovaCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
