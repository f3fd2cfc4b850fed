/**
 * Starts the agents' kernel tools from a small companion process instead of
 * the agent's own. Node forks before it execs, and the fork copies the page
 * tables of the whole process and holds the event loop until the child has
 * exec'd: in a process of a few hundred MB (an all-in-one, a busy compute
 * service) one `ip` run blocked the loop for 5-35 ms, longer than the tool
 * ran, and every other request, agent and timer of the process waited. A
 * bare Node companion forks in a fraction of that, off the agent's loop (a
 * 200 MB process running `ip link show` 30 times: 11-14 ms a run and ~300 ms
 * of event-loop stalls directly, ~3 ms a run and ~15 ms of stalls through
 * the companion).
 *
 * One companion per process, started on first use and told what to run over
 * an IPC channel; it exits when that channel closes (its parent is gone). A
 * command it had started when it died fails; the next one starts a new
 * companion. Where no companion can be started the commands run in-process,
 * as they did before. Commands see the environment of the process when the
 * companion started.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface CommandRequest {
  argv: readonly string[];
  /** text fed to stdin ('' closes it at once) */
  input: string;
  timeoutMs: number;
}

export interface CommandOutcome {
  /** null: killed by a signal, or never started (see `startError`) */
  code: number | null;
  stdout: string;
  stderr: string;
  /** why the command could not be started at all */
  startError?: string;
}

type Spawn = typeof spawn;

/**
 * Runs one command and reports its outcome once. Self-contained (it uses
 * only its arguments and globals): the companion runs it from its source text.
 */
function runOne(spawnFn: Spawn, req: CommandRequest, report: (outcome: CommandOutcome) => void): void {
  let stdout = '';
  let stderr = '';
  let reported = false;
  const once = (outcome: CommandOutcome) => {
    if (reported) return;
    reported = true;
    clearTimeout(timer);
    report(outcome);
  };
  const child = spawnFn(req.argv[0]!, req.argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), req.timeoutMs);
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  child.on('error', (err) => once({ code: null, stdout, stderr, startError: err.message }));
  child.on('close', (code) => once({ code, stdout, stderr }));
  // The command may exit before reading its stdin; its exit code says why.
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(req.input);
}

/** The companion's program: each message is a request carrying an id, answered with that id. */
function companionMain(spawnFn: Spawn, proc: NodeJS.Process, run: typeof runOne): void {
  proc.title = 'kilonova-host-commands';
  proc.on('message', (msg: { id: number; req: CommandRequest }) => {
    run(spawnFn, msg.req, (outcome) => {
      if (proc.connected) proc.send!({ id: msg.id, outcome });
    });
  });
  proc.on('disconnect', () => proc.exit(0));
}

const COMPANION_SOURCE = `(${companionMain.toString()})(require('node:child_process').spawn, process, ${runOne.toString()})`;

interface Waiting {
  req: CommandRequest;
  resolve(outcome: CommandOutcome): void;
}

class Companion {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private started = false;
  ended = false;

  constructor(private readonly onEnd: (unstarted: Waiting[]) => void) {
    this.child = spawn(process.execPath, ['--max-semi-space-size=1', '-e', COMPANION_SOURCE], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child.on('spawn', () => { this.started = true; });
    this.child.on('message', (msg: { id: number; outcome: CommandOutcome }) => {
      const w = this.waiting.get(msg.id);
      if (!w) return;
      this.waiting.delete(msg.id);
      this.holdProcess();
      w.resolve(msg.outcome);
    });
    this.child.on('error', () => this.end());
    // The channel closes as the companion dies, and keeps the process alive until then; its exit may come too late.
    this.child.on('disconnect', () => this.end());
    this.child.on('exit', () => this.end());
    // The companion never keeps its parent alive on its own; waiting commands do (holdProcess).
    this.child.unref();
    this.holdProcess();
  }

  run(req: CommandRequest): Promise<CommandOutcome> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.waiting.set(id, { req, resolve });
      this.holdProcess();
      this.child.send({ id, req }, (err) => {
        if (err) this.end();
      });
    });
  }

  private holdProcess(): void {
    if (this.waiting.size > 0) this.child.channel?.ref();
    else this.child.channel?.unref();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    if (this.child.connected) this.child.disconnect();
    if (this.started) {
      // They may have run, in part: failing them is safer than running them again.
      for (const w of waiting) w.resolve({ code: null, stdout: '', stderr: '', startError: 'the host command companion exited' });
      this.onEnd([]);
    } else {
      this.onEnd(waiting);
    }
  }
}

let companion: Companion | undefined;
/** Set when no companion could be started: commands run in-process from then on. */
let inProcess = false;

function runInProcess(req: CommandRequest): Promise<CommandOutcome> {
  return new Promise((resolve) => runOne(spawn, req, resolve));
}

/** Runs a command through this process's companion (started if needed); resolves with its outcome, never rejects. */
export function runCommand(req: CommandRequest): Promise<CommandOutcome> {
  if (inProcess) return runInProcess(req);
  if (!companion || companion.ended) {
    companion = new Companion((unstarted) => {
      if (unstarted.length === 0) return;
      // Never started: nothing ran, so these run here, as does everything after.
      inProcess = true;
      for (const w of unstarted) void runInProcess(w.req).then(w.resolve);
    });
  }
  return companion.run(req);
}
