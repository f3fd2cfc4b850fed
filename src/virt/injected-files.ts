/**
 * Personality files on the bus: a list of { path, contents (base64) }. What a
 * message carries is checked here, so a malformed one injects nothing rather
 * than something wrong.
 */
import type { InjectedFile } from './driver.js';

export type { InjectedFile } from './driver.js';

export function injectedFilesFrom(wire: unknown): InjectedFile[] {
  if (!Array.isArray(wire)) return [];
  return wire.filter((f): f is InjectedFile => !!f && typeof f === 'object' && typeof f.path === 'string' && typeof f.contents === 'string')
    .map((f) => ({ path: f.path, contents: f.contents }));
}

/** The files as the config drive and metadata take them. */
export function decodedInjectedFiles(files: readonly InjectedFile[] | undefined): Array<{ path: string; contents: Buffer }> {
  return (files ?? []).map((f) => ({ path: f.path, contents: Buffer.from(f.contents, 'base64') }));
}
