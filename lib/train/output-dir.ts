// A run's output directory: proved writable before the first step, swept of what a killed run
// left behind, and a failed write there told in one line that names the file and the reason.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

import { isStaleTemporary } from '../io/atomic-file.js';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'it exists and is not a directory',
  ENOENT: 'no such file or directory',
  EIO: 'input/output error',
};

/** A system error's cause in words with its code, `permission denied (EACCES)`; other errors' messages as they are. */
export function reasonOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code !== undefined && Object.hasOwn(REASONS, code) ? `${REASONS[code]} (${code})` : (e as Error).message;
}

/** An error that says what could not be written and why; `code` is the system error's. */
export function writeError(message: string, cause: unknown): Error {
  const code = (cause as NodeJS.ErrnoException).code;
  return Object.assign(new Error(message, { cause }), code === undefined ? {} : { code });
}

/**
 * Makes `dir`, then creates, writes, syncs and removes a small file in it, so that a directory
 * that cannot take the run's output fails now rather than after an epoch of training. Temporary
 * files of atomic writes whose process is gone are removed.
 * @example
 * prepareOutputDir('runs/a'); // throws "cannot write to the output directory runs/a: permission denied (EACCES)"
 */
export function prepareOutputDir(dir: string): void {
  const probe = path.join(dir, `.torchnode-probe.${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(probe, 'w');
    try {
      writeSync(fd, 'torchnode\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    rmSync(probe);
  } catch (e) {
    try { rmSync(probe, { force: true }); } catch { /* already reporting e */ }
    throw writeError(`cannot write to the output directory ${dir}: ${reasonOf(e)}`, e);
  }
  for (const name of readdirSync(dir)) if (isStaleTemporary(name)) rmSync(path.join(dir, name), { force: true });
}
