/**
 * A lock file so several test processes (node --test runs files in
 * parallel) can share one test-guest output directory: one builds, the
 * others wait and then find the finished artifacts in the cache.
 * The holder's pid is in the file; a lock whose process is gone is stale.
 */
import { promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestGuestBuildError } from './run-command.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withBuildLock<T>(lockPath: string, fn: () => Promise<T>, timeoutMs = 15 * 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fs.writeFile(lockPath, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number.parseInt(await fs.readFile(lockPath, 'utf8').catch(() => ''), 10);
    // An empty file is a lock being written right now; only a dead pid is stale.
    if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
      await fs.rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new TestGuestBuildError(`gave up waiting for ${lockPath} (held by pid ${holder})`, 'lock');
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockPath, { force: true });
  }
}
