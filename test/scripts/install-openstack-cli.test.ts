/**
 * `make start` runs scripts/install-openstack-cli.sh --or-explain: where the
 * client cannot be installed it must not stop the cloud from starting, and must
 * say in one line how to get the client; without the flag (the test command)
 * the same situation is an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const script = path.resolve('scripts/install-openstack-cli.sh');
const isRoot = process.getuid?.() === 0;

/** Runs the script as `nobody` with a PATH that has the tools it uses but no `openstack` and no `sudo`. */
function runAsNobodyWithoutClient(args: string[]) {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-nocli-'));
  fs.chmodSync(bin, 0o755);
  try {
    for (const tool of ['id', 'apt-get']) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (found) fs.symlinkSync(found, path.join(bin, tool));
    }
    // A copy where `nobody` can read it: the checkout may sit in a directory only root can enter (mktemp -d makes 0700 ones).
    const copy = path.join(bin, 'install-openstack-cli.sh');
    fs.copyFileSync(script, copy);
    fs.chmodSync(copy, 0o755);
    return spawnSync('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/bin/bash', copy, ...args], {
      encoding: 'utf8', env: { PATH: bin },
    });
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
}

const skip = !isRoot ? 'needs root to run the script as another user' : !fs.existsSync('/etc/debian_version') ? 'Debian only' : false;

test('--or-explain: without the client and without root it exits 0 and says in one line how to install it', { skip }, () => {
  const r = runAsNobodyWithoutClient(['--or-explain']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /openstack CLI is not installed \(this is not root.*apt-get install python3-openstackclient/);
});

test('without --or-explain the same situation fails, naming the reason', { skip }, () => {
  const r = runAsNobodyWithoutClient([]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /openstack is missing and this is not root/);
});
