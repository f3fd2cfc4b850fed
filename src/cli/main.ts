#!/usr/bin/env node
/** The `kilonova` command. */
/*
 * Each command imports what it runs when it runs: a process evaluates only
 * its own modules (scripts/bundle-cli.mjs splits the bundle along these
 * imports), so `kilonova compute` never loads the database, the HTTP server
 * or the services' APIs.
 */
import { Command, Option } from 'commander';
import { loadConfig, ConfigError, databaseUrl, type Overrides } from '../conf/loader.js';
import { createLogger } from './logging.js';
import { StartupError } from './startup-error.js';
import { SERVICE_ROLES } from './roles/service.js';
import type { ComputeDb } from '../compute/db/tables.js';
import type { Logger } from 'pino';

interface CommonFlags {
  configFile?: string;
  statePath?: string;
  debug?: boolean;
}

function configFrom(flags: CommonFlags, extra: Overrides = {}) {
  const overrides: Overrides = { ...extra, DEFAULT: { ...(extra.DEFAULT ?? {}) } };
  if (flags.statePath) overrides.DEFAULT!.state_path = flags.statePath;
  if (flags.debug) overrides.DEFAULT!.debug = true;
  return loadConfig({ configFile: flags.configFile, overrides });
}

/** One clear line and exit 1 for the errors an operator can fix (those and `operatorErrors`); a trace for the rest. */
function fail(err: unknown, operatorErrors: ReadonlyArray<abstract new (...args: never[]) => Error> = []): never {
  const e = err as Error & { code?: string };
  if (err instanceof ConfigError || err instanceof StartupError || operatorErrors.some((c) => err instanceof c)) console.error(`kilonova: ${e.message}`);
  else if (e?.code === 'EADDRINUSE') console.error(`kilonova: the port is already in use (${e.message})`);
  else if (e?.code === 'ECONNREFUSED') console.error(`kilonova: cannot connect: ${e.message}`);
  else console.error('kilonova: start-up failed:', err);
  process.exit(1);
}

const program = new Command();
program.name('kilonova').description('An OpenStack-compatible compute cloud');

const common = (cmd: Command) => cmd
  .option('--config-file <file>', 'kilonova.conf to read (default: ./kilonova.conf when present)')
  .option('--state-path <dir>', 'directory for the database, images and clouds.yaml')
  .option('--debug', 'log at debug level');

common(program.command('all-in-one'))
  .description('run every service in one process')
  .option('--port <n>', 'HTTP port (0: any free one)')
  .addOption(new Option('--driver <driver>', 'virt driver (default: libvirt when libvirtd answers, else fake)').choices(['fake', 'libvirt']))
  .option('--fake-hosts <n>', 'compute hosts to run with the fake driver ([fake_driver] hosts; default 1)')
  .action(async (flags: CommonFlags & { port?: string; driver?: string; fakeHosts?: string }) => {
    let conf;
    try {
      const DEFAULT: Record<string, string> = {};
      if (flags.port !== undefined) DEFAULT.osapi_compute_listen_port = flags.port;
      if (flags.driver) DEFAULT.compute_driver = flags.driver === 'libvirt' ? 'libvirt.LibvirtDriver' : 'fake.FakeDriver';
      conf = configFrom(flags, { DEFAULT, ...(flags.fakeHosts !== undefined ? { fake_driver: { hosts: flags.fakeHosts } } : {}) });
    } catch (err) {
      fail(err);
    }
    const logger = createLogger(conf);
    let cloud;
    let describeTransportUrl;
    try {
      const { startAllInOne } = await import('./all-in-one.js');
      ({ describeTransportUrl } = await import('../bus/transports.js'));
      cloud = await startAllInOne({ conf, logger });
    } catch (err) {
      fail(err);
    }
    const ms = Math.round(performance.now());
    const out = [
      `Kilonova all-in-one ready at ${cloud.url} (${ms} ms)`,
      `  compute driver: ${cloud.computeDriver.name} (${cloud.computeDriver.note})`,
      ...(cloud.hosts.length > 1 ? [`  compute hosts: ${cloud.hosts.map((h) => h.host).join(', ')}`] : []),
      ...cloud.consoleProxies.map((line) => `  ${line}`),
      `  ${cloud.metadataApi.note}`,
      `  database: ${databaseUrl(conf).replace(/\/\/[^@/]*@/, '//***@')}, bus: ${describeTransportUrl(conf.DEFAULT.transport_url)}`,
      `  clouds.yaml: ${cloud.cloudsYaml}  (openstack --os-cloud kilonova ... / --os-cloud kilonova-demo ...)`,
      '',
      `export OS_AUTH_URL=${cloud.url}/identity`,
      'export OS_IDENTITY_API_VERSION=3',
      'export OS_USERNAME=admin',
      `export OS_PASSWORD=${cloud.adminPassword}`,
      'export OS_PROJECT_NAME=admin',
      'export OS_USER_DOMAIN_NAME=Default',
      'export OS_PROJECT_DOMAIN_NAME=Default',
      `export OS_REGION_NAME=${conf.identity.region}`,
    ];
    if (cloud.generated.admin || cloud.generated.demo) {
      out.push('', 'Generated passwords (shown once; also kept in clouds.yaml):');
      if (cloud.generated.admin) out.push(`  admin: ${cloud.generated.admin}`);
      if (cloud.generated.demo) out.push(`  demo:  ${cloud.generated.demo}`);
    }
    stopOnSignals(logger, () => cloud.close());
    process.stdout.write(out.join('\n') + '\n');
  });

/** SIGINT / SIGTERM stop what started, then exit 0; set before the ready line, since whoever reads it may signal at once. */
function stopOnSignals(logger: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await close();
    logger.flush?.();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

const ROLE_HELP: Record<typeof SERVICE_ROLES[number], string> = {
  api: 'run the HTTP APIs (identity, image, network, placement, compute) and the console proxies',
  conductor: 'run the conductor (compute tasks and the compute hosts\' object API) over the database',
  scheduler: 'run the scheduler (placement on the shared database, as the conductor uses it)',
  compute: 'run one compute host (--host or [DEFAULT] host): no database, the conductor and HTTP APIs only',
};

for (const role of SERVICE_ROLES) {
  const cmd = common(program.command(role)).description(ROLE_HELP[role]);
  if (role === 'api') cmd.option('--port <n>', 'HTTP port (0: any free one)');
  if (role === 'compute') {
    cmd.option('--host <name>', 'this compute host\'s name ([DEFAULT] host)')
      .addOption(new Option('--driver <driver>', 'virt driver (default: [DEFAULT] compute_driver)').choices(['fake', 'libvirt']));
  }
  cmd.action(async (flags: CommonFlags & { port?: string; host?: string; driver?: string }) => {
    let conf;
    try {
      const DEFAULT: Record<string, string> = {};
      if (flags.port !== undefined) DEFAULT.osapi_compute_listen_port = flags.port;
      if (flags.host) DEFAULT.host = flags.host;
      if (flags.driver) DEFAULT.compute_driver = flags.driver === 'libvirt' ? 'libvirt.LibvirtDriver' : 'fake.FakeDriver';
      conf = configFrom(flags, { DEFAULT });
    } catch (err) {
      fail(err);
    }
    const logger = createLogger(conf);
    let service;
    let describeTransportUrl;
    try {
      const { startService } = await import('./roles/service.js');
      ({ describeTransportUrl } = await import('../bus/transports.js'));
      service = await startService(role, conf, logger);
    } catch (err) {
      fail(err);
    }
    stopOnSignals(logger, service.stop);
    process.stdout.write(`Kilonova ${role} ready ${service.summary} (${Math.round(performance.now())} ms), bus: ${describeTransportUrl(conf.DEFAULT.transport_url)}\n`);
  });
}

const db = program.command('db').description('database maintenance');
common(db.command('sync'))
  .description('apply every migration')
  .action(async (flags: CommonFlags) => {
    try {
      const conf = configFrom(flags);
      const { openDatabase } = await import('../db/database.js');
      const { syncDatabase } = await import('../db/migrate.js');
      const { MIGRATION_SETS } = await import('./roles/database.js');
      const handle = openDatabase(databaseUrl(conf));
      const applied = await syncDatabase(handle.db, MIGRATION_SETS);
      await handle.close();
      console.log(applied.length > 0 ? `applied ${applied.length} migrations:\n  ${applied.join('\n  ')}` : 'the database is up to date');
    } catch (err) {
      fail(err);
    }
  });

common(program.command('heal-allocations'))
  .description('report and fix what placement, ports and servers disagree on: allocations and ports whose server is gone, servers without an allocation')
  .option('--dry-run', 'only report; change nothing')
  .action(async (flags: CommonFlags & { dryRun?: boolean }) => {
    try {
      const conf = configFrom(flags);
      const logger = createLogger(conf);
      const { openDatabase } = await import('../db/database.js');
      const { healAllocations, formatHealReport } = await import('../compute/heal-allocations.js');
      const { PlacementService } = await import('../placement/service.js');
      const { NetworkService } = await import('../network/service.js');
      const handle = openDatabase(databaseUrl(conf));
      try {
        const report = await healAllocations({
          db: handle.db as ComputeDb,
          placement: new PlacementService({ db: handle.db, logger }),
          network: new NetworkService({ db: handle.db, logger }),
          logger,
        }, { dryRun: !!flags.dryRun });
        console.log(formatHealReport(report).join('\n'));
      } finally {
        await handle.close();
      }
    } catch (err) {
      fail(err);
    }
  });

const image = program.command('image').description('images for the cloud');
common(image.command('build-test-guest'))
  .description('build a small bootable guest from Debian packages and register it (aki + ari + qcow2 disk)')
  .option('--output-dir <dir>', 'where the kernel, ramdisk and disk are built (default: $state_path/test-guest)')
  .option('--clouds-yaml <file>', 'credentials of the cloud to register with (default: $state_path/clouds.yaml)')
  .option('--os-cloud <name>', 'cloud in clouds.yaml', 'kilonova')
  .option('--name <name>', 'image name', 'kilonova-test-guest')
  .option('--private', 'register the images as private (default: public)')
  .option('--no-register', 'build only')
  .action(async (flags: CommonFlags & { outputDir?: string; cloudsYaml?: string; osCloud: string; name: string; private?: boolean; register: boolean }) => {
    const { buildTestGuest, TestGuestBuildError } = await import('../virt/libvirt/test-guest/build.js');
    const { readCloudAuth, registerTestGuest, RegistrationError } = await import('./register-test-guest.js');
    const { cloudsYamlPath } = await import('./clouds-yaml.js');
    try {
      const conf = configFrom(flags);
      const statePath = conf.DEFAULT.state_path;
      const started = performance.now();
      const built = await buildTestGuest({ outputDir: flags.outputDir ?? `${statePath}/test-guest` });
      console.log(`built the test guest (kernel ${built.kernelVersion}) in ${Math.round(performance.now() - started)} ms:`);
      console.log(`  kernel  ${built.kernelPath}\n  ramdisk ${built.ramdiskPath}\n  disk    ${built.diskPath} (${built.diskFormat})`);
      if (!flags.register) return;
      const auth = readCloudAuth(flags.cloudsYaml ?? cloudsYamlPath(statePath), flags.osCloud);
      const reg = await registerTestGuest(auth, built, { name: flags.name, visibility: flags.private ? 'private' : 'public' });
      console.log(`${reg.reused ? 'already registered' : 'registered'}: image ${reg.imageId} (kernel_id ${reg.kernelId}, ramdisk_id ${reg.ramdiskId})`);
      console.log(`boot it: openstack server create --image ${flags.name} --flavor m1.tiny --config-drive true --wait vm1`);
    } catch (err) {
      fail(err, [RegistrationError, TestGuestBuildError]);
    }
  });

program.parseAsync(process.argv).catch(fail);
