/**
 * Mastering the config drive ISO: a real image read back with isoinfo, path
 * validation, the xorriso fallback, and that no scratch files or partial images
 * are ever left behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildInstanceMetadataFiles, type InstanceMetadataSource } from '../../src/metadata/instance-metadata.js';
import { ConfigDriveError, makeConfigDrive, validateConfigDrivePath } from '../../src/virt/configdrive.js';

const run = promisify(execFile);

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const HAVE_GENISOIMAGE = onPath('genisoimage') && onPath('isoinfo');
const HAVE_XORRISO = onPath('xorriso') && onPath('isoinfo');

async function isoinfo(...args: string[]): Promise<Buffer> {
  const { stdout } = await run('isoinfo', args, { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

function source(userData: Buffer | null): InstanceMetadataSource {
  return {
    uuid: randomUUID(), name: 'cd-test', hostname: 'cd-test', projectId: 'p', availabilityZone: 'nova', launchIndex: 0,
    keyName: 'k', keyData: 'ssh-ed25519 AAAA test', metadata: { purpose: 'configdrive' }, userData,
    networkInfo: [{ id: randomUUID(), address: 'fa:16:3e:aa:bb:cc', network: { id: randomUUID(), label: 'n', subnets: [{ cidr: '10.0.0.0/24', gateway: { address: '10.0.0.1' }, ips: [{ address: '10.0.0.7', type: 'fixed', version: 4 }] }] } }],
  };
}

let work: string;
let scratch: string;

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'configdrive-test-'));
});
after(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

/** A fresh directory for the ISO and one for the scratch tree, so leftovers can be seen. */
function dirs(): { out: string; tmp: string } {
  const out = fs.mkdtempSync(path.join(work, 'out-'));
  scratch = fs.mkdtempSync(path.join(work, 'tmp-'));
  return { out, tmp: scratch };
}

/** A directory holding only the given shell scripts, to stand in for PATH. */
function binDir(scripts: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(work, 'bin-'));
  for (const [name, body] of Object.entries(scripts)) fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return dir;
}

async function withPath<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = dir;
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}

describe('makeConfigDrive with a real ISO tool', { skip: !HAVE_GENISOIMAGE && 'genisoimage/isoinfo not installed' }, () => {
  test('the ISO is labelled config-2 and gives back meta_data.json and user_data byte for byte', async () => {
    const userData = Buffer.concat([Buffer.from('#!/bin/sh\necho USERDATA-MARKER\n'), randomBytes(4096), Buffer.from([0, 0xff])]);
    const files = buildInstanceMetadataFiles(source(userData));
    const { out, tmp } = dirs();
    const iso = path.join(out, 'disk.config');
    const started = process.hrtime.bigint();
    await makeConfigDrive(files, iso, { tmpDir: tmp, tool: 'genisoimage' });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 10_000, `built in ${ms.toFixed(1)} ms`);

    const info = (await isoinfo('-d', '-i', iso)).toString();
    assert.match(info, /^Volume id: config-2$/m);
    const listing = (await isoinfo('-i', iso, '-R', '-f')).toString().split('\n').filter(Boolean);
    for (const file of files.keys()) assert.ok(listing.includes(`/${file}`), `${file} is on the ISO`);

    for (const file of ['openstack/latest/meta_data.json', 'openstack/latest/user_data', 'openstack/latest/network_data.json', 'ec2/latest/meta-data.json']) {
      const back = await isoinfo('-i', iso, '-R', '-x', `/${file}`);
      assert.ok(back.equals(files.get(file)!), `${file} comes back byte-identical`);
    }
    assert.deepEqual(fs.readdirSync(out), ['disk.config'], 'no partial image beside the ISO');
    assert.deepEqual(fs.readdirSync(tmp), [], 'scratch tree removed');
  });

  test('an existing drive is replaced whole', async () => {
    const { out, tmp } = dirs();
    const iso = path.join(out, 'disk.config');
    fs.writeFileSync(iso, 'stale');
    await makeConfigDrive(new Map([['openstack/latest/meta_data.json', Buffer.from('{"uuid": "x"}')]]), iso, { tmpDir: tmp });
    assert.equal((await isoinfo('-i', iso, '-R', '-x', '/openstack/latest/meta_data.json')).toString(), '{"uuid": "x"}');
    assert.deepEqual(fs.readdirSync(out), ['disk.config']);
  });

  test('colliding paths fail with ConfigDriveError and leave nothing behind', async () => {
    const { out, tmp } = dirs();
    const iso = path.join(out, 'disk.config');
    const files = new Map([['openstack/latest', Buffer.from('a file')], ['openstack/latest/meta_data.json', Buffer.from('{}')]]);
    await assert.rejects(makeConfigDrive(files, iso, { tmpDir: tmp }), (err: unknown) => {
      assert.ok(err instanceof ConfigDriveError);
      assert.equal(err.name, 'ConfigDriveError');
      assert.equal(err.message, 'Failed to write the config drive contents.');
      return true;
    });
    assert.deepEqual(fs.readdirSync(out), []);
    assert.deepEqual(fs.readdirSync(tmp), []);
  });

  test('without genisoimage, xorriso is run in its mkisofs mode', async () => {
    const log = path.join(work, `xorriso-args-${randomUUID()}`);
    // Stands in for xorriso: records its arguments, then masters with genisoimage.
    const genisoimage = execFileSync('sh', ['-c', 'command -v genisoimage']).toString().trim();
    const bin = binDir({ xorriso: `printf '%s\\n' "$@" > '${log}'\n[ "$1" = -as ] && [ "$2" = mkisofs ] || exit 9\nshift 2\nexec '${genisoimage}' "$@"` });
    const { out, tmp } = dirs();
    const iso = path.join(out, 'disk.config');
    await withPath(bin, () => makeConfigDrive(new Map([['openstack/latest/user_data', Buffer.from('hello')]]), iso, { tmpDir: tmp }));
    const args = fs.readFileSync(log, 'utf8').split('\n');
    assert.deepEqual(args.slice(0, 2), ['-as', 'mkisofs']);
    assert.equal(args[args.indexOf('-V') + 1], 'config-2');
    assert.equal((await isoinfo('-i', iso, '-R', '-x', '/openstack/latest/user_data')).toString(), 'hello');
    assert.deepEqual(fs.readdirSync(tmp), []);
  });
});

describe('makeConfigDrive with real xorriso', { skip: !HAVE_XORRISO && 'xorriso not installed' }, () => {
  test('xorriso masters a config-2 drive with the same content', async () => {
    const files = buildInstanceMetadataFiles(source(Buffer.from('#!/bin/sh\necho hi\n')));
    const { out, tmp } = dirs();
    const iso = path.join(out, 'disk.config');
    await makeConfigDrive(files, iso, { tmpDir: tmp, tool: 'xorriso' });
    assert.match((await isoinfo('-d', '-i', iso)).toString(), /^Volume id: config-2$/m);
    const back = await isoinfo('-i', iso, '-R', '-x', '/openstack/latest/meta_data.json');
    assert.ok(back.equals(files.get('openstack/latest/meta_data.json')!));
  });
});

describe('makeConfigDrive failures', () => {
  test('no ISO tool installed is a ConfigDriveError that says what to install', async () => {
    const empty = binDir({});
    const { out, tmp } = dirs();
    const iso = path.join(out, 'disk.config');
    await assert.rejects(withPath(empty, () => makeConfigDrive(new Map([['a', Buffer.from('x')]]), iso, { tmpDir: tmp })), (err: unknown) => {
      assert.ok(err instanceof ConfigDriveError);
      assert.match(err.message, /genisoimage or xorriso is not installed/);
      return true;
    });
    assert.deepEqual(fs.readdirSync(out), []);
    assert.deepEqual(fs.readdirSync(tmp), []);
  });

  test('a failing tool gives a user-safe message, keeps its output as the cause and removes the partial image', async () => {
    // Writes a partial image, complains with a host path, and fails.
    const bin = binDir({ genisoimage: 'while [ "$1" != -o ]; do shift; done\necho partial > "$2"\necho "genisoimage: cannot read /secret/host/path" >&2\nexit 3' });
    const { out, tmp } = dirs();
    const iso = path.join(out, 'disk.config');
    await assert.rejects(withPath(bin, () => makeConfigDrive(new Map([['a', Buffer.from('x')]]), iso, { tmpDir: tmp })), (err: unknown) => {
      assert.ok(err instanceof ConfigDriveError);
      assert.equal(err.message, 'Failed to build the config drive image.');
      assert.doesNotMatch(err.message, /secret/);
      assert.match(String((err.cause as Error).message), /\/secret\/host\/path/);
      return true;
    });
    assert.deepEqual(fs.readdirSync(out), [], 'partial image removed');
    assert.deepEqual(fs.readdirSync(tmp), []);
  });

  test('a forced tool does not fall back to the other', async () => {
    const bin = binDir({ genisoimage: 'exit 0' });
    const { out, tmp } = dirs();
    await assert.rejects(withPath(bin, () => makeConfigDrive(new Map([['a', Buffer.from('x')]]), path.join(out, 'd'), { tmpDir: tmp, tool: 'xorriso' })),
      (err: unknown) => err instanceof ConfigDriveError && /xorriso is not installed/.test(err.message));
  });

  test('an unsafe path is refused before anything is written or run', async () => {
    const { out, tmp } = dirs();
    const files = new Map([['openstack/latest/meta_data.json', Buffer.from('{}')], ['../escape', Buffer.from('x')]]);
    await assert.rejects(makeConfigDrive(files, path.join(out, 'disk.config'), { tmpDir: tmp }), ConfigDriveError);
    assert.deepEqual(fs.readdirSync(tmp), []);
    assert.deepEqual(fs.readdirSync(out), []);
    assert.ok(!fs.existsSync(path.join(tmp, '..', 'escape')));
  });
});

describe('validateConfigDrivePath', () => {
  test('accepts the paths the metadata tree uses', () => {
    for (const p of ['openstack/latest/meta_data.json', 'ec2/2009-04-04/meta-data.json', 'openstack/content/0000', 'a']) {
      assert.doesNotThrow(() => validateConfigDrivePath(p), p);
    }
  });

  test('refuses absolute, traversing, empty and oddly named paths', () => {
    const bad = [
      '', '/etc/passwd', '../x', 'a/../../b', 'a/..', './a', 'a/./b', 'a//b', 'a/', 'a b', 'a;rm -rf', '$(id)', 'a\\b',
      '.hidden', '-V', 'a/-o', 'caf\u00e9', 'a\nb', 'a\0b', `${'x'.repeat(256)}`, `${'a/'.repeat(600)}a`,
    ];
    for (const p of bad) assert.throws(() => validateConfigDrivePath(p), ConfigDriveError, JSON.stringify(p));
  });
});
