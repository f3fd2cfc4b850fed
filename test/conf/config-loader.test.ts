/**
 * loadConfig: defaults < kilonova.conf < KILONOVA_<SECTION>__<OPTION> < overrides,
 * typed values, and a one-line ConfigError naming where every bad value came from.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, databaseUrl, loadConfig, type LoadOptions } from '../../src/conf/loader.js';
import { OPTIONS } from '../../src/conf/options.js';

let dir: string;
let n = 0;
function confFile(text: string): string {
  const file = path.join(dir, `kilonova-${++n}.conf`);
  fs.writeFileSync(file, text);
  return file;
}

/** Loads with an empty environment unless one is given, so the runner's variables do not leak in. */
function load(opts: LoadOptions = {}) {
  return loadConfig({ env: {}, ...opts });
}

/** Asserts a ConfigError whose message is one line and names every part given. */
function assertConfigError(fn: () => unknown, ...parts: string[]): string {
  let message = '';
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    message = err.message;
    return true;
  });
  assert.equal(message.includes('\n') || message.includes('\r'), false, `not one line: ${JSON.stringify(message)}`);
  for (const p of parts) assert.ok(message.includes(p), `${JSON.stringify(message)} does not name ${JSON.stringify(p)}`);
  return message;
}

describe('loadConfig', () => {
  let cwd: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-conf-'));
    // Run where no kilonova.conf exists, so "no file" means defaults only.
    cwd = process.cwd();
    process.chdir(dir);
  });
  after(() => {
    process.chdir(cwd);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('defaults', () => {
    test('every option has its default when nothing is configured', () => {
      const conf = load();
      for (const [section, specs] of Object.entries(OPTIONS)) {
        for (const [name, spec] of Object.entries(specs)) {
          assert.deepEqual((conf as any)[section][name], spec.default, `[${section}] ${name}`);
        }
      }
      assert.equal(conf.configFile, undefined);
    });

    test('the well-known defaults are Nova\'s', () => {
      const conf = load();
      assert.equal(conf.DEFAULT.transport_url, 'memory://');
      assert.equal(conf.DEFAULT.compute_driver, '', 'empty: chosen at start (libvirt when libvirtd answers)');
      assert.equal(conf.DEFAULT.osapi_compute_listen_port, 8774);
      assert.equal(conf.DEFAULT.debug, false);
      assert.equal(conf.api.max_limit, 1000);
      assert.equal(conf.scheduler.max_attempts, 3);
    });

    test('a list default is a copy: changing one load does not change the next', () => {
      const a = load();
      a.filter_scheduler.enabled_filters.push('Mutated');
      assert.deepEqual(load().filter_scheduler.enabled_filters, OPTIONS.filter_scheduler.enabled_filters.default);
    });

    test('the database URL defaults to a SQLite file in state_path', () => {
      const conf = load({ overrides: { DEFAULT: { state_path: '/var/lib/kilonova' } } });
      assert.equal(databaseUrl(conf), 'sqlite:////var/lib/kilonova/kilonova.db');
      const pg = load({ overrides: { database: { connection: 'postgresql://nova@db/nova' } } });
      assert.equal(databaseUrl(pg), 'postgresql://nova@db/nova');
    });
  });

  describe('the INI file', () => {
    test('values arrive typed', () => {
      const file = confFile([
        '# kilonova.conf',
        '[DEFAULT]',
        'host = compute-7',
        'debug = true',
        'osapi_compute_listen_port = 18774',
        'cpu_allocation_ratio = 16.0',
        'ram_allocation_ratio = 1.5',
        'compute_driver = libvirt.LibvirtDriver',
        'transport_url = rabbit://nova:secret@mq:5672/',
        '',
        '[database]',
        'connection = postgresql://nova:pw@db/nova',
        '',
        '; a comment in the other style',
        '[quota]',
        'instances = -1',
        'cores = 0',
        '',
        '[fake_driver]',
        'fail_spawn = no',
        'spawn_delay_ms = 25',
        '',
      ].join('\n'));
      const conf = load({ configFile: file });
      assert.equal(conf.DEFAULT.host, 'compute-7');
      assert.equal(conf.DEFAULT.debug, true);
      assert.equal(conf.DEFAULT.osapi_compute_listen_port, 18774);
      assert.equal(conf.DEFAULT.cpu_allocation_ratio, 16);
      assert.equal(conf.DEFAULT.ram_allocation_ratio, 1.5);
      assert.equal(conf.DEFAULT.compute_driver, 'libvirt.LibvirtDriver');
      assert.equal(conf.DEFAULT.transport_url, 'rabbit://nova:secret@mq:5672/');
      assert.equal(conf.database.connection, 'postgresql://nova:pw@db/nova');
      assert.equal(conf.quota.instances, -1);
      assert.equal(conf.quota.cores, 0);
      assert.equal(conf.fake_driver.fail_spawn, false);
      assert.equal(conf.fake_driver.spawn_delay_ms, 25);
      // untouched options keep their defaults
      assert.equal(conf.api.max_limit, 1000);
      assert.equal(conf.configFile, path.resolve(file));
    });

    test('options before any section header belong to [DEFAULT]', () => {
      const conf = load({ configFile: confFile('host = early\n[api]\nmax_limit = 50\n') });
      assert.equal(conf.DEFAULT.host, 'early');
      assert.equal(conf.api.max_limit, 50);
    });

    test('booleans accept true/false, yes/no, on/off, 1/0 in any case', () => {
      for (const [text, value] of [['True', true], ['YES', true], ['on', true], ['1', true], ['false', false], ['No', false], ['OFF', false], ['0', false]] as const) {
        assert.equal(load({ configFile: confFile(`[DEFAULT]\ndebug = ${text}\n`) }).DEFAULT.debug, value, text);
      }
    });

    test('list options split on commas and trim; empty is an empty list', () => {
      const conf = load({ configFile: confFile('[filter_scheduler]\nenabled_filters = ComputeFilter, RamFilter ,,ImagePropertiesFilter\n') });
      assert.deepEqual(conf.filter_scheduler.enabled_filters, ['ComputeFilter', 'RamFilter', 'ImagePropertiesFilter']);
      const empty = load({ configFile: confFile('[filter_scheduler]\nenabled_filters =\n') });
      assert.deepEqual(empty.filter_scheduler.enabled_filters, []);
    });

    test('./kilonova.conf is used when no file is named', () => {
      const sub = fs.mkdtempSync(path.join(dir, 'cwd-'));
      fs.writeFileSync(path.join(sub, 'kilonova.conf'), '[DEFAULT]\nhost = from-cwd\n');
      const back = process.cwd();
      process.chdir(sub);
      try {
        const conf = load();
        assert.equal(conf.DEFAULT.host, 'from-cwd');
        assert.equal(fs.realpathSync(conf.configFile!), fs.realpathSync(path.join(sub, 'kilonova.conf')));
      } finally {
        process.chdir(back);
      }
    });
  });

  describe('bad configuration is a one-line ConfigError naming file, section and option', () => {
    test('an unknown section', () => {
      const file = confFile('[DEFAULT]\nhost = a\n[glance]\napi_servers = http://x\n');
      assertConfigError(() => load({ configFile: file }), file, '[glance]', 'api_servers');
    });

    test('an unknown option', () => {
      const file = confFile('[api]\nmax_limit = 5\nbogus_option = 1\n');
      assertConfigError(() => load({ configFile: file }), file, '[api]', 'bogus_option');
    });

    test('an unknown option named like a property every object has', () => {
      for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
        const file = confFile(`[DEFAULT]\n${name} = 1\n`);
        assertConfigError(() => load({ configFile: file }), file, '[DEFAULT]', name);
      }
      const file = confFile('[constructor]\nname = x\n');
      assertConfigError(() => load({ configFile: file }), file, '[constructor]', 'name');
      assertConfigError(() => load({ env: { KILONOVA_CONSTRUCTOR__NAME: 'x' } }), 'KILONOVA_CONSTRUCTOR__NAME');
      assert.equal(typeof ({} as any).constructor, 'function', 'Object.prototype was changed');
    });

    test('a bad integer', () => {
      for (const v of ['eighty', '80.5', '0x50', '']) {
        const file = confFile(`[DEFAULT]\nosapi_compute_listen_port = ${v}\n`);
        assertConfigError(() => load({ configFile: file }), file, '[DEFAULT]', 'osapi_compute_listen_port');
      }
    });

    test('a bad boolean', () => {
      const file = confFile('[DEFAULT]\ndebug = maybe\n');
      const msg = assertConfigError(() => load({ configFile: file }), file, '[DEFAULT]', 'debug', 'maybe');
      assert.match(msg, /boolean/);
    });

    test('a bad float', () => {
      for (const v of ['lots', '1.5x', '']) {
        const file = confFile(`[DEFAULT]\ncpu_allocation_ratio = ${v}\n`);
        assertConfigError(() => load({ configFile: file }), file, '[DEFAULT]', 'cpu_allocation_ratio');
      }
    });

    test('a value out of range', () => {
      const high = confFile('[DEFAULT]\nosapi_compute_listen_port = 70000\n');
      assertConfigError(() => load({ configFile: high }), high, '[DEFAULT]', 'osapi_compute_listen_port', '65535');
      const low = confFile('[quota]\ninstances = -2\n');
      assertConfigError(() => load({ configFile: low }), low, '[quota]', 'instances', '-1');
      const zero = confFile('[scheduler]\nmax_attempts = 0\n');
      assertConfigError(() => load({ configFile: zero }), zero, '[scheduler]', 'max_attempts');
      const neg = confFile('[DEFAULT]\nram_allocation_ratio = -0.5\n');
      assertConfigError(() => load({ configFile: neg }), neg, '[DEFAULT]', 'ram_allocation_ratio');
    });

    test('a value not among the choices', () => {
      const file = confFile('[DEFAULT]\ncompute_driver = vmwareapi.VMwareVCDriver\n');
      assertConfigError(() => load({ configFile: file }), file, '[DEFAULT]', 'compute_driver', 'vmwareapi.VMwareVCDriver', 'fake.FakeDriver');
    });

    test('an unreadable file (missing, or a directory) names the file', () => {
      const missing = path.join(dir, 'does-not-exist.conf');
      assertConfigError(() => load({ configFile: missing }), missing);
      const folder = fs.mkdtempSync(path.join(dir, 'folder-'));
      assertConfigError(() => load({ configFile: folder }), folder);
    });
  });

  describe('environment overrides KILONOVA_<SECTION>__<OPTION>', () => {
    test('set options in any section, typed', () => {
      const conf = load({
        env: {
          KILONOVA_DEFAULT__HOST: 'Env-Host',
          KILONOVA_DEFAULT__DEBUG: 'yes',
          KILONOVA_API__MAX_LIMIT: '250',
          KILONOVA_DATABASE__CONNECTION: 'sqlite:///tmp/x.db',
          KILONOVA_FILTER_SCHEDULER__ENABLED_FILTERS: 'A,B',
          KILONOVA_OSLO_POLICY__POLICY_FILE: '/etc/kilonova/policy.yaml',
          KILONOVA_FILTER_SCHEDULER__RAM_WEIGHT_MULTIPLIER: '-1.0',
        },
      });
      assert.equal(conf.DEFAULT.host, 'Env-Host', 'the value keeps its case');
      assert.equal(conf.DEFAULT.debug, true);
      assert.equal(conf.api.max_limit, 250);
      assert.equal(conf.database.connection, 'sqlite:///tmp/x.db');
      assert.deepEqual(conf.filter_scheduler.enabled_filters, ['A', 'B']);
      assert.equal(conf.oslo_policy.policy_file, '/etc/kilonova/policy.yaml');
      assert.equal(conf.filter_scheduler.ram_weight_multiplier, -1);
    });

    test('KILONOVA_* variables without a section separator are not options', () => {
      const conf = load({ env: { KILONOVA_TEST_LOG: 'debug', KILONOVA_TEST_PG_URL: 'postgresql://x', PATH: '/bin' } });
      assert.equal(conf.DEFAULT.debug, false);
    });

    test('a bad value names the variable', () => {
      assertConfigError(() => load({ env: { KILONOVA_API__MAX_LIMIT: 'many' } }), 'KILONOVA_API__MAX_LIMIT', 'many');
      assertConfigError(() => load({ env: { KILONOVA_NOPE__HOST: 'x' } }), 'KILONOVA_NOPE__HOST', '[nope]');
      assertConfigError(() => load({ env: { KILONOVA_API__NOPE: 'x' } }), 'KILONOVA_API__NOPE', 'nope');
    });

    test('a bad value with a newline still gives a one-line message', () => {
      assertConfigError(() => load({ env: { KILONOVA_API__MAX_LIMIT: '12\nINJECTED 34' } }), 'KILONOVA_API__MAX_LIMIT');
      assertConfigError(() => load({ env: { KILONOVA_DEFAULT__COMPUTE_DRIVER: 'x\ny' } }), 'KILONOVA_DEFAULT__COMPUTE_DRIVER');
    });

    test('reads process.env when no environment is given', () => {
      const key = 'KILONOVA_API__MAX_LIMIT';
      const old = process.env[key];
      process.env[key] = '77';
      try {
        assert.equal(loadConfig().api.max_limit, 77);
      } finally {
        if (old === undefined) delete process.env[key];
        else process.env[key] = old;
      }
    });
  });

  describe('precedence: defaults < file < environment < overrides', () => {
    test('each layer wins over the one below it', () => {
      const file = confFile('[api]\nmax_limit = 500\n[DEFAULT]\nhost = file-host\n');
      const env = { KILONOVA_API__MAX_LIMIT: '600' };
      assert.equal(load().api.max_limit, 1000);
      assert.equal(load({ configFile: file }).api.max_limit, 500);
      assert.equal(load({ configFile: file, env }).api.max_limit, 600);
      const all = load({ configFile: file, env, overrides: { api: { max_limit: 700 } } });
      assert.equal(all.api.max_limit, 700);
      assert.equal(all.DEFAULT.host, 'file-host', 'a layer only changes what it sets');
    });

    test('overrides are checked like everything else', () => {
      assertConfigError(() => load({ overrides: { DEFAULT: { osapi_compute_listen_port: 99999 } } }), 'command line', '[DEFAULT]', 'osapi_compute_listen_port');
      assertConfigError(() => load({ overrides: { nope: { x: 1 } } }), 'command line', '[nope]');
      const conf = load({ overrides: { DEFAULT: { debug: true, host: undefined }, filter_scheduler: { enabled_filters: ['X', 'Y'] } } });
      assert.equal(conf.DEFAULT.debug, true);
      assert.notEqual(conf.DEFAULT.host, 'undefined', 'an undefined override is skipped');
      assert.deepEqual(conf.filter_scheduler.enabled_filters, ['X', 'Y']);
    });
  });
});
