/**
 * A compute host reaches its records only through its ComputeHostStore: the
 * modules it runs (the manager, its tasks, the resource tracker) load no
 * database code, so a compute process of its own can run without one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Every module `entry` loads, following its static imports (relative ones as files, the rest by package name). */
function importGraph(entry: string): { modules: Set<string>; packages: Set<string> } {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (modules.has(file)) return;
    modules.add(file);
    const text = fs.readFileSync(file, 'utf8');
    // Type-only imports are gone from the compiled JavaScript, so every import left is loaded at run time.
    for (const m of text.matchAll(/^\s*(?:import|export)\s+(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) {
      const spec = m[1];
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  };
  visit(path.join(SRC, entry));
  return { modules, packages };
}

test('the compute manager, its tasks and its resource tracker load no database code', () => {
  const { modules, packages } = importGraph('compute/manager.js');
  const rel = [...modules].map((m) => path.relative(SRC, m));
  assert.ok(rel.includes(path.join('compute', 'tasks', 'build-and-run-instance.js')), 'the walk reaches the tasks');
  assert.ok(rel.includes(path.join('compute', 'resource-tracker.js')), 'the walk reaches the resource tracker');
  const databaseModules = rel.filter((m) => m.startsWith(`db${path.sep}`) || m.includes(`${path.sep}db${path.sep}`) || /-store\.js$/.test(m) || m.endsWith(path.join('host-objects', 'database.js')));
  assert.deepEqual(databaseModules, []);
  assert.deepEqual([...packages].filter((p) => ['kysely', 'pg', 'better-sqlite3'].includes(p)), []);
});

test('nor the HTTP server: no Fastify, no src/http module', () => {
  const { modules, packages } = importGraph('compute/manager.js');
  const http = [...modules].map((m) => path.relative(SRC, m)).filter((m) => m.startsWith(`http${path.sep}`));
  assert.deepEqual(http, []);
  assert.ok(!packages.has('fastify'), 'fastify is not loaded');
});
