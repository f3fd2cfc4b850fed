/**
 * qemu-img, called the safe way: the format is always named with -f (so a
 * file can never be probed into a format it only claims to be), and `info`
 * output is read as JSON. OSSA-2024-001/002 are why.
 */
import { execFile } from 'node:child_process';

export type QemuDiskFormat = 'raw' | 'qcow2';

export class QemuImgError extends Error {
  constructor(message: string, readonly stderr: string) {
    super(message);
    this.name = 'QemuImgError';
  }
}

export interface QemuImgInfo {
  format: string;
  virtualSize: number;
  backingFilename: string | null;
  /** qcow2's external data file, when the header names one */
  dataFile: string | null;
}

function run(args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('qemu-img', args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new QemuImgError('qemu-img is not installed (Debian package qemu-utils)', ''));
      reject(new QemuImgError(`qemu-img ${args[0]} failed`, String(stderr).trim()));
    });
  });
}

export async function qemuImgInfo(file: string, format: QemuDiskFormat): Promise<QemuImgInfo> {
  // --force-share: the file may be in use by a running guest (the base image under overlays).
  const out = await run(['info', '-f', format, '--output=json', '--force-share', file]);
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(out) as Record<string, unknown>;
  } catch {
    throw new QemuImgError('qemu-img info printed something that is not JSON', out.slice(0, 200));
  }
  const specific = (j['format-specific'] as { data?: Record<string, unknown> } | undefined)?.data ?? {};
  return {
    format: String(j.format),
    virtualSize: Number(j['virtual-size']),
    backingFilename: typeof j['backing-filename'] === 'string' ? (j['backing-filename'] as string) : null,
    dataFile: typeof specific['data-file'] === 'string' ? (specific['data-file'] as string) : null,
  };
}

/** A copy-on-write qcow2 overlay over `base`, `sizeBytes` large. */
export async function createOverlay(base: string, baseFormat: QemuDiskFormat, file: string, sizeBytes: number): Promise<void> {
  await run(['create', '-q', '-f', 'qcow2', '-F', baseFormat, '-b', base, file, String(sizeBytes)]);
}
