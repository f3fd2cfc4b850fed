/**
 * `kilonova heal-allocations [--dry-run]` on a stopped cloud's state path: it
 * reports allocations and ports whose server is gone and servers without an
 * allocation; with --dry-run nothing changes, without it each is fixed, and a
 * second run finds nothing.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { MAIN_JS, startTestCloud } from '../helpers/cloud.js';
import { makeOrphans, type Orphans } from '../helpers/orphans.js';
import { loadConfig, databaseUrl } from '../../src/conf/loader.js';
import { openDatabase } from '../../src/db/database.js';
import { PlacementService } from '../../src/placement/service.js';
import { testLogger } from '../helpers/logger.js';

function heal(statePath: string, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('KILONOVA_')) env[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN_JS, 'heal-allocations', '--state-path', statePath, ...args], { cwd: statePath, env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as NodeJS.ErrnoException).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** What the audit acts on, read straight from the stopped cloud's database. */
async function snapshot(statePath: string, o: Orphans) {
  const handle = openDatabase(databaseUrl(loadConfig({ env: {}, overrides: { DEFAULT: { state_path: statePath } } })));
  try {
    const placement = new PlacementService({ db: handle.db, logger: testLogger });
    const port = (id: string) => handle.db.selectFrom('neutron_ports' as any).select(['device_id', 'device_owner'] as any).where('id' as any, '=', id).executeTakeFirst();
    return {
      orphanAllocation: (await placement.getAllocations(o.orphanConsumer)).allocations,
      unallocated: (await placement.getAllocations(o.unallocated)).allocations,
      healthy: (await placement.getAllocations(o.healthy)).allocations[o.provider]?.resources,
      computePort: await port(o.computePort),
      userPort: await port(o.userPort),
    };
  } finally {
    await handle.close();
  }
}

describe('kilonova heal-allocations', { timeout: 60_000 }, () => {
  let statePath: string;
  let o: Orphans;

  before(async () => {
    statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-heal-cli-'));
    const cloud = await startTestCloud({}, { statePath });
    try {
      o = await makeOrphans(cloud);
    } finally {
      await cloud.close();
    }
  });

  after(() => fs.rmSync(statePath, { recursive: true, force: true }));

  test('--dry-run reports every disagreement and changes nothing', async () => {
    const before = await snapshot(statePath, o);
    assert.notDeepEqual(before.orphanAllocation, {});
    assert.ok(before.computePort);
    const run = await heal(statePath, ['--dry-run']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`orphan allocation: consumer ${o.orphanConsumer} on provider ${o.provider} \\(MEMORY_MB=256, VCPU=2\\): would remove`));
    assert.match(run.stdout, new RegExp(`orphan port: ${o.computePort} \\(device [0-9a-f-]+\\): would delete`));
    assert.match(run.stdout, new RegExp(`orphan port: ${o.userPort} \\(device [0-9a-f-]+\\): would unbind`));
    assert.match(run.stdout, new RegExp(`missing allocation: server ${o.unallocated} on provider ${o.provider} \\(DISK_GB=1, MEMORY_MB=512, VCPU=1\\): would write`));
    assert.match(run.stdout, /1 orphan allocations, 2 orphan ports, 1 servers without an allocation \(dry run: nothing changed\)/);
    assert.doesNotMatch(run.stdout, new RegExp(o.healthy));
    assert.deepEqual(await snapshot(statePath, o), before);
  });

  test('without --dry-run it removes the orphans, writes the missing allocation, and a second run finds nothing', async () => {
    const run = await heal(statePath);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`orphan allocation: consumer ${o.orphanConsumer} .*: removed`));
    assert.match(run.stdout, new RegExp(`orphan port: ${o.computePort} .*: deleted`));
    assert.match(run.stdout, new RegExp(`orphan port: ${o.userPort} .*: unbound`));
    assert.match(run.stdout, new RegExp(`missing allocation: server ${o.unallocated} .*: written`));

    const after = await snapshot(statePath, o);
    assert.deepEqual(after.orphanAllocation, {});
    assert.equal(after.computePort, undefined);
    assert.deepEqual(after.userPort, { device_id: '', device_owner: '' });
    assert.deepEqual(after.unallocated[o.provider]?.resources, { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 });
    assert.deepEqual(after.healthy, { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 });

    const again = await heal(statePath);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^0 orphan allocations, 0 orphan ports, 0 servers without an allocation$/m);
  });
});
