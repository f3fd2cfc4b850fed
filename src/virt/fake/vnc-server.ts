/**
 * The fake hypervisor's VNC display: just enough of RFB 3.8 (RFC 6143) for a
 * VNC client to connect and draw — security type None, a small black
 * framebuffer named after the guest, raw rectangles on request. Input is read
 * and ignored, as a guest with nothing on screen would.
 */
import net from 'node:net';

export const FRAMEBUFFER = { width: 320, height: 240 };

const VERSION = Buffer.from('RFB 003.008\n');
const SECURITY_NONE = 1;

/** 32 bits per pixel, depth 24, little-endian true colour (what most clients ask for anyway). */
const PIXEL_FORMAT = Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);

/** Client-to-server message types and their fixed lengths (ClientCutText adds its text). */
const SET_PIXEL_FORMAT = 0;
const SET_ENCODINGS = 2;
const FRAMEBUFFER_UPDATE_REQUEST = 3;
const KEY_EVENT = 4;
const POINTER_EVENT = 5;
const CLIENT_CUT_TEXT = 6;

type Phase = 'version' | 'security' | 'init' | 'normal';

/** One client's session: bytes in, replies out; closes the socket on anything it does not understand. */
class RfbSession {
  private buf = Buffer.alloc(0);
  private phase: Phase = 'version';
  /** A 3.3 client gets the security type as one word and no result. */
  private minor = 8;
  private bytesPerPixel = 4;

  constructor(private readonly socket: net.Socket, private readonly name: string) {
    socket.write(VERSION);
    socket.on('data', (chunk) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      try {
        while (this.step());
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
  }

  /** Handles one complete message if there is one; false when more bytes are needed. */
  private step(): boolean {
    switch (this.phase) {
      case 'version': {
        if (this.buf.length < 12) return false;
        const m = /^RFB 003\.(\d{3})\n$/.exec(this.take(12).toString('latin1'));
        if (!m) throw new Error('not an RFB client');
        this.minor = Math.min(Number(m[1]), 8);
        if (this.minor < 7) {
          this.send(u32(SECURITY_NONE));
          this.phase = 'init';
        } else {
          this.send(Buffer.from([1, SECURITY_NONE]));
          this.phase = 'security';
        }
        return true;
      }
      case 'security': {
        if (this.buf.length < 1) return false;
        if (this.take(1)[0] !== SECURITY_NONE) throw new Error('unsupported security type');
        // RFB 3.7 sends no SecurityResult for None; 3.8 does.
        if (this.minor >= 8) this.send(u32(0));
        this.phase = 'init';
        return true;
      }
      case 'init': {
        if (this.buf.length < 1) return false;
        this.take(1); // shared flag: every client shares the one display
        const name = Buffer.from(this.name, 'utf8');
        this.send(Buffer.concat([u16(FRAMEBUFFER.width), u16(FRAMEBUFFER.height), PIXEL_FORMAT, u32(name.length), name]));
        this.phase = 'normal';
        return true;
      }
      case 'normal':
        return this.message();
    }
  }

  private message(): boolean {
    if (this.buf.length < 1) return false;
    const type = this.buf[0];
    const need = (n: number) => this.buf.length >= n;
    switch (type) {
      case SET_PIXEL_FORMAT:
        if (!need(20)) return false;
        this.bytesPerPixel = Math.max(1, this.take(20)[4] / 8);
        return true;
      case SET_ENCODINGS: {
        if (!need(4)) return false;
        const length = 4 + 4 * this.buf.readUInt16BE(2);
        if (!need(length)) return false;
        this.take(length);
        return true;
      }
      case FRAMEBUFFER_UPDATE_REQUEST: {
        if (!need(10)) return false;
        const m = this.take(10);
        // Nothing ever changes on screen, so an incremental request waits for ever, as on a real idle display.
        if (m[1] === 0) this.sendBlank(m.readUInt16BE(2), m.readUInt16BE(4), m.readUInt16BE(6), m.readUInt16BE(8));
        return true;
      }
      case KEY_EVENT:
        if (!need(8)) return false;
        this.take(8);
        return true;
      case POINTER_EVENT:
        if (!need(6)) return false;
        this.take(6);
        return true;
      case CLIENT_CUT_TEXT: {
        if (!need(8)) return false;
        const length = 8 + this.buf.readUInt32BE(4);
        if (!need(length)) return false;
        this.take(length);
        return true;
      }
      default:
        throw new Error(`unknown RFB message type ${type}`);
    }
  }

  /** One raw rectangle of black, clipped to the framebuffer. */
  private sendBlank(x: number, y: number, w: number, h: number): void {
    const cx = Math.min(x, FRAMEBUFFER.width);
    const cy = Math.min(y, FRAMEBUFFER.height);
    const cw = Math.min(w, FRAMEBUFFER.width - cx);
    const ch = Math.min(h, FRAMEBUFFER.height - cy);
    const header = Buffer.concat([Buffer.from([0, 0]), u16(1), u16(cx), u16(cy), u16(cw), u16(ch), u32(0)]);
    this.send(Buffer.concat([header, Buffer.alloc(cw * ch * this.bytesPerPixel)]));
  }

  private take(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  private send(data: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Serves the display named `name` to every client that connects. */
export function serveRfb(socket: net.Socket, name: string): void {
  new RfbSession(socket, name);
}
