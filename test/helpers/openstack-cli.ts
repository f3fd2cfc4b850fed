/**
 * The real `openstack` client (python3-openstackclient) for end-to-end tests,
 * connected only through the clouds.yaml the all-in-one writes, exactly as a
 * user would. A failure carries stderr's tail and the last HTTP exchange.
 */
import path from 'node:path';
import { execFile, spawnSync } from 'node:child_process';

export type Cloud = 'kilonova' | 'kilonova-demo';

export const haveOpenstackCli = spawnSync('sh', ['-c', 'command -v openstack'], { stdio: 'ignore' }).status === 0;
/** In CI the test command installs the client, so its absence there is a failure, not a skip. */
export const skipWithoutOpenstackCli: string | false = !haveOpenstackCli && process.env.CI !== 'true'
  ? 'the openstack CLI is not installed (scripts/install-openstack-cli.sh installs it)'
  : false;

export class CliError extends Error {
  constructor(readonly args: string[], readonly code: number | string | null, readonly stdout: string, readonly stderr: string) {
    super(`openstack ${args.join(' ')} failed (${code}):\n${lastLines(stderr, 40)}\nlast HTTP exchange:\n${lastExchange(stderr)}`);
  }
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** The last HTTP exchange keystoneauth logged with --debug: the first thing to read when a command fails. */
function lastExchange(stderr: string): string {
  const lines = stderr.split('\n');
  const req = lines.map((l, i) => (l.startsWith('REQ: ') ? i : -1)).filter((i) => i >= 0).pop();
  return req === undefined ? '' : lines.slice(req, req + 6).join('\n');
}

export interface OpenstackCli {
  run(who: Cloud, args: string[], timeoutMs?: number): Promise<string>;
  json(who: Cloud, args: string[], timeoutMs?: number): Promise<any>;
}

/** A client for the cloud whose clouds.yaml is in `statePath`. */
export function openstackCli(statePath: () => string): OpenstackCli {
  function run(who: Cloud, args: string[], timeoutMs = 120_000): Promise<string> {
    const env: Record<string, string> = {};
    // Only the clouds.yaml decides where the client goes; stray OS_* settings must not.
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OS_')) env[k] = v;
    env.OS_CLOUD = who;
    env.OS_CLIENT_CONFIG_FILE = path.join(statePath(), 'clouds.yaml');
    return new Promise((resolve, reject) => {
      execFile('openstack', ['--debug', ...args], { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) reject(new CliError(args, (err as NodeJS.ErrnoException).code ?? null, stdout, stderr));
        else resolve(stdout);
      });
    });
  }

  async function json(who: Cloud, args: string[], timeoutMs?: number): Promise<any> {
    const out = await run(who, [...args, '-f', 'json'], timeoutMs);
    try {
      return JSON.parse(out);
    } catch {
      throw new Error(`openstack ${args.join(' ')} -f json printed no JSON:\n${out}`);
    }
  }

  return { run, json };
}
