/**
 * The RabbitMQ these tests use: 127.0.0.1:5672 (guest/guest), a virtual host
 * of its own per test file (kn_test_<run>_<random>), deleted afterwards, so
 * parallel runs and leftover queues never meet. Off CI, a machine without
 * RabbitMQ skips these tests with the reason; on CI (CI=true) the test
 * command has started it, so an absent broker fails them instead.
 */
import net from 'node:net';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

export const RABBIT_HOST = '127.0.0.1';
export const RABBIT_PORT = 5672;

const run = promisify(execFile);

function portAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Why RabbitMQ tests cannot run here, or undefined when they can (or must, on CI). */
export async function rabbitSkipReason(): Promise<string | undefined> {
  if (await portAnswers(RABBIT_HOST, RABBIT_PORT)) return undefined;
  if (process.env.CI === 'true') return undefined;
  return `RabbitMQ does not answer on ${RABBIT_HOST}:${RABBIT_PORT} (start it with \`rabbitmq-server -detached\`; on CI the test command does)`;
}

export function rabbitmqctl(...args: string[]): Promise<{ stdout: string }> {
  return run('rabbitmqctl', ['-q', ...args], { timeout: 60_000 });
}

export interface TestVhost {
  name: string;
  /** rabbit:// URL of the vhost, with guest's credentials. */
  url: string;
  remove(): Promise<void>;
}

/** A virtual host for one test file; its queues and exchanges go with it. */
export async function createTestVhost(): Promise<TestVhost> {
  const name = `kn_test_${process.env.KILONOVA_TEST_RUN_ID ?? process.pid}_${randomBytes(4).toString('hex')}`;
  await rabbitmqctl('add_vhost', name);
  await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  return {
    name,
    url: `rabbit://guest:guest@${RABBIT_HOST}:${RABBIT_PORT}/${name}`,
    remove: async () => { await rabbitmqctl('delete_vhost', name).catch(() => undefined); },
  };
}
