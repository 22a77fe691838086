// Atomic file replacement: readers of the target see the old file or the complete new one, never a mix.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Writes all of `bytes` at `position`, looping over short writes. */
function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.byteLength;) {
    done += fs.writeSync(fd, bytes, done, bytes.byteLength - done, position + done);
  }
}

/** Flushes a directory entry (the rename) to disk; a platform that cannot sync directories is let be. */
function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch (e) {
    if (process.platform === 'win32' || (e as NodeJS.ErrnoException).code === 'EISDIR') return;
    throw e;
  }
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    if (!['EINVAL', 'ENOTSUP', 'EPERM', 'EISDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Replaces `target` with the bytes that `fill` writes: they go to a temporary file in the same
 * directory, which is synced and then renamed over `target`. If anything throws, the temporary
 * file is removed and `target` is left as it was.
 */
export function writeFileAtomic(target: string, fill: (write: (bytes: Uint8Array) => void) => void): void {
  const dir = path.dirname(path.resolve(target));
  // Hidden, unique, and within a 255-byte name limit however long the target's name is.
  const stem = Array.from(path.basename(target)).slice(0, 40).join('');
  const tmp = path.join(dir, `.${stem}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', 0o666);
  let open = true;
  try {
    let position = 0;
    fill((bytes) => {
      writeAll(fd, bytes, position);
      position += bytes.byteLength;
    });
    fs.fsyncSync(fd);
    open = false;
    fs.closeSync(fd);
    fs.renameSync(tmp, target);
  } catch (e) {
    // Clean-up failures are swallowed: the error that stopped the write is the one to report.
    if (open) try { fs.closeSync(fd); } catch { /* already reporting e */ }
    try { fs.rmSync(tmp, { force: true }); } catch { /* already reporting e */ }
    throw e;
  }
  syncDirectory(dir);
}
