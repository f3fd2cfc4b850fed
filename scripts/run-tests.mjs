#!/usr/bin/env node
/**
 * Runs every compiled test file under dist/test with node's built-in runner.
 * Node 20's `node --test` does not take a directory glob reliably, so the file
 * list is collected here and passed explicitly. Extra arguments narrow the run:
 * `node scripts/run-tests.mjs dist/test/image` runs only files under that path.
 * The functional files then run again against the services as separate
 * processes (KILONOVA_TEST_TOPOLOGY=services); files under test/virt (real
 * guests) run last, one at a time.
 */
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

function findTests(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTests(p));
    else if (entry.isFile() && entry.name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

function portAnswers(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** PostgreSQL runs on these machines; if it was stopped, start the installed cluster. */
async function ensurePostgres() {
  if (await portAnswers('127.0.0.1', 5432)) return;
  const hasCtl = spawnSync('sh', ['-c', 'command -v pg_ctlcluster'], { stdio: 'ignore' }).status === 0;
  if (!hasCtl || !fs.existsSync('/etc/postgresql')) {
    console.error('# PostgreSQL does not answer at 127.0.0.1:5432 and pg_ctlcluster is not installed');
    return;
  }
  for (const version of fs.readdirSync('/etc/postgresql')) {
    console.error(`# starting PostgreSQL ${version}/main`);
    spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'inherit' });
  }
  for (let i = 0; i < 50; i++) {
    if (await portAnswers('127.0.0.1', 5432)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  console.error('# PostgreSQL still does not answer at 127.0.0.1:5432');
}

const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/**
 * RabbitMQ runs on these machines for the rabbit:// bus tests. If it does not
 * answer, start the installed server; on CI (CI=true) install it first when it
 * is missing (Debian, as root). Elsewhere those tests skip and say why.
 */
async function ensureRabbit() {
  if (await portAnswers('127.0.0.1', 5672)) return;
  const ci = process.env.CI === 'true';
  if (!onPath('rabbitmq-server') && ci && process.getuid?.() === 0 && fs.existsSync('/etc/debian_version')) {
    console.error('# installing rabbitmq-server');
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    spawnSync('apt-get', ['install', '-y', 'rabbitmq-server'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  if (!onPath('rabbitmq-server')) {
    console.error(`# RabbitMQ does not answer at 127.0.0.1:5672 and is not installed${ci ? '' : '; the rabbit:// tests will be skipped'}`);
    return;
  }
  console.error('# starting RabbitMQ (rabbitmq-server -detached)');
  spawnSync('rabbitmq-server', ['-detached'], { stdio: 'inherit' });
  for (let i = 0; i < 300; i++) {
    if (await portAnswers('127.0.0.1', 5672)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  console.error('# RabbitMQ still does not answer at 127.0.0.1:5672');
}

/** Deletes the virtual hosts earlier runs' bus tests left (kn_test_<run pid>_<random>) whose run has ended. */
function dropTestVhosts() {
  if (!onPath('rabbitmqctl')) return;
  const list = spawnSync('rabbitmqctl', ['-q', 'list_vhosts', 'name'], { encoding: 'utf8', timeout: 60_000 });
  if (list.status !== 0) return;
  for (const name of list.stdout.split('\n').map((l) => l.trim())) {
    const owner = Number(/^kn_test_(\d+)_/.exec(name)?.[1]);
    if (!owner || alive(owner)) continue;
    spawnSync('rabbitmqctl', ['-q', 'delete_vhost', name], { stdio: 'ignore', timeout: 60_000 });
  }
}

/**
 * The data-layer suites each make a schema kn_test_<random> and leave it: dropping it while
 * other test files run broke their migrations (the migrator introspects every schema). They
 * are dropped here, before any test file runs.
 */
/** Whether a process of this id is running (a test run that may still own its schemas). */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Drops the PostgreSQL schemas earlier runs left (kn_test_<run pid>_<random>): only
 * those whose run has ended, so two test runs on one machine leave each other alone.
 */
async function dropTestSchemas() {
  if (!(await portAnswers('127.0.0.1', 5432))) return;
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: process.env.KILONOVA_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test' });
  try {
    await client.connect();
    const { rows } = await client.query("select nspname from pg_namespace where nspname like 'kn\\_test\\_%'");
    for (const { nspname } of rows) {
      const owner = Number(/^kn_test_(\d+)_/.exec(nspname)?.[1]);
      if (owner && alive(owner)) continue;
      await client.query(`drop schema if exists "${nspname}" cascade`);
    }
  } catch (err) {
    console.error(`# could not drop leftover test schemas: ${err.message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ['dist/test']).flatMap((r) =>
  fs.existsSync(r) && fs.statSync(r).isFile() ? [r] : findTests(r));
if (files.length === 0) {
  console.error('no compiled test files found under', roots.length ? roots.join(' ') : 'dist/test', '(run `npm run build` first)');
  process.exit(1);
}

await ensurePostgres();
await dropTestSchemas();
await ensureRabbit();
dropTestVhosts();

const concurrency = process.env.KILONOVA_TEST_CONCURRENCY ?? '2';
// TAP everywhere (a terminal would otherwise get the spec reporter), so the
// summary is always the `# pass N` / `# fail N` lines tools look for.
const reporter = process.env.KILONOVA_TEST_REPORTER ?? 'tap';

// Tests of the virt drivers run one file at a time, after the rest: real
// guests share the host's libvirtd and CPUs (QEMU TCG), and what one file
// counts on the host (vCPUs in use, boot time) must not depend on another's
// guests.
const isVirt = (f) => f.split(path.sep).join('/').includes('/test/virt/');
// The functional files (those that start their cloud through test/helpers/functional-cloud.ts)
// run once more with the services as separate processes over RabbitMQ and PostgreSQL: the
// same tests, a second topology. KILONOVA_TEST_TOPOLOGY=all-in-one|services runs only that one.
const isFunctional = (f) => fs.readFileSync(f, 'utf8').includes('/helpers/functional-cloud.js');
const topology = process.env.KILONOVA_TEST_TOPOLOGY;
const phases = [
  { name: 'all-in-one', files: files.filter((f) => !isVirt(f) && !(topology === 'services' && isFunctional(f))), concurrency, env: { KILONOVA_TEST_TOPOLOGY: 'all-in-one' } },
  { name: 'services', files: topology === 'all-in-one' ? [] : files.filter((f) => !isVirt(f) && isFunctional(f)), concurrency, env: { KILONOVA_TEST_TOPOLOGY: 'services' } },
  { name: 'virt', files: files.filter(isVirt), concurrency: '1', env: { KILONOVA_TEST_TOPOLOGY: 'all-in-one' } },
].filter((p) => p.files.length > 0);

let current;
const forward = (sig) => current?.kill(sig);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);

/**
 * The failing tests' `not ok` lines, with the first lines of each one's error,
 * kept to be printed again after the last phase: CI shows only the end of the
 * output, where the virt phase's passing tests would otherwise hide an earlier
 * phase's failure, and a failed `before` hook's reason would be cut away.
 */
const failures = [];
const outcomes = [];
const ERROR_LINES = 25;
function watchForFailures(stream, phaseName) {
  let rest = '';
  /** The failure whose YAML block is being read, and the error's key indent while reading a block scalar. */
  let open = null;
  let errorIndent = -1;
  stream.on('data', (chunk) => {
    process.stdout.write(chunk);
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop();
    for (const line of lines) {
      const m = /^(\s*)not ok \d+ - (.*)$/.exec(line);
      if (m) {
        open = { line: `${phaseName}: ${m[1]}${m[2]}`, error: [], cancelled: false };
        failures.push(open);
        errorIndent = -1;
        continue;
      }
      if (!open) continue;
      const indent = line.length - line.trimStart().length;
      if (errorIndent >= 0 && (indent > errorIndent || line.trim() === '')) {
        if (line.trim() !== '' && open.error.length < ERROR_LINES) open.error.push(line.trim().slice(0, 300));
        continue;
      }
      errorIndent = -1;
      const key = /^(\s*)(failureType|error): (.*)$/.exec(line);
      if (key?.[2] === 'failureType') open.cancelled = key[3].includes('cancelledByParent');
      else if (key?.[2] === 'error') {
        if (/^[|>]/.test(key[3])) errorIndent = key[1].length;
        else open.error.push(key[3].slice(0, 300));
      } else if (/^\s*\.\.\.$/.test(line)) open = null;
    }
  });
}

let failed = 0;
for (const phase of phases) {
  const started = Date.now();
  console.log(`# phase ${phase.name}: ${phase.files.length} files`);
  const code = await new Promise((resolve) => {
    current = spawn(process.execPath, ['--test', `--test-concurrency=${phase.concurrency}`, `--test-reporter=${reporter}`, ...phase.files], {
      stdio: ['inherit', 'pipe', 'inherit'],
      // Names this run's PostgreSQL test schemas (test/helpers/databases.ts) and RabbitMQ
      // virtual hosts (test/bus/broker.ts), so another run spares them.
      env: { ...process.env, KILONOVA_TEST_RUN_ID: String(process.pid), ...phase.env },
    });
    watchForFailures(current.stdout, phase.name);
    // 'close', not 'exit': the last of its output has been read by then.
    current.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
  const outcome = `${phase.name}: ${code === 0 ? 'passed' : `failed (exit ${code})`} in ${Math.round((Date.now() - started) / 1000)} s`;
  outcomes.push(outcome);
  console.log(`# phase ${outcome}`);
  if (code !== 0) failed = code;
}
console.log(`# phases: ${outcomes.join('; ')}`);
if (failures.length > 0) {
  console.log(`# ${failures.length} failing test lines (a failed subtest also fails the tests around it):`);
  for (const f of failures) {
    console.log(`#   ${f.line}`);
    // A cancelled test's error only says its parent ended first; the parent's says why.
    if (!f.cancelled) for (const e of f.error) console.log(`#       ${e}`);
  }
}
process.exit(failed);
