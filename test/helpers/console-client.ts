/**
 * Console clients for the tests: a websocket one for the proxies and a byte
 * queue (shared with plain TCP clients) that reads exact counts with a
 * deadline and tells how the connection ended.
 */
import { WebSocket } from 'ws';

export interface ConsoleClient {
  ws: WebSocket;
  /** Resolves when the upgrade is done; rejects when it is refused. */
  opened: Promise<void>;
  /** Resolves when the connection is gone, with every byte that came. */
  closed: Promise<Buffer>;
  read(n: number, timeoutMs?: number): Promise<Buffer>;
  send(bytes: number[] | Buffer): void;
}

/** Bytes as they arrive, read back in exact counts with a deadline; knows when the sender has gone. */
export class ByteQueue {
  private pending = Buffer.alloc(0);
  private ended = false;
  private wake?: () => void;

  push(data: Buffer): void {
    this.pending = Buffer.concat([this.pending, data]);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async read(n: number, timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.length < n) {
      if (this.ended) throw new Error(`the connection closed after ${this.pending.length} of ${n} bytes`);
      if (!(await this.waitUntil(deadline))) throw new Error(`only ${this.pending.length} of ${n} bytes within ${timeoutMs} ms`);
    }
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    return out;
  }

  async closed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (!(await this.waitUntil(deadline))) throw new Error(`still open after ${timeoutMs} ms`);
    }
  }

  /** Waits for news; false once the deadline has passed. */
  private async waitUntil(deadline: number): Promise<boolean> {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      this.wake = () => { clearTimeout(timer); resolve(); };
    });
    this.wake = undefined;
    return true;
  }
}

export function openConsole(url: string, headers: Record<string, string> = {}): ConsoleClient {
  const ws = new WebSocket(url, ['binary'], { headers });
  const queue = new ByteQueue();
  const everything: Buffer[] = [];
  ws.on('message', (data: Buffer) => {
    everything.push(data);
    queue.push(data);
  });
  const closed = new Promise<Buffer>((resolve) => ws.on('close', () => {
    queue.end();
    resolve(Buffer.concat(everything));
  }));
  ws.on('error', () => undefined);
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('close', () => reject(new Error('closed before the upgrade')));
  });
  opened.catch(() => undefined);
  return {
    ws, opened, closed,
    read: (n, timeoutMs) => queue.read(n, timeoutMs),
    send(bytes) {
      ws.send(Buffer.from(bytes));
    },
  };
}

/** The client side of RFB 3.8 up to ServerInit; returns the desktop's name and size. */
export async function rfbHandshake(c: ConsoleClient): Promise<{ name: string; width: number; height: number }> {
  const version = (await c.read(12)).toString('latin1');
  if (version !== 'RFB 003.008\n') throw new Error(`unexpected server version ${JSON.stringify(version)}`);
  c.send(Buffer.from('RFB 003.008\n'));
  const [count] = await c.read(1);
  const types = [...(await c.read(count))];
  if (!types.includes(1)) throw new Error(`security type None not offered: ${types}`);
  c.send([1]);
  const result = (await c.read(4)).readUInt32BE(0);
  if (result !== 0) throw new Error(`security result ${result}`);
  c.send([1]);
  const init = await c.read(24);
  const name = (await c.read(init.readUInt32BE(20))).toString('utf8');
  return { name, width: init.readUInt16BE(0), height: init.readUInt16BE(2) };
}
