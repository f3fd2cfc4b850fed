#!/usr/bin/env node
/**
 * `make conformance`: OpenStack's own test suite, Tempest, against a fresh
 * all-in-one (fake driver). It installs Tempest (and noVNC, whose page the
 * console proxy serves) when missing, starts the cloud and its console
 * proxies on free ports with a fresh state path, creates what Tempest needs,
 * renders tempest.conf from tempest.conf.in, runs the compute tests plus the
 * identity and image smoke tests with concurrency 2, writes the passed /
 * failed / skipped lists and a summary, and compares the passes with
 * expected-passes.txt: a test on that list that does not pass fails the run;
 * a test that newly passes is printed so the list can only grow.
 *
 * Environment:
 *   KILONOVA_CONFORMANCE_UPDATE=1   rewrite expected-passes.txt from this run
 *   KILONOVA_CONFORMANCE_REGEX      the test selection (default below)
 *   KILONOVA_CONFORMANCE_OUT        output directory (default conformance-results)
 *   KILONOVA_CONFORMANCE_CONCURRENCY  stestr workers (default 2)
 *   KILONOVA_CONFORMANCE_KEEP=1     keep the Tempest workspace (its .stestr repository)
 *   KILONOVA_CONFORMANCE_QUIET=1    no Tempest progress on stdout (it is in run.log)
 * `--from-results` redoes the lists, summary and comparison from the output dir.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const outDir = path.resolve(repo, process.env.KILONOVA_CONFORMANCE_OUT || 'conformance-results');
const expectedFile = path.join(here, 'expected-passes.txt');
const templateFile = path.join(here, 'tempest.conf.in');
const cli = path.join(repo, 'dist/kilonova.mjs');
// Every compute API test, and the identity and image tests Tempest tags smoke
// (the tag is in the test id's attribute list: `test_x[id-...,smoke]`).
const REGEX = process.env.KILONOVA_CONFORMANCE_REGEX || '^tempest\\.api\\.(compute\\.|(identity|image)\\..*[\\[,]smoke[\\],])';
const CONCURRENCY = process.env.KILONOVA_CONFORMANCE_CONCURRENCY || '2';
const UPDATE = process.env.KILONOVA_CONFORMANCE_UPDATE === '1';
const BUILD_TIMEOUT = 60;
const PACKAGES = ['tempest', 'python3-stestr', 'python3-subunit', 'python3-junitxml'];
// noVNC's page, which the console proxy serves and Tempest's noVNC test fetches.
const NOVNC_PACKAGE = 'novnc';
const NOVNC_WEB = '/usr/share/novnc';
// Debian's python, where the packages above install: a python3 first on PATH
// (pyenv, a virtualenv) would not see them.
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const log = (msg) => process.stderr.write(`conformance: ${msg}\n`);

class Failure extends Error {}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  if (r.error) throw r.error;
  return r;
}

// ---------------------------------------------------------------- packages

function haveTempest() {
  if (run('sh', ['-c', 'command -v tempest']).status !== 0) return false;
  return run(PYTHON, ['-c', 'import tempest, stestr, subunit, junitxml']).status === 0;
}

function aptGet(args) {
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  // Another apt (a colleague's install, unattended upgrades) may hold the lock for a while.
  const cmd = [...sudo, 'apt-get', '-o', 'DPkg::Lock::Timeout=300', ...args];
  const r = run(cmd[0], cmd.slice(1), { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: ['ignore', 'ignore', 'pipe'] });
  return r;
}

function ensurePackages() {
  const missing = [...(haveTempest() ? [] : PACKAGES), ...(fs.existsSync(NOVNC_WEB) ? [] : [NOVNC_PACKAGE])];
  if (missing.length === 0) return;
  if (!fs.existsSync('/etc/debian_version')) throw new Failure(`${missing.join(' ')} missing; install them (Debian packages)`);
  if (process.getuid?.() !== 0 && run('sh', ['-c', 'command -v sudo']).status !== 0) {
    throw new Failure(`${missing.join(' ')} missing and this is not root: apt-get install ${missing.join(' ')}`);
  }
  log(`installing ${missing.join(' ')}`);
  let r = aptGet(['install', '-y', '-qq', '--no-install-recommends', ...missing]);
  if (r.status !== 0) {
    // Most often a fresh machine without package lists.
    log('install failed; running apt-get update and trying again');
    aptGet(['update', '-qq']);
    r = aptGet(['install', '-y', '-qq', '--no-install-recommends', ...missing]);
  }
  if (r.status !== 0 || !haveTempest() || !fs.existsSync(NOVNC_WEB)) throw new Failure(`could not install ${missing.join(' ')}: ${r.stderr.trim()}`);
}

// ---------------------------------------------------------------- the cloud

function startCloud(statePath, logFile, filters) {
  if (!fs.existsSync(cli)) throw new Failure(`${path.relative(repo, cli)} is missing: run npm run build`);
  const out = fs.openSync(logFile, 'w');
  // Two fake compute hosts, as Nova's multinode Tempest job: cold and live migration have somewhere to go,
  // and a resize moves the server to the other host (allow_resize_to_same_host stays off).
  const child = spawn(process.execPath, [cli, 'all-in-one', '--driver', 'fake', '--fake-hosts', '2', '--port', '0', '--state-path', statePath], {
    cwd: statePath, stdio: ['ignore', 'pipe', out],
    env: {
      ...process.env, KILONOVA_FILTER_SCHEDULER__ENABLED_FILTERS: filters,
      // The console proxies on free local ports too; the all-in-one puts the ports it picks into the console URLs.
      KILONOVA_VNC__NOVNCPROXY_HOST: '127.0.0.1', KILONOVA_VNC__NOVNCPROXY_PORT: '0',
      KILONOVA_SERIAL_CONSOLE__SERIALPROXY_HOST: '127.0.0.1', KILONOVA_SERIAL_CONSOLE__SERIALPROXY_PORT: '0',
      KILONOVA_DEFAULT__WEB: NOVNC_WEB,
    },
  });
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Failure(`the all-in-one did not report ready within 60 s (log: ${logFile})`));
    }, 60_000);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Failure(`the all-in-one exited with ${code} before it was ready (log: ${logFile})`)); });
    child.stdout.on('data', (chunk) => {
      fs.appendFileSync(logFile, chunk);
      text += chunk;
      const m = /ready at (http:\/\/\S+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stdout.removeAllListeners('data');
        child.stdout.on('data', (c) => fs.appendFileSync(logFile, c));
        resolve({ child, url: m[1] });
      }
    });
  });
}

async function stopCloud(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function api(base, token, method, url, body, headers = {}) {
  const res = await fetch(base + url, {
    method,
    headers: {
      ...(token ? { 'x-auth-token': token } : {}),
      ...(body !== undefined && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Failure(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return { res, json: text ? JSON.parse(text) : undefined };
}

/** Images, flavors and the network Tempest is configured with. */
async function prepareCloud(url, admin) {
  const auth = await api(url, undefined, 'POST', '/identity/v3/auth/tokens', {
    auth: {
      identity: { methods: ['password'], password: { user: { name: admin.username, domain: { name: 'Default' }, password: admin.password } } },
      scope: { project: { name: admin.project_name, domain: { name: 'Default' } } },
    },
  });
  const token = auth.res.headers.get('x-subject-token');

  const images = [];
  for (const name of ['conformance-image', 'conformance-image-alt']) {
    const { json } = await api(url, token, 'POST', '/image/v2/images', { name, disk_format: 'raw', container_format: 'bare', visibility: 'public' });
    await api(url, token, 'PUT', `/image/v2/images/${json.id}/file`, Buffer.alloc(4096, 0), { 'content-type': 'application/octet-stream' });
    images.push(json.id);
  }

  const flavors = [];
  for (const [name, ram] of [['conformance.nano', 128], ['conformance.micro', 192]]) {
    const { json } = await api(url, token, 'POST', '/compute/v2.1/flavors', { flavor: { name, ram, vcpus: 1, disk: 1 } });
    flavors.push(json.flavor.id);
  }

  // The all-in-one bootstraps a shared network "private"; every test class uses it.
  const nets = await api(url, token, 'GET', '/network/v2.0/networks?name=private');
  if (nets.json.networks.length !== 1 || !nets.json.networks[0].shared) throw new Failure('the shared network "private" is missing');

  const version = (await api(url, undefined, 'GET', '/compute/v2.1')).json.version;
  const extensions = (await api(url, token, 'GET', '/network/v2.0/extensions')).json.extensions.map((e) => e.alias);
  return { images, flavors, network: 'private', minVersion: version.min_version, maxVersion: version.version, extensions };
}

/**
 * The filters the cloud runs and Tempest is told of (one list, so neither claims what the other
 * lacks): the cloud's defaults, plus the same_host / different_host hint filters, which Nova
 * leaves off by default and its multinode Tempest job turns on.
 */
async function schedulerFilters() {
  const { OPTIONS } = await import(path.join(repo, 'dist/src/conf/options.js'));
  const defaults = OPTIONS.filter_scheduler.enabled_filters.default;
  return [...defaults, ...['SameHostFilter', 'DifferentHostFilter'].filter((f) => !defaults.includes(f))].join(',');
}

// ---------------------------------------------------------------- tempest

function render(template, values) {
  return template.replace(/@([A-Z_]+)@/g, (m, key) => {
    if (!Object.hasOwn(values, key)) throw new Failure(`tempest.conf.in: no value for ${m}`);
    return String(values[key]);
  });
}

function tempestTopDir() {
  const r = run(PYTHON, ['-c', 'import os, tempest; print(os.path.dirname(os.path.dirname(tempest.__file__)))']);
  if (r.status !== 0) throw new Failure(`python3 cannot import tempest: ${r.stderr}`);
  return r.stdout.trim();
}

function makeWorkspace(dir, conf) {
  const top = tempestTopDir();
  fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'etc', 'tempest.conf'), conf);
  // As `tempest init` writes it, with the installed package as the test tree;
  // the group regex keeps a class's tests on one worker (shared class fixtures).
  fs.writeFileSync(path.join(dir, '.stestr.conf'), `[DEFAULT]\ntest_path=${top}/tempest/test_discover\ntop_dir=${top}\ngroup_regex=([^\\.]*\\.)*\n`);
  const r = run(PYTHON, ['-m', 'stestr', 'init'], { cwd: dir });
  if (r.status !== 0) throw new Failure(`stestr init failed: ${r.stderr}`);
}

function stestrEnv(workspace) {
  return { ...process.env, TEMPEST_CONFIG_DIR: path.join(workspace, 'etc'), TEMPEST_CONFIG: 'tempest.conf', PYTHONDONTWRITEBYTECODE: '1' };
}

/** Streams stestr's progress (subunit-trace) to the terminal and to run.log. */
function runTempest(workspace, runLog) {
  return new Promise((resolve) => {
    const out = fs.openSync(runLog, 'w');
    const child = spawn(PYTHON, ['-m', 'stestr', 'run', '--concurrency', CONCURRENCY, REGEX], {
      cwd: workspace, env: stestrEnv(workspace), stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const s of [child.stdout, child.stderr]) {
      s.on('data', (c) => { fs.writeSync(out, c); if (process.env.KILONOVA_CONFORMANCE_QUIET !== '1') process.stdout.write(c); });
    }
    child.on('exit', (code) => { fs.closeSync(out); resolve(code); });
  });
}

/** Every selected test id, so that a class skipped or failed in setUpClass counts each of its methods. */
function listTests(workspace) {
  const r = run(PYTHON, ['-m', 'stestr', 'list', REGEX], { cwd: workspace, env: stestrEnv(workspace) });
  if (r.status !== 0) throw new Failure(`stestr list failed: ${r.stderr || r.stdout}`);
  return r.stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('tempest.'));
}

/** Status of each reported test: stestr's last run as subunit (kept in the output dir), read by subunit2csv. */
function lastResults(workspace, subunitFile) {
  const sub = run(PYTHON, ['-m', 'stestr', 'last', '--subunit'], { cwd: workspace, env: stestrEnv(workspace), encoding: 'buffer' });
  if (sub.status !== 0) throw new Failure(`stestr last failed (${sub.status ?? sub.signal}): ${sub.stderr}`);
  fs.writeFileSync(subunitFile, sub.stdout);
  const csvFile = path.join(path.dirname(subunitFile), 'results.csv');
  const input = fs.openSync(subunitFile, 'r');
  const csv = run('subunit2csv', ['--no-passthrough', '-o', csvFile], { stdio: [input, 'pipe', 'pipe'] });
  fs.closeSync(input);
  // subunit2csv exits 1 when the stream holds failures; only a missing file is its own failure.
  if (csv.status !== 0 && !(csv.status === 1 && fs.existsSync(csvFile))) throw new Failure(`subunit2csv failed (${csv.status ?? csv.signal}): ${csv.stderr}${csv.stdout}`);
  // Each failure with its traceback, one after another (run.log interleaves the workers).
  const details = fs.openSync(subunitFile, 'r');
  const py = run('subunit2pyunit', ['--no-passthrough'], { stdio: [details, 'pipe', 'pipe'] });
  fs.closeSync(details);
  const text = `${py.stdout}${py.stderr}`;
  const from = text.indexOf('\n======');
  fs.writeFileSync(path.join(path.dirname(subunitFile), 'failures.txt'), from >= 0 ? text.slice(from + 1) : '');
}

function readCsvRows(file) {
  const rows = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
    if (!line.trim()) continue;
    const [test, status] = parseCsvLine(line);
    rows.push({ test, status });
  }
  return rows;
}

function readLines(file) {
  return fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
}

function parseCsvLine(line) {
  const cells = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') quoted = false; else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { cells.push(cur); cur = ''; } else cur += ch;
  }
  cells.push(cur);
  return cells;
}

/** Skip reasons as subunit-trace prints them: `{n} test.id ... SKIPPED: reason` (the id without its attributes). */
function skipReasons(runLogText) {
  const reasons = new Map();
  for (const m of runLogText.matchAll(/^\{\d+\} (.+?)(?: \[[^\]]*\])? \.\.\. SKIPPED: (.*)$/gm)) reasons.set(m[1].replace(/\[.*\]$/, ''), m[2]);
  return reasons;
}

/**
 * One status per listed test method. A class-level outcome is reported once,
 * as `setUpClass (tempest...Class)`; it applies to each method of the class
 * that has no result of its own.
 */
function classify(listed, rows, reasons) {
  const status = new Map();
  const classStatus = new Map();
  const classReason = new Map();
  for (const { test, status: s } of rows) {
    const fixture = /^(?:setUpClass|tearDownClass) \((.+)\)$/.exec(test);
    if (fixture) {
      const cls = fixture[1];
      if (test.startsWith('tearDownClass')) {
        if (s === 'failure' || s === 'fail') classStatus.set(`teardown:${cls}`, 'fail');
        continue;
      }
      classStatus.set(cls, s);
      if (reasons.has(test)) classReason.set(cls, reasons.get(test));
      continue;
    }
    status.set(test.replace(/\[.*\]$/, ''), { id: test, s });
  }
  const passed = [];
  const failed = [];
  const skipped = [];
  const skipWhy = [];
  for (const id of listed) {
    const bare = id.replace(/\[.*\]$/, '');
    const cls = bare.slice(0, bare.lastIndexOf('.'));
    let s = status.get(bare)?.s ?? classStatus.get(cls) ?? 'missing';
    if (s === 'success' || s === 'xfail') passed.push(id);
    else if (s === 'skip') {
      skipped.push(id);
      skipWhy.push(`${id}  # ${reasons.get(bare) ?? classReason.get(cls) ?? ''}`);
    } else failed.push(id);
  }
  const fixtureFailures = rows.filter((r) => /^(setUpClass|tearDownClass) /.test(r.test) && (r.status === 'failure' || r.status === 'fail')).map((r) => r.test);
  return { passed, failed, skipped, skipWhy, fixtureFailures };
}

function readExpected() {
  if (!fs.existsSync(expectedFile)) return [];
  return fs.readFileSync(expectedFile, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

const EXPECTED_HEADER = `# Tempest tests Kilonova passes (make conformance). A test here that does not
# pass fails the run; the list only grows: add the tests a run reports as newly
# passing, or rewrite it with KILONOVA_CONFORMANCE_UPDATE=1 make conformance.
`;

// ---------------------------------------------------------------- report

/**
 * The lists, the summary and the comparison with expected-passes.txt, from the
 * files a run leaves in the output dir (so `--from-results` can redo them).
 */
function report() {
  const listed = readLines(path.join(outDir, 'selected.txt'));
  const rows = readCsvRows(path.join(outDir, 'results.csv'));
  const result = classify(listed, rows, skipReasons(fs.readFileSync(path.join(outDir, 'run.log'), 'utf8')));
  const timing = JSON.parse(fs.readFileSync(path.join(outDir, 'timing.json'), 'utf8'));
  const write = (name, lines) => fs.writeFileSync(path.join(outDir, name), lines.length ? lines.join('\n') + '\n' : '');
  write('passed.txt', result.passed);
  write('failed.txt', result.failed);
  write('skipped.txt', result.skipped);
  write('skip-reasons.txt', result.skipWhy);
  write('fixture-failures.txt', result.fixtureFailures);

  const expected = readExpected();
  const passedSet = new Set(result.passed);
  const expectedSet = new Set(expected);
  const regressions = expected.filter((t) => !passedSet.has(t));
  const newPasses = result.passed.filter((t) => !expectedSet.has(t));
  const summary = {
    selected: listed.length, passed: result.passed.length, failed: result.failed.length, skipped: result.skipped.length,
    tempest_wall_s: Math.round(timing.tempestSeconds), total_wall_s: Math.round(timing.totalSeconds), concurrency: Number(CONCURRENCY),
    microversions: timing.microversions, expected_passes: expected.length,
    expected_not_passed: regressions.length, new_passes: newPasses.length,
  };
  fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  const summaryText = [
    `Tempest conformance: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped of ${summary.selected} selected`,
    `  tempest run ${summary.tempest_wall_s} s (concurrency ${CONCURRENCY}), whole run ${summary.total_wall_s} s; compute microversions ${summary.microversions}`,
    `  expected passes: ${expected.length}, not passed now: ${regressions.length}, newly passing: ${newPasses.length}`,
    `  lists in ${path.relative(repo, outDir) || outDir}/: passed.txt failed.txt skipped.txt skip-reasons.txt failures.txt run.log`,
  ].join('\n');
  fs.writeFileSync(path.join(outDir, 'summary.txt'), summaryText + '\n');
  process.stdout.write('\n' + summaryText + '\n');

  if (UPDATE) {
    fs.writeFileSync(expectedFile, EXPECTED_HEADER + [...result.passed].sort().join('\n') + '\n');
    log(`rewrote ${path.relative(repo, expectedFile)} with ${result.passed.length} tests`);
    return 0;
  }
  if (newPasses.length) {
    process.stdout.write(`\nNewly passing (add them to ${path.relative(repo, expectedFile)}, or run with KILONOVA_CONFORMANCE_UPDATE=1):\n`);
    for (const t of newPasses) process.stdout.write(`  ${t}\n`);
  }
  if (regressions.length) {
    process.stdout.write(`\nExpected to pass but did not (${regressions.length}):\n`);
    for (const t of regressions) process.stdout.write(`  ${t}\n`);
    return 1;
  }
  return 0;
}

// ---------------------------------------------------------------- main

async function main() {
  if (process.argv.includes('--from-results')) return report();
  const started = performance.now();
  ensurePackages();
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });

  const statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-conformance-state-'));
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-conformance-tempest-'));
  let child;
  // On a signal the finally below does not run: the cloud and the state go here.
  const cleanup = () => { try { child?.kill('SIGKILL'); } catch { /* gone */ } };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      cleanup();
      fs.rmSync(statePath, { recursive: true, force: true });
      fs.rmSync(workspace, { recursive: true, force: true });
      process.exit(130);
    });
  }

  try {
    const filters = await schedulerFilters();
    const cloud = await startCloud(statePath, path.join(outDir, 'kilonova.log'), filters);
    child = cloud.child;
    log(`all-in-one ready at ${cloud.url} (state ${statePath})`);
    const clouds = YAML.parse(fs.readFileSync(path.join(statePath, 'clouds.yaml'), 'utf8'));
    const admin = clouds.clouds.kilonova.auth;
    const region = clouds.clouds.kilonova.region_name;
    const prep = await prepareCloud(cloud.url, admin);
    log(`images ${prep.images.join(', ')}; flavors ${prep.flavors.join(', ')}; microversions ${prep.minVersion}–${prep.maxVersion}`);

    const conf = render(fs.readFileSync(templateFile, 'utf8'), {
      LOG_FILE: path.join(outDir, 'tempest.log'),
      ADMIN_PASSWORD: admin.password,
      IDENTITY_URI: `${cloud.url}/identity`,
      REGION: region,
      IMAGE_REF: prep.images[0],
      IMAGE_REF_ALT: prep.images[1],
      FLAVOR_REF: prep.flavors[0],
      FLAVOR_REF_ALT: prep.flavors[1],
      NETWORK_NAME: prep.network,
      BUILD_TIMEOUT,
      MIN_MICROVERSION: prep.minVersion,
      MAX_MICROVERSION: prep.maxVersion,
      // The filters the cloud under test runs (see schedulerFilters).
      SCHEDULER_FILTERS: filters,
      NETWORK_EXTENSIONS: prep.extensions.join(','),
    });
    makeWorkspace(workspace, conf);
    // The rendered file, without the password, for whoever reads the results.
    fs.writeFileSync(path.join(outDir, 'tempest.conf'), conf.replace(/^(admin_password = ).*$/m, '$1***'));

    const listed = listTests(workspace);
    fs.writeFileSync(path.join(outDir, 'selected.txt'), listed.join('\n') + '\n');
    log(`${listed.length} tests selected; running with concurrency ${CONCURRENCY}`);
    const runStarted = performance.now();
    const runLog = path.join(outDir, 'run.log');
    await runTempest(workspace, runLog);
    const runSeconds = (performance.now() - runStarted) / 1000;

    lastResults(workspace, path.join(outDir, 'results.subunit'));
    const timing = { tempestSeconds: runSeconds, totalSeconds: (performance.now() - started) / 1000 };
    fs.writeFileSync(path.join(outDir, 'timing.json'), JSON.stringify({ ...timing, microversions: `${prep.minVersion}-${prep.maxVersion}` }) + '\n');
    return report();
  } finally {
    await stopCloud(child);
    fs.rmSync(statePath, { recursive: true, force: true });
    if (process.env.KILONOVA_CONFORMANCE_KEEP !== '1') fs.rmSync(workspace, { recursive: true, force: true });
    else log(`tempest workspace kept at ${workspace}`);
  }
}

main().then((code) => process.exit(code), (err) => {
  log(err instanceof Failure ? err.message : err?.stack ?? String(err));
  process.exit(2);
});
