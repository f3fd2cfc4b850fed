/**
 * A guest filesystem described in memory, so the same description can be
 * written out two ways: as a newc cpio archive (the initramfs) and as a
 * directory for `mke2fs -d` (the root disk). Describing it rather than
 * staging it on disk lets the initramfs carry /dev/console as a device node
 * without the build ever calling mknod on the host.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export type TreeEntry =
  | { kind: 'dir'; mode: number }
  | { kind: 'file'; mode: number; data: Buffer }
  | { kind: 'symlink'; target: string }
  | { kind: 'chardev'; mode: number; major: number; minor: number };

/** Paths are absolute inside the guest ('/bin/busybox'); parents are created implicitly. */
export class ImageTree {
  private readonly entries = new Map<string, TreeEntry>();

  private static normalise(p: string): string {
    const n = path.posix.normalize(p);
    if (!n.startsWith('/') || n === '/' || n.split('/').includes('..')) {
      throw new Error(`bad guest path ${JSON.stringify(p)}`);
    }
    return n;
  }

  private ensureParents(p: string): void {
    const parent = path.posix.dirname(p);
    if (parent === '/' || this.entries.has(parent)) return;
    this.ensureParents(parent);
    this.entries.set(parent, { kind: 'dir', mode: 0o755 });
  }

  private put(p: string, e: TreeEntry): this {
    const n = ImageTree.normalise(p);
    this.ensureParents(n);
    this.entries.set(n, e);
    return this;
  }

  dir(p: string, mode = 0o755): this {
    return this.put(p, { kind: 'dir', mode });
  }

  file(p: string, data: Buffer | string, mode = 0o644): this {
    return this.put(p, { kind: 'file', mode, data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data });
  }

  symlink(p: string, target: string): this {
    return this.put(p, { kind: 'symlink', target });
  }

  chardev(p: string, major: number, minor: number, mode = 0o600): this {
    return this.put(p, { kind: 'chardev', mode, major, minor });
  }

  has(p: string): boolean {
    return this.entries.has(ImageTree.normalise(p));
  }

  /** Entries sorted so every directory precedes its contents (cpio and mkdir both need that). */
  list(): Array<[string, TreeEntry]> {
    return [...this.entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * Writes the tree under `root` on the host. Device nodes are skipped: the
   * root disk gets its /dev from the devtmpfs the initramfs moves over.
   */
  async materialise(root: string): Promise<void> {
    for (const [p, e] of this.list()) {
      const hostPath = path.join(root, p);
      switch (e.kind) {
        case 'dir':
          await fs.mkdir(hostPath, { recursive: true });
          await fs.chmod(hostPath, e.mode);
          break;
        case 'file':
          await fs.writeFile(hostPath, e.data, { mode: e.mode });
          await fs.chmod(hostPath, e.mode);
          break;
        case 'symlink':
          await fs.symlink(e.target, hostPath);
          break;
        case 'chardev':
          break;
      }
    }
  }
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(len: number): Buffer {
  return Buffer.alloc((4 - (len % 4)) % 4);
}

function newcRecord(name: string, ino: number, mode: number, data: Buffer, rdevMajor = 0, rdevMinor = 0, nlink = 1): Buffer[] {
  const nameBuf = Buffer.from(`${name}\0`, 'utf8');
  // newc header: magic then 13 eight-digit hex fields; mtime 0 keeps the archive reproducible.
  const header = Buffer.from(
    '070701' +
      [ino, mode, 0, 0, nlink, 0, data.length, 0, 0, rdevMajor, rdevMinor, nameBuf.length, 0].map(hex8).join(''),
    'ascii',
  );
  return [header, nameBuf, pad4(header.length + nameBuf.length), data, pad4(data.length)];
}

/** The tree as an uncompressed newc ("SVR4 no CRC") cpio archive, the format the kernel unpacks. */
export function toNewcCpio(tree: ImageTree): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const [p, e] of tree.list()) {
    const name = p.slice(1); // archive paths are relative to the initramfs root
    switch (e.kind) {
      case 'dir':
        parts.push(...newcRecord(name, ino++, S_IFDIR | e.mode, Buffer.alloc(0), 0, 0, 2));
        break;
      case 'file':
        parts.push(...newcRecord(name, ino++, S_IFREG | e.mode, e.data));
        break;
      case 'symlink':
        parts.push(...newcRecord(name, ino++, S_IFLNK | 0o777, Buffer.from(e.target, 'utf8')));
        break;
      case 'chardev':
        parts.push(...newcRecord(name, ino++, S_IFCHR | e.mode, Buffer.alloc(0), e.major, e.minor));
        break;
    }
  }
  parts.push(...newcRecord('TRAILER!!!', 0, 0, Buffer.alloc(0), 0, 0, 1));
  return Buffer.concat(parts);
}
