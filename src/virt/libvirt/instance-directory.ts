/**
 * The per-instance directory under instances_path (Nova's layout): the root
 * disk overlay, kernel and ramdisk, the config drive and the console log.
 * Deleting a server removes the directory, so nothing is left behind.
 */
import fs from 'node:fs';
import path from 'node:path';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class InstanceDirectory {
  constructor(readonly root: string) {}

  forInstance(uuid: string): InstanceFiles {
    // The uuid becomes a path: only a real UUID may, so nothing can climb out of instances_path.
    if (!UUID.test(uuid)) throw new Error(`not an instance uuid: ${JSON.stringify(uuid)}`);
    return new InstanceFiles(path.join(this.root, uuid.toLowerCase()));
  }
}

export class InstanceFiles {
  readonly disk: string;
  readonly kernel: string;
  readonly ramdisk: string;
  readonly configDrive: string;
  readonly consoleLog: string;

  constructor(readonly path: string) {
    this.disk = `${path}/disk`;
    this.kernel = `${path}/kernel`;
    this.ramdisk = `${path}/ramdisk`;
    this.configDrive = `${path}/disk.config`;
    this.consoleLog = `${path}/console.log`;
  }

  async create(): Promise<void> {
    await fs.promises.mkdir(this.path, { recursive: true, mode: 0o755 });
  }

  /** A cached kernel or ramdisk into the instance directory: a hard link when possible, else a copy. */
  async placeFile(source: string, target: string): Promise<void> {
    try {
      await fs.promises.link(source, target);
    } catch {
      await fs.promises.copyFile(source, target, fs.constants.COPYFILE_FICLONE);
    }
  }

  async remove(): Promise<void> {
    await fs.promises.rm(this.path, { recursive: true, force: true });
  }
}
