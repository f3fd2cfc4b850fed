/**
 * The fake driver's own interface (beyond the VirtDriver contract): fault
 * injection, spawn delay, guest-side shutdown, exact accounting and call history.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { InstanceNotFoundOnHost, PowerState, SpawnFailed, type DriverInstance, type SpawnRequest } from '../../src/virt/driver.js';
import { FakeDriver, type FakeDriverOptions } from '../../src/virt/fake/driver.js';
import type { Flavor } from '../../src/objects/flavor.js';

const flavor: Flavor = {
  id: 2, flavorid: '2', name: 'm1.small', memory_mb: 2048, vcpus: 2, root_gb: 20, ephemeral_gb: 5, swap: 0,
  rxtx_factor: 1, is_public: true, disabled: false, description: null, extra_specs: {},
};

function instance(hostname = 'vm'): DriverInstance {
  return {
    uuid: randomUUID(), name: 'instance-00000001', hostname, displayName: hostname, projectId: 'p', userId: 'u',
    availabilityZone: null, launchIndex: 0, createdAt: new Date().toISOString(), flavor,
    image: { id: randomUUID(), name: 'cirros', disk_format: 'qcow2', container_format: 'bare', size: 1, min_disk: 0, min_ram: 0, properties: {} },
    userData: null, keyName: null, keyData: null, metadata: {}, configDrive: false,
  };
}

function req(inst: DriverInstance): SpawnRequest {
  return { instance: inst, networkInfo: [], blockDeviceInfo: { rootDeviceName: '/dev/vda', devices: [] } };
}

function driver(opts: Partial<FakeDriverOptions> = {}): FakeDriver {
  return new FakeDriver({ vcpus: 16, memoryMb: 65536, localGb: 1000, ...opts });
}

async function spawnResult(d: FakeDriver, inst = instance()): Promise<{ inst: DriverInstance; error?: unknown }> {
  try {
    await d.spawn(req(inst));
    return { inst };
  } catch (error) {
    return { inst, error };
  }
}

describe('FakeDriver', () => {
  describe('failNextSpawns', () => {
    test('fails exactly the next n spawns, then spawns succeed', async () => {
      const d = driver();
      d.failNextSpawns(2);
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await spawnResult(d));
      assert.ok(results[0].error instanceof SpawnFailed);
      assert.ok(results[1].error instanceof SpawnFailed);
      assert.equal(results[2].error, undefined);
      assert.equal(results[3].error, undefined);
      const listed = await d.listInstances();
      assert.deepEqual(listed.sort(), [results[2].inst.uuid, results[3].inst.uuid].sort(), 'a failed spawn leaves no guest');
    });

    test('carries the given message; the default says it was injected', async () => {
      const d = driver();
      d.failNextSpawns(1, 'Hypervisor ran out of hugepages');
      d.failNextSpawns(1);
      const first = await spawnResult(d);
      const second = await spawnResult(d);
      assert.equal((first.error as Error).message, 'Hypervisor ran out of hugepages');
      assert.match((second.error as Error).message, /inject/i);
      assert.equal((await spawnResult(d)).error, undefined);
    });

    test('zero or a negative count fails nothing', async () => {
      const d = driver();
      d.failNextSpawns(0);
      d.failNextSpawns(-3);
      assert.equal((await spawnResult(d)).error, undefined);
    });

    test('counts hold under concurrent spawns', async () => {
      const d = driver();
      d.failNextSpawns(3);
      const results = await Promise.all(Array.from({ length: 10 }, () => spawnResult(d)));
      assert.equal(results.filter((r) => r.error instanceof SpawnFailed).length, 3);
      assert.equal((await d.listInstances()).length, 7);
    });
  });

  describe('addSpawnFault', () => {
    test('fails the spawns the rule picks, with its message, until removed', async () => {
      const d = driver();
      const seen: string[] = [];
      const remove = d.addSpawnFault((r) => {
        seen.push(r.instance.hostname);
        return r.instance.hostname.startsWith('bad-') ? `Refusing ${r.instance.hostname}` : undefined;
      });
      const bad = await spawnResult(d, instance('bad-1'));
      const good = await spawnResult(d, instance('good-1'));
      assert.ok(bad.error instanceof SpawnFailed);
      assert.equal((bad.error as Error).message, 'Refusing bad-1');
      assert.equal(good.error, undefined);
      assert.deepEqual(seen, ['bad-1', 'good-1'], 'the rule sees the spawn request');
      remove();
      assert.equal((await spawnResult(d, instance('bad-2'))).error, undefined);
      remove(); // removing twice is harmless
    });

    test('removing one rule leaves the others', async () => {
      const d = driver();
      const r1 = d.addSpawnFault(() => 'one');
      d.addSpawnFault(() => 'two');
      r1();
      assert.equal(((await spawnResult(d)).error as Error).message, 'two');
    });
  });

  describe('options', () => {
    test('spawnDelayMs: the spawn takes at least that long, and the guest appears only when it is done', async () => {
      const d = driver({ spawnDelayMs: 60 });
      const inst = instance();
      const started = performance.now();
      const p = d.spawn(req(inst));
      assert.deepEqual(await d.listInstances(), []);
      await p;
      assert.ok(performance.now() - started >= 55, `spawn took ${performance.now() - started} ms`);
      assert.deepEqual(await d.listInstances(), [inst.uuid]);
    });

    test('actionDelayMs: a password change and an NMI take at least that long; 0 (the default) adds nothing', async () => {
      const d = driver({ actionDelayMs: 60 });
      const inst = instance();
      await d.spawn(req(inst));
      for (const op of [() => d.setAdminPassword(inst, 'pw'), () => d.injectNmi(inst)]) {
        const started = performance.now();
        await op();
        assert.ok(performance.now() - started >= 55, `took ${performance.now() - started} ms`);
      }
      const quick = driver();
      const other = instance();
      await quick.spawn(req(other));
      const started = performance.now();
      await quick.setAdminPassword(other, 'pw');
      assert.ok(performance.now() - started < 50);
      assert.match(await quick.getConsoleOutput(other), /administrator password changed/);
      assert.doesNotMatch(await quick.getConsoleOutput(other), /pw$/m, 'the password itself is not kept');
    });

    test('actionDelayMs holds the power transitions too (pause, stop, start)', async () => {
      const d = driver({ actionDelayMs: 40 });
      const inst = instance();
      await d.spawn(req(inst));
      for (const op of [() => d.pause(inst), () => d.unpause(inst), () => d.powerOff(inst), () => d.powerOn(inst)]) {
        const started = performance.now();
        await op();
        assert.ok(performance.now() - started >= 35, `took ${performance.now() - started} ms`);
      }
      assert.equal((await d.getInfo(inst)).state, PowerState.RUNNING);
    });

    test('consoleOutputLines: a new guest\'s console has that many lines, first and last naming it; 3 by default', async () => {
      const lines = (text: string) => text.replace(/\n$/, '').split('\n');
      const long = driver({ consoleOutputLines: 50 });
      const inst = instance('longboot');
      await long.spawn(req(inst));
      const out = lines(await long.getConsoleOutput(inst));
      assert.equal(out.length, 50);
      assert.match(out[0], /longboot\) powering on/);
      assert.match(out[49], /longboot\) booted/);
      const plain = driver();
      const other = instance('short');
      await plain.spawn(req(other));
      assert.equal(lines(await plain.getConsoleOutput(other)).length, 3);
      const none = driver({ consoleOutputLines: 0 });
      const silent = instance();
      await none.spawn(req(silent));
      assert.equal(await none.getConsoleOutput(silent), '\n');
    });

    test('failSpawn: every spawn fails with SpawnFailed naming the option', async () => {
      const d = driver({ failSpawn: true });
      for (let i = 0; i < 3; i++) {
        const r = await spawnResult(d);
        assert.ok(r.error instanceof SpawnFailed);
        assert.match((r.error as Error).message, /fail_spawn/);
      }
      assert.deepEqual(await d.listInstances(), []);
    });

    test('reports the configured capacity and exact usage', async () => {
      const d = driver({ vcpus: 8, memoryMb: 16384, localGb: 200 });
      await d.initHost('fake-7');
      assert.deepEqual(await d.getAvailableNodes(), ['fake-7']);
      const empty = await d.getAvailableResource('fake-7');
      assert.deepEqual(
        [empty.vcpus, empty.memoryMb, empty.localGb, empty.vcpusUsed, empty.memoryMbUsed, empty.localGbUsed, empty.diskAvailableLeast],
        [8, 16384, 200, 0, 0, 0, 200],
      );
      assert.equal(empty.hypervisorType, 'fake');
      await d.spawn(req(instance()));
      await d.spawn(req(instance()));
      const used = await d.getAvailableResource('fake-7');
      assert.deepEqual([used.vcpusUsed, used.memoryMbUsed, used.localGbUsed, used.diskAvailableLeast], [4, 4096, 50, 150]);
    });
  });

  describe('simulateGuestShutdown', () => {
    test('the guest is SHUTDOWN as if it had powered itself off, and can be started again', async () => {
      const d = driver();
      const inst = instance();
      await d.spawn(req(inst));
      d.simulateGuestShutdown(inst.uuid);
      assert.equal((await d.getInfo(inst)).state, PowerState.SHUTDOWN);
      await d.powerOn(inst);
      assert.equal((await d.getInfo(inst)).state, PowerState.RUNNING);
    });

    test('of an unknown guest is InstanceNotFoundOnHost', () => {
      assert.throws(() => driver().simulateGuestShutdown(randomUUID()), InstanceNotFoundOnHost);
    });
  });

  describe('console output', () => {
    test('shows the boot and each reboot', async () => {
      const d = driver();
      const inst = instance('web-1');
      await d.spawn(req(inst));
      await d.reboot(inst, 'SOFT');
      await d.reboot(inst, 'HARD');
      const out = await d.getConsoleOutput(inst);
      assert.match(out, /web-1/);
      assert.match(out, /soft reboot[\s\S]*hard reboot/);
    });
  });

  describe('stateDir: guests survive a restart, as a real hypervisor\'s do', () => {
    function tempState(): { dir: string; dispose(): void } {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-fake-'));
      return { dir: path.join(root, 'hv', 'host-1'), dispose: () => fs.rmSync(root, { recursive: true, force: true }) };
    }
    /** The guests on disk, as a process started after a SIGKILL would read them. */
    function onDisk(dir: string): Map<string, number> {
      const out = new Map<string, number>();
      for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.json'))) {
        const g = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as { uuid: string; state: number };
        out.set(g.uuid, g.state);
      }
      return out;
    }

    test('a new driver on the same file finds the guests with their power states', async () => {
      const st = tempState();
      try {
        const first = driver({ stateDir: st.dir });
        await first.initHost('host-1');
        const running = instance('running');
        const paused = instance('paused');
        const gone = instance('gone');
        for (const i of [running, paused, gone]) await first.spawn(req(i));
        await first.pause(paused);
        await first.destroy(gone, []);
        await first.cleanupHost();
        assert.ok(fs.existsSync(st.dir));

        const second = driver({ stateDir: st.dir });
        await second.initHost('host-1');
        assert.deepEqual((await second.listInstances()).sort(), [running.uuid, paused.uuid].sort());
        assert.equal((await second.getInfo(running)).state, PowerState.RUNNING);
        assert.equal((await second.getInfo(paused)).state, PowerState.PAUSED);
        assert.match(await second.getConsoleOutput(running), /running/);
        const r = await second.getAvailableResource('host-1');
        assert.equal(r.vcpusUsed, 2 * flavor.vcpus, 'usage counts the guests found on disk');
      } finally {
        st.dispose();
      }
    });

    test('an operation returns only once its effect is on disk, so a crash right after loses nothing', async () => {
      const st = tempState();
      try {
        const d = driver({ stateDir: st.dir });
        await d.initHost('host-1');
        const burst = Array.from({ length: 20 }, (_, i) => instance(`burst-${i}`));
        await Promise.all(burst.map((i) => d.spawn(req(i))));
        // No cleanupHost: read the files as a process started after a SIGKILL would.
        assert.deepEqual([...onDisk(st.dir).keys()].sort(), burst.map((i) => i.uuid).sort());
        await d.pause(burst[0]!);
        assert.equal(onDisk(st.dir).get(burst[0]!.uuid), PowerState.PAUSED);
        await d.destroy(burst[1]!, []);
        assert.equal(onDisk(st.dir).has(burst[1]!.uuid), false);
        await d.cleanupHost();
      } finally {
        st.dispose();
      }
    });

    test('guests kept in the earlier single-file layout are found and moved to one file each', async () => {
      const st = tempState();
      try {
        const first = driver({ stateDir: st.dir });
        await first.initHost('host-1');
        const kept = instance('kept');
        await first.spawn(req(kept));
        await first.cleanupHost();
        const guest = JSON.parse(fs.readFileSync(path.join(st.dir, `${kept.uuid}.json`), 'utf8'));
        fs.rmSync(st.dir, { recursive: true });
        fs.writeFileSync(`${st.dir}.json`, JSON.stringify([guest]));

        const second = driver({ stateDir: st.dir });
        await second.initHost('host-1');
        assert.deepEqual(await second.listInstances(), [kept.uuid]);
        assert.equal(fs.existsSync(`${st.dir}.json`), false);
        assert.deepEqual([...onDisk(st.dir).keys()], [kept.uuid]);
      } finally {
        st.dispose();
      }
    });

    test('without a stateDir nothing is written and a restart starts empty', async () => {
      const d = driver();
      await d.spawn(req(instance()));
      await d.cleanupHost();
      const again = driver();
      await again.initHost('h');
      assert.deepEqual(await again.listInstances(), []);
    });
  });

  describe('call history', () => {
    test('records each action with its method, guest and time, in order', async () => {
      const d = driver();
      const inst = instance();
      const t0 = Date.now();
      await d.initHost('h');
      await d.spawn(req(inst));
      await d.pause(inst);
      await d.unpause(inst);
      await d.reboot(inst, 'HARD');
      await d.powerOff(inst);
      await d.powerOn(inst);
      await d.suspend(inst);
      await d.resume(inst);
      await d.destroy(inst, []);
      assert.deepEqual(d.calls.map((c) => [c.method, c.uuid]), [
        ['initHost', undefined], ['spawn', inst.uuid], ['pause', inst.uuid], ['unpause', inst.uuid],
        ['reboot:HARD', inst.uuid], ['powerOff', inst.uuid], ['powerOn', inst.uuid], ['suspend', inst.uuid],
        ['resume', inst.uuid], ['destroy', inst.uuid],
      ]);
      for (const c of d.calls) assert.ok(c.at >= t0 && c.at <= Date.now());
    });

    test('records failed spawns and rejected transitions too', async () => {
      const d = driver();
      d.failNextSpawns(1);
      const failed = await spawnResult(d);
      const inst = instance();
      await d.spawn(req(inst));
      await assert.rejects(d.unpause(inst));
      assert.deepEqual(d.calls.map((c) => [c.method, c.uuid]), [['spawn', failed.inst.uuid], ['spawn', inst.uuid], ['unpause', inst.uuid]]);
    });

    test('stays bounded however long the emulator runs, keeping the latest calls', async () => {
      const d = driver();
      const inst = instance();
      await d.spawn(req(inst));
      for (let i = 0; i < 12_000; i++) await d.powerOn(inst);
      await d.powerOff(inst);
      assert.ok(d.calls.length <= 10_000, `history holds ${d.calls.length}`);
      assert.deepEqual(d.calls.at(-1)?.method, 'powerOff');
    });
  });
});
