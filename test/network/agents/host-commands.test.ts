import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostCommandError, runHostCommand } from '../../../src/network/agents/host-commands.js';

const parentOfCommand = async (): Promise<number> => Number((await runHostCommand('sh', ['-c', 'echo $PPID'])).trim());

test("a command's stdout comes back and its stdin gets the input", async () => {
  assert.equal(await runHostCommand('echo', ['one', 'two']), 'one two\n');
  assert.equal(await runHostCommand('cat', [], { input: 'line 1\nline 2\n' }), 'line 1\nline 2\n');
});

test('a failing command rejects with its exit code and the tail of its stderr', async () => {
  await assert.rejects(runHostCommand('sh', ['-c', 'echo first >&2; echo why >&2; exit 3']), (err: unknown) => {
    assert.ok(err instanceof HostCommandError);
    assert.equal(err.exitCode, 3);
    assert.equal(err.stderrTail, 'first\nwhy');
    assert.match(err.message, /^sh -c .* failed \(exit 3\): first\nwhy$/);
    return true;
  });
});

test('a command that cannot be started rejects without an exit code, saying why', async () => {
  await assert.rejects(runHostCommand('kilonova-no-such-tool', ['x']), (err: unknown) => {
    assert.ok(err instanceof HostCommandError);
    assert.equal(err.exitCode, null);
    assert.match(err.stderrTail, /ENOENT/);
    return true;
  });
});

test('a command past its timeout is killed and rejects', async () => {
  const t0 = Date.now();
  await assert.rejects(runHostCommand('sleep', ['30'], { timeoutMs: 200 }), (err: unknown) => err instanceof HostCommandError && err.exitCode === null);
  assert.ok(Date.now() - t0 < 10_000, 'not left to run its 30 s');
});

test('commands run side by side', async () => {
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 8 }, () => runHostCommand('sleep', ['1'])));
  assert.ok(Date.now() - t0 < 6000, `8 one-second sleeps took ${Date.now() - t0} ms`);
});

test('commands are started by a companion process, not by this one (whose fork would stall its event loop)', async () => {
  const parent = await parentOfCommand();
  assert.notEqual(parent, process.pid);
  assert.equal(await parentOfCommand(), parent, 'one companion serves every command');
});

test('a companion that dies fails the command it was running, and the next command gets a new companion', async () => {
  const companion = await parentOfCommand();
  const running = runHostCommand('sleep', ['10']);
  // The companion starts commands in the order they reach it: once a later one has answered, the sleep is running.
  await runHostCommand('true', []);
  process.kill(companion, 'SIGKILL');
  await assert.rejects(running, (err: unknown) => err instanceof HostCommandError && err.exitCode === null);
  const next = await parentOfCommand();
  assert.notEqual(next, companion);
  assert.notEqual(next, process.pid);
});
